//! [`Bundle`]: a seekable bundle opened for reading, which lists its parts
//! and decompresses only the frames or members that hold the ones asked.

use std::cell::OnceCell;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobSetBuilder};
use sha2::{Digest, Sha256};

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use crate::merge::{Manifest, ManifestPart};
use crate::seekable::payload::{Location, Payload, path_hash};
use crate::seekable::{BundleCodec, gzip_format, zstd_format};
use crate::{Error, ErrorKind, Result};

/// The largest zstd window a bundle's frames may ask for (their content is
/// at most 1 MiB; this leaves room and bounds what a hostile file costs).
const MAX_WINDOW_LOG: u32 = 24;

/// A seekable bundle, opened: its manifest, and the frames it has.
#[derive(Debug)]
pub struct Bundle {
    file: File,
    path: PathBuf,
    codec: BundleCodec,
    /// zstd: the frames, from the seek table.
    frames: Vec<zstd_format::Frame>,
    /// Where the compressed data ends (the manifest and index follow).
    data_end: u64,
    payload: Payload,
    manifest: OnceCell<Manifest>,
}

impl Bundle {
    /// Opens the bundle at `path` and reads its index and manifest.
    ///
    /// # Errors
    ///
    /// The operating system's error, or [`ErrorKind::InvalidData`] for a
    /// file that is not a seekable bundle; each names the file.
    pub fn open(path: impl AsRef<Path>) -> Result<Bundle> {
        let path = path.as_ref();
        let context = |error: Error| error.reading(path);
        let file = File::open(path).map_err(|e| context(Error::io(e)))?;
        let len = file.metadata().map_err(|e| context(Error::io(e)))?.len();
        let mut magic = [0u8; 4];
        file.read_exact_at(&mut magic, 0).map_err(|_| {
            context(Error::new(
                ErrorKind::InvalidData,
                "not a seekable smerge bundle: too short",
            ))
        })?;
        let (codec, frames, data_end, location) = if magic[..2] == [0x1f, 0x8b] {
            let location = gzip_format::read(&file, len).map_err(context)?;
            let Location::Chunked { start, .. } = location else {
                unreachable!("a gzip payload is chunked")
            };
            (BundleCodec::Gzip, Vec::new(), start, location)
        } else {
            let (frames, location) = zstd_format::read(&file, len).map_err(context)?;
            let data_end = frames
                .last()
                .map_or(0, |f| f.compressed_offset + f.compressed_size);
            (BundleCodec::Zstd, frames, data_end, location)
        };
        let payload = Payload::open(&file, location).map_err(context)?;
        Ok(Bundle {
            file,
            path: path.to_path_buf(),
            codec,
            frames,
            data_end,
            payload,
            manifest: OnceCell::new(),
        })
    }

    /// The codec the bundle is written with.
    pub fn codec(&self) -> BundleCodec {
        self.codec
    }

    /// The manifest, read in full.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidData`] for a manifest that is not valid.
    pub fn manifest(&self) -> Result<&Manifest> {
        if let Some(manifest) = self.manifest.get() {
            return Ok(manifest);
        }
        let json = self
            .payload
            .json(&self.file)
            .map_err(|e| e.reading(&self.path))?;
        let manifest = Manifest::from_reader(&json[..]).map_err(|e| e.reading(&self.path))?;
        Ok(self.manifest.get_or_init(|| manifest))
    }

    /// The parts named by `patterns`, in bundle order: a pattern is a
    /// part's path (as `--manifest` records it), its source path, or a
    /// glob (`*`, `?`, `[…]`, `{…}`) matched against the path. Exact paths
    /// are found without reading the whole manifest.
    ///
    /// # Errors
    ///
    /// A pattern that names no part, or that is not a valid glob, or a
    /// manifest that is not valid.
    pub fn select<S: AsRef<str>>(&self, patterns: &[S]) -> Result<Vec<ManifestPart>> {
        let mut selected: Vec<ManifestPart> = Vec::new();
        for pattern in patterns {
            let pattern = pattern.as_ref();
            let found = if pattern.contains(['*', '?', '[', '{']) {
                let glob = Glob::new(pattern).map_err(|error| {
                    Error::new(ErrorKind::InvalidArgument, format!("{pattern}: {error}"))
                })?;
                let set = GlobSetBuilder::new()
                    .add(glob)
                    .build()
                    .map_err(|e| Error::new(ErrorKind::InvalidArgument, e.to_string()))?;
                let mut found = Vec::new();
                for part in &self.manifest()?.parts {
                    if let Some(path) = part.path_bytes()?
                        && set.is_match(Path::new(OsStr::from_bytes(&path)))
                    {
                        found.push(part.clone());
                    }
                }
                found
            } else {
                let by_path = self.find(Path::new(pattern))?;
                if by_path.is_empty() {
                    let mut found = Vec::new();
                    for part in &self.manifest()?.parts {
                        if part.source_bytes()?.as_deref() == Some(pattern.as_bytes()) {
                            found.push(part.clone());
                        }
                    }
                    found
                } else {
                    by_path
                }
            };
            if found.is_empty() {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("'{pattern}' is not in the bundle"),
                )
                .reading(&self.path));
            }
            selected.extend(found);
        }
        selected.sort_by_key(|p| p.offset);
        selected.dedup_by_key(|p| p.offset);
        Ok(selected)
    }

    /// The parts whose path is `path`, found with the bundle's path index:
    /// a binary search, then one line of the manifest read per match.
    fn find(&self, path: &Path) -> Result<Vec<ManifestPart>> {
        let lines = self
            .payload
            .lines_for(&self.file, path_hash(path.as_os_str()))
            .map_err(|e| e.reading(&self.path))?;
        let mut found = Vec::new();
        for line in lines {
            let part: ManifestPart = serde_json::from_slice(&line).map_err(|e| {
                Error::new(
                    ErrorKind::InvalidData,
                    format!("the manifest is not valid JSON: {e}"),
                )
                .reading(&self.path)
            })?;
            let raw = part.path_bytes().map_err(|e| e.reading(&self.path))?;
            if raw.as_deref() == Some(path.as_os_str().as_bytes()) {
                found.push(part);
            }
        }
        found.sort_by_key(|p| p.offset);
        Ok(found)
    }

    /// Writes `part`'s bytes into `out`, decompressing only the frames or
    /// members that hold it, and checks its SHA-256.
    ///
    /// # Errors
    ///
    /// A part whose compressed range is not in the bundle, data that does
    /// not decompress, fewer bytes than the part's length, or a SHA-256
    /// that differs ([`ErrorKind::InvalidData`], naming the part); the
    /// output's error.
    pub fn extract(&self, part: &ManifestPart, out: &mut dyn Write) -> Result<()> {
        let name = part.path.as_deref().unwrap_or("");
        let bad = |what: String| {
            Error::new(ErrorKind::InvalidData, format!("part '{name}': {what}")).reading(&self.path)
        };
        let sha256 = part.sha256().map_err(|e| bad(e.to_string()))?;
        if part.length == 0 {
            return check_hash(Sha256::new(), &sha256).map_err(bad);
        }
        let (Some(compressed_offset), Some(compressed_length)) =
            (part.compressed_offset, part.compressed_length)
        else {
            return Err(bad("it has no compressed range".into()));
        };
        let end = compressed_offset
            .checked_add(compressed_length)
            .filter(|&end| end <= self.data_end)
            .ok_or_else(|| bad("its compressed range is outside the bundle's data".into()))?;
        let range = BufReader::with_capacity(
            128 * 1024,
            FileRange {
                file: &self.file,
                at: compressed_offset,
                end,
            },
        );
        let (decoder, skip): (Box<dyn Read + '_>, u64) = match self.codec {
            BundleCodec::Zstd => {
                let first = self
                    .frames
                    .binary_search_by_key(&compressed_offset, |f| f.compressed_offset)
                    .map_err(|_| bad("its compressed offset is not the start of a frame".into()))?;
                let frame = self.frames[first];
                let skip = part
                    .offset
                    .checked_sub(frame.uncompressed_offset)
                    .ok_or_else(|| bad("it starts before its first frame".into()))?;
                let mut decoder =
                    zstd::stream::read::Decoder::with_buffer(range).map_err(Error::io)?;
                decoder.window_log_max(MAX_WINDOW_LOG).map_err(Error::io)?;
                (Box::new(decoder), skip)
            }
            BundleCodec::Gzip => (Box::new(flate2::bufread::MultiGzDecoder::new(range)), 0),
        };
        let mut decoder = decoder;
        let skipped = io::copy(&mut (&mut decoder).take(skip), &mut io::sink())
            .map_err(|e| bad(format!("its data does not decompress: {e}")))?;
        if skipped < skip {
            return Err(bad("it starts past the end of its frames".into()));
        }
        let mut hasher = Sha256::new();
        let mut remaining = part.length;
        let mut buf = vec![0; 128 * 1024];
        while remaining > 0 {
            let want = buf
                .len()
                .min(usize::try_from(remaining).unwrap_or(usize::MAX));
            let n = match decoder.read(&mut buf[..want]) {
                Ok(0) => return Err(bad(format!("{remaining} of its bytes are missing"))),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(bad(format!("its data does not decompress: {e}"))),
            };
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(Error::io)?;
            remaining -= n as u64;
        }
        check_hash(hasher, &sha256).map_err(bad)
    }
}

fn check_hash(hasher: Sha256, sha256: &[u8; 32]) -> std::result::Result<(), String> {
    let digest: [u8; 32] = hasher.finalize().into();
    if digest == *sha256 {
        Ok(())
    } else {
        Err("its SHA-256 differs from the manifest's".into())
    }
}

/// A byte range of a file, read with `pread`.
struct FileRange<'a> {
    file: &'a File,
    at: u64,
    end: u64,
}

impl Read for FileRange<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = usize::try_from(self.end - self.at).unwrap_or(usize::MAX);
        let want = buf.len().min(left);
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// Where `path`, a part's path read from an untrusted manifest, goes
/// under `dir`: refused when it is absolute, empty, has `..`, or would
/// leave `dir` through a symbolic link; the directories on the way are
/// created. A `target` that exists is refused unless `force` (and a
/// symbolic link always).
///
/// # Errors
///
/// [`ErrorKind::InvalidData`] for a refused path, [`ErrorKind::Conflict`]
/// for an existing file without `force`, the operating system's error
/// creating a directory.
pub fn safe_target(dir: &Path, path: &Path, force: bool) -> Result<PathBuf> {
    let refuse = |why: &str| {
        Error::new(
            ErrorKind::InvalidData,
            format!("refusing the part path {}: {why}", crate::quote(path)),
        )
    };
    let mut components = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(name) => components.push(name),
            Component::CurDir => {}
            Component::ParentDir => return Err(refuse("it contains '..'")),
            Component::RootDir | Component::Prefix(_) => return Err(refuse("it is absolute")),
        }
    }
    let Some((file_name, parents)) = components.split_last() else {
        return Err(refuse("it is empty"));
    };
    let mut target = dir.to_path_buf();
    for name in parents {
        target.push(name);
        match std::fs::symlink_metadata(&target) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(refuse(
                    "it would leave the directory through a symbolic link",
                ));
            }
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(refuse("a file is in the way of its directory")),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                std::fs::create_dir(&target).map_err(|e| Error::io(e).writing(&target))?;
            }
            Err(e) => return Err(Error::io(e).writing(&target)),
        }
    }
    target.push(file_name);
    match std::fs::symlink_metadata(&target) {
        Ok(meta) if meta.file_type().is_symlink() => {
            Err(refuse("the file to write is a symbolic link"))
        }
        Ok(_) if !force => Err(Error::new(
            ErrorKind::Conflict,
            format!("{} exists (--force replaces it)", crate::quote(&target)),
        )),
        _ => Ok(target),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_part_paths_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert!(safe_target(root, Path::new("/etc/passwd"), false).is_err());
        assert!(safe_target(root, Path::new("a/../../x"), false).is_err());
        assert!(safe_target(root, Path::new(""), false).is_err());
        std::os::unix::fs::symlink("/tmp", root.join("link")).unwrap();
        assert!(safe_target(root, Path::new("link/x"), true).is_err());
        assert!(safe_target(root, Path::new("link"), true).is_err());
        let ok = safe_target(root, Path::new("./sub/dir/f.txt"), false).unwrap();
        assert_eq!(ok, root.join("sub/dir/f.txt"));
        assert!(root.join("sub/dir").is_dir());
        std::fs::write(&ok, "x").unwrap();
        assert_eq!(
            safe_target(root, Path::new("sub/dir/f.txt"), false)
                .unwrap_err()
                .kind(),
            ErrorKind::Conflict
        );
        assert!(safe_target(root, Path::new("sub/dir/f.txt"), true).is_ok());
    }
}
