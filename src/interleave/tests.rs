//! Property test of the interleave: inputs each in time order come out as
//! a stable sort of all their records by time.

use proptest::prelude::*;

use crate::CollectSink;
use crate::Writable;
use crate::fs::Listing;
use crate::interleave::Interleave;
use crate::merge::{DataMerge, Merge, Output};

/// One input: sorted seconds, each record maybe with a continuation line.
fn log() -> impl Strategy<Value = Vec<(u32, bool)>> {
    proptest::collection::vec((0u32..20, any::<bool>()), 0..12).prop_map(|mut records| {
        records.sort_by_key(|r| r.0);
        records
    })
}

fn record(input: usize, index: usize, second: u32, continued: bool) -> String {
    let mut text = format!("2024-03-01T12:00:{second:02}Z input {input} record {index}\n");
    if continued {
        text.push_str(&format!("  continued {input} {index}\n"));
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn the_merge_is_a_stable_sort_by_time(logs in proptest::collection::vec(log(), 1..6)) {
        let dir = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        let mut all = Vec::new();
        for (input, records) in logs.iter().enumerate() {
            let mut text = String::new();
            for (index, &(second, continued)) in records.iter().enumerate() {
                let r = record(input, index, second, continued);
                text.push_str(&r);
                all.push((second, input, index, r));
            }
            let path = dir.path().join(format!("{input}.log"));
            std::fs::write(&path, text).unwrap();
            paths.push(path);
        }
        all.sort_by_key(|r| (r.0, r.1, r.2));
        let expected: String = all.into_iter().map(|r| r.3).collect();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).build().unwrap();
        let got = runtime.block_on(async {
            let mut listing = Listing::builder();
            listing.inputs(paths);
            let (sink, got) = CollectSink::new();
            let output = Output::Writable { writable: Box::new(Writable::new(sink)), name: "all.log".into() };
            Merge::new(output)
                .listing(listing)
                .data(DataMerge::Interleave(Interleave::new()))
                .run()
                .await?;
            crate::Result::<Vec<u8>>::Ok(got.take().concat())
        }).unwrap();
        prop_assert_eq!(String::from_utf8(got).unwrap(), expected);
    }
}

#[tokio::test]
async fn a_merge_with_a_manifest_refuses_to_interleave() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.log");
    std::fs::write(&log, "2024-03-01T12:00:00Z a\n").unwrap();
    let mut listing = Listing::builder();
    listing.inputs([log]);
    let error = Merge::new(Output::path(dir.path().join("all.log")))
        .listing(listing)
        .manifest(crate::merge::ManifestOutput::path(
            dir.path().join("m.json"),
        ))
        .data(DataMerge::Interleave(Interleave::new()))
        .run()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), crate::ErrorKind::InvalidArgument);
    assert!(!dir.path().join("all.log").exists());
    assert!(!dir.path().join("m.json").exists());
}
