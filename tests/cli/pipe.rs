//! `smerge pipe`: transforms by spec, exec, tee, TCP between two smerge
//! processes, and shell behaviour.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::*;

use super::util::{Dir, assert_bytes_eq, close_stdout_after, data, smerge};

#[test]
fn list_transforms_names_every_transform() {
    let dir = Dir::new();
    let assert = smerge(&dir)
        .args(["pipe", "--list-transforms"])
        .assert()
        .success();
    let out = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    for name in [
        "frame[:MAX]",
        "unframe",
        "frame32",
        "unframe32",
        "exec:",
        "strip-bom",
        "eol:lf",
        "eol:crlf",
        "ensure-newline",
    ] {
        assert!(out.contains(name), "{name} missing from:\n{out}");
    }
}

#[test]
fn unknown_transform_is_a_usage_error() {
    let dir = Dir::new();
    smerge(&dir)
        .args(["pipe", "-t", "gzipp"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("gzipp"));
}

#[test]
fn stdin_to_stdout_through_text_transforms() {
    let dir = Dir::new();
    smerge(&dir)
        .args([
            "pipe",
            "-t",
            "strip-bom",
            "-t",
            "eol:lf",
            "-t",
            "ensure-newline",
        ])
        .write_stdin("\u{feff}a\r\nb")
        .assert()
        .success()
        .stdout("a\nb\n");
}

#[test]
fn frame_and_unframe_round_trip_through_files() {
    let dir = Dir::new();
    let input = data(1, 300_001);
    dir.create("in.bin", &input);
    smerge(&dir)
        .args(["pipe", "in.bin", "framed.bin", "-t", "frame:1000"])
        .assert()
        .success();
    let framed = dir.read("framed.bin");
    // Every input chunk is cut into packets of at most 1000 bytes.
    assert!(framed.len() >= input.len() + 4 * input.len().div_ceil(1000));
    smerge(&dir)
        .args(["pipe", "framed.bin", "out.bin", "-t", "unframe"])
        .assert()
        .success();
    assert_bytes_eq(&input, &dir.read("out.bin"));
}

#[test]
fn truncated_frames_fail_and_write_no_output() {
    let dir = Dir::new();
    dir.create("in.bin", data(1, 5000));
    smerge(&dir)
        .args(["pipe", "in.bin", "framed.bin", "-t", "frame"])
        .assert()
        .success();
    let mut framed = dir.read("framed.bin");
    framed.truncate(framed.len() - 10);
    dir.create("cut.bin", &framed);
    smerge(&dir)
        .args(["pipe", "cut.bin", "out.bin", "-t", "unframe"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("truncated packet at byte 0"));
    assert!(!dir.join("out.bin").exists());
    assert_eq!(dir.names("."), ["cut.bin", "framed.bin", "in.bin"]);
}

/// `… | smerge pipe -t gunzip | …` over a truncated gzip: like `zcat`,
/// everything decoded before the break goes out, then an error and exit 1;
/// into a file, the old file stays and nothing is written.
#[test]
fn a_truncated_gzip_into_standard_output_keeps_what_was_decoded() {
    let dir = Dir::new();
    let text: Vec<u8> = (0..60_000)
        .flat_map(|i| format!("line {i} of the log\n").into_bytes())
        .collect();
    dir.create("log.txt", &text);
    let gzip = Command::new("gzip")
        .args(["-c", "log.txt"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let mut cut = gzip.stdout;
    cut.truncate(cut.len() * 2 / 3);
    dir.create("cut.gz", &cut);
    let zcat = Command::new("sh")
        .args(["-c", "gzip -dc < cut.gz 2>/dev/null"])
        .current_dir(dir.path())
        .output()
        .unwrap();

    let output = smerge(&dir)
        .args(["pipe", "-t", "gunzip", "cut.gz", "-"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("unexpected end of gzip data"));
    // Decoders stop at slightly different places: every byte is the
    // original's, and nothing `zcat` printed is missing.
    assert!(text.starts_with(&output.stdout));
    assert!(
        output.stdout.len() >= zcat.stdout.len(),
        "{} < {}",
        output.stdout.len(),
        zcat.stdout.len()
    );

    dir.create("out.txt", b"old\n");
    smerge(&dir)
        .args(["pipe", "-t", "gunzip", "cut.gz", "out.txt"])
        .assert()
        .code(1);
    assert_eq!(dir.read("out.txt"), b"old\n");
}

#[test]
fn exec_passes_data_through() {
    let dir = Dir::new();
    let input = data(1, 1 << 20);
    dir.create("in.bin", &input);
    smerge(&dir)
        .args(["pipe", "in.bin", "out.bin", "-t", "exec:cat"])
        .assert()
        .success();
    assert_bytes_eq(&input, &dir.read("out.bin"));
}

#[test]
fn exec_arguments_are_split_like_a_shell_without_one() {
    let dir = Dir::new();
    smerge(&dir)
        .args(["pipe", "-t", "exec:sed -e 's/a b/$HOME;/'"])
        .write_stdin("a b\n")
        .assert()
        .success()
        .stdout("$HOME;\n");
}

#[test]
fn exec_that_exits_non_zero_is_an_error_naming_it() {
    let dir = Dir::new();
    dir.create("in.bin", data(1, 100_000));
    smerge(&dir)
        .args([
            "pipe",
            "in.bin",
            "out.bin",
            "-t",
            "exec:sh -c 'cat >/dev/null; exit 3'",
        ])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("exited with status 3")
                .and(predicate::str::contains("exec:sh")),
        );
    assert!(!dir.join("out.bin").exists());
}

#[test]
fn exec_that_stops_reading_early_ends_the_pipe_and_keeps_its_output() {
    let dir = Dir::new();
    let lines: String = (0..200_000).map(|n| format!("{n}\n")).collect();
    dir.create("in.txt", &lines);
    for run in 0..50 {
        let output = smerge(&dir)
            .args(["pipe", "in.txt", "-", "-t", "exec:head -n 2"])
            .output()
            .unwrap();
        assert_eq!(
            (output.status.code(), &output.stdout[..]),
            (Some(0), &b"0\n1\n"[..]),
            "run {run}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // An input that never ends is not read to its end.
    let mut yes = std::process::Command::new("yes")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_smerge"))
        .args(["pipe", "-", "-", "-t", "exec:head -n 1"])
        .stdin(yes.stdout.take().unwrap())
        .output()
        .unwrap();
    yes.kill().unwrap();
    yes.wait().unwrap();
    assert_eq!(
        (output.status.code(), &output.stdout[..]),
        (Some(0), &b"y\n"[..])
    );
}

#[test]
fn strict_exec_makes_stopping_early_an_error() {
    let dir = Dir::new();
    dir.create("in.bin", data(1, 4 << 20));
    smerge(&dir)
        .args([
            "pipe",
            "--strict-exec",
            "in.bin",
            "-",
            "-t",
            "exec:head -c 10",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("stopped reading its input"));
}

#[test]
fn closed_stdout_ends_quietly() {
    let dir = Dir::new();
    dir.create("big.bin", data(1, 8 << 20));
    let output = close_stdout_after(&dir, &["pipe", "big.bin", "-", "-t", "frame"], 100);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stderr.is_empty());
}

#[test]
fn tee_to_three_outputs_with_one_slow() {
    let dir = Dir::new();
    let input = data(1, 2 << 20);
    dir.create("in.bin", &input);
    let fifo = dir.fifo("slow.fifo");
    // A reader that takes its time: the pipe must wait for it, not drop data.
    let reader = std::thread::spawn(move || {
        let mut file = std::fs::File::open(&fifo).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            let n = file.read(&mut buf).unwrap();
            if n == 0 {
                break got;
            }
            got.extend_from_slice(&buf[..n]);
            std::thread::sleep(Duration::from_micros(200));
        }
    });
    smerge(&dir)
        .args([
            "pipe",
            "in.bin",
            "a.bin",
            "--tee",
            "b.bin",
            "--tee",
            "slow.fifo",
            "--hwm",
            "16K",
        ])
        .assert()
        .success();
    assert_bytes_eq(&input, &reader.join().unwrap());
    assert_bytes_eq(&input, &dir.read("a.bin"));
    assert_bytes_eq(&input, &dir.read("b.bin"));
}

/// A TCP port nobody listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something listens on `port` (read from /proc/net/tcp, so
/// that checking does not take the one connection smerge accepts).
fn wait_for_listener(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let needle = format!(":{port:04X} 00000000:0000 0A");
    while Instant::now() < deadline {
        let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
        if table.contains(&needle) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("nothing listens on port {port}");
}

#[test]
fn framed_data_between_two_smerge_processes_over_tcp() {
    let dir = Dir::new();
    let input = data(1, 3 << 20);
    dir.create("big.log", &input);
    let port = free_port();
    let mut receiver = Command::new(env!("CARGO_BIN_EXE_smerge"))
        .args([
            "pipe",
            &format!("tcp-listen://127.0.0.1:{port}"),
            "copy.log",
            "-t",
            "unframe",
        ])
        .current_dir(dir.path())
        .spawn()
        .unwrap();
    wait_for_listener(port);
    smerge(&dir)
        .args([
            "pipe",
            "big.log",
            &format!("tcp://127.0.0.1:{port}"),
            "-t",
            "frame",
        ])
        .assert()
        .success();
    assert!(receiver.wait().unwrap().success());
    assert_bytes_eq(&input, &dir.read("copy.log"));
}

#[test]
fn connection_refused_names_the_address() {
    let dir = Dir::new();
    let port = free_port();
    smerge(&dir)
        .args(["pipe", &format!("tcp://127.0.0.1:{port}"), "-"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!("tcp://127.0.0.1:{port}")));
}

#[test]
fn peer_disconnecting_mid_stream_truncates_frames_with_an_error() {
    let dir = Dir::new();
    let port = free_port();
    let receiver = Command::new(env!("CARGO_BIN_EXE_smerge"))
        .args([
            "pipe",
            &format!("tcp-listen://127.0.0.1:{port}"),
            "copy.log",
            "-t",
            "unframe",
        ])
        .current_dir(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_listener(port);
    let mut socket = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    // Half a packet: a header announcing 100 bytes, then only 10 of them.
    socket.write_all(&[0, 0, 0, 100]).unwrap();
    socket.write_all(&[7; 10]).unwrap();
    drop(socket);
    let output = receiver.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("truncated"));
    assert!(!dir.join("copy.log").exists());
}
