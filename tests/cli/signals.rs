//! SIGINT and SIGTERM in the middle of a merge: the old output stays, no
//! temporary file remains, the exit status says which signal.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::util::{Dir, assert_bytes_eq};

/// Starts `smerge a.txt slow.fifo out.txt`, feeds the FIFO a little so the
/// merge is under way, sends `signal`, and checks the aftermath.
fn interrupt_mid_merge(signal: rustix::process::Signal, status: i32) {
    let dir = Dir::new();
    dir.create("a.txt", "first file\n");
    dir.create("out.txt", "the old output\n");
    let fifo = dir.join("slow.fifo");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_smerge"))
        .args(["a.txt", "slow.fifo", "out.txt"])
        .current_dir(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Opening the FIFO for writing waits until smerge opens it for reading.
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    writer.write_all(b"some of the second file\n").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, signal).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "smerge did not stop after the signal"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(writer);
    assert_eq!(exit.code(), Some(status));
    assert_bytes_eq(b"the old output\n", &dir.read("out.txt"));
    assert_eq!(dir.names("."), ["a.txt", "out.txt", "slow.fifo"]);
}

#[test]
fn sigint_leaves_the_old_output_and_exits_130() {
    interrupt_mid_merge(rustix::process::Signal::INT, 130);
}

#[test]
fn sigterm_leaves_the_old_output_and_exits_143() {
    interrupt_mid_merge(rustix::process::Signal::TERM, 143);
}
