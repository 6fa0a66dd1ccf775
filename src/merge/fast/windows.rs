//! The parallel copier of a new output file: the file is allocated at its
//! final size and cut into windows of a few MiB, which two threads take one
//! at a time. One thread writes its windows with `copy_file_range` at their
//! offsets; the other reads its inputs straight into a mapping of its
//! window.
//!
//! Why two ways: on ext4, writes into one file take the file's lock one
//! writer at a time, so two threads writing at different offsets go no
//! faster than one. Page faults into a mapping take no such lock, so a
//! thread filling a mapping runs beside the writer. But a mapped page must
//! be read (for an allocated file, zeroed) before it is written, which
//! `write` skips: where fresh memory is costly to touch (virtual machines
//! that hand free memory back to their host), filling a mapping cost two to
//! three times the CPU of writing in measurements. The mix gets both: with
//! a free core, the two threads share the work; without one, or when
//! mapping is slow, the writer takes most windows, and the merge costs what
//! `cat` costs.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use rustix::fs::{FallocateFlags, fallocate};
use rustix::io::Errno;

use super::job::Job;
use super::kernel::{self, Copier};
use super::mapped;
use crate::{Error, ErrorKind, Result};

/// How many threads fill the output: the writer and one mapping thread,
/// the number measured (on 2 cores) to pay. More were not measured.
const MAX_THREADS: usize = 2;

/// Copies every input into `out`, a new, empty regular file, by windows;
/// `name` names the output in errors.
///
/// Returns `false`, having written nothing, when the copy would not run on
/// two threads (one core, an output of one window) or the file
/// cannot be allocated and mapped with huge pages: the caller then copies
/// the inputs one after the other.
///
/// # Errors
///
/// A full disk (before anything is copied), an input that cannot be read
/// or changed size (naming it), the output failing (naming it), or
/// [`ErrorKind::Aborted`] when the job was stopped.
pub(super) fn copy(job: &Job<'_>, out: &File, name: &Path) -> Result<bool> {
    let windows = job.plan.windows();
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(MAX_THREADS)
        .min(usize::try_from(windows).unwrap_or(usize::MAX));
    if threads < 2 || !mapped::available() {
        return Ok(false);
    }
    match fallocate(out, FallocateFlags::empty(), 0, job.plan.total()) {
        Ok(()) => {}
        Err(Errno::OPNOTSUPP | Errno::NOSYS) => return Ok(false),
        Err(e) => return Err(Error::io(e.into()).writing(name)),
    }
    if !mapped::can_map(job, out) {
        // Cut back to empty, so the caller starts from a clean file.
        return match rustix::fs::ftruncate(out, 0) {
            Ok(()) => Ok(false),
            Err(e) => Err(Error::io(e.into()).writing(name)),
        };
    }
    let next = AtomicU64::new(0);
    let failures: Vec<(u64, Error)> = std::thread::scope(|scope| {
        let mappers: Vec<_> = (1..threads)
            .map(|_| {
                let next = &next;
                scope.spawn(move || take_windows(job, next, |w| mapped::fill(job, out, name, w)))
            })
            .collect();
        let mut copier = Copier::new(out, name);
        let written = take_windows(job, &next, |w| kernel::write_window(job, &mut copier, w));
        let mut failures: Vec<_> = written.err().into_iter().collect();
        for mapper in mappers {
            match mapper.join() {
                Ok(result) => failures.extend(result.err()),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        failures
    });
    // The failure to report is the one that stopped the others: the first
    // in the output that is not another thread stopping.
    match failures
        .into_iter()
        .min_by_key(|(window, error)| (error.kind() == ErrorKind::Aborted, *window))
    {
        Some((_, error)) => Err(error),
        None => Ok(true),
    }
}

/// Takes windows until there are none left, and copies each with `fill`;
/// on a failure, stops the other threads and returns the window that failed.
fn take_windows(
    job: &Job<'_>,
    next: &AtomicU64,
    mut fill: impl FnMut(u64) -> Result<()>,
) -> std::result::Result<(), (u64, Error)> {
    loop {
        let window = next.fetch_add(1, Ordering::Relaxed);
        if window >= job.plan.windows() {
            return Ok(());
        }
        if let Err(error) = job.check().and_then(|()| fill(window)) {
            job.stop();
            return Err((window, error));
        }
    }
}
