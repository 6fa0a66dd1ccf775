//! [`WriterSink`]: any [`AsyncWrite`] as a [`WriteSink`].

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use pin_project::pin_project;
use tokio::io::AsyncWrite;

use super::error::{Error, Result};
use super::write_queue::WriteQueue;
use super::write_sink::{WriteSink, runtime_entered};

/// How many queued chunks one vectored write hands to the operating system.
const MAX_IO_SLICES: usize = 64;

/// The [`WriteSink`] of [`Writable::from_writer`](crate::Writable::from_writer):
/// writes queued bytes into an [`AsyncWrite`], several chunks per vectored
/// write; its final hook flushes and shuts the writer down.
///
/// # Examples
///
/// ```
/// use smerge::{Readable, ReadableExt, Writable, WriterSink};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let out = Writable::new(WriterSink::new(tokio::io::sink()));
/// Readable::from_iter([bytes::Bytes::from("dropped")]).pipe(out).await?;
/// # Ok(())
/// # }
/// ```
///
/// `write()` hands chunks to the writer at once (as Node's `write()` calls
/// `_write`) only inside a tokio runtime: tokio's files and standard
/// streams need one. Outside, they wait for the writable's next poll.
///
/// An empty chunk is skipped, never written: a writer answers it with 0,
/// which would read as a writer that stopped taking bytes.
#[pin_project]
#[derive(Debug)]
pub struct WriterSink<W> {
    #[pin]
    writer: W,
    flushed: bool,
}

impl<W> WriterSink<W> {
    /// Wraps `writer`.
    pub fn new(writer: W) -> Self {
        WriterSink {
            writer,
            flushed: false,
        }
    }

    /// The writer.
    pub fn get_ref(&self) -> &W {
        &self.writer
    }

    /// The writer, mutably.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.writer
    }

    /// The writer, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut W> {
        self.project().writer
    }

    /// Unwraps the writer.
    pub fn into_inner(self) -> W {
        self.writer
    }
}

impl<W: AsyncWrite + Send> WriteSink<Bytes> for WriterSink<W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<Bytes>,
    ) -> Poll<Result<()>> {
        let mut writer = self.project().writer;
        // An empty chunk has nothing to hand over, and a writer answers it
        // with 0, which would read as a writer that stopped taking bytes.
        while queue.front().is_some_and(Bytes::is_empty) {
            queue.pop();
        }
        if queue.is_empty() {
            return Poll::Ready(Ok(()));
        }
        let written = if queue.len() > 1 && writer.is_write_vectored() {
            let mut slices = [IoSlice::new(&[]); MAX_IO_SLICES];
            let filled = queue.io_slices(&mut slices);
            ready!(writer.as_mut().poll_write_vectored(cx, &slices[..filled]))?
        } else {
            let front = queue
                .front()
                .expect("the engine writes only a non-empty queue");
            ready!(writer.as_mut().poll_write(cx, front))?
        };
        if written == 0 {
            return Poll::Ready(Err(Error::io(io::Error::from(io::ErrorKind::WriteZero))));
        }
        queue.advance(written);
        Poll::Ready(Ok(()))
    }

    fn poll_final(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.project();
        let mut writer = this.writer;
        if !*this.flushed {
            ready!(writer.as_mut().poll_flush(cx))?;
            *this.flushed = true;
        }
        ready!(writer.poll_shutdown(cx))?;
        Poll::Ready(Ok(()))
    }

    /// Only inside a tokio runtime: tokio's files and standard streams
    /// hand their writes to the runtime's blocking threads.
    fn starts_at_once(&self) -> bool {
        runtime_entered()
    }
}
