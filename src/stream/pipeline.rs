//! [`pipeline`]: a chain of stages that owns them all — source, transforms,
//! destination — and runs as one future (Node's `stream.pipeline`).
//!
//! The first error anywhere destroys every stage that has not finished,
//! with that error, and is what the future returns, saying which stage
//! failed. Success means the last stage finished. Dropping the future, or
//! cancelling its [`CancellationToken`], destroys every stage too.
//!
//! One poll of the future walks the chain: each link asks its upstream for
//! chunks while its stage takes them, and the stage's output goes on
//! downstream; so reading overlaps writing without a task or a channel per
//! stage.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::chunk::Chunk;
use super::duplex::Duplex;
use super::error::{Error, ErrorKind, Result};
use super::pipe::{OnError, PipeOptions, Pump};
use super::readable::Readable;
use super::sides::{ReadableStream, WritableStream, collect_chunks, concat_bytes};
use super::transform::Transform;
use super::writable::Writable;

/// An open chain of stages whose output is `T`: a source and any number of
/// transforms, not yet attached to a destination.
///
/// [`pipe`](Pipeline::pipe) adds a stage: a [`Duplex`] or a [`Transform`]
/// extends the chain, a [`Writable`] (or several) completes it into a
/// [`PipelineFuture`]. A `Pipeline` is itself a readable stream, so its
/// output can also be read directly or iterated.
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::{pipeline, PassThrough, Readable, Writable};
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
    head: Box<dyn ReadableStream<T>>,
    on_error: OnError,
    stages: usize,
}

impl<T: Chunk> Pipeline<T> {
    /// A pipeline starting at `source`, with `pipeline` semantics: the first
    /// error destroys every stage.
    pub fn from_stream(source: impl ReadableStream<T> + 'static) -> Self {
        Pipeline {
            head: Box::new(source),
            on_error: OnError::DestroyAll,
            stages: 1,
        }
    }

    /// A chain with Node's `pipe` semantics: an error stops the chain but
    /// does not destroy the other stages (they are dropped with it).
    pub(crate) fn piped(source: impl ReadableStream<T> + 'static) -> Self {
        Pipeline {
            on_error: OnError::Stop,
            ..Pipeline::from_stream(source)
        }
    }

    /// Adds `target` to the chain: a transform or duplex extends it, a
    /// writable completes it.
    pub fn pipe<P: PipeTarget<T>>(self, target: P) -> P::Output {
        target.attach(self)
    }

    /// Reads every output chunk into a vector.
    pub async fn collect_vec(mut self) -> Result<Vec<T>> {
        collect_chunks(&mut *self.head).await
    }

    fn extend<O: Chunk>(self, stage: Duplex<T, O>) -> Pipeline<O> {
        let index = self.stages;
        Pipeline {
            head: Box::new(Link {
                upstream: self.head,
                stage,
                index,
                upstream_done: false,
                on_error: self.on_error,
            }),
            on_error: self.on_error,
            stages: index + 1,
        }
    }

    fn complete(
        self,
        destinations: Vec<Box<dyn WritableStream<T>>>,
        fanout: Option<fn(&T) -> T>,
    ) -> PipelineFuture<T> {
        let count = destinations.len();
        PipelineFuture {
            pump: Pump::new(count, PipeOptions::default(), self.on_error, fanout)
                .naming_source(stage_name(self.stages - 1, self.head.label())),
            head: self.head,
            destinations,
            first_destination: self.stages,
            cancel: None,
        }
    }
}

impl Pipeline<Bytes> {
    /// Reads all output into one [`Bytes`].
    pub async fn to_bytes(self) -> Result<Bytes> {
        Ok(concat_bytes(self.collect_vec().await?))
    }
}

impl<T: Chunk> ReadableStream<T> for Pipeline<T> {
    fn poll_next_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        self.head.poll_next_chunk(cx)
    }

    fn pause(&mut self) {
        self.head.pause();
    }

    fn resume(&mut self) {
        self.head.resume();
    }

    fn destroy(&mut self, error: Option<Error>) {
        self.head.destroy(error);
    }

    fn is_ended(&self) -> bool {
        self.head.is_ended()
    }

    fn label(&self) -> Option<&str> {
        self.head.label()
    }
}

impl<T: Chunk> Stream for Pipeline<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        self.get_mut().head.poll_next_chunk(cx)
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
/// use smerge::{pipeline, Duplex, PassThrough, Readable, Writable};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let (sink, got) = smerge::sink::CollectSink::new();
/// pipeline(Readable::from_iter([Bytes::from("x"), Bytes::from("y")]))
///     .pipe(Duplex::pass_through())
///     .pipe(Writable::new(sink))
///     .await?;
/// assert_eq!(got.take().concat(), b"xy");
/// # Ok(())
/// # }
/// ```
pub fn pipeline<T: Chunk>(source: impl ReadableStream<T> + 'static) -> Pipeline<T> {
    Pipeline::from_stream(source)
}

/// Something a [`Pipeline`] (or [`Readable::pipe`]) can pipe into.
///
/// Implemented by [`Duplex`] and every [`Transform`] (the chain goes on), by
/// [`Writable`] (the chain is complete: a [`PipelineFuture`]), and by a
/// `Vec<Writable<T>>` (several destinations, each getting every chunk).
pub trait PipeTarget<T: Chunk> {
    /// What piping into this gives.
    type Output;

    /// Attaches this target to the end of `pipeline`.
    fn attach(self, pipeline: Pipeline<T>) -> Self::Output;
}

impl<I: Chunk, O: Chunk> PipeTarget<I> for Duplex<I, O> {
    type Output = Pipeline<O>;

    fn attach(self, pipeline: Pipeline<I>) -> Pipeline<O> {
        pipeline.extend(self)
    }
}

impl<X: Transform + Unpin> PipeTarget<X::Input> for X {
    type Output = Pipeline<X::Output>;

    fn attach(self, pipeline: Pipeline<X::Input>) -> Pipeline<X::Output> {
        pipeline.extend(Duplex::transform(self))
    }
}

impl<T: Chunk> PipeTarget<T> for Writable<T> {
    type Output = PipelineFuture<T>;

    fn attach(self, pipeline: Pipeline<T>) -> PipelineFuture<T> {
        pipeline.complete(vec![Box::new(self)], None)
    }
}

impl<T: Chunk + Clone> PipeTarget<T> for Vec<Writable<T>> {
    type Output = PipelineFuture<T>;

    fn attach(self, pipeline: Pipeline<T>) -> PipelineFuture<T> {
        let destinations = self
            .into_iter()
            .map(|w| Box::new(w) as Box<dyn WritableStream<T>>)
            .collect();
        pipeline.complete(destinations, Some(T::clone))
    }
}

impl<T: Chunk> Readable<T> {
    /// Pipes this stream into `target` (Node's `readable.pipe(dest)`), taking
    /// ownership so calls chain: `source.pipe(gzip).pipe(file).await`.
    ///
    /// As with Node's `pipe`, an error stops the chain without destroying
    /// the other stages (they are dropped with the chain, which closes
    /// them); use [`pipeline`] to have each one destroyed with the error.
    pub fn pipe<P: PipeTarget<T>>(self, target: P) -> P::Output {
        target.attach(Pipeline::piped(self))
    }
}

impl<I: Chunk, O: Chunk> Duplex<I, O> {
    /// Pipes this stream's output into `target`; see [`Readable::pipe`].
    pub fn pipe<P: PipeTarget<O>>(self, target: P) -> P::Output {
        target.attach(Pipeline::piped(self))
    }
}

/// A stage of a pipeline with the chain before it: pulls from `upstream`
/// into `stage` while the stage takes chunks, and hands on its output.
struct Link<I, O> {
    upstream: Box<dyn ReadableStream<I>>,
    stage: Duplex<I, O>,
    /// Position in the pipeline, for errors from unnamed stages.
    index: usize,
    upstream_done: bool,
    on_error: OnError,
}

impl<I: Chunk, O: Chunk> Link<I, O> {
    /// Moves chunks from upstream into the stage until it is full or
    /// upstream has nothing. Returns whether anything moved.
    fn feed(&mut self, cx: &mut Context<'_>) -> Result<bool> {
        let mut fed = false;
        while !self.upstream_done && !WritableStream::needs_drain(&self.stage) {
            match self.upstream.poll_next_chunk(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    fed = true;
                    match self.stage.write(chunk) {
                        Ok(true) => {}
                        // Full: it waits for `drain`.
                        Ok(false) => break,
                        Err(error) => return Err(self.stage_failed(error)),
                    }
                }
                Poll::Ready(Some(Err(error))) => return Err(self.upstream_failed(error)),
                Poll::Ready(None) if !self.upstream.is_ended() => {
                    // Destroyed before its end: the stage must not end as if
                    // everything had arrived.
                    let error = Error::from_kind(ErrorKind::PrematureClose);
                    return Err(self.upstream_failed(error));
                }
                Poll::Ready(None) => {
                    self.upstream_done = true;
                    fed = true;
                    if let Err(error) = self.stage.end() {
                        return Err(self.stage_failed(error));
                    }
                }
                Poll::Pending => break,
            }
        }
        Ok(fed)
    }

    /// Upstream failed or closed before its end: nothing more is read from
    /// it, the error names the stage before this one if it does not say
    /// where it happened (the first stage's, or a premature close), and
    /// with `pipeline` semantics this stage is destroyed with it.
    fn upstream_failed(&mut self, error: Error) -> Error {
        self.upstream_done = true;
        let error = error.or_context(|| stage_name(self.index - 1, self.upstream.label()));
        if self.on_error == OnError::DestroyAll {
            self.stage.destroy(Some(error.clone()));
        }
        error
    }

    fn stage_failed(&mut self, error: Error) -> Error {
        let error = error.or_context(|| stage_name(self.index, ReadableStream::label(&self.stage)));
        if self.on_error == OnError::DestroyAll {
            self.stage.destroy(Some(error.clone()));
            self.upstream.destroy(Some(error.clone()));
        }
        error
    }
}

impl<I: Chunk, O: Chunk> ReadableStream<O> for Link<I, O> {
    fn poll_next_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<O>>> {
        loop {
            let was_blocked = WritableStream::needs_drain(&self.stage);
            let fed = match self.feed(cx) {
                Ok(fed) => fed,
                Err(error) => return Poll::Ready(Some(Err(error))),
            };
            match self.stage.poll_next_chunk(cx) {
                Poll::Ready(Some(Err(error))) => {
                    return Poll::Ready(Some(Err(self.stage_failed(error))));
                }
                Poll::Ready(other) => return Poll::Ready(other),
                Poll::Pending => {
                    let unblocked = was_blocked && !WritableStream::needs_drain(&self.stage);
                    if self.upstream_done || !(fed || unblocked) {
                        return Poll::Pending;
                    }
                }
            }
        }
    }

    fn pause(&mut self) {
        self.stage.pause();
    }

    fn resume(&mut self) {
        self.stage.resume();
    }

    fn destroy(&mut self, error: Option<Error>) {
        self.stage.destroy(error.clone());
        self.upstream.destroy(error);
    }

    fn is_ended(&self) -> bool {
        self.stage.is_ended()
    }

    fn label(&self) -> Option<&str> {
        ReadableStream::label(&self.stage)
    }
}

/// A complete pipeline, as a future: resolves once every destination
/// finished, or with the first error.
///
/// Dropping it before it resolves destroys every stage (an atomic file
/// destination is then discarded).
#[must_use = "a pipeline does nothing unless awaited"]
pub struct PipelineFuture<T> {
    head: Box<dyn ReadableStream<T>>,
    destinations: Vec<Box<dyn WritableStream<T>>>,
    pump: Pump<T>,
    /// Position of the first destination in the pipeline.
    first_destination: usize,
    cancel: Option<Pin<Box<WaitForCancellationFutureOwned>>>,
}

impl<T: Chunk> PipelineFuture<T> {
    /// Destroys every stage with [`ErrorKind::Aborted`] when `token` is
    /// cancelled; the future then returns that error.
    pub fn with_cancel(mut self, token: CancellationToken) -> Self {
        self.cancel = Some(Box::pin(token.cancelled_owned()));
        self
    }

    fn destroy_all(&mut self, error: &Error) {
        self.head.destroy(Some(error.clone()));
        for destination in &mut self.destinations {
            if !destination.is_finished() {
                destination.destroy(Some(error.clone()));
            }
        }
    }
}

impl<T: Chunk> Future for PipelineFuture<T> {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        if let Some(cancel) = this.cancel.as_mut()
            && cancel.as_mut().poll(cx).is_ready()
        {
            this.cancel = None;
            let error = Error::from_kind(ErrorKind::Aborted);
            this.destroy_all(&error);
            return Poll::Ready(Err(error));
        }
        let index = this.first_destination;
        this.pump
            .poll(cx, &mut *this.head, &mut this.destinations)
            .map_err(|error| error.or_context(|| stage_name(index, None)))
    }
}

impl<T> std::fmt::Debug for PipelineFuture<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelineFuture")
            .field("destinations", &self.destinations.len())
            .field("cancellable", &self.cancel.is_some())
            .finish_non_exhaustive()
    }
}

/// Something [`finished`] can wait for.
pub trait Finish {
    /// Drives the stream until it ended, finished, failed or closed early.
    fn poll_finished(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>>;
}

impl<T: Chunk> Finish for Readable<T> {
    fn poll_finished(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        discard_until_end(self, cx)
    }
}

impl<T: Chunk> Finish for Writable<T> {
    fn poll_finished(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if self.is_destroyed() && !self.is_finished() {
            return Poll::Ready(Err(premature_or(self.errored())));
        }
        self.poll_finish(cx)
    }
}

impl<I: Chunk, O: Chunk> Finish for Duplex<I, O> {
    fn poll_finished(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if self.is_destroyed() && !(self.is_finished() && self.is_ended()) {
            return Poll::Ready(Err(premature_or(self.errored())));
        }
        let readable = discard_until_end(self, cx)?;
        let writable = if self.is_finished() {
            Poll::Ready(())
        } else {
            self.poll_finish(cx)?
        };
        match (readable, writable) {
            (Poll::Ready(()), Poll::Ready(())) => Poll::Ready(Ok(())),
            _ => Poll::Pending,
        }
    }
}

/// Waits until `stream` ended (readable), finished (writable) or both
/// (duplex), failed, or was destroyed before that (Node's `finished`).
///
/// A readable side is consumed and its data dropped, as Node's `resume()`
/// does; a writable side must be ended by the caller first, as in Node.
///
/// # Errors
///
/// The stream's error, or [`ErrorKind::PrematureClose`] if it was destroyed
/// without one before it ended or finished.
pub async fn finished<S: Finish + ?Sized>(stream: &mut S) -> Result<()> {
    poll_fn(|cx| stream.poll_finished(cx)).await
}

fn discard_until_end<T: Chunk, S: ReadableStream<T> + ?Sized>(
    stream: &mut S,
    cx: &mut Context<'_>,
) -> Poll<Result<()>> {
    loop {
        match stream.poll_next_chunk(cx) {
            Poll::Ready(Some(Ok(_))) => {}
            Poll::Ready(Some(Err(error))) => return Poll::Ready(Err(error)),
            Poll::Ready(None) if stream.is_ended() => return Poll::Ready(Ok(())),
            Poll::Ready(None) => {
                return Poll::Ready(Err(Error::from_kind(ErrorKind::PrematureClose)));
            }
            Poll::Pending => return Poll::Pending,
        }
    }
}

fn premature_or(error: Option<&Error>) -> Error {
    error
        .cloned()
        .unwrap_or_else(|| Error::from_kind(ErrorKind::PrematureClose))
}

/// A label for stages in error messages.
fn stage_name(index: usize, label: Option<&str>) -> String {
    match label {
        Some(label) => format!("stage {index} ({label})"),
        None => format!("stage {index}"),
    }
}
