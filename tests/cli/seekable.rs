//! `--seekable` bundles and `smerge extract` through the real binary; the
//! bundles decoded by the system's `zstd -d` and `gzip -d`, and `.gz`
//! bundles read as BGZF by htslib's `bgzip`.

use std::process::Command;

use super::util::{Dir, assert_bytes_eq, data, smerge};

fn decode(dir: &Dir, program: &str, file: &str) -> Vec<u8> {
    let output = Command::new(program)
        .args(["-dc", file])
        .current_dir(dir.path())
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed for this test: {e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// A tree of small files, a large one and an empty one.
fn tree(dir: &Dir) {
    for i in 0..40u64 {
        dir.create(
            format!("in/small/{i:02}.txt"),
            data(i, 500 + (i as usize) * 300),
        );
    }
    dir.create("in/big.bin", data(99, 3 * 1024 * 1024 + 17));
    dir.create("in/empty.txt", "");
}

#[test]
fn bundles_decode_whole_with_zstd_and_gzip() {
    let dir = Dir::new();
    tree(&dir);
    smerge(&dir)
        .args(["-r", "in", "plain.bin"])
        .assert()
        .success();
    let plain = dir.read("plain.bin");
    for (bundle, program) in [("b.zst", "zstd"), ("b.gz", "gzip")] {
        smerge(&dir)
            .args(["-r", "--seekable", "in", bundle])
            .assert()
            .success();
        assert_bytes_eq(&plain, &decode(&dir, program, bundle));
        for part in ["big.bin", "small/07.txt", "empty.txt"] {
            let got = smerge(&dir)
                .args(["extract", bundle, part])
                .output()
                .unwrap();
            assert!(
                got.status.success(),
                "{}",
                String::from_utf8_lossy(&got.stderr)
            );
            assert_bytes_eq(&dir.read(format!("in/{part}")), &got.stdout);
        }
    }
}

/// Runs htslib's `bgzip` with `args` in `dir`; its standard output.
fn bgzip(dir: &Dir, args: &[&str]) -> Vec<u8> {
    let output = Command::new("bgzip")
        .args(args)
        .current_dir(dir.path())
        .output()
        .unwrap_or_else(|e| panic!("bgzip (htslib) is needed for this test: {e}"));
    assert!(
        output.status.success() && output.stderr.is_empty(),
        "bgzip {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn a_gzip_bundle_is_bgzf_that_htslib_indexes_and_reads_at_any_offset() {
    let dir = Dir::new();
    tree(&dir);
    smerge(&dir)
        .args(["-r", "in", "plain.bin"])
        .assert()
        .success();
    smerge(&dir)
        .args(["-r", "--seekable", "in", "b.gz"])
        .assert()
        .success();
    let plain = dir.read("plain.bin");
    assert_bytes_eq(&plain, &bgzip(&dir, &["-dc", "b.gz"]));
    // Reindexing reads every block's BGZF header, the manifest's too.
    bgzip(&dir, &["-r", "b.gz", "-I", "b.gz.gzi"]);
    for (offset, size) in [(0, 100), (70_000, 5_000), (plain.len() - 1_000, 1_000)] {
        let got = bgzip(
            &dir,
            &[
                "-dc",
                "-I",
                "b.gz.gzi",
                "-b",
                &offset.to_string(),
                "-s",
                &size.to_string(),
                "b.gz",
            ],
        );
        assert_bytes_eq(&plain[offset..offset + size], &got);
    }
}

#[test]
fn a_seekable_zstd_bundle_is_close_to_a_plain_one_in_size() {
    let dir = Dir::new();
    for i in 0..200u64 {
        dir.create(
            format!("in/{i:03}.log"),
            format!("line {i} of some log text\n").repeat(200),
        );
    }
    smerge(&dir)
        .args(["--seekable", "in", "b.zst"])
        .assert()
        .success();
    smerge(&dir).args(["in", "plain.zst"]).assert().success();
    let seekable = dir.read("b.zst").len() as f64;
    let plain = dir.read("plain.zst").len() as f64;
    // The manifest (a SHA-256 per input) is most of the difference.
    assert!(seekable < plain + 200.0 * 400.0, "{seekable} vs {plain}");
}

#[test]
fn extract_the_first_a_middle_and_the_last_of_ten_thousand_inputs() {
    let dir = Dir::new();
    for i in 0..10_000u64 {
        dir.create(
            format!("in/{:02}/{i:05}.txt", i / 1000),
            data(i, 64 + (i % 50) as usize),
        );
    }
    for bundle in ["many.zst", "many.gz"] {
        smerge(&dir)
            .args(["-r", "--seekable", "in", bundle])
            .assert()
            .success();
        for i in [0u64, 5_000, 9_999] {
            let path = format!("{:02}/{i:05}.txt", i / 1000);
            let got = smerge(&dir)
                .args(["extract", bundle, &path])
                .output()
                .unwrap();
            assert!(
                got.status.success(),
                "{}",
                String::from_utf8_lossy(&got.stderr)
            );
            assert_bytes_eq(&data(i, 64 + (i % 50) as usize), &got.stdout);
        }
    }
    let listed = smerge(&dir)
        .args(["extract", "--list", "many.zst"])
        .output()
        .unwrap();
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert_eq!(listed.lines().count(), 10_000);
    assert_eq!(listed.lines().nth(5_000), Some("05/05000.txt"));
}

#[test]
fn extract_globs_and_recreates_a_tree() {
    let dir = Dir::new();
    tree(&dir);
    smerge(&dir)
        .args(["-r", "--seekable", "--manifest", "m.json", "in", "b.zst"])
        .assert()
        .success();
    let manifest: serde_json::Value = serde_json::from_slice(&dir.read("m.json")).unwrap();
    let parts = manifest["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 42);
    assert!(
        parts
            .iter()
            .all(|p| p["compressed_length"].is_u64() && p["sha256"].is_string())
    );

    let got = smerge(&dir)
        .args(["extract", "b.zst", "small/0*.txt", "big.bin"])
        .output()
        .unwrap();
    let mut expected = dir.read("in/big.bin");
    for i in 0..10 {
        expected.extend(dir.read(format!("in/small/{i:02}.txt")));
    }
    assert_bytes_eq(&expected, &got.stdout);

    smerge(&dir)
        .args(["extract", "b.zst", "--to", "out"])
        .assert()
        .success();
    for i in 0..40 {
        let name = format!("small/{i:02}.txt");
        assert_bytes_eq(
            &dir.read(format!("in/{name}")),
            &dir.read(format!("out/{name}")),
        );
    }
    assert_bytes_eq(&dir.read("in/big.bin"), &dir.read("out/big.bin"));
    // Existing files are not overwritten without --force.
    smerge(&dir)
        .args(["extract", "b.zst", "--to", "out"])
        .assert()
        .code(1);
    dir.create("out/big.bin", "changed");
    smerge(&dir)
        .args(["extract", "b.zst", "big.bin", "--to", "out", "--force"])
        .assert()
        .success();
    assert_bytes_eq(&dir.read("in/big.bin"), &dir.read("out/big.bin"));
    smerge(&dir)
        .args(["extract", "b.zst", "missing.txt"])
        .assert()
        .code(1);
}

#[test]
fn damaged_bundles_are_errors_naming_them() {
    let dir = Dir::new();
    tree(&dir);
    smerge(&dir)
        .args(["-r", "--seekable", "in", "b.zst"])
        .assert()
        .success();
    let whole = dir.read("b.zst");
    dir.create("cut.zst", &whole[..whole.len() - 5]);
    let out = smerge(&dir)
        .args(["extract", "cut.zst", "big.bin"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cut.zst"));
    // A flipped byte in the data: the part's hash no longer matches, or
    // its frame no longer decodes.
    let mut flipped = whole.clone();
    flipped[100] ^= 0x55;
    dir.create("flipped.zst", &flipped);
    let out = smerge(&dir)
        .args(["extract", "flipped.zst"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    dir.create("plain.zst", decode(&dir, "zstd", "b.zst"));
    smerge(&dir)
        .args(["extract", "plain.zst", "--list"])
        .assert()
        .code(1);
}

#[test]
fn a_manifest_path_that_leaves_the_directory_is_refused() {
    let dir = Dir::new();
    tree(&dir);
    smerge(&dir)
        .args(["-r", "--seekable", "in", "b.zst"])
        .assert()
        .success();
    let mut bundle = dir.read("b.zst");
    let from = b"\"path\":\"big.bin\"";
    let at = bundle
        .windows(from.len())
        .position(|w| w == from)
        .expect("the manifest names big.bin");
    bundle[at..at + from.len()].copy_from_slice(b"\"path\":\"../b.bi\"");
    dir.create("evil.zst", &bundle);
    let out = smerge(&dir)
        .args(["extract", "evil.zst", "--to", "out"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("../b.bi"));
    assert!(!dir.join("b.bi").exists());
    assert!(dir.names("out").is_empty());
}

#[test]
fn seekable_needs_zstd_or_gzip() {
    let dir = Dir::new();
    tree(&dir);
    smerge(&dir)
        .args(["-r", "--seekable", "in", "out.bin"])
        .assert()
        .code(2);
    smerge(&dir)
        .args(["-r", "--seekable", "in", "out.xz"])
        .assert()
        .code(2);
    smerge(&dir)
        .args(["-r", "--seekable", "--compress", "gzip", "in", "-"])
        .assert()
        .success();
}
