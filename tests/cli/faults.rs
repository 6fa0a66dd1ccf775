//! Faults around a merge: a disk that fills up, a directory smerge may not
//! write, inputs that change while they are merged. The rule every time: a
//! one-line error naming the cause and the file, exit status 1, the old
//! output untouched, no temporary file left.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use predicates::prelude::*;

use super::util::{Dir, assert_bytes_eq, smerge};

/// A small tmpfs, unmounted when dropped; `None` (with the reason printed)
/// where mounting is refused, as for a user without the privilege.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    fn mount(at: &Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(at).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .stderr(Stdio::null())
            .status();
        match status {
            Ok(status) if status.success() => Some(SmallDisk {
                path: at.to_path_buf(),
            }),
            _ => {
                eprintln!("skipped: cannot mount a tmpfs here (not privileged)");
                None
            }
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

/// The one line of stderr of a failed run, checked to be exactly one line.
fn one_error_line(output: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        stderr.lines().count(),
        1,
        "expected one line, got:\n{stderr}"
    );
    stderr
}

fn merge_onto_full_disk(extra_args: &[&str]) {
    let dir = Dir::new();
    let Some(disk) = SmallDisk::mount(&dir.join("disk"), "1m") else {
        return;
    };
    std::fs::write(disk.path.join("out.txt"), "old output\n").unwrap();
    for i in 0..3 {
        dir.create(format!("src/{i}.txt"), vec![b'a' + i as u8; 1 << 20]);
    }
    let output = smerge(&dir)
        .args(extra_args)
        .args(["src", "disk/out.txt"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let line = one_error_line(&output);
    assert!(
        line.contains("No space left on device") && line.contains("out.txt"),
        "{line}"
    );
    assert_bytes_eq(
        b"old output\n",
        &std::fs::read(disk.path.join("out.txt")).unwrap(),
    );
    assert_eq!(dir.names("disk"), ["out.txt"]);
}

#[test]
fn full_disk_mid_merge_leaves_the_old_output() {
    merge_onto_full_disk(&[]);
}

#[test]
fn full_disk_mid_merge_through_the_stream_path() {
    merge_onto_full_disk(&["--eol", "lf"]);
}

#[test]
fn full_disk_mid_compressed_merge() {
    let dir = Dir::new();
    let Some(_disk) = SmallDisk::mount(&dir.join("disk"), "64k") else {
        return;
    };
    // Incompressible data, so the compressed output does not fit either.
    let mut state = 1u32;
    let noise: Vec<u8> = (0..(1 << 20))
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        })
        .collect();
    dir.create("src/noise.bin", noise);
    let output = smerge(&dir).args(["src", "disk/out.gz"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(one_error_line(&output).contains("No space left on device"));
    assert!(dir.names("disk").is_empty());
}

#[test]
fn output_directory_without_permission() {
    let dir = Dir::new();
    dir.create("src/a.txt", "a\n");
    std::fs::create_dir(dir.join("locked")).unwrap();
    // As root, permission bits do not stop smerge: run it as nobody.
    let output = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_smerge"))
        .args(["src", "locked/out.txt"])
        .current_dir(dir.path())
        .output()
        .expect("setpriv (util-linux)");
    if String::from_utf8_lossy(&output.stderr).contains("setpriv:") {
        eprintln!("skipped: cannot change user here");
        return;
    }
    assert_eq!(output.status.code(), Some(1));
    let line = one_error_line(&output);
    assert!(
        line.contains("Permission denied") && line.contains("locked/out.txt"),
        "{line}"
    );
    assert!(dir.names("locked").is_empty());
}

#[test]
fn a_directory_where_a_file_is_expected() {
    let dir = Dir::new();
    dir.create("a.txt", "a\n");
    std::fs::create_dir(dir.join("b.txt")).unwrap();
    dir.create("out.txt", "old\n");
    // Named explicitly, a directory is merged as a directory: its files.
    // An empty one is an error.
    smerge(&dir)
        .args(["a.txt", "b.txt", "out.txt"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("b.txt"));
    assert_bytes_eq(b"old\n", &dir.read("out.txt"));
}

/// Runs `smerge a.txt gate.fifo b.txt out.txt`; while smerge waits on the
/// FIFO, `change` alters b.txt; then the FIFO is closed and smerge goes on.
fn merge_while_changing(
    extra_args: &[&str],
    change: impl FnOnce(&Path),
) -> (std::process::Output, Dir) {
    let dir = Dir::new();
    dir.create("a.txt", "first\n");
    dir.create("b.txt", "the last file, which will change\n");
    dir.create("out.txt", "old output\n");
    let fifo = dir.fifo("gate.fifo");
    let child = Command::new(env!("CARGO_BIN_EXE_smerge"))
        .args(extra_args)
        .args(["a.txt", "gate.fifo", "b.txt", "out.txt"])
        .current_dir(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut gate = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    change(&dir.join("b.txt"));
    gate.write_all(b"through the gate\n").unwrap();
    drop(gate);
    (child.wait_with_output().unwrap(), dir)
}

#[test]
fn an_input_that_shrinks_while_merged_is_an_error_naming_it() {
    let (output, dir) = merge_while_changing(&[], |b| {
        std::fs::OpenOptions::new()
            .write(true)
            .open(b)
            .unwrap()
            .set_len(4)
            .unwrap();
    });
    assert_eq!(output.status.code(), Some(1));
    let line = one_error_line(&output);
    assert!(line.contains("b.txt") && line.contains("shrank"), "{line}");
    assert_bytes_eq(b"old output\n", &dir.read("out.txt"));
    assert_eq!(dir.names("."), ["a.txt", "b.txt", "gate.fifo", "out.txt"]);
}

#[test]
fn an_input_that_grows_while_merged_is_an_error_unless_allowed() {
    let grow = |b: &Path| {
        let mut file = std::fs::OpenOptions::new().append(true).open(b).unwrap();
        file.write_all(b"appended while merging\n").unwrap();
    };
    let (output, dir) = merge_while_changing(&[], grow);
    assert_eq!(output.status.code(), Some(1));
    assert!(one_error_line(&output).contains("grew"));
    assert_bytes_eq(b"old output\n", &dir.read("out.txt"));

    let (output, dir) = merge_while_changing(&["--allow-changing"], grow);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_bytes_eq(
        b"first\nthrough the gate\nthe last file, which will change\nappended while merging\n",
        &dir.read("out.txt"),
    );
}

#[test]
fn an_input_deleted_before_it_is_read_is_an_error_naming_it() {
    let (output, dir) = merge_while_changing(&[], |b| std::fs::remove_file(b).unwrap());
    assert_eq!(output.status.code(), Some(1));
    let line = one_error_line(&output);
    assert!(
        line.contains("b.txt") && line.contains("No such file"),
        "{line}"
    );
    assert_bytes_eq(b"old output\n", &dir.read("out.txt"));
}

/// A temporary file left by a run that was killed (its PID is gone) is
/// removed by the next run into the same directory; one of a live process
/// is left alone.
#[test]
fn the_next_run_removes_temporary_files_of_dead_runs() {
    let dir = Dir::new();
    dir.create("src/a.txt", "a");
    let dead = ".out.txt.smerge-2147483600-abc123.tmp";
    let live = format!(".out.txt.smerge-{}-abc123.tmp", std::process::id());
    dir.create(dead, "left by a killed run");
    dir.create(&live, "a run still going");
    smerge(&dir).args(["src", "out.txt"]).assert().success();
    assert_eq!(dir.names("."), [live.as_str(), "out.txt", "src"]);
}

/// 100,000 files in one directory: listed, ordered and merged without
/// running out of file descriptors.
#[test]
fn a_hundred_thousand_files_in_one_directory() {
    // Creating that many files is quick in memory; on a disk it can take minutes.
    let base = Path::new("/dev/shm");
    let root = if base.is_dir() {
        tempfile::tempdir_in(base)
    } else {
        tempfile::tempdir()
    }
    .unwrap();
    let many = root.path().join("many");
    std::fs::create_dir(&many).unwrap();
    let mut expected = Vec::with_capacity(100_000 * 7);
    for i in 0..100_000 {
        let name = format!("{i:06}");
        std::fs::write(many.join(&name), &name[..6]).unwrap();
        expected.extend_from_slice(name.as_bytes());
    }
    let out = root.path().join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_smerge"))
        .arg(&many)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_bytes_eq(&expected, &std::fs::read(&out).unwrap());
}
