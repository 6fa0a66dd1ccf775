//! [`WriteSink`]: the hook that consumes a [`Writable`](crate::Writable)'s
//! data (Node's `_write`, `_writev`, `_final` and `_destroy`).

use std::pin::Pin;
use std::task::{Context, Poll};

use super::error::{Error, Result};
use super::write_queue::WriteQueue;

/// The consumer behind a [`Writable`](crate::Writable): Node's `_write`,
/// `_writev`, `_final` and `_destroy` in one trait.
///
/// The engine calls [`poll_write`](WriteSink::poll_write) while the queue holds
/// chunks and the writable is not corked, never twice at once: first from
/// [`write`](crate::Writable::write), [`uncork`](crate::Writable::uncork) or
/// [`end`](crate::Writable::end) when the sink is idle (Node's `write()`
/// calls `_write` at once; see [`starts_at_once`](WriteSink::starts_at_once)),
/// then from whoever polls the writable. The sink
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
/// See [`WriteQueue`] for an example; [`WriterSink`](crate::WriterSink),
/// [`SinkAdapter`](crate::SinkAdapter), [`CollectSink`](crate::CollectSink)
/// and [`NullSink`](crate::NullSink) are the ready-made ones. The inverse is
/// [`ReadSource`](crate::ReadSource).
pub trait WriteSink<T>: Send {
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

    /// Whether `write()`, `uncork()` and `end()` may call
    /// [`poll_write`](WriteSink::poll_write) and
    /// [`poll_final`](WriteSink::poll_final) at once, in the caller's
    /// context (which may be outside any tokio runtime, with a waker that
    /// wakes nothing: a `Pending` answer leaves the chunks queued, and the
    /// writable's next poll asks again). True by default; a sink whose hooks
    /// need a runtime context (tokio's files and standard streams, spawned
    /// tasks) answers whether there is one, and is otherwise first asked at
    /// the writable's next poll.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::pin::Pin;
    /// use std::task::{Context, Poll};
    /// use smerge::{Result, WriteQueue, WriteSink};
    ///
    /// /// Hands chunks to a task of the runtime.
    /// struct Spawning;
    ///
    /// impl WriteSink<u32> for Spawning {
    ///     fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, queue: &mut WriteQueue<u32>) -> Poll<Result<()>> {
    ///         let chunk = queue.pop().expect("called with chunks queued");
    ///         tokio::spawn(async move { drop(chunk) });
    ///         Poll::Ready(Ok(()))
    ///     }
    ///
    ///     fn starts_at_once(&self) -> bool {
    ///         tokio::runtime::Handle::try_current().is_ok()
    ///     }
    /// }
    /// ```
    fn starts_at_once(&self) -> bool {
        true
    }

    /// Releases what the sink holds when its writable is destroyed before it
    /// finished (Node's `_destroy`): an atomic file sink removes its
    /// temporary file here. `error` is why, if there was an error.
    fn destroy(self: Pin<&mut Self>, error: Option<&Error>) {
        let _ = error;
    }
}

/// True inside a tokio runtime's context: where a sink over tokio's I/O
/// may be polled (see [`WriteSink::starts_at_once`]).
pub(crate) fn runtime_entered() -> bool {
    tokio::runtime::Handle::try_current().is_ok()
}
