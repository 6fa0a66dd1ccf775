//! The merges that read their inputs' content — `--format`, `--interleave`,
//! `--seekable` — over objects, and over objects and files mixed: each
//! byte for byte what the same merge of the files on disk gives.

use std::process::Stdio;
use std::time::Duration;

use super::proxy::{Fault, Proxy, Rule};
use super::server::{bucket, environment, get, port, put};
use super::{ok, stderr};
use crate::cli::util::{Dir, assert_bytes_eq};

/// A CSV file of `rows` rows with the columns `header`, each field telling
/// its input, row and column apart.
fn csv(input: &str, header: &[&str], rows: usize) -> Vec<u8> {
    let mut text = header.join(",");
    text.push('\n');
    for row in 0..rows {
        let fields: Vec<String> = header
            .iter()
            .map(|column| format!("{input}-{column}-{row}"))
            .collect();
        text.push_str(&fields.join(","));
        text.push('\n');
    }
    text.into_bytes()
}

/// A log in time order: `lines` lines, one every `step` seconds from
/// `start`, many at the same second as another log's.
fn log(host: &str, start: u64, step: u64, lines: u64) -> Vec<u8> {
    let mut text = String::new();
    for line in 0..lines {
        let second = start + line * step;
        text.push_str(&format!(
            "2024-03-01T{:02}:{:02}:{:02}Z {host} request {line} {}\n",
            second / 3600,
            second / 60 % 60,
            second % 60,
            "x".repeat((line % 50) as usize)
        ));
    }
    text.into_bytes()
}

/// `files` on disk below `dir/in/` and as objects below `s3://BUCKET/in/`.
fn both(dir: &Dir, bucket: &str, files: &[(&str, Vec<u8>)]) {
    for (name, contents) in files {
        dir.create(format!("in/{name}"), contents);
        put(bucket, &format!("in/{name}"), contents);
    }
}

/// `smerge FLAGS INPUTS OUTPUT` for each set of inputs, the first local:
/// every output, local or an object, equal to the first's.
#[track_caller]
fn same_as_local(dir: &Dir, bucket: &str, flags: &[&str], inputs: &[&[&str]], extension: &str) {
    let local = format!("local.{extension}");
    let run = |inputs: &[&str], output: &str| {
        let mut args = flags.to_vec();
        args.extend(inputs);
        args.push(output);
        ok(dir, &args);
    };
    run(inputs[0], &local);
    let expected = dir.read(&local);
    assert!(!expected.is_empty());
    for (i, inputs) in inputs.iter().enumerate().skip(1) {
        let file = format!("{i}.{extension}");
        run(inputs, &file);
        assert_bytes_eq(&expected, &dir.read(&file));
        let key = format!("out/{i}.{extension}");
        run(inputs, &format!("s3://{bucket}/{key}"));
        assert_bytes_eq(&expected, &get(bucket, &key).unwrap());
    }
}

#[test]
fn csv_joins_of_objects_and_of_mixed_inputs_are_the_local_join() {
    let dir = Dir::new();
    let b = bucket("csv");
    // 64 B, 9.4 MiB (a head, then ranges of 4 MiB), 0 B, 250 KiB.
    both(
        &dir,
        &b,
        &[
            ("1.csv", csv("one", &["id", "name"], 1)),
            ("2.csv", csv("two", &["id", "name"], 200_000)),
            ("3.csv", Vec::new()),
            ("4.csv", csv("four", &["id", "name"], 6_000)),
        ],
    );
    let prefix = format!("s3://{b}/in/");
    let object = |name: &str| format!("s3://{b}/in/{name}");
    let (two, four) = (object("2.csv"), object("4.csv"));
    same_as_local(
        &dir,
        &b,
        &["--format", "csv"],
        &[&["in"], &[&prefix], &["in/1.csv", &two, "in/3.csv", &four]],
        "csv",
    );
}

#[test]
fn csv_unions_read_each_objects_header_then_its_rows() {
    let dir = Dir::new();
    let b = bucket("union");
    both(
        &dir,
        &b,
        &[
            ("a.csv", csv("a", &["id", "name"], 3_000)),
            ("b.csv", csv("b", &["note", "id"], 3_000)),
            ("c.csv", csv("c", &["name", "size", "id"], 10)),
        ],
    );
    let prefix = format!("s3://{b}/in/");
    let b_csv = format!("s3://{b}/in/b.csv");
    same_as_local(
        &dir,
        &b,
        &["--format", "csv", "--columns", "union"],
        &[&["in"], &[&prefix], &["in/a.csv", &b_csv, "in/c.csv"]],
        "csv",
    );
}

#[test]
fn interleaves_of_objects_and_of_mixed_inputs_are_the_local_interleave() {
    let dir = Dir::new();
    let b = bucket("interleave");
    // Each larger than the head and its share of the read-ahead.
    both(
        &dir,
        &b,
        &[
            ("web1.log", log("web1", 0, 2, 12_000)),
            ("web2.log", log("web2", 1, 3, 8_000)),
            ("web3.log", log("web3", 0, 1, 20_000)),
        ],
    );
    let prefix = format!("s3://{b}/in/");
    let web2 = format!("s3://{b}/in/web2.log");
    same_as_local(
        &dir,
        &b,
        &["--interleave"],
        &[&["in"], &[&prefix], &["in/web1.log", &web2, "in/web3.log"]],
        "log",
    );
}

#[test]
fn compressed_objects_are_decompressed_for_an_interleave() {
    let dir = Dir::new();
    let b = bucket("gunzip");
    for (name, text) in [
        ("a.log", log("a", 0, 2, 5_000)),
        ("b.log", log("b", 1, 2, 5_000)),
    ] {
        dir.create(name, text);
        let gzipped = std::process::Command::new("gzip")
            .args(["-c", name])
            .current_dir(dir.path())
            .output()
            .expect("running gzip");
        assert!(gzipped.status.success());
        dir.create(format!("in/{name}.gz"), &gzipped.stdout);
        put(&b, &format!("in/{name}.gz"), &gzipped.stdout);
    }
    let prefix = format!("s3://{b}/in/");
    ok(&dir, &["--interleave", "a.log", "b.log", "plain.log"]);
    same_as_local(
        &dir,
        &b,
        &["--interleave", "--decompress"],
        &[&["in"], &[&prefix]],
        "log",
    );
    assert_bytes_eq(&dir.read("plain.log"), &dir.read("local.log"));
}

#[test]
fn a_seekable_bundle_of_objects_holds_what_the_bundle_of_the_files_holds() {
    let dir = Dir::new();
    let b = bucket("seekable");
    both(
        &dir,
        &b,
        &[
            ("a.log", log("a", 0, 1, 30_000)),
            ("b.txt", b"bee\n".to_vec()),
            ("lib/c.log", log("c", 5, 7, 100)),
        ],
    );
    let prefix = format!("s3://{b}/in/");
    ok(&dir, &["-r", "--seekable", "in", "local.zst"]);
    ok(&dir, &["-r", "--seekable", &prefix, "objects.zst"]);
    ok(
        &dir,
        &["-r", "--seekable", &prefix, &format!("s3://{b}/out.zst")],
    );
    dir.create("object.zst", get(&b, "out.zst").unwrap());
    // The bundles differ only in their manifests' sources (paths, URLs).
    let extract = |args: &[&str]| {
        let mut all = vec!["extract"];
        all.extend(args);
        ok(&dir, &all).stdout
    };
    let list = extract(&["local.zst", "--list"]);
    assert_eq!(String::from_utf8_lossy(&list), "a.log\nb.txt\nlib/c.log\n");
    let whole = extract(&["local.zst"]);
    let mut files = dir.read("in/a.log");
    files.extend(dir.read("in/b.txt"));
    files.extend(dir.read("in/lib/c.log"));
    assert_bytes_eq(&files, &whole);
    for bundle in ["objects.zst", "object.zst"] {
        assert_bytes_eq(&list, &extract(&[bundle, "--list"]));
        assert_bytes_eq(&whole, &extract(&[bundle]));
        assert_bytes_eq(&dir.read("in/lib/c.log"), &extract(&[bundle, "lib/c.log"]));
    }
}

#[test]
fn an_object_replaced_while_it_is_interleaved_is_an_error_naming_it() {
    let dir = Dir::new();
    let b = bucket("replaced-data");
    put(&b, "in/1.log", &log("one", 0, 1, 50_000));
    put(&b, "in/2.log", &log("two", 0, 1, 50_000));
    put(&b, "out.log", b"old\n");
    // The second read of in/2.log, after its head: a range read ahead.
    let proxy = Proxy::start(
        port(),
        vec![Rule::new(
            &["GET /", "/in/2.log", "bytes=65536-"],
            Fault::Delay(Duration::from_secs(1)),
            1,
        )],
    );
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_smerge"))
        .envs(environment(proxy.port()))
        .args([
            "--interleave",
            &format!("s3://{b}/in/"),
            &format!("s3://{b}/out.log"),
        ])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting smerge");
    proxy.wait_for("[Delay");
    put(&b, "in/2.log", b"2024-03-01T00:00:00Z replaced\n");
    let output = child.wait_with_output().expect("waiting for smerge");
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.contains(&format!(
            "reading s3://{b}/in/2.log: the object changed while it was read"
        )),
        "{text}"
    );
    assert_eq!(text.trim().lines().count(), 1, "{text}");
    assert_eq!(get(&b, "out.log").unwrap(), b"old\n");
}
