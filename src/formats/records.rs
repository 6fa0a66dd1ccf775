//! [`Records`]: the records of a CSV or TSV input, each with its raw
//! bytes, its fields and the line it starts on — parsed by `csv-core`
//! (quotes, doubled quotes, separators and newlines inside quoted fields, a
//! BOM), read in bounded pieces.

use std::io::Read;
use std::ops::Range;

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};

/// How much is read at a time.
const READ_SIZE: usize = 256 * 1024;

/// A reader of CSV records that keeps each record's raw bytes.
///
/// Memory is bounded by the largest record (plus the read size); a record
/// longer than the buffer grows it by doubling, so a 100 MB quoted field
/// costs linear time.
pub(crate) struct Records<R> {
    reader: R,
    core: Reader,
    delimiter: u8,
    /// `buf[start..end]` is read and not consumed by a finished record.
    buf: Vec<u8>,
    start: usize,
    /// Where `core` stopped reading in `buf`.
    parsed: usize,
    end: usize,
    eof: bool,
    fields: Vec<u8>,
    ends: Vec<usize>,
    field_count: usize,
    /// Newlines in every record returned so far.
    newlines: u64,
    record_line: u64,
    /// The current record was ended by the end of the input, not by a
    /// line ending (it may leave a quote open).
    ended_by_eof: bool,
    done: bool,
}

impl<R: Read> Records<R> {
    /// Records of `reader`, separated by `delimiter`.
    pub(crate) fn new(reader: R, delimiter: u8) -> Records<R> {
        Records::with_capacity(reader, delimiter, READ_SIZE)
    }

    /// Records read `capacity` bytes at a time (more for a longer record):
    /// a small capacity reads little more than a header.
    pub(crate) fn with_capacity(reader: R, delimiter: u8, capacity: usize) -> Records<R> {
        Records {
            reader,
            core: ReaderBuilder::new().delimiter(delimiter).build(),
            delimiter,
            buf: vec![0; capacity.max(64)],
            start: 0,
            parsed: 0,
            end: 0,
            eof: false,
            fields: vec![0; 1024],
            ends: vec![0; 64],
            field_count: 0,
            newlines: 0,
            record_line: 0,
            ended_by_eof: false,
            done: false,
        }
    }

    /// Reads up to `READ_SIZE` bytes without consuming them, to sniff the
    /// delimiter; the records still start at the beginning.
    pub(crate) fn peek(&mut self) -> std::io::Result<&[u8]> {
        while !self.eof && self.end < self.buf.len() {
            let n = self.reader.read(&mut self.buf[self.end..])?;
            if n == 0 {
                self.eof = true;
            }
            self.end += n;
        }
        Ok(&self.buf[self.start..self.end])
    }

    /// Sets the delimiter before the first record is read.
    pub(crate) fn set_delimiter(&mut self, delimiter: u8) {
        self.core = ReaderBuilder::new().delimiter(delimiter).build();
        self.delimiter = delimiter;
    }

    /// The next record, like [`next_record`](Records::next_record) but
    /// without its fields: only its raw bytes, its number of fields and its
    /// line. Records of plain CSV (quotes only around whole fields, lines
    /// ended by LF or CRLF) are measured by a scan that jumps from quote to
    /// newline; anything else goes through `csv-core`, so both agree.
    pub(crate) fn next_raw(&mut self) -> std::io::Result<Option<Record<'_, R>>> {
        if self.done {
            return Ok(None);
        }
        loop {
            match scan_record(&self.buf[self.parsed..self.end], self.delimiter) {
                Scan::Record { len, fields, lines } => {
                    self.ended_by_eof = false;
                    self.start = self.parsed;
                    self.parsed += len;
                    self.field_count = fields;
                    self.record_line = self.newlines + 1;
                    self.newlines += lines;
                    return Ok(Some(Record {
                        raw: self.start..self.parsed,
                        records: self,
                        nout: 0,
                    }));
                }
                Scan::NeedMore if !self.eof => {
                    // Keep the record being scanned at the front.
                    self.start = self.parsed;
                    self.fill()?;
                }
                Scan::NeedMore | Scan::Other => return self.next_record(),
            }
        }
    }

    /// The next record, or `None` at the end. Blank lines before a record
    /// belong to its raw bytes; the raw bytes of every record, one after the
    /// other, are the input (less a BOM).
    pub(crate) fn next_record(&mut self) -> std::io::Result<Option<Record<'_, R>>> {
        if self.done {
            return Ok(None);
        }
        // A new record starts where the last one ended.
        self.start = self.parsed;
        let mut nend_total = 0;
        let mut nout_total = 0;
        loop {
            if self.parsed == self.end && !self.eof {
                self.fill()?;
            }
            let input = &self.buf[self.parsed..self.end];
            self.ended_by_eof = input.is_empty();
            let (result, nin, nout, nend) = self.core.read_record(
                input,
                &mut self.fields[nout_total..],
                &mut self.ends[nend_total..],
            );
            self.parsed += nin;
            nout_total += nout;
            nend_total += nend;
            match result {
                // At the end of the input, the next turn hands the core an
                // empty input, which tells it the data ended.
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    let len = self.fields.len();
                    self.fields.resize(len * 2, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len();
                    self.ends.resize(len * 2, 0);
                }
                ReadRecordResult::Record => {
                    self.field_count = nend_total;
                    let raw = &self.buf[self.start..self.parsed];
                    let leading = raw
                        .iter()
                        .take_while(|&&b| b == b'\n' || b == b'\r')
                        .filter(|&&b| b == b'\n')
                        .count() as u64;
                    self.record_line = self.newlines + leading + 1;
                    self.newlines += memchr::memchr_iter(b'\n', raw).count() as u64;
                    return Ok(Some(Record {
                        raw: self.start..self.parsed,
                        records: self,
                        nout: nout_total,
                    }));
                }
                ReadRecordResult::End => {
                    self.done = true;
                    self.start = self.parsed;
                    return Ok(None);
                }
            }
        }
    }

    /// The bytes read and not yet taken by a record, the reader that
    /// follows them, and how many lines the records taken had.
    pub(crate) fn into_rest(self) -> (Vec<u8>, R, u64) {
        let mut buf = self.buf;
        buf.truncate(self.end);
        buf.drain(..self.parsed);
        (buf, self.reader, self.newlines)
    }

    /// Counts lines from `lines` + 1: the records start after `lines`
    /// lines of the input that were read otherwise.
    pub(crate) fn after_lines(mut self, lines: u64) -> Records<R> {
        self.newlines = lines;
        self
    }

    /// Reads more, keeping the unfinished record; grows the buffer when the
    /// record fills it.
    fn fill(&mut self) -> std::io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.parsed -= self.start;
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            let len = self.buf.len();
            self.buf.resize(len * 2, 0);
        }
        let n = self.reader.read(&mut self.buf[self.end..])?;
        if n == 0 {
            self.eof = true;
        }
        self.end += n;
        Ok(())
    }
}

/// One record of [`Records`].
pub(crate) struct Record<'a, R> {
    records: &'a Records<R>,
    raw: Range<usize>,
    nout: usize,
}

impl<R> Record<'_, R> {
    /// The record's bytes as they were read: blank lines before it, its
    /// fields, and its line ending if it has one.
    pub(crate) fn raw(&self) -> &[u8] {
        &self.records.buf[self.raw.clone()]
    }

    /// How many fields it has.
    pub(crate) fn len(&self) -> usize {
        self.records.field_count
    }

    /// Whether the end of the input ended it rather than a line ending:
    /// its raw bytes may then leave a quoted field open.
    pub(crate) fn ended_by_eof(&self) -> bool {
        self.records.ended_by_eof
    }

    /// The line (from 1) it starts on.
    pub(crate) fn line(&self) -> u64 {
        self.records.record_line
    }

    /// Its `i`th field, unquoted.
    pub(crate) fn field(&self, i: usize) -> &[u8] {
        let ends = &self.records.ends[..self.records.field_count];
        let start = if i == 0 { 0 } else { ends[i - 1] };
        &self.records.fields[start..ends[i]]
    }

    /// Its fields, unquoted.
    pub(crate) fn fields(&self) -> impl Iterator<Item = &[u8]> {
        let ends = &self.records.ends[..self.records.field_count];
        let data = &self.records.fields[..self.nout];
        let mut start = 0;
        ends.iter().map(move |&end| {
            let field = &data[start..end];
            start = end;
            field
        })
    }
}

/// What [`scan_record`] found at the start of its input.
#[derive(Debug, PartialEq, Eq)]
enum Scan {
    /// A record of `len` bytes (its line ending included) with `fields`
    /// fields, on `lines` lines.
    Record {
        len: usize,
        fields: usize,
        lines: u64,
    },
    /// The record does not end in the data given.
    NeedMore,
    /// Something the scan leaves to `csv-core`: a blank line, a CR alone,
    /// a quote inside a field.
    Other,
}

/// Measures the record at the start of `data`: its fields are counted by
/// the delimiters outside quotes, jumping from one quote, CR or LF to the
/// next; a quote must open a field or close it.
fn scan_record(data: &[u8], delimiter: u8) -> Scan {
    if matches!(data.first(), None | Some(b'\n' | b'\r')) {
        return if data.is_empty() {
            Scan::NeedMore
        } else {
            Scan::Other
        };
    }
    let mut fields = 1;
    let mut at = 0;
    // Lines ended inside quotes, besides the record's own.
    let mut lines = 1;
    loop {
        // Outside quotes: up to the next quote or line ending.
        let Some(found) = memchr::memchr3(b'"', b'\n', b'\r', &data[at..]) else {
            return Scan::NeedMore;
        };
        let next = at + found;
        fields += data[at..next].iter().filter(|&&b| b == delimiter).count();
        match data[next] {
            b'\n' => {
                return Scan::Record {
                    len: next + 1,
                    fields,
                    lines,
                };
            }
            b'\r' => {
                return match data.get(next + 1) {
                    Some(b'\n') => Scan::Record {
                        len: next + 2,
                        fields,
                        lines,
                    },
                    Some(_) => Scan::Other,
                    None => Scan::NeedMore,
                };
            }
            _ => {}
        }
        // A quote: it must open a field.
        if next != 0 && data[next - 1] != delimiter {
            return Scan::Other;
        }
        at = next + 1;
        // Inside quotes: up to the quote that closes them.
        loop {
            let Some(found) = memchr::memchr(b'"', &data[at..]) else {
                return Scan::NeedMore;
            };
            let close = at + found;
            lines += memchr::memchr_iter(b'\n', &data[at..close]).count() as u64;
            match data.get(close + 1) {
                None => return Scan::NeedMore,
                Some(b'"') => at = close + 2,
                Some(&b) if b == delimiter || b == b'\n' || b == b'\r' => {
                    at = close + 1;
                    break;
                }
                Some(_) => return Scan::Other,
            }
        }
    }
}

/// The delimiter `sample` (the start of an input) most likely uses: of
/// `,`, `;`, tab and `|`, the one found most often, outside quotes, on its
/// first line; `,` when none is.
pub(crate) fn sniff_delimiter(sample: &[u8]) -> u8 {
    let sample = sample.strip_prefix(b"\xef\xbb\xbf").unwrap_or(sample);
    let mut counts = [0usize; 4];
    let candidates = [b',', b';', b'\t', b'|'];
    let mut quoted = false;
    for &byte in sample {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if !quoted => {
                if let Some(i) = candidates.iter().position(|&c| c == byte) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let (best, &count) = counts
        .iter()
        .enumerate()
        .max_by_key(|&(i, &count)| (count, std::cmp::Reverse(i)))
        .expect("four candidates");
    if count == 0 { b',' } else { candidates[best] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_quoted_field_takes_linear_time() {
        let mut data = b"a,b\n1,\"".to_vec();
        data.extend(std::iter::repeat_n(b'x', 16 << 20));
        data.extend_from_slice(b"\"\n2,3\n");
        let mut records = Records::new(&data[..], b',');
        assert_eq!(records.next_record().unwrap().unwrap().len(), 2);
        let big = records.next_record().unwrap().unwrap();
        assert_eq!(big.raw().len(), (16 << 20) + 5);
        assert_eq!(big.line(), 2);
        let last = records.next_record().unwrap().unwrap();
        assert_eq!((last.raw(), last.line()), (&b"2,3\n"[..], 3));
        assert!(records.next_record().unwrap().is_none());
    }

    #[test]
    fn the_scan_measures_plain_records_and_leaves_the_rest() {
        let scan = |data: &str| scan_record(data.as_bytes(), b',');
        assert_eq!(
            scan("a,b,c\nx"),
            Scan::Record {
                len: 6,
                fields: 3,
                lines: 1
            }
        );
        assert_eq!(
            scan("a,\"b,\nc\"\"\",d\r\nx"),
            Scan::Record {
                len: 14,
                fields: 3,
                lines: 2
            }
        );
        assert_eq!(
            scan("\"\"\n"),
            Scan::Record {
                len: 3,
                fields: 1,
                lines: 1
            }
        );
        assert_eq!(scan("a,b"), Scan::NeedMore);
        assert_eq!(scan("a,\"b"), Scan::NeedMore);
        assert_eq!(scan("a,b\r"), Scan::NeedMore);
        assert_eq!(scan("\na,b\n"), Scan::Other);
        assert_eq!(scan("a\rb\n"), Scan::Other);
        assert_eq!(scan("a,b\"c\n"), Scan::Other);
        assert_eq!(scan("\"a\"b,c\n"), Scan::Other);
    }

    #[test]
    fn the_scan_and_csv_core_agree() {
        let text = b"h1,h2\r\n1,\"x\r\ny\"\r\n\r\n2,\"say \"\"hi\"\"\"\n3,a\"b\nbad\n4,\"q\"\"";
        let mut fast = Records::new(&text[..], b',');
        let mut slow = Records::new(&text[..], b',');
        let mut got = Vec::new();
        while let Some(r) = fast.next_raw().unwrap() {
            got.push((r.len(), r.line()));
        }
        let mut expected = Vec::new();
        while let Some(r) = slow.next_record().unwrap() {
            expected.push((r.len(), r.line()));
        }
        assert_eq!(got, expected);
    }

    #[test]
    fn a_record_ended_by_the_end_of_the_input_says_so() {
        let text = b"h\n1,\"open\r\nquote\n";
        let mut records = Records::new(&text[..], b',');
        assert!(!records.next_raw().unwrap().unwrap().ended_by_eof());
        let last = records.next_raw().unwrap().unwrap();
        assert!(last.ended_by_eof());
        assert_eq!(last.fields().nth(1), Some(&b"open\r\nquote\n"[..]));
    }

    #[test]
    fn delimiters_are_sniffed_outside_quotes() {
        assert_eq!(sniff_delimiter(b"a;b;c\n1,2;3"), b';');
        assert_eq!(sniff_delimiter(b"\"a,b,c\"\tx\n"), b'\t');
        assert_eq!(sniff_delimiter(b"a|b\n"), b'|');
        assert_eq!(sniff_delimiter(b"\xef\xbb\xbfsingle\n"), b',');
    }
}
