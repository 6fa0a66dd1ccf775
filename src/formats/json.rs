//! JSON inputs joined into one array: the elements of every input that is
//! an array, and every other value as one element, streamed element by
//! element so that a file of any size holds only one element in memory.

use std::io::{BufRead, BufReader, Write};

use serde::de::IgnoredAny;

use crate::blocking::{ChunkWriter, Opener, read_error};
use crate::formats::FormatMerge;
use crate::formats::ndjson::{add_field, source_field};
use crate::merge::{PartKind, SkippedInput};
use crate::{Error, ErrorKind, Result};

/// Joins the JSON inputs `entries` into one array in `out`; returns the
/// number of inputs read and those skipped.
pub(crate) fn join(
    merge: &FormatMerge,
    entries: &crate::fs::Listing,
    opener: &Opener,
    out: &mut ChunkWriter,
) -> Result<(usize, Vec<SkippedInput>)> {
    let mut skipped = Vec::new();
    let mut files = 0;
    let mut elements = 0u64;
    out.begin_part(PartKind::Banner, None);
    out.write_all(b"[").map_err(Error::io)?;
    for entry in entries {
        let entry = &entry;
        let Some(input) = opener.open(entry, &mut skipped)? else {
            continue;
        };
        files += 1;
        out.begin_part(PartKind::File, Some(entry));
        let source = merge
            .add_source
            .as_ref()
            .map(|name| source_field(name, &entry.path().to_string_lossy()));
        let mut scanner = Scanner::new(BufReader::with_capacity(256 * 1024, input.reader));
        let fail = |scanner: &Scanner<_>, what: String| {
            Error::new(
                ErrorKind::InvalidData,
                format!("line {}: {what}", scanner.line),
            )
            .reading(entry.path())
        };
        let io = |e| read_error(e, entry.path());
        scanner.skip_bom().map_err(io)?;
        // Top-level values, one after the other: arrays give their elements.
        while let Some(first) = scanner.skip_whitespace().map_err(io)? {
            let in_array = first == b'[';
            if in_array {
                scanner.consume();
                if scanner.skip_whitespace().map_err(io)? == Some(b']') {
                    scanner.consume();
                    continue;
                }
            }
            loop {
                if scanner.skip_whitespace().map_err(io)?.is_none() {
                    return Err(fail(&scanner, "the array is not closed".into()));
                }
                let line = scanner.line;
                let value = scanner.value().map_err(io)?;
                match serde_json::from_slice::<IgnoredAny>(value) {
                    Err(error) => {
                        return Err(Error::new(
                            ErrorKind::InvalidData,
                            format!("line {line}: not valid JSON: {error}"),
                        )
                        .reading(entry.path()));
                    }
                    Ok(_) => {
                        out.write_all(if elements == 0 { b"\n" } else { b",\n" })
                            .map_err(Error::io)?;
                        match &source {
                            None => out.write_all(value).map_err(Error::io)?,
                            Some(field) => match add_field(value, field) {
                                Some(object) => out.write_all(&object).map_err(Error::io)?,
                                None => {
                                    return Err(Error::new(
                                        ErrorKind::InvalidData,
                                        format!("line {line}: not a JSON object, which --add-source needs"),
                                    )
                                    .reading(entry.path()));
                                }
                            },
                        }
                        elements += 1;
                    }
                }
                if !in_array {
                    break;
                }
                match scanner.skip_whitespace().map_err(io)? {
                    Some(b',') => scanner.consume(),
                    Some(b']') => {
                        scanner.consume();
                        break;
                    }
                    Some(other) => {
                        return Err(fail(
                            &scanner,
                            format!(
                                "expected ',' or ']' in an array, found {:?}",
                                char::from(other)
                            ),
                        ));
                    }
                    None => return Err(fail(&scanner, "the array is not closed".into())),
                }
            }
        }
    }
    out.begin_part(PartKind::Footer, None);
    out.write_all(if elements == 0 { b"]\n" } else { b"\n]\n" })
        .map_err(Error::io)?;
    out.end_part();
    Ok((files, skipped))
}

/// Finds where JSON values begin and end in a byte stream, without parsing
/// them: strings, escapes and nesting depth are followed, in linear time and
/// constant stack whatever the depth.
struct Scanner<R> {
    reader: R,
    value: Vec<u8>,
    line: u64,
}

impl<R: BufRead> Scanner<R> {
    fn new(reader: R) -> Scanner<R> {
        Scanner {
            reader,
            value: Vec::new(),
            line: 1,
        }
    }

    fn skip_bom(&mut self) -> std::io::Result<()> {
        if self.reader.fill_buf()?.starts_with(b"\xef\xbb\xbf") {
            self.reader.consume(3);
        }
        Ok(())
    }

    /// Skips whitespace; the next byte, not consumed, or `None` at the end.
    fn skip_whitespace(&mut self) -> std::io::Result<Option<u8>> {
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            let blank = buf
                .iter()
                .take_while(|&&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                .count();
            self.line += buf[..blank].iter().filter(|&&b| b == b'\n').count() as u64;
            if blank < buf.len() {
                let next = buf[blank];
                self.reader.consume(blank);
                return Ok(Some(next));
            }
            self.reader.consume(blank);
        }
    }

    /// Consumes the byte [`skip_whitespace`](Scanner::skip_whitespace) returned.
    fn consume(&mut self) {
        self.reader.consume(1);
    }

    /// Reads one value, from its first byte to its last: an object or array
    /// to its matching bracket, a string to its closing quote, anything else
    /// to the next whitespace, comma or bracket.
    fn value(&mut self) -> std::io::Result<&[u8]> {
        self.value.clear();
        let mut depth = 0u64;
        let mut in_string = false;
        let mut escaped = false;
        let mut scalar = false;
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Ok(&self.value);
            }
            let mut taken = buf.len();
            let mut done = false;
            for (i, &byte) in buf.iter().enumerate() {
                if byte == b'\n' {
                    self.line += 1;
                }
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if byte == b'\\' {
                        escaped = true;
                    } else if byte == b'"' {
                        in_string = false;
                        if depth == 0 {
                            taken = i + 1;
                            done = true;
                            break;
                        }
                    }
                    continue;
                }
                if scalar {
                    if matches!(
                        byte,
                        b' ' | b'\t' | b'\r' | b'\n' | b',' | b']' | b'}' | b'[' | b'{' | b'"'
                    ) {
                        if byte == b'\n' {
                            self.line -= 1;
                        }
                        taken = i;
                        done = true;
                        break;
                    }
                    continue;
                }
                match byte {
                    b'"' => in_string = true,
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        if depth == 0 {
                            // A closing bracket where a value should start:
                            // the empty value fails validation.
                            taken = i;
                            done = true;
                            break;
                        }
                        depth -= 1;
                        if depth == 0 {
                            taken = i + 1;
                            done = true;
                            break;
                        }
                    }
                    _ if depth == 0 => scalar = true,
                    _ => {}
                }
            }
            self.value.extend_from_slice(&buf[..taken]);
            self.reader.consume(taken);
            if done {
                return Ok(&self.value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<String> {
        let mut scanner = Scanner::new(text.as_bytes());
        let mut found = Vec::new();
        while scanner.skip_whitespace().unwrap().is_some() {
            found.push(String::from_utf8(scanner.value().unwrap().to_vec()).unwrap());
        }
        found
    }

    #[test]
    fn values_end_where_json_says() {
        assert_eq!(
            values(r#" {"a":"}\"]"} [1,[2]] "x\\" 12 true"#),
            [r#"{"a":"}\"]"}"#, "[1,[2]]", r#""x\\""#, "12", "true"]
        );
    }

    #[test]
    fn elements_of_an_array() {
        let mut scanner = Scanner::new(&b"[1, {\"x\": [2,3]},\n \"s\"]"[..]);
        assert_eq!(scanner.skip_whitespace().unwrap(), Some(b'['));
        scanner.consume();
        assert_eq!(scanner.skip_whitespace().unwrap(), Some(b'1'));
        assert_eq!(scanner.value().unwrap(), b"1");
    }

    #[test]
    fn deep_nesting_takes_no_stack() {
        let deep = "[".repeat(1_000_000) + &"]".repeat(1_000_000);
        assert_eq!(values(&deep)[0].len(), 2_000_000);
    }
}
