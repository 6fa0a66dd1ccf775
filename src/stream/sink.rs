//! [`Sink`]: what consumes a [`Writable`](crate::Writable)'s data (Node's
//! `_write`, `_writev` and `_final`), and the in-memory sinks.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use super::chunk::Chunk;
use super::error::{Error, Result};
use super::queue::WriteQueue;

/// The consumer behind a [`Writable`](crate::Writable): Node's `_write`,
/// `_writev`, `_final` and `_destroy` in one trait.
///
/// The engine calls [`poll_write`](Sink::poll_write) while the queue holds
/// chunks and the writable is not corked, never twice at once. The sink
/// takes one chunk or several from the front of the queue (several at once is
/// Node's `_writev`), and returns:
///
/// - `Poll::Ready(Ok(()))` once it took something; the engine calls again
///   while chunks remain;
/// - `Poll::Pending` when it cannot take anything now, after arranging for
///   the waker to be woken;
/// - `Poll::Ready(Err(e))` on failure; the writable is then destroyed with `e`.
///
/// A chunk counts toward the writable's highWaterMark until the sink takes
/// it off the queue, so a sink should take a chunk only when it is written
/// (or copied somewhere it owns).
///
/// The inverse is [`Source`](crate::Source).
pub trait Sink<T>: Send {
    /// Takes chunks from the front of `queue`; see the trait documentation.
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<T>,
    ) -> Poll<Result<()>>;

    /// Finishes after the last write (Node's `_final`): flushes, writes any
    /// trailer, shuts down. Called once, after every chunk was taken.
    fn poll_final(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let _ = cx;
        Poll::Ready(Ok(()))
    }

    /// Releases what the sink holds when its writable is destroyed before it
    /// finished (Node's `_destroy`): an atomic file sink removes its
    /// temporary file here. `error` is why, if there was an error.
    fn destroy(self: Pin<&mut Self>, error: Option<&Error>) {
        let _ = error;
    }
}

/// A [`Sink`] that keeps every chunk in a shared vector, for tests and for
/// collecting results; [`Collected`] reads them back.
///
/// # Examples
///
/// ```
/// use smerge::{Readable, Writable, sink::CollectSink};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let (sink, collected) = CollectSink::new();
/// Readable::from_iter([1u32, 2, 3]).pipe(Writable::new(sink)).await?;
/// assert_eq!(collected.take(), vec![1, 2, 3]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct CollectSink<T> {
    chunks: Collected<T>,
}

/// The chunks a [`CollectSink`] received, shared with it.
#[derive(Debug)]
pub struct Collected<T> {
    chunks: Arc<Mutex<Vec<T>>>,
}

impl<T> Clone for Collected<T> {
    fn clone(&self) -> Self {
        Collected {
            chunks: Arc::clone(&self.chunks),
        }
    }
}

impl<T> Collected<T> {
    /// Takes the chunks received so far.
    pub fn take(&self) -> Vec<T> {
        std::mem::take(&mut *self.chunks.lock().expect("collector poisoned"))
    }

    /// How many chunks were received so far.
    pub fn len(&self) -> usize {
        self.chunks.lock().expect("collector poisoned").len()
    }

    /// True when no chunk was received yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> CollectSink<T> {
    /// A sink, and the handle that reads what it received.
    pub fn new() -> (Self, Collected<T>) {
        let chunks = Collected {
            chunks: Arc::new(Mutex::new(Vec::new())),
        };
        (
            CollectSink {
                chunks: chunks.clone(),
            },
            chunks,
        )
    }
}

impl<T: Chunk> Sink<T> for CollectSink<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        queue: &mut WriteQueue<T>,
    ) -> Poll<Result<()>> {
        let mut chunks = self.chunks.chunks.lock().expect("collector poisoned");
        chunks.extend(queue.drain());
        Poll::Ready(Ok(()))
    }
}

/// A [`Sink`] that drops everything written to it, like `/dev/null`.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl<T: Chunk> Sink<T> for NullSink {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        queue: &mut WriteQueue<T>,
    ) -> Poll<Result<()>> {
        queue.clear();
        Poll::Ready(Ok(()))
    }
}
