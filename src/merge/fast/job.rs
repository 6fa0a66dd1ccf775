//! [`Job`]: what every copying thread of a plain merge shares — the inputs,
//! their layout, the flag that stops them, and the progress callback.

use std::sync::atomic::{AtomicBool, Ordering};

use super::plan::Plan;
use crate::fs::{Entry, Listing};
use crate::merge::{MergeCallback, MergeEvent};
use crate::{Error, ErrorKind, Result};

/// The shared state of one plain merge.
pub(super) struct Job<'a> {
    pub(super) listing: &'a Listing,
    pub(super) plan: &'a Plan,
    /// Set when the merge is cancelled or a thread failed: every thread
    /// stops at its next check.
    stop: &'a AtomicBool,
    on_event: Option<&'a MergeCallback>,
}

impl<'a> Job<'a> {
    pub(super) fn new(
        listing: &'a Listing,
        plan: &'a Plan,
        stop: &'a AtomicBool,
        on_event: Option<&'a MergeCallback>,
    ) -> Job<'a> {
        Job {
            listing,
            plan,
            stop,
            on_event,
        }
    }

    /// Fails with [`ErrorKind::Aborted`] once the merge has been stopped.
    pub(super) fn check(&self) -> Result<()> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(Error::new(ErrorKind::Aborted, "the merge was stopped"));
        }
        Ok(())
    }

    /// Tells the other threads to stop, after a failure.
    pub(super) fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Input `index`.
    pub(super) fn entry(&self, index: usize) -> Entry<'a> {
        self.listing.get(index).expect("an input of the plan")
    }

    /// A count of the bytes one thread copies, reported as they add up.
    pub(super) fn tally(&self) -> Tally<'_> {
        Tally {
            listing: self.listing,
            on_event: self.on_event,
            bytes: 0,
            unnamed: REPORT_EVERY,
        }
    }
}

/// How many bytes a [`Tally`] gathers before it reports them, and copies
/// between two inputs it names: a progress display needs no more, and a
/// callback per small file costs more than the file.
const REPORT_EVERY: u64 = 1 << 20;

/// What one thread copied and has not reported yet: bytes, reported as
/// [`MergeEvent::BytesRead`] a MiB at a time (the rest when dropped), and
/// the inputs it starts, named by a [`MergeEvent::FileStarted`] when a MiB
/// or more was copied since the last one named.
pub(super) struct Tally<'a> {
    listing: &'a Listing,
    on_event: Option<&'a MergeCallback>,
    bytes: u64,
    unnamed: u64,
}

impl Tally<'_> {
    /// Notes that input `index` is being read.
    pub(super) fn started(&mut self, index: usize) {
        if self.unnamed < REPORT_EVERY {
            return;
        }
        self.unnamed = 0;
        if let Some(on_event) = self.on_event {
            let entry = self.listing.get(index).expect("an input of the plan");
            on_event(&MergeEvent::FileStarted { entry: &entry });
        }
    }

    /// Counts `bytes` more copied.
    pub(super) fn add(&mut self, bytes: u64) {
        self.bytes += bytes;
        self.unnamed += bytes;
        if self.bytes >= REPORT_EVERY {
            self.report();
        }
    }

    fn report(&mut self) {
        if let Some(on_event) = self.on_event
            && self.bytes > 0
        {
            on_event(&MergeEvent::BytesRead(self.bytes));
        }
        self.bytes = 0;
    }
}

impl Drop for Tally<'_> {
    fn drop(&mut self) {
        self.report();
    }
}
