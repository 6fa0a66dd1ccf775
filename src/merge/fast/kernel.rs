//! The kernel's copies: each input in turn, appended to an output at its
//! current position, with the copy the kernel offers for that output —
//! `copy_file_range` into a regular file, `splice` into a pipe — and `read`
//! and `write` where it offers none; and, for the parallel copier, the
//! pieces of a window written at their offsets with `copy_file_range`.
//!
//! Spliced into a pipe, an input's pages are shared with the pipe until the
//! reader takes them: a program that rewrites an input in place in that
//! moment changes what the reader gets. Inputs that change while smerge
//! reads them are a failed merge anyway; inputs changed after it finished
//! are not noticed, as with `sendfile` in servers.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;

use rustix::io::Errno;

use super::input;
use super::job::Job;
use crate::error::{Error, Result};
use crate::fs::Entry;

/// The most one kernel copy is asked to move, so that a stopped merge
/// notices within a few milliseconds.
const CHUNK: usize = 8 << 20;

/// The buffer of the `read`/`write` copy: where the cost of a system call
/// stops mattering (as for the buffered merge).
const BUFFER: usize = 128 << 10;

/// How bytes go from an input to the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    /// `copy_file_range`: the output is a regular file.
    #[cfg(target_os = "linux")]
    CopyFileRange,
    /// `splice`: the output is a pipe.
    #[cfg(target_os = "linux")]
    Splice,
    /// Through a buffer: anything else, and whenever the others fail.
    ReadWrite,
}

/// Copies every input, in order, into `out` at its current position;
/// `name` names the output in errors. `out` must be in blocking mode.
///
/// # Errors
///
/// An input that cannot be read or changed size (naming it), the output
/// failing (naming it), or [`ErrorKind::Aborted`](crate::ErrorKind) when
/// the job was stopped.
pub(super) fn copy(job: &Job<'_>, out: &File, name: &Path) -> Result<()> {
    let mut copier = Copier::new(out, name);
    for (index, entry) in job.entries.iter().enumerate() {
        job.check()?;
        job.started(index);
        let range = job.plan.range(index);
        let size = range.end - range.start;
        let file = input::open(entry, size)?;
        let mut offset = 0;
        while offset < size {
            job.check()?;
            let want = (size - offset).min(CHUNK as u64) as usize;
            let copied = copier.copy(&file, entry, &mut offset, want, None)?;
            job.copied(copied as u64);
        }
        input::check_ends_at(&file, entry, size)?;
    }
    Ok(())
}

/// Copies the pieces of window `window` to their offsets in the output of
/// `copier`, a regular file.
///
/// # Errors
///
/// As for [`copy`].
pub(super) fn write_window(job: &Job<'_>, copier: &mut Copier<'_>, window: u64) -> Result<()> {
    for piece in job.plan.pieces(window) {
        let entry = &job.entries[piece.index];
        if piece.source.start == 0 {
            job.started(piece.index);
        }
        let file = input::open(entry, piece.source.end - piece.source.start)?;
        let mut offset = piece.source.start;
        let mut output = piece.output;
        while offset < piece.source.end {
            let want = (piece.source.end - offset).min(CHUNK as u64) as usize;
            copier.copy(&file, entry, &mut offset, want, Some(&mut output))?;
        }
        if piece.ends_input {
            input::check_ends_at(&file, entry, offset)?;
        }
        job.copied(piece.source.end - piece.source.start);
    }
    Ok(())
}

/// The kernel copy that suits `out`.
fn preferred_method(out: &File) -> Method {
    #[cfg(target_os = "linux")]
    if let Ok(stat) = rustix::fs::fstat(out) {
        match rustix::fs::FileType::from_raw_mode(stat.st_mode) {
            rustix::fs::FileType::RegularFile => return Method::CopyFileRange,
            rustix::fs::FileType::Fifo => return Method::Splice,
            _ => {}
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = out;
    Method::ReadWrite
}

/// Moves bytes into one output, falling back to `read` and `write` for
/// good when the kernel copy fails.
pub(super) struct Copier<'a> {
    method: Method,
    /// Allocated on the first `read`/`write` copy.
    buffer: Vec<u8>,
    out: &'a File,
    name: &'a Path,
}

impl<'a> Copier<'a> {
    /// A copier into `out`, which `name` names in errors.
    pub(super) fn new(out: &'a File, name: &'a Path) -> Copier<'a> {
        Copier {
            method: preferred_method(out),
            buffer: Vec::new(),
            out,
            name,
        }
    }

    /// Copies up to `want` (at least 1) bytes of `entry`'s `file` from
    /// `*offset` into the output, at `*output` or else at its current
    /// position, and advances both offsets; returns how many.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidData`](crate::ErrorKind) when the file ends
    /// before `*offset`, or the error of a side, naming it.
    fn copy(
        &mut self,
        file: &File,
        entry: &Entry,
        offset: &mut u64,
        want: usize,
        mut output: Option<&mut u64>,
    ) -> Result<usize> {
        #[cfg(target_os = "linux")]
        loop {
            let copied = match self.method {
                Method::CopyFileRange => rustix::fs::copy_file_range(
                    file,
                    Some(&mut *offset),
                    self.out,
                    output.as_deref_mut(),
                    want,
                ),
                Method::Splice if output.is_none() => rustix::pipe::splice(
                    file,
                    Some(&mut *offset),
                    self.out,
                    None,
                    want,
                    rustix::pipe::SpliceFlags::empty(),
                ),
                Method::Splice | Method::ReadWrite => break,
            };
            match copied {
                Ok(n) if n > 0 => return Ok(n),
                // Some file systems (procfs) copy nothing in the kernel:
                // reading tells the end of a file from that.
                Ok(_) => break,
                Err(Errno::INTR) => {}
                // Unsupported here (another file system, an output opened
                // for appending) or failing: `read` and `write` either work
                // or fail again, saying which side failed.
                Err(_) => self.method = Method::ReadWrite,
            }
        }
        self.read_write(file, entry, offset, want, output)
    }

    fn read_write(
        &mut self,
        file: &File,
        entry: &Entry,
        offset: &mut u64,
        want: usize,
        output: Option<&mut u64>,
    ) -> Result<usize> {
        if self.buffer.is_empty() {
            self.buffer = vec![0; BUFFER];
        }
        let buffer = &mut self.buffer[..want.min(BUFFER)];
        let read = loop {
            match rustix::io::pread(file, &mut *buffer, *offset) {
                Ok(0) => return Err(input::changed_size(entry, *offset)),
                Ok(n) => break n,
                Err(Errno::INTR) => {}
                Err(e) => return Err(Error::io(e.into()).reading(entry.path())),
            }
        };
        let written = match output {
            Some(output) => {
                let written = self.out.write_all_at(&buffer[..read], *output);
                *output += read as u64;
                written
            }
            None => {
                let mut out = self.out;
                out.write_all(&buffer[..read])
            }
        };
        written.map_err(|e| Error::io(e).writing(self.name))?;
        *offset += read as u64;
        Ok(read)
    }
}
