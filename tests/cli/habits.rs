//! What users of cat, find, xargs, zcat and pv type by habit: `-o`, lists
//! of inputs, `-k` over rotated logs, `--eol crlf`, `--manifest -`,
//! compressed inputs, `--json`, `--strict`, `-v`, URL-like arguments.

use std::process::Command;

use predicates::prelude::*;

use super::util::{Dir, assert_bytes_eq, cat, data, smerge};

fn tree(dir: &Dir) -> Vec<&'static str> {
    let names = vec!["src/a b.js", "src/lib/c.js", "src/lib/d e.js", "src/z.js"];
    for (i, name) in names.iter().enumerate() {
        dir.create(name, format!("file {i}: {name}\n"));
    }
    names
}

/// Runs `script` with `sh -c` in `dir`, smerge first on PATH.
fn shell(dir: &Dir, script: &str) -> std::process::Output {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_smerge"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    Command::new("sh")
        .args(["-c", script])
        .env("PATH", path)
        .current_dir(dir.path())
        .output()
        .unwrap()
}

#[test]
fn xargs_with_dash_o_treats_every_path_as_an_input() {
    let dir = Dir::new();
    let names = tree(&dir);
    let output = shell(
        &dir,
        "find src -type f -print0 | LC_ALL=C sort -z | xargs -0 smerge -o all.js",
    );
    assert!(output.status.success(), "{output:?}");
    let mut sorted = names.clone();
    sorted.sort();
    assert_bytes_eq(&cat(&dir, &sorted), &dir.read("all.js"));
    // -o after the inputs, and -o - for standard output.
    smerge(&dir)
        .args(["src/z.js", "src/a b.js", "-o", "-"])
        .assert()
        .success()
        .stdout("file 3: src/z.js\nfile 0: src/a b.js\n");
}

#[test]
fn newline_lists_with_spaces_in_names() {
    let dir = Dir::new();
    let names = tree(&dir);
    dir.create("list.txt", names.join("\n") + "\n");
    smerge(&dir)
        .args(["--files-from", "list.txt", "out.js"])
        .assert()
        .success();
    assert_bytes_eq(&cat(&dir, &names), &dir.read("out.js"));
    // From standard input, with -o.
    smerge(&dir)
        .args(["--files-from", "-", "-o", "-"])
        .write_stdin("src/z.js\n\nsrc/lib/d e.js\n")
        .assert()
        .success()
        .stdout("file 3: src/z.js\nfile 2: src/lib/d e.js\n");
    // The output is OUTPUT, never an input: without one, standard output.
    smerge(&dir)
        .args(["--files-from", "list.txt"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("file 0: src/a b.js\n"));
}

#[test]
fn a_list_with_input_operands_is_a_usage_error_and_writes_nothing() {
    let dir = Dir::new();
    tree(&dir);
    dir.create("list.txt", "src/z.js\n");
    dir.create("list0", "src/z.js\0");
    for args in [
        &["--files-from", "list.txt", "src/a b.js", "out.js"][..],
        &["--files0-from", "list0", "src/a b.js", "out.js"],
        &["--files-from", "list.txt", "-o", "out.js", "src/a b.js"],
        &["--files0-from", "list0", "-o", "out.js", "src"],
    ] {
        smerge(&dir)
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("reads the inputs from a list"));
        assert!(!dir.join("out.js").exists(), "{args:?}");
    }
    smerge(&dir)
        .args([
            "--files-from",
            "list.txt",
            "--files0-from",
            "list0",
            "out.js",
        ])
        .assert()
        .code(2);
}

/// Ten rotated logs, gzip-compressed by the system's gzip; the sixth
/// truncated. Returns the plain text of the nine others, in order.
fn rotated_logs(dir: &Dir) -> Vec<u8> {
    let mut expected = Vec::new();
    for i in 0..10 {
        let text: String = (0..20_000)
            .map(|n| format!("host{i} request {n} served\n"))
            .collect();
        let path = dir.create(format!("logs/app.{i:02}.log"), &text);
        let status = Command::new("gzip").arg(&path).status().unwrap();
        assert!(status.success());
        if i == 5 {
            let gz = dir.join("logs/app.05.log.gz");
            let bytes = std::fs::read(&gz).unwrap();
            std::fs::write(&gz, &bytes[..bytes.len() / 2]).unwrap();
        } else {
            expected.extend_from_slice(text.as_bytes());
        }
    }
    expected
}

#[test]
fn a_truncated_gz_among_ten_is_cut_out_with_one_warning_and_exit_1() {
    let dir = Dir::new();
    let expected = rotated_logs(&dir);
    dir.create("all.log", "old");
    let output = smerge(&dir)
        .args([
            "-k",
            "--decompress",
            "--manifest",
            "m.json",
            "logs",
            "all.log",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let warnings: Vec<&str> = stderr.lines().collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].starts_with("smerge: warning: skipping reading logs/app.05.log.gz: ")
            && warnings[0].contains("after ")
            && warnings[0].contains("cut back out"),
        "{stderr}"
    );
    assert_bytes_eq(&expected, &dir.read("all.log"));
    let manifest: serde_json::Value = serde_json::from_slice(&dir.read("m.json")).unwrap();
    assert_eq!(manifest["parts"].as_array().unwrap().len(), 9);
    assert_eq!(manifest["skipped"][0]["path"], "app.05.log.gz");
    assert!(
        manifest["skipped"][0]["error"]
            .as_str()
            .unwrap()
            .contains("gzip")
    );

    // Standard output appended to a file (`>>`): cut back to where it
    // stood, what was there before kept.
    let output = shell(
        &dir,
        "printf 'kept\\n' > appended && smerge -k --decompress logs - >> appended",
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_bytes_eq(&[&b"kept\n"[..], &expected].concat(), &dir.read("appended"));

    // Into a pipe, what decoded stays: byte for byte what zcat prints.
    let output = smerge(&dir)
        .args(["-k", "--decompress", "logs", "-"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.len() > expected.len());
    assert!(output.stdout.ends_with(b"host9 request 19999 served\n"));
    let zcat = shell(
        &dir,
        "for f in logs/*; do gzip -dc \"$f\" 2>/dev/null; done",
    );
    assert_bytes_eq(&zcat.stdout, &output.stdout);
    // Without -k, an error and the old output.
    smerge(&dir)
        .args(["--decompress", "logs", "all.log"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("app.05.log.gz"));
    assert_bytes_eq(&expected, &dir.read("all.log"));
}

#[test]
fn eol_crlf_applies_to_every_text_the_merge_adds() {
    let dir = Dir::new();
    dir.create("in/a.txt", "a1\na2");
    dir.create("in/b.txt", "b1\r\nb2\n");
    let output = smerge(&dir)
        .args([
            "--eol",
            "crlf",
            "--ensure-newline",
            "--banner",
            "banner\\n",
            "--header",
            "// {name}\\n",
            "--separator",
            "\\n",
            "--footer",
            "footer\\n",
            "in",
            "-",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_bytes_eq(
        b"banner\r\n// a.txt\r\na1\r\na2\r\n\r\n// b.txt\r\nb1\r\nb2\r\nfooter\r\n",
        &output.stdout,
    );
    let text = &output.stdout;
    for (at, &byte) in text.iter().enumerate() {
        assert!(byte != b'\n' || text[at - 1] == b'\r', "a bare LF at {at}");
    }
    // And --eol lf takes CRLF out of them.
    smerge(&dir)
        .args(["--eol", "lf", "--separator", "\\r\\n", "in", "-"])
        .assert()
        .success()
        .stdout("a1\na2\nb1\nb2\n");
}

#[test]
fn manifest_to_standard_output_is_valid_json_for_a_real_parser() {
    let dir = Dir::new();
    tree(&dir);
    let output = shell(
        &dir,
        "smerge -r --header '// {path}\\n' -o all.js --manifest - src | node -e '
            const m = JSON.parse(require(\"fs\").readFileSync(0, \"utf8\"));
            const files = m.parts.filter(p => p.kind === \"file\");
            const end = m.parts.reduce((n, p) => n + p.length, 0);
            console.log(m.output, files.length, files[1].path, files[1].source, end);
        '",
    );
    assert!(output.status.success(), "{output:?}");
    let size = dir.read("all.js").len();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!("all.js 4 lib/c.js src/lib/c.js {size}\n")
    );
    assert!(!dir.join("-").exists());
    // Both on standard output: a usage error.
    smerge(&dir)
        .args(["--manifest", "-", "src", "-"])
        .assert()
        .code(2);
}

#[test]
fn compressed_inputs_among_others_are_a_warning_and_strict_makes_it_an_error() {
    let dir = Dir::new();
    dir.create("in/a.txt", "plain\n");
    let b = dir.create("in/b.txt", "zipped\n");
    assert!(Command::new("gzip").arg(&b).status().unwrap().success());
    smerge(&dir)
        .args(["in", "out.gz"])
        .assert()
        .success()
        .stderr(
            predicate::str::contains("in/b.txt.gz: gzip-compressed data would be compressed again")
                .and(predicate::str::contains("--decompress")),
        );
    dir.create("out.gz", "old");
    smerge(&dir)
        .args(["--strict", "in", "out.gz"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("in/b.txt.gz"));
    assert_eq!(dir.read("out.gz"), b"old");

    // .gz inputs into .zst.
    smerge(&dir)
        .args(["in/b.txt.gz", "out.zst"])
        .assert()
        .success()
        .stderr(predicate::str::contains("inside the zstd output"));
    // Every input .gz into .gz, with a level that cannot apply.
    smerge(&dir)
        .args(["--level", "9", "in/b.txt.gz", "in/b.txt.gz", "twice.gz"])
        .assert()
        .success()
        .stderr(
            predicate::str::contains("concatenating them as they are")
                .and(predicate::str::contains("compression level 9 ignored")),
        );
}

#[test]
fn threads_choose_how_many_cores_compress() {
    let dir = Dir::new();
    dir.create("in/a.bin", data(7, 3 << 20));
    for (threads, name) in [("1", "one.gz"), ("3", "three.gz"), ("2", "two.zst")] {
        smerge(&dir)
            .args(["-T", threads, "in", name])
            .assert()
            .success();
    }
    let decompress = |tool: &str, name: &str| {
        let output = Command::new(tool)
            .args(["-dc", name])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(output.status.success());
        output.stdout
    };
    let input = dir.read("in/a.bin");
    assert_bytes_eq(&input, &decompress("gzip", "one.gz"));
    assert_bytes_eq(&input, &decompress("gzip", "three.gz"));
    assert_bytes_eq(&input, &decompress("zstd", "two.zst"));
    // 0 is every core, as zstd -T0 and xz -T0 have it.
    smerge(&dir)
        .args(["-T0", "in", "all.zst"])
        .assert()
        .success();
    assert_bytes_eq(&input, &decompress("zstd", "all.zst"));
    smerge(&dir)
        .args(["-T", "x", "in", "x.gz"])
        .assert()
        .code(2);
    for (threads, name) in [("1", "pipe.gz"), ("0", "pipe0.gz")] {
        smerge(&dir)
            .args(["pipe", "-T", threads, "in/a.bin", name, "-t", "gzip"])
            .assert()
            .success();
        assert_bytes_eq(&input, &decompress("gzip", name));
    }
}

#[test]
fn dry_run_json_shows_the_plan_and_json_the_summary() {
    let dir = Dir::new();
    dir.create("in/a", "12");
    dir.create("in/b", "345");
    let output = smerge(&dir)
        .args(["--dry-run", "--json", "in", "out.gz"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(plan["total"], 5);
    assert_eq!(plan["path"], "stream");
    assert_eq!(plan["codec"], "gzip");
    assert_eq!(plan["level"], 6);
    assert_eq!(plan["inputs"][0]["source"], "in/a");
    assert_eq!(plan["inputs"][1]["size"], 3);
    assert!(!dir.join("out.gz").exists());

    let output = smerge(&dir)
        .args(["--json", "in", "out.txt"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["bytes"], 5);
    assert_eq!(summary["inputs"], 2);
    assert_eq!(summary["path"], "kernel");
    assert_eq!(summary["skipped"], serde_json::json!([]));
    assert!(summary["seconds"].as_f64().unwrap() >= 0.0);
    smerge(&dir).args(["--json", "in", "-"]).assert().code(2);
}

#[test]
fn verbose_prints_a_summary_line() {
    let dir = Dir::new();
    dir.create("in/a", "12");
    dir.create("in/b", "345");
    smerge(&dir)
        .args(["-v", "in", "out.txt"])
        .assert()
        .success()
        .stderr(
            predicate::str::is_match(
                r"^smerge: 2 inputs, 5 B in \d+\.\d\d s \(.*/s\), kernel path\n$",
            )
            .unwrap(),
        );
}

#[test]
fn verbose_pipe_says_what_it_read() {
    let dir = Dir::new();
    dir.create("in.txt", "x".repeat(3000));
    smerge(&dir)
        .args(["pipe", "-v", "in.txt", "out.gz", "-t", "gzip"])
        .assert()
        .success()
        .stderr(
            predicate::str::is_match(r"^smerge: read 2\.9 KiB in \d+\.\d\d s \(.*/s\)\n$").unwrap(),
        );
}

#[test]
fn url_like_arguments_with_unknown_schemes_are_errors() {
    let dir = Dir::new();
    dir.create("in/a", "a");
    for args in [
        &["udp://127.0.0.1:9", "out"][..],
        &["in", "http://example.com/out"],
        &["pipe", "in/a", "udp://127.0.0.1:9"],
    ] {
        smerge(&dir)
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("unknown scheme"));
    }
    assert_eq!(dir.names(""), ["in"]);
}

#[test]
fn validation_errors_come_before_any_warning() {
    let dir = Dir::new();
    dir.create("in/a", "a");
    dir.create("in/sub/b", "b");
    smerge(&dir)
        .args(["--level", "12", "in", "out.gz"])
        .assert()
        .code(2)
        .stderr("smerge: gzip level must be 1-9, got 12\n");
    smerge(&dir)
        .args(["--header", "{nope}", "in", "out"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("warning").not());
}

#[test]
fn mistyped_transforms_get_a_suggestion() {
    let dir = Dir::new();
    smerge(&dir)
        .args(["pipe", "-t", "gunzp"])
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean \"gunzip\"?"));
}
