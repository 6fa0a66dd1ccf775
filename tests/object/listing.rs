//! A prefix is listed like the same tree on disk: the same files, in the
//! same order, with the same warnings, whatever the options.

use super::server::{bucket, put};
use super::{ok, stderr};
use crate::cli::util::Dir;

/// Names chosen to exercise the order, the patterns and the hidden rules.
const TREE: &[&str] = &[
    "B.js",
    "README.md",
    "a-b.js",
    "a.js",
    "a.min.js",
    "a/b.js",
    "a0.js",
    "lib/part10.sql",
    "lib/part9.sql",
    "lib/deep/x.js",
    "vendor/v.js",
    ".hidden.js",
    ".git/config",
    "docs/.secret/s.md",
    "z.txt",
];

/// `--dry-run` of `flags` over `input`: the listed paths, with `input`
/// cut off, and the warnings with it cut off.
fn listed(dir: &Dir, flags: &[&str], input: &str) -> (Vec<String>, String) {
    let mut args = vec!["-n"];
    args.extend_from_slice(flags);
    args.extend([input, "-"]);
    let output = ok(dir, &args);
    let lines = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| !line.contains("total ("))
        .map(|line| {
            let path = line
                .trim_start()
                .split_once("  ")
                .map_or(line, |(_, path)| path);
            path.replace(input, "")
        })
        .collect();
    (lines, stderr(&output).replace(input, "INPUT"))
}

#[test]
fn a_prefix_is_ordered_and_filtered_like_the_same_tree_on_disk() {
    let dir = Dir::new();
    let b = bucket("listing");
    for (i, name) in TREE.iter().enumerate() {
        let contents = "x".repeat(i + 1);
        dir.create(format!("tree/{name}"), &contents);
        put(&b, &format!("tree/{name}"), contents.as_bytes());
    }
    let prefix = format!("s3://{b}/tree/");
    let cases: &[&[&str]] = &[
        &[],
        &["-r"],
        &["-r", "--hidden"],
        &["-r", "--include", "*.js"],
        &["-r", "--include", "lib/*.sql", "--include", "*.md"],
        &["-r", "--exclude", "lib/", "--exclude", "*.min.js"],
        &["-r", "--sort", "natural"],
        &["-r", "--sort", "size", "--reverse"],
        &[
            "-r", "--first", "README*", "--last", "*.min.js", "--last", "z*",
        ],
        &["--hidden", "--sort", "natural", "--reverse"],
    ];
    for flags in cases {
        let (on_disk, disk_warnings) = listed(&dir, flags, "tree/");
        let (in_s3, s3_warnings) = listed(&dir, flags, &prefix);
        assert!(!on_disk.is_empty(), "{flags:?}");
        assert_eq!(on_disk, in_s3, "{flags:?}");
        assert_eq!(disk_warnings, s3_warnings, "{flags:?}");
    }
}

#[test]
fn a_key_without_a_slash_is_an_object_or_else_a_prefix() {
    let dir = Dir::new();
    let b = bucket("keys");
    put(&b, "logs/1.log", b"one\n");
    put(&b, "logs/2.log", b"two\n");
    put(&b, "logs.txt", b"not the prefix\n");
    ok(&dir, &[&format!("s3://{b}/logs"), "prefix.out"]);
    assert_eq!(dir.read("prefix.out"), b"one\ntwo\n");
    ok(&dir, &[&format!("s3://{b}/logs.txt"), "object.out"]);
    assert_eq!(dir.read("object.out"), b"not the prefix\n");
}

#[test]
fn an_empty_prefix_is_an_error_unless_allowed() {
    let dir = Dir::new();
    let b = bucket("empty");
    put(&b, "other/x", b"x");
    let prefix = format!("s3://{b}/nothing/");
    let output = super::smerge_s3(&dir, super::server::port(), &[&prefix, "out"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no files to merge"),
        "{}",
        stderr(&output)
    );
    ok(&dir, &["--allow-empty", &prefix, "out"]);
    assert_eq!(dir.read("out"), b"");
}

#[test]
fn the_output_inside_the_input_prefix_is_skipped() {
    let dir = Dir::new();
    let b = bucket("self");
    put(&b, "logs/a.log", b"a\n");
    put(&b, "logs/all.log", b"old\n");
    let output = ok(
        &dir,
        &[
            &format!("s3://{b}/logs/"),
            &format!("s3://{b}/logs/all.log"),
        ],
    );
    assert!(
        stderr(&output).contains(&format!("skipping s3://{b}/logs/all.log: it is the output")),
        "{}",
        stderr(&output)
    );
    assert_eq!(super::server::get(&b, "logs/all.log").unwrap(), b"a\n");
}
