//! The README's main job on the bundled sample, against golden outputs.

use std::path::PathBuf;

use super::util::{Dir, assert_bytes_eq, smerge};

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample")
}

#[test]
fn plain_merge_matches_the_golden_bundle() {
    let dir = Dir::new();
    smerge(&dir)
        .arg("-r")
        .arg(sample().join("scripts"))
        .arg("bundle.js")
        .assert()
        .success();
    let golden = std::fs::read(sample().join("expected/bundle.js")).unwrap();
    assert_bytes_eq(&golden, &dir.read("bundle.js"));
}

#[test]
fn cleaned_merge_matches_the_golden_bundle() {
    let dir = Dir::new();
    smerge(&dir)
        .args(["-r", "--ensure-newline", "--bom", "strip", "--eol", "lf"])
        .args(["--header", "/* {path} */\\n"])
        .arg(sample().join("scripts"))
        .arg("bundle-clean.js")
        .assert()
        .success();
    let golden = std::fs::read(sample().join("expected/bundle-clean.js")).unwrap();
    assert_bytes_eq(&golden, &dir.read("bundle-clean.js"));
}

#[test]
fn hidden_files_only_with_hidden() {
    let dir = Dir::new();
    let out = smerge(&dir)
        .args(["--hidden", "--dry-run"])
        .arg(sample().join("scripts"))
        .arg("-")
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&out.get_output().stdout).contains(".eslintrc.js"));
    let out = smerge(&dir)
        .arg("--dry-run")
        .arg(sample().join("scripts"))
        .arg("-")
        .assert()
        .success();
    let listed = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        listed.contains("app.js") && !listed.contains(".eslintrc.js"),
        "{listed}"
    );
}
