//! Helpers for running the real `smerge` binary against temporary trees.

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;

/// A temporary directory to build input trees in.
pub(crate) struct Dir {
    root: tempfile::TempDir,
}

impl Dir {
    pub(crate) fn new() -> Dir {
        Dir {
            root: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        self.root.path()
    }

    pub(crate) fn join(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.root.path().join(relative)
    }

    /// Writes `contents` at `relative`, creating parent directories.
    pub(crate) fn create(&self, relative: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("parent directories");
        }
        std::fs::write(&path, contents).expect("writing a test file");
        path
    }

    pub(crate) fn read(&self, relative: impl AsRef<Path>) -> Vec<u8> {
        std::fs::read(self.join(relative)).expect("reading a test file")
    }

    /// Makes a FIFO at `relative` (mode 0600) and returns its path.
    pub(crate) fn fifo(&self, relative: impl AsRef<Path>) -> PathBuf {
        let path = self.join(relative);
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &path,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .expect("making a FIFO");
        path
    }

    /// The names in `relative`, sorted.
    pub(crate) fn names(&self, relative: impl AsRef<Path>) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.join(relative))
            .expect("listing a test directory")
            .map(|e| {
                e.expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }
}

/// Deterministic bytes that are not all alike, different for every seed.
pub(crate) fn data(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// The smerge binary, run in `dir`.
pub(crate) fn smerge(dir: &Dir) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_smerge"));
    command.current_dir(dir.path());
    command
}

/// Runs `smerge ARGS` in `dir` with standard output a pipe, reads `n`
/// bytes of it and closes it, then waits for smerge to end.
pub(crate) fn close_stdout_after(dir: &Dir, args: &[&str], n: usize) -> Output {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_smerge"))
        .args(args)
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting smerge");
    let mut first = vec![0u8; n];
    child
        .stdout
        .take()
        .expect("a piped standard output")
        .read_exact(&mut first)
        .expect("reading smerge's first bytes");
    child.wait_with_output().expect("waiting for smerge")
}

/// Sends `signal` to `child` and waits (at most 20 s) for it to end.
pub(crate) fn signal_and_wait(child: &mut Child, signal: rustix::process::Signal) -> ExitStatus {
    let pid = rustix::process::Pid::from_raw(child.id() as i32).expect("a process id");
    rustix::process::kill_process(pid, signal).expect("sending a signal");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(exit) = child.try_wait().expect("polling smerge") {
            return exit;
        }
        assert!(
            Instant::now() < deadline,
            "smerge did not stop after the signal"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `cat` of `paths` in order, the reference for merges without options.
pub(crate) fn cat<P: AsRef<OsStr>>(dir: &Dir, paths: &[P]) -> Vec<u8> {
    let output = std::process::Command::new("cat")
        .args(paths)
        .current_dir(dir.path())
        .output()
        .expect("running cat");
    assert!(output.status.success(), "cat failed");
    output.stdout
}

/// Compares bytes, printing both as text on a mismatch.
#[track_caller]
pub(crate) fn assert_bytes_eq(expected: &[u8], got: &[u8]) {
    if expected != got {
        panic!(
            "\n--- expected ({} bytes) ---\n{}\n--- got ({} bytes) ---\n{}\n",
            expected.len(),
            String::from_utf8_lossy(expected),
            got.len(),
            String::from_utf8_lossy(got),
        );
    }
}
