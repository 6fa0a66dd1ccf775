//! Where output goes: a path written atomically (or appended to), or
//! standard output.

use std::fs::File;
use std::io::Write;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use anyhow::Context;
use bytes::Bytes;
use rustix::fs::FileType;
use smerge::fs::{AtomicFile, AtomicFileSink, FileSink, WriteMode, cleanup_stale};
use smerge::transforms::{Codec, Compress};
use smerge::{TransformSink, Writable};

/// An OUTPUT argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Destination {
    /// `-`.
    Stdout,
    /// A path.
    Path(PathBuf),
}

impl Destination {
    pub(crate) fn new(arg: &Path) -> Destination {
        if arg == Path::new("-") {
            Destination::Stdout
        } else {
            Destination::Path(arg.to_path_buf())
        }
    }

    /// A path naming the output file, to keep a merge from reading it:
    /// for standard output, whatever file it was redirected to.
    pub(crate) fn identity_path(&self) -> PathBuf {
        match self {
            Destination::Stdout => PathBuf::from("/dev/stdout"),
            Destination::Path(path) => path.clone(),
        }
    }

    /// Opens the output: an atomic replacement for a path (or an append,
    /// which is not atomic), or standard output; with `fsync`, flushed to
    /// disk before the stream finishes. Waiting for the reader of a FIFO
    /// can be given up by dropping the future.
    pub(crate) async fn open(&self, append: bool, fsync: bool) -> anyhow::Result<Writable<Bytes>> {
        match self {
            Destination::Stdout => open_stdout(fsync),
            Destination::Path(path) if append => {
                let sink = FileSink::open(path, WriteMode::Append)?.sync_on_finish(fsync);
                Ok(sink.into_writable())
            }
            Destination::Path(path) => {
                let file = create_atomic(path, fsync).await?;
                Ok(AtomicFileSink::from_atomic(file).into_writable())
            }
        }
    }
}

/// An [`AtomicFile`] for `path` (flushed to disk on commit with `fsync`),
/// after removing the temporary files that runs killed before they could
/// clean up left in its directory. Opening a FIFO waits for its reader on
/// a thread of its own, so a signal ends the wait at once.
pub(crate) async fn create_atomic(path: &Path, fsync: bool) -> anyhow::Result<AtomicFile> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    // A failure here is not ours to report.
    let _ = cleanup_stale(dir);
    Ok(AtomicFile::options()
        .sync(fsync)
        .create_waiting(path)
        .await?)
}

/// With `fsync`, flushes standard output to disk when it is a regular file
/// (`> out`): what a plain merge wrote there with the kernel's copies.
pub(crate) fn sync_stdout(fsync: bool) -> anyhow::Result<()> {
    if fsync && stdout_type()?.is_file() {
        stdout_file()?
            .sync_all()
            .context("flushing standard output")?;
    }
    Ok(())
}

/// What standard output is: a regular file (`> out`), a pipe, a terminal...
pub(crate) fn stdout_type() -> anyhow::Result<FileType> {
    let stat = rustix::fs::fstat(std::io::stdout()).context("inspecting standard output")?;
    Ok(FileType::from_raw_mode(stat.st_mode))
}

/// Standard output as a file of its own, to write with plain system calls.
pub(crate) fn stdout_file() -> anyhow::Result<File> {
    let fd = std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .context("duplicating standard output")?;
    Ok(File::from(fd))
}

/// Standard output: written with plain system calls when it is a regular
/// file (`> out`), through tokio's blocking-pool handle otherwise (a pipe or
/// a terminal may block, and must not hold up the runtime's thread).
fn open_stdout(fsync: bool) -> anyhow::Result<Writable<Bytes>> {
    if stdout_type()?.is_file() {
        let sink = FileSink::from_file(stdout_file()?, "standard output").sync_on_finish(fsync);
        return Ok(sink.into_writable());
    }
    Ok(Writable::from_writer(tokio::io::stdout()).named("writing standard output"))
}

/// True when `error` is a write into a pipe whose reader went away.
pub(crate) fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<smerge::Error>())
        .any(smerge::Error::is_broken_pipe)
}

/// `output` behind a compressor.
pub(crate) fn compressing(
    output: Writable<Bytes>,
    codec: Codec,
    level: u32,
) -> anyhow::Result<Writable<Bytes>> {
    let compress = Compress::with_level(codec, level)?;
    Ok(Writable::new(TransformSink::new(compress, output)))
}

/// Writes `text` to standard output; a reader that went away (`| head`) is
/// not an error.
pub(crate) fn print_stdout(text: &[u8]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(error).context("writing standard output"))
        }
        _ => Ok(()),
    }
}
