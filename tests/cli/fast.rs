//! Plain merges, which take the fast path: the same bytes as `cat`, into new
//! and existing files, standard output as a pipe and as a file; a full
//! output, few file descriptors, and an interruption.

use std::fs::File;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::util::{Dir, assert_bytes_eq, cat, data, signal_and_wait, smerge};

/// `in/` with files of awkward sizes over two subdirectories, about 10 MiB
/// in all (enough for the copy by windows); returns the sorted relative
/// paths for `cat`.
fn awkward_tree(dir: &Dir) -> Vec<String> {
    const MIB: usize = 1 << 20;
    let sizes = [
        0,
        1,
        4095,
        4096,
        4097,
        4 * MIB - 1,
        4 * MIB + 1,
        0,
        12_345,
        MIB + 7,
    ];
    let mut paths: Vec<String> = sizes
        .iter()
        .enumerate()
        .map(|(i, &size)| {
            let path = format!("in/{}/f{i:02}", if i % 2 == 0 { "a" } else { "b" });
            dir.create(&path, data(i as u64 + 1, size));
            path
        })
        .collect();
    paths.sort();
    paths
}

#[test]
fn new_and_existing_outputs_equal_cat() {
    let dir = Dir::new();
    let paths = awkward_tree(&dir);
    let expected = cat(&dir, &paths);
    smerge(&dir).args(["-r", "in", "out"]).assert().success();
    assert_bytes_eq(&expected, &dir.read("out"));
    smerge(&dir)
        .args(["-r", "--progress", "in", "out"])
        .assert()
        .success();
    assert_bytes_eq(&expected, &dir.read("out"));
    assert_eq!(dir.names("."), ["in", "out"]);
}

#[test]
fn standard_output_as_a_pipe_equals_cat() {
    let dir = Dir::new();
    let paths = awkward_tree(&dir);
    let output = smerge(&dir).args(["-r", "in", "-"]).output().unwrap();
    assert!(output.status.success());
    assert_bytes_eq(&cat(&dir, &paths), &output.stdout);
}

#[test]
fn standard_output_as_a_file_is_written_from_its_position() {
    let dir = Dir::new();
    let paths = awkward_tree(&dir);
    let expected = cat(&dir, &paths);
    let mut out = File::create(dir.join("out")).unwrap();
    out.write_all(b"before\n").unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_smerge"))
        .args(["-r", "in", "-"])
        .current_dir(dir.path())
        .stdout(Stdio::from(out))
        .status()
        .unwrap();
    assert!(status.success());
    assert_bytes_eq(&[b"before\n", &expected[..]].concat(), &dir.read("out"));

    // `>> out`: appended after what is there.
    let appending = File::options().append(true).open(dir.join("out")).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_smerge"))
        .args(["-r", "in", "-"])
        .current_dir(dir.path())
        .stdout(Stdio::from(appending))
        .status()
        .unwrap();
    assert!(status.success());
    assert_bytes_eq(
        &[b"before\n", &expected[..], &expected[..]].concat(),
        &dir.read("out"),
    );
}

/// Runs `smerge ARGS` under bash after `setup` (ulimit lines), with
/// SIGXFSZ ignored so that a file-size limit is an error, not a kill.
fn smerge_limited(dir: &Dir, setup: &str, args: &str) -> std::process::Output {
    let script = format!("{setup}; trap '' XFSZ; exec \"$0\" {args}",);
    Command::new("bash")
        .args(["-c", &script, env!("CARGO_BIN_EXE_smerge")])
        .current_dir(dir.path())
        .output()
        .unwrap()
}

#[test]
fn an_output_too_large_fails_and_leaves_the_old_one() {
    // A file-size limit stands in for a full disk: the window copy allocates
    // the whole output first, and fails there; the smaller merge fails on
    // its first write. Either way nothing of the new output remains.
    for (size, files) in [(1 << 20, 10), (10_000, 20)] {
        let dir = Dir::new();
        for i in 0..files {
            dir.create(format!("in/f{i:02}"), data(i, size));
        }
        dir.create("out", "old");
        let output = smerge_limited(&dir, "ulimit -f 64", "in out");
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("out: File too large"),
            "{size} × {files}: {stderr}"
        );
        assert_eq!(dir.read("out"), b"old");
        assert_eq!(dir.names("."), ["in", "out"]);
    }
}

#[test]
fn thousands_of_inputs_need_few_file_descriptors() {
    let dir = Dir::new();
    let mut expected = Vec::new();
    for i in 0..3000 {
        let text = format!("file {i}\n");
        dir.create(format!("in/{:02}/{i:05}", i % 16), &text);
        expected.push((format!("{:02}/{i:05}", i % 16), text));
    }
    expected.sort();
    let expected: String = expected.into_iter().map(|(_, text)| text).collect();
    let output = smerge_limited(&dir, "ulimit -n 32", "-r in out");
    assert!(output.status.success(), "{output:?}");
    assert_bytes_eq(expected.as_bytes(), &dir.read("out"));
}

/// 100,000 inputs (on a RAM file system when there is one): seconds of
/// work, so it runs on request (`cargo test -- --ignored`).
#[test]
#[ignore = "makes 100,000 files"]
fn a_hundred_thousand_inputs_merge_with_few_file_descriptors() {
    let root = tempfile::tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .unwrap();
    for i in 0..100_000 {
        let path = root.path().join(format!("in/{:03}/{i:06}", i % 100));
        if i < 100 {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        }
        std::fs::write(path, format!("{i}\n")).unwrap();
    }
    let output = Command::new("bash")
        .args([
            "-c",
            "ulimit -n 32; exec \"$0\" -r in out",
            env!("CARGO_BIN_EXE_smerge"),
        ])
        .current_dir(root.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let merged = std::fs::read_to_string(root.path().join("out")).unwrap();
    assert_eq!(merged.lines().count(), 100_000);
    let mut numbers: Vec<u32> = merged.lines().map(|l| l.parse().unwrap()).collect();
    numbers.sort_unstable();
    assert!(numbers.iter().enumerate().all(|(i, &n)| i as u32 == n));
}

/// Whether process `pid` has a file open in `dir` that has no name yet
/// (smerge's new output).
fn has_unnamed_output(pid: u32, dir: &std::path::Path) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .any(|target| target.starts_with(dir) && target.to_string_lossy().contains("(deleted)"))
}

#[test]
fn an_interrupted_merge_leaves_the_old_output() {
    let dir = Dir::new();
    // A sparse input of 2 GiB: instant to make, a second or more to merge.
    std::fs::create_dir(dir.join("in")).unwrap();
    File::create(dir.join("in/sparse"))
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    dir.create("out", "the old output\n");
    let mut child = Command::new(env!("CARGO_BIN_EXE_smerge"))
        .args(["in", "out"])
        .current_dir(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !has_unnamed_output(child.id(), dir.path()) {
        assert!(Instant::now() < deadline, "no output file appeared");
        assert!(child.try_wait().unwrap().is_none(), "smerge ended early");
        std::thread::sleep(Duration::from_millis(2));
    }
    let exit = signal_and_wait(&mut child, rustix::process::Signal::INT);
    assert_eq!(exit.code(), Some(130));
    assert_bytes_eq(b"the old output\n", &dir.read("out"));
    assert_eq!(dir.names("."), ["in", "out"]);
}
