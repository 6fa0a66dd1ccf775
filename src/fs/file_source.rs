//! [`FileSource`]: a file read as a [`Readable`], optionally a byte range of
//! it, with a check that it did not change size while it was read.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;

use crate::DEFAULT_FILE_HIGH_WATER_MARK;
use crate::Push;
use crate::ReadSource;
use crate::Readable;
use crate::{Error, ErrorKind, Result};

/// The [`ReadSource`](crate::ReadSource) of a file (Node's `fs.createReadStream`).
///
/// Reads happen inside the poll, with plain system calls: a regular file
/// never makes a read wait for the outside world the way a socket does, and
/// a thread hop per read (as `tokio::fs` makes) costs more than the read.
/// For FIFOs and terminals, wrap a non-blocking handle with
/// [`Readable::from_reader`] instead.
///
/// # Examples
///
/// ```
/// use smerge::ReadableExt;
/// use smerge::fs::FileSource;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("a.js");
/// # std::fs::write(&path, "let a = 1;\n")?;
/// let text = FileSource::open(&path)?.range(4..5).into_readable().to_bytes().await?;
/// assert_eq!(text, "a");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct FileSource {
    file: Option<File>,
    path: PathBuf,
    chunk_size: usize,
    /// Bytes still to read when a range was given.
    remaining: Option<u64>,
    /// The size the file had when it was planned into a merge.
    expected_size: Option<u64>,
    read_so_far: u64,
    /// An error found before the first read (seeking to a range), reported
    /// by the first read like every other I/O error.
    deferred_error: Option<Error>,
}

impl FileSource {
    /// Opens `path` for reading.
    ///
    /// # Errors
    ///
    /// The operating system's error, naming the file.
    pub fn open(path: impl AsRef<Path>) -> Result<FileSource> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::io(e).reading(path))?;
        Ok(FileSource::from_file(file, path))
    }

    /// Reads an already open `file`; `path` names it in errors.
    pub fn from_file(file: File, path: impl Into<PathBuf>) -> FileSource {
        FileSource {
            file: Some(file),
            path: path.into(),
            chunk_size: DEFAULT_FILE_HIGH_WATER_MARK,
            remaining: None,
            expected_size: None,
            read_so_far: 0,
            deferred_error: None,
        }
    }

    /// Reads only the bytes in `range` (Node's `start`/`end`, end exclusive).
    pub fn range(mut self, range: Range<u64>) -> FileSource {
        if let Some(file) = self.file.as_mut() {
            match file.seek(SeekFrom::Start(range.start)) {
                Ok(_) => self.remaining = Some(range.end.saturating_sub(range.start)),
                Err(e) => self.deferred_error = Some(Error::io(e).reading(&self.path)),
            }
        }
        self
    }

    /// Reads up to `size` bytes per chunk (default 64 KiB).
    pub fn chunk_size(mut self, size: usize) -> FileSource {
        self.chunk_size = size.max(1);
        self
    }

    /// Fails with [`ErrorKind::InvalidData`] if the file turns out to hold
    /// more or fewer than `size` bytes: it changed while it was read.
    pub fn expect_size(mut self, size: u64) -> FileSource {
        self.expected_size = Some(size);
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This source as a readable whose highWaterMark is one chunk (64 KiB
    /// unless [`chunk_size`](FileSource::chunk_size) says otherwise), whose
    /// origin is the file: errors of a pipeline from it name the file.
    pub fn into_readable(self) -> Readable<Bytes> {
        let chunk_size = self.chunk_size;
        let path = self.path.clone();
        Readable::new(self)
            .with_high_water_mark(chunk_size)
            .with_origin(path)
    }

    fn changed_size(&self) -> Error {
        let expected = self.expected_size.unwrap_or(0);
        let read = self.read_so_far;
        let how = if read > expected { "grew" } else { "shrank" };
        Error::new(
            ErrorKind::InvalidData,
            format!("the file {how} while it was read (it had {expected} bytes, {read} were read)"),
        )
        .reading(&self.path)
    }

    /// Reads the next chunk; `None` at the end of the file or range.
    ///
    /// # Errors
    ///
    /// The operating system's error, or [`ErrorKind::InvalidData`] once the
    /// file is known to hold more or fewer bytes than expected.
    fn read_chunk(&mut self) -> Result<Option<Bytes>> {
        let Some(file) = self.file.as_mut() else {
            return Ok(None);
        };
        let mut want = match self.remaining {
            Some(remaining) => remaining.min(self.chunk_size as u64),
            None => self.chunk_size as u64,
        };
        if let Some(expected) = self.expected_size {
            // Past the expected size, one byte tells a grown file from a complete one.
            want = want.min(expected.saturating_sub(self.read_so_far).max(1));
        }
        if want == 0 {
            return Ok(None);
        }
        let mut chunk = Vec::with_capacity(want as usize);
        let n = file
            .take(want)
            .read_to_end(&mut chunk)
            .map_err(|e| Error::io(e).reading(&self.path))?;
        let end_of_whole_file = n == 0 && self.remaining.is_none();
        self.read_so_far += n as u64;
        if let Some(expected) = self.expected_size
            && (self.read_so_far > expected || (end_of_whole_file && self.read_so_far != expected))
        {
            return Err(self.changed_size());
        }
        if n == 0 {
            return Ok(None);
        }
        if let Some(remaining) = self.remaining.as_mut() {
            *remaining -= n as u64;
        }
        Ok(Some(Bytes::from(chunk)))
    }
}

impl ReadSource<Bytes> for FileSource {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        out: &mut Push<'_, Bytes>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        if let Some(error) = this.deferred_error.take() {
            return Poll::Ready(Err(error));
        }
        loop {
            match this.read_chunk()? {
                Some(chunk) => {
                    if !out.push(chunk) {
                        return Poll::Ready(Ok(()));
                    }
                }
                None => {
                    this.file = None;
                    out.end();
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }

    fn destroy(self: Pin<&mut Self>, _error: Option<&Error>) {
        self.get_mut().file = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ReadableExt;

    fn file_with(contents: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("input");
        std::fs::write(&path, contents).unwrap();
        (dir, path)
    }

    #[tokio::test(flavor = "current_thread")]
    async fn reads_the_whole_file_or_a_range_in_chunks() {
        let (_dir, path) = file_with(b"0123456789");
        let source = FileSource::open(&path).unwrap().chunk_size(3);
        let chunks = source.into_readable().collect_vec().await.unwrap();
        assert_eq!(chunks, ["012", "345", "678", "9"]);
        let source = FileSource::open(&path).unwrap().range(2..7).chunk_size(2);
        let chunks = source.into_readable().collect_vec().await.unwrap();
        assert_eq!(chunks, ["23", "45", "6"]);
        let source = FileSource::open(&path)
            .unwrap()
            .range(8..20)
            .expect_size(10);
        assert_eq!(source.into_readable().to_bytes().await.unwrap(), "89");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_expected_size_is_checked() {
        let (_dir, path) = file_with(b"0123456789");
        let source = FileSource::open(&path).unwrap().chunk_size(4);
        let read = source.expect_size(10).into_readable().to_bytes().await;
        assert_eq!(read.unwrap(), "0123456789");
        for (size, how) in [
            (0, "grew"),
            (4, "grew"),
            (9, "grew"),
            (11, "shrank"),
            (12, "shrank"),
        ] {
            let source = FileSource::open(&path).unwrap().chunk_size(4);
            let err = source
                .expect_size(size)
                .into_readable()
                .to_bytes()
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidData, "{size}");
            assert_eq!(
                format!("{err:#}"),
                format!(
                    "reading {}: the file {how} while it was read (it had {size} bytes, {} were read)",
                    path.display(),
                    if how == "grew" { size + 1 } else { 10 }
                )
            );
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_range_past_the_end_is_empty() {
        let (_dir, path) = file_with(b"0123");
        let source = FileSource::open(&path).unwrap().range(10..20);
        assert_eq!(source.into_readable().to_bytes().await.unwrap(), "");
    }
}
