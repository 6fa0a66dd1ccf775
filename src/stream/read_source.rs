//! [`ReadSource`]: the hook that produces a [`Readable`](crate::Readable)'s
//! data (Node's `_read` and `_destroy`).

use std::pin::Pin;
use std::task::{Context, Poll};

use super::error::{Error, Result};
use super::push::Push;

/// A [`ReadSource`], boxed: what a [`Readable`](crate::Readable) holds.
pub(crate) type BoxSource<T> = Pin<Box<dyn ReadSource<T>>>;

/// The producer behind a [`Readable`](crate::Readable): Node's `_read`.
///
/// The engine calls [`poll_read`](ReadSource::poll_read) when the readable's
/// buffer is below its highWaterMark (or empty while a consumer waits), and
/// never twice at once: the call has `&mut self`. The source pushes zero or
/// more chunks, or the end, and returns:
///
/// - `Poll::Ready(Ok(()))` after pushing something or the end; the engine asks
///   again while [`Push::push`] returned `true`;
/// - `Poll::Pending` when nothing is available yet, after arranging for the
///   context's waker to be woken, as any future does;
/// - `Poll::Ready(Err(e))` on failure; the readable is then destroyed with `e`.
///
/// A source that returns `Ready(Ok(()))` without pushing anything is asked
/// again at once, so it must not do that forever.
///
/// See [`Push`] for an example; [`IterSource`](crate::IterSource) and
/// [`StreamSource`](crate::StreamSource) are the ready-made ones. The
/// inverse is [`WriteSink`](crate::WriteSink).
pub trait ReadSource<T>: Send {
    /// Pushes available data into `out`; see the trait documentation.
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, T>,
    ) -> Poll<Result<()>>;

    /// Releases what the source holds, when its readable is destroyed before
    /// the end (Node's `_destroy`). `error` is why, if there was an error.
    fn destroy(self: Pin<&mut Self>, error: Option<&Error>) {
        let _ = error;
    }
}
