//! Files whose other end may make smerge wait — FIFOs, terminals, devices —
//! opened and read so that waiting never holds up the runtime, and giving
//! up waiting (dropping the future, as a signal handler does) is
//! immediate.
//!
//! Opening a FIFO waits until the other end opens it, in the kernel, where
//! nothing can interrupt it but a signal. Such opens run on a thread of
//! their own that nobody waits for: when the future is dropped, the thread
//! is left to finish the open, and closes what it opened without reading
//! or writing a byte. A FIFO, once open, is read through the runtime's
//! reactor, with no thread blocked in a read.

use std::fs::File;
use std::path::Path;

use bytes::Bytes;
use rustix::fs::{FileType, Mode, OFlags};

use super::file_source::FileSource;
use super::open::open_at;
use crate::Readable;
use crate::quote;
use crate::{Error, ErrorKind, Result};

/// Runs `work` on a new thread, detached, and waits for its result.
/// Dropping the future leaves the thread to finish on its own; its result
/// is then dropped.
pub(crate) async fn on_own_thread<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("smerge-open".to_owned())
        .spawn(move || {
            let _ = sender.send(work());
        })
        .map_err(Error::io)?;
    receiver.await.unwrap_or_else(|_| {
        Err(Error::new(
            ErrorKind::Aborted,
            "the opening thread panicked",
        ))
    })
}

/// Opens `path` for reading, waiting (without holding up the runtime) for
/// a writer when it is a FIFO, and reads it the way its kind calls for: a
/// regular file with [`FileSource`], a FIFO through the runtime's reactor,
/// anything else (a terminal, a device) through tokio's file handle.
/// Returns the readable, named `reading PATH` for errors, and the size
/// when it is a regular file.
///
/// # Errors
///
/// When the file cannot be opened, naming it.
///
/// # Panics
///
/// Outside a tokio runtime.
///
/// # Examples
///
/// ```
/// use smerge::ReadableExt;
/// use smerge::fs::open_readable;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("a.txt");
/// std::fs::write(&path, "text")?;
/// let (readable, size) = open_readable(&path).await?;
/// assert_eq!(size, Some(4));
/// assert_eq!(readable.to_bytes().await?, "text");
/// # Ok(())
/// # }
/// ```
pub async fn open_readable(path: &Path) -> Result<(Readable<Bytes>, Option<u64>)> {
    let owned = path.to_path_buf();
    let file = on_own_thread(move || {
        let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY;
        open_at(
            rustix::fs::CWD,
            owned.as_os_str().as_encoded_bytes(),
            flags,
            Mode::empty(),
        )
        .map(File::from)
        .map_err(|e| Error::io(e).reading(&owned))
    })
    .await?;
    readable_of(file, path)
}

/// Reads an open `file` the way its kind calls for, as
/// [`open_readable`] does; `path` names it in errors.
///
/// # Errors
///
/// When the file cannot be inspected, naming it.
///
/// # Panics
///
/// Outside a tokio runtime, for a FIFO.
pub fn readable_of(file: File, path: &Path) -> Result<(Readable<Bytes>, Option<u64>)> {
    let reading = |e: std::io::Error| Error::io(e).reading(path);
    let stat = rustix::fs::fstat(&file).map_err(|e| reading(e.into()))?;
    let name = format!("reading {}", quote(path));
    Ok(match FileType::from_raw_mode(stat.st_mode) {
        FileType::RegularFile => (
            FileSource::from_file(file, path).into_readable(),
            Some(u64::try_from(stat.st_size).unwrap_or(0)),
        ),
        FileType::Fifo => {
            let receiver =
                tokio::net::unix::pipe::Receiver::from_file_unchecked(file).map_err(reading)?;
            (Readable::from_reader(receiver).named(name), None)
        }
        _ => (
            Readable::from_reader(tokio::fs::File::from_std(file)).named(name),
            None,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ReadableExt;
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    use std::time::Duration;

    #[tokio::test(flavor = "current_thread")]
    async fn a_fifo_without_writer_waits_and_can_be_given_up() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, Mode::from_raw_mode(0o600)).unwrap();
        let waiting = tokio::time::timeout(Duration::from_millis(100), open_readable(&fifo)).await;
        assert!(waiting.is_err(), "opened a FIFO without a writer");

        // The thread given up on waits in the open of the first FIFO until
        // a writer comes: let one come, and go.
        let first = fifo;
        drop(
            std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(OFlags::NONBLOCK.bits() as i32)
                .open(&first)
                .unwrap(),
        );
        // A FIFO of its own: the thread given up on still opens the first.
        let fifo = dir.path().join("fifo2");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, Mode::from_raw_mode(0o600)).unwrap();
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut file = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
                file.write_all(b"through the FIFO").unwrap();
            })
        };
        let (readable, size) = open_readable(&fifo).await.unwrap();
        assert_eq!(size, None);
        assert_eq!(readable.to_bytes().await.unwrap(), "through the FIFO");
        writer.join().unwrap();
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_missing_file_is_named() {
        let err = open_readable(Path::new("/nonexistent/x"))
            .await
            .unwrap_err();
        assert_eq!(err.path(), Some(Path::new("/nonexistent/x")));
    }
}
