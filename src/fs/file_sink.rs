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

/// Writes queued chunks into the FIFO `sender` until the queue is empty
/// or the FIFO is full.
fn poll_write_fifo(
    sender: &mut tokio::net::unix::pipe::Sender,
    cx: &mut Context<'_>,
    queue: &mut WriteQueue<Bytes>,
) -> Poll<io::Result<()>> {
    use tokio::io::AsyncWrite;
    while !queue.is_empty() {
        let mut slices = [IoSlice::new(&[]); MAX_IO_SLICES];
        let filled = queue.io_slices(&mut slices);
        match Pin::new(&mut *sender).poll_write_vectored(cx, &slices[..filled]) {
            Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
            Poll::Ready(Ok(n)) => queue.advance(n),
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        }
    }
    Poll::Ready(Ok(()))
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
    sync: bool,
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
            sync: false,
        }
    }

    /// Whether finishing the stream flushes the file to disk with `fsync`
    /// (default: no, as `cat` does not). A file that cannot be flushed (a
    /// pipe, a terminal) is not an error.
    pub fn sync_on_finish(mut self, sync: bool) -> FileSink {
        self.sync = sync;
        self
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

    fn poll_final(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        if !this.sync {
            return Poll::Ready(Ok(()));
        }
        Poll::Ready(match this.file.sync_all() {
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) => Ok(()),
            synced => synced.map_err(|e| Error::io(e).writing(&this.path)),
        })
    }
}

/// A [`WriteSink`](crate::WriteSink) writing an [`AtomicFile`]: a temporary file beside the
/// target, renamed over it when the stream finishes, removed if the stream
/// is destroyed or dropped first. Readers of the target see the old file
/// or the complete new one, never a mix.
///
/// A target that is not a regular file (`/dev/null`, a FIFO) is written in
/// place; see [`AtomicFile`]. A FIFO is written through the runtime's
/// reactor: a reader that stops reading makes the stream wait without
/// holding up a thread, so it can still be destroyed (by a signal handler
/// dropping it) at once.
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
    /// For a FIFO written in place: its writing end, registered with the
    /// runtime at the first write.
    fifo: Fifo,
}

/// Whether an [`AtomicFileSink`] writes a FIFO, and how.
#[derive(Debug)]
enum Fifo {
    No,
    NotYetRegistered,
    Registered(tokio::net::unix::pipe::Sender),
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
        let is_fifo = file.is_in_place()
            && rustix::fs::fstat(file.file()).is_ok_and(|stat| {
                rustix::fs::FileType::from_raw_mode(stat.st_mode) == rustix::fs::FileType::Fifo
            });
        AtomicFileSink {
            file: Some(file),
            fifo: if is_fifo {
                Fifo::NotYetRegistered
            } else {
                Fifo::No
            },
        }
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
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<Bytes>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        let file = this
            .file
            .as_ref()
            .expect("written only before the final hook");
        let writing = |e: io::Error| Error::io(e).writing(file.target());
        if let Fifo::NotYetRegistered = this.fifo {
            let sender = file
                .file()
                .try_clone()
                .and_then(tokio::net::unix::pipe::Sender::from_file_unchecked)
                .map_err(writing)?;
            this.fifo = Fifo::Registered(sender);
        }
        match &mut this.fifo {
            Fifo::Registered(sender) => poll_write_fifo(sender, cx, queue).map_err(writing),
            _ => Poll::Ready(write_queue(file.file(), queue).map_err(writing)),
        }
    }

    fn poll_final(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        let file = self
            .get_mut()
            .file
            .take()
            .expect("the final hook runs once");
        Poll::Ready(file.commit())
    }

    /// A FIFO is written through the runtime's reactor: only inside a
    /// runtime.
    fn starts_at_once(&self) -> bool {
        matches!(self.fifo, Fifo::No) || tokio::runtime::Handle::try_current().is_ok()
    }

    fn destroy(self: Pin<&mut Self>, _error: Option<&Error>) {
        if let Some(file) = self.get_mut().file.take() {
            // Nothing more can be done about a temporary file that cannot be
            // removed; the next run into this directory cleans it up.
            let _ = file.discard();
        }
    }
}
