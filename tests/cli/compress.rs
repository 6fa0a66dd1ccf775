//! Compressed outputs and inputs through the real binary, checked with the
//! system's own tools.

use std::process::Command;

use predicates::prelude::*;

use super::util::{Dir, assert_bytes_eq, cat, smerge};

fn tool_output(dir: &Dir, program: &str, args: &[&str]) -> Vec<u8> {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir.path())
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed for this test: {e}"));
    assert!(
        output.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn text_tree(dir: &Dir) -> Vec<u8> {
    for i in 0..5 {
        dir.create(
            format!("src/{i}.txt"),
            format!("file {i}\n").repeat(1000 * (i + 1)),
        );
    }
    cat(
        dir,
        &[
            "src/0.txt",
            "src/1.txt",
            "src/2.txt",
            "src/3.txt",
            "src/4.txt",
        ],
    )
}

#[test]
fn gz_output_is_read_by_gzip() {
    let dir = Dir::new();
    let expected = text_tree(&dir);
    smerge(&dir).args(["src", "out.gz"]).assert().success();
    assert_bytes_eq(&expected, &tool_output(&dir, "gzip", &["-dc", "out.gz"]));
}

#[test]
fn zst_output_is_read_by_zstd() {
    let dir = Dir::new();
    let expected = text_tree(&dir);
    smerge(&dir).args(["src", "out.zst"]).assert().success();
    assert_bytes_eq(&expected, &tool_output(&dir, "zstd", &["-qdc", "out.zst"]));
}

#[test]
fn compress_option_and_level() {
    let dir = Dir::new();
    let expected = text_tree(&dir);
    smerge(&dir)
        .args(["--compress", "xz", "--level", "1", "src", "out.bin"])
        .assert()
        .success();
    assert_bytes_eq(&expected, &tool_output(&dir, "xz", &["-dc", "out.bin"]));
    smerge(&dir)
        .args(["--level", "12", "src", "out.gz"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("gzip level must be 1-9, got 12"));
    smerge(&dir)
        .args(["--level", "3", "src", "out.txt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--level needs --compress CODEC"));
}

#[test]
fn decompress_reads_every_gzip_member_and_other_codecs() {
    let dir = Dir::new();
    dir.create("in/a.txt", "plain\n");
    let members = [
        tool_output_of_stdin("gzip", b"one\n"),
        tool_output_of_stdin("gzip", b"two\n"),
    ]
    .concat();
    dir.create("in/b.gz", members);
    dir.create("in/c.zst", tool_output_of_stdin("zstd", b"three\n"));
    dir.create("in/d.xz", tool_output_of_stdin("xz", b"four\n"));
    dir.create("in/e.bz2", tool_output_of_stdin("bzip2", b"five\n"));
    smerge(&dir)
        .args(["--decompress", "in", "-"])
        .assert()
        .success()
        .stdout("plain\none\ntwo\nthree\nfour\nfive\n");
}

fn tool_output_of_stdin(program: &str, input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(program)
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} is needed for this test: {e}"));
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    output.stdout
}

#[test]
fn already_compressed_inputs_are_concatenated_not_compressed_twice() {
    let dir = Dir::new();
    let one = tool_output_of_stdin("gzip", b"one\n");
    let two = tool_output_of_stdin("gzip", b"two\n");
    dir.create("gz/1.gz", &one);
    dir.create("gz/2.gz", &two);
    smerge(&dir).args(["gz", "all.gz"]).assert().success();
    assert_bytes_eq(&[one, two].concat(), &dir.read("all.gz"));
    assert_bytes_eq(
        b"one\ntwo\n",
        &tool_output(&dir, "gzip", &["-dc", "all.gz"]),
    );
}

#[test]
fn corrupt_compressed_input_is_a_one_line_error_and_no_output() {
    let dir = Dir::new();
    let mut data = tool_output_of_stdin("gzip", &b"some text\n".repeat(1000));
    let middle = data.len() / 2;
    data[middle] ^= 0xff;
    dir.create("bad.gz", &data);
    let assert = smerge(&dir)
        .args(["pipe", "bad.gz", "out.txt", "-t", "gunzip"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("smerge: reading bad.gz: gunzip: "),
        "{stderr}"
    );
    assert!(!dir.join("out.txt").exists());
    dir.create(
        "cut.zst",
        &tool_output_of_stdin("zstd", &b"x".repeat(100_000))[..20],
    );
    smerge(&dir)
        .args(["pipe", "cut.zst", "out.txt", "-t", "unzstd"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("unexpected end"));
    assert!(!dir.join("out.txt").exists());
}

#[test]
fn corrupt_input_of_a_decompressing_merge_is_named_and_old_output_kept() {
    let dir = Dir::new();
    let whole = tool_output_of_stdin("gzip", &b"line of text\n".repeat(5000));
    dir.create("in/a.gz", tool_output_of_stdin("gzip", b"first\n"));
    dir.create("in/b.gz", &whole[..whole.len() / 2]);
    dir.create("out.txt", "old\n");
    let assert = smerge(&dir)
        .args(["--decompress", "in", "out.txt"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("smerge: reading in/b.gz: gunzip: unexpected end of gzip data"),
        "{stderr}"
    );
    assert_eq!(dir.read("out.txt"), b"old\n");
    assert_eq!(dir.names("."), ["in", "out.txt"]);
}

#[test]
fn pipe_round_trips_through_every_codec() {
    let dir = Dir::new();
    let input = b"round trip through every codec\n".repeat(3000);
    dir.create("in.txt", &input);
    let mut args = vec!["pipe", "in.txt", "out.txt"];
    for spec in [
        "gzip",
        "gunzip",
        "zlib:1",
        "unzlib",
        "deflate:9",
        "inflate",
        "zstd:19",
        "unzstd",
        "brotli:5",
        "unbrotli",
        "bzip2:1",
        "bunzip2",
        "xz:0",
        "unxz",
        "gzip",
        "decompress",
    ] {
        args.extend(["-t", spec]);
    }
    smerge(&dir).args(&args).assert().success();
    assert_bytes_eq(&input, &dir.read("out.txt"));
}
