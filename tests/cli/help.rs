//! Help, version, completions and the manual page.

use predicates::prelude::*;

use super::util::{Dir, smerge};

#[test]
fn help_has_examples_and_explains_the_default_command() {
    let dir = Dir::new();
    smerge(&dir).arg("--help").assert().success().stdout(
        predicate::str::contains("Examples:")
            .and(predicate::str::contains("smerge merge pipe out.js")),
    );
    smerge(&dir)
        .args(["pipe", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--list-transforms"));
}

#[test]
fn version() {
    let dir = Dir::new();
    smerge(&dir)
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("smerge "));
}

#[test]
fn completions_for_each_shell() {
    let dir = Dir::new();
    for shell in ["bash", "zsh", "fish"] {
        smerge(&dir)
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("files0-from"));
    }
}

#[test]
fn manual_page_is_roff() {
    let dir = Dir::new();
    smerge(&dir)
        .arg("--man")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(".ie").and(predicate::str::contains(".TH smerge 1")));
}

#[test]
fn a_directory_named_like_a_subcommand() {
    let dir = Dir::new();
    dir.create("pipe/a.txt", "a");
    smerge(&dir)
        .args(["merge", "pipe", "-"])
        .assert()
        .success()
        .stdout("a");
    smerge(&dir)
        .args(["./pipe", "-"])
        .assert()
        .success()
        .stdout("a");
}

#[test]
fn names_with_a_newline_or_a_leading_dash() {
    let dir = Dir::new();
    dir.create("in/-x.txt", "dash ");
    dir.create("in/new\nline.txt", "newline");
    smerge(&dir)
        .args(["in", "-"])
        .assert()
        .success()
        .stdout("dash newline");
    smerge(&dir)
        .args(["--", "in/-x.txt", "-"])
        .assert()
        .success()
        .stdout("dash ");
}
