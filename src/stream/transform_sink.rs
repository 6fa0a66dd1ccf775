//! [`TransformSink`]: a transform in front of a writable, as one sink —
//! what Node's `compose(transform, writable)` gives.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::error::{Error, Result};
use super::push::Push;
use super::read_buffer::ReadBuffer;
use super::transform::Transform;
use super::transform_handler::TransformHandler;
use super::writable::Writable;
use super::writable_stream::WritableStream;
use super::write_queue::WriteQueue;
use super::write_sink::WriteSink;

/// A [`WriteSink`] that runs every chunk through a [`Transform`] and writes the
/// output into another [`Writable`]; ending it flushes the transform and
/// ends the inner writable.
///
/// This is how a compressed output becomes a single writer that files can
/// be piped into one after the other.
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::{CollectSink, PassThrough, PipeOptions, Readable, TransformSink, Writable, pipe};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let (inner, got) = CollectSink::new();
/// let mut out = Writable::new(TransformSink::new(PassThrough::new(), Writable::new(inner)));
/// for part in ["a", "b"] {
///     let mut file = Readable::from_iter([Bytes::from(part)]);
///     pipe(&mut file, &mut out, PipeOptions::keep_open()).await?;
/// }
/// out.close().await?;
/// assert_eq!(got.take().concat(), b"ab");
/// # Ok(())
/// # }
/// ```
pub struct TransformSink<X: Transform> {
    transform: TransformHandler<X>,
    /// Output of the transform not yet written into `inner`.
    output: ReadBuffer<X::Output>,
    inner: Writable<X::Output>,
}

// Chunks are never pinned: the output buffer only moves them.
impl<X: Transform + Unpin> Unpin for TransformSink<X> {}

impl<X: Transform> TransformSink<X> {
    /// Runs `transform` in front of `inner`.
    pub fn new(transform: X, inner: Writable<X::Output>) -> Self {
        let high_water_mark = inner.high_water_mark();
        TransformSink {
            transform: TransformHandler::new(transform),
            output: ReadBuffer::new(high_water_mark),
            inner,
        }
    }

    /// The inner writable.
    pub fn get_ref(&self) -> &Writable<X::Output> {
        &self.inner
    }

    /// Hands buffered output to the inner writable while it takes it, and
    /// drives it. `Pending` while the inner writable needs to drain.
    fn poll_forward(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        loop {
            while !self.inner.needs_drain() {
                let Some(chunk) = self.output.pop_front() else {
                    break;
                };
                self.inner.write(chunk)?;
            }
            if let Poll::Ready(Err(error)) = self.inner.poll_drain(cx) {
                return Poll::Ready(Err(error));
            }
            if self.inner.needs_drain() {
                return Poll::Pending;
            }
            if self.output.is_empty() {
                return Poll::Ready(Ok(()));
            }
        }
    }
}

impl<X: Transform + Unpin> WriteSink<X::Input> for TransformSink<X> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<X::Input>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        loop {
            ready!(this.poll_forward(cx))?;
            let mut out = Push::new(&mut this.output);
            match this.transform.poll_pump(cx, queue, &mut out) {
                Poll::Ready(Ok(true)) => {}
                Poll::Ready(Ok(false)) => return Poll::Ready(Ok(())),
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                // The transform waits for room for output it holds: what
                // it pushed goes on to the writable first.
                Poll::Pending if !this.output.is_empty() => {}
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    fn poll_final(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        loop {
            ready!(this.poll_forward(cx))?;
            let mut out = Push::new(&mut this.output);
            let flushed = this.transform.poll_flush(cx, &mut out)?;
            if flushed.is_ready() && this.output.is_empty() {
                break;
            }
            if flushed.is_pending() && this.output.is_empty() {
                return Poll::Pending;
            }
        }
        if !this.inner.is_ended() {
            this.inner.end()?;
        }
        this.inner.poll_finish(cx)
    }

    fn destroy(self: Pin<&mut Self>, error: Option<&Error>) {
        self.get_mut().inner.destroy(error.cloned());
    }
}

impl<X: Transform> fmt::Debug for TransformSink<X> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransformSink")
            .field("buffered_output", &self.output.len())
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CollectSink;

    /// Turns each chunk into `n` copies of itself, pushing what fits and
    /// holding the rest until `poll_ready` finds room, as a compressor
    /// whose output outgrows the buffer does.
    struct Copies {
        held: Vec<u32>,
    }

    impl Transform for Copies {
        type Input = u32;
        type Output = u32;

        fn transform(&mut self, chunk: u32, out: &mut Push<'_, u32>) -> Result<()> {
            self.held = vec![chunk; chunk as usize];
            while out.has_room() {
                let Some(copy) = self.held.pop() else { break };
                out.push(copy);
            }
            Ok(())
        }

        fn poll_ready(&mut self, _: &mut Context<'_>, out: &mut Push<'_, u32>) -> Poll<Result<()>> {
            while !self.held.is_empty() {
                if !out.has_room() {
                    return Poll::Pending;
                }
                out.push(self.held.pop().expect("not empty"));
            }
            Poll::Ready(Ok(()))
        }
    }

    /// The transform's held output fills the buffer in front of the
    /// writable again and again: each time it goes on to the writable
    /// before the transform is asked again, so the write completes.
    #[tokio::test]
    async fn output_held_for_room_goes_on_to_the_writable() {
        let (sink, got) = CollectSink::new();
        let inner = Writable::new(sink).with_high_water_mark(2);
        let mut writable = Writable::new(TransformSink::new(Copies { held: Vec::new() }, inner));
        writable.write(9).unwrap();
        writable.write(5).unwrap();
        let closed = tokio::time::timeout(std::time::Duration::from_secs(10), writable.close());
        closed.await.expect("no wake-up is lost").unwrap();
        assert_eq!(got.take(), [vec![9; 9], vec![5; 5]].concat());
    }
}
