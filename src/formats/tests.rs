//! Property tests of the data merges: whatever the tables, CSV joined by
//! smerge reads back as the rows of every input, under one header.

use proptest::prelude::*;

use crate::CollectSink;
use crate::Writable;
use crate::formats::{Columns, Format, FormatMerge};
use crate::fs::Listing;
use crate::merge::{DataMerge, Merge, Output};

fn field() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-c ,\"\r\n;]{0,6}").unwrap()
}

/// Rows of `width` fields.
fn table(width: usize) -> impl Strategy<Value = Vec<Vec<String>>> {
    proptest::collection::vec(proptest::collection::vec(field(), width), 0..6)
}

fn write_csv(header: &[String], rows: &[Vec<String>], crlf: bool) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(if crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(Vec::new());
    writer.write_record(header).unwrap();
    for row in rows {
        writer.write_record(row).unwrap();
    }
    writer.into_inner().unwrap()
}

fn join(format: Format, columns: Columns, files: &[Vec<u8>]) -> crate::Result<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = files
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            let path = dir.path().join(format!("{i}.csv"));
            std::fs::write(&path, bytes).unwrap();
            path
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut listing = Listing::builder();
        listing.inputs(paths);
        let (sink, got) = CollectSink::new();
        let output = Output::Writable {
            writable: Box::new(Writable::new(sink)),
            name: "joined".into(),
        };
        let join = FormatMerge::new(format).columns(columns).delimiter(b',');
        Merge::new(output)
            .listing(listing)
            .data(DataMerge::Format(join))
            .run()
            .await?;
        Ok(got.take().concat())
    })
}

fn read_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn identical_headers_keep_every_row(
        tables in proptest::collection::vec(table(3), 1..4),
        crlf in proptest::collection::vec(any::<bool>(), 4),
    ) {
        let header: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let files: Vec<Vec<u8>> = tables
            .iter()
            .enumerate()
            .map(|(i, rows)| write_csv(&header, rows, crlf[i]))
            .collect();
        let joined = join(Format::Csv, Columns::Same, &files).unwrap();
        let mut expected = vec![header.clone()];
        for rows in &tables {
            expected.extend(rows.iter().cloned());
        }
        // csv reads a lone empty field as an empty record; so does smerge's
        // output, row for row.
        let expected_bytes = {
            let mut w = csv::Writer::from_writer(Vec::new());
            for row in &expected {
                w.write_record(row).unwrap();
            }
            w.into_inner().unwrap()
        };
        prop_assert_eq!(read_rows(&joined), read_rows(&expected_bytes));
    }

    #[test]
    fn union_fills_missing_columns(rows_a in table(2), rows_b in table(2)) {
        let a = write_csv(&["x".into(), "y".into()], &rows_a, false);
        let b = write_csv(&["y".into(), "z".into()], &rows_b, true);
        let joined = join(Format::Csv, Columns::Union, &[a, b]).unwrap();
        let mut expected = vec![vec!["x".to_string(), "y".into(), "z".into()]];
        expected.extend(rows_a.iter().map(|r| vec![r[0].clone(), r[1].clone(), String::new()]));
        expected.extend(rows_b.iter().map(|r| vec![String::new(), r[0].clone(), r[1].clone()]));
        let expected_bytes = {
            let mut w = csv::Writer::from_writer(Vec::new());
            for row in &expected {
                w.write_record(row).unwrap();
            }
            w.into_inner().unwrap()
        };
        prop_assert_eq!(read_rows(&joined), read_rows(&expected_bytes));
    }
}
