//! Every input and output option of `smerge merge`, through the real binary.

use std::process::{Command, Stdio};

use predicates::prelude::*;

use super::util::{Dir, assert_bytes_eq, smerge};

#[test]
fn include_and_exclude_by_name_and_by_path() {
    let dir = Dir::new();
    dir.create("src/a.js", "a;");
    dir.create("src/a.css", "css;");
    dir.create("src/lib/b.js", "b;");
    dir.create("src/lib/test/c.js", "c;");
    smerge(&dir)
        .args(["-r", "--include", "*.js", "src", "-"])
        .assert()
        .success()
        .stdout("a;b;c;");
    smerge(&dir)
        .args([
            "-r",
            "--include",
            "*.js",
            "--exclude",
            "lib/test/*",
            "src",
            "-",
        ])
        .assert()
        .success()
        .stdout("a;b;");
    smerge(&dir)
        .args(["-r", "--exclude", "test", "src", "-"])
        .assert()
        .success()
        .stdout("css;a;b;");
}

#[test]
fn first_and_last_pins() {
    let dir = Dir::new();
    for name in ["a", "b", "main", "polyfill"] {
        dir.create(format!("src/{name}.js"), format!("{name};"));
    }
    smerge(&dir)
        .args(["--first", "polyfill.js", "--last", "main.js", "src", "-"])
        .assert()
        .success()
        .stdout("polyfill;a;b;main;");
}

#[test]
fn hidden_and_gitignore() {
    let dir = Dir::new();
    dir.create("src/.env.js", "env;");
    dir.create("src/.gitignore", "build.js\n");
    dir.create("src/build.js", "build;");
    dir.create("src/app.js", "app;");
    smerge(&dir)
        .args(["src", "-"])
        .assert()
        .success()
        .stdout("app;build;");
    smerge(&dir)
        .args(["--gitignore", "src", "-"])
        .assert()
        .success()
        .stdout("app;");
    smerge(&dir)
        .args(["--hidden", "--exclude", ".gitignore", "src", "-"])
        .assert()
        .success()
        .stdout("env;app;build;");
}

#[test]
fn symlinked_directories_only_with_follow_links() {
    let dir = Dir::new();
    dir.create("real/x.js", "x;");
    dir.create("src/a.js", "a;");
    std::os::unix::fs::symlink("../real", dir.join("src/linked")).unwrap();
    std::os::unix::fs::symlink("../src", dir.join("src/loop")).unwrap();
    smerge(&dir)
        .args(["-r", "src", "-"])
        .assert()
        .success()
        .stdout("a;");
    smerge(&dir)
        .args(["-r", "--follow-links", "src", "-"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("loop"));
    smerge(&dir)
        .args(["-r", "--follow-links", "--keep-going", "src", "-"])
        .assert()
        .code(1)
        .stdout("a;x;");
}

#[test]
fn fifos_in_a_directory_are_skipped_with_a_warning() {
    let dir = Dir::new();
    dir.create("src/a.js", "a;");
    dir.fifo("src/pipe");
    smerge(&dir)
        .args(["src", "-"])
        .assert()
        .success()
        .stdout("a;")
        .stderr(predicate::str::contains("pipe"));
}

#[test]
fn append_adds_to_the_output() {
    let dir = Dir::new();
    dir.create("out.log", "old\n");
    dir.create("src/a.log", "new\n");
    smerge(&dir)
        .args(["--append", "src", "out.log"])
        .assert()
        .success();
    assert_bytes_eq(b"old\nnew\n", &dir.read("out.log"));
}

#[test]
fn a_symlinked_output_replaces_its_destination() {
    let dir = Dir::new();
    dir.create("dist/bundle.v2.js", "old");
    std::os::unix::fs::symlink("dist/bundle.v2.js", dir.join("bundle.js")).unwrap();
    dir.create("src/a.js", "new");
    smerge(&dir).args(["src", "bundle.js"]).assert().success();
    assert!(
        std::fs::symlink_metadata(dir.join("bundle.js"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_bytes_eq(b"new", &dir.read("dist/bundle.v2.js"));
}

#[test]
fn a_fifo_output_is_written_in_place() {
    let dir = Dir::new();
    dir.create("src/a.txt", "through the fifo");
    let fifo = dir.fifo("out.fifo");
    let reader = std::thread::spawn(move || std::fs::read(&fifo).unwrap());
    smerge(&dir).args(["src", "out.fifo"]).assert().success();
    assert_bytes_eq(b"through the fifo", &reader.join().unwrap());
}

#[test]
fn stdout_redirected_into_the_input_directory_is_not_read() {
    let dir = Dir::new();
    dir.create("src/a.txt", "a\n");
    dir.create("src/z.txt", "z\n");
    let out = std::fs::File::create(dir.join("src/m.txt")).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_smerge"))
        .args(["src", "-"])
        .current_dir(dir.path())
        .stdout(Stdio::from(out))
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("m.txt"));
    assert_bytes_eq(b"a\nz\n", &dir.read("src/m.txt"));
}

#[test]
fn several_inputs_merge_in_the_order_given() {
    let dir = Dir::new();
    dir.create("one.txt", "1");
    dir.create("d/b.txt", "b");
    dir.create("d/a.txt", "a");
    dir.create("two.txt", "2");
    smerge(&dir)
        .args(["two.txt", "d", "one.txt", "-"])
        .assert()
        .success()
        .stdout("2ab1");
}

#[test]
fn missing_input_writes_nothing() {
    let dir = Dir::new();
    dir.create("a.txt", "a");
    smerge(&dir)
        .args(["a.txt", "nope.txt", "out.txt"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nope.txt").and(predicate::str::contains("No such file")));
    assert!(!dir.join("out.txt").exists());
}
