//! [`PipelineFuture`]: a complete pipeline, as a future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

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
}

impl<T: Chunk> PipelineFuture<T> {
    pub(crate) fn new(
        head: Box<dyn ReadableStream<Output = T>>,
        destinations: Vec<Box<dyn WritableStream<Input = T>>>,
        pump: Pump<T>,
        first_destination: usize,
    ) -> Self {
        PipelineFuture {
            head,
            destinations,
            pump,
            first_destination,
            cancel: None,
        }
    }

    /// Destroys every stage with [`ErrorKind::Aborted`](crate::ErrorKind::Aborted) when `token` is
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
            .map_err(|error| error.or_stage(index, None))
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
