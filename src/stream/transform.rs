//! [`Transform`]: the hook that turns written chunks into readable ones
//! (Node's `_transform` and `_flush`).

use std::task::{Context, Poll};

use super::chunk::Chunk;
use super::error::Result;
use super::push::Push;

/// Turns each written chunk into zero or more output chunks: Node's
/// `_transform`, with `_flush` at the end.
///
/// A transform runs inside a [`Duplex`](crate::Duplex) (see
/// [`Duplex::transform`](crate::Duplex::transform); a pipeline wraps it
/// itself), which gives it a writable side and a readable side, each with
/// its own highWaterMark. The duplex hands over a written chunk only while
/// its readable side has room, so a consumer that stops reading stops the
/// writer too: backpressure crosses the transform.
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::{Push, Readable, ReadableExt, Result, Transform};
///
/// /// Upper-cases ASCII text.
/// struct Upper;
///
/// impl Transform for Upper {
///     type Input = Bytes;
///     type Output = Bytes;
///     fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
///         out.push(chunk.to_ascii_uppercase().into());
///         Ok(())
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let shout = Readable::from_iter([Bytes::from("hello, "), Bytes::from("world")]).pipe(Upper);
/// assert_eq!(shout.to_bytes().await?, "HELLO, WORLD");
/// # Ok(())
/// # }
/// ```
///
/// # Work that is not done at once
///
/// [`transform`](Transform::transform) and [`flush`](Transform::flush)
/// start the work on a chunk; [`poll_ready`](Transform::poll_ready)
/// finishes it, as Node's callback does: the chunk counts toward the
/// writable side's highWaterMark until `poll_ready` returns
/// `Ready(Ok(()))`, and the next chunk (or the flush, or the end of the
/// output) waits for it. The default is ready at once, which suits a
/// transform that does all its work in `transform`.
///
/// Two kinds of transforms implement it:
///
/// - One whose output for a chunk can be far larger than the chunk (a
///   decompressor) pushes until [`Push::push`] returns `false`, keeps the
///   rest, and pushes more from `poll_ready`, returning `Pending` while
///   `out` has no room: the duplex polls it again once its consumer has
///   read. Memory then stays bounded by the highWaterMarks whatever the
///   data.
/// - One whose work waits on the outside world returns `Pending` after
///   arranging for the context's waker to be woken, as any future does.
pub trait Transform: Send + 'static {
    /// What is written in.
    type Input: Chunk;
    /// What is read out.
    type Output: Chunk;

    /// Starts processing one chunk, pushing what it produces into `out`.
    fn transform(&mut self, chunk: Self::Input, out: &mut Push<'_, Self::Output>) -> Result<()>;

    /// Starts pushing what is left once the writable side has ended; the
    /// readable side ends once [`poll_ready`](Transform::poll_ready) is
    /// ready after it.
    fn flush(&mut self, out: &mut Push<'_, Self::Output>) -> Result<()> {
        let _ = out;
        Ok(())
    }

    /// Finishes the work the last [`transform`](Transform::transform) or
    /// [`flush`](Transform::flush) started; see the trait documentation.
    fn poll_ready(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut Push<'_, Self::Output>,
    ) -> Poll<Result<()>> {
        let _ = (cx, out);
        Poll::Ready(Ok(()))
    }
}
