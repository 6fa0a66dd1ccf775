//! Sinks for tests: [`Busy`] never finishes a write, [`Kept`] keeps what
//! it is written, finishing one write per permit given.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use super::error::Result;
use super::write_queue::WriteQueue;
use super::write_sink::WriteSink;

/// Takes nothing and never calls back: what is written stays queued, and
/// a stream writing into it stays busy with its first chunk.
pub(crate) struct Busy;

impl<T> WriteSink<T> for Busy {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        _queue: &mut WriteQueue<T>,
    ) -> Poll<Result<()>> {
        Poll::Pending
    }
}

/// Keeps what it is written, in order: one write per permit given, as a
/// sink whose callbacks come one at a time on later ticks, or every queued
/// chunk at once without permits.
pub(crate) struct Kept {
    pub(crate) permits: Option<Arc<AtomicUsize>>,
    pub(crate) kept: Arc<Mutex<Vec<u32>>>,
}

impl WriteSink<u32> for Kept {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        queue: &mut WriteQueue<u32>,
    ) -> Poll<Result<()>> {
        let mut kept = self.kept.lock().unwrap();
        let Some(permits) = &self.permits else {
            kept.extend(queue.drain());
            return Poll::Ready(Ok(()));
        };
        let taken = permits.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |permits| {
            permits.checked_sub(1)
        });
        if taken.is_err() {
            return Poll::Pending;
        }
        kept.extend(queue.pop());
        Poll::Ready(Ok(()))
    }
}
