//! Helpers for running the real `smerge` binary against temporary trees.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

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

/// The smerge binary, run in `dir`.
pub(crate) fn smerge(dir: &Dir) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_smerge"));
    command.current_dir(dir.path());
    command
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
