//! What a bundle carries after its compressed data: the manifest, an index
//! of its parts by path, and a trailer saying how long each is.
//!
//! `SMERGE1\n`, the manifest's JSON (one part per line), the index (for
//! each part, the 64-bit hash of its path and where its line starts in the
//! JSON, little-endian `u64`s sorted by hash), then the JSON's length and
//! the number of index entries (`u64`s). A reader looking for one path
//! binary-searches the index and reads one line of the manifest, whatever
//! the bundle's size.

use std::fs::File;
use std::os::unix::fs::FileExt;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::seekable::frames::WrittenPart;
use crate::{Error, ErrorKind, Result};

/// What the payload starts with.
const TAG: &[u8] = b"SMERGE1\n";
const TRAILER_LEN: u64 = 16;
const ENTRY_LEN: u64 = 16;

/// The payload of the manifest `json` (as [`ManifestWriter`] writes it:
/// the opening on the first line, then one part per line) of `parts`, as
/// the pieces to write one after the other (the manifest is not copied).
///
/// [`ManifestWriter`]: crate::merge::ManifestWriter
pub(crate) fn pieces<'a>(json: &'a [u8], parts: &[WrittenPart]) -> [std::borrow::Cow<'a, [u8]>; 3] {
    let lines: Vec<u64> = memchr::memchr_iter(b'\n', json)
        .take(parts.len())
        .map(|at| at as u64 + 1)
        .collect();
    let mut entries: Vec<(u64, u64)> = parts
        .iter()
        .zip(&lines)
        .map(|(part, &line)| (path_hash(part.path.as_os_str()), line))
        .collect();
    entries.sort_unstable();
    let mut index = Vec::with_capacity(entries.len() * 16 + 16);
    for (hash, line) in entries {
        index.extend_from_slice(&hash.to_le_bytes());
        index.extend_from_slice(&line.to_le_bytes());
    }
    index.extend_from_slice(&(json.len() as u64).to_le_bytes());
    index.extend_from_slice(&(lines.len() as u64).to_le_bytes());
    [TAG.into(), json.into(), index.into()]
}

/// Where a payload is in its bundle.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Location {
    /// In one piece (a zstd skippable frame).
    Contiguous { offset: u64, len: u64 },
    /// Cut into pieces of `chunk` bytes (a multiple of 3), each written in
    /// base64 inside a gzip member, the first at `start`; `overhead` bytes
    /// of member surround each piece's base64, `header` of them before it.
    Chunked {
        start: u64,
        len: u64,
        chunk: u64,
        header: u64,
        overhead: u64,
    },
}

/// A bundle's payload, read piece by piece.
#[derive(Debug)]
pub(crate) struct Payload {
    location: Location,
    json_len: u64,
    entries: u64,
}

impl Payload {
    /// Checks the payload at `location` of `file`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidData`] when its tag or lengths are wrong.
    pub(crate) fn open(file: &File, location: Location) -> Result<Payload> {
        let len = match location {
            Location::Contiguous { len, .. } | Location::Chunked { len, .. } => len,
        };
        let mut payload = Payload {
            location,
            json_len: 0,
            entries: 0,
        };
        if len < TAG.len() as u64 + TRAILER_LEN || payload.read(file, 0, TAG.len())? != TAG {
            return Err(bad("the manifest is not smerge's"));
        }
        let trailer = payload.read(file, len - TRAILER_LEN, TRAILER_LEN as usize)?;
        let json_len = u64::from_le_bytes(trailer[..8].try_into().expect("8 bytes"));
        let entries = u64::from_le_bytes(trailer[8..].try_into().expect("8 bytes"));
        let expected = entries
            .checked_mul(ENTRY_LEN)
            .and_then(|n| n.checked_add(json_len))
            .and_then(|n| n.checked_add(TAG.len() as u64 + TRAILER_LEN));
        if expected != Some(len) {
            return Err(bad("the manifest's lengths do not add up"));
        }
        payload.json_len = json_len;
        payload.entries = entries;
        Ok(payload)
    }

    /// The whole manifest's JSON.
    pub(crate) fn json(&self, file: &File) -> Result<Vec<u8>> {
        self.read(file, TAG.len() as u64, to_usize(self.json_len)?)
    }

    /// The lines of the manifest whose path hashes to `hash`.
    pub(crate) fn lines_for(&self, file: &File, hash: u64) -> Result<Vec<Vec<u8>>> {
        let index = TAG.len() as u64 + self.json_len;
        let entry = |i: u64| -> Result<(u64, u64)> {
            let bytes = self.read(file, index + i * ENTRY_LEN, ENTRY_LEN as usize)?;
            Ok((
                u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")),
                u64::from_le_bytes(bytes[8..].try_into().expect("8 bytes")),
            ))
        };
        // The first entry whose hash is not below `hash`.
        let (mut low, mut high) = (0, self.entries);
        while low < high {
            let middle = low + (high - low) / 2;
            if entry(middle)?.0 < hash {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        let mut lines = Vec::new();
        while low < self.entries {
            let (found, line) = entry(low)?;
            if found != hash {
                break;
            }
            lines.push(self.line(file, line)?);
            low += 1;
        }
        Ok(lines)
    }

    /// The line of the manifest's JSON starting at `at`.
    fn line(&self, file: &File, at: u64) -> Result<Vec<u8>> {
        if at >= self.json_len {
            return Err(bad("the path index points outside the manifest"));
        }
        let mut want = 1024u64;
        loop {
            let len = want.min(self.json_len - at);
            let bytes = self.read(file, TAG.len() as u64 + at, to_usize(len)?)?;
            if let Some(end) = memchr::memchr(b'\n', &bytes) {
                let line = &bytes[..end];
                return Ok(line.strip_suffix(b",").unwrap_or(line).to_vec());
            }
            if len < want {
                return Err(bad("a line of the manifest does not end"));
            }
            want *= 4;
        }
    }

    /// `len` bytes of the payload from `offset`.
    fn read(&self, file: &File, offset: u64, len: usize) -> Result<Vec<u8>> {
        let mut out = vec![0; len];
        match self.location {
            Location::Contiguous {
                offset: start,
                len: total,
            } => {
                if offset + len as u64 > total {
                    return Err(bad("the manifest is shorter than it says"));
                }
                file.read_exact_at(&mut out, start + offset)
                    .map_err(Error::io)?;
            }
            Location::Chunked {
                start,
                len: total,
                chunk,
                header,
                overhead,
            } => {
                if offset + len as u64 > total {
                    return Err(bad("the manifest is shorter than it says"));
                }
                let encoded_chunk = chunk / 3 * 4;
                let mut done = 0usize;
                while done < len {
                    let at = offset + done as u64;
                    let (member, within) = (at / chunk, at % chunk);
                    let n = (chunk - within).min((len - done) as u64) as usize;
                    // The groups of 3 bytes (4 characters) that hold them.
                    let (first, end) = (within / 3, (within + n as u64).div_ceil(3));
                    let position = start + member * (encoded_chunk + overhead) + header + first * 4;
                    let mut text = vec![0; to_usize((end - first) * 4)?];
                    file.read_exact_at(&mut text, position).map_err(Error::io)?;
                    let decoded = STANDARD
                        .decode(&text)
                        .map_err(|_| bad("a manifest block is damaged"))?;
                    let skip = (within - first * 3) as usize;
                    let piece = decoded
                        .get(skip..skip + n)
                        .ok_or_else(|| bad("a manifest block is damaged"))?;
                    out[done..done + n].copy_from_slice(piece);
                    done += n;
                }
            }
        }
        Ok(out)
    }
}

/// The hash the path index is sorted by: 64-bit FNV-1a of the path's bytes.
pub(crate) fn path_hash(path: &OsStr) -> u64 {
    path.as_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
}

fn to_usize(n: u64) -> Result<usize> {
    usize::try_from(n).map_err(|_| bad("the manifest is too large"))
}

fn bad(what: &str) -> Error {
    Error::new(
        ErrorKind::InvalidData,
        format!("not a seekable smerge bundle: {what}"),
    )
}
