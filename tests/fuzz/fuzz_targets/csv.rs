//! `--format csv|tsv` over arbitrary inputs.
//!
//! The settings byte: bit 0 TSV, bits 1-2 the columns (same, union,
//! intersect), bit 3 a source column, bit 4 keep going, bit 5 a comma
//! given as the delimiter (otherwise detected in each input). Up to four
//! inputs, cut at `0xff` bytes. The merge must end with the output or an
//! `InvalidData`/`Io` error, never a panic; with a known delimiter, an
//! output it wrote must read back as a table whose rows all have the
//! header's width.

#![no_main]

use libfuzzer_sys::fuzz_target;
use smerge::formats::{Columns, Format, FormatMerge};
use smerge::fs::Listing;
use smerge::merge::{DataMerge, Merge, MergeOptions, Output};
use smerge::{CollectSink, ErrorKind, Writable};
use smerge_fuzz::{DataInputs, block_on_threaded};

fuzz_target!(|input: &[u8]| {
    let Some((&settings, data)) = input.split_first() else {
        return;
    };
    let tsv = settings & 1 != 0;
    let inputs = DataInputs::new(data, if tsv { "tsv" } else { "csv" });
    let mut merge = FormatMerge::new(if tsv { Format::Tsv } else { Format::Csv }).columns(
        match (settings >> 1) & 3 {
            1 => Columns::Union,
            2 => Columns::Intersect,
            _ => Columns::Same,
        },
    );
    if settings & 8 != 0 {
        merge = merge.add_source("source");
    }
    let given = settings & 32 != 0 || tsv;
    if settings & 32 != 0 && !tsv {
        merge = merge.delimiter(b',');
    }
    let mut options = MergeOptions::default();
    options.keep_going = settings & 16 != 0;
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
        Ok(_) if given => {
            let text = got.take().concat();
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(if tsv { b'\t' } else { b',' })
                .has_headers(false)
                .flexible(true)
                .from_reader(&text[..]);
            let mut width = None;
            for record in reader.byte_records() {
                let record = record.expect("the output is CSV");
                let expected = *width.get_or_insert(record.len());
                assert_eq!(record.len(), expected, "a row of another width: {record:?}");
            }
        }
        Ok(_) => {}
        Err(error) => assert!(
            matches!(error.kind(), ErrorKind::InvalidData | ErrorKind::Io),
            "{error:?}"
        ),
    }
});
