//! The merge paths side by side on small generated trees: the buffered
//! stream merge (`merge` into an atomic file), the fast path into a new
//! file (`merge_plain`, by windows on two threads when the output is over
//! 4 MiB), and the fast path's one-after-the-other copy into an open file.
//!
//! Then the library against the command line, on the fixtures of
//! `compare.sh` (its `--quick` sizes, from the same generator): the
//! `Merge` builder in this process beside the `smerge` binary, for a plain
//! merge (the kernel's copy) and one into `.gz`.
//!
//! ```text
//! cargo bench --bench merge
//! cargo bench --bench merge -- library-vs-cli
//! ```
//!
//! The trees are written once into a temporary directory and stay in the
//! page cache; each run replaces the previous output. For full-size
//! comparisons with `cat`, see `benches/compare.sh`.

#[path = "gen-fixtures.rs"]
#[allow(dead_code)]
mod fixtures;

use std::fs::{self, File};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use smerge::fs::{AtomicFile, AtomicFileSink, Listing};
use smerge::merge::{Merge, MergeOptions, Output, PlainOutput, merge, merge_plain};

/// Writes `files` files of `size` bytes of text under `dir`, spread over
/// `subdirs` subdirectories, and lists them.
fn tree(dir: &Path, files: usize, size: usize, subdirs: usize) -> Arc<Listing> {
    let line = b"2024-05-01T12:00:00Z INFO request served in 12 ms\n";
    let contents: Vec<u8> = line.iter().copied().cycle().take(size).collect();
    for i in 0..files {
        let sub = dir.join(format!("d{:02}", i % subdirs));
        fs::create_dir_all(&sub).expect("a fixture directory");
        fs::write(sub.join(format!("f{i:05}.txt")), &contents).expect("a fixture file");
    }
    let listing = Listing::builder()
        .recursive(true)
        .input(dir)
        .build()
        .expect("the fixture lists");
    Arc::new(listing)
}

fn paths(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let root = tempfile::tempdir().expect("a temporary directory");
    let out = root.path().join("out");
    let fixtures = [
        ("8x4MiB", 8, 4 << 20, 1),
        ("2000x4KiB", 2000, 4 << 10, 20),
        ("200x5KiB", 200, 5 << 10, 4),
    ];
    let mut group = c.benchmark_group("merge");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for (name, files, size, subdirs) in fixtures {
        let entries = tree(&root.path().join(name), files, size, subdirs);
        group.throughput(Throughput::Bytes((files * size) as u64));
        let options = MergeOptions::default();
        group.bench_with_input(BenchmarkId::new("stream", name), &entries, |b, entries| {
            b.to_async(&runtime).iter(|| async {
                let mut output = AtomicFileSink::create(&out)
                    .expect("the output")
                    .into_writable();
                merge(entries, &options, &mut output, None)
                    .await
                    .expect("the merge");
            });
        });
        group.bench_with_input(BenchmarkId::new("plain", name), &entries, |b, entries| {
            b.to_async(&runtime).iter(|| async {
                let output = PlainOutput::Atomic(AtomicFile::create(&out).expect("the output"));
                merge_plain(Arc::clone(entries), output, None)
                    .await
                    .expect("the merge");
            });
        });
        group.bench_with_input(
            BenchmarkId::new("plain-in-order", name),
            &entries,
            |b, entries| {
                b.to_async(&runtime).iter(|| async {
                    let output = PlainOutput::Open {
                        file: File::create(&out).expect("the output"),
                        name: out.clone(),
                    };
                    merge_plain(Arc::clone(entries), output, None)
                        .await
                        .expect("the merge");
                });
            },
        );
    }
    group.finish();
}

/// The `Merge` builder and the `smerge` binary on the same fixture, into
/// the same output: the library must be as fast as the command line.
fn library_vs_cli(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let root = tempfile::tempdir().expect("a temporary directory");
    // compare.sh --quick: `gen-fixtures KIND ROOT FILES BYTES DIRS SEED`.
    let fixtures = [
        ("big", "text", 8, 16 << 20, 0, 1),
        ("many", "text", 2000, 4096, 20, 2),
        ("js", "js", 200, 5 << 10, 4, 3),
    ];
    let mut group = c.benchmark_group("library-vs-cli");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    for (name, kind, files, bytes, dirs, seed) in fixtures {
        let dir = root.path().join(name);
        let args = [kind, dir.to_str().expect("a UTF-8 path")]
            .map(String::from)
            .into_iter()
            .chain([files, bytes, dirs, seed].map(|n: u64| n.to_string()))
            .collect::<Vec<_>>();
        fixtures::run(&args).expect("the fixture is written");
        group.throughput(Throughput::Bytes(files * bytes));
        for ext in ["out", "out.gz"] {
            let out = root.path().join(format!("{name}.{ext}"));
            let id = format!("{name} into {ext}");
            group.bench_function(BenchmarkId::new("library", &id), |b| {
                b.to_async(&runtime).iter(|| async {
                    let mut listing = Listing::builder();
                    listing.recursive(true).input(&dir);
                    Merge::new(Output::path(&out))
                        .listing(listing)
                        .run()
                        .await
                        .expect("the merge");
                });
            });
            group.bench_function(BenchmarkId::new("cli", &id), |b| {
                b.iter(|| {
                    let status = std::process::Command::new(env!("CARGO_BIN_EXE_smerge"))
                        .args(["merge", "-r"])
                        .arg(&dir)
                        .arg(&out)
                        .status()
                        .expect("smerge runs");
                    assert!(status.success());
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, paths, library_vs_cli);
criterion_main!(benches);
