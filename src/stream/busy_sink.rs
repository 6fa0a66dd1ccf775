//! Sinks for tests: [`Busy`] never finishes a write, [`Paced`] finishes
//! one per permit given.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use super::chunk::Chunk;
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

/// Finishes one write per permit given, as a sink whose callbacks come
/// one at a time on later ticks.
pub(crate) struct Paced(pub(crate) Arc<AtomicUsize>);

impl<T: Chunk> WriteSink<T> for Paced {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        queue: &mut WriteQueue<T>,
    ) -> Poll<Result<()>> {
        let taken = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |permits| {
                permits.checked_sub(1)
            });
        if taken.is_err() {
            return Poll::Pending;
        }
        queue.pop();
        Poll::Ready(Ok(()))
    }
}
