//! [`Transform`]: a stage that turns written chunks into readable ones
//! (Node's `_transform` and `_flush`), and [`PassThrough`].
//!
//! A transform runs inside a [`Duplex`](crate::Duplex) (see
//! [`Duplex::transform`](crate::Duplex::transform)), which gives it a
//! writable side and a readable side, each with its own highWaterMark. The
//! duplex hands the transform a written chunk only while its readable side
//! has room, so a consumer that stops reading stops the writer too:
//! backpressure crosses the transform.

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::buffer::Push;
use super::chunk::Chunk;
use super::duplex::DuplexHandler;
use super::error::Result;
use super::queue::WriteQueue;

/// Turns each written chunk into zero or more output chunks: Node's
/// `_transform`, with `_flush` at the end.
///
/// The hooks are synchronous: a transform is CPU work on data in memory
/// (compression, framing, text fixes). Work that waits on the outside world
/// (a child process, a socket) is a [`DuplexHandler`] instead.
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::{Duplex, Push, Readable, Result, Transform};
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
/// let shout = Readable::from_iter([Bytes::from("hello, "), Bytes::from("world")])
///     .pipe(Duplex::transform(Upper));
/// assert_eq!(shout.to_bytes().await?, "HELLO, WORLD");
/// # Ok(())
/// # }
/// ```
///
/// # Holding back output
///
/// A transform whose output for one chunk can be far larger than the chunk
/// (a decompressor) may stop pushing when [`Push::push`] returns `false`,
/// keep the rest of its input, and report it with
/// [`has_pending`](Transform::has_pending); the duplex then calls
/// [`resume`](Transform::resume) whenever there is room again, before it hands
/// over the next chunk or calls [`flush`](Transform::flush). Memory then stays
/// bounded by the highWaterMarks whatever the data.
pub trait Transform: Send + 'static {
    /// What is written in.
    type Input: Chunk;
    /// What is read out.
    type Output: Chunk;

    /// Processes one chunk, pushing what it produces into `out`.
    fn transform(&mut self, chunk: Self::Input, out: &mut Push<'_, Self::Output>) -> Result<()>;

    /// Pushes what is left once the writable side has ended; the readable
    /// side ends after it (and after any pending output is resumed).
    fn flush(&mut self, out: &mut Push<'_, Self::Output>) -> Result<()> {
        let _ = out;
        Ok(())
    }

    /// True while the transform holds input whose output it has not pushed yet.
    fn has_pending(&self) -> bool {
        false
    }

    /// Pushes more of the held-back output; called while
    /// [`has_pending`](Transform::has_pending) is true and `out` has room.
    fn resume(&mut self, out: &mut Push<'_, Self::Output>) -> Result<()> {
        let _ = out;
        Ok(())
    }
}

/// The identity transform: every chunk passes unchanged (Node's `PassThrough`).
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::{Duplex, PassThrough, Readable};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let same = Readable::from_iter([Bytes::from("a"), Bytes::from("b")])
///     .pipe(Duplex::transform(PassThrough::<Bytes>::new()));
/// assert_eq!(same.to_bytes().await?, "ab");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct PassThrough<T> {
    _chunks: PhantomData<fn(T) -> T>,
}

impl<T> PassThrough<T> {
    /// A pass-through for chunks of type `T`.
    pub fn new() -> Self {
        PassThrough {
            _chunks: PhantomData,
        }
    }
}

impl<T> Default for PassThrough<T> {
    fn default() -> Self {
        PassThrough::new()
    }
}

impl<T: Chunk> Transform for PassThrough<T> {
    type Input = T;
    type Output = T;

    fn transform(&mut self, chunk: T, out: &mut Push<'_, T>) -> Result<()> {
        out.push(chunk);
        Ok(())
    }
}

/// Runs a [`Transform`] as a [`DuplexHandler`].
#[derive(Debug)]
pub(crate) struct TransformHandler<X> {
    transform: X,
    flushed: bool,
}

impl<X> TransformHandler<X> {
    pub(crate) fn new(transform: X) -> Self {
        TransformHandler {
            transform,
            flushed: false,
        }
    }
}

/// Feeds written chunks to `transform` while `out` has room, resuming its
/// held-back output first. Returns whether anything was consumed or
/// produced. The writing side of both a transform duplex and a
/// [`TransformSink`](crate::TransformSink).
#[inline]
pub(crate) fn pump<X: Transform>(
    transform: &mut X,
    input: &mut WriteQueue<X::Input>,
    out: &mut Push<'_, X::Output>,
) -> Result<bool> {
    let mut progressed = false;
    while out.has_room() {
        if transform.has_pending() {
            transform.resume(out)?;
            progressed = true;
            continue;
        }
        let Some(chunk) = input.pop() else { break };
        transform.transform(chunk, out)?;
        progressed = true;
    }
    Ok(progressed)
}

impl<X: Transform + Unpin> DuplexHandler<X::Input, X::Output> for TransformHandler<X> {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        input: &mut WriteQueue<X::Input>,
        out: &mut Push<'_, X::Output>,
    ) -> Poll<Result<()>> {
        // Input left means the pump stopped for want of room: the duplex
        // polls again once its consumer has read; saying so now spares a
        // call that would find no room.
        match pump(&mut self.get_mut().transform, input, out) {
            Ok(true) if input.is_empty() => Poll::Ready(Ok(())),
            Ok(_) => Poll::Pending,
            Err(err) => Poll::Ready(Err(err)),
        }
    }

    fn poll_final(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        out: &mut Push<'_, X::Output>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        loop {
            if this.transform.has_pending() {
                if !out.has_room() {
                    return Poll::Pending;
                }
                if let Err(err) = this.transform.resume(out) {
                    return Poll::Ready(Err(err));
                }
                continue;
            }
            if this.flushed {
                out.end();
                return Poll::Ready(Ok(()));
            }
            this.flushed = true;
            if let Err(err) = this.transform.flush(out) {
                return Poll::Ready(Err(err));
            }
        }
    }

    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        out: &mut Push<'_, X::Output>,
    ) -> Poll<Result<()>> {
        // A transform's output comes only from what is written to it, but
        // output held back for want of room moves on as soon as there is
        // room, not only when more input comes (Node's `Transform._read`).
        let this = self.get_mut();
        if this.transform.has_pending() && out.has_room() {
            return Poll::Ready(this.transform.resume(out));
        }
        Poll::Pending
    }
}
