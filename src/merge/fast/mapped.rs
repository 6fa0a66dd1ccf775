//! Filling a window of the output through a shared mapping of it: each
//! input is read straight into its final place, with no lock on the file
//! (see [`windows`](super::windows) for when that pays).
//!
//! Windows start on a huge-page boundary, in the file and in memory, and ask
//! for huge pages: the kernel then maps each 2 MiB of the output with one
//! page fault. Without huge pages, the kernel faults in 4 KiB at a time,
//! each fault preparing a whole large page-cache folio for writing: a 2 GiB
//! merge took 13 s instead of 1 to 2 in measurements, so the mapping is
//! used only where transparent huge pages are enabled.
//!
//! Why no `SIGBUS`: a shared mapping raises `SIGBUS` when user code touches
//! a page past the end of the file (someone truncated it) or a page the
//! file system cannot provide (no space for a sparse file, an I/O error).
//! Here the file is allocated (`fallocate`) before it is mapped, so no page
//! needs new space, and it is smerge's own new file: an unnamed `O_TMPFILE`,
//! or one created exclusively under a random name, that no other program
//! has a reason to truncate. Above all, smerge never touches the mapped
//! bytes itself: only the kernel writes them, inside `read`, and a fault
//! there makes `read` fail with `EFAULT`, an error like any other.

use std::ffi::c_void;
use std::fs::File;
use std::path::Path;
use std::ptr::NonNull;

use rustix::io::Errno;
use rustix::mm::{Advice, MapFlags, ProtFlags, madvise, mmap, mmap_anonymous, munmap};

use super::input;
use super::job::Job;
use crate::{Error, Result};

/// The size and alignment of a huge page (of a page table's middle level)
/// on x86-64 and 64-bit ARM with 4 KiB pages; windows are a multiple of it.
const HUGE_PAGE: usize = 2 << 20;

/// Whether the kernel maps files with huge pages when asked: transparent
/// huge pages enabled (`always` or `madvise`), of 2 MiB.
pub(super) fn available() -> bool {
    let read =
        |name: &str| std::fs::read_to_string(format!("/sys/kernel/mm/transparent_hugepage/{name}"));
    let enabled =
        read("enabled").is_ok_and(|mode| mode.contains("[always]") || mode.contains("[madvise]"));
    enabled && read("hpage_pmd_size").is_ok_and(|size| size.trim() == HUGE_PAGE.to_string())
}

/// Whether the file system lets `out`, allocated for `job`, be mapped.
pub(super) fn can_map(job: &Job<'_>, out: &File) -> bool {
    let first = job.plan.window(0);
    Window::map(out, first.start, first.end - first.start).is_ok()
}

/// Maps window `window` of `out` and reads its pieces of input into it;
/// `name` names the output in errors.
pub(super) fn fill(job: &Job<'_>, out: &File, name: &Path, window: u64) -> Result<()> {
    let bytes = job.plan.window(window);
    let mut mapped = Window::map(out, bytes.start, bytes.end - bytes.start)
        .map_err(|e| Error::io(e).writing(name))?;
    let mut tally = job.tally();
    for piece in job.plan.pieces(window) {
        let entry = &job.entry(piece.index);
        if piece.source.start == 0 {
            tally.started(piece.index);
        }
        let piece_len = piece.source.end - piece.source.start;
        let file = input::open(entry)?;
        let at = (piece.output - bytes.start) as usize;
        let dest = &mut mapped.bytes()[at..at + piece_len as usize];
        input::read_range(&file, entry, piece.source, dest, piece.ends_input)?;
        tally.add(piece_len);
    }
    Ok(())
}

/// A shared, writable mapping of part of a file, unmapped when dropped.
struct Window {
    start: NonNull<c_void>,
    len: usize,
}

impl Window {
    /// Maps `len` bytes of `file` from `offset`, a multiple of
    /// [`HUGE_PAGE`]; `len` is not 0. The mapping starts on a huge-page
    /// boundary too, and asks for huge pages.
    fn map(file: &File, offset: u64, len: u64) -> std::io::Result<Window> {
        let len = usize::try_from(len).map_err(|_| Errno::NOMEM)?;
        let reserved = len.checked_add(HUGE_PAGE).ok_or(Errno::NOMEM)?;
        // SAFETY: new mappings at addresses of the kernel's choosing, or
        // inside the reservation made here, alias no memory of this program.
        unsafe {
            let base = mmap_anonymous(
                std::ptr::null_mut(),
                reserved,
                ProtFlags::empty(),
                MapFlags::PRIVATE | MapFlags::NORESERVE,
            )?;
            let before = base.cast::<u8>().align_offset(HUGE_PAGE);
            let start = base.cast::<u8>().add(before).cast::<c_void>();
            let flags = MapFlags::SHARED | MapFlags::FIXED;
            let mapped = match mmap(
                start,
                len,
                ProtFlags::READ | ProtFlags::WRITE,
                flags,
                file,
                offset,
            ) {
                Ok(mapped) => mapped,
                Err(e) => {
                    let _ = munmap(base, reserved);
                    return Err(e.into());
                }
            };
            if before > 0 {
                let _ = munmap(base, before);
            }
            let after = reserved - before - len;
            if after > 0 {
                let _ = munmap(start.cast::<u8>().add(len).cast(), after);
            }
            let start = NonNull::new(mapped).ok_or(Errno::NOMEM)?;
            // Huge pages, and no readahead past the one being faulted in:
            // the next window may be the writer's.
            let _ = madvise(start.as_ptr(), len, Advice::LinuxHugepage);
            let _ = madvise(start.as_ptr(), len, Advice::Random);
            Ok(Window { start, len })
        }
    }

    /// The mapped bytes, for the kernel to fill: smerge passes them to
    /// `read` and never reads or writes them itself (see the module's notes
    /// on `SIGBUS`).
    fn bytes(&mut self) -> &mut [u8] {
        // SAFETY: the mapping is `len` bytes, readable and writable, alive
        // until `self` is dropped, and only reachable through `&mut self`.
        unsafe { std::slice::from_raw_parts_mut(self.start.as_ptr().cast::<u8>(), self.len) }
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        // SAFETY: the range was mapped by `Window::map` and no reference
        // into it outlives `self`. Unmapping a valid mapping cannot fail.
        let _ = unsafe { munmap(self.start.as_ptr(), self.len) };
    }
}
