//! [`PipelineFuture`]: a complete pipeline, as a future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::chunk::Chunk;
use super::error::{Error, ErrorKind, Result};
use super::pump::Pump;
use super::readable_stream::ReadableStream;
use super::writable_stream::WritableStream;

/// A complete pipeline, as a future: resolves once every destination
/// finished, or with the first error.
///
/// Dropping it before it resolves destroys every stage (an atomic file
/// destination is then discarded).
#[must_use = "a pipeline does nothing unless awaited"]
pub struct PipelineFuture<T> {
    head: Box<dyn ReadableStream<Output = T>>,
    destinations: Vec<Box<dyn WritableStream<Input = T>>>,
    pump: Pump<T>,
    /// Position of the first destination in the pipeline.
    first_destination: usize,
    cancel: Option<Pin<Box<WaitForCancellationFutureOwned>>>,
    /// The outcome, once every stage is done: returned at the next poll,
    /// as Node calls a pipeline's callback on the next tick.
    outcome: Option<Result<()>>,
}

impl<T: Chunk> PipelineFuture<T> {
    /// Pipes `head` into `destinations` at once, as Node's `pipeline()`
    /// does: `pipe` on each, and the head flows unless one of them already
    /// waits for `drain`.
    pub(crate) fn new(
        mut head: Box<dyn ReadableStream<Output = T>>,
        mut destinations: Vec<Box<dyn WritableStream<Input = T>>>,
        mut pump: Pump<T>,
        first_destination: usize,
    ) -> Self {
        pump.start(&mut *head, &mut destinations);
        PipelineFuture {
            head,
            destinations,
            pump,
            first_destination,
            cancel: None,
            outcome: None,
        }
    }

    /// Destroys every stage with [`ErrorKind::Aborted`](crate::ErrorKind::Aborted) when `token` is
    /// cancelled; the future then returns that error.
    pub fn with_cancel(mut self, token: CancellationToken) -> Self {
        self.cancel = Some(Box::pin(token.cancelled_owned()));
        self
    }

    /// Delivers what every stage deferred (`error`, `close`): the future
    /// resolves after each stage's last events, as Node's callback does.
    fn flush_events(&mut self) {
        self.head.flush_events();
        for destination in &mut self.destinations {
            destination.flush_events();
        }
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
        if let Some(outcome) = this.outcome.take() {
            return Poll::Ready(outcome);
        }
        if let Some(cancel) = this.cancel.as_mut()
            && cancel.as_mut().poll(cx).is_ready()
        {
            this.cancel = None;
            let error = Error::from_kind(ErrorKind::Aborted);
            this.destroy_all(&error);
            this.flush_events();
            return Poll::Ready(Err(error));
        }
        let index = this.first_destination;
        let outcome = ready!(this.pump.poll(cx, &mut *this.head, &mut this.destinations));
        this.flush_events();
        this.outcome = Some(outcome.map_err(|error| error.or_stage(index, None)));
        cx.waker().wake_by_ref();
        Poll::Pending
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
