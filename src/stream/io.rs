//! Adapters between smerge streams and the rest of async Rust: any
//! [`AsyncRead`] or [`Stream`](futures_core::Stream) becomes a
//! [`Readable`], any [`AsyncWrite`] or [`futures_sink::Sink`] becomes a
//! [`Writable`], and back again.
//!
//! The conversions back reuse tokio-util: a `Readable<Bytes>` is an
//! `AsyncRead` through [`StreamReader`], a `Writable<Bytes>` is an
//! `AsyncWrite` through [`SinkWriter`] and [`CopyToBytes`], because a
//! `Readable` is a [`Stream`](futures_core::Stream) and a `Writable` is a
//! [`futures_sink::Sink`].

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use pin_project::pin_project;
use tokio::io::AsyncWrite;
use tokio_util::io::{CopyToBytes, SinkWriter, StreamReader};

use super::chunk::Chunk;
use super::error::{Error, Result};
use super::queue::WriteQueue;
use super::readable::Readable;
use super::sink::Sink;
use super::sides::WritableStream;
use super::writable::Writable;

/// How many queued chunks one vectored write hands to the operating system.
const MAX_IO_SLICES: usize = 64;

impl From<Error> for io::Error {
    fn from(error: Error) -> io::Error {
        error.into_io()
    }
}

/// The [`Sink`] of [`Writable::from_writer`]: writes queued bytes into an
/// [`AsyncWrite`], several chunks per vectored write; its final hook flushes
/// and shuts the writer down.
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

impl<W: AsyncWrite + Send> Sink<Bytes> for WriterSink<W> {
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
}

/// The [`Sink`] of [`Writable::from_sink`]: hands chunks to any
/// [`futures_sink::Sink`], such as tokio-util's `PollSender` or a
/// `FramedWrite`; its final hook closes the sink.
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

impl<S, T, E> Sink<T> for SinkAdapter<S>
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
}

impl<T: Chunk> Writable<T> {
    /// A writable that hands its chunks to any [`futures_sink::Sink`];
    /// ending it closes the sink.
    pub fn from_sink<S, E>(sink: S) -> Self
    where
        S: futures_sink::Sink<T, Error = E> + Send + 'static,
        E: Into<Error> + 'static,
    {
        Writable::new(SinkAdapter::new(sink))
    }
}

/// A [`Writable`] is a [`futures_sink::Sink`]: `poll_ready` waits for
/// `drain` once the highWaterMark is reached, `poll_close` ends the stream
/// and waits for `finish`.
impl<T: Chunk> futures_sink::Sink<T> for Writable<T> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        if this.writable_length() < this.high_water_mark() {
            return Poll::Ready(Ok(()));
        }
        this.poll_drain(cx)
    }

    fn start_send(self: Pin<&mut Self>, chunk: T) -> Result<()> {
        self.get_mut().write(chunk).map(drop)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_drain(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        if !this.is_ended() {
            this.end()?;
        }
        this.poll_finish(cx)
    }
}

impl Readable<Bytes> {
    /// This stream as an [`AsyncRead`](tokio::io::AsyncRead) (and `AsyncBufRead`), through
    /// tokio-util's [`StreamReader`]; the inverse of
    /// [`Readable::from_reader`].
    pub fn into_async_read(self) -> StreamReader<Readable<Bytes>, Bytes> {
        StreamReader::new(self)
    }
}

impl Writable<Bytes> {
    /// This stream as an [`AsyncWrite`], through tokio-util's
    /// [`SinkWriter`]; shutting it down ends the stream and waits for
    /// `finish`. The inverse of [`Writable::from_writer`].
    pub fn into_async_write(self) -> SinkWriter<CopyToBytes<Writable<Bytes>>> {
        SinkWriter::new(CopyToBytes::new(self))
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    #[tokio::test]
    async fn empty_chunks_reach_a_writer_as_nothing() {
        let (client, mut server) = tokio::io::duplex(64);
        let mut w = Writable::from_writer(client);
        w.write(Bytes::new()).unwrap();
        w.write(Bytes::from_static(b"ab")).unwrap();
        w.write(Bytes::new()).unwrap();
        w.close().await.unwrap();
        let mut written = Vec::new();
        server.read_to_end(&mut written).await.unwrap();
        assert_eq!(written, b"ab");
    }
}
