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
use smerge::object::ObjectUrl;
use smerge::transforms::{Codec, Compress};
use smerge::{TransformSink, Writable};

/// An OUTPUT argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Destination {
    /// `-`.
    Stdout,
    /// A path.
    Path(PathBuf),
    /// An object (`s3://BUCKET/KEY`).
    Object(ObjectUrl),
}

impl Destination {
    pub(crate) fn new(arg: &Path) -> anyhow::Result<Destination> {
        if arg == Path::new("-") {
            Ok(Destination::Stdout)
        } else if let Some(url) = ObjectUrl::from_path(arg)? {
            Ok(Destination::Object(url))
        } else {
            Ok(Destination::Path(arg.to_path_buf()))
        }
    }

    /// A path naming the output file, to keep a merge from reading it:
    /// for standard output, whatever file it was redirected to.
    pub(crate) fn identity_path(&self) -> PathBuf {
        match self {
            Destination::Stdout => PathBuf::from("/dev/stdout"),
            Destination::Path(path) => path.clone(),
            Destination::Object(url) => PathBuf::from(url.to_string()),
        }
    }

    /// Opens the output: an atomic replacement for a path (or an append,
    /// which is not atomic) or an object, or standard output; `expected`
    /// is about how many bytes will be written, if known.
    pub(crate) fn open(
        &self,
        append: bool,
        expected: Option<u64>,
    ) -> anyhow::Result<Writable<Bytes>> {
        match self {
            Destination::Stdout => open_stdout(),
            Destination::Object(url) if append => {
                anyhow::bail!("{url}: --append does not apply to objects")
            }
            Destination::Object(url) => crate::object::open_output(url, expected),
            Destination::Path(path) if append => {
                Ok(FileSink::open(path, WriteMode::Append)?.into_writable())
            }
            Destination::Path(path) => {
                let file = create_atomic(path)?;
                Ok(AtomicFileSink::from_atomic(file).into_writable())
            }
        }
    }
}

/// An [`AtomicFile`] for `path`, after removing the temporary files that
/// runs killed before they could clean up left in its directory.
pub(crate) fn create_atomic(path: &Path) -> anyhow::Result<AtomicFile> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    // A failure here is not ours to report.
    let _ = cleanup_stale(dir);
    Ok(AtomicFile::create(path)?)
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
fn open_stdout() -> anyhow::Result<Writable<Bytes>> {
    if stdout_type()?.is_file() {
        let sink = FileSink::from_file(stdout_file()?, "standard output");
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
