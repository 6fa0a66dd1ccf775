//! NDJSON (JSON lines) inputs joined: every line checked to be one JSON
//! value, blank lines dropped, every line ended with `\n`.

use std::io::{BufRead, BufReader, Write};

use serde::de::IgnoredAny;

use crate::blocking::{ChunkWriter, Opener, read_error};
use crate::formats::FormatMerge;
use crate::merge::{PartKind, SkippedInput};
use crate::{Error, Result};

/// Joins the NDJSON inputs `entries` into `out`; returns the number of
/// inputs read and those skipped.
pub(crate) fn join(
    merge: &FormatMerge,
    entries: &crate::fs::Listing,
    opener: &Opener,
    out: &mut ChunkWriter,
) -> Result<(usize, Vec<SkippedInput>)> {
    let mut skipped = Vec::new();
    let mut files = 0;
    let mut line = Vec::new();
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
        let mut reader = BufReader::with_capacity(256 * 1024, input.reader);
        let mut number = 0u64;
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| read_error(e, entry.path()))?;
            if n == 0 {
                break;
            }
            number += 1;
            let text = trim_line(&line, number == 1);
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if let Err(error) = serde_json::from_slice::<IgnoredAny>(text) {
                opener.content_problem(
                    entry.path(),
                    format!("line {number} is not one JSON value: {error}"),
                )?;
                continue;
            }
            match &source {
                None => out.write_all(text).map_err(Error::io)?,
                Some(field) => {
                    let Some(object) = add_field(text, field) else {
                        opener.content_problem(
                            entry.path(),
                            format!("line {number} is not a JSON object, which --add-source needs"),
                        )?;
                        continue;
                    };
                    out.write_all(&object).map_err(Error::io)?;
                }
            }
            out.write_all(b"\n").map_err(Error::io)?;
        }
    }
    out.end_part();
    Ok((files, skipped))
}

/// The line without its line ending (and, on the first line, a BOM).
fn trim_line(line: &[u8], first: bool) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if first {
        line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line)
    } else {
        line
    }
}

/// `"NAME":"SOURCE"`, as JSON.
pub(crate) fn source_field(name: &str, source: &str) -> Vec<u8> {
    let mut field = serde_json::to_vec(name).expect("a string serializes");
    field.push(b':');
    field.extend(serde_json::to_vec(source).expect("a string serializes"));
    field
}

/// The object `text` with `field` added last (a later key wins in every
/// common JSON reader), or `None` if `text` is not an object.
pub(crate) fn add_field(text: &[u8], field: &[u8]) -> Option<Vec<u8>> {
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    let end = text.iter().rposition(|b| !b.is_ascii_whitespace())?;
    if text[start] != b'{' || text[end] != b'}' {
        return None;
    }
    let inner = &text[start + 1..end];
    let mut object = Vec::with_capacity(text.len() + field.len() + 2);
    object.extend_from_slice(&text[..end]);
    if !inner.iter().all(u8::is_ascii_whitespace) {
        object.push(b',');
    }
    object.extend_from_slice(field);
    object.extend_from_slice(&text[end..]);
    Some(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_goes_last_in_an_object() {
        let field = source_field("src", "a \"b\".json");
        assert_eq!(
            add_field(br#"{"x":1}"#, &field).unwrap(),
            br#"{"x":1,"src":"a \"b\".json"}"#
        );
        assert_eq!(
            add_field(b" { } ", &field).unwrap(),
            br#" { "src":"a \"b\".json"} "#
        );
        assert_eq!(add_field(b"[1]", &field), None);
        assert_eq!(add_field(b"\"{}\"", &field), None);
    }

    #[test]
    fn line_endings_and_a_first_bom_are_trimmed() {
        assert_eq!(trim_line(b"\xef\xbb\xbf{}\r\n", true), b"{}");
        assert_eq!(trim_line(b"\xef\xbb\xbf{}\n", false), b"\xef\xbb\xbf{}");
        assert_eq!(trim_line(b"1", false), b"1");
    }
}
