//! Server-side compose: the bytes of large inputs copied by the server,
//! the output byte for byte the local merge, and streaming when the
//! server refuses.

use sha2::Digest;

use super::proxy::{Fault, Proxy, Rule};
use super::server::{bucket, get, open_uploads, port, put};
use super::{ok, smerge_s3, stderr};
use crate::cli::util::{Dir, assert_bytes_eq, data};

const MIB: usize = 1024 * 1024;

/// Inputs of 0 B, 1 B, 4.9 MiB, 5 MiB and 12 MiB, on disk in `dir/in`
/// and below `s3://BUCKET/in/`.
fn edge_sizes(dir: &Dir, bucket: &str) {
    let sizes = [
        ("1-empty", 0),
        ("2-one", 1),
        ("3-small", 49 * MIB / 10),
        ("4-five", 5 * MIB),
        ("5-twelve", 12 * MIB),
    ];
    for (i, (name, size)) in sizes.into_iter().enumerate() {
        let contents = data(i as u64, size);
        dir.create(format!("in/{name}"), &contents);
        put(bucket, &format!("in/{name}"), &contents);
    }
}

/// `(copied, streamed)` from the `--json` summary, and the path taken.
fn counts(output: &std::process::Output) -> (u64, u64) {
    let summary: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("a JSON summary on standard output");
    assert_eq!(summary["path"], "compose", "{summary}");
    let number = |name: &str| {
        summary[name]
            .as_u64()
            .unwrap_or_else(|| panic!("no {name} in {summary}"))
    };
    (number("server_copied_bytes"), number("streamed_bytes"))
}

#[test]
fn compose_copies_the_large_inputs_and_streams_the_rest() {
    let dir = Dir::new();
    let b = bucket("compose");
    edge_sizes(&dir, &b);
    ok(&dir, &["in", "local.out"]);
    let expected = dir.read("local.out");

    let output = ok(
        &dir,
        &["--json", &format!("s3://{b}/in/"), &format!("s3://{b}/all")],
    );
    assert_bytes_eq(&expected, &get(&b, "all").unwrap());
    let (copied, streamed) = counts(&output);
    assert_eq!(copied + streamed, expected.len() as u64);
    assert_eq!(streamed, 13 * MIB as u64, "8 MiB and 5 MiB uploaded parts");
    assert!(open_uploads(&b).is_empty());

    // Local inputs are streamed, the objects copied, in one upload.
    let output = ok(
        &dir,
        &[
            "--json",
            "in/1-empty",
            "in/2-one",
            &format!("s3://{b}/in/5-twelve"),
            &format!("s3://{b}/mixed"),
        ],
    );
    let mut expected = data(1, 1);
    expected.extend(data(4, 12 * MIB));
    assert_bytes_eq(&expected, &get(&b, "mixed").unwrap());
    assert_eq!(
        counts(&output),
        (12 * MIB as u64 + 1 - 5 * MIB as u64, 5 * MIB as u64)
    );
}

#[test]
fn no_compose_streams_every_byte_into_the_same_output() {
    let dir = Dir::new();
    let b = bucket("nocompose");
    edge_sizes(&dir, &b);
    ok(&dir, &["in", "local.out"]);
    let output = ok(
        &dir,
        &[
            "--no-compose",
            "--json",
            &format!("s3://{b}/in/"),
            &format!("s3://{b}/all"),
        ],
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["path"], "stream", "{summary}");
    assert_bytes_eq(&dir.read("local.out"), &get(&b, "all").unwrap());
}

#[test]
fn a_server_that_refuses_copies_gets_a_streamed_merge_said_once() {
    let dir = Dir::new();
    let b = bucket("refused");
    edge_sizes(&dir, &b);
    ok(&dir, &["in", "local.out"]);
    let proxy = Proxy::start(
        port(),
        vec![Rule::new(
            &["x-amz-copy-source:"],
            Fault::Status(501),
            usize::MAX,
        )],
    );
    let output = smerge_s3(
        &dir,
        proxy.port(),
        &[&format!("s3://{b}/in/"), &format!("s3://{b}/all")],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stderr(&output);
    assert_eq!(text.matches("does not copy parts").count(), 1, "{text}");
    assert_bytes_eq(&dir.read("local.out"), &get(&b, "all").unwrap());
    assert!(
        open_uploads(&b).is_empty(),
        "the refused upload was aborted"
    );
}

#[test]
fn throttled_copies_are_retried() {
    let dir = Dir::new();
    let b = bucket("throttled");
    edge_sizes(&dir, &b);
    ok(&dir, &["in", "local.out"]);
    let proxy = Proxy::start(
        port(),
        vec![Rule::new(&["x-amz-copy-source:"], Fault::Status(503), 2)],
    );
    let output = smerge_s3(
        &dir,
        proxy.port(),
        &["--json", &format!("s3://{b}/in/"), &format!("s3://{b}/all")],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(counts(&output).0 > 0);
    assert_bytes_eq(&dir.read("local.out"), &get(&b, "all").unwrap());
}

#[test]
fn a_503_storm_on_copies_keeps_the_old_object_and_no_upload() {
    let dir = Dir::new();
    let b = bucket("storm");
    edge_sizes(&dir, &b);
    put(&b, "all", b"old\n");
    let proxy = Proxy::start(
        port(),
        vec![Rule::new(
            &["x-amz-copy-source:"],
            Fault::Status(503),
            usize::MAX,
        )],
    );
    let output = smerge_s3(
        &dir,
        proxy.port(),
        &[&format!("s3://{b}/in/"), &format!("s3://{b}/all")],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("503 Service Unavailable (SlowDown"), "{text}");
    assert!(text.contains("in/5-twelve"), "{text}");
    assert_eq!(get(&b, "all").unwrap(), b"old\n");
    assert!(open_uploads(&b).is_empty(), "{:?}", open_uploads(&b));
}

/// The manifest of a merge of the edge sizes: every input's part with its
/// ETag, and `(path, sha256)` of each.
fn manifest_parts(dir: &Dir, name: &str) -> Vec<(String, Option<[u8; 32]>, String)> {
    let manifest = smerge::merge::Manifest::read(dir.join(name)).expect("a valid manifest");
    let mut offset = 0;
    manifest
        .parts
        .iter()
        .map(|part| {
            assert_eq!(part.kind, smerge::merge::PartKind::File, "{part:?}");
            assert_eq!(part.offset, offset, "{part:?}");
            offset += part.length;
            let etag = part.etag.clone().expect("every object's part has its ETag");
            assert!(!etag.is_empty(), "{part:?}");
            let sha256 = part.sha256.as_ref().map(|_| part.sha256().unwrap());
            (part.path.clone().unwrap(), sha256, etag)
        })
        .collect()
}

#[test]
fn a_manifest_keeps_compose_and_records_every_part_with_its_etag() {
    let dir = Dir::new();
    let b = bucket("manifest");
    edge_sizes(&dir, &b);
    ok(&dir, &["in", "local.out"]);
    let prefix = format!("s3://{b}/in/");

    let output = ok(
        &dir,
        &[
            "--json",
            "--manifest",
            "composed.json",
            &prefix,
            &format!("s3://{b}/all"),
        ],
    );
    let total = dir.read("local.out").len() as u64;
    assert_bytes_eq(&dir.read("local.out"), &get(&b, "all").unwrap());
    assert_eq!(counts(&output), (total - 13 * MIB as u64, 13 * MIB as u64));
    let composed = manifest_parts(&dir, "composed.json");
    let names: Vec<&str> = composed.iter().map(|(path, ..)| path.as_str()).collect();
    assert_eq!(names, ["1-empty", "2-one", "3-small", "4-five", "5-twelve"]);
    // The inputs that went through smerge whole have their SHA-256; the
    // one the server copied (all but its head) has none.
    for (i, (name, sha256, _)) in composed.iter().enumerate() {
        let bytes = dir.read(format!("in/{name}"));
        let expected: [u8; 32] = sha2::Sha256::digest(&bytes).into();
        match name.as_str() {
            "5-twelve" => assert_eq!(*sha256, None, "{name}"),
            _ => assert_eq!(*sha256, Some(expected), "{name} (part {i})"),
        }
    }

    // split checks every part's SHA-256: it refuses a part that has none.
    dir.create("all", get(&b, "all").unwrap());
    let split = smerge_s3(
        &dir,
        port(),
        &["split", "--from", "all", "composed.json", "restored"],
    );
    assert!(!split.status.success());
    assert!(
        stderr(&split).contains("copied by the object store"),
        "{}",
        stderr(&split)
    );
    assert!(!dir.join("restored/1-empty").exists());

    // The stream path records the same ETags, and every SHA-256.
    ok(
        &dir,
        &[
            "--no-compose",
            "--manifest",
            "streamed.json",
            &prefix,
            &format!("s3://{b}/all"),
        ],
    );
    let streamed = manifest_parts(&dir, "streamed.json");
    assert!(streamed.iter().all(|(_, sha256, _)| sha256.is_some()));
    let etags = |parts: &[(String, Option<[u8; 32]>, String)]| -> Vec<String> {
        parts.iter().map(|(_, _, etag)| etag.clone()).collect()
    };
    assert_eq!(etags(&composed), etags(&streamed));
}
