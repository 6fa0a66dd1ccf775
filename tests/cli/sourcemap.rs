//! `--source-map`: the map checked by Mozilla's consumer (through Node),
//! and what the command line promises around it.

use std::path::Path;
use std::process::Command as Process;

use crate::cli::util::{Dir, smerge};

/// The Node script that checks maps with Mozilla's `source-map` package,
/// on inputs made by esbuild and terser (installed by `.ci/run`).
fn check_script() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/sourcemap/check.js"
    ))
}

#[test]
fn mozillas_consumer_maps_every_sampled_position_back() {
    let modules = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/sourcemap/node_modules"
    ));
    assert!(
        modules.join("source-map").is_dir(),
        "run `npm ci --prefix tests/sourcemap` (as .ci/run does) first"
    );
    let dir = Dir::new();
    let output = Process::new("node")
        .arg(check_script())
        .arg(env!("CARGO_BIN_EXE_smerge"))
        .arg(dir.join("work"))
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("positions checked"), "{stdout}");
}

#[test]
fn the_map_goes_beside_the_bundle_and_the_bundle_names_it() {
    let dir = Dir::new();
    dir.create("src/a.js", "a();\n//# sourceMappingURL=a.js.map\n");
    dir.create(
        "src/a.js.map",
        r#"{"version":3,"sources":["a.ts"],"names":[],"mappings":"AAAA"}"#,
    );
    dir.create("src/b.js", "b()");
    smerge(&dir)
        .args(["--source-map", "--include", "*.js", "src", "dist/app.js.gz"])
        .current_dir(dir.path())
        .assert()
        .failure();
    std::fs::create_dir(dir.join("dist")).unwrap();
    smerge(&dir)
        .args(["--source-map", "--include", "*.js", "src", "dist/app.js.gz"])
        .current_dir(dir.path())
        .assert()
        .success();
    let bundle = Process::new("gzip")
        .args(["-dc"])
        .arg(dir.join("dist/app.js.gz"))
        .output()
        .unwrap()
        .stdout;
    assert_eq!(
        String::from_utf8(bundle).unwrap(),
        "a();\nb()\n//# sourceMappingURL=app.js.map\n"
    );
    let map = String::from_utf8(dir.read("dist/app.js.map")).unwrap();
    assert!(map.contains(r#""file":"app.js""#), "{map}");
    assert!(
        map.contains(r#""sources":["../src/a.ts","../src/b.js"]"#),
        "{map}"
    );
}

#[test]
fn inline_maps_end_the_bundle_and_css_gets_its_comment() {
    let dir = Dir::new();
    dir.create("a.css", "p{}\n");
    smerge(&dir)
        .args(["--source-map=inline", "a.css", "all.css"])
        .current_dir(dir.path())
        .assert()
        .success();
    let bundle = String::from_utf8(dir.read("all.css")).unwrap();
    let prefix = "p{}\n/*# sourceMappingURL=data:application/json;charset=utf-8;base64,";
    assert!(bundle.starts_with(prefix), "{bundle}");
    assert!(bundle.ends_with(" */\n"), "{bundle}");
    assert!(!dir.join("all.css.map").exists());
    smerge(&dir)
        .args([
            "--source-map",
            "--source-map-comment",
            "none",
            "a.css",
            "none.css",
        ])
        .current_dir(dir.path())
        .assert()
        .success();
    assert_eq!(dir.read("none.css"), b"p{}\n");
    assert!(dir.join("none.css.map").exists());
}

#[test]
fn a_failed_merge_writes_no_map() {
    let dir = Dir::new();
    dir.create("a.js", "a();\n");
    dir.create("out.js.map", "old map");
    smerge(&dir)
        .args(["--source-map", "a.js", "missing.js", "out.js"])
        .current_dir(dir.path())
        .assert()
        .failure();
    assert_eq!(dir.read("out.js.map"), b"old map");
    assert!(!dir.join("out.js").exists());
    assert_eq!(dir.names("."), ["a.js", "out.js.map"]);
}

#[test]
fn flags_that_cannot_work_are_usage_errors() {
    let dir = Dir::new();
    dir.create("a.js", "a();\n");
    for args in [
        &["--source-map", "a.js", "-"][..],
        &["--source-map", "--append", "a.js", "out.js"],
        &["--sources-content", "a.js", "out.js"],
    ] {
        smerge(&dir)
            .args(args)
            .current_dir(dir.path())
            .assert()
            .code(2);
    }
    smerge(&dir)
        .args(["--source-map=a.map", "a.js", "-"])
        .current_dir(dir.path())
        .assert()
        .success()
        .stdout("a();\n//# sourceMappingURL=a.map\n");
}

#[test]
fn the_manifest_lists_the_comment_as_a_part() {
    let dir = Dir::new();
    dir.create("a.js", "a();");
    smerge(&dir)
        .args(["--source-map", "--manifest", "m.json", "a.js", "out.js"])
        .current_dir(dir.path())
        .assert()
        .success();
    let manifest: serde_json::Value = serde_json::from_slice(&dir.read("m.json")).unwrap();
    let parts = manifest["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[1]["kind"], "sourcemap-comment");
    assert_eq!(parts[1]["offset"], 4);
    assert_eq!(
        parts[1]["length"],
        "\n//# sourceMappingURL=out.js.map\n".len()
    );
}
