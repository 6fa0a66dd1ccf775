//! [`ReadableExt`]: the consuming methods every readable stream shares,
//! and Node's iterator helpers (`map`, `filter`, `flatMap`, `take`, `drop`,
//! `reduce`, `toArray`, `forEach`).

use std::future::{Future, poll_fn};

use bytes::{Bytes, BytesMut};

use super::chunk::Chunk;
use super::error::Result;
use super::map_async_source::MapAsyncSource;
use super::pipe_target::PipeTarget;
use super::pipeline::Pipeline;
use super::push::Push;
use super::readable::Readable;
use super::readable_stream::ReadableStream;
use super::step_source::StepSource;

/// The methods every [`ReadableStream`] gets: reading it to the end,
/// piping it on by value, and Node's iterator helpers (as futures-util's
/// `StreamExt` adds methods to every `Stream`).
///
/// The helpers that give a stream (`map`, `map_async`, `filter`,
/// `flat_map`, `take`, `skip`) return a [`Readable`] that reads this one
/// as it is read, with the output type's default highWaterMark: nothing
/// runs until it is consumed. An error on either side destroys the other,
/// as in Node. The ones that consume (`reduce`, `for_each`, `collect_vec`)
/// are futures.
///
/// `Readable` is also a `futures::Stream`, so a module that imports both
/// this trait and `futures::StreamExt` (or `tokio_stream::StreamExt`) must
/// say which `map` it means: `ReadableExt::map(stream, f)`.
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::{Duplex, Readable, ReadableExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let words = Readable::from_iter(["stream", "merge"]);
/// assert_eq!(words.collect_vec().await?, ["stream", "merge"]);
///
/// let chain = Readable::from_iter([Bytes::from("a"), Bytes::from("b")]).pipe(Duplex::pass_through());
/// assert_eq!(chain.to_bytes().await?, "ab");
/// # Ok(())
/// # }
/// ```
pub trait ReadableExt: ReadableStream + Sized {
    /// Reads every chunk into a vector (Node's `toArray()`).
    #[doc(alias = "toArray")]
    #[doc(alias = "to_array")]
    fn collect_vec(mut self) -> impl Future<Output = Result<Vec<Self::Output>>> + Send {
        async move {
            let mut items = Vec::new();
            while let Some(item) = poll_fn(|cx| self.poll_next_chunk(cx)).await {
                items.push(item?);
            }
            Ok(items)
        }
    }

    /// Reads everything into one [`Bytes`], without a copy when the stream
    /// gave one chunk.
    fn to_bytes(self) -> impl Future<Output = Result<Bytes>> + Send
    where
        Self: ReadableStream<Output = Bytes>,
    {
        async move {
            let chunks = self.collect_vec().await?;
            if chunks.len() == 1 {
                return Ok(chunks.into_iter().next().expect("one chunk"));
            }
            let mut all = BytesMut::with_capacity(chunks.iter().map(Bytes::len).sum());
            for chunk in chunks {
                all.extend_from_slice(&chunk);
            }
            Ok(all.freeze())
        }
    }

    /// Pipes this stream into `target` (Node's `readable.pipe(dest)`),
    /// taking ownership so calls chain: `source.pipe(gzip).pipe(file).await`.
    /// A transform or duplex extends the chain, a writable completes it
    /// into a future.
    ///
    /// On a [`Pipeline`] this adds a stage with the pipeline's semantics
    /// (the first error destroys every stage). On anything else, as with
    /// Node's `pipe`, an error stops the chain without destroying the other
    /// stages (they are dropped with the chain, which closes them); start
    /// with [`pipeline`](crate::pipeline) to have each one destroyed with the
    /// error.
    fn pipe<P: PipeTarget<Self::Output>>(self, target: P) -> P::Output
    where
        Self: 'static,
    {
        target.attach(Pipeline::piped(self))
    }

    /// Each chunk through `f` (Node's `map(fn)`).
    ///
    /// ```
    /// use smerge::{Readable, ReadableExt};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> smerge::Result<()> {
    /// let lengths = Readable::from_iter(["a", "bcd"]).map(str::len);
    /// assert_eq!(lengths.collect_vec().await?, [1, 3]);
    /// # Ok(())
    /// # }
    /// ```
    fn map<U, F>(self, mut f: F) -> Readable<U>
    where
        Self: 'static,
        U: Chunk,
        F: FnMut(Self::Output) -> U + Send + 'static,
    {
        Readable::new(StepSource::new(
            self,
            move |chunk, out: &mut Push<'_, U>| {
                out.push(f(chunk));
                Ok(true)
            },
        ))
    }

    /// Each chunk through the async `f`, up to `concurrency` at once, the
    /// results in the chunks' order (Node's `map(asyncFn, { concurrency })`).
    /// The first error fails the stream and destroys this one.
    ///
    /// ```
    /// use std::time::Duration;
    /// use smerge::{Readable, ReadableExt};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> smerge::Result<()> {
    /// // The first takes longest; the order stays.
    /// let fetched = Readable::from_iter([30u64, 10, 20]).map_async(3, |ms| async move {
    ///     tokio::time::sleep(Duration::from_millis(ms)).await;
    ///     Ok(format!("{ms} ms"))
    /// });
    /// assert_eq!(fetched.collect_vec().await?, ["30 ms", "10 ms", "20 ms"]);
    /// # Ok(())
    /// # }
    /// ```
    fn map_async<U, F, Fut>(self, concurrency: usize, f: F) -> Readable<U>
    where
        Self: 'static,
        U: Chunk,
        F: FnMut(Self::Output) -> Fut + Send + 'static,
        Fut: Future<Output = Result<U>> + Send + 'static,
    {
        Readable::new(MapAsyncSource::new(self, concurrency, f))
    }

    /// The chunks for which `keep` is true (Node's `filter(fn)`).
    ///
    /// ```
    /// use smerge::{Readable, ReadableExt};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> smerge::Result<()> {
    /// let even = Readable::from_iter(1u32..=6).filter(|n| n % 2 == 0);
    /// assert_eq!(even.collect_vec().await?, [2, 4, 6]);
    /// # Ok(())
    /// # }
    /// ```
    fn filter<F>(self, mut keep: F) -> Readable<Self::Output>
    where
        Self: 'static,
        F: FnMut(&Self::Output) -> bool + Send + 'static,
    {
        Readable::new(StepSource::new(
            self,
            move |chunk, out: &mut Push<'_, Self::Output>| {
                if keep(&chunk) {
                    out.push(chunk);
                }
                Ok(true)
            },
        ))
    }

    /// Each chunk turned into any number of chunks (Node's `flatMap(fn)`).
    ///
    /// ```
    /// use smerge::{Readable, ReadableExt};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> smerge::Result<()> {
    /// let words = Readable::from_iter(["a b", "c"]).flat_map(|line| line.split(' '));
    /// assert_eq!(words.collect_vec().await?, ["a", "b", "c"]);
    /// # Ok(())
    /// # }
    /// ```
    #[doc(alias = "flatMap")]
    fn flat_map<U, I, F>(self, mut f: F) -> Readable<U>
    where
        Self: 'static,
        U: Chunk,
        I: IntoIterator<Item = U>,
        F: FnMut(Self::Output) -> I + Send + 'static,
    {
        Readable::new(StepSource::new(
            self,
            move |chunk, out: &mut Push<'_, U>| {
                for item in f(chunk) {
                    out.push(item);
                }
                Ok(true)
            },
        ))
    }

    /// The first `n` chunks; then this stream is dropped, which destroys
    /// it, and the result ends (Node's `take(n)`), so an endless source
    /// stops.
    ///
    /// ```
    /// use smerge::{Readable, ReadableExt};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> smerge::Result<()> {
    /// let first = Readable::from_iter(1u64..).take(3);
    /// assert_eq!(first.collect_vec().await?, [1, 2, 3]);
    /// # Ok(())
    /// # }
    /// ```
    fn take(self, n: usize) -> Readable<Self::Output>
    where
        Self: 'static,
    {
        if n == 0 {
            return Readable::empty();
        }
        let mut left = n;
        Readable::new(StepSource::new(
            self,
            move |chunk, out: &mut Push<'_, Self::Output>| {
                out.push(chunk);
                left -= 1;
                Ok(left > 0)
            },
        ))
    }

    /// Every chunk after the first `n` (Node's `drop(n)`; `drop` is a
    /// reserved method name in Rust).
    ///
    /// ```
    /// use smerge::{Readable, ReadableExt};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> smerge::Result<()> {
    /// let rest = Readable::from_iter(1u32..=5).skip(2);
    /// assert_eq!(rest.collect_vec().await?, [3, 4, 5]);
    /// # Ok(())
    /// # }
    /// ```
    #[doc(alias = "drop")]
    fn skip(self, n: usize) -> Readable<Self::Output>
    where
        Self: 'static,
    {
        let mut left = n;
        Readable::new(StepSource::new(
            self,
            move |chunk, out: &mut Push<'_, Self::Output>| {
                if left == 0 {
                    out.push(chunk);
                } else {
                    left -= 1;
                }
                Ok(true)
            },
        ))
    }

    /// Folds every chunk into one value, starting from `initial` (Node's
    /// `reduce(fn, initial)`).
    ///
    /// ```
    /// use smerge::{Readable, ReadableExt};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> smerge::Result<()> {
    /// let sum = Readable::from_iter(1u32..=4).reduce(0, |sum, n| sum + n).await?;
    /// assert_eq!(sum, 10);
    /// # Ok(())
    /// # }
    /// ```
    #[doc(alias = "fold")]
    fn reduce<A, F>(mut self, initial: A, mut f: F) -> impl Future<Output = Result<A>> + Send
    where
        A: Send,
        F: FnMut(A, Self::Output) -> A + Send,
    {
        async move {
            let mut value = initial;
            while let Some(chunk) = poll_fn(|cx| self.poll_next_chunk(cx)).await {
                value = f(value, chunk?);
            }
            Ok(value)
        }
    }

    /// Calls `f` with every chunk (Node's `forEach(fn)`); for async work,
    /// [`map_async`](ReadableExt::map_async) first.
    ///
    /// ```
    /// use smerge::{Readable, ReadableExt};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> smerge::Result<()> {
    /// let mut seen = Vec::new();
    /// Readable::from_iter(["a", "b"]).for_each(|s| seen.push(s)).await?;
    /// assert_eq!(seen, ["a", "b"]);
    /// # Ok(())
    /// # }
    /// ```
    #[doc(alias = "forEach")]
    fn for_each<F>(mut self, mut f: F) -> impl Future<Output = Result<()>> + Send
    where
        F: FnMut(Self::Output) + Send,
    {
        async move {
            while let Some(chunk) = poll_fn(|cx| self.poll_next_chunk(cx)).await {
                f(chunk?);
            }
            Ok(())
        }
    }
}

impl<S: ReadableStream> ReadableExt for S {}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;
    use crate::{Error, ErrorKind, Event};

    fn closed_log(readable: &mut Readable<u64>) -> Arc<Mutex<Vec<&'static str>>> {
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        readable.observe(move |event: &Event| seen.lock().unwrap().push(event.name()));
        log
    }

    #[tokio::test]
    async fn helpers_chain() {
        let out = Readable::from_iter(1u64..=10)
            .skip(1)
            .filter(|n| n % 3 != 0)
            .map(|n| n * 10)
            .flat_map(|n| [n, n + 1])
            .take(5)
            .collect_vec()
            .await
            .unwrap();
        assert_eq!(out, [20, 21, 40, 41, 50]);
    }

    /// Node's `take` destroys its source once it has its chunks.
    #[tokio::test]
    async fn take_destroys_an_endless_source() {
        let mut endless = Readable::from_iter(0u64..).with_high_water_mark(4);
        let log = closed_log(&mut endless);
        assert_eq!(endless.take(2).collect_vec().await.unwrap(), [0, 1]);
        assert_eq!(*log.lock().unwrap(), ["data", "data", "close"]);
    }

    #[tokio::test]
    async fn take_zero_reads_nothing() {
        let mut source = Readable::from_iter(0u64..);
        let log = closed_log(&mut source);
        assert!(source.take(0).collect_vec().await.unwrap().is_empty());
        assert_eq!(*log.lock().unwrap(), ["close"]);
    }

    #[tokio::test]
    async fn destroying_the_result_destroys_the_source() {
        let mut source = Readable::from_iter(0u64..);
        let log = closed_log(&mut source);
        let mut mapped = source.map(|n| n + 1);
        assert_eq!(mapped.read(), Some(1));
        mapped.destroy(Some(Error::new(ErrorKind::Aborted, "enough")));
        let log = log.lock().unwrap();
        assert_eq!(log[log.len() - 2..], ["error", "close"]);
    }

    #[tokio::test]
    async fn an_upstream_error_reaches_the_consumer() {
        let items = tokio_stream::iter([Ok(1u64), Err(Error::new(ErrorKind::InvalidData, "bad"))]);
        let mapped = Readable::from_stream(items).map(|n| n * 2);
        let error = mapped.collect_vec().await.unwrap_err();
        assert_eq!(format!("{error:#}"), "bad");
    }

    #[tokio::test]
    async fn map_async_keeps_order_and_runs_up_to_the_concurrency() {
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (r, m) = (Arc::clone(&running), Arc::clone(&most));
        let out = Readable::from_iter(0u64..12)
            .map_async(4, move |n| {
                let (running, most) = (Arc::clone(&r), Arc::clone(&m));
                async move {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(12 - n)).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    Ok(n)
                }
            })
            .collect_vec()
            .await
            .unwrap();
        assert_eq!(out, (0..12).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_map_async_error_destroys_the_source() {
        let mut source = Readable::from_iter(0u64..);
        let log = closed_log(&mut source);
        let error = source
            .map_async(2, |n| async move {
                if n == 3 {
                    Err(Error::new(ErrorKind::InvalidData, "three"))
                } else {
                    Ok(n)
                }
            })
            .collect_vec()
            .await
            .unwrap_err();
        assert_eq!(format!("{error:#}"), "three");
        assert_eq!(
            *log.lock().unwrap(),
            ["data", "data", "data", "data", "data", "error", "close"]
        );
    }

    #[tokio::test]
    async fn reduce_and_for_each_consume() {
        let total = Readable::from_iter(["ab", "cde"])
            .reduce(0, |n, s| n + s.len())
            .await
            .unwrap();
        assert_eq!(total, 5);
        let mut seen = Vec::new();
        Readable::from_iter(1u32..=3)
            .for_each(|n| seen.push(n))
            .await
            .unwrap();
        assert_eq!(seen, [1, 2, 3]);
    }
}
