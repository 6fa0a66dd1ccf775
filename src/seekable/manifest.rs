//! [`Manifest`]: what a seekable bundle holds, part by part — the
//! manifest schema of `--manifest` (`kind`, `path`, `source`, `offset`,
//! `length`, `sha256`, and `path_bytes`/`source_bytes` for names that are
//! not UTF-8), plus where each part's compressed data is:
//! `compressed_offset` and `compressed_length`.
//!
//! It is written with one part per line, so that a reader looking for one
//! path finds its line without parsing the others (a JSON string never
//! holds a raw newline). A manifest read from a bundle is untrusted.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::error::{Error, ErrorKind, Result};

/// One input stored in a bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundlePart {
    /// The path relative to its input directory (for a file named on the
    /// command line, its name as given): what `extract` recreates.
    pub path: PathBuf,
    /// The path smerge opened.
    pub source: PathBuf,
    /// Where it starts in the uncompressed bundle.
    pub offset: u64,
    /// How many bytes it has.
    pub length: u64,
    /// Its SHA-256.
    pub sha256: [u8; 32],
    /// Where the compressed data holding it starts in the bundle: the
    /// first frame (zstd) or member (gzip) it is in.
    pub compressed_offset: u64,
    /// How long that compressed data is, to the end of its last frame or
    /// member.
    pub compressed_length: u64,
}

/// An input left out of a bundle (`keep_going`), and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedInput {
    /// The path smerge tried to open.
    pub source: PathBuf,
    /// The error.
    pub error: String,
}

/// The manifest a seekable bundle carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The bundle's name as written (`-` for standard output).
    pub output: String,
    /// `zstd` or `gzip`.
    pub codec: String,
    /// The inputs, in bundle order.
    pub parts: Vec<BundlePart>,
    /// The inputs left out.
    pub skipped: Vec<SkippedInput>,
}

impl Manifest {
    /// The manifest as JSON text, one part per line.
    pub fn to_json(&self) -> Vec<u8> {
        self.to_json_with_lines().0
    }

    /// The JSON text, and where each part's line starts in it.
    pub(crate) fn to_json_with_lines(&self) -> (Vec<u8>, Vec<u64>) {
        let mut lines = Vec::with_capacity(self.parts.len());
        let mut text = Vec::new();
        text.extend_from_slice(b"{\"output\":");
        text.extend(serde_json::to_vec(&self.output).expect("a string serializes"));
        text.extend_from_slice(b",\"codec\":");
        text.extend(serde_json::to_vec(&self.codec).expect("a string serializes"));
        text.extend_from_slice(b",\"parts\":[");
        for (i, part) in self.parts.iter().enumerate() {
            text.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
            lines.push(text.len() as u64);
            text.extend(serde_json::to_vec(&part_json(part)).expect("a value serializes"));
        }
        text.extend_from_slice(b"\n],\"skipped\":[");
        for (i, skipped) in self.skipped.iter().enumerate() {
            text.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
            let mut object = json!({ "error": skipped.error });
            add_path(&mut object, "source", skipped.source.as_os_str());
            text.extend(serde_json::to_vec(&object).expect("a value serializes"));
        }
        text.extend_from_slice(b"\n]}\n");
        (text, lines)
    }

    /// Reads a manifest from JSON text.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidData`] for text that is not a manifest.
    pub fn from_json(text: &[u8]) -> Result<Manifest> {
        let value: Value = serde_json::from_slice(text).map_err(invalid)?;
        let field = |name: &str| {
            value
                .get(name)
                .ok_or_else(|| bad(format!("the manifest has no \"{name}\"")))
        };
        let parts = field("parts")?
            .as_array()
            .ok_or_else(|| bad("\"parts\" is not an array".into()))?
            .iter()
            .map(part_from_json)
            .collect::<Result<Vec<_>>>()?;
        let skipped = match value.get("skipped").and_then(Value::as_array) {
            Some(skipped) => skipped
                .iter()
                .map(|s| {
                    Ok(SkippedInput {
                        source: path_from_json(s, "source")?,
                        error: s.get("error").and_then(Value::as_str).unwrap_or("").into(),
                    })
                })
                .collect::<Result<Vec<_>>>()?,
            None => Vec::new(),
        };
        Ok(Manifest {
            output: field("output")?.as_str().unwrap_or("").into(),
            codec: field("codec")?.as_str().unwrap_or("").into(),
            parts,
            skipped,
        })
    }
}

fn part_json(part: &BundlePart) -> Value {
    let mut object = json!({ "kind": "file" });
    add_path(&mut object, "path", part.path.as_os_str());
    add_path(&mut object, "source", part.source.as_os_str());
    let map = object.as_object_mut().expect("an object");
    map.insert("offset".into(), part.offset.into());
    map.insert("length".into(), part.length.into());
    map.insert("sha256".into(), hex(&part.sha256).into());
    map.insert("compressed_offset".into(), part.compressed_offset.into());
    map.insert("compressed_length".into(), part.compressed_length.into());
    object
}

/// Reads one line of a manifest's parts.
pub(crate) fn part_from_json(value: &Value) -> Result<BundlePart> {
    let number = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_u64)
            .ok_or_else(|| bad(format!("a part has no number \"{name}\"")))
    };
    let sha256 = value
        .get("sha256")
        .and_then(Value::as_str)
        .and_then(unhex)
        .ok_or_else(|| bad("a part has no valid \"sha256\"".into()))?;
    Ok(BundlePart {
        path: path_from_json(value, "path")?,
        source: path_from_json(value, "source").unwrap_or_default(),
        offset: number("offset")?,
        length: number("length")?,
        sha256,
        compressed_offset: number("compressed_offset")?,
        compressed_length: number("compressed_length")?,
    })
}

/// Adds `name` (lossy text) and, for a name that is not UTF-8,
/// `name_bytes` (base64 of the raw bytes).
fn add_path(object: &mut Value, name: &str, path: &OsStr) {
    let map = object.as_object_mut().expect("an object");
    map.insert(name.into(), path.to_string_lossy().into_owned().into());
    if path.to_str().is_none() {
        map.insert(
            format!("{name}_bytes"),
            STANDARD.encode(path.as_bytes()).into(),
        );
    }
}

fn path_from_json(value: &Value, name: &str) -> Result<PathBuf> {
    if let Some(encoded) = value.get(format!("{name}_bytes")).and_then(Value::as_str) {
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| bad(format!("\"{name}_bytes\" is not base64")))?;
        return Ok(PathBuf::from(OsStr::from_bytes(&bytes)));
    }
    value
        .get(name)
        .and_then(Value::as_str)
        .map(PathBuf::from)
        .ok_or_else(|| bad(format!("a part has no \"{name}\"")))
}

/// The hash a bundle's path index is sorted by: 64-bit FNV-1a of the
/// path's bytes.
pub(crate) fn path_hash(path: &OsStr) -> u64 {
    path.as_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// The index of `parts`, whose lines start at `lines` in the manifest:
/// `(path hash, line offset)` pairs as little-endian `u64`s, sorted.
pub(crate) fn path_index(parts: &[BundlePart], lines: &[u64]) -> Vec<u8> {
    let mut entries: Vec<(u64, u64)> = parts
        .iter()
        .zip(lines)
        .map(|(part, &line)| (path_hash(part.path.as_os_str()), line))
        .collect();
    entries.sort_unstable();
    let mut index = Vec::with_capacity(entries.len() * 16);
    for (hash, line) in entries {
        index.extend_from_slice(&hash.to_le_bytes());
        index.extend_from_slice(&line.to_le_bytes());
    }
    index
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let text = text.as_bytes();
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in text.chunks(2).enumerate() {
        let digit = |c: u8| (c as char).to_digit(16);
        out[i] = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
    }
    Some(out)
}

fn invalid(error: serde_json::Error) -> Error {
    bad(format!("the manifest is not valid JSON: {error}"))
}

fn bad(message: String) -> Error {
    Error::new(ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(path: &[u8]) -> BundlePart {
        BundlePart {
            path: PathBuf::from(OsStr::from_bytes(path)),
            source: PathBuf::from(OsStr::from_bytes(path)),
            offset: 3,
            length: 4,
            sha256: [7; 32],
            compressed_offset: 5,
            compressed_length: 6,
        }
    }

    #[test]
    fn a_manifest_reads_back_with_one_part_per_line() {
        let manifest = Manifest {
            output: "out.zst".into(),
            codec: "zstd".into(),
            parts: vec![part(b"a \"b\"\n.txt"), part(b"bad\xff.txt")],
            skipped: vec![SkippedInput {
                source: "gone.txt".into(),
                error: "reading gone.txt: No such file".into(),
            }],
        };
        let text = manifest.to_json();
        assert_eq!(Manifest::from_json(&text).unwrap(), manifest);
        let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        assert!(String::from_utf8_lossy(lines[1]).contains(r#""path":"a \"b\"\n.txt""#));
        assert!(String::from_utf8_lossy(lines[2]).contains("path_bytes"));
    }

    #[test]
    fn untrusted_manifests_are_errors() {
        for text in [
            &b"{"[..],
            b"[]",
            br#"{"output":"o","codec":"zstd","parts":[{"path":"a"}]}"#,
        ] {
            assert_eq!(
                Manifest::from_json(text).unwrap_err().kind(),
                ErrorKind::InvalidData
            );
        }
    }
}
