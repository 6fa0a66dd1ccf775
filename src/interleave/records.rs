//! [`RecordReader`]: the records of one log, each a line with a time and
//! the lines after it without one.

use std::io::{BufRead, BufReader, Read};

use crate::interleave::timestamp::{Key, KeyReader};

/// The read buffer of each input: small, since a merge holds one per input.
const BUFFER_SIZE: usize = 64 * 1024;

/// Reads records: a line whose time [`KeyReader`] can read, then every
/// following line whose time it cannot (lines starting with a space or a
/// tab are not even tried). Lines before the first time belong to the
/// first record; an input without any time is one record at the earliest
/// time. Each record ends with a newline, added at the end of an input
/// that has none.
pub(crate) struct RecordReader {
    reader: BufReader<Box<dyn Read + Send>>,
    keys: KeyReader,
    record: Vec<u8>,
    key: Option<Key>,
    /// The line read ahead: the first of the next record, and its time.
    next_line: Vec<u8>,
    next_key: Option<Key>,
    /// Lines read so far, and where the current record starts.
    lines: u64,
    record_line: u64,
    at_end: bool,
}

impl RecordReader {
    pub(crate) fn new(reader: Box<dyn Read + Send>, keys: KeyReader) -> RecordReader {
        RecordReader {
            reader: BufReader::with_capacity(BUFFER_SIZE, reader),
            keys,
            record: Vec::new(),
            key: None,
            next_line: Vec::new(),
            next_key: None,
            lines: 0,
            record_line: 0,
            at_end: false,
        }
    }

    /// The current record's bytes.
    pub(crate) fn record(&self) -> &[u8] {
        &self.record
    }

    /// The current record's time.
    pub(crate) fn key(&self) -> Option<Key> {
        self.key
    }

    /// The line (from 1) the current record starts on.
    pub(crate) fn line(&self) -> u64 {
        self.record_line
    }

    /// Reads the next record; its time, or `None` at the end.
    pub(crate) fn next_record(&mut self) -> std::io::Result<Option<Key>> {
        self.record.clear();
        self.key = None;
        if self.next_line.is_empty() && !self.read_line()? {
            return Ok(None);
        }
        // Lines up to and including the first with a time.
        loop {
            self.record.extend_from_slice(&self.next_line);
            self.next_line.clear();
            self.record_line = self.lines;
            if let Some(key) = self.next_key.take() {
                self.key = Some(key);
                break;
            }
            if !self.read_line()? {
                break;
            }
        }
        // Then the lines without one, up to the next line with a time,
        // which is kept for the next record.
        while self.read_line()? {
            if self.next_key.is_some() {
                break;
            }
            self.record.extend_from_slice(&self.next_line);
            self.next_line.clear();
        }
        if self.record.last() != Some(&b'\n') {
            self.record.push(b'\n');
        }
        Ok(Some(self.key.unwrap_or(Key::MIN)))
    }

    /// Reads one line into the empty `next_line`, with its time; false at
    /// the end.
    fn read_line(&mut self) -> std::io::Result<bool> {
        debug_assert!(self.next_line.is_empty());
        if self.at_end || self.reader.read_until(b'\n', &mut self.next_line)? == 0 {
            self.at_end = true;
            return Ok(false);
        }
        self.lines += 1;
        self.next_key = match self.next_line.first() {
            Some(b' ' | b'\t') => None,
            _ => self.keys.read(&self.next_line),
        };
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &'static str) -> Vec<(Option<Key>, String, u64)> {
        let mut reader = RecordReader::new(Box::new(text.as_bytes()), KeyReader::auto());
        let mut found = Vec::new();
        while reader.next_record().unwrap().is_some() {
            found.push((
                reader.key(),
                String::from_utf8(reader.record().to_vec()).unwrap(),
                reader.line(),
            ));
        }
        found
    }

    #[test]
    fn continuation_lines_stay_with_their_record() {
        let found =
            records("preamble\n2024-01-01T00:00:00Z a\n  at x\nno time\n2024-01-01T00:00:01Z b");
        assert_eq!(found.len(), 2);
        assert_eq!(
            found[0].1,
            "preamble\n2024-01-01T00:00:00Z a\n  at x\nno time\n"
        );
        assert_eq!(found[0].2, 2);
        assert_eq!(found[1].1, "2024-01-01T00:00:01Z b\n");
        assert_eq!(found[1].2, 5);
        assert_eq!(found[1].0.unwrap() - found[0].0.unwrap(), 1_000_000_000);
    }

    #[test]
    fn an_input_without_times_is_one_record() {
        let found = records("a\nb\n");
        assert_eq!(found, [(None, "a\nb\n".to_string(), 2)]);
        assert!(records("").is_empty());
    }
}
