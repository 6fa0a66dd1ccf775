//! `--format csv|tsv|ndjson|json` through the real binary, checked against
//! csvkit's `csvstack`, `xsv` and `jq` where they define the answer.

use std::process::Command;

use super::util::{Dir, assert_bytes_eq, smerge};

/// Runs `program args…` in `dir` and returns its standard output.
fn tool(dir: &Dir, program: &str, args: &[&str]) -> Vec<u8> {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir.path())
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed for this test (.ci/run installs it): {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Tables with quoted separators, quoted newlines, CRLF, a BOM and no
/// final newline.
fn tricky_tables(dir: &Dir) {
    dir.create(
        "a.csv",
        "id,name,note\r\n1,ann,\"two\r\nlines\"\r\n2,bob,plain\r\n",
    );
    dir.create(
        "b.csv",
        "\u{feff}id,name,note\n3,\"c, d\",\"say \"\"hi\"\"\"\n4,eve,last",
    );
    dir.create("c.csv", "id,name,note\n");
}

#[test]
fn identical_headers_give_csvstacks_rows_with_the_bytes_as_they_were() {
    let dir = Dir::new();
    tricky_tables(&dir);
    smerge(&dir)
        .args(["--format", "csv", "a.csv", "b.csv", "c.csv", "out.csv"])
        .assert()
        .success();
    // The rows are copied as they were (CRLF kept, the BOM gone, a final
    // newline added)...
    assert_bytes_eq(
        b"id,name,note\r\n1,ann,\"two\r\nlines\"\r\n2,bob,plain\r\n3,\"c, d\",\"say \"\"hi\"\"\"\n4,eve,last\n",
        &dir.read("out.csv"),
    );
    // ...and they are csvstack's rows.
    let expected = tool(&dir, "csvstack", &["a.csv", "b.csv", "c.csv"]);
    let got = tool(&dir, "csvformat", &["out.csv"]);
    assert_bytes_eq(&expected, &got);
}

#[test]
fn identical_headers_agree_with_xsv_cat_rows() {
    let dir = Dir::new();
    let mut names = Vec::new();
    for i in 0..20 {
        let mut text = String::from("when,who,what\n");
        for row in 0..50 {
            text.push_str(&format!(
                "{i}-{row},\"user, {row}\",\"said \"\"{i}\"\"\nand more\"\n"
            ));
        }
        names.push(format!("t{i:02}.csv"));
        dir.create(&names[i], text);
    }
    let mut args: Vec<&str> = vec!["--format", "csv"];
    args.extend(names.iter().map(String::as_str));
    args.push("out.csv");
    smerge(&dir).args(&args).assert().success();
    let mut xsv_args = vec!["cat", "rows"];
    xsv_args.extend(names.iter().map(String::as_str));
    let expected = tool(&dir, "xsv", &xsv_args);
    assert_bytes_eq(&expected, &dir.read("out.csv"));
}

#[test]
fn a_different_header_is_an_error_naming_both() {
    let dir = Dir::new();
    dir.create("a.csv", "id,name\n1,ann\n");
    dir.create("b.csv", "id,email\n2,b@example.com\n");
    let output = smerge(&dir)
        .args(["--format", "csv", "a.csv", "b.csv", "out.csv"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("b.csv"), "{stderr}");
    assert!(
        stderr.contains("'id,email'") && stderr.contains("'id,name'"),
        "{stderr}"
    );
    assert!(stderr.contains("a.csv"), "{stderr}");
    assert!(!dir.join("out.csv").exists());
}

#[test]
fn union_and_intersect_match_columns_by_name() {
    let dir = Dir::new();
    dir.create("a.csv", "id,name\n1,ann\n");
    dir.create("b.csv", "name,email,id\nbob,b@example.com,2\n");
    dir.create("c.tsv", "");
    smerge(&dir)
        .args([
            "--format",
            "csv",
            "--columns",
            "union",
            "a.csv",
            "b.csv",
            "-",
        ])
        .assert()
        .success()
        .stdout("id,name,email\n1,ann,\n2,bob,b@example.com\n");
    smerge(&dir)
        .args([
            "--format",
            "csv",
            "--columns",
            "intersect",
            "--add-source",
            "file",
            "a.csv",
            "b.csv",
            "-",
        ])
        .assert()
        .success()
        .stdout("id,name,file\n1,ann,a.csv\n2,bob,b.csv\n");
}

#[test]
fn union_of_large_shuffled_tables_agrees_with_xsv_select_then_cat() {
    // Two tables of more than a megabyte (the rows are moved a block at a
    // time), one with CRLF, quoted separators, newlines and quotes, and a
    // row late in the second that the block check leaves to csv-core.
    let dir = Dir::new();
    let mut a = String::from("id,note,city\r\n");
    let mut b = String::from("city,id,note\n");
    for i in 0..30_000 {
        a.push_str(&format!("a{i},\"say \"\"hi\"\" {i}\",\"Paris, FR\"\r\n"));
        let note = if i % 7 == 0 {
            format!("\"two\nlines, {i}\"")
        } else {
            format!("a plain note, number {i:06}, of some words").replace(',', ";")
        };
        b.push_str(&format!("Oslo,b{i},{note}\n"));
        if i == 25_000 {
            b.push_str("Rome,\"b\"x,after a stray quote\n");
        }
    }
    assert!(a.len() > 1 << 20 && b.len() > 1 << 20);
    dir.create("a.csv", &a);
    dir.create("b.csv", &b);
    smerge(&dir)
        .args([
            "--format",
            "csv",
            "--columns",
            "union",
            "a.csv",
            "b.csv",
            "out.csv",
        ])
        .assert()
        .success();
    for (input, selected) in [("a.csv", "a.sel.csv"), ("b.csv", "b.sel.csv")] {
        let columns = tool(&dir, "xsv", &["select", "id,note,city", input]);
        dir.create(selected, columns);
    }
    let expected = tool(&dir, "xsv", &["cat", "rows", "a.sel.csv", "b.sel.csv"]);
    // xsv writes both with its own quoting, so only the values are compared.
    assert_bytes_eq(&expected, &tool(&dir, "xsv", &["select", "1-", "out.csv"]));
}

#[test]
fn a_row_with_the_wrong_width_is_an_error_or_skipped_under_keep_going() {
    let dir = Dir::new();
    dir.create("a.csv", "x,y\n1,2\n");
    dir.create("b.csv", "x,y\n3,4\n\"5\n\",6,7\n8,9\n");
    let output = smerge(&dir)
        .args(["--format", "csv", "a.csv", "b.csv", "out.csv"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("b.csv") && stderr.contains("line 3 has 3 fields"),
        "{stderr}"
    );
    assert!(!dir.join("out.csv").exists());

    let output = smerge(&dir)
        .args(["-k", "--format", "csv", "a.csv", "b.csv", "out.csv"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stderr_of(&output).matches("line 3 has 3 fields").count(), 1);
    assert_bytes_eq(b"x,y\n1,2\n3,4\n8,9\n", &dir.read("out.csv"));
}

#[test]
fn tsv_and_other_delimiters() {
    let dir = Dir::new();
    dir.create("a.tsv", "a\tb\n1\t\"x\ty\"\n");
    dir.create("b.tsv", "a\tb\n2\tz\n");
    smerge(&dir)
        .args(["--format", "auto", "a.tsv", "b.tsv", "out.tsv"])
        .assert()
        .success();
    assert_bytes_eq(b"a\tb\n1\t\"x\ty\"\n2\tz\n", &dir.read("out.tsv"));
    dir.create("a.csv", "a;b\n1;\"x;y\"\n");
    dir.create("b.csv", "a,b\n2,z\n");
    smerge(&dir)
        .args(["--format", "csv", "a.csv", "b.csv", "-"])
        .assert()
        .success()
        .stdout("a;b\n1;\"x;y\"\n2;z\n");
    smerge(&dir)
        .args(["--format", "csv", "--delimiter", ";", "a.csv", "-"])
        .assert()
        .success()
        .stdout("a;b\n1;\"x;y\"\n");
}

#[test]
fn a_compressed_csv_output_decodes_with_gzip() {
    let dir = Dir::new();
    tricky_tables(&dir);
    smerge(&dir)
        .args(["--format", "auto", "a.csv", "b.csv", "out.csv.gz"])
        .assert()
        .success();
    let plain = tool(&dir, "gzip", &["-dc", "out.csv.gz"]);
    smerge(&dir)
        .args(["--format", "csv", "a.csv", "b.csv", "out.csv"])
        .assert()
        .success();
    assert_bytes_eq(&dir.read("out.csv"), &plain);
}

#[test]
fn ndjson_lines_are_checked_and_ended() {
    let dir = Dir::new();
    dir.create("a.ndjson", "{\"a\":1}\n\n  \n{\"b\":[1,2]}");
    dir.create("b.ndjson", "\"text\"\r\n[]\r\n{\"c\":{\"d\":null}}\n");
    dir.create("bom.ndjson", "\u{feff}{\"e\":5}\n");
    smerge(&dir)
        .args(["--format", "ndjson", "a.ndjson", "b.ndjson", "out.ndjson"])
        .assert()
        .success();
    let got = dir.read("out.ndjson");
    assert_bytes_eq(
        b"{\"a\":1}\n{\"b\":[1,2]}\n\"text\"\n[]\n{\"c\":{\"d\":null}}\n",
        &got,
    );
    let expected = tool(&dir, "jq", &["-c", ".", "a.ndjson", "b.ndjson"]);
    assert_bytes_eq(&expected, &tool(&dir, "jq", &["-c", ".", "out.ndjson"]));
    smerge(&dir)
        .args(["--format", "ndjson", "bom.ndjson", "a.ndjson", "-"])
        .assert()
        .success()
        .stdout("{\"e\":5}\n{\"a\":1}\n{\"b\":[1,2]}\n");
}

#[test]
fn an_invalid_ndjson_line_names_the_file_and_line() {
    let dir = Dir::new();
    dir.create("a.ndjson", "{\"a\":1}\n{\"b\":\n");
    let output = smerge(&dir)
        .args(["--format", "ndjson", "a.ndjson", "out.ndjson"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("a.ndjson") && stderr.contains("line 2"),
        "{stderr}"
    );
    assert!(!dir.join("out.ndjson").exists());
    smerge(&dir)
        .args(["-k", "--format", "ndjson", "a.ndjson", "-"])
        .assert()
        .code(1)
        .stdout("{\"a\":1}\n");
}

#[test]
fn ndjson_add_source_adds_a_field_to_objects() {
    let dir = Dir::new();
    dir.create("a.ndjson", "{\"a\":1}\n{}\n");
    smerge(&dir)
        .args([
            "--format",
            "ndjson",
            "--add-source",
            "from",
            "a.ndjson",
            "-",
        ])
        .assert()
        .success()
        .stdout("{\"a\":1,\"from\":\"a.ndjson\"}\n{\"from\":\"a.ndjson\"}\n");
}

#[test]
fn json_arrays_are_joined_element_by_element() {
    let dir = Dir::new();
    dir.create("a.json", "[1, {\"x\": [2, 3]},\n  \"s\"]");
    dir.create("b.json", "{\"single\": true}\n");
    dir.create("c.json", "[[1], [2, [3]]]");
    dir.create("d.json", "[]");
    smerge(&dir)
        .args([
            "--format", "json", "a.json", "b.json", "c.json", "d.json", "out.json",
        ])
        .assert()
        .success();
    let expected = tool(
        &dir,
        "jq",
        &[
            "-c",
            "-s",
            "map(if type == \"array\" then .[] else . end)",
            "a.json",
            "b.json",
            "c.json",
            "d.json",
        ],
    );
    assert_bytes_eq(&expected, &tool(&dir, "jq", &["-c", ".", "out.json"]));
    smerge(&dir)
        .args(["--format", "json", "d.json", "-"])
        .assert()
        .success()
        .stdout("[]\n");
    dir.create("bom.json", "\u{feff}[7]");
    smerge(&dir)
        .args(["--format", "json", "bom.json", "-"])
        .assert()
        .success()
        .stdout("[\n7\n]\n");
}

#[test]
fn invalid_json_is_an_error_and_deep_nesting_is_streamed() {
    let dir = Dir::new();
    dir.create("bad.json", "[1,,2]");
    dir.create("open.json", "[1, 2");
    dir.create("deep.json", "[".repeat(100_000) + &"]".repeat(100_000));
    smerge(&dir)
        .args(["--format", "json", "deep.json", "out.json"])
        .assert()
        .success();
    assert_eq!(dir.read("out.json").len(), 200_000 - 2 + 5);
    std::fs::remove_file(dir.join("out.json")).unwrap();
    for name in ["bad.json", "open.json"] {
        let output = smerge(&dir)
            .args(["--format", "json", name, "out.json"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{name}");
        assert!(stderr_of(&output).contains(name), "{}", stderr_of(&output));
        assert!(!dir.join("out.json").exists());
    }
}

#[test]
fn data_formats_refuse_content_options() {
    let dir = Dir::new();
    dir.create("a.csv", "x\n1\n");
    smerge(&dir)
        .args(["--format", "csv", "--header", "# {path}\\n", "a.csv", "-"])
        .assert()
        .code(2);
    smerge(&dir)
        .args(["--format", "auto", "a.csv", "out.txt"])
        .assert()
        .code(2);
}

#[test]
fn a_quote_left_open_at_the_end_of_an_input_does_not_swallow_the_next() {
    let dir = Dir::new();
    dir.create("a.csv", "id,name\n1,\"a\r\nb\n");
    dir.create("b.csv", "id,name\n2,\"c,\"\"d\"\"\"\n");
    smerge(&dir)
        .args(["--format", "csv", "a.csv", "b.csv", "out.csv"])
        .assert()
        .success();
    let expected = tool(&dir, "csvstack", &["a.csv", "b.csv"]);
    assert_bytes_eq(&expected, &tool(&dir, "csvformat", &["out.csv"]));
}
