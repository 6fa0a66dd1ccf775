//! SIGINT and SIGTERM in the middle of a merge: the old output stays, no
//! temporary file remains, the exit status says which signal.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::util::{Dir, assert_bytes_eq, signal_and_wait};

/// Starts `smerge a.txt slow.fifo out.txt`, feeds the FIFO a little so the
/// merge is under way, sends `signal`, and checks the aftermath.
fn interrupt_mid_merge(signal: rustix::process::Signal, status: i32) {
    let dir = Dir::new();
    dir.create("a.txt", "first file\n");
    dir.create("out.txt", "the old output\n");
    let fifo = dir.fifo("slow.fifo");
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
    let exit = signal_and_wait(&mut child, signal);
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

/// 20 signals at different moments of a large merge: every time, OUTPUT is
/// either the old file or the complete new one, and no temporary file is
/// left — also after SIGKILL, since the temporary file has no name.
#[test]
fn signals_at_twenty_moments_never_leave_a_partial_output() {
    let dir = Dir::new();
    let mut expected = Vec::new();
    for i in 0..16u8 {
        let content = vec![b'a' + i; 4 << 20];
        dir.create(format!("src/{i:02}.bin"), &content);
        expected.extend_from_slice(&content);
    }
    let old = b"the old output\n".to_vec();
    let signals = [
        rustix::process::Signal::INT,
        rustix::process::Signal::TERM,
        rustix::process::Signal::KILL,
    ];
    let mut outcomes = [0usize; 2];
    for round in 0..20u64 {
        dir.create("out.bin", &old);
        let mut child = Command::new(env!("CARGO_BIN_EXE_smerge"))
            .args(["src", "out.bin"])
            .current_dir(dir.path())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(round * 7 % 60));
        let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
        let _ = rustix::process::kill_process(pid, signals[round as usize % signals.len()]);
        let status = child.wait().unwrap();
        let got = dir.read("out.bin");
        if got == old {
            outcomes[0] += 1;
        } else {
            assert!(
                got == expected,
                "round {round}: a partial output of {} bytes",
                got.len()
            );
            assert!(
                status.success()
                    || status.code().is_none()
                    || status.code() == Some(130)
                    || status.code() == Some(143)
            );
            outcomes[1] += 1;
        }
        assert_eq!(
            dir.names("."),
            ["out.bin", "src"],
            "round {round}: a temporary file was left"
        );
    }
    eprintln!(
        "old output kept {} times, new output complete {} times",
        outcomes[0], outcomes[1]
    );
}
