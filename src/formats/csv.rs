//! CSV and TSV inputs joined into one table: the header once, then every
//! input's rows.
//!
//! With identical headers (the default) each input's rows are copied as
//! they are, byte for byte: read a block at a time, checked that each row
//! has the header's number of fields (64 bytes at a time, see
//! `rows.rs`) and handed to the output without being copied again.
//! `--columns union|intersect` and `--add-source` match columns by name
//! and write every row again.

use std::io::{Read, Write};
use std::path::Path;

use bytes::BytesMut;

use crate::blocking::{ChunkWriter, Input, Opener, read_error};
use crate::formats::records::{Records, sniff_delimiter};
use crate::formats::rows::{RowFields, check_rows, split_rows};
use crate::formats::{Columns, FormatMerge};
use crate::fs::{Entry, EntryKind};
use crate::merge::{PartKind, SkippedInput};
use crate::{Error, ErrorKind, Result};

type Fields = Vec<Vec<u8>>;

/// Joins the CSV inputs `entries` into `out`; returns the inputs skipped.
pub(crate) fn join(
    merge: &FormatMerge,
    entries: &crate::fs::Listing,
    opener: &Opener,
    out: &mut ChunkWriter,
) -> Result<(usize, Vec<SkippedInput>)> {
    let mut skipped = Vec::new();
    let columns = merge.columns;
    let mut plan = if columns == Columns::Same {
        None
    } else {
        Some(plan_columns(merge, entries, opener, &mut skipped)?)
    };
    let mut state = State {
        delimiter: None,
        reference: None,
        header_written: false,
        last: b'\n',
        files: 0,
    };
    let reencode_all = columns != Columns::Same || merge.add_source.is_some();
    for (index, entry) in entries.entries().enumerate() {
        let entry = &entry;
        let input = match plan.as_mut().and_then(|plan| plan.kept[index].take()) {
            Some(input) => Some(input),
            None if plan.as_ref().is_some_and(|plan| plan.skipped[index]) => continue,
            None => opener.open(entry, &mut skipped)?,
        };
        let Some(input) = input else { continue };
        state.files += 1;
        let mut records = Records::new(input.reader, b',');
        let delimiter = match merge.delimiter {
            Some(delimiter) => delimiter,
            None => sniff_delimiter(records.peek().map_err(|e| read_error(e, entry.path()))?),
        };
        records.set_delimiter(delimiter);
        let (header, header_raw) = match records
            .next_record()
            .map_err(|e| read_error(e, entry.path()))?
        {
            Some(header) => (
                header.fields().map(<[u8]>::to_vec).collect::<Fields>(),
                trim_line_start(
                    header
                        .raw()
                        .strip_prefix(b"\xef\xbb\xbf")
                        .unwrap_or(header.raw()),
                )
                .to_vec(),
            ),
            None => continue,
        };
        let output_delimiter = *state.delimiter.get_or_insert(delimiter);
        let header_cr = header_raw.last() == Some(&b'\r');
        let target = Target {
            merge,
            opener,
            delimiter: output_delimiter,
        };
        out.begin_part(PartKind::File, Some(entry));
        if let Some(plan) = &plan {
            if !state.header_written {
                let source = merge.add_source.as_deref().map(str::as_bytes);
                let names = plan.columns.iter().map(Vec::as_slice).chain(source);
                write_row(out, output_delimiter, names)?;
                state.header_written = true;
            }
            let mapping = plan.mapping(&header);
            let input = FieldInput {
                entry,
                header: &header,
                delimiter,
                header_cr,
            };
            copy_fields(records, &input, &mapping, &target, out)?;
            continue;
        }
        match &state.reference {
            None => {
                state.reference = Some((header.clone(), entry.path().to_path_buf()));
                if let Some(source) = &merge.add_source {
                    let mut names: Vec<&[u8]> = header.iter().map(Vec::as_slice).collect();
                    names.push(source.as_bytes());
                    write_row(out, output_delimiter, names.into_iter())?;
                } else {
                    out.write_all(&header_raw).map_err(Error::io)?;
                    state.last = match header_raw.last() {
                        Some(&b'\r') => b'\r',
                        Some(&b'\n') => b'\n',
                        _ => {
                            out.write_all(b"\n").map_err(Error::io)?;
                            b'\n'
                        }
                    };
                }
                state.header_written = true;
            }
            Some((reference, first)) if *reference != header => {
                return Err(Error::new(
                    ErrorKind::InvalidData,
                    format!(
                        "its header {} differs from the header {} of {} (--columns union or intersect match columns by name)",
                        show(&header, delimiter),
                        show(reference, output_delimiter),
                        crate::quote(first)
                    ),
                )
                .reading(entry.path()));
            }
            Some(_) => {}
        }
        if reencode_all || delimiter != output_delimiter {
            let identity: Vec<Option<usize>> = (0..header.len()).map(Some).collect();
            let input = FieldInput {
                entry,
                header: &header,
                delimiter,
                header_cr,
            };
            copy_fields(records, &input, &identity, &target, out)?;
        } else {
            let last = std::mem::replace(&mut state.last, b'\n');
            copy_rows(
                records,
                entry,
                header.len(),
                (header_cr, last),
                &target,
                out,
            )?;
        }
    }
    out.end_part();
    Ok((state.files, skipped))
}

struct State {
    delimiter: Option<u8>,
    /// The last byte written, when the next input's rows are copied as
    /// they are: a CR whose LF is still to come, or LF.
    last: u8,
    /// The first header, and whose it is.
    reference: Option<(Fields, std::path::PathBuf)>,
    header_written: bool,
    files: usize,
}

/// `raw` without the blank lines before its first field.
fn trim_line_start(raw: &[u8]) -> &[u8] {
    let blank = raw
        .iter()
        .take_while(|&&b| b == b'\n' || b == b'\r')
        .count();
    &raw[blank..]
}

/// The output columns of a `--columns union|intersect` join, found by
/// reading every input's header first.
struct ColumnPlan {
    /// The columns taken from the inputs (the source column comes after).
    columns: Fields,
    /// Inputs that cannot be opened again (standard input, a FIFO), kept
    /// open after their header was read, replaying what was read.
    kept: Vec<Option<Input>>,
    skipped: Vec<bool>,
}

impl ColumnPlan {
    /// For each output column, the field of `header` that fills it.
    fn mapping(&self, header: &Fields) -> Vec<Option<usize>> {
        self.columns
            .iter()
            .map(|name| header.iter().position(|h| h == name))
            .collect()
    }
}

fn plan_columns(
    merge: &FormatMerge,
    entries: &crate::fs::Listing,
    opener: &Opener,
    skipped: &mut Vec<SkippedInput>,
) -> Result<ColumnPlan> {
    let mut headers: Vec<Fields> = Vec::new();
    let mut kept = Vec::with_capacity(entries.len());
    let mut skip = Vec::with_capacity(entries.len());
    // Headers are read without progress events: the rows are what counts.
    let quiet = Opener {
        on_event: None,
        ..opener.clone()
    };
    for entry in entries {
        let entry = &entry;
        let Some(input) = quiet.open(entry, skipped)? else {
            kept.push(None);
            skip.push(true);
            continue;
        };
        // Files and objects are opened again for their rows; only streams
        // keep what their header read.
        let replayable = matches!(entry.kind(), EntryKind::File | EntryKind::Object);
        let mut replay = Replay::new(input.reader);
        let header = read_header(&mut replay, merge.delimiter, entry.path())?;
        headers.extend(header);
        skip.push(false);
        kept.push(if replayable {
            None
        } else {
            Some(Input {
                reader: Box::new(replay.rewind()),
                file: None,
            })
        });
    }
    let mut columns: Fields = Vec::new();
    match merge.columns {
        Columns::Union => {
            for header in &headers {
                for name in header {
                    if !columns.contains(name) {
                        columns.push(name.clone());
                    }
                }
            }
        }
        Columns::Intersect => {
            if let Some(first) = headers.first() {
                for name in first {
                    if headers.iter().all(|h| h.contains(name)) && !columns.contains(name) {
                        columns.push(name.clone());
                    }
                }
            }
        }
        Columns::Same => unreachable!("only union and intersect plan columns"),
    }
    Ok(ColumnPlan {
        columns,
        kept,
        skipped: skip,
    })
}

/// The header of an input, or `None` when it is empty.
fn read_header<R: Read>(reader: R, delimiter: Option<u8>, path: &Path) -> Result<Option<Fields>> {
    // Read little more than the header: its first line is sniffed.
    let mut records = Records::with_capacity(reader, b',', 8 * 1024);
    let delimiter = match delimiter {
        Some(d) => d,
        None => sniff_delimiter(records.peek().map_err(|e| read_error(e, path))?),
    };
    records.set_delimiter(delimiter);
    Ok(records
        .next_record()
        .map_err(|e| read_error(e, path))?
        .map(|header| header.fields().map(<[u8]>::to_vec).collect()))
}

/// A reader that remembers what it read, so that a stream whose header was
/// read can be read again from the start.
struct Replay {
    inner: Box<dyn Read + Send>,
    seen: Vec<u8>,
}

impl Replay {
    fn new(inner: Box<dyn Read + Send>) -> Replay {
        Replay {
            inner,
            seen: Vec::new(),
        }
    }

    fn rewind(self) -> impl Read + Send {
        std::io::Cursor::new(self.seen).chain(self.inner)
    }
}

impl Read for Replay {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

/// How much of an input is checked and handed to the output at a time.
const BLOCK: usize = 128 * 1024;

/// How much of the rows put together again is written at a time.
const ROWS_SIZE: usize = 64 * 1024;

/// Copies the rows after the header as they are: checked a block at a time
/// ([`check_rows`]) and handed to the output without copying them; from the
/// first row the check leaves to `csv-core` (a quote inside a field, a
/// blank line, a row of the wrong width…) on, row by row. `header` says
/// whether the header's raw bytes ended with a CR (its LF comes first
/// here) and the last byte written.
fn copy_rows(
    records: Records<Box<dyn Read + Send>>,
    entry: &Entry<'_>,
    width: usize,
    (header_cr, mut last): (bool, u8),
    target: &Target<'_>,
    out: &mut ChunkWriter,
) -> Result<()> {
    let (rest, mut reader, mut lines) = records.into_rest();
    let mut buf = BytesMut::with_capacity(BLOCK.max(rest.len()));
    buf.extend_from_slice(&rest);
    drop(rest);
    let mut eof = false;
    if header_cr {
        if buf.is_empty() {
            eof = fill(&mut reader, &mut buf, 1).map_err(|e| read_error(e, entry.path()))?;
        }
        // The LF of the header's CRLF, written if the header was.
        if buf.first() == Some(&b'\n') {
            bytes::Buf::advance(&mut buf, 1);
            lines += 1;
            if last == b'\r' {
                out.write_all(b"\n").map_err(Error::io)?;
            }
            last = b'\n';
        }
    }
    // After a header ended by a lone CR, csv-core reads every row.
    if last == b'\n' {
        loop {
            if !eof {
                eof =
                    fill(&mut reader, &mut buf, BLOCK).map_err(|e| read_error(e, entry.path()))?;
            }
            let checked = check_rows(&buf, target.delimiter, width);
            if checked.clean > 0 {
                out.write_bytes(buf.split_to(checked.clean).freeze())
                    .map_err(Error::io)?;
                lines += checked.lines;
            }
            // A row longer than a block is left to csv-core too.
            if checked.stopped || eof || (checked.clean == 0 && buf.len() >= BLOCK) {
                break;
            }
        }
    }
    let mut records =
        Records::new(std::io::Cursor::new(buf).chain(reader), target.delimiter).after_lines(lines);
    copy_raw(&mut records, entry, width, last, target, out)
}

/// Reads from `reader` until `buf` holds `want` bytes; true at the end of
/// the input.
fn fill(reader: &mut impl Read, buf: &mut BytesMut, want: usize) -> std::io::Result<bool> {
    let mut filled = buf.len();
    if filled >= want {
        return Ok(false);
    }
    buf.resize(want, 0);
    let mut eof = false;
    while filled < want {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => {
                eof = true;
                break;
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                buf.truncate(filled);
                return Err(e);
            }
        }
    }
    buf.truncate(filled);
    Ok(eof)
}

/// Copies the rows of `records` as they are, checking their field counts.
fn copy_raw<R: Read>(
    records: &mut Records<R>,
    entry: &Entry<'_>,
    width: usize,
    mut last: u8,
    target: &Target<'_>,
    out: &mut ChunkWriter,
) -> Result<()> {
    let opener = target.opener;
    while let Some(record) = records
        .next_raw()
        .map_err(|e| read_error(e, entry.path()))?
    {
        // The raw bytes start with the LF of a CRLF the record before ended
        // with (csv-core ends a record at its CR), and with blank lines.
        let raw = record.raw();
        if last == b'\r' && raw.first() == Some(&b'\n') {
            out.write_all(b"\n").map_err(Error::io)?;
            last = b'\n';
        }
        if record.len() != width {
            wrong_width(entry, record.line(), record.len(), width, opener)?;
            continue;
        }
        if record.ended_by_eof() {
            // Its raw bytes may leave a quote open, which would swallow the
            // rows after it: write it again, as csv-core read it.
            write_row(out, target.delimiter, record.fields())?;
            last = b'\n';
            continue;
        }
        let raw = trim_line_start(raw);
        if let Some(&byte) = raw.last() {
            last = byte;
        }
        out.write_all(raw).map_err(Error::io)?;
    }
    if last != b'\n' {
        out.write_all(b"\n").map_err(Error::io)?;
    }
    Ok(())
}

/// Where rows written again go: the join's settings, the output's
/// delimiter, and the opener that reports bad rows.
struct Target<'a> {
    merge: &'a FormatMerge,
    opener: &'a Opener,
    delimiter: u8,
}

/// An input whose rows are written again, past its header.
struct FieldInput<'a> {
    entry: &'a Entry<'a>,
    header: &'a Fields,
    /// The input's delimiter.
    delimiter: u8,
    /// Whether the header's raw bytes ended with a CR (its LF comes first).
    header_cr: bool,
}

/// Writes the rows of `records` again, column `i` of the output taken from
/// field `mapping[i]` (empty when `None`), and the source column if asked.
///
/// Where the input's delimiter is the output's, the rows are checked a
/// block at a time by [`split_rows`] and their fields copied as they are,
/// quotes included; from the first row the check leaves to `csv-core` on
/// (and for any other delimiter), each row is parsed and written again
/// with minimal quoting.
fn copy_fields(
    records: Records<Box<dyn Read + Send>>,
    input: &FieldInput<'_>,
    mapping: &[Option<usize>],
    target: &Target<'_>,
    out: &mut ChunkWriter,
) -> Result<()> {
    let entry = input.entry;
    let width = input.header.len();
    if input.delimiter != target.delimiter || width == 0 {
        let mut records = records;
        return copy_mapped(&mut records, entry, input.header, mapping, target, out);
    }
    let delimiter = target.delimiter;
    // The source column, quoted once for every row.
    let source = match &target.merge.add_source {
        Some(_) => {
            let mut writer = csv::WriterBuilder::new()
                .delimiter(delimiter)
                .from_writer(Vec::new());
            let path = entry.path().to_string_lossy();
            writer.write_field(path.as_bytes()).map_err(csv_error)?;
            Some(writer.into_inner().map_err(|e| Error::io(e.into_error()))?)
        }
        None => None,
    };
    let (rest, mut reader, mut lines) = records.into_rest();
    let mut buf = BytesMut::with_capacity(BLOCK.max(rest.len()));
    buf.extend_from_slice(&rest);
    drop(rest);
    let read = |e| read_error(e, entry.path());
    let mut eof = false;
    if input.header_cr {
        if buf.is_empty() {
            eof = fill(&mut reader, &mut buf, 1).map_err(read)?;
        }
        if buf.first() == Some(&b'\n') {
            bytes::Buf::advance(&mut buf, 1);
            lines += 1;
        }
    }
    let mut fields = RowFields::default();
    // Rows are handed to the output 64 KiB at a time, while in the cache.
    let mut rows = Vec::with_capacity(ROWS_SIZE + 4096);
    loop {
        if !eof {
            eof = fill(&mut reader, &mut buf, BLOCK).map_err(read)?;
        }
        let checked = split_rows(&buf, delimiter, width, &mut fields);
        rows.clear();
        for row in fields.rows(&buf[..checked.clean], width) {
            for (i, column) in mapping.iter().enumerate() {
                if i > 0 {
                    rows.push(delimiter);
                }
                if let Some(field) = column {
                    rows.extend_from_slice(row.field(*field));
                }
            }
            if let Some(source) = &source {
                rows.push(delimiter);
                rows.extend_from_slice(source);
            }
            rows.push(b'\n');
            if rows.len() >= ROWS_SIZE {
                out.write_all(&rows).map_err(Error::io)?;
                rows.clear();
            }
        }
        out.write_all(&rows).map_err(Error::io)?;
        bytes::Buf::advance(&mut buf, checked.clean);
        lines += checked.lines;
        if checked.stopped || eof || (checked.clean == 0 && buf.len() >= BLOCK) {
            break;
        }
    }
    let mut records =
        Records::new(std::io::Cursor::new(buf).chain(reader), delimiter).after_lines(lines);
    copy_mapped(&mut records, entry, input.header, mapping, target, out)
}

/// Writes the rows of `records` again, column `i` of the output taken from
/// field `mapping[i]` (empty when `None`), and the source column if asked.
fn copy_mapped<R: Read>(
    records: &mut Records<R>,
    entry: &Entry<'_>,
    header: &Fields,
    mapping: &[Option<usize>],
    target: &Target<'_>,
    out: &mut ChunkWriter,
) -> Result<()> {
    let (merge, delimiter) = (target.merge, target.delimiter);
    let source = entry.path().to_string_lossy();
    let source = merge.add_source.as_ref().map(|_| source.as_bytes());
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(&mut *out);
    while let Some(record) = records
        .next_record()
        .map_err(|e| read_error(e, entry.path()))?
    {
        if record.len() != header.len() {
            wrong_width(
                entry,
                record.line(),
                record.len(),
                header.len(),
                target.opener,
            )?;
            continue;
        }
        let fields = mapping
            .iter()
            .map(|m| m.map_or(&b""[..], |i| record.field(i)));
        writer
            .write_record(fields.chain(source))
            .map_err(csv_error)?;
    }
    writer.flush().map_err(Error::io)?;
    Ok(())
}

fn wrong_width(
    entry: &Entry<'_>,
    line: u64,
    got: usize,
    width: usize,
    opener: &Opener,
) -> Result<()> {
    opener.content_problem(
        entry.path(),
        format!(
            "line {line} has {got} field{}, where the header has {width}",
            if got == 1 { "" } else { "s" }
        ),
    )
}

/// Writes one row with minimal quoting.
fn write_row<'a>(
    out: &mut ChunkWriter,
    delimiter: u8,
    fields: impl Iterator<Item = &'a [u8]>,
) -> Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(&mut *out);
    writer.write_record(fields).map_err(csv_error)?;
    writer.flush().map_err(Error::io)
}

fn csv_error(error: csv::Error) -> Error {
    match error.into_kind() {
        csv::ErrorKind::Io(error) => Error::io(error),
        other => Error::new(ErrorKind::InvalidData, format!("{other:?}")),
    }
}

/// A header as text, for messages.
fn show(header: &Fields, delimiter: u8) -> String {
    let joined = header.join(&[delimiter][..]);
    format!("'{}'", String::from_utf8_lossy(&joined))
}
