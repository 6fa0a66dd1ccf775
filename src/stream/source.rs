//! [`Source`]: what produces a [`Readable`](crate::Readable)'s data (Node's
//! `_read`), and the sources smerge provides for streams and iterators.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use pin_project::pin_project;

use super::buffer::Push;
use super::chunk::Chunk;
use super::error::{Error, Result};

/// The producer behind a [`Readable`](crate::Readable): Node's `_read`.
///
/// The engine calls [`poll_read`](Source::poll_read) when the readable's
/// buffer is below its highWaterMark (or empty while a consumer waits), and
/// never twice at once: the call has `&mut self`. The source pushes zero or
/// more chunks, or the end, and returns:
///
/// - `Poll::Ready(Ok(()))` after pushing something or the end; the engine asks
///   again while [`Push::push`] returned `true`;
/// - `Poll::Pending` when nothing is available yet, after arranging for the
///   context's waker to be woken, as any future does;
/// - `Poll::Ready(Err(e))` on failure; the readable is then destroyed with `e`.
///
/// A source that returns `Ready(Ok(()))` without pushing anything is asked
/// again at once, so it must not do that forever.
///
/// See [`Push`] for an example. The inverse is [`Sink`](crate::Sink).
pub trait Source<T>: Send {
    /// Pushes available data into `out`; see the trait documentation.
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, T>,
    ) -> Poll<Result<()>>;

    /// Releases what the source holds, when its readable is destroyed before
    /// the end (Node's `_destroy`). `error` is why, if there was an error.
    fn destroy(self: Pin<&mut Self>, error: Option<&Error>) {
        let _ = error;
    }
}

/// A [`Source`] that takes its chunks from a [`Stream`] of results, one per
/// poll: the way any `tokio_stream::Stream` becomes a
/// [`Readable`](crate::Readable) (see [`Readable::from_stream`](crate::Readable::from_stream)).
#[pin_project]
#[derive(Debug)]
pub struct StreamSource<S> {
    #[pin]
    stream: Option<S>,
}

impl<S> StreamSource<S> {
    /// Wraps `stream`.
    pub fn new(stream: S) -> Self {
        StreamSource {
            stream: Some(stream),
        }
    }
}

impl<S, T, E> Source<T> for StreamSource<S>
where
    S: Stream<Item = std::result::Result<T, E>> + Send,
    T: Chunk,
    E: Into<Error>,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, T>,
    ) -> Poll<Result<()>> {
        let mut this = self.project();
        let Some(stream) = this.stream.as_mut().as_pin_mut() else {
            out.end();
            return Poll::Ready(Ok(()));
        };
        match stream.poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(chunk))) => {
                out.push(chunk);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Some(Err(err))) => {
                this.stream.set(None);
                Poll::Ready(Err(err.into()))
            }
            Poll::Ready(None) => {
                this.stream.set(None);
                out.end();
                Poll::Ready(Ok(()))
            }
        }
    }

    fn destroy(self: Pin<&mut Self>, _error: Option<&Error>) {
        self.project().stream.set(None);
    }
}

/// A [`Source`] that pushes the items of an iterator, as many per call as the
/// buffer takes: the source of [`Readable::from_iter`](crate::Readable::from_iter).
#[derive(Debug)]
pub struct IterSource<I> {
    iter: Option<I>,
}

impl<I> IterSource<I> {
    /// Wraps `iter`.
    pub fn new(iter: I) -> Self {
        IterSource { iter: Some(iter) }
    }
}

// The iterator is only ever used through `&mut`, never pinned.
impl<I> Unpin for IterSource<I> {}

impl<I> Source<I::Item> for IterSource<I>
where
    I: Iterator + Send,
    I::Item: Chunk,
{
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        out: &mut Push<'_, I::Item>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        let Some(iter) = this.iter.as_mut() else {
            out.end();
            return Poll::Ready(Ok(()));
        };
        loop {
            match iter.next() {
                Some(item) => {
                    if !out.push(item) {
                        return Poll::Ready(Ok(()));
                    }
                }
                None => {
                    this.iter = None;
                    out.end();
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }

    fn destroy(self: Pin<&mut Self>, _error: Option<&Error>) {
        self.get_mut().iter = None;
    }
}
