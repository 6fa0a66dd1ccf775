//! Faults between smerge and the server: signals and 503 storms in the
//! middle of an upload, objects replaced while they are read, dropped
//! connections; and many small objects.

use std::process::Stdio;
use std::time::Duration;

use super::proxy::{Fault, Proxy, Rule};
use super::server::{self, bucket, environment, get, open_uploads, port, put};
use super::{ok, smerge_s3, stderr};
use crate::cli::util::{Dir, assert_bytes_eq, data, signal_and_wait};

const MIB: usize = 1024 * 1024;

#[test]
fn ctrl_c_and_sigterm_mid_upload_keep_the_old_object_and_leave_no_upload() {
    for (signal, status) in [
        (rustix::process::Signal::INT, 130),
        (rustix::process::Signal::TERM, 143),
    ] {
        let dir = Dir::new();
        let b = bucket("signal");
        dir.create("big.bin", data(3, 40 * MIB));
        put(&b, "out.bin", b"old\n");
        let proxy = Proxy::start(
            port(),
            vec![Rule::new(
                &["partNumber="],
                Fault::Delay(Duration::from_secs(2)),
                usize::MAX,
            )],
        );
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_smerge"))
            .envs(environment(proxy.port()))
            .args(["big.bin", &format!("s3://{b}/out.bin")])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting smerge");
        proxy.wait_for("partNumber=");
        let exit = signal_and_wait(&mut child, signal);
        assert_eq!(exit.code(), Some(status));
        assert_eq!(get(&b, "out.bin").unwrap(), b"old\n");
        assert!(open_uploads(&b).is_empty(), "{:?}", open_uploads(&b));
    }
}

#[test]
fn a_503_storm_mid_upload_keeps_the_old_object_and_leaves_no_upload() {
    let dir = Dir::new();
    let b = bucket("upstorm");
    dir.create("big.bin", data(4, 20 * MIB));
    put(&b, "out.bin", b"old\n");
    // The first part goes through; every later part is throttled.
    let proxy = Proxy::start(
        port(),
        vec![
            Rule::new(&["partNumber=1&"], Fault::Delay(Duration::ZERO), 1),
            Rule::new(&["partNumber="], Fault::Status(503), usize::MAX),
        ],
    );
    let output = smerge_s3(
        &dir,
        proxy.port(),
        &["big.bin", &format!("s3://{b}/out.bin")],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains(&format!("writing s3://{b}/out.bin")),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1, "{text}");
    assert_eq!(get(&b, "out.bin").unwrap(), b"old\n");
    assert!(open_uploads(&b).is_empty(), "{:?}", open_uploads(&b));
}

#[test]
fn dropped_connections_and_throttling_are_retried() {
    let dir = Dir::new();
    let b = bucket("drops");
    let first = data(5, 9 * MIB);
    let second = data(6, 3 * MIB);
    put(&b, "in/1", &first);
    put(&b, "in/2", &second);
    let proxy = Proxy::start(
        port(),
        vec![
            Rule::new(&["GET /", "/in/1"], Fault::DropAnswerAfter(100_000), 1),
            Rule::new(&["GET /", "/in/2"], Fault::DropRequest, 1),
            Rule::new(&["GET /", "/in/2"], Fault::Status(503), 1),
            Rule::new(&["partNumber="], Fault::DropRequest, 1),
            Rule::new(&["partNumber="], Fault::Status(503), 1),
        ],
    );
    let target = format!("s3://{b}/out.bin");
    let output = smerge_s3(
        &dir,
        proxy.port(),
        &["--no-compose", &format!("s3://{b}/in/"), &target],
    );
    assert!(
        output.status.success(),
        "{}\n{:?}",
        stderr(&output),
        proxy.log()
    );
    let mut expected = first;
    expected.extend(second);
    assert_bytes_eq(&expected, &get(&b, "out.bin").unwrap());
    let faults = proxy.log().iter().filter(|line| line.contains('[')).count();
    assert_eq!(faults, 5, "{:?}", proxy.log());
}

#[test]
fn an_object_replaced_while_the_merge_runs_is_an_error_naming_it() {
    let dir = Dir::new();
    let b = bucket("replaced");
    put(&b, "in/1", b"first\n");
    put(&b, "in/2", b"second\n");
    put(&b, "out", b"old\n");
    let proxy = Proxy::start(
        port(),
        vec![Rule::new(
            &["GET /", "/in/2"],
            Fault::Delay(Duration::from_secs(1)),
            1,
        )],
    );
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_smerge"))
        .envs(environment(proxy.port()))
        .args([&format!("s3://{b}/in/"), &format!("s3://{b}/out")])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting smerge");
    proxy.wait_for("/in/2");
    put(&b, "in/2", b"replaced\n");
    let output = child.wait_with_output().expect("waiting for smerge");
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.contains(&format!(
            "reading s3://{b}/in/2: the object changed while it was read"
        )),
        "{text}"
    );
    assert_eq!(get(&b, "out").unwrap(), b"old\n");
}

#[test]
fn ten_thousand_small_objects_are_merged_in_order() {
    let dir = Dir::new();
    let b = bucket("many");
    let count = 10_000;
    let name = |i: usize| format!("many/{i:05}.log");
    let contents = |i: usize| format!("line {i}\n");
    std::thread::scope(|scope| {
        for worker in 0..8 {
            let b = &b;
            scope.spawn(move || {
                for i in (worker..count).step_by(8) {
                    put(b, &name(i), contents(i).as_bytes());
                }
            });
        }
    });
    let expected: String = (0..count).map(contents).collect();
    ok(
        &dir,
        &[
            "-q",
            &format!("s3://{b}/many/"),
            &format!("s3://{b}/all.log"),
        ],
    );
    assert_bytes_eq(expected.as_bytes(), &server::get(&b, "all.log").unwrap());
}
