//! The fast path of a plain merge, [`merge_plain`]: files copied as they
//! are, by the kernel, straight to their final place in the output. The
//! copiers: [`windows`] (a new file, on two threads), [`mapped`] (filling a
//! window through a mapping), [`kernel`] (`copy_file_range`, `splice`, or
//! `read` and `write`, one input after the other); [`plan`] lays the inputs
//! out, [`input`] reads them with the size checks, [`job`] is what the
//! threads share, and [`uncache`] frees the memory of a replaced output.

mod input;
mod job;
mod kernel;
#[cfg(target_os = "linux")]
mod mapped;
mod plan;
#[cfg(target_os = "linux")]
mod uncache;
#[cfg(target_os = "linux")]
mod windows;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use self::job::Job;
use self::plan::Plan;
use crate::fs::{AtomicFile, Entry, EntryKind, Listing};
use crate::merge::{MergeCallback, MergeOptions, MergePath, MergeReport};
use crate::{Error, ErrorKind, Result};

/// Where [`merge_plain`] writes.
#[derive(Debug)]
pub enum PlainOutput {
    /// A new file for a target, put in place by
    /// [`AtomicFile::commit`] when every byte is there and discarded on any
    /// failure. A target that is written in place (a FIFO, a device) gets
    /// the inputs one after the other.
    Atomic(AtomicFile),
    /// An open file written from its current position, like standard
    /// output redirected to a file or a pipe. It must be in blocking mode.
    /// Nothing is atomic here: after a failure, what was written stays.
    Open {
        /// The file.
        file: File,
        /// How errors name it (`standard output`).
        name: PathBuf,
    },
}

/// Whether [`merge_plain`] can merge `listing` with `options`: no option
/// changes the bytes, records parts, skips inputs or accepts inputs that
/// change, and every entry is a regular file of known size.
///
/// A file listed as empty is read once here: files of `/proc` and `/sys`
/// report no size yet have content, which only the buffered merge, reading
/// to the end, can take.
pub fn can_merge_plain(listing: &Listing, options: &MergeOptions) -> bool {
    plain_options(options)
        && listing.entries().all(|entry| {
            entry.kind() == EntryKind::File
                && match entry.size() {
                    Some(0) => is_empty_now(&entry),
                    Some(_) => true,
                    None => false,
                }
        })
}

/// True when `options` copy the inputs as they are, whole, all of them:
/// what any plain merge (the kernel's, an output backend's) needs.
pub(crate) fn plain_options(options: &MergeOptions) -> bool {
    plain_content_options(options) && !options.record_parts
}

/// True when `options` leave the bytes as they are and ask for no
/// per-input handling of failures; the parts may still be recorded (an
/// output backend that composes the merge itself records them).
pub(crate) fn plain_content_options(options: &MergeOptions) -> bool {
    !options.changes_content() && !options.keep_going && !options.allow_changing
}

/// True when the file of `entry` has nothing to read.
fn is_empty_now(entry: &Entry<'_>) -> bool {
    entry
        .open()
        .is_ok_and(|mut file| file.read(&mut [0u8; 1]).is_ok_and(|read| read == 0))
}

/// Merges the entries of `listing`, in order and as they are, into `output`, then commits
/// an atomic output: the fast path of [`merge`](crate::merge::merge).
///
/// A merge is plain when nothing changes the bytes ([`MergeOptions`] with no
/// content option), every input is a regular file whose size the listing
/// knows, and the output is a file or a pipe ([`can_merge_plain`] checks
/// the first two). Then the layout of the output is known before the first
/// byte moves, and the copy takes what the kernel offers instead of the
/// stream engine:
///
/// - **A new output file** ([`PlainOutput::Atomic`]) is allocated at its
///   final size (a full disk fails here, before anything is written) and
///   filled by two threads, window by window: one writes its windows at
///   their offsets with `copy_file_range`, the other reads the inputs
///   straight into a shared mapping of its windows. With one core, an
///   output of 4 MiB or less, no transparent huge pages, or a file system
///   that cannot allocate or map the file, the inputs are copied one after
///   the other with `copy_file_range`.
/// - **An open regular file** (standard output redirected to a file) is
///   written from its current position with `copy_file_range`, as `cat`
///   does; **a pipe** gets each input with `splice`. Anything else, and any
///   of these the kernel refuses, is written with `read` and `write`.
///
/// The guarantees are those of [`merge`](crate::merge::merge): the inputs
/// in the order given; an atomic output replaced only when complete, its
/// temporary file gone on any failure or cancellation; errors naming the
/// file; and an input whose size differs from the listing's (read short,
/// or with bytes past its planned end) is an [`ErrorKind::InvalidData`]
/// error. Inputs that may change while they are read need the buffered
/// merge and [`MergeOptions::allow_changing`].
///
/// Progress comes as [`MergeEvent`](crate::merge::MergeEvent)s from the
/// copying threads, coarser than from [`merge`](crate::merge::merge) so
/// that reporting never costs more than copying: `BytesRead` a MiB at a
/// time, and `FileStarted` for an input when a MiB or more was copied since
/// the last input a thread named — every large input, and small ones now
/// and then. Two inputs may be under way at once.
///
/// The copy runs on tokio's blocking threads. Dropping the future stops it
/// within a few MiB of copying: the atomic output is then discarded, by
/// the blocking thread, which a runtime waits for when it shuts down.
///
/// The report counts the inputs and bytes; it has no skipped inputs and
/// no warnings.
///
/// # Errors
///
/// An input that cannot be opened or read, or whose size is not the
/// listing's ([`ErrorKind::InvalidData`]), naming it; the output failing
/// (a full disk is found before anything is written to a new file), naming
/// it. An atomic output is then discarded.
///
/// # Panics
///
/// Outside a tokio runtime.
///
/// # Examples
///
/// ```
/// use smerge::fs::{AtomicFile, Listing};
/// use smerge::merge::{MergeOptions, PlainOutput, can_merge_plain, merge_plain};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// # let dir = tempfile::tempdir()?;
/// # std::fs::create_dir(dir.path().join("logs"))?;
/// # std::fs::write(dir.path().join("logs/2.log"), "second\n")?;
/// # std::fs::write(dir.path().join("logs/1.log"), "first\n")?;
/// # let logs = dir.path().join("logs");
/// # let all = dir.path().join("all.log");
/// let listing = Listing::builder().input(&logs).build()?;
/// assert!(can_merge_plain(&listing, &MergeOptions::default()));
/// let output = PlainOutput::Atomic(AtomicFile::create(&all)?);
/// let report = merge_plain(listing.into(), output, None).await?;
/// assert_eq!(std::fs::read_to_string(&all)?, "first\nsecond\n");
/// assert_eq!((report.inputs, report.bytes), (2, 13));
/// # Ok(())
/// # }
/// ```
pub async fn merge_plain(
    listing: Arc<Listing>,
    output: PlainOutput,
    on_event: Option<MergeCallback>,
) -> Result<MergeReport> {
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_when_dropped = StopWhenDropped(Arc::clone(&stop));
    let copy = tokio::task::spawn_blocking(move || run(&listing, output, &stop, on_event.as_ref()));
    match copy.await {
        Ok(result) => result,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(error) => Err(Error::with_source(ErrorKind::Aborted, error)),
    }
}

/// Sets the stop flag of a copy whose future is dropped.
struct StopWhenDropped(Arc<AtomicBool>);

impl Drop for StopWhenDropped {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The whole merge, on a blocking thread.
fn run(
    listing: &Listing,
    output: PlainOutput,
    stop: &AtomicBool,
    on_event: Option<&MergeCallback>,
) -> Result<MergeReport> {
    let plan = Plan::new(listing)?;
    let job = Job::new(listing, &plan, stop, on_event);
    match output {
        PlainOutput::Atomic(file) => {
            job.check()?;
            let name = file.target().to_path_buf();
            #[cfg(target_os = "linux")]
            if !file.is_in_place() {
                uncache::uncache_replaced(&name);
            }
            if file.is_in_place() || !copy_by_windows(&job, file.file(), &name)? {
                // A full disk fails here rather than halfway.
                file.allocate(plan.total())?;
                kernel::copy(&job, file.file(), &name)?;
            }
            // A merge stopped after its last byte is still not committed.
            job.check()?;
            file.commit()?;
        }
        PlainOutput::Open { file, name } => kernel::copy(&job, &file, &name)?,
    }
    Ok(MergeReport {
        path: Some(MergePath::Kernel),
        inputs: listing.len(),
        bytes: plan.total(),
        ..MergeReport::default()
    })
}

/// Copies by windows, on two threads, where the platform allows; `false`
/// when it could not, having written nothing.
fn copy_by_windows(job: &Job<'_>, out: &File, name: &Path) -> Result<bool> {
    #[cfg(target_os = "linux")]
    return windows::copy(job, out, name);
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (job, out, name);
        Ok(false)
    }
}

#[cfg(test)]
mod tests;
