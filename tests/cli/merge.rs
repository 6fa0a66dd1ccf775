//! `smerge merge`: order, content options, atomic output, errors.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;

use predicates::prelude::*;

use super::util::{Dir, assert_bytes_eq, cat, close_stdout_after, smerge};

fn sample_tree(dir: &Dir) {
    dir.create("src/b.js", "b();\n");
    dir.create("src/a.js", "a();\n");
    dir.create("src/a/inner.js", "inner();\n");
    dir.create("src/B.js", "B();\n");
    dir.create("src/.hidden.js", "hidden();\n");
}

#[test]
fn default_command_is_merge_and_equals_cat_of_sorted_files() {
    let dir = Dir::new();
    sample_tree(&dir);
    smerge(&dir).args(["src", "out.js"]).assert().success();
    let expected = cat(&dir, &["src/B.js", "src/a.js", "src/b.js"]);
    assert_bytes_eq(&expected, &dir.read("out.js"));
}

#[test]
fn recursive_order_is_find_sort_order() {
    let dir = Dir::new();
    sample_tree(&dir);
    smerge(&dir)
        .args(["merge", "-r", "src", "out.js"])
        .assert()
        .success();
    // find . -type f | LC_ALL=C sort: "a.js" < "a/inner.js" because '.' < '/'.
    let expected = cat(
        &dir,
        &["src/B.js", "src/a.js", "src/a/inner.js", "src/b.js"],
    );
    assert_bytes_eq(&expected, &dir.read("out.js"));
}

#[test]
fn natural_order_and_reverse() {
    let dir = Dir::new();
    for n in [1, 2, 10, 9] {
        dir.create(format!("logs/part{n}.log"), format!("{n}\n"));
    }
    smerge(&dir)
        .args(["--sort", "natural", "logs", "-"])
        .assert()
        .success()
        .stdout("1\n2\n9\n10\n");
    smerge(&dir)
        .args(["--sort", "natural", "--reverse", "logs", "-"])
        .assert()
        .success()
        .stdout("10\n9\n2\n1\n");
    smerge(&dir)
        .args(["logs", "-"])
        .assert()
        .success()
        .stdout("1\n10\n2\n9\n");
}

#[test]
fn mtime_order() {
    let dir = Dir::new();
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    for (name, age) in [("a", 3), ("b", 1), ("c", 2)] {
        let path = dir.create(format!("d/{name}"), name);
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(old + std::time::Duration::from_secs(age))
            .unwrap();
    }
    smerge(&dir)
        .args(["--sort", "mtime", "d", "-"])
        .assert()
        .success()
        .stdout("bca");
}

#[test]
fn content_options_compose() {
    let dir = Dir::new();
    dir.create("in/1.js", "\u{feff}one\r\n");
    dir.create("in/2.js", "\u{feff}two");
    smerge(&dir)
        .args([
            "--bom",
            "strip-inner",
            "--eol",
            "lf",
            "--ensure-newline",
            "--header",
            "/* {index}/{count} {path} ({size}) */\\n",
            "--separator",
            "\\n",
            "--banner",
            "// start\\n",
            "--footer",
            "// end",
            "in",
            "-",
        ])
        .assert()
        .success()
        .stdout("// start\n/* 1/2 1.js (8) */\n\u{feff}one\n\n/* 2/2 2.js (6) */\ntwo\n// end");
}

#[test]
fn output_inside_the_input_directory_is_skipped() {
    let dir = Dir::new();
    dir.create("src/a.js", "a\n");
    dir.create("src/z.js", "z\n");
    smerge(&dir).args(["src", "src/out.js"]).assert().success();
    // A second run must not read the first run's output.
    smerge(&dir)
        .args(["src", "src/out.js"])
        .assert()
        .success()
        .stderr(predicate::str::contains("out.js"));
    assert_bytes_eq(b"a\nz\n", &dir.read("src/out.js"));
}

#[test]
fn output_named_as_input_is_an_error_and_the_input_is_untouched() {
    let dir = Dir::new();
    dir.create("a.js", "a\n");
    std::fs::hard_link(dir.join("a.js"), dir.join("link.js")).unwrap();
    smerge(&dir)
        .args(["a.js", "link.js"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("also the output link.js"));
    assert_bytes_eq(b"a\n", &dir.read("a.js"));
}

#[test]
fn failing_input_leaves_the_old_output_and_no_temporary_file() {
    let dir = Dir::new();
    dir.create("out/bundle.js", "old bundle\n");
    dir.create("src/a.js", "a\n");
    smerge(&dir)
        .args(["src", "missing.js", "out/bundle.js"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("missing.js"));
    assert_bytes_eq(b"old bundle\n", &dir.read("out/bundle.js"));
    assert_eq!(dir.names("out"), ["bundle.js"]);
}

#[test]
fn the_old_output_keeps_its_mode() {
    let dir = Dir::new();
    let out = dir.create("out.js", "old");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).unwrap();
    dir.create("src/a.js", "new");
    smerge(&dir).args(["src", "out.js"]).assert().success();
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    assert_bytes_eq(b"new", &dir.read("out.js"));
}

#[test]
fn dev_full_gives_one_line_no_space_error() {
    let dir = Dir::new();
    dir.create("src/a.js", "a\n");
    let assert = smerge(&dir).args(["src", "/dev/full"]).assert().code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
}

#[test]
fn missing_output_directory_is_an_error() {
    let dir = Dir::new();
    dir.create("src/a.js", "a\n");
    smerge(&dir)
        .args(["src", "nowhere/out.js"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nowhere/out.js"));
}

#[test]
fn a_single_path_is_an_input_written_to_stdout() {
    let dir = Dir::new();
    dir.create("src/a.js", "a\n");
    dir.create("src/b.js", "b\n");
    smerge(&dir)
        .args(["src"])
        .assert()
        .success()
        .stdout("a\nb\n");
    smerge(&dir)
        .args(["src/b.js"])
        .assert()
        .success()
        .stdout("b\n");
    smerge(&dir)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Usage"));
}

#[test]
fn keep_going_skips_unreadable_inputs_and_exits_1() {
    let dir = Dir::new();
    dir.create("src/a.js", "a\n");
    std::os::unix::fs::symlink("nowhere", dir.join("src/dangling.js")).unwrap();
    smerge(&dir)
        .args(["-L", "src", "out.js"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("dangling.js"));
    assert!(!dir.join("out.js").exists());
    smerge(&dir)
        .args(["--keep-going", "-L", "src", "out.js"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("dangling.js"));
    assert_bytes_eq(b"a\n", &dir.read("out.js"));
}

#[test]
fn empty_directory_is_an_error_unless_allowed() {
    let dir = Dir::new();
    std::fs::create_dir(dir.join("empty")).unwrap();
    smerge(&dir)
        .args(["empty", "out.js"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("empty: no files to merge"));
    assert!(!dir.join("out.js").exists());
    smerge(&dir)
        .args(["--allow-empty", "empty", "out.js"])
        .assert()
        .success();
    assert_bytes_eq(b"", &dir.read("out.js"));
}

#[test]
fn dry_run_lists_sizes_and_total_and_writes_nothing() {
    let dir = Dir::new();
    dir.create("src/a.js", "aa");
    dir.create("src/b.js", "bbb");
    smerge(&dir)
        .args(["--dry-run", "src", "out.js"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("a.js").and(predicate::str::contains("5  total (2 files)")),
        );
    assert!(!dir.join("out.js").exists());
}

#[test]
fn closed_stdout_ends_quietly() {
    let dir = Dir::new();
    dir.create("big/a.bin", vec![b'x'; 4 << 20]);
    let output = close_stdout_after(&dir, &["big", "-"], 10);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn non_utf8_file_names() {
    let dir = Dir::new();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.js");
    dir.create(std::path::Path::new("src").join(name), "x\n");
    smerge(&dir)
        .args(["--header", "{path}:"])
        .arg("src")
        .arg("-")
        .assert()
        .success()
        .stdout("caf\u{fffd}.js:x\n");
}

#[test]
fn manifest_records_every_part() {
    let dir = Dir::new();
    dir.create("src/a.js", "a");
    dir.create("src/b.js", "b\n");
    smerge(&dir)
        .args(["--ensure-newline", "--manifest", "m.json", "src", "out.js"])
        .assert()
        .success();
    let manifest: serde_json::Value = serde_json::from_slice(&dir.read("m.json")).unwrap();
    let parts = manifest["parts"].as_array().unwrap();
    let kinds: Vec<&str> = parts.iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["file", "separator", "file"]);
    assert_eq!(parts[2]["offset"], 2);
    assert_eq!(parts[2]["length"], 2);
    assert_eq!(parts[0]["path"], "a.js");
    assert_eq!(parts[0]["source"], "src/a.js");
    assert_eq!(
        parts[0]["sha256"],
        "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
    );
}

#[test]
fn files0_from_stdin() {
    let dir = Dir::new();
    dir.create("x.txt", "x");
    dir.create("y.txt", "y");
    smerge(&dir)
        .args(["--files0-from", "-", "out.txt"])
        .write_stdin("y.txt\0x.txt\0")
        .assert()
        .success();
    assert_bytes_eq(b"yx", &dir.read("out.txt"));
}

#[test]
fn stdin_as_an_input() {
    let dir = Dir::new();
    dir.create("a.txt", "a");
    smerge(&dir)
        .args(["a.txt", "-", "a.txt", "-"])
        .write_stdin("from stdin")
        .assert()
        .success()
        .stdout("afrom stdina");
}

#[test]
fn twenty_thousand_files() {
    let dir = Dir::new();
    std::fs::create_dir(dir.join("many")).unwrap();
    let mut expected = Vec::new();
    let mut names: Vec<String> = (0..20_000).map(|i| format!("f{i:05}")).collect();
    names.sort();
    for name in &names {
        std::fs::write(dir.join("many").join(name), name.as_bytes()).unwrap();
        expected.extend_from_slice(name.as_bytes());
    }
    smerge(&dir).args(["many", "out"]).assert().success();
    assert_bytes_eq(&expected, &dir.read("out"));
}
