//! [`Pipeline`] and [`pipeline`]: a chain of stages that owns them all — source, transforms,
//! destination — and runs as one future (Node's `stream.pipeline`).
//!
//! The first error anywhere destroys every stage that has not finished,
//! with that error, and is what the future returns, saying which stage
//! failed. Success means the last stage finished. Dropping the future, or
//! cancelling its [`CancellationToken`], destroys every stage too.
//!
//! Building the chain pipes each stage into the next at once, as Node's
//! `pipeline()` does: every stage after the first gets `pipe`, and every
//! stage before the last flows (or is paused, if the next one already
//! waits for `drain`).
//!
//! One poll of the future walks the chain: each link asks its upstream for
//! chunks while its stage takes them, and the stage's output goes on
//! downstream; so reading overlaps writing without a task or a channel per
//! stage. While the last stage waits for `drain`, the stages before it run
//! ahead, each taking what the one before it has up to its own
//! highWaterMark, as Node's piped stages do.
//!
//! As Node's `pipeline` pipes with `end: false` and ends each stage from
//! the `end` of the one before it, a stage's pipe is undone first (its
//! source pauses, `unpipe`), then the stage is ended (`prefinish`,
//! `finish`). A stage destroyed because another failed gets `unpipe` just
//! before its `error`. The future resolves after every stage delivered its
//! last events (`error`, `close`), at its next poll, as Node calls the
//! pipeline's callback on the next tick.

use std::any::Any;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::chunk::Chunk;
use super::error::{Error, Result};
use super::link::Link;
use super::pipe_options::PipeOptions;
use super::pipeline_future::PipelineFuture;
use super::pump::{OnError, Pump};
use super::readable_stream::ReadableStream;
use super::sealed;
use super::writable_stream::WritableStream;
use super::write_queue::WriteQueue;

/// An open chain of stages whose output is `T`: a source and any number of
/// transforms, not yet attached to a destination.
///
/// [`pipe`](crate::ReadableExt::pipe) adds a stage: a [`Duplex`](crate::Duplex) or a
/// [`Transform`](crate::Transform) extends the chain, a
/// [`Writable`](crate::Writable) (or several) completes it into a
/// [`PipelineFuture`]. A `Pipeline` is itself a readable stream, so its
/// output can also be read directly or iterated.
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::{pipeline, PassThrough, Readable, ReadableExt, Writable};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let source = Readable::from_iter([Bytes::from("a"), Bytes::from("b")]);
/// pipeline(source)
///     .pipe(PassThrough::new())
///     .pipe(Writable::from_writer(tokio::io::sink()))
///     .await?;
/// # Ok(())
/// # }
/// ```
pub struct Pipeline<T> {
    head: Box<dyn ReadableStream<Output = T>>,
    on_error: OnError,
    stages: usize,
}

impl<T: Chunk> Pipeline<T> {
    /// A pipeline starting at `source`, with `pipeline` semantics: the first
    /// error destroys every stage.
    pub fn from_stream(source: impl ReadableStream<Output = T> + 'static) -> Self {
        Pipeline {
            head: Box::new(source),
            on_error: OnError::DestroyAll,
            stages: 1,
        }
    }

    /// A chain with Node's `pipe` semantics: an error stops the chain but
    /// does not destroy the other stages (they are dropped with it). A
    /// pipeline given here is returned as it is, with its own semantics.
    pub(crate) fn piped<S: ReadableStream<Output = T> + 'static>(source: S) -> Self {
        let mut source = Some(source);
        if let Some(pipeline) = (&mut source as &mut dyn Any).downcast_mut::<Option<Pipeline<T>>>()
        {
            return pipeline.take().expect("the source is there");
        }
        let source = source.expect("the source is there");
        Pipeline {
            on_error: OnError::Stop,
            ..Pipeline::from_stream(source)
        }
    }

    /// Adds `stage` (a [`Duplex`](crate::Duplex), or a shared one) to the chain.
    pub(crate) fn extend<O: Chunk>(
        self,
        stage: impl ReadableStream<Output = O> + WritableStream<Input = T> + 'static,
    ) -> Pipeline<O> {
        let index = self.stages;
        Pipeline {
            head: Box::new(Link::new(self.head, stage, index, self.on_error)),
            on_error: self.on_error,
            stages: index + 1,
        }
    }

    /// Completes the chain into a future that writes into `destinations`;
    /// `fanout` copies a chunk for every destination but the last.
    pub(crate) fn complete(
        self,
        destinations: Vec<Box<dyn WritableStream<Input = T>>>,
        fanout: Option<fn(&T) -> T>,
    ) -> PipelineFuture<T> {
        let count = destinations.len();
        let pump = Pump::new(count, PipeOptions::default(), self.on_error, fanout)
            .naming_source(self.stages - 1, self.head.label());
        PipelineFuture::new(self.head, destinations, pump, self.stages)
    }
}

impl<T> sealed::Stream for Pipeline<T> {}

impl<T: Chunk> ReadableStream for Pipeline<T> {
    type Output = T;

    fn poll_next_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        let polled = self.head.poll_next_chunk(cx);
        if let Poll::Ready(Some(Err(error))) = polled {
            return Poll::Ready(Some(Err(error.or_reading(self.head.origin()))));
        }
        polled
    }

    #[inline]
    fn poll_read_into(
        &mut self,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<T>,
        limit: usize,
    ) -> Poll<Option<Result<()>>> {
        let polled = self.head.poll_read_into(cx, queue, limit);
        if let Poll::Ready(Some(Err(error))) = polled {
            return Poll::Ready(Some(Err(error.or_reading(self.head.origin()))));
        }
        polled
    }

    fn pause(&mut self) {
        self.head.pause();
    }

    fn resume(&mut self) {
        self.head.resume();
    }

    fn ticks_before_end_first(&mut self) {
        self.head.ticks_before_end_first();
    }

    fn oldest_tick(&self) -> Option<u64> {
        self.head.oldest_tick()
    }

    fn destroy_tick(&self) -> Option<u64> {
        self.head.destroy_tick()
    }

    fn end_emitted(&self) -> bool {
        self.head.end_emitted()
    }

    fn resume_queued(&self) -> bool {
        self.head.resume_queued()
    }

    fn queued_resume(&self) -> Option<u64> {
        self.head.queued_resume()
    }

    fn queued_flow(&self) -> Option<u64> {
        self.head.queued_flow()
    }

    fn listen_data(&mut self) {
        self.head.listen_data();
    }

    fn queued_end(&self) -> Option<u64> {
        self.head.queued_end()
    }

    fn run_due_finish(&mut self) {
        self.head.run_due_finish();
    }

    fn flush_events(&mut self) {
        self.head.flush_events();
    }

    fn piping(&mut self, attached: bool) {
        self.head.piping(attached);
    }

    fn poll_ahead(&mut self, cx: &mut Context<'_>) -> Result<()> {
        self.head
            .poll_ahead(cx)
            .map_err(|error| error.or_reading(self.head.origin()))
    }

    fn destroy(&mut self, error: Option<Error>) {
        self.head.destroy(error);
    }

    fn is_ended(&self) -> bool {
        self.head.is_ended()
    }

    fn flows(&self) -> bool {
        self.head.flows()
    }

    fn label(&self) -> Option<&str> {
        self.head.label()
    }

    fn failure(&self) -> Option<Error> {
        self.head.failure()
    }

    fn origin(&self) -> Option<&Path> {
        self.head.origin()
    }
}

impl<T: Chunk> Stream for Pipeline<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        self.get_mut().poll_next_chunk(cx)
    }
}

impl<T> std::fmt::Debug for Pipeline<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("stages", &self.stages)
            .field("on_error", &self.on_error)
            .finish_non_exhaustive()
    }
}

/// Starts a [`Pipeline`] at `source` (Node's `stream.pipeline`): the first
/// error destroys every stage, and the future returns it.
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::{pipeline, CollectSink, Duplex, Readable, ReadableExt, Writable};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let (sink, got) = CollectSink::new();
/// pipeline(Readable::from_iter([Bytes::from("x"), Bytes::from("y")]))
///     .pipe(Duplex::pass_through())
///     .pipe(Writable::new(sink))
///     .await?;
/// assert_eq!(got.take().concat(), b"xy");
/// # Ok(())
/// # }
/// ```
pub fn pipeline<T: Chunk>(source: impl ReadableStream<Output = T> + 'static) -> Pipeline<T> {
    Pipeline::from_stream(source)
}
