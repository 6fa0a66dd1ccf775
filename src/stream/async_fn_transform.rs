//! [`AsyncFnTransform`]: a [`Transform`] made of an async closure, with
//! several chunks in flight when asked (Node's `map(fn, { concurrency })`).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::task::{Context, Poll};

use super::chunk::Chunk;
use super::error::Result;
use super::ordered::Ordered;
use super::push::Push;
use super::transform::Transform;

/// A [`Transform`] made of an async closure, for work that waits (a
/// lookup, a request, a child's answer): Node's transform that calls its
/// callback later, or `map(asyncFn, { concurrency })`.
///
/// The closure gets each chunk and returns a future of its outputs (any
/// `IntoIterator`: `Some(x)`, `[x]`, a `Vec`, `None` to drop the chunk).
/// With [`concurrency`](AsyncFnTransform::concurrency) `n`, up to `n`
/// futures run at once; their outputs are pushed in the order the chunks
/// came, whatever order the futures finish in. The default is 1: one chunk
/// at a time, as a Node `Transform` does. A chunk in flight counts in the
/// writable side's length until its output was pushed, so backpressure
/// crosses the transform as it does in Node.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use smerge::{AsyncFnTransform, Readable, ReadableExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// // Later chunks finish first; the output keeps the input's order.
/// let slow_square = AsyncFnTransform::new(|n: u64| async move {
///     tokio::time::sleep(Duration::from_millis(10 * (4 - n))).await;
///     Ok(Some(n * n))
/// })
/// .concurrency(3);
/// let squares = Readable::from_iter([1u64, 2, 3]).pipe(slow_square);
/// assert_eq!(squares.collect_vec().await?, [1, 4, 9]);
/// # Ok(())
/// # }
/// ```
///
/// An `Err` from a future fails the stream (Node: `callback(err)`): what
/// was not read yet is dropped, and no later chunk's output is pushed.
pub struct AsyncFnTransform<I, O, F, Fut: Future> {
    start: F,
    in_flight: Ordered<Fut>,
    concurrency: usize,
    flushing: bool,
    _types: PhantomData<fn(I) -> O>,
}

impl<I, O, F, Fut, Out> AsyncFnTransform<I, O, F, Fut>
where
    I: Chunk,
    O: Chunk,
    F: FnMut(I) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Out>> + Send + 'static,
    Out: IntoIterator<Item = O> + Send + 'static,
{
    /// A transform that runs `start(chunk)` for each chunk and pushes what
    /// its future gives.
    pub fn new(start: F) -> Self {
        AsyncFnTransform {
            start,
            in_flight: Ordered::new(),
            concurrency: 1,
            flushing: false,
            _types: PhantomData,
        }
    }

    /// Lets up to `n` chunks be in flight at once (at least 1); outputs
    /// keep the input's order.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Pushes the outputs of the futures done, in order; `Ready(Ok)` once
    /// fewer than `limit` are left in flight.
    fn poll_outputs(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut Push<'_, O>,
        limit: usize,
    ) -> Poll<Result<()>> {
        loop {
            match self.in_flight.poll_next(cx) {
                Poll::Ready(Some(Ok(outputs))) => {
                    for output in outputs {
                        out.push(output);
                    }
                }
                Poll::Ready(Some(Err(error))) => {
                    self.in_flight.clear();
                    return Poll::Ready(Err(error));
                }
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Pending if self.in_flight.len() < limit => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<I, O, F, Fut, Out> Transform for AsyncFnTransform<I, O, F, Fut>
where
    I: Chunk,
    O: Chunk,
    F: FnMut(I) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Out>> + Send + 'static,
    Out: IntoIterator<Item = O> + Send + 'static,
{
    type Input = I;
    type Output = O;

    fn transform(&mut self, chunk: I, _out: &mut Push<'_, O>) -> Result<()> {
        self.in_flight.start((self.start)(chunk));
        Ok(())
    }

    fn flush(&mut self, _out: &mut Push<'_, O>) -> Result<()> {
        self.flushing = true;
        Ok(())
    }

    fn poll_ready(&mut self, cx: &mut Context<'_>, out: &mut Push<'_, O>) -> Poll<Result<()>> {
        // At the end every future must be done; before it, a free slot is enough.
        let limit = if self.flushing { 1 } else { self.concurrency };
        match self.poll_outputs(cx, out, limit) {
            Poll::Ready(Ok(())) if self.flushing && !self.in_flight.is_empty() => Poll::Pending,
            other => other,
        }
    }
}

impl<I, O, F, Fut: Future> fmt::Debug for AsyncFnTransform<I, O, F, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFnTransform")
            .field("concurrency", &self.concurrency)
            .field("flushing", &self.flushing)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::{ErrorKind, Readable, ReadableExt};

    #[tokio::test]
    async fn no_more_than_the_concurrency_run_at_once() {
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (r, m) = (Arc::clone(&running), Arc::clone(&most));
        let work = AsyncFnTransform::new(move |n: u32| {
            let (running, most) = (Arc::clone(&r), Arc::clone(&m));
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(2)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                Ok([n])
            }
        })
        .concurrency(3);
        let out = Readable::from_iter(0u32..20)
            .pipe(work)
            .collect_vec()
            .await
            .unwrap();
        assert_eq!(out, (0..20).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn by_default_one_chunk_at_a_time() {
        let running = Arc::new(AtomicUsize::new(0));
        let r = Arc::clone(&running);
        let work = AsyncFnTransform::new(move |n: u32| {
            let running = Arc::clone(&r);
            async move {
                assert_eq!(running.fetch_add(1, Ordering::SeqCst), 0);
                tokio::task::yield_now().await;
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(vec![n, n])
            }
        });
        let out = Readable::from_iter([1u32, 2])
            .pipe(work)
            .collect_vec()
            .await
            .unwrap();
        assert_eq!(out, [1, 1, 2, 2]);
    }

    #[tokio::test]
    async fn nothing_after_an_error_is_pushed() {
        let work = AsyncFnTransform::new(|n: u32| async move {
            if n == 3 {
                Err(crate::Error::new(ErrorKind::InvalidData, "three"))
            } else {
                Ok(Some(n))
            }
        })
        .concurrency(4);
        let mut out = Readable::from_iter(1u32..=5).pipe(work);
        let mut got = Vec::new();
        let error = loop {
            match std::future::poll_fn(|cx| crate::ReadableStream::poll_next_chunk(&mut out, cx))
                .await
            {
                Some(Ok(n)) => got.push(n),
                Some(Err(error)) => break error,
                None => panic!("the stream ended without its error"),
            }
        };
        assert!(got.iter().all(|n| *n < 3), "{got:?}");
        assert_eq!(format!("{error:#}"), "stage 1: three");
    }
}
