//! [`Output`]: where a [`Merge`](crate::merge::Merge) writes, and how each
//! kind of output is inspected, opened and (for `keep_going`) cut back.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

use crate::fs::{AtomicFile, AtomicFileSink, FileSink, Listing, cleanup_stale, on_own_thread};
use crate::merge::fast::PlainOutput;
use crate::merge::{MergeCallback, MergePath, MergeReport};
use crate::{Error, Result, Writable};

/// Where a [`Merge`](crate::merge::Merge) writes.
///
/// # Examples
///
/// ```
/// use smerge::merge::Output;
///
/// assert!(matches!(Output::path("-"), Output::Stdout));
/// assert!(matches!(Output::path("out.js"), Output::Atomic(_)));
/// assert_eq!(Output::path("logs/all.log.gz").name(), std::path::Path::new("logs/all.log.gz"));
/// ```
#[non_exhaustive]
pub enum Output {
    /// A file replaced atomically: written beside its target and renamed
    /// over it only when the merge succeeded ([`AtomicFile`]). A target
    /// that is not a regular file (`/dev/null`, a FIFO) is written in place;
    /// waiting for a FIFO's reader holds up no thread of the runtime.
    Atomic(PathBuf),
    /// A file written in place from its start, truncated first, as
    /// `cat > FILE` does: not atomic, a failure leaves part of the output.
    Truncate(PathBuf),
    /// A file appended to, as `cat >> FILE` does: not atomic.
    Append(PathBuf),
    /// The process's standard output. It is inspected when the merge
    /// starts: a regular file (`> out`) or a blocking pipe takes the
    /// kernel's copy; a terminal or a non-blocking pipe the stream path.
    Stdout,
    /// Any writable: the merge writes into it and closes it.
    Writable {
        /// The writable (boxed: a stream's state is large beside a path).
        writable: Box<Writable<Bytes>>,
        /// How messages and the manifest name it. Its extension picks the
        /// codec, as a file's does.
        name: PathBuf,
    },
    /// An output of another kind (object storage), see [`OutputBackend`].
    Backend(Box<dyn OutputBackend>),
}

/// An output that is neither a local file nor standard output: object
/// storage, a remote file system. A backend says what it is called and
/// opens a writable; it may also take over a whole plain merge, when it can
/// do it better than copying bytes (a server-side compose of objects).
pub trait OutputBackend: fmt::Debug + Send {
    /// How messages and the manifest name the output (`s3://bucket/all.log`);
    /// its extension picks the codec, as a file's does.
    fn name(&self) -> PathBuf;

    /// A path naming the same file as this output on the local file
    /// system, so that a merge never reads its own output; `None` (the
    /// default) when the output is not a local file.
    fn local_path(&self) -> Option<PathBuf> {
        None
    }

    /// Opens the output for the stream path. The output is complete and
    /// visible only once the writable finished (closed without error);
    /// dropped or destroyed before that, the backend leaves the old output
    /// as it was.
    ///
    /// # Errors
    ///
    /// When it cannot be opened, naming it.
    fn open(self: Box<Self>) -> Result<Writable<Bytes>>;

    /// Offers the backend a plain merge (nothing changes the bytes, every
    /// input whole): it may take it, returning the path it will take (a
    /// variant of its own) and the future that does it, or return `None` to
    /// let the merge stream the bytes into [`open`](OutputBackend::open).
    /// Declining is the default. The future runs only if the merge does
    /// (not for a dry run). With `record_parts` (a manifest), a backend
    /// that takes the merge emits a [`MergeEvent::Part`] for every part of
    /// the output, in order, before the output is complete.
    ///
    /// [`MergeEvent::Part`]: crate::merge::MergeEvent::Part
    fn merge_plain(
        &mut self,
        listing: &Arc<Listing>,
        on_event: Option<MergeCallback>,
        record_parts: bool,
    ) -> Option<(MergePath, PlainMergeFuture)> {
        let _ = (listing, on_event, record_parts);
        None
    }
}

/// What [`OutputBackend::merge_plain`] returns: a merge it runs itself.
pub type PlainMergeFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<MergeReport>> + Send>>;

impl Output {
    /// `-` is standard output; any other path is replaced atomically.
    pub fn path(path: impl Into<PathBuf>) -> Output {
        let path = path.into();
        if path.as_os_str() == "-" {
            Output::Stdout
        } else {
            Output::Atomic(path)
        }
    }

    /// The output as the manifest names it: its path, `-` for standard
    /// output, the name of a writable or backend.
    pub fn name(&self) -> PathBuf {
        match self {
            Output::Atomic(path) | Output::Truncate(path) | Output::Append(path) => path.clone(),
            Output::Stdout => PathBuf::from("-"),
            Output::Writable { name, .. } => name.clone(),
            Output::Backend(backend) => backend.name(),
        }
    }

    /// The output as messages name it (`standard output` for `-`).
    pub(crate) fn display_name(&self) -> String {
        match self {
            Output::Stdout => "standard output".to_owned(),
            other => crate::quote(&other.name()).to_string(),
        }
    }

    /// The name whose extension picks the codec: none for standard output.
    pub(crate) fn codec_name(&self) -> Option<PathBuf> {
        match self {
            Output::Stdout => None,
            other => Some(other.name()),
        }
    }

    /// A path naming the output file on this machine, so that a merge never
    /// reads it: for standard output, whatever file it was redirected to.
    pub(crate) fn local_path(&self) -> Option<PathBuf> {
        match self {
            Output::Atomic(path) | Output::Truncate(path) | Output::Append(path) => {
                Some(path.clone())
            }
            Output::Stdout => Some(PathBuf::from("/dev/stdout")),
            Output::Writable { .. } => None,
            Output::Backend(backend) => backend.local_path(),
        }
    }

    /// Whether the kernel's copy can write this output: a regular file
    /// (or one that does not exist yet) replaced or truncated, or standard
    /// output when it is a regular file or a blocking pipe.
    pub(crate) fn takes_plain(&self) -> Result<bool> {
        Ok(match self {
            Output::Atomic(path) | Output::Truncate(path) => {
                !std::fs::metadata(path).is_ok_and(|meta| !meta.is_file())
            }
            Output::Stdout => {
                let kind = stdout_type()?;
                let file_or_pipe = matches!(
                    kind,
                    rustix::fs::FileType::RegularFile | rustix::fs::FileType::Fifo
                );
                let blocking = rustix::fs::fcntl_getfl(std::io::stdout())
                    .is_ok_and(|flags| !flags.contains(rustix::fs::OFlags::NONBLOCK));
                file_or_pipe && blocking
            }
            Output::Append(_) | Output::Writable { .. } | Output::Backend(_) => false,
        })
    }

    /// Opens the output for the kernel's copy; `takes_plain` said yes.
    /// With `sync`, an atomic file is flushed to disk when it is committed
    /// (an open file is flushed by [`sync_plain`]).
    pub(crate) async fn open_plain(self, sync: bool) -> Result<PlainOutput> {
        match self {
            Output::Atomic(path) => Ok(PlainOutput::Atomic(create_atomic(&path, sync).await?)),
            Output::Truncate(path) => {
                let mut options = OpenOptions::new();
                options.write(true).create(true).truncate(true);
                let file = open_waiting(path.clone(), options).await?;
                Ok(PlainOutput::Open { file, name: path })
            }
            Output::Stdout => Ok(PlainOutput::Open {
                file: stdout_file()?,
                name: PathBuf::from("standard output"),
            }),
            _ => unreachable!("only file outputs take the kernel's copy"),
        }
    }

    /// Opens the output as a writable, to write it yourself: what the
    /// stream path of a merge writes into (and `smerge pipe` too). An
    /// atomic file appears complete once the writable finished; standard
    /// output is written with plain system calls when it is a regular file,
    /// through tokio's blocking pool otherwise (a pipe or a terminal may
    /// block). Opening a FIFO waits for its reader without holding up the
    /// runtime: dropping the future gives up at once.
    ///
    /// # Errors
    ///
    /// When it cannot be opened, naming it.
    ///
    /// # Examples
    ///
    /// ```
    /// use smerge::{Readable, ReadableExt, merge::Output};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> smerge::Result<()> {
    /// # let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("out.txt");
    /// let out = Output::path(&path).open().await?;
    /// Readable::from_iter([bytes::Bytes::from("hi")]).pipe(out).await?;
    /// assert_eq!(std::fs::read(&path)?, b"hi");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn open(self) -> Result<Writable<Bytes>> {
        Ok(self.open_stream(false).await?.0)
    }

    /// [`open`](Output::open), with the output flushed to disk before the
    /// writable finishes: `fsync` of the file, then of its directory when
    /// it was renamed into place (as [`AtomicOptions::sync`] does).
    ///
    /// [`AtomicOptions::sync`]: crate::fs::AtomicOptions::sync
    ///
    /// # Errors
    ///
    /// As for [`open`](Output::open).
    pub async fn open_synced(self) -> Result<Writable<Bytes>> {
        Ok(self.open_stream(true).await?.0)
    }

    /// Opens the output for the stream path, and the means to cut it back
    /// when it is a regular file; with `sync`, flushed to disk when the
    /// writable finishes.
    pub(crate) async fn open_stream(self, sync: bool) -> Result<(Writable<Bytes>, Option<Rewind>)> {
        match self {
            Output::Atomic(path) => {
                let file = create_atomic(&path, sync).await?;
                let rewind = if file.is_in_place() {
                    None
                } else {
                    Rewind::of(file.file(), &path)
                };
                Ok((AtomicFileSink::from_atomic(file).into_writable(), rewind))
            }
            Output::Truncate(path) => {
                let mut options = OpenOptions::new();
                options.write(true).create(true).truncate(true);
                let file = open_waiting(path.clone(), options).await?;
                let rewind = Rewind::of(&file, &path);
                let sink = FileSink::from_file(file, path).sync_on_finish(sync);
                Ok((sink.into_writable(), rewind))
            }
            Output::Append(path) => {
                let mut options = OpenOptions::new();
                options.append(true).create(true);
                let file = open_waiting(path.clone(), options).await?;
                let rewind = Rewind::of(&file, &path);
                let sink = FileSink::from_file(file, path).sync_on_finish(sync);
                Ok((sink.into_writable(), rewind))
            }
            Output::Stdout => {
                if stdout_type()?.is_file() {
                    let file = stdout_file()?;
                    let rewind = Rewind::of(&file, Path::new("standard output"));
                    let sink = FileSink::from_file(file, "standard output").sync_on_finish(sync);
                    return Ok((sink.into_writable(), rewind));
                }
                // A pipe or a terminal may block: written through tokio's
                // blocking pool, not on the runtime's threads.
                let writable =
                    Writable::from_writer(tokio::io::stdout()).named("writing standard output");
                Ok((writable, None))
            }
            Output::Writable { writable, .. } => Ok((*writable, None)),
            Output::Backend(backend) => Ok((backend.open()?, None)),
        }
    }

    /// Offers a backend the plain merge.
    pub(crate) fn backend_merge_plain(
        &mut self,
        listing: &Arc<Listing>,
        on_event: Option<MergeCallback>,
        record_parts: bool,
    ) -> Option<(MergePath, PlainMergeFuture)> {
        match self {
            Output::Backend(backend) => backend.merge_plain(listing, on_event, record_parts),
            _ => None,
        }
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::Atomic(path) => f.debug_tuple("Atomic").field(path).finish(),
            Output::Truncate(path) => f.debug_tuple("Truncate").field(path).finish(),
            Output::Append(path) => f.debug_tuple("Append").field(path).finish(),
            Output::Stdout => f.write_str("Stdout"),
            Output::Writable { name, .. } => f
                .debug_struct("Writable")
                .field("name", name)
                .finish_non_exhaustive(),
            Output::Backend(backend) => f.debug_tuple("Backend").field(backend).finish(),
        }
    }
}

/// A regular output file's position when the merge started, to cut the
/// output back to a given length of merged bytes (an input that failed
/// halfway under `keep_going`).
#[derive(Debug)]
pub(crate) struct Rewind {
    /// A duplicate of the output's descriptor (sharing its position).
    file: File,
    name: PathBuf,
    base: u64,
}

impl Rewind {
    /// For `file` when it is a regular file whose position can be read.
    fn of(file: &File, name: &Path) -> Option<Rewind> {
        let metadata = file.metadata().ok()?;
        if !metadata.is_file() {
            return None;
        }
        let mut file = file.try_clone().ok()?;
        // Writes to a file opened for appending (`>>`) go to its end,
        // whatever its position says until the first of them.
        let appends = rustix::fs::fcntl_getfl(&file)
            .is_ok_and(|flags| flags.contains(rustix::fs::OFlags::APPEND));
        let base = if appends {
            file.seek(SeekFrom::End(0)).ok()?
        } else {
            file.stream_position().ok()?
        };
        Some(Rewind {
            file,
            name: name.to_path_buf(),
            base,
        })
    }

    /// Cuts the output back to `length` merged bytes. Every queued byte
    /// must have been written first.
    pub(crate) fn cut(&mut self, length: u64) -> Result<()> {
        let end = self.base + length;
        self.file
            .set_len(end)
            .and_then(|()| self.file.seek(SeekFrom::Start(end)).map(drop))
            .map_err(|e| Error::io(e).writing(&self.name))
    }
}

/// An [`AtomicFile`] for `path` (flushed to disk on commit with `sync`),
/// after removing the temporary files that runs killed before they could
/// clean up left in its directory. A FIFO is waited for on a thread of its
/// own.
pub(crate) async fn create_atomic(path: &Path, sync: bool) -> Result<AtomicFile> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    // A failure here is not this merge's to report.
    let _ = cleanup_stale(dir);
    AtomicFile::options().sync(sync).create_waiting(path).await
}

/// Opens `path` with `options` on a thread of its own: a FIFO waits for
/// its reader there.
async fn open_waiting(path: PathBuf, options: OpenOptions) -> Result<File> {
    on_own_thread(move || options.open(&path).map_err(|e| Error::io(e).writing(&path))).await
}

/// With `sync`, flushes an open output the kernel's copy wrote (a file
/// truncated, or standard output redirected to a file); a pipe cannot be
/// flushed and is not an error.
pub(crate) fn sync_plain(file: &File, name: &Path, sync: bool) -> Result<()> {
    if !sync {
        return Ok(());
    }
    match file.sync_all() {
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) => Ok(()),
        synced => synced.map_err(|e| Error::io(e).writing(name)),
    }
}

/// What standard output is: a regular file (`> out`), a pipe, a terminal...
pub(crate) fn stdout_type() -> Result<rustix::fs::FileType> {
    let stat = rustix::fs::fstat(std::io::stdout())
        .map_err(|e| Error::io(e.into()).context("inspecting standard output"))?;
    Ok(rustix::fs::FileType::from_raw_mode(stat.st_mode))
}

/// Standard output as a file of its own, to write with plain system calls.
fn stdout_file() -> Result<File> {
    let fd = std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|e| Error::io(e).context("duplicating standard output"))?;
    Ok(File::from(fd))
}
