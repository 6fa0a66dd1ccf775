//! [`Pusher`]: a handle that pushes into a [`Readable`] from outside (Node's
//! `new Readable({ read() {} })` and `readable.push()` from elsewhere).

use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use super::chunk::Chunk;
use super::error::{Error, Result};
use super::push::Push;
use super::read_source::{BoxSource, ReadSource};
use super::readable::Readable;
use super::shared::Shared;

/// Who waits on whom: the consumer for pushed data, the producer for room.
#[derive(Debug, Default)]
struct Wakers {
    consumer: Option<Waker>,
    producer: Option<Waker>,
}

impl Wakers {
    fn wake_consumer(this: &Mutex<Wakers>) {
        let waker = this
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .consumer
            .take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A handle that pushes chunks into a [`Readable`] from anywhere — another
/// task, a callback, an event handler — as Node code calls `r.push()` on a
/// `new Readable({ read() {} })`.
///
/// [`push`](Pusher::push) puts the chunk in the readable's own buffer and
/// returns Node's answer: `true` while the buffer is below its
/// highWaterMark (or empty), `false` once it reached it or the stream ended.
/// As in Node, `false` is advice: the chunk is kept, and a producer that
/// respects it waits for [`ready`](Pusher::ready) (Node's next `_read`)
/// before pushing more. [`end`](Pusher::end) is Node's `push(null)` and
/// [`destroy`](Pusher::destroy) Node's `destroy(err)`.
///
/// The consumer gets the readable as a [`Shared`] handle: a
/// [`ReadableStream`](crate::ReadableStream) that pipes, iterates and maps
/// like any other, and whose [`lock`](Shared::lock) gives the readable
/// itself (`read`, counters, `observe`). A consumer waiting for data is
/// woken by the next push.
///
/// # Examples
///
/// ```
/// use smerge::{Pusher, Readable, ReadableExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// // Node: const r = new Readable({ objectMode: true, highWaterMark: 2, read() {} });
/// let (pusher, readable) = Pusher::attach(Readable::external().with_high_water_mark(2));
/// let producer = tokio::spawn(async move {
///     for line in ["a", "b", "c", "d"] {
///         if !pusher.push(line) {      // r.push(line) === false
///             pusher.ready().await?;   // wait for the next _read
///         }
///     }
///     pusher.end();                    // r.push(null)
///     Ok::<(), smerge::Error>(())
/// });
/// assert_eq!(readable.collect_vec().await?, ["a", "b", "c", "d"]);
/// producer.await.unwrap()?;
/// # Ok(())
/// # }
/// ```
///
/// Node's answers, without a consumer (Node 20 gives the same):
///
/// ```
/// use bytes::Bytes;
/// use smerge::{Pusher, Readable};
///
/// let (pusher, readable) = Pusher::attach(Readable::external().with_high_water_mark(4));
/// assert!(pusher.push(Bytes::from("ab")));    // 2 < 4
/// assert!(!pusher.push(Bytes::from("cd")));   // 4: full
/// assert_eq!(readable.lock().readable_length(), 4);
/// assert_eq!(readable.lock().read_bytes(2).unwrap(), "ab");
/// pusher.end();                               // r.push(null)
/// assert!(!pusher.push(Bytes::from("e")));    // ERR_STREAM_PUSH_AFTER_EOF
/// ```
pub struct Pusher<T> {
    readable: Shared<Readable<T>>,
    wakers: Arc<Mutex<Wakers>>,
}

impl<T: Chunk> Pusher<T> {
    /// A readable whose data only comes from the returned pusher (Node's
    /// `new Readable({ read() {} })`), with the chunk type's default
    /// highWaterMark; see [`attach`](Pusher::attach) to set options first.
    pub fn new() -> (Pusher<T>, Shared<Readable<T>>) {
        Pusher::attach(Readable::external())
    }

    /// A pusher into `readable`, which keeps its own source (Node lets any
    /// readable be pushed into from outside); build it with
    /// [`Readable::external`] for one fed by the pusher alone.
    pub fn attach(readable: Readable<T>) -> (Pusher<T>, Shared<Readable<T>>) {
        let wakers = Arc::new(Mutex::new(Wakers::default()));
        let (half, source, life) = readable.into_parts();
        let source = source.map(|inner| {
            Box::pin(Watched {
                inner,
                wakers: Arc::clone(&wakers),
            }) as BoxSource<T>
        });
        let readable = Shared::new(Readable::from_parts(half, source, life));
        let pusher = Pusher {
            readable: readable.clone(),
            wakers,
        };
        (pusher, readable)
    }

    /// Adds `chunk` to the end of the readable's buffer (Node's
    /// `readable.push(chunk)`). Returns `true` while the buffer is below its
    /// highWaterMark or empty, `false` once it reached it.
    ///
    /// After [`end`](Pusher::end) the chunk is refused and the readable
    /// fails with [`ErrorKind::PushAfterEof`](crate::ErrorKind::PushAfterEof);
    /// after a destroy it is dropped. Both return `false`.
    pub fn push(&self, chunk: T) -> bool {
        let room = self.readable.lock().push_from_outside(chunk);
        Wakers::wake_consumer(&self.wakers);
        room
    }

    /// Ends the data (Node's `readable.push(null)`): `end` follows once the
    /// consumer has read what is buffered.
    pub fn end(&self) {
        self.readable.lock().end_from_outside();
        Wakers::wake_consumer(&self.wakers);
    }

    /// Destroys the readable (Node's `readable.destroy(err)`): `error` (if any)
    /// then `close` follow on the next tick.
    pub fn destroy(&self, error: Option<Error>) {
        self.readable.lock().destroy(error);
        Wakers::wake_consumer(&self.wakers);
    }

    /// Waits until the readable wants data: its buffer is below the
    /// highWaterMark (Node calls `_read` then). Fails once it was destroyed.
    pub async fn ready(&self) -> Result<()> {
        poll_fn(|cx| self.poll_ready(cx)).await
    }

    /// The poll form of [`ready`](Pusher::ready).
    pub fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        // The producer's waker goes in before the state is read, so a read
        // in between wakes it.
        self.wakers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .producer = Some(cx.waker().clone());
        let readable = self.readable.lock();
        if readable.is_destroyed() {
            return Poll::Ready(Err(readable
                .errored()
                .cloned()
                .unwrap_or_else(|| Error::from_kind(super::error::ErrorKind::Destroyed))));
        }
        if readable.readable_length() < readable.high_water_mark()
            || readable.readable_length() == 0
        {
            return Poll::Ready(Ok(()));
        }
        Poll::Pending
    }

    /// The readable this pushes into.
    pub fn readable(&self) -> &Shared<Readable<T>> {
        &self.readable
    }
}

impl<T> Clone for Pusher<T> {
    fn clone(&self) -> Self {
        Pusher {
            readable: self.readable.clone(),
            wakers: Arc::clone(&self.wakers),
        }
    }
}

impl<T> fmt::Debug for Pusher<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pusher").finish_non_exhaustive()
    }
}

/// The readable's source, watched: a poll of it means a consumer wants
/// data (its waker is kept for the next push) and the buffer has room (the
/// producer waiting in `ready` is woken).
struct Watched<T> {
    inner: BoxSource<T>,
    wakers: Arc<Mutex<Wakers>>,
}

impl<T: Chunk> ReadSource<T> for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, T>,
    ) -> Poll<Result<()>> {
        let producer = {
            let mut wakers = self.wakers.lock().unwrap_or_else(PoisonError::into_inner);
            // `read()` polls with a waker that wakes nobody: keep the last real one.
            if !cx.waker().will_wake(Waker::noop()) {
                wakers.consumer = Some(cx.waker().clone());
            }
            wakers.producer.take()
        };
        if let Some(producer) = producer {
            producer.wake();
        }
        self.inner.as_mut().poll_read(cx, out)
    }

    fn destroy(mut self: Pin<&mut Self>, error: Option<&Error>) {
        self.inner.as_mut().destroy(error);
        if let Some(producer) = self
            .wakers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .producer
            .take()
        {
            producer.wake();
        }
    }
}

/// The source of [`Readable::external`]: it never produces; data comes
/// from a [`Pusher`] (Node's `read() {}`).
#[derive(Debug)]
pub(crate) struct External;

impl<T> ReadSource<T> for External {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        _out: &mut Push<'_, T>,
    ) -> Poll<Result<()>> {
        // The pusher wakes the consumer.
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use bytes::Bytes;

    use super::*;
    use crate::{ErrorKind, Event, ReadableExt, ReadableStream};

    #[test]
    fn push_answers_as_node_does() {
        let (pusher, readable) =
            Pusher::<u32>::attach(Readable::external().with_high_water_mark(2));
        assert!(pusher.push(1));
        assert!(!pusher.push(2), "2 of 2");
        assert!(!pusher.push(3), "above the mark, kept all the same");
        assert_eq!(readable.lock().readable_length(), 3);
        assert_eq!(readable.lock().read(), Some(1));
        assert_eq!(readable.lock().read(), Some(2));
        assert!(!pusher.push(4), "1 left, and this one: 2 of 2");
        assert_eq!(readable.lock().read(), Some(3));
        assert_eq!(readable.lock().read(), Some(4));
        assert!(pusher.push(5), "1 of 2");
    }

    /// Node 20: `push` into a byte stream with a highWaterMark of 0 is `false`.
    #[test]
    fn a_zero_mark_is_full_at_the_first_push() {
        let (pusher, _readable) =
            Pusher::<Bytes>::attach(Readable::external().with_high_water_mark(0));
        assert!(!pusher.push(Bytes::from_static(b"a")));
    }

    /// Node 20 takes an empty byte chunk as nothing, even after `push(null)`.
    #[test]
    fn an_empty_byte_chunk_after_the_end_is_nothing() {
        let (pusher, readable) = Pusher::<Bytes>::new();
        pusher.end();
        assert!(!pusher.push(Bytes::new()));
        assert!(readable.lock().errored().is_none());
        // Nor after a destroy, where Node answers by the (empty) buffer.
        let (pusher, _readable) =
            Pusher::<Bytes>::attach(Readable::external().with_high_water_mark(0));
        pusher.destroy(None);
        assert!(pusher.push(Bytes::new()));
    }

    #[tokio::test]
    async fn a_waiting_consumer_is_woken_by_a_push_and_by_the_end() {
        let (pusher, readable) = Pusher::<u32>::new();
        let consumer = tokio::spawn(readable.collect_vec());
        tokio::task::yield_now().await;
        pusher.push(7);
        tokio::task::yield_now().await;
        pusher.push(8);
        pusher.end();
        assert_eq!(consumer.await.unwrap().unwrap(), [7, 8]);
    }

    /// Node 20 (`onEofChunk` outside a `_read` runs `emitReadable_`,
    /// whose `flow()` reads): a stream resumed that nobody reads emits what
    /// is buffered as `data` inside `push(null)`.
    #[test]
    fn the_end_flows_a_resumed_stream_nobody_reads() {
        let (pusher, readable) =
            Pusher::<Bytes>::attach(Readable::external().with_high_water_mark(0));
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        readable
            .lock()
            .observe(move |event: &Event| seen.lock().unwrap().push(event.name()));
        assert_eq!(readable.lock().read_bytes(0), None);
        assert!(!pusher.push(Bytes::from_static(b"aaa")));
        readable.lock().resume();
        pusher.end();
        assert_eq!(*log.lock().unwrap(), ["data"]);
        assert_eq!(readable.lock().readable_length(), 0);
    }

    /// A chunk put back after a read scheduled `end` flows first, at the
    /// `emitReadable_` `push(null)` queued before that read, and `end`
    /// still comes, before the `resume` a pipe scheduled later (Node 20:
    /// `push(null) read() pipe unshift | data end resume ...`).
    #[test]
    fn a_chunk_put_back_before_a_scheduled_end_flows_before_it() {
        let (pusher, readable) =
            Pusher::<u32>::attach(Readable::external().with_high_water_mark(0));
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        readable
            .lock()
            .observe(move |event: &Event| seen.lock().unwrap().push(event.name()));
        pusher.end();
        assert_eq!(readable.lock().read(), None);
        let mut source = readable.clone();
        let mut dest = crate::Writable::new(crate::NullSink).with_high_water_mark(0);
        let mut piping = crate::pipe(&mut source, &mut dest, crate::PipeOptions::default());
        assert!(!readable.lock().unshift(7).unwrap());
        let mut cx = Context::from_waker(Waker::noop());
        let mut polls = 0;
        while std::pin::Pin::new(&mut piping).poll(&mut cx).is_pending() {
            polls += 1;
            assert!(polls < 5, "the pipe does not complete");
        }
        drop(piping);
        // (`resume` follows; here after the `pause` of the `unpipe` at the
        // destination's `finish`, which a pipe polls at once.)
        readable.lock().tick();
        assert_eq!(log.lock().unwrap()[..2], ["data", "end"]);
        assert!(log.lock().unwrap().contains(&"resume"));
    }

    #[test]
    fn push_after_end_fails_the_readable() {
        let (pusher, readable) = Pusher::<u32>::new();
        pusher.end();
        assert!(!pusher.push(1));
        let mut cx = Context::from_waker(Waker::noop());
        let mut readable = readable.lock();
        match readable.poll_next_chunk(&mut cx) {
            Poll::Ready(Some(Err(error))) => assert_eq!(error.kind(), ErrorKind::PushAfterEof),
            other => panic!("expected the error, got {other:?}"),
        }
    }

    #[test]
    fn destroy_through_the_pusher() {
        let (pusher, readable) = Pusher::<u32>::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        readable
            .lock()
            .observe(move |event: &Event| seen.lock().unwrap().push(event.name()));
        pusher.push(1);
        pusher.destroy(Some(Error::new(ErrorKind::Aborted, "stop")));
        assert!(!pusher.push(2), "dropped after destroy");
        assert_eq!(readable.lock().readable_length(), 1, "kept, as in Node");
        assert!(log.lock().unwrap().is_empty(), "on the next tick");
        drop((pusher, readable));
        assert_eq!(*log.lock().unwrap(), ["error", "close"]);
    }

    #[tokio::test]
    async fn ready_waits_for_a_read() {
        let (pusher, readable) =
            Pusher::<u32>::attach(Readable::external().with_high_water_mark(1));
        assert!(!pusher.push(1));
        let woken = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&woken);
        let producer = pusher.clone();
        let waiting = tokio::spawn(async move {
            producer.ready().await.unwrap();
            flag.store(true, Ordering::SeqCst);
        });
        tokio::task::yield_now().await;
        assert!(!woken.load(Ordering::SeqCst), "full: no room yet");
        assert_eq!(readable.lock().read(), Some(1));
        waiting.await.unwrap();
        assert!(woken.load(Ordering::SeqCst));
    }

    /// Any readable can be pushed into; its own source keeps producing.
    #[tokio::test]
    async fn pushing_into_a_readable_with_a_source() {
        let (pusher, readable) = Pusher::attach(Readable::from_iter(["from the source"]));
        assert!(pusher.push("pushed first"));
        assert_eq!(
            readable.collect_vec().await.unwrap(),
            ["pushed first", "from the source"]
        );
    }
}
