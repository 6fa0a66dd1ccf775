//! `--format ndjson|json` over arbitrary inputs.
//!
//! The settings byte: bit 0 JSON (else NDJSON), bit 1 a source field, bit
//! 2 keep going. Up to four inputs, cut at `0xff` bytes. The merge must
//! end with the output or an `InvalidData`/`Io` error, never a panic; an
//! output must be valid: one JSON array, or one JSON value per line.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::de::IgnoredAny;
use smerge::formats::{Format, FormatMerge};
use smerge::fs::Listing;
use smerge::merge::{DataMerge, Merge, MergeOptions, Output};
use smerge::{CollectSink, ErrorKind, Writable};
use smerge_fuzz::{DataInputs, block_on_threaded};

fuzz_target!(|input: &[u8]| {
    let Some((&settings, data)) = input.split_first() else {
        return;
    };
    let json = settings & 1 != 0;
    let inputs = DataInputs::new(data, if json { "json" } else { "ndjson" });
    let mut merge = FormatMerge::new(if json { Format::Json } else { Format::Ndjson });
    if settings & 2 != 0 {
        merge = merge.add_source("source");
    }
    let mut options = MergeOptions::default();
    options.keep_going = settings & 4 != 0;
    let (sink, got) = CollectSink::new();
    let result = block_on_threaded(async {
        let mut listing = Listing::builder();
        listing.inputs(inputs.paths.clone());
        let output = Output::Writable {
            writable: Box::new(Writable::new(sink)),
            name: inputs.dir().join("out"),
        };
        Merge::new(output)
            .listing(listing)
            .options(options)
            .data(DataMerge::Format(merge))
            .run()
            .await
    });
    match result {
        Ok(_) => {
            let text = got.take().concat();
            let valid = |bytes: &[u8]| serde_json::from_slice::<IgnoredAny>(bytes).is_ok();
            if json {
                assert!(valid(&text), "the output is not one JSON value");
            } else {
                for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                    assert!(valid(line), "a line of the output is not JSON");
                }
            }
        }
        Err(error) => assert!(
            matches!(error.kind(), ErrorKind::InvalidData | ErrorKind::Io),
            "{error:?}"
        ),
    }
});
