//! [`Job`]: what every copying thread of a plain merge shares — the inputs,
//! their layout, the flag that stops them, and the progress callback.

use std::sync::atomic::{AtomicBool, Ordering};

use super::plan::Plan;
use crate::error::{Error, ErrorKind, Result};
use crate::fs::Entry;
use crate::merge::{MergeCallback, MergeEvent};

/// The shared state of one plain merge.
pub(super) struct Job<'a> {
    pub(super) entries: &'a [Entry],
    pub(super) plan: &'a Plan,
    /// Set when the merge is cancelled or a thread failed: every thread
    /// stops at its next check.
    stop: &'a AtomicBool,
    on_event: Option<&'a MergeCallback>,
}

impl<'a> Job<'a> {
    pub(super) fn new(
        entries: &'a [Entry],
        plan: &'a Plan,
        stop: &'a AtomicBool,
        on_event: Option<&'a MergeCallback>,
    ) -> Job<'a> {
        Job {
            entries,
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

    /// Reports that input `index` is being read.
    pub(super) fn started(&self, index: usize) {
        if let Some(on_event) = self.on_event {
            on_event(&MergeEvent::FileStarted {
                entry: &self.entries[index],
            });
        }
    }

    /// Reports `bytes` more copied.
    pub(super) fn copied(&self, bytes: u64) {
        if let Some(on_event) = self.on_event
            && bytes > 0
        {
            on_event(&MergeEvent::BytesRead(bytes));
        }
    }
}
