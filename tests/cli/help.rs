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

/// The long options `smerge ARGS --help` lists.
fn long_options(dir: &Dir, args: &[&str]) -> Vec<String> {
    let output = smerge(dir).args(args).arg("--help").output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    let mut options: Vec<String> = help
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|word| word.starts_with("--") && word.len() > 2)
        .map(str::to_owned)
        .collect();
    options.sort();
    options.dedup();
    options
}

#[test]
fn completions_complete_the_default_command_and_transform_names() {
    let dir = Dir::new();
    let merge_options = long_options(&dir, &["merge"]);
    assert!(merge_options.len() > 30, "{merge_options:?}");
    for shell in ["bash", "zsh", "fish"] {
        let output = smerge(&dir).args(["completions", shell]).output().unwrap();
        let script = String::from_utf8(output.stdout).unwrap();
        for option in &merge_options {
            assert!(
                script.contains(option.trim_start_matches('-')),
                "{shell}: {option}"
            );
        }
    }
    // bash: `smerge --inc<TAB>` completes from the top-level list.
    let output = smerge(&dir).args(["completions", "bash"]).output().unwrap();
    let script = String::from_utf8(output.stdout).unwrap();
    let top = script
        .lines()
        .skip_while(|line| line.trim() != "smerge)")
        .nth(1)
        .unwrap();
    for option in &merge_options {
        assert!(top.contains(&format!(" {option} ")), "top level: {option}");
    }
    for value in [
        "natural",
        "strip-inner",
        "crlf",
        "zstd",
        "gunzip",
        "exec:",
        "eol:crlf",
    ] {
        assert!(script.contains(value), "{value}");
    }
}

#[test]
fn the_manual_page_holds_every_long_option_of_every_subcommand() {
    let dir = Dir::new();
    let output = smerge(&dir).arg("--man").output().unwrap();
    assert!(output.status.success());
    let page = String::from_utf8(output.stdout)
        .unwrap()
        .replace("\\-", "-");
    assert!(page.starts_with(".ie") && page.contains(".TH smerge 1"));
    for sub in [&[][..], &["merge"], &["pipe"], &["completions"]] {
        let options = long_options(&dir, sub);
        assert!(!options.is_empty());
        for option in options {
            assert!(page.contains(&option), "{sub:?}: {option}");
        }
    }
    for section in [
        "SMERGE MERGE",
        "SMERGE PIPE",
        "SMERGE COMPLETIONS",
        "EXAMPLES",
    ] {
        assert!(page.contains(section), "{section}");
    }
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

#[test]
fn help_and_readme_name_the_same_escapes() {
    let dir = Dir::new();
    let output = smerge(&dir).args(["merge", "--help"]).output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let line = readme
        .lines()
        .find(|line| line.starts_with("The escapes "))
        .expect("the README names the escapes");
    for escape in ["\\n", "\\t", "\\r", "\\0", "\\\\"] {
        assert!(line.contains(&format!("`{escape}`")), "README: {escape}");
        assert!(
            help.contains(&format!("{escape} ")) || help.contains(&format!("{escape})")),
            "--help: {escape}"
        );
    }
    // And the program accepts each of them.
    dir.create("a", "a");
    smerge(&dir)
        .args(["--separator", "\\n\\t\\r\\0\\\\", "a", "a", "-"])
        .assert()
        .success()
        .stdout("a\n\t\r\0\\a");
}
