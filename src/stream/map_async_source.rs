//! [`MapAsyncSource`]: a [`ReadSource`] that reads another stream and runs
//! an async closure on each chunk, several at once, keeping their order:
//! the source of [`ReadableExt::map_async`](crate::ReadableExt::map_async).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::chunk::Chunk;
use super::error::{Error, Result};
use super::ordered::Ordered;
use super::push::Push;
use super::read_source::ReadSource;
use super::readable_stream::ReadableStream;

/// Starts `map(chunk)` for up to `concurrency` chunks of `upstream` at once
/// and pushes the results in the chunks' order (Node's
/// `map(fn, { concurrency })`).
pub(crate) struct MapAsyncSource<S, F, Fut: Future> {
    upstream: Option<S>,
    map: F,
    in_flight: Ordered<Fut>,
    concurrency: usize,
}

impl<S, F, Fut, U> MapAsyncSource<S, F, Fut>
where
    Fut: Future<Output = Result<U>>,
{
    pub(crate) fn new(upstream: S, concurrency: usize, map: F) -> Self {
        MapAsyncSource {
            upstream: Some(upstream),
            map,
            in_flight: Ordered::new(),
            concurrency: concurrency.max(1),
        }
    }
}

// The futures are boxed; the upstream and the closure are never pinned.
impl<S, F, Fut: Future> Unpin for MapAsyncSource<S, F, Fut> {}

impl<S, F, Fut, U> ReadSource<U> for MapAsyncSource<S, F, Fut>
where
    S: ReadableStream,
    F: FnMut(S::Output) -> Fut + Send,
    Fut: Future<Output = Result<U>> + Send,
    U: Chunk,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, U>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        let mut pushed = false;
        loop {
            // Read ahead while a slot is free.
            while this.in_flight.len() < this.concurrency
                && let Some(upstream) = this.upstream.as_mut()
            {
                match upstream.poll_next_chunk(cx) {
                    Poll::Pending => break,
                    Poll::Ready(None) => this.upstream = None,
                    Poll::Ready(Some(Ok(chunk))) => this.in_flight.start((this.map)(chunk)),
                    Poll::Ready(Some(Err(error))) => {
                        this.upstream = None;
                        this.in_flight.clear();
                        return Poll::Ready(Err(error));
                    }
                }
            }
            match this.in_flight.poll_next(cx) {
                Poll::Ready(Some(Ok(output))) => {
                    pushed = true;
                    if !out.push(output) {
                        return Poll::Ready(Ok(()));
                    }
                }
                Poll::Ready(Some(Err(error))) => {
                    this.in_flight.clear();
                    if let Some(mut upstream) = this.upstream.take() {
                        upstream.destroy(Some(error.clone()));
                    }
                    return Poll::Ready(Err(error));
                }
                Poll::Ready(None) if this.upstream.is_none() => {
                    out.end();
                    return Poll::Ready(Ok(()));
                }
                Poll::Ready(None) | Poll::Pending if pushed => return Poll::Ready(Ok(())),
                Poll::Ready(None) | Poll::Pending => return Poll::Pending,
            }
        }
    }

    fn destroy(self: Pin<&mut Self>, error: Option<&Error>) {
        let this = self.get_mut();
        this.in_flight.clear();
        if let Some(mut upstream) = this.upstream.take() {
            upstream.destroy(error.cloned());
        }
    }
}
