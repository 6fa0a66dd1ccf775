//! [`Manifest`]: the manifest a merge wrote (`--manifest`), read back as
//! the untrusted input it is.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};

/// The largest manifest read: a merge of a million files writes about a
/// quarter of this.
pub const MAX_MANIFEST_LEN: u64 = 512 << 20;

/// One part of a merged output, as its manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ManifestPart {
    /// `file`, `banner`, `header`, `separator`, `footer`, … .
    pub kind: String,
    /// Where it starts in the uncompressed output.
    pub offset: u64,
    /// How many bytes it has.
    pub length: u64,
    /// Its SHA-256.
    pub sha256: [u8; 32],
    /// For a file part, its path relative to its input directory: what a
    /// split recreates. Checked: relative, no `..`, no empty name.
    pub path: Option<PathBuf>,
    /// The path the merge opened, when the manifest says.
    pub source: Option<PathBuf>,
}

/// A merge's manifest: the output it describes and its parts, in output
/// order, none overlapping another.
///
/// Names that are not UTF-8 are read from `path_bytes`/`source_bytes`
/// (base64 of the raw bytes) when the manifest has them.
///
/// # Examples
///
/// ```
/// use smerge::split::Manifest;
///
/// # fn main() -> smerge::Result<()> {
/// let manifest = Manifest::parse(br#"{"output": "all.js", "parts": [
///     {"kind": "file", "path": "a.js", "offset": 0, "length": 3,
///      "sha256": "0000000000000000000000000000000000000000000000000000000000000000"}]}"#)?;
/// assert_eq!(manifest.output.as_deref(), Some("all.js".as_ref()));
/// assert_eq!(manifest.parts[0].path.as_deref(), Some("a.js".as_ref()));
/// assert!(Manifest::parse(br#"{"parts": [{"kind": "file", "path": "../x", "offset": 0,
///     "length": 0, "sha256": ""}]}"#).is_err());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Manifest {
    /// The output the merge wrote, as it was named (`None` for standard
    /// output).
    pub output: Option<PathBuf>,
    /// The parts, by offset.
    pub parts: Vec<ManifestPart>,
}

fn invalid(what: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidData, what)
}

impl Manifest {
    /// Reads the manifest at `path` (`-`: standard input).
    ///
    /// # Errors
    ///
    /// The file cannot be read, is larger than [`MAX_MANIFEST_LEN`], or is
    /// not a valid manifest ([`Manifest::parse`]); naming it.
    pub fn read(path: &Path) -> Result<Manifest> {
        use std::io::Read;
        let mut text = Vec::new();
        let limit = MAX_MANIFEST_LEN + 1;
        let read = if path == Path::new("-") {
            std::io::stdin().lock().take(limit).read_to_end(&mut text)
        } else {
            std::fs::File::open(path).and_then(|f| f.take(limit).read_to_end(&mut text))
        };
        read.map_err(|e| Error::io(e).reading(path))?;
        if text.len() as u64 > MAX_MANIFEST_LEN {
            return Err(invalid(format!("larger than {MAX_MANIFEST_LEN} bytes")).reading(path));
        }
        Manifest::parse(&text).map_err(|e| e.reading(path))
    }

    /// Parses a manifest's JSON.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidData`] naming the first problem: not JSON, a
    /// field missing or of the wrong type, a SHA-256 that is not 64 hex
    /// digits, parts out of order or overlapping, a part path that is
    /// absolute, climbs with `..`, or names a file twice.
    pub fn parse(json: &[u8]) -> Result<Manifest> {
        let value: Value = serde_json::from_slice(json)
            .map_err(|e| Error::with_source(ErrorKind::InvalidData, e).context("not JSON"))?;
        let object = value
            .as_object()
            .ok_or_else(|| invalid("a manifest is a JSON object"))?;
        let output = match object.get("output") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s == "-" => None,
            Some(Value::String(s)) => Some(PathBuf::from(s)),
            Some(_) => return Err(invalid("\"output\" is not a string")),
        };
        let parts = object
            .get("parts")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("no \"parts\" array"))?;
        let mut manifest = Manifest {
            output,
            parts: Vec::with_capacity(parts.len()),
        };
        let mut paths = std::collections::HashSet::new();
        let mut end = 0u64;
        for (index, part) in parts.iter().enumerate() {
            let part = parse_part(part).map_err(|e| e.context(format!("part {index}")))?;
            if part.offset < end {
                return Err(invalid(format!(
                    "part {index} starts at {} inside the part before it",
                    part.offset
                )));
            }
            end = part.offset + part.length;
            if let Some(path) = &part.path
                && part.kind == "file"
                && !paths.insert(path.clone())
            {
                return Err(invalid(format!(
                    "part {index}: {} is listed twice",
                    super::shown(path)
                )));
            }
            manifest.parts.push(part);
        }
        Ok(manifest)
    }
}

fn parse_part(part: &Value) -> Result<ManifestPart> {
    let object = part
        .as_object()
        .ok_or_else(|| invalid("not a JSON object"))?;
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("no \"kind\""))?
        .to_string();
    let number = |name: &str| {
        object
            .get(name)
            .and_then(Value::as_u64)
            .ok_or_else(|| invalid(format!("no \"{name}\" (a whole number)")))
    };
    let offset = number("offset")?;
    let length = number("length")?;
    offset
        .checked_add(length)
        .ok_or_else(|| invalid("ends past 2^64 bytes"))?;
    let sha256 = object
        .get("sha256")
        .and_then(Value::as_str)
        .and_then(parse_hex)
        .ok_or_else(|| invalid("\"sha256\" is not 64 hexadecimal digits"))?;
    let mut path = name(object, "path")?;
    if let Some(relative) = &path {
        check_relative(relative)?;
        // `./a` and `a` are one file.
        path = Some(
            relative
                .components()
                .filter(|c| matches!(c, Component::Normal(_)))
                .collect(),
        );
    }
    if kind == "file" && path.is_none() {
        return Err(invalid("a file part with no \"path\""));
    }
    Ok(ManifestPart {
        kind,
        offset,
        length,
        sha256,
        path,
        source: name(object, "source")?,
    })
}

/// The name `field` holds: from `FIELD_bytes` (base64) when present.
fn name(object: &serde_json::Map<String, Value>, field: &str) -> Result<Option<PathBuf>> {
    if let Some(bytes) = object.get(&format!("{field}_bytes")) {
        let bytes = bytes
            .as_str()
            .and_then(|b| data_encoding::BASE64.decode(b.as_bytes()).ok())
            .ok_or_else(|| invalid(format!("\"{field}_bytes\" is not base64")))?;
        return Ok(Some(PathBuf::from(OsString::from_vec(bytes))));
    }
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(PathBuf::from(s))),
        Some(_) => Err(invalid(format!("\"{field}\" is not a string"))),
    }
}

/// Refuses a path that could lead out of the directory it is recreated in.
fn check_relative(path: &Path) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    if bytes.is_empty() || bytes.contains(&0) {
        return Err(invalid("an empty path, or one with a NUL byte"));
    }
    let mut normal = 0;
    for component in path.components() {
        match component {
            Component::Normal(_) => normal += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => {
                return Err(invalid(format!(
                    "{} is an absolute path",
                    super::shown(path)
                )));
            }
            Component::ParentDir => {
                return Err(invalid(format!("{} contains ..", super::shown(path))));
            }
        }
    }
    if normal == 0 {
        return Err(invalid(format!("{} names no file", super::shown(path))));
    }
    Ok(())
}

fn parse_hex(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks(2).enumerate() {
        let pair = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    fn part(path: &str, offset: u64, length: u64) -> String {
        format!(
            r#"{{"kind":"file","path":{path},"offset":{offset},"length":{length},"sha256":"{HASH}"}}"#
        )
    }

    fn parse(parts: &[String]) -> Result<Manifest> {
        Manifest::parse(
            format!(r#"{{"output":"out.js","parts":[{}]}}"#, parts.join(",")).as_bytes(),
        )
    }

    #[test]
    fn reads_parts_and_raw_names() {
        let manifest = Manifest::parse(
            format!(
                r#"{{"output":"-","parts":[{},
                {{"kind":"file","path":"b\ufffd","path_bytes":"Yv8=","source":"in/b","offset":5,"length":0,"sha256":"{HASH}"}}],
                "skipped":[{{"source":"c","error":"gone"}}]}}"#,
                part("\"./sub/a.js\"", 0, 5)
            )
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(manifest.output, None);
        assert_eq!(manifest.parts.len(), 2);
        assert_eq!(manifest.parts[0].sha256[1], 0x11);
        assert_eq!(
            manifest.parts[1].path.as_deref(),
            Some(Path::new(OsStr::from_bytes(b"b\xff")))
        );
        assert_eq!(manifest.parts[1].source.as_deref(), Some(Path::new("in/b")));
    }

    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn refuses_tampered_manifests() {
        for (parts, why) in [
            (vec![part("\"/etc/passwd\"", 0, 1)], "absolute"),
            (vec![part("\"a/../../x\"", 0, 1)], ".."),
            (vec![part("\"\"", 0, 1)], "empty"),
            (vec![part("\".\"", 0, 1)], "names no file"),
            (
                vec![part("\"a\"", 0, 4), part("\"b\"", 3, 1)],
                "inside the part before",
            ),
            (vec![part("\"a\"", 0, 1), part("\"./a\"", 1, 1)], "twice"),
            (vec![part("null", 0, 1)], "no \"path\""),
            (vec![part("\"a\"", u64::MAX, 2)], "2^64"),
            (vec![part("\"a\"", 0, 1).replace(HASH, "zz")], "hexadecimal"),
            (
                vec![part("\"a\"", 0, 1).replace("\"length\":1", "\"length\":-1")],
                "length",
            ),
        ] {
            let error = parse(&parts).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidData);
            assert!(error.to_string().contains(why), "{why}: {error}");
        }
        assert!(Manifest::parse(b"[]").is_err());
        assert!(Manifest::parse(b"{\"parts\":{}}").is_err());
        assert!(Manifest::parse(b"not json").is_err());
    }
}
