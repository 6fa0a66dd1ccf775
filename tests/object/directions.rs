//! Every direction: local to S3, S3 to local, S3 to S3, and pipe, each
//! byte for byte what the same merge of local files gives.

use super::server::{bucket, get, put};
use super::{ok, stderr};
use crate::cli::util::{Dir, assert_bytes_eq, data};

const MIB: usize = 1024 * 1024;

/// Files of a small tree: names, contents.
fn tree() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("a.txt", b"alpha\n".to_vec()),
        ("b.bin", data(1, 3 * MIB + 17)),
        ("c.txt", b"no newline".to_vec()),
        ("empty", Vec::new()),
        ("lib/d.txt", b"delta\n".to_vec()),
    ]
}

/// The tree on disk in `dir/in`, and below `s3://BUCKET/in/`.
fn both(dir: &Dir, bucket: &str) {
    for (name, contents) in tree() {
        dir.create(format!("in/{name}"), &contents);
        put(bucket, &format!("in/{name}"), &contents);
    }
}

#[test]
fn local_to_s3_and_back_are_the_local_merge() {
    let dir = Dir::new();
    let b = bucket("directions");
    both(&dir, &b);
    ok(&dir, &["-r", "in", "local.out"]);
    let expected = dir.read("local.out");

    ok(&dir, &["-r", "in", &format!("s3://{b}/out/from-disk")]);
    assert_bytes_eq(&expected, &get(&b, "out/from-disk").unwrap());

    ok(&dir, &["-r", &format!("s3://{b}/in/"), "from-s3.out"]);
    assert_bytes_eq(&expected, &dir.read("from-s3.out"));

    for flags in [&[][..], &["--no-compose"]] {
        let mut args = vec!["-r", "-q"];
        args.extend(flags);
        let target = format!("s3://{b}/out/s3-to-s3");
        let prefix = format!("s3://{b}/in/");
        args.extend([prefix.as_str(), target.as_str()]);
        ok(&dir, &args);
        assert_bytes_eq(&expected, &get(&b, "out/s3-to-s3").unwrap());
    }
}

#[test]
fn local_and_remote_inputs_mix_in_the_order_given() {
    let dir = Dir::new();
    let b = bucket("mixed");
    both(&dir, &b);
    let object = format!("s3://{b}/in/a.txt");
    ok(&dir, &["in/c.txt", &object, "in/lib", "mixed.out"]);
    let mut expected = b"no newline".to_vec();
    expected.extend_from_slice(b"alpha\ndelta\n");
    assert_bytes_eq(&expected, &dir.read("mixed.out"));
}

#[test]
fn content_options_and_compression_work_on_objects() {
    let dir = Dir::new();
    let b = bucket("content");
    both(&dir, &b);
    let flags = ["-r", "--header", "== {path}\\n", "--ensure-newline"];
    let mut local = flags.to_vec();
    local.extend(["in", "local.out"]);
    ok(&dir, &local);
    let prefix = format!("s3://{b}/in/");
    let target = format!("s3://{b}/all.txt.gz");
    let mut remote = flags.to_vec();
    remote.extend([prefix.as_str(), target.as_str()]);
    let output = ok(&dir, &remote);
    assert!(!stderr(&output).contains("compose"), "{}", stderr(&output));
    dir.create("all.txt.gz", get(&b, "all.txt.gz").unwrap());
    let unzipped = std::process::Command::new("gzip")
        .args(["-dc", "all.txt.gz"])
        .current_dir(dir.path())
        .output()
        .expect("running gzip");
    assert!(unzipped.status.success());
    assert_bytes_eq(&dir.read("local.out"), &unzipped.stdout);
}

#[test]
fn pipe_reads_and_writes_objects_through_gzip() {
    let dir = Dir::new();
    let b = bucket("pipe");
    let original = data(7, 2 * MIB + 5);
    dir.create("data.bin", &original);
    let packed = format!("s3://{b}/data.bin.gz");
    ok(&dir, &["pipe", "data.bin", &packed, "-t", "gzip"]);
    dir.create("data.bin.gz", get(&b, "data.bin.gz").unwrap());
    let unzipped = std::process::Command::new("gzip")
        .args(["-dc", "data.bin.gz"])
        .current_dir(dir.path())
        .output()
        .expect("running gzip");
    assert_bytes_eq(&original, &unzipped.stdout);

    ok(&dir, &["pipe", &packed, "back.bin", "-t", "gunzip"]);
    assert_bytes_eq(&original, &dir.read("back.bin"));
    let copy = format!("s3://{b}/copy.bin");
    ok(&dir, &["pipe", &packed, &copy, "-t", "gunzip"]);
    assert_bytes_eq(&original, &get(&b, "copy.bin").unwrap());
}

#[test]
fn a_missing_object_is_an_error_naming_it() {
    let dir = Dir::new();
    let b = bucket("missing");
    let url = format!("s3://{b}/nothing/here");
    let output = super::smerge_s3(&dir, super::server::port(), &[&url, "out"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.contains(&format!("reading {url}: no such object")),
        "{text}"
    );
    assert!(!dir.join("out").exists());
}

#[test]
fn compressed_objects_are_concatenated_not_compressed_again() {
    let dir = Dir::new();
    let b = bucket("gzipped");
    let mut concatenated = Vec::new();
    for (name, text) in [("1.log", "first\n"), ("2.log", "second\n")] {
        dir.create(name, text);
        let gzipped = std::process::Command::new("gzip")
            .args(["-c", name])
            .current_dir(dir.path())
            .output()
            .expect("running gzip");
        put(&b, &format!("gz/{name}.gz"), &gzipped.stdout);
        concatenated.extend(gzipped.stdout);
    }
    let prefix = format!("s3://{b}/gz/");
    let output = ok(&dir, &[&prefix, "all.log.gz"]);
    assert!(
        stderr(&output).contains("gzip-compressed already"),
        "{}",
        stderr(&output)
    );
    assert_bytes_eq(&concatenated, &dir.read("all.log.gz"));
    ok(&dir, &["-q", &prefix, &format!("s3://{b}/all.log.gz")]);
    assert_bytes_eq(&concatenated, &get(&b, "all.log.gz").unwrap());

    // One plain object among them: everything is compressed, once.
    put(&b, "gz/3.log", b"third\n");
    ok(&dir, &["-q", &prefix, "mixed.log.gz"]);
    let unzipped = std::process::Command::new("gzip")
        .args(["-dc", "mixed.log.gz"])
        .current_dir(dir.path())
        .output()
        .expect("running gzip");
    assert_eq!(unzipped.stdout.len(), concatenated.len() + 6);
}
