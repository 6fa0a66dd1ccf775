//! Object storage through the real binary, against a real S3 server
//! (moto's, on 127.0.0.1) and a fault proxy in front of it, and against
//! Azurite for `az://`.

#[cfg(feature = "azure")]
mod azure;
mod compose;
mod data;
mod directions;
mod faults;
mod listing;
mod proxy;
mod server;

use std::process::Output;

use assert_cmd::Command;

use crate::cli::util::{Dir, smerge};

/// `smerge ARGS` in `dir`, talking to the S3 server through `port` (the
/// server's own, or a proxy's).
fn smerge_s3(dir: &Dir, port: u16, args: &[&str]) -> Output {
    let mut command: Command = smerge(dir);
    command.envs(server::environment(port)).args(args);
    command.output().expect("running smerge")
}

/// Like [`smerge_s3`] against the server itself, and it must succeed.
#[track_caller]
fn ok(dir: &Dir, args: &[&str]) -> Output {
    let output = smerge_s3(dir, server::port(), args);
    assert!(
        output.status.success(),
        "smerge {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
