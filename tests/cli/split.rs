//! `smerge split`: merges taken apart again, and manifests that lie.

use std::path::Path;

use crate::cli::util::{Dir, smerge};

/// Merges `args` (inputs and output, relative to `dir`) with a manifest,
/// and returns the manifest's JSON.
fn merge_with_manifest(dir: &Dir, args: &[&str]) -> serde_json::Value {
    smerge(dir)
        .args(["--manifest", "m.json"])
        .args(args)
        .current_dir(dir.path())
        .assert()
        .success();
    serde_json::from_slice(&dir.read("m.json")).unwrap()
}

fn split(dir: &Dir, args: &[&str]) -> assert_cmd::assert::Assert {
    smerge(dir)
        .arg("split")
        .args(args)
        .current_dir(dir.path())
        .assert()
}

/// Every file under `root`, relative, with its content.
fn tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_fixture_comes_back_plain_and_compressed() {
    let dir = Dir::new();
    let sample = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/sample/scripts"
    ));
    let copy = dir.join("src");
    std::fs::create_dir(&copy).unwrap();
    for (name, content) in tree(sample) {
        dir.create(Path::new("src").join(&name), content);
    }
    dir.create("src/sub/deep/é x.js", "deep();\n");
    dir.create("src/empty.js", "");
    for (output, flags) in [
        ("all.js", &[][..]),
        ("all.js.gz", &[][..]),
        (
            "all.js.zst",
            &["--header", "/* {path} */\\n", "--separator", ";\\n"][..],
        ),
        ("all.js.xz", &["--ensure-newline"][..]),
    ] {
        let mut args = vec!["-r", "--hidden"];
        args.extend(flags);
        args.extend(["src", output]);
        merge_with_manifest(&dir, &args);
        let target = format!("restored-{output}");
        split(&dir, &["m.json", &target]).success();
        assert_eq!(tree(&dir.join(&target)), tree(&copy), "{output}");
    }
    // --from: the output moved.
    std::fs::rename(dir.join("all.js.xz"), dir.join("moved.xz")).unwrap();
    split(&dir, &["m.json", "again"]).failure();
    split(&dir, &["--from", "moved.xz", "m.json", "again"]).success();
}

#[test]
fn existing_files_are_kept_unless_forced() {
    let dir = Dir::new();
    dir.create("in/a.txt", "new\n");
    merge_with_manifest(&dir, &["in", "all.txt"]);
    dir.create("out/a.txt", "old\n");
    split(&dir, &["m.json", "out"])
        .failure()
        .stderr(predicates::str::contains("exists (--force replaces it)"));
    assert_eq!(dir.read("out/a.txt"), b"old\n");
    split(&dir, &["--force", "m.json", "out"]).success();
    assert_eq!(dir.read("out/a.txt"), b"new\n");
}

#[test]
fn tampered_manifests_are_refused_and_nothing_is_written() {
    let dir = Dir::new();
    dir.create("in/a.txt", "alpha\n");
    dir.create("in/sub/b.txt", "beta\n");
    let manifest = merge_with_manifest(&dir, &["-r", "in", "all.txt"]);
    let tamper = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut bad = manifest.clone();
        change(&mut bad);
        dir.create("bad.json", serde_json::to_vec(&bad).unwrap());
    };
    type Tamper = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Tamper)> = vec![
        (
            "not a relative path",
            Box::new(|m| m["parts"][1]["path"] = "../../escape.txt".into()),
        ),
        (
            "not a relative path",
            Box::new(|m| m["parts"][1]["path"] = "/tmp/escape.txt".into()),
        ),
        (
            "listed twice",
            Box::new(|m| m["parts"][1]["path"] = "./a.txt".into()),
        ),
        (
            "SHA-256 differs",
            Box::new(|m| m["parts"][1]["sha256"] = "0".repeat(64).into()),
        ),
        ("not at 3", Box::new(|m| m["parts"][0]["length"] = 3.into())),
        (
            "before the part's end",
            Box::new(|m| m["parts"][1]["length"] = 500.into()),
        ),
        ("not at 6", Box::new(|m| m["parts"][1]["offset"] = 2.into())),
    ];
    for (why, change) in cases {
        tamper(&*change);
        split(&dir, &["bad.json", "out"])
            .failure()
            .stderr(predicates::str::contains(why));
        assert!(!dir.join("out").exists(), "{why}: something was written");
    }
    // A symlink on the way out of the directory.
    let outside = Dir::new();
    std::fs::create_dir(dir.join("out")).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.join("out/sub")).unwrap();
    split(&dir, &["m.json", "out"])
        .failure()
        .stderr(predicates::str::contains("through a symlink"));
    assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none());
}
