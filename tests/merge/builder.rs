//! [`Merge`]: the path it picks, the codec by extension, what it says about
//! compressed inputs, `strict`, stages, backends and the report.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use smerge::fs::{Listing, ListingBuilder};
use smerge::merge::{
    Compression, InputContext, InputStage, Merge, MergeCallback, MergeOptions, MergePath,
    MergeReport, Output, OutputBackend, PlainMergeFuture, WarningKind,
};
use smerge::transforms::{Codec, Compress, Eol, LineEnding};
use smerge::{CollectSink, Duplex, ErrorKind, Readable, ReadableExt, Result, Writable};

fn tree(files: &[(&str, &[u8])]) -> (tempfile::TempDir, ListingBuilder) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("in")).unwrap();
    for (name, content) in files {
        std::fs::write(dir.path().join("in").join(name), content).unwrap();
    }
    let mut listing = Listing::builder();
    listing.input(dir.path().join("in"));
    (dir, listing)
}

async fn gzip(data: &[u8]) -> Vec<u8> {
    Readable::from_iter([Bytes::copy_from_slice(data)])
        .pipe(Compress::new(Codec::Gzip))
        .to_bytes()
        .await
        .unwrap()
        .to_vec()
}

/// Numbered lines, which gzip cannot squeeze into a few bytes.
fn lines(count: usize) -> Vec<u8> {
    (0..count)
        .flat_map(|n| format!("line {n}\n").into_bytes())
        .collect()
}

/// A writable collecting what it is given, and the collected bytes.
fn collecting() -> (Output, smerge::Collected<Bytes>) {
    let (sink, got) = CollectSink::new();
    let output = Output::Writable {
        writable: Box::new(Writable::new(sink)),
        name: PathBuf::from("memory"),
    };
    (output, got)
}

#[tokio::test]
async fn a_plain_merge_into_a_file_takes_the_kernel_path_and_a_writable_the_stream_path() {
    let (dir, listing) = tree(&[("a", b"one\n"), ("b", b"two\n")]);
    let out = dir.path().join("out.txt");
    let kernel = Merge::new(Output::path(&out))
        .listing(listing.clone())
        .run()
        .await
        .unwrap();
    let (output, got) = collecting();
    let stream = Merge::new(output).listing(listing).run().await.unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), b"one\ntwo\n");
    assert_eq!(got.take().concat(), b"one\ntwo\n");
    assert_eq!(kernel.path, Some(MergePath::Kernel));
    assert_eq!(stream.path, Some(MergePath::Stream));
    for report in [&kernel, &stream] {
        assert_eq!((report.inputs, report.bytes), (2, 8));
        assert!(report.is_complete() && report.warnings.is_empty());
    }
}

#[tokio::test]
async fn the_output_inside_its_input_directory_is_left_out() {
    let (dir, listing) = tree(&[("a", b"a")]);
    let out = dir.path().join("in/out");
    std::fs::write(&out, "old").unwrap();
    let report = Merge::new(Output::path(&out))
        .listing(listing)
        .run()
        .await
        .unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), b"a");
    assert_eq!(report.warnings[0].kind(), WarningKind::Listing);
    assert!(report.warnings[0].to_string().contains("it is the output"));

    // A listing made beforehand is checked too.
    let listed = Listing::builder()
        .input(dir.path().join("in"))
        .build()
        .unwrap();
    assert_eq!(listed.len(), 2);
    let report = Merge::new(Output::path(&out))
        .listed(listed)
        .run()
        .await
        .unwrap();
    assert_eq!(report.inputs, 1);
    assert_eq!(std::fs::read(&out).unwrap(), b"a");
}

#[tokio::test]
async fn compressed_inputs_into_their_codec_are_concatenated_and_the_level_ignored() {
    let a = gzip(b"first\n").await;
    let b = gzip(b"second\n").await;
    let (dir, listing) = tree(&[("a.gz", &a), ("b.gz", &b)]);
    let out = dir.path().join("all.gz");
    let report = Merge::new(Output::path(&out))
        .listing(listing)
        .level(9)
        .run()
        .await
        .unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), [a, b].concat());
    assert_eq!(report.codec, None);
    assert_eq!(report.already_compressed, Some(Codec::Gzip));
    assert_eq!(report.path, Some(MergePath::Kernel));
    let kinds: Vec<WarningKind> = report.warnings.iter().map(|w| w.kind()).collect();
    assert_eq!(kinds, [WarningKind::Note, WarningKind::Option]);
    assert!(report.warnings[1].to_string().contains("level 9 ignored"));
}

#[tokio::test]
async fn compressed_among_plain_inputs_is_a_warning_and_under_strict_an_error() {
    let a = gzip(b"zipped\n").await;
    let (dir, listing) = tree(&[("a.gz", &a), ("b.txt", b"plain\n")]);
    let out = dir.path().join("all.zst");
    std::fs::write(&out, "old").unwrap();
    let report = Merge::new(Output::path(&out))
        .listing(listing.clone())
        .run()
        .await
        .unwrap();
    assert_eq!(report.codec, Some(Codec::Zstd));
    let warning = &report.warnings[0];
    assert_eq!(warning.kind(), WarningKind::Content);
    assert!(warning.path().unwrap().ends_with("in/a.gz"));
    assert!(warning.message().contains("--decompress"), "{warning}");

    std::fs::write(&out, "old").unwrap();
    let error = Merge::new(Output::path(&out))
        .listing(listing)
        .strict(true)
        .run()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidData);
    assert!(format!("{error:#}").contains("a.gz"), "{error:#}");
    assert_eq!(std::fs::read(&out).unwrap(), b"old");
}

#[tokio::test]
async fn options_are_checked_before_anything_is_listed() {
    let merge = || Merge::new(Output::path("/nonexistent/dir/out.txt"));
    let error = merge().level(3).plan().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    let error = merge()
        .compression(Compression::With(Codec::Gzip))
        .level(12)
        .plan()
        .unwrap_err();
    assert_eq!(error.to_string(), "gzip level must be 1-9, got 12");
    let error = Merge::new(Output::Stdout)
        .manifest(smerge::merge::ManifestOutput::Stdout)
        .check()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
}

#[tokio::test]
async fn a_truncated_input_under_keep_going_is_cut_back_out_of_a_file() {
    let good = gzip(b"good\n").await;
    let bad = gzip(&lines(20_000)).await;
    let truncated = &bad[..bad.len() / 2];
    let (dir, listing) = tree(&[("1.gz", &good), ("2.gz", truncated), ("3.gz", &good)]);
    let mut options = MergeOptions::default();
    options.decompress = true;
    options.keep_going = true;
    options.header = Some(smerge::merge::HeaderTemplate::parse("# {name}\n").unwrap());
    let out = dir.path().join("out.txt");
    let report = Merge::new(Output::path(&out))
        .listing(listing.clone())
        .options(options.clone())
        .run()
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "# 1.gz\ngood\n# 3.gz\ngood\n"
    );
    assert_eq!((report.inputs, report.bytes), (2, 24));
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].path, "2.gz");
    let warning = report.warnings.last().unwrap();
    assert_eq!(warning.kind(), WarningKind::Skipped);
    assert!(warning.message().contains("cut back out"), "{warning}");

    // Into a writable, what was decoded stays, as with zcat.
    let (output, got) = collecting();
    let report = Merge::new(output)
        .listing(listing)
        .options(options)
        .run()
        .await
        .unwrap();
    let text = got.take().concat();
    let kept = b"# 1.gz\ngood\n# 2.gz\nline 0\n";
    assert!(text.starts_with(kept), "{}", String::from_utf8_lossy(&text));
    assert!(text.ends_with(b"# 3.gz\ngood\n"));
    assert_eq!(report.bytes, text.len() as u64);
    assert!(
        report
            .warnings
            .last()
            .unwrap()
            .message()
            .contains("stay in the output")
    );
}

#[tokio::test]
async fn a_failed_input_is_cut_back_out_of_an_appended_file_only() {
    let good = gzip(b"good\n").await;
    let bad = gzip(&lines(20_000)).await;
    let (dir, listing) = tree(&[("1.gz", &good), ("2.gz", &bad[..bad.len() / 2])]);
    let mut options = MergeOptions::default();
    options.decompress = true;
    options.keep_going = true;
    for (output, path) in [
        (Output::Append(dir.path().join("log")), "log"),
        (Output::Truncate(dir.path().join("new")), "new"),
    ] {
        std::fs::write(dir.path().join(path), "before\n").unwrap();
        let report = Merge::new(output)
            .listing(listing.clone())
            .options(options.clone())
            .run()
            .await
            .unwrap();
        assert_eq!(report.skipped.len(), 1);
        let expected = if path == "log" {
            "before\ngood\n"
        } else {
            "good\n"
        };
        assert_eq!(
            std::fs::read_to_string(dir.path().join(path)).unwrap(),
            expected
        );
    }
}

/// Every input converted to CRLF by a stage of its own.
#[derive(Debug)]
struct Crlf(Arc<Mutex<Vec<(usize, usize)>>>);

impl InputStage for Crlf {
    fn stage(&self, input: &InputContext<'_>) -> Result<Option<Duplex<Bytes, Bytes>>> {
        self.0
            .lock()
            .unwrap()
            .push((input.position(), input.count()));
        Ok(Some(Duplex::transform(Eol::new(LineEnding::CrLf))))
    }
}

#[tokio::test]
async fn input_stages_see_every_input_and_take_the_stream_path() {
    let (_dir, listing) = tree(&[("a", b"1\n"), ("b", b"2\n")]);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (output, got) = collecting();
    let report = Merge::new(output)
        .listing(listing)
        .input_stage(Crlf(Arc::clone(&seen)))
        .run()
        .await
        .unwrap();
    assert_eq!(got.take().concat(), b"1\r\n2\r\n");
    assert_eq!(*seen.lock().unwrap(), [(0, 2), (1, 2)]);
    assert_eq!(report.bytes, 6);
}

/// A backend that keeps the output in memory and, when `compose` is set,
/// takes plain merges over by reading the files itself.
#[derive(Debug)]
struct Memory {
    compose: bool,
    got: Arc<Mutex<Vec<u8>>>,
}

impl OutputBackend for Memory {
    fn name(&self) -> PathBuf {
        PathBuf::from("memory://bucket/all.txt")
    }

    fn open(self: Box<Self>) -> Result<Writable<Bytes>> {
        let got = Arc::clone(&self.got);
        let (sink, collected) = CollectSink::new();
        let mut writable = Writable::new(sink);
        writable.observe(move |event| {
            if matches!(event, smerge::Event::Finish) {
                got.lock().unwrap().extend(collected.take().concat());
            }
        });
        Ok(writable)
    }

    fn merge_plain(
        &mut self,
        listing: &Arc<Listing>,
        _on_event: Option<MergeCallback>,
        record_parts: bool,
    ) -> Option<(MergePath, PlainMergeFuture)> {
        // It records no parts: a merge with a manifest is streamed into it.
        if !self.compose || record_parts {
            return None;
        }
        let paths: Vec<PathBuf> = listing.entries().map(|e| e.path().to_path_buf()).collect();
        let got = Arc::clone(&self.got);
        Some((
            MergePath::Kernel,
            Box::pin(async move {
                for path in &paths {
                    got.lock().unwrap().extend(std::fs::read(path)?);
                }
                let mut report = MergeReport::default();
                report.inputs = paths.len();
                Ok(report)
            }),
        ))
    }
}

#[tokio::test]
async fn a_backend_may_take_a_plain_merge_over_or_be_streamed_into() {
    let (_dir, listing) = tree(&[("a", b"A"), ("b", b"B")]);
    for compose in [false, true] {
        let got = Arc::new(Mutex::new(Vec::new()));
        let backend = Memory {
            compose,
            got: Arc::clone(&got),
        };
        let report = Merge::new(Output::Backend(Box::new(backend)))
            .listing(listing.clone())
            .run()
            .await
            .unwrap();
        assert_eq!(*got.lock().unwrap(), b"AB");
        let expected = if compose {
            MergePath::Kernel
        } else {
            MergePath::Stream
        };
        assert_eq!(report.path, Some(expected));
        assert_eq!(report.inputs, 2);
    }
}

#[tokio::test]
async fn a_dry_run_plans_without_writing() {
    let (dir, listing) = tree(&[("a", b"12"), ("b", b"345")]);
    let out = dir.path().join("out.gz");
    let plan = Merge::new(Output::path(&out))
        .listing(listing)
        .plan()
        .unwrap();
    let summary = serde_json::to_value(plan.summary()).unwrap();
    assert_eq!(summary["total"], 5);
    assert_eq!(summary["path"], "stream");
    assert_eq!(summary["codec"], "gzip");
    assert_eq!(summary["inputs"][1]["path"], "b");
    assert_eq!(summary["inputs"][1]["size"], 3);
    assert!(!Path::new(&out).exists());
}

/// A source map alone keeps the kernel's copy; a bad input map is a
/// content warning of the merge (in the report and to `on_warning`), and an
/// error under `strict` that leaves neither bundle nor map.
#[cfg(feature = "source-map")]
#[tokio::test]
async fn a_source_map_keeps_the_kernel_path_and_warns_through_the_merge() {
    use smerge::sourcemap::{MapTarget, SourceMapOptions};

    let (dir, listing) = tree(&[
        ("a.js", b"a();\n//# sourceMappingURL=a.js.map\n"),
        ("a.js.map", b"{ not json"),
        ("b.js", b"b();"),
    ]);
    let mut listing = listing;
    listing.include("*.js");
    let bundle = dir.path().join("out.js");
    let mut options = MergeOptions::default();
    options.source_map = Some(SourceMapOptions::for_output(&bundle, MapTarget::Beside));
    let heard = Arc::new(Mutex::new(Vec::new()));
    let said = Arc::clone(&heard);
    let report = Merge::new(Output::path(&bundle))
        .listing(listing.clone())
        .options(options.clone())
        .on_warning(Arc::new(move |w| said.lock().unwrap().push(w.to_string())))
        .run()
        .await
        .unwrap();
    assert_eq!(report.path, Some(MergePath::Kernel));
    assert_eq!(
        std::fs::read_to_string(&bundle).unwrap(),
        "a();\nb();\n//# sourceMappingURL=out.js.map\n"
    );
    assert_eq!(report.bytes, std::fs::metadata(&bundle).unwrap().len());
    assert_eq!(report.warnings.len(), 1);
    assert_eq!(report.warnings[0].kind(), WarningKind::Content);
    assert!(
        report.warnings[0]
            .message()
            .starts_with("reading the source map of "),
        "{:?}",
        report.warnings
    );
    assert_eq!(*heard.lock().unwrap(), [report.warnings[0].to_string()]);
    let map = std::fs::read_to_string(dir.path().join("out.js.map")).unwrap();
    assert!(map.contains(r#""sources":["in/a.js","in/b.js"]"#), "{map}");

    let strict = dir.path().join("strict.js");
    let mut options = options;
    options.source_map = Some(SourceMapOptions::for_output(&strict, MapTarget::Beside));
    let error = Merge::new(Output::path(&strict))
        .listing(listing)
        .options(options)
        .strict(true)
        .run()
        .await
        .unwrap_err();
    assert!(format!("{error:#}").contains("a.js"), "{error:#}");
    assert!(!strict.exists() && !dir.path().join("strict.js.map").exists());
}
