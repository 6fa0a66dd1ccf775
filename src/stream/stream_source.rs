//! [`StreamSource`]: a [`Stream`] of results as a [`ReadSource`].

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use pin_project::pin_project;

use super::chunk::Chunk;
use super::error::{Error, Result};
use super::push::Push;
use super::read_source::ReadSource;

/// A [`ReadSource`] that takes its chunks from a [`Stream`] of results, one
/// per poll: the way any `futures` or `tokio_stream` stream becomes a
/// [`Readable`](crate::Readable) (see
/// [`Readable::from_stream`](crate::Readable::from_stream)).
///
/// # Examples
///
/// ```
/// use smerge::{Readable, ReadableExt, StreamSource};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let items = tokio_stream::iter([Ok::<_, std::io::Error>(1u32), Ok(2)]);
/// let readable = Readable::new(StreamSource::new(items));
/// assert_eq!(readable.collect_vec().await?, [1, 2]);
/// # Ok(())
/// # }
/// ```
///
/// The stream's first error fails the readable; the stream is dropped then.
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

impl<S, T, E> ReadSource<T> for StreamSource<S>
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
