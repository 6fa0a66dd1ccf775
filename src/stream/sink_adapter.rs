//! [`SinkAdapter`]: any [`futures_sink::Sink`] as a [`WriteSink`].

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project::pin_project;

use super::chunk::Chunk;
use super::error::{Error, Result};
use super::write_queue::WriteQueue;
use super::write_sink::{WriteSink, runtime_entered};

/// The [`WriteSink`] of [`Writable::from_sink`](crate::Writable::from_sink):
/// hands chunks to any [`futures_sink::Sink`], such as tokio-util's
/// `PollSender` or a `FramedWrite`; its final hook closes the sink.
///
/// # Examples
///
/// ```
/// use futures_util::SinkExt;
/// use smerge::{Readable, ReadableExt, SinkAdapter, Writable};
/// use tokio_util::sync::PollSender;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(4);
/// let sender = PollSender::new(tx).sink_map_err(|_| smerge::ErrorKind::Destroyed);
/// let out = Writable::new(SinkAdapter::new(sender));
/// Readable::from_iter([1u32, 2]).pipe(out).await?;
/// assert_eq!((rx.recv().await, rx.recv().await), (Some(1), Some(2)));
/// # Ok(())
/// # }
/// ```
///
/// One chunk is handed over per `start_send`; the sink is flushed whenever
/// the writable's queue empties, so data never waits in it for a `drain`.
#[pin_project]
#[derive(Debug)]
pub struct SinkAdapter<S> {
    #[pin]
    sink: S,
}

impl<S> SinkAdapter<S> {
    /// Wraps `sink`.
    pub fn new(sink: S) -> Self {
        SinkAdapter { sink }
    }

    /// Unwraps the sink.
    pub fn into_inner(self) -> S {
        self.sink
    }
}

impl<S, T, E> WriteSink<T> for SinkAdapter<S>
where
    S: futures_sink::Sink<T, Error = E> + Send,
    T: Chunk,
    E: Into<Error>,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<T>,
    ) -> Poll<Result<()>> {
        let mut sink = self.project().sink;
        ready!(sink.as_mut().poll_ready(cx)).map_err(Into::into)?;
        let chunk = queue
            .pop()
            .expect("the engine writes only a non-empty queue");
        sink.as_mut().start_send(chunk).map_err(Into::into)?;
        if queue.is_empty() {
            // Push it through: the writable's queue is empty, so a `drain`
            // may follow and the data must not sit in the sink's buffer.
            let _ = sink.poll_flush(cx).map_err(Into::into)?;
        }
        Poll::Ready(Ok(()))
    }

    fn poll_final(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.project().sink.poll_close(cx).map_err(Into::into)
    }

    /// Only inside a tokio runtime: a sink over tokio's I/O may need one.
    fn starts_at_once(&self) -> bool {
        runtime_entered()
    }
}
