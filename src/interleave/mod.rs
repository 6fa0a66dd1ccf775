//! Time-ordered merges: inputs that are each in time order (one log per
//! host) merged into one stream in time order, as `sort -m` merges sorted
//! files.
//!
//! [`Interleave`] is a k-way merge holding one record per input: a record
//! is a line whose start has a time ([`KeyReader`]) plus the lines after
//! it that have none (an indented continuation, a stack trace, a line
//! whose time cannot be read). Equal times keep the inputs' order, so the
//! merge is stable. An input whose times go back is a warning naming the
//! file and line (an error when the [`Warnings`] are strict).
//!
//! # Examples
//!
//! ```
//! use smerge::fs::Listing;
//! use smerge::interleave::Interleave;
//! use smerge::merge::{DataMerge, Merge, Output};
//!
//! # #[tokio::main]
//! # async fn main() -> smerge::Result<()> {
//! # let dir = tempfile::tempdir()?;
//! # let (a, b, all) = (dir.path().join("a.log"), dir.path().join("b.log"), dir.path().join("all.log"));
//! std::fs::write(&a, "2024-03-01T12:00:01Z a1\n2024-03-01T12:00:03Z a2\n  at x\n")?;
//! std::fs::write(&b, "2024-03-01T12:00:02Z b1\n2024-03-01T12:00:03Z b2\n")?;
//! let mut listing = Listing::builder();
//! listing.inputs([a, b]);
//! Merge::new(Output::path(&all))
//!     .listing(listing)
//!     .data(DataMerge::Interleave(Interleave::new()))
//!     .run()
//!     .await?;
//! assert_eq!(
//!     std::fs::read_to_string(&all)?,
//!     "2024-03-01T12:00:01Z a1\n2024-03-01T12:00:02Z b1\n\
//!      2024-03-01T12:00:03Z a2\n  at x\n2024-03-01T12:00:03Z b2\n"
//! );
//! # Ok(())
//! # }
//! ```

mod records;
mod timestamp;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Write;

use bytes::Bytes;

use self::records::RecordReader;
pub use self::timestamp::{Key, KeyReader};
use crate::Writable;
use crate::blocking::{ChunkWriter, Opener, produce};
use crate::data::DataReport;
use crate::fs::Entry;
use crate::merge::{MergeCallback, MergeOptions, SkippedInput, Warning, Warnings};
use crate::{Error, Result};

/// A merge of inputs in time order; see the [module documentation](self).
#[derive(Clone, Debug, Default)]
pub struct Interleave {
    keys: KeyReader,
    add_source: bool,
}

impl Interleave {
    /// A merge that reads times in the automatic forms.
    pub fn new() -> Interleave {
        Interleave::default()
    }

    /// Reads the times with `keys` instead.
    pub fn keys(mut self, keys: KeyReader) -> Interleave {
        self.keys = keys;
        self
    }

    /// Starts each record with its input's path and a tab.
    pub fn add_source(mut self, add_source: bool) -> Interleave {
        self.add_source = add_source;
        self
    }

    /// Merges `entries` in time order into `output`, then closes it.
    ///
    /// Of `options`, these apply: `decompress` (rotated, compressed logs),
    /// `keep_going` (inputs that cannot be opened are skipped) and
    /// `allow_changing`. The content options do not, and no parts are
    /// recorded: the inputs' records are interleaved (a
    /// [`Merge`](crate::merge::Merge) with a manifest refuses it).
    ///
    /// # Errors
    ///
    /// An input that cannot be read, naming it; with strict warnings, a
    /// record out of time order, naming the file and line; the output
    /// failing. `output` is then left unfinished.
    pub(crate) async fn run(
        &self,
        entries: &std::sync::Arc<crate::fs::Listing>,
        options: &MergeOptions,
        warnings: &Warnings,
        output: &mut Writable<Bytes>,
        on_event: Option<MergeCallback>,
    ) -> Result<DataReport> {
        let merge = self.clone();
        // Every input is open at once: the objects share the read-ahead.
        let objects = entries
            .entries()
            .filter(|entry| entry.kind() == crate::fs::EntryKind::Object)
            .count();
        let opener = Opener::new(options, warnings, on_event).reading_at_once(objects);
        let entries = std::sync::Arc::clone(entries);
        let ((inputs, skipped), _, bytes) = produce(output, false, move |out| {
            merge.merge(&entries, &opener, out)
        })
        .await?;
        Ok(DataReport {
            inputs,
            bytes,
            skipped,
            parts: Vec::new(),
        })
    }

    /// The k-way merge, on a blocking thread.
    fn merge(
        &self,
        entries: &crate::fs::Listing,
        opener: &Opener,
        out: &mut ChunkWriter,
    ) -> Result<(usize, Vec<SkippedInput>)> {
        let mut skipped = Vec::new();
        let mut inputs: Vec<(RecordReader, Entry<'_>)> = Vec::new();
        for entry in entries {
            if let Some(input) = opener.open(&entry, &mut skipped)? {
                inputs.push((RecordReader::new(input.reader, self.keys.clone()), entry));
            }
        }
        let files = inputs.len();
        // The smallest (time, input) first: equal times in input order.
        let mut heap = BinaryHeap::with_capacity(inputs.len());
        for (index, (reader, entry)) in inputs.iter_mut().enumerate() {
            if let Some(key) = self.advance(reader, entry, &opener.warnings)? {
                heap.push(Reverse((key, index)));
            }
        }
        while let Some(Reverse((_, index))) = heap.pop() {
            let (reader, entry) = &mut inputs[index];
            if self.add_source {
                out.write_all(entry.path().as_os_str().as_encoded_bytes())
                    .and_then(|()| out.write_all(b"\t"))
                    .map_err(Error::io)?;
            }
            out.write_all(reader.record()).map_err(Error::io)?;
            if let Some(key) = self.advance(reader, entry, &opener.warnings)? {
                heap.push(Reverse((key, index)));
            }
        }
        Ok((files, skipped))
    }

    /// Reads the next record of `reader`, warning when it goes back in
    /// time; its key, or `None` at the end.
    fn advance(
        &self,
        reader: &mut RecordReader,
        entry: &Entry<'_>,
        warnings: &Warnings,
    ) -> Result<Option<Key>> {
        let previous = reader.key().map(|key| (key, reader.line()));
        let Some(key) = reader
            .next_record()
            .map_err(|e| crate::blocking::read_error(e, entry.path()))?
        else {
            return Ok(None);
        };
        if let Some((previous, line)) = previous
            && key < previous
        {
            warnings.warn(Warning::content(
                entry.path(),
                format!(
                    "line {} is out of time order (earlier than line {line})",
                    reader.line()
                ),
            ))?;
        }
        Ok(Some(key))
    }
}

#[cfg(test)]
mod tests;
