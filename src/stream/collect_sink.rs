//! [`CollectSink`]: a [`WriteSink`] that keeps every chunk, and
//! [`Collected`], what reads them back.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use super::chunk::Chunk;
use super::error::Result;
use super::write_queue::WriteQueue;
use super::write_sink::WriteSink;

/// A [`WriteSink`] that keeps every chunk in a shared vector, for tests and for
/// collecting results; [`Collected`] reads them back.
///
/// # Examples
///
/// ```
/// use smerge::{CollectSink, Readable, ReadableExt, Writable};
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

impl<T: Chunk> WriteSink<T> for CollectSink<T> {
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
