//! The manifest of a merge: [`Manifest`] and [`ManifestPart`], the one
//! schema every feature that writes or reads manifests uses;
//! [`ManifestWriter`], which writes one part at a time as the merge goes;
//! and [`Manifest::from_reader`], which reads one back.
//!
//! # The format
//!
//! A JSON object, one part per line so that a large manifest stays easy to
//! read with line tools:
//!
//! ```text
//! {"version":1,"output":"bundle.js","parts":[
//! {"kind":"header","path":"a.js","source":"src/a.js","offset":0,"length":12,"sha256":"…"},
//! {"kind":"file","path":"a.js","source":"src/a.js","offset":12,"length":5,"sha256":"…"}
//! ],"skipped":[{"path":"b.js.gz","source":"src/b.js.gz","error":"reading src/b.js.gz: …"}]}
//! ```
//!
//! - `version`: 1.
//! - `output`: the output as the merge named it (`-` for standard output).
//! - `parts`: every part of the uncompressed output, in order, without gaps:
//!   each part's `offset` is the previous one's `offset + length`, the
//!   first is 0. A part has `kind` (`banner`, `header`, `file`,
//!   `separator`, `footer`), `offset`, `length` and `sha256` (lowercase
//!   hexadecimal); file parts and headers also `path`, the file's path
//!   relative to its input directory as `{path}` renders it (for a file
//!   named as an input, its name as given) — what `split` and `extract`
//!   recreate under a directory — and `source`, the path smerge opened
//!   (for an object, its URL).
//! - `etag`: in the file part of an object, the ETag of the version that
//!   was read (every read asked for it with `If-Match`).
//! - `sha256` is absent from the file part of an object that the object
//!   store copied into the output itself (a server-side compose): those
//!   bytes never went through smerge. Its `etag` identifies what was
//!   copied instead.
//! - `skipped`: the inputs skipped under `--keep-going`, each with `path`,
//!   `source` and `error`.
//!
//! A name that is not valid UTF-8 keeps a lossy `path` / `source` / `output`
//! (invalid bytes as U+FFFD) and adds `path_bytes` / `source_bytes` /
//! `output_bytes`: the raw bytes in standard base64, which readers use when
//! present (see [`ManifestPart::path_bytes`]).
//!
//! Fields may be added in later versions of the same `version`; readers
//! ignore fields they do not know.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::merge::record::{PartKind, PartRecord};
use crate::{Error, ErrorKind, Result};

/// The manifest format's version, written as `"version"`.
pub const MANIFEST_VERSION: u32 = 1;

/// A whole manifest, as [`Manifest::from_reader`] reads it. See the
/// [module documentation](self) for the format.
///
/// # Examples
///
/// ```
/// use smerge::merge::{Manifest, PartKind};
///
/// let text = br#"{"version":1,"output":"all.js","parts":[
/// {"kind":"file","path":"a.js","source":"src/a.js","offset":0,"length":3,"sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}
/// ],"skipped":[]}"#;
/// let manifest = Manifest::from_reader(&text[..])?;
/// let part = &manifest.parts[0];
/// assert_eq!(part.kind, PartKind::File);
/// assert_eq!(part.relative_path()?, std::path::Path::new("a.js"));
/// assert_eq!(part.sha256()?[0], 0xba);
/// # Ok::<(), smerge::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Manifest {
    /// The format's version, [`MANIFEST_VERSION`].
    pub version: u32,
    /// The output, as the merge named it (lossy if not UTF-8).
    pub output: String,
    /// The output's name as raw bytes, in base64, when it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_bytes: Option<String>,
    /// Every part, in output order.
    pub parts: Vec<ManifestPart>,
    /// The inputs skipped under `--keep-going`.
    #[serde(default)]
    pub skipped: Vec<SkippedInput>,
}

/// One part of a merged output, as a manifest records it; see the
/// [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ManifestPart {
    /// What the part is.
    pub kind: PartKind,
    /// The file's path relative to its input directory (lossy if not UTF-8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The path as raw bytes, in base64, when it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_bytes: Option<String>,
    /// The path smerge opened (lossy if not UTF-8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The opened path as raw bytes, in base64, when it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_bytes: Option<String>,
    /// Where the part starts in the uncompressed output.
    pub offset: u64,
    /// How many bytes it has.
    pub length: u64,
    /// Its SHA-256, in lowercase hexadecimal; absent for an object the
    /// object store copied into the output itself, whose bytes smerge
    /// never saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// For an object's file part, the ETag of the version that was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// In a seekable bundle: where the compressed data holding the part
    /// starts (its first zstd frame or gzip member).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compressed_offset: Option<u64>,
    /// In a seekable bundle: how long that compressed data is, to the end
    /// of the part's last frame or member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compressed_length: Option<u64>,
}

/// An input a merge skipped (`--keep-going`), and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SkippedInput {
    /// Its path relative to its input directory, as for a part.
    pub path: String,
    /// The path as raw bytes, in base64, when it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_bytes: Option<String>,
    /// The path smerge opened.
    pub source: String,
    /// The opened path as raw bytes, in base64, when it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_bytes: Option<String>,
    /// The error, as one line.
    pub error: String,
}

impl SkippedInput {
    /// The input at `path` (relative, as for a part) opened as `source`,
    /// skipped because of `error`.
    pub fn new(path: &Path, source: &Path, error: &Error) -> SkippedInput {
        let (path, path_bytes) = name_fields(path);
        let (source, source_bytes) = name_fields(source);
        SkippedInput {
            path,
            path_bytes,
            source,
            source_bytes,
            error: format!("{error:#}"),
        }
    }
}

impl ManifestPart {
    /// The manifest's form of `record`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`] if the record has no SHA-256 (the
    /// merge did not hash its parts), unless it is an object's part with
    /// its ETag (copied by the object store, never seen by smerge).
    pub fn from_record(record: &PartRecord) -> Result<ManifestPart> {
        let sha256 = record.sha256_hex();
        if sha256.is_none() && record.etag.is_none() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "a manifest part needs a SHA-256, and this part was not hashed",
            ));
        }
        let (path, path_bytes) = split_name(record.path.as_deref());
        let (source, source_bytes) = split_name(record.source.as_deref());
        Ok(ManifestPart {
            kind: record.kind,
            path,
            path_bytes,
            source,
            source_bytes,
            offset: record.offset,
            length: record.length,
            sha256,
            etag: record.etag.clone(),
            compressed_offset: None,
            compressed_length: None,
        })
    }

    /// The raw bytes of [`path`](ManifestPart::path): `path_bytes` decoded
    /// when present, otherwise the UTF-8 `path`; `None` for parts without
    /// a path (banner, separator, footer).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidData`] when `path_bytes` is not valid base64.
    pub fn path_bytes(&self) -> Result<Option<Vec<u8>>> {
        raw_name(
            self.path.as_deref(),
            self.path_bytes.as_deref(),
            "path_bytes",
        )
    }

    /// The raw bytes of [`source`](ManifestPart::source), as
    /// [`path_bytes`](ManifestPart::path_bytes) does for `path`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidData`] when `source_bytes` is not valid base64.
    pub fn source_bytes(&self) -> Result<Option<Vec<u8>>> {
        raw_name(
            self.source.as_deref(),
            self.source_bytes.as_deref(),
            "source_bytes",
        )
    }

    /// The part's path, checked to be safe to recreate under a directory:
    /// relative, not empty, with no `..`, no root and no NUL byte. A
    /// manifest may have been written by an attacker: this is the check
    /// `split` and `extract` make before creating anything (they must
    /// still refuse to follow symbolic links out of the directory).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidData`] for a part without a path, a path that is
    /// absolute, empty, contains `..` or a NUL byte, or bad base64.
    pub fn relative_path(&self) -> Result<PathBuf> {
        let bytes = self.path_bytes()?.ok_or_else(|| {
            invalid(format!(
                "the {} part at offset {} has no path",
                self.kind.as_str(),
                self.offset
            ))
        })?;
        let path = path_from_bytes(&bytes);
        let refused = || {
            invalid(format!(
                "the part path {} is not a relative path inside the directory",
                crate::quote(&path)
            ))
        };
        let mut relative = PathBuf::new();
        for component in path.components() {
            match component {
                Component::Normal(name) if !name.as_encoded_bytes().contains(&0) => {
                    relative.push(name);
                }
                Component::CurDir => {}
                _ => return Err(refused()),
            }
        }
        if relative.as_os_str().is_empty() {
            return Err(refused());
        }
        Ok(relative)
    }

    /// The SHA-256 as bytes.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidData`] unless `sha256` is 64 hexadecimal digits;
    /// for a part without one (an object copied by the object store), an
    /// error saying so.
    pub fn sha256(&self) -> Result<[u8; 32]> {
        let Some(sha256) = &self.sha256 else {
            return Err(invalid(format!(
                "the part at offset {} has no SHA-256: its bytes were copied by the object store{}",
                self.offset,
                self.etag
                    .as_ref()
                    .map(|etag| format!(" (ETag {etag})"))
                    .unwrap_or_default()
            )));
        };
        let text = sha256.as_bytes();
        if text.len() != 64 {
            return Err(invalid(format!("{sha256:?} is not a SHA-256")));
        }
        let mut digest = [0u8; 32];
        for (byte, pair) in digest.iter_mut().zip(text.chunks(2)) {
            let hex = std::str::from_utf8(pair).ok();
            *byte = hex
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| invalid(format!("{sha256:?} is not a SHA-256")))?;
        }
        Ok(digest)
    }
}

impl Manifest {
    /// Reads a manifest and checks its structure: the version, every
    /// SHA-256 (only an object's part with an ETag may have none), and that the parts follow one another from offset 0
    /// without gaps or overlaps (so a part's range can be trusted to lie
    /// inside the output the parts add up to). Part paths are checked
    /// when they are used, by [`ManifestPart::relative_path`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidData`] for JSON that is not a manifest, or a
    /// manifest that breaks one of the rules above, saying which part.
    pub fn from_reader(reader: impl Read) -> Result<Manifest> {
        let manifest: Manifest = serde_json::from_reader(reader)
            .map_err(|e| Error::with_source(ErrorKind::InvalidData, e))?;
        manifest.check()?;
        Ok(manifest)
    }

    /// Reads the manifest in the file at `path`, as
    /// [`from_reader`](Manifest::from_reader) does; errors name the file.
    ///
    /// # Errors
    ///
    /// As [`from_reader`](Manifest::from_reader), and the file not opening.
    pub fn read(path: impl AsRef<Path>) -> Result<Manifest> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|e| Error::io(e).reading(path))?;
        Manifest::from_reader(std::io::BufReader::new(file)).map_err(|e| e.reading(path))
    }

    /// The output's name as raw bytes (`output_bytes` when present).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidData`] when `output_bytes` is not valid base64.
    pub fn output_path(&self) -> Result<PathBuf> {
        let bytes = raw_name(
            Some(&self.output),
            self.output_bytes.as_deref(),
            "output_bytes",
        )?;
        Ok(path_from_bytes(&bytes.unwrap_or_default()))
    }

    /// The size of the uncompressed output the parts add up to.
    pub fn total_length(&self) -> u64 {
        self.parts.last().map_or(0, |p| p.offset + p.length)
    }

    fn check(&self) -> Result<()> {
        if self.version != MANIFEST_VERSION {
            return Err(invalid(format!(
                "manifest version {} is not supported (this smerge reads version {MANIFEST_VERSION})",
                self.version
            )));
        }
        let mut next = 0u64;
        for (index, part) in self.parts.iter().enumerate() {
            if part.offset != next {
                return Err(invalid(format!(
                    "part {} starts at offset {}, not at {next} where the previous part ended",
                    index + 1,
                    part.offset
                )));
            }
            next = part
                .offset
                .checked_add(part.length)
                .ok_or_else(|| invalid(format!("part {} ends past 2^64 bytes", index + 1)))?;
            if part.sha256.is_some() || part.etag.is_none() {
                part.sha256()
                    .map_err(|e| e.context(format!("part {}", index + 1)))?;
            }
        }
        Ok(())
    }
}

/// Writes a manifest one part at a time, as the merge goes: memory stays
/// the same for ten parts or a million.
///
/// [`start`](ManifestWriter::start) writes the opening, each
/// [`part`](ManifestWriter::part) one line, and
/// [`finish`](ManifestWriter::finish) the skipped inputs and the closing.
/// Writes go straight to `W`: give it a buffered writer.
///
/// # Examples
///
/// ```
/// use std::path::Path;
/// use smerge::merge::{Manifest, ManifestWriter};
///
/// let mut writer = ManifestWriter::start(Vec::new(), Path::new("all.js"))?;
/// let text = writer.finish(&[])?;
/// let manifest = Manifest::from_reader(&text[..])?;
/// assert_eq!((manifest.output.as_str(), manifest.parts.len()), ("all.js", 0));
/// # Ok::<(), smerge::Error>(())
/// ```
#[derive(Debug)]
pub struct ManifestWriter<W: Write> {
    out: W,
    parts: u64,
}

impl<W: Write> ManifestWriter<W> {
    /// Writes the opening of a manifest for the output named `output` into
    /// `out`.
    ///
    /// # Errors
    ///
    /// Writing failed.
    pub fn start(mut out: W, output: &Path) -> Result<ManifestWriter<W>> {
        let (name, bytes) = name_fields(output);
        write!(
            out,
            "{{\"version\":{MANIFEST_VERSION},\"output\":{}",
            json(&name)?
        )?;
        if let Some(bytes) = bytes {
            write!(out, ",\"output_bytes\":{}", json(&bytes)?)?;
        }
        out.write_all(b",\"parts\":[")?;
        Ok(ManifestWriter { out, parts: 0 })
    }

    /// Writes one part.
    ///
    /// # Errors
    ///
    /// Writing failed, or the part has no SHA-256.
    pub fn part(&mut self, record: &PartRecord) -> Result<()> {
        let part = ManifestPart::from_record(record)?;
        let separator: &[u8] = if self.parts == 0 { b"\n" } else { b",\n" };
        self.out.write_all(separator)?;
        serde_json::to_writer(&mut self.out, &part).map_err(json_error)?;
        self.parts += 1;
        Ok(())
    }

    /// Writes one part already in its manifest form (a seekable bundle's,
    /// with its compressed range).
    ///
    /// # Errors
    ///
    /// Writing failed.
    pub fn manifest_part(&mut self, part: &ManifestPart) -> Result<()> {
        let separator: &[u8] = if self.parts == 0 { b"\n" } else { b",\n" };
        self.out.write_all(separator)?;
        serde_json::to_writer(&mut self.out, part).map_err(json_error)?;
        self.parts += 1;
        Ok(())
    }

    /// How many parts were written.
    pub fn parts(&self) -> u64 {
        self.parts
    }

    /// Writes the skipped inputs and closes the manifest; returns the
    /// writer, flushed.
    ///
    /// # Errors
    ///
    /// Writing failed.
    pub fn finish(mut self, skipped: &[SkippedInput]) -> Result<W> {
        let end: &[u8] = if self.parts == 0 { b"]" } else { b"\n]" };
        self.out.write_all(end)?;
        self.out.write_all(b",\"skipped\":")?;
        serde_json::to_writer(&mut self.out, skipped).map_err(json_error)?;
        self.out.write_all(b"}\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

fn json(text: &str) -> Result<String> {
    serde_json::to_string(text).map_err(json_error)
}

fn json_error(error: serde_json::Error) -> Error {
    match error.io_error_kind() {
        Some(kind) => Error::io(std::io::Error::new(kind, error)),
        None => Error::with_source(ErrorKind::InvalidData, error),
    }
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidData, message)
}

/// A name as the manifest writes it: lossy text, and base64 of the raw
/// bytes when they are not UTF-8.
fn name_fields(path: &Path) -> (String, Option<String>) {
    let raw = path.as_os_str().as_encoded_bytes();
    match std::str::from_utf8(raw) {
        Ok(text) => (text.to_owned(), None),
        Err(_) => (
            String::from_utf8_lossy(raw).into_owned(),
            Some(BASE64.encode(raw)),
        ),
    }
}

fn split_name(path: Option<&Path>) -> (Option<String>, Option<String>) {
    match path.map(name_fields) {
        Some((text, bytes)) => (Some(text), bytes),
        None => (None, None),
    }
}

fn raw_name(text: Option<&str>, base64: Option<&str>, field: &str) -> Result<Option<Vec<u8>>> {
    match base64 {
        Some(encoded) => BASE64
            .decode(encoded)
            .map(Some)
            .map_err(|e| invalid(format!("{field} is not base64: {e}"))),
        None => Ok(text.map(|t| t.as_bytes().to_vec())),
    }
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(OsString::from_vec(bytes.to_vec()))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(OsString::from(String::from_utf8_lossy(bytes).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: PartKind, path: Option<&Path>, offset: u64, content: &[u8]) -> PartRecord {
        PartRecord {
            kind,
            path: path.map(Path::to_path_buf),
            source: path.map(|p| Path::new("in").join(p)),
            offset,
            length: content.len() as u64,
            sha256: Some(crate::merge::record::sha256(content)),
            etag: None,
        }
    }

    fn write(records: &[PartRecord], skipped: &[SkippedInput]) -> Vec<u8> {
        let mut writer = ManifestWriter::start(Vec::new(), Path::new("out.js")).unwrap();
        for r in records {
            writer.part(r).unwrap();
        }
        writer.finish(skipped).unwrap()
    }

    #[test]
    fn round_trip_with_one_part_per_line() {
        let records = [
            record(PartKind::Banner, None, 0, b"/*b*/"),
            record(PartKind::File, Some(Path::new("sub/a.js")), 5, b"a();"),
        ];
        let error = Error::new(ErrorKind::InvalidData, "truncated").reading("in/c.gz");
        let skipped = [SkippedInput::new(
            Path::new("c.gz"),
            Path::new("in/c.gz"),
            &error,
        )];
        let text = write(&records, &skipped);
        let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        assert_eq!(lines.len(), 5, "{}", String::from_utf8_lossy(&text));
        let manifest = Manifest::from_reader(&text[..]).unwrap();
        assert_eq!(manifest.parts.len(), 2);
        assert_eq!(manifest.parts[0].path, None);
        assert_eq!(manifest.parts[1].path.as_deref(), Some("sub/a.js"));
        assert_eq!(manifest.parts[1].source.as_deref(), Some("in/sub/a.js"));
        assert_eq!(manifest.total_length(), 9);
        assert_eq!(manifest.skipped[0].error, "reading in/c.gz: truncated");
        assert_eq!(
            manifest.parts[1].sha256().unwrap(),
            records[1].sha256.unwrap()
        );
    }

    #[cfg(unix)]
    #[test]
    fn names_that_are_not_utf8_stay_distinct() {
        use std::os::unix::ffi::OsStrExt;
        let ff = Path::new(std::ffi::OsStr::from_bytes(b"b\xff.js"));
        let fe = Path::new(std::ffi::OsStr::from_bytes(b"b\xfe.js"));
        let text = write(
            &[
                record(PartKind::File, Some(ff), 0, b"1"),
                record(PartKind::File, Some(fe), 1, b"2"),
            ],
            &[],
        );
        let manifest = Manifest::from_reader(&text[..]).unwrap();
        let [a, b] = &manifest.parts[..] else {
            panic!("two parts")
        };
        assert_eq!(a.path, b.path, "the lossy forms are alike");
        assert_eq!(a.relative_path().unwrap(), ff);
        assert_eq!(b.relative_path().unwrap(), fe);
        assert_eq!(b.source_bytes().unwrap().unwrap(), b"in/b\xfe.js");
    }

    fn part_at(path: &str) -> ManifestPart {
        ManifestPart {
            kind: PartKind::File,
            path: Some(path.to_owned()),
            path_bytes: None,
            source: None,
            source_bytes: None,
            offset: 0,
            length: 0,
            sha256: Some("0".repeat(64)),
            etag: None,
            compressed_offset: None,
            compressed_length: None,
        }
    }

    #[test]
    fn unsafe_paths_are_refused() {
        for path in ["/etc/passwd", "../x", "a/../../x", "", "a\0b"] {
            let error = part_at(path).relative_path().unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidData, "{path:?}");
        }
        assert_eq!(
            part_at("./a/b.js").relative_path().unwrap(),
            Path::new("a/b.js")
        );
    }

    #[test]
    fn only_parts_with_an_etag_may_go_without_a_sha256() {
        let text = br#"{"version":1,"output":"s3://b/all","parts":[
{"kind":"file","path":"a","source":"s3://b/in/a","offset":0,"length":7,"etag":"\"e1\""}
],"skipped":[]}"#;
        let manifest = Manifest::from_reader(&text[..]).unwrap();
        let part = &manifest.parts[0];
        assert_eq!(part.etag.as_deref(), Some("\"e1\""));
        let error = part.sha256().unwrap_err();
        assert!(
            error.to_string().contains("copied by the object store"),
            "{error}"
        );
        let record = PartRecord {
            etag: None,
            sha256: None,
            ..record(PartKind::File, Some(Path::new("a")), 0, b"")
        };
        assert!(ManifestPart::from_record(&record).is_err());
        let without = br#"{"version":1,"output":"o","parts":[
{"kind":"file","path":"a","offset":0,"length":7}],"skipped":[]}"#;
        assert!(Manifest::from_reader(&without[..]).is_err());
    }

    #[test]
    fn broken_manifests_are_refused_saying_why() {
        let part = |offset: u64, length: u64, sha: &str| {
            format!(
                r#"{{"kind":"file","path":"a","offset":{offset},"length":{length},"sha256":"{sha}"}}"#
            )
        };
        let good = "ab".repeat(32);
        for (parts, message) in [
            (
                vec![part(0, 3, &good), part(4, 1, &good)],
                "part 2 starts at offset 4",
            ),
            (vec![part(1, 3, &good)], "part 1 starts at offset 1"),
            (
                vec![part(0, u64::MAX, &good), part(u64::MAX, 1, &good)],
                "part 2 ends past",
            ),
            (vec![part(0, 1, "xyz")], "part 1: \"xyz\" is not a SHA-256"),
            (vec![part(0, 1, &"g".repeat(64))], "is not a SHA-256"),
        ] {
            let text = format!(
                r#"{{"version":1,"output":"o","parts":[{}]}}"#,
                parts.join(",")
            );
            let error = Manifest::from_reader(text.as_bytes()).unwrap_err();
            assert!(
                format!("{error:#}").contains(message),
                "{error:#} / {message}"
            );
        }
        let error =
            Manifest::from_reader(&br#"{"version":2,"output":"o","parts":[]}"#[..]).unwrap_err();
        assert!(format!("{error:#}").contains("version 2"), "{error:#}");
        let error = Manifest::from_reader(&b"[1,2"[..]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidData);
    }
}
