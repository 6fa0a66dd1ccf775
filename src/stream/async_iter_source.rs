//! [`AsyncIterSource`]: a [`Stream`] of plain items as a [`ReadSource`]
//! (Node's `Readable.from(asyncIterable)`).

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use pin_project::pin_project;

use super::chunk::Chunk;
use super::error::{Error, Result};
use super::push::Push;
use super::read_source::ReadSource;

/// A [`ReadSource`] that takes its chunks from a [`Stream`] of plain items,
/// which cannot fail: the source of
/// [`Readable::from_async_iter`](crate::Readable::from_async_iter). A
/// stream of `Result`s is a [`StreamSource`](crate::StreamSource).
///
/// Like Node's `Readable.from`, the stream is polled only while the
/// readable's buffer has room, so a slow consumer slows the producer.
///
/// # Examples
///
/// ```
/// use smerge::{AsyncIterSource, Readable, ReadableExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let readable = Readable::new(AsyncIterSource::new(tokio_stream::iter(["a", "b"])));
/// assert_eq!(readable.collect_vec().await?, ["a", "b"]);
/// # Ok(())
/// # }
/// ```
#[pin_project]
#[derive(Debug)]
pub struct AsyncIterSource<S> {
    #[pin]
    stream: Option<S>,
}

impl<S> AsyncIterSource<S> {
    /// Wraps `stream`.
    pub fn new(stream: S) -> Self {
        AsyncIterSource {
            stream: Some(stream),
        }
    }
}

impl<S, T> ReadSource<T> for AsyncIterSource<S>
where
    S: Stream<Item = T> + Send,
    T: Chunk,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, T>,
    ) -> Poll<Result<()>> {
        let mut this = self.project();
        let Some(mut stream) = this.stream.as_mut().as_pin_mut() else {
            out.end();
            return Poll::Ready(Ok(()));
        };
        let mut pushed = false;
        loop {
            match stream.as_mut().poll_next(cx) {
                Poll::Pending if pushed => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(chunk)) => {
                    pushed = true;
                    if !out.push(chunk) {
                        return Poll::Ready(Ok(()));
                    }
                }
                Poll::Ready(None) => {
                    this.stream.set(None);
                    out.end();
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }

    fn destroy(self: Pin<&mut Self>, _error: Option<&Error>) {
        self.project().stream.set(None);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::Readable;

    /// Node's `Readable.from` pulls only while the buffer has room; each
    /// `read()` asks once, before it takes, if what it leaves is below the
    /// mark.
    #[test]
    fn the_stream_is_polled_only_while_the_buffer_has_room() {
        let produced = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&produced);
        let items = tokio_stream::iter((0u32..100).inspect(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        }));
        let mut readable = Readable::from_async_iter(items).with_high_water_mark(3);
        assert_eq!(readable.read(), Some(0));
        assert_eq!(produced.load(Ordering::SeqCst), 3);
        assert_eq!(readable.read(), Some(1));
        assert_eq!(produced.load(Ordering::SeqCst), 3 + 1);
    }
}
