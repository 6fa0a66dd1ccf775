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
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::Path;

use rustix::io::Errno;

use super::input;
use super::job::{Job, Tally};
use crate::fs::Entry;
use crate::{Error, Result};

/// The most one kernel copy is asked to move, so that a stopped merge
/// notices within a few milliseconds.
const CHUNK: usize = 8 << 20;

/// The buffer of the `read`/`write` copy: where the cost of a system call
/// stops mattering (as for the buffered merge).
const BUFFER: usize = 128 << 10;

/// Pieces of input smaller than this are read into a buffer and written
/// together with their neighbours: a kernel copy costs more to set up
/// than copying a few KiB twice, and one write for many small files saves
/// a system call per file.
const GATHERED_PIECE_MAX: u64 = 64 << 10;

/// How many bytes of small pieces are written at once.
const GATHERED_MAX: usize = 1 << 20;

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
/// After a failure, what was read before it has been written, as `cat`
/// would have.
///
/// # Errors
///
/// An input that cannot be read or changed size (naming it), the output
/// failing (naming it), or [`ErrorKind::Aborted`](crate::ErrorKind) when
/// the job was stopped.
pub(super) fn copy(job: &Job<'_>, out: &File, name: &Path) -> Result<()> {
    let mut copier = Copier::new(out, name);
    let mut tally = job.tally();
    let copied = (0..job.plan.len()).try_for_each(|index| {
        job.check()?;
        let range = job.plan.range(index);
        let source = 0..range.end - range.start;
        copy_piece(job, &mut copier, &mut tally, index, source, None, true)
    });
    let flushed = copier.flush();
    copied.and(flushed)
}

/// Copies the pieces of window `window` to their offsets in the output of
/// `copier`, a regular file.
///
/// # Errors
///
/// As for [`copy`].
pub(super) fn write_window(job: &Job<'_>, copier: &mut Copier<'_>, window: u64) -> Result<()> {
    let mut tally = job.tally();
    for piece in job.plan.pieces(window) {
        copy_piece(
            job,
            copier,
            &mut tally,
            piece.index,
            piece.source,
            Some(piece.output),
            piece.ends_input,
        )?;
    }
    // The next window this thread takes is elsewhere in the output.
    copier.flush()
}

/// Copies the bytes `source` of input `index` to `output` (or the output's
/// current position), checking that the input ends there when `ends_input`.
/// Small pieces are gathered, to be written together by [`Copier::flush`].
fn copy_piece(
    job: &Job<'_>,
    copier: &mut Copier<'_>,
    tally: &mut Tally<'_>,
    index: usize,
    source: Range<u64>,
    mut output: Option<u64>,
    ends_input: bool,
) -> Result<()> {
    let entry = &job.entry(index);
    if source.start == 0 {
        tally.started(index);
    }
    let len = source.end - source.start;
    let file = input::open(entry)?;
    if len < GATHERED_PIECE_MAX {
        copier.gather(&file, entry, source, ends_input, output)?;
        tally.add(len);
        return Ok(());
    }
    copier.flush()?;
    let mut offset = source.start;
    while offset < source.end {
        job.check()?;
        let want = (source.end - offset).min(CHUNK as u64) as usize;
        let copied = copier.copy(&file, entry, &mut offset, want, output.as_mut())?;
        tally.add(copied as u64);
    }
    if ends_input {
        input::check_ends_at(&file, entry, offset)?;
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
    /// Small pieces read and not yet written, one after the other.
    gathered: Vec<u8>,
    /// Where the gathered bytes go: an offset, or the current position.
    gathered_at: Option<u64>,
    out: &'a File,
    name: &'a Path,
}

impl<'a> Copier<'a> {
    /// A copier into `out`, which `name` names in errors.
    pub(super) fn new(out: &'a File, name: &'a Path) -> Copier<'a> {
        Copier {
            method: preferred_method(out),
            buffer: Vec::new(),
            gathered: Vec::new(),
            gathered_at: None,
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
        entry: &Entry<'_>,
        offset: &mut u64,
        want: usize,
        output: Option<&mut u64>,
    ) -> Result<usize> {
        #[cfg(target_os = "linux")]
        let mut output = output;
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

    /// Reads the bytes `source` of `entry`'s `file` after the gathered
    /// ones; they go to `output`, or the current position, when written.
    /// The caller gathers pieces that follow each other in the output.
    fn gather(
        &mut self,
        file: &File,
        entry: &Entry<'_>,
        source: Range<u64>,
        ends_input: bool,
        output: Option<u64>,
    ) -> Result<()> {
        let len = (source.end - source.start) as usize;
        if self.gathered.len() + len > GATHERED_MAX {
            self.flush()?;
        }
        if self.gathered.is_empty() {
            self.gathered_at = output;
        }
        let start = self.gathered.len();
        self.gathered.resize(start + len, 0);
        input::read_range(file, entry, source, &mut self.gathered[start..], ends_input)
    }

    /// Writes the gathered bytes, and forgets them even when writing fails.
    pub(super) fn flush(&mut self) -> Result<()> {
        if self.gathered.is_empty() {
            return Ok(());
        }
        let written = write_out(self.out, self.name, &self.gathered, self.gathered_at);
        self.gathered.clear();
        written
    }

    fn read_write(
        &mut self,
        file: &File,
        entry: &Entry<'_>,
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
        write_out(
            self.out,
            self.name,
            &buffer[..read],
            output.as_deref().copied(),
        )?;
        if let Some(output) = output {
            *output += read as u64;
        }
        *offset += read as u64;
        Ok(read)
    }
}

/// Writes `bytes` into `out` at `at`, or else at its current position;
/// `name` names `out` in errors.
fn write_out(out: &File, name: &Path, bytes: &[u8], at: Option<u64>) -> Result<()> {
    let written = match at {
        Some(at) => out.write_all_at(bytes, at),
        None => {
            let mut out = out;
            out.write_all(bytes)
        }
    };
    written.map_err(|e| Error::io(e).writing(name))
}
