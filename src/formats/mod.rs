//! Merges that know their inputs' format: CSV and TSV tables joined under
//! one header, NDJSON lines checked and joined, JSON arrays joined into one
//! array — each streamed, in memory bounded by the largest record.
//!
//! A [`FormatMerge`] is a merge stage: given to
//! [`Merge::data`](crate::merge::Merge::data) as a
//! [`DataMerge`](crate::merge::DataMerge), it takes the ordered inputs and
//! writes the joined data into the merge's output (an atomic file, a
//! compressor, standard output), reading the inputs on a blocking thread.
//!
//! # Examples
//!
//! ```
//! use smerge::formats::{Columns, Format, FormatMerge};
//! use smerge::fs::Listing;
//! use smerge::merge::{DataMerge, Merge, Output};
//!
//! # #[tokio::main]
//! # async fn main() -> smerge::Result<()> {
//! # let dir = tempfile::tempdir()?;
//! # let (a, b, all) = (dir.path().join("a.csv"), dir.path().join("b.csv"), dir.path().join("all.csv"));
//! std::fs::write(&a, "id,name\n1,ann\n")?;
//! std::fs::write(&b, "name,id,email\nbob,2,b@example.com\n")?;
//! let mut listing = Listing::builder();
//! listing.inputs([a, b]);
//! let join = FormatMerge::new(Format::Csv).columns(Columns::Union);
//! Merge::new(Output::path(&all))
//!     .listing(listing)
//!     .data(DataMerge::Format(join))
//!     .run()
//!     .await?;
//! assert_eq!(std::fs::read(&all)?, b"id,name,email\n1,ann,\n2,bob,b@example.com\n");
//! # Ok(())
//! # }
//! ```

mod csv;
mod json;
mod ndjson;
mod records;
mod rows;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use bytes::Bytes;

use crate::Writable;
use crate::blocking::{Opener, produce};
use crate::data::DataReport;
use crate::merge::{ManifestPart, MergeCallback, MergeOptions, Warnings};
use crate::transforms::Codec;
use crate::{Error, ErrorKind, Result};

/// The formats a [`FormatMerge`] joins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Comma-separated values (or `;` or `|`, detected), header first.
    Csv,
    /// Tab-separated values, header first.
    Tsv,
    /// One JSON value per line.
    Ndjson,
    /// JSON: arrays joined into one array.
    Json,
}

impl Format {
    /// The format an output name implies, looking through a compression
    /// extension: `.csv`, `.tsv`/`.tab`, `.ndjson`/`.jsonl`, `.json`
    /// (`all.csv.gz` is CSV).
    ///
    /// ```
    /// use smerge::formats::Format;
    /// use std::path::Path;
    ///
    /// assert_eq!(Format::from_extension(Path::new("all.jsonl.zst")), Some(Format::Ndjson));
    /// assert_eq!(Format::from_extension(Path::new("all.txt")), None);
    /// ```
    pub fn from_extension(path: &Path) -> Option<Format> {
        let path = match Codec::from_extension(path) {
            Some(_) => path.file_stem().map(Path::new)?,
            None => path,
        };
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Some(Format::Csv),
            "tsv" | "tab" => Some(Format::Tsv),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// The format's name: `csv`, `tsv`, `ndjson`, `json`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Ndjson => "ndjson",
            Format::Json => "json",
        }
    }
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(s: &str) -> Result<Format> {
        match s {
            "csv" => Ok(Format::Csv),
            "tsv" => Ok(Format::Tsv),
            "ndjson" | "jsonl" => Ok(Format::Ndjson),
            "json" => Ok(Format::Json),
            _ => Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("unknown format {s:?} (expected csv, tsv, ndjson or json)"),
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which columns a CSV or TSV join writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Columns {
    /// Every input has the first input's header; rows are copied as they
    /// are. A different header is an error.
    #[default]
    Same,
    /// Every column of any input, in the order first seen, matched by
    /// name; a row's missing columns are left empty.
    Union,
    /// The columns every input has, in the first input's order.
    Intersect,
}

impl FromStr for Columns {
    type Err = Error;

    fn from_str(s: &str) -> Result<Columns> {
        match s {
            "same" => Ok(Columns::Same),
            "union" => Ok(Columns::Union),
            "intersect" => Ok(Columns::Intersect),
            _ => Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("unknown column mode {s:?} (expected same, union or intersect)"),
            )),
        }
    }
}

/// A merge that joins data files by their format; see the
/// [module documentation](self).
///
/// - **CSV and TSV**: the header is written once. By default every input
///   must have the same header, and each input's rows are copied as they
///   are (after checking that each has as many fields as the header);
///   [`Columns::Union`] and [`Columns::Intersect`] match columns by name.
///   A BOM is removed; CRLF line endings are kept. A row with the wrong
///   number of fields is an error naming the file and line, or, with
///   `keep_going`, a warning and the row is left out.
/// - **NDJSON**: every non-blank line must be one JSON value (an error
///   naming the file and line, or a warning and the line left out with
///   `keep_going`); blank lines are dropped; every line ends with `\n`.
/// - **JSON**: one array of the elements of every input that is an array,
///   and of every other top-level value.
///
/// With an [`add_source`](FormatMerge::add_source) name, each row gets a
/// column, and each object a field, of that name holding the input's path.
#[derive(Clone, Debug)]
pub struct FormatMerge {
    format: Format,
    delimiter: Option<u8>,
    columns: Columns,
    add_source: Option<String>,
}

impl FormatMerge {
    /// A join of `format` inputs, with the defaults: same columns, the
    /// delimiter detected (tab for TSV), no source column.
    pub fn new(format: Format) -> FormatMerge {
        FormatMerge {
            format,
            delimiter: None,
            columns: Columns::Same,
            add_source: None,
        }
    }

    /// The format joined.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The CSV delimiter, instead of detecting it in each input.
    pub fn delimiter(mut self, delimiter: u8) -> FormatMerge {
        self.delimiter = Some(delimiter);
        self
    }

    /// Which columns a CSV or TSV join writes.
    pub fn columns(mut self, columns: Columns) -> FormatMerge {
        self.columns = columns;
        self
    }

    /// Adds a column (CSV, TSV) or field (NDJSON, JSON objects) named
    /// `name` holding each record's input path.
    pub fn add_source(mut self, name: impl Into<String>) -> FormatMerge {
        self.add_source = Some(name.into());
        self
    }

    /// Joins `entries` into `output`, then closes it.
    ///
    /// Of `options`, these apply: `decompress`, `keep_going` (inputs that
    /// cannot be opened, and bad rows or lines, are skipped with a
    /// warning), `allow_changing` and `record_parts` (one part per input,
    /// at the offsets of its rows in the output). The content options
    /// (banner, headers, separators…) do not: the format decides the bytes.
    ///
    /// # Errors
    ///
    /// An input that cannot be read, a header that differs, a row or line
    /// that is not valid (each naming the file and line), or the output
    /// failing; `output` is then left unfinished, so an atomic file is
    /// discarded.
    pub(crate) async fn run(
        &self,
        entries: &std::sync::Arc<crate::fs::Listing>,
        options: &MergeOptions,
        warnings: &Warnings,
        output: &mut Writable<Bytes>,
        on_event: Option<MergeCallback>,
    ) -> Result<DataReport> {
        let mut merge = self.clone();
        if merge.format == Format::Tsv && merge.delimiter.is_none() {
            merge.delimiter = Some(b'\t');
        }
        let opener = Opener::new(options, warnings, on_event);
        let entries = std::sync::Arc::clone(entries);
        let ((inputs, skipped), parts, bytes) = produce(output, options.record_parts, move |out| {
            match merge.format {
                Format::Csv | Format::Tsv => csv::join(&merge, &entries, &opener, out),
                Format::Ndjson => ndjson::join(&merge, &entries, &opener, out),
                Format::Json => json::join(&merge, &entries, &opener, out),
            }
        })
        .await?;
        let parts = parts
            .iter()
            .map(ManifestPart::from_record)
            .collect::<Result<Vec<_>>>()?;
        Ok(DataReport {
            inputs,
            bytes,
            skipped,
            parts,
        })
    }
}

#[cfg(test)]
mod tests;
