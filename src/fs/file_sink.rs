//! File [`WriteSink`](crate::WriteSink)s: [`FileSink`] writes a file in place (truncating,
//! appending or creating it), [`AtomicFileSink`] writes a temporary file and
//! renames it over the target when the stream finishes.

use std::fs::{File, OpenOptions};
use std::io::{self, IoSlice, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;

use crate::Writable;
use crate::WriteQueue;
use crate::WriteSink;
use crate::fs::atomic::AtomicFile;
use crate::{Error, Result};

/// How many queued chunks one vectored write hands to the kernel.
const MAX_IO_SLICES: usize = 64;

/// Writes every queued chunk into `file` with vectored writes.
fn write_queue(file: &File, queue: &mut WriteQueue<Bytes>) -> io::Result<()> {
    let mut file = file;
    while !queue.is_empty() {
        let mut slices = [IoSlice::new(&[]); MAX_IO_SLICES];
        let filled = queue.io_slices(&mut slices);
        match file.write_vectored(&slices[..filled]) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
            Ok(n) => queue.advance(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// How [`FileSink::open`] opens its file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteMode {
    /// Create the file, or truncate it if it exists (`>`, Node's flag `w`).
    Truncate,
    /// Create the file, or append to it if it exists (`>>`, Node's flag `a`).
    Append,
    /// Create the file; fail if it exists (Node's flag `wx`).
    CreateNew,
}

/// A [`WriteSink`](crate::WriteSink) writing a file in place (Node's `fs.createWriteStream`).
///
/// Writes happen inside the poll with plain system calls, several queued
/// chunks per vectored write. Prefer [`AtomicFileSink`] for outputs a reader
/// must never see half-written.
///
/// # Examples
///
/// ```
/// use smerge::fs::{FileSink, WriteMode};
/// use smerge::{Readable, ReadableExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("log.txt");
/// let log = FileSink::open(&path, WriteMode::Append)?.into_writable();
/// Readable::from_iter([bytes::Bytes::from("started\n")]).pipe(log).await?;
/// assert_eq!(std::fs::read(&path)?, b"started\n");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct FileSink {
    file: File,
    path: PathBuf,
}

impl FileSink {
    /// Opens `path` for writing in `mode`.
    ///
    /// # Errors
    ///
    /// The operating system's error, naming the file.
    pub fn open(path: impl AsRef<Path>, mode: WriteMode) -> Result<FileSink> {
        let path = path.as_ref();
        let mut options = OpenOptions::new();
        match mode {
            WriteMode::Truncate => options.write(true).create(true).truncate(true),
            WriteMode::Append => options.append(true).create(true),
            WriteMode::CreateNew => options.write(true).create_new(true),
        };
        let file = options.open(path).map_err(|e| Error::io(e).writing(path))?;
        Ok(FileSink::from_file(file, path))
    }

    /// Writes into an already open `file`; `path` names it in errors.
    pub fn from_file(file: File, path: impl Into<PathBuf>) -> FileSink {
        FileSink {
            file,
            path: path.into(),
        }
    }

    /// This sink as a writable, with the default highWaterMark (64 KiB).
    pub fn into_writable(self) -> Writable<Bytes> {
        Writable::new(self)
    }
}

impl WriteSink<Bytes> for FileSink {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        queue: &mut WriteQueue<Bytes>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        Poll::Ready(write_queue(&this.file, queue).map_err(|e| Error::io(e).writing(&this.path)))
    }
}

/// A [`WriteSink`](crate::WriteSink) writing an [`AtomicFile`]: a temporary file beside the
/// target, renamed over it when the stream finishes, removed if the stream
/// is destroyed or dropped first. Readers of the target see the old file
/// or the complete new one, never a mix.
///
/// A target that is not a regular file (`/dev/null`, a FIFO) is written in
/// place; see [`AtomicFile`].
///
/// # Examples
///
/// ```
/// use smerge::fs::AtomicFileSink;
/// use smerge::{Readable, ReadableExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("bundle.js");
/// std::fs::write(&path, "old")?;
/// let failing = Readable::from_stream(tokio_stream::iter([
///     Ok(bytes::Bytes::from("half")),
///     Err(smerge::Error::new(smerge::ErrorKind::Io, "disk gone")),
/// ]));
/// let out = AtomicFileSink::create(&path)?.into_writable();
/// assert!(smerge::pipeline(failing).pipe(out).await.is_err());
/// assert_eq!(std::fs::read(&path)?, b"old"); // untouched
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct AtomicFileSink {
    /// `None` once committed or discarded.
    file: Option<AtomicFile>,
}

impl AtomicFileSink {
    /// Starts writing a replacement for `target`.
    ///
    /// # Errors
    ///
    /// When the temporary file cannot be created: a missing directory, no
    /// permission; the error names the target.
    pub fn create(target: impl AsRef<Path>) -> Result<AtomicFileSink> {
        Ok(AtomicFileSink::from_atomic(AtomicFile::create(target)?))
    }

    /// Writes into an [`AtomicFile`] made with options of your own.
    pub fn from_atomic(file: AtomicFile) -> AtomicFileSink {
        AtomicFileSink { file: Some(file) }
    }

    /// The atomic file, until the stream finished or was destroyed.
    pub fn atomic_file(&self) -> Option<&AtomicFile> {
        self.file.as_ref()
    }

    /// This sink as a writable, with the default highWaterMark (64 KiB).
    pub fn into_writable(self) -> Writable<Bytes> {
        Writable::new(self)
    }
}

impl WriteSink<Bytes> for AtomicFileSink {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        queue: &mut WriteQueue<Bytes>,
    ) -> Poll<Result<()>> {
        let file = self
            .get_mut()
            .file
            .as_ref()
            .expect("written only before the final hook");
        Poll::Ready(
            write_queue(file.file(), queue).map_err(|e| Error::io(e).writing(file.target())),
        )
    }

    fn poll_final(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        let file = self
            .get_mut()
            .file
            .take()
            .expect("the final hook runs once");
        Poll::Ready(file.commit())
    }

    fn destroy(self: Pin<&mut Self>, _error: Option<&Error>) {
        if let Some(file) = self.get_mut().file.take() {
            // Nothing more can be done about a temporary file that cannot be
            // removed; the next run into this directory cleans it up.
            let _ = file.discard();
        }
    }
}
