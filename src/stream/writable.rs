//! [`Writable`]: a queue counted against a highWaterMark in front of a
//! [`WriteSink`], with Node's `write() -> bool`, `drain`, `end`, `finish` and `close`.

use std::borrow::Cow;
use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use tokio::io::AsyncWrite;

use tokio_util::io::{CopyToBytes, SinkWriter};

use super::chunk::Chunk;
use super::error::{Error, Result};
use super::event::Event;
use super::flushed::{Flushed, Receipts};
use super::lifecycle::Lifecycle;
use super::sealed;
use super::sink_adapter::SinkAdapter;
use super::writable_stream::WritableStream;
use super::write_half::WriteHalf;
use super::write_queue::WriteQueue;
use super::write_sink::WriteSink;
use super::writer_sink::WriterSink;

/// A writable stream: Node's `Writable`.
///
/// [`write`](Writable::write) always queues the chunk and returns `false`
/// once the queue has reached the highWaterMark; after a `false`, `drain` is
/// emitted once the queue has emptied. [`end`](Writable::end) says no more
/// chunks will come: once everything is written the sink's final hook runs,
/// then `prefinish`, `finish` and `close`. Writing after `end` is an error,
/// never silently dropped.
///
/// A `Writable` makes progress only while it is polled: by a pipe or a
/// pipeline, or by [`write_all`](Writable::write_all),
/// [`drained`](Writable::drained), [`close`](Writable::close) and
/// [`finished`](Writable::finished). Dropping one that has not finished
/// destroys it (`close`, and the sink's [`destroy`](WriteSink::destroy) hook: an
/// atomic file is discarded).
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::Writable;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let mut out = Writable::from_writer(Vec::new()).with_high_water_mark(4);
/// assert!(out.write(Bytes::from_static(b"abc"))?);   // 3 < 4
/// assert!(!out.write(Bytes::from_static(b"de"))?);   // 5 >= 4: wait for drain
/// out.drained().await?;
/// out.write_all(Bytes::from_static(b"f")).await?;
/// out.close().await?;
/// assert!(out.write(Bytes::from_static(b"g")).is_err()); // write after end
/// # Ok(())
/// # }
/// ```
///
/// The inverse is [`Readable`](crate::Readable).
pub struct Writable<T> {
    half: WriteHalf<T>,
    sink: Pin<Box<dyn WriteSink<T>>>,
    life: Lifecycle,
    /// The writes whose completion someone waits for, once
    /// [`write_flushed`](Writable::write_flushed) was called.
    receipts: Option<Box<Receipts>>,
}

// Chunks are never pinned: the queue only moves them.
impl<T> Unpin for Writable<T> {}

impl<T: Chunk> Writable<T> {
    /// A writable whose chunks go to `sink`, with the chunk type's default
    /// highWaterMark.
    pub fn new(sink: impl WriteSink<T> + 'static) -> Self {
        Writable {
            half: WriteHalf::new(T::DEFAULT_HIGH_WATER_MARK),
            sink: Box::pin(sink),
            life: Lifecycle::default(),
            receipts: None,
        }
    }

    /// Sets the highWaterMark, in the chunk type's units (0 is allowed:
    /// every `write` then returns `false`).
    pub fn with_high_water_mark(mut self, high_water_mark: usize) -> Self {
        self.half.set_high_water_mark(high_water_mark);
        self
    }

    /// Node's `autoDestroy` (on by default): with `false`, the stream is not
    /// destroyed when it finished, so `close` is not emitted then and
    /// [`is_destroyed`](Writable::is_destroyed) stays false until
    /// [`destroy`](Writable::destroy) (or a drop, which destroys). An error
    /// still destroys the stream, unlike Node's, where it only marks it
    /// errored: an errored smerge stream does nothing more either way.
    pub fn auto_destroy(mut self, on: bool) -> Self {
        self.life.set_auto_destroy(on);
        self
    }

    /// Node's `emitClose` (on by default): with `false`, `close` is never
    /// emitted; the stream still closes (after its end, or when destroyed).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use smerge::{Event, NullSink, Writable};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> smerge::Result<()> {
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// let seen = Arc::clone(&log);
    /// // Node: new Writable({ emitClose: false, ... })
    /// let mut w = Writable::<u32>::new(NullSink).emit_close(false);
    /// w.observe(move |e: &Event| seen.lock().unwrap().push(e.name()));
    /// w.close().await?;
    /// drop(w);
    /// assert_eq!(*log.lock().unwrap(), ["prefinish", "finish"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn emit_close(mut self, on: bool) -> Self {
        self.life.set_emit_close(on);
        self
    }

    /// Names the stream; errors from it then say where they happened.
    pub fn named(mut self, label: impl Into<Cow<'static, str>>) -> Self {
        self.life.set_label(label.into());
        self
    }

    /// Registers an observer of this stream's events.
    pub fn observe(&mut self, observer: impl FnMut(&Event) + Send + 'static) {
        self.life.events.observe(observer);
    }

    /// The highWaterMark.
    pub fn high_water_mark(&self) -> usize {
        self.half.high_water_mark()
    }

    /// How much is queued (Node's `writableLength`).
    pub fn writable_length(&self) -> usize {
        self.half.queue.size()
    }

    /// True after a `write` returned `false` and before `drain`
    /// (Node's `writableNeedDrain`).
    pub fn needs_drain(&self) -> bool {
        self.half.waits_for_drain(&self.life)
    }

    /// True once `end` was called (Node's `writableEnded`).
    pub fn is_ended(&self) -> bool {
        self.half.is_ending()
    }

    /// True once `finish` was emitted (Node's `writableFinished`).
    pub fn is_finished(&self) -> bool {
        self.half.is_finished()
    }

    /// True once destroyed, or closed after finishing.
    pub fn is_destroyed(&self) -> bool {
        self.life.is_destroyed()
    }

    /// The error the stream failed with, if it did.
    pub fn errored(&self) -> Option<&Error> {
        self.life.errored()
    }

    /// Delivers the deferred events `finished` sees before it resolves:
    /// up to its `error`, or all of them if it did not fail.
    pub(crate) fn flush_events_for_finished(&mut self) {
        let errored = self.life.errored().is_some();
        self.life.events.flush_for_finished(errored);
    }

    /// Queues `chunk`. Returns `Ok(true)` while the queue is below the
    /// highWaterMark and `Ok(false)` once it reached it: the chunk is queued
    /// either way, and the caller should wait for [`drained`](Writable::drained)
    /// before writing more.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WriteAfterEnd`](crate::ErrorKind::WriteAfterEnd) after [`end`](Writable::end) (the stream is
    /// then destroyed with that error, as in Node), and
    /// [`ErrorKind::Destroyed`](crate::ErrorKind::Destroyed) (or the stream's error) after it was destroyed.
    pub fn write(&mut self, chunk: T) -> Result<bool> {
        let below = self.half.write(chunk, &mut self.life)?;
        if let Some(receipts) = self.receipts.as_mut() {
            receipts.queued_one();
        }
        Ok(below)
    }

    /// Queues `chunk` as [`write`](Writable::write) does, and returns with
    /// its verdict a [`Flushed`] future that resolves once the sink took
    /// this chunk: Node's `write(chunk, callback)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::Bytes;
    /// use smerge::Writable;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> smerge::Result<()> {
    /// let mut out = Writable::from_writer(Vec::new());
    /// // Node: out.write('header', () => console.log('header written'));
    /// let (_below, header) = out.write_flushed(Bytes::from("header\n"))?;
    /// out.write(Bytes::from("body\n"))?;
    /// out.drained().await?; // drives the writable; the header's write completes on the way
    /// header.await?;
    /// out.close().await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`write`](Writable::write); the future fails with the stream's
    /// error if it is destroyed (or dropped) before the sink took the chunk.
    pub fn write_flushed(&mut self, chunk: T) -> Result<(bool, Flushed)> {
        if self.receipts.is_none() {
            self.receipts = Some(Box::new(Receipts::new(self.half.queue.len())));
        }
        let below = self.write(chunk)?;
        let receipts = self.receipts.as_mut().expect("made above");
        Ok((below, receipts.last_write()))
    }

    /// Writes `chunk`, waiting for `drain` if the queue reached the highWaterMark.
    pub async fn write_all(&mut self, chunk: T) -> Result<()> {
        if !self.write(chunk)? {
            self.drained().await?;
        }
        Ok(())
    }

    /// Writes until the queue is empty (the `drain` event, as a future).
    pub async fn drained(&mut self) -> Result<()> {
        poll_fn(|cx| self.poll_drain(cx)).await
    }

    /// Ends the stream: no more writes. Queued chunks are still written.
    /// Calling it again before `finish` does nothing. As in Node, a stream
    /// destroyed without an error takes it (it is then ending, and never
    /// finishes).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::AlreadyFinished`](crate::ErrorKind::AlreadyFinished) after `finish`, and
    /// [`ErrorKind::Destroyed`](crate::ErrorKind::Destroyed) when the stream failed (caused by
    /// its own error, also [`errored`](Writable::errored)) or was destroyed while ending.
    pub fn end(&mut self) -> Result<()> {
        self.half.end(&self.life)
    }

    /// Writes `chunk`, then ends (Node's `end(chunk)`).
    pub fn end_with(&mut self, chunk: T) -> Result<()> {
        self.write(chunk)?;
        self.end()
    }

    /// Waits until the stream finished: everything written and the final
    /// hook done. As in Node, this waits for [`end`](Writable::end), so call
    /// that first — or use [`close`](Writable::close).
    pub async fn finished(&mut self) -> Result<()> {
        poll_fn(|cx| self.poll_finish(cx)).await
    }

    /// Ends the stream and waits until it finished.
    pub async fn close(&mut self) -> Result<()> {
        if !self.half.is_ending() {
            self.end()?;
        }
        self.finished().await
    }

    /// Holds writes in the queue until [`uncork`](Writable::uncork), so they
    /// reach the sink together. Corks nest.
    pub fn cork(&mut self) {
        self.half.cork();
    }

    /// Undoes one [`cork`](Writable::cork).
    pub fn uncork(&mut self) {
        self.half.uncork();
    }

    /// How many [`cork`](Writable::cork)s are in effect (Node's `writableCorked`).
    pub fn corked(&self) -> u32 {
        self.half.corked()
    }

    /// Destroys the stream: queued chunks are dropped, the sink's
    /// [`destroy`](WriteSink::destroy) hook runs, and `error` (if any) then
    /// `close` follow on the next tick. Later calls do nothing.
    ///
    /// As in Node, the queued chunks still count in
    /// [`writable_length`](Writable::writable_length) until the next tick
    /// (Node errors them from `process.nextTick`).
    pub fn destroy(&mut self, error: Option<Error>) {
        if self.life.destroy(error) {
            self.sink.as_mut().destroy(self.life.errored());
            if let Some(receipts) = self.receipts.as_mut() {
                receipts.fail(&self.life.destroyed_error());
            }
        }
    }

    /// A writable that hands its chunks to any [`futures_sink::Sink`];
    /// ending it closes the sink.
    pub fn from_sink<S, E>(sink: S) -> Self
    where
        S: futures_sink::Sink<T, Error = E> + Send + 'static,
        E: Into<Error> + 'static,
    {
        Writable::new(SinkAdapter::new(sink))
    }

    /// Hands queued chunks to the sink until the queue is empty or the sink
    /// is busy.
    #[inline]
    fn poll_write_queue(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.life.events.flush();
        if self.life.is_destroyed() {
            // The tick after `destroy`: the queued chunks are dropped.
            self.half.queue.clear();
            if self.half.is_finished() {
                return Poll::Ready(Ok(()));
            }
            return Poll::Ready(Err(self.life.destroyed_error()));
        }
        while self.half.has_work() {
            match self.sink.as_mut().poll_write(cx, &mut self.half.queue) {
                Poll::Pending => {
                    self.settle_receipts();
                    return Poll::Pending;
                }
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(error)) => return Poll::Ready(Err(self.fail(error))),
            }
        }
        self.settle_receipts();
        self.half.drain_if_empty(&mut self.life);
        Poll::Ready(Ok(()))
    }

    fn fail(&mut self, error: Error) -> Error {
        let error = self.life.locate(error);
        self.destroy(Some(error.clone()));
        self.life.take_error();
        error
    }

    /// Completes the [`Flushed`] futures of the chunks the sink took.
    #[inline]
    fn settle_receipts(&mut self) {
        if let Some(receipts) = self.receipts.as_mut() {
            receipts.settle(self.half.queue.len());
        }
    }
}

impl Writable<Bytes> {
    /// A writable that writes into any [`AsyncWrite`] (a file, a socket,
    /// standard output, a child's stdin), with vectored writes when several
    /// chunks are queued; ending it flushes and shuts the writer down.
    pub fn from_writer<W: AsyncWrite + Send + 'static>(writer: W) -> Self {
        Writable::new(WriterSink::new(writer))
    }

    /// This stream as an [`AsyncWrite`], through tokio-util's
    /// [`SinkWriter`]; shutting it down ends the stream and waits for
    /// `finish`. The inverse of [`Writable::from_writer`].
    pub fn into_async_write(self) -> SinkWriter<CopyToBytes<Writable<Bytes>>> {
        SinkWriter::new(CopyToBytes::new(self))
    }
}

impl<T> sealed::Stream for Writable<T> {}

impl<T: Chunk> WritableStream for Writable<T> {
    type Input = T;

    fn write(&mut self, chunk: T) -> Result<bool> {
        Writable::write(self, chunk)
    }

    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        ready!(self.poll_write_queue(cx))?;
        if self.half.queue.is_settled() {
            Poll::Ready(Ok(()))
        } else {
            // Corked: nothing moves until uncork.
            Poll::Pending
        }
    }

    fn end(&mut self) -> Result<()> {
        Writable::end(self)
    }

    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if self.half.is_finished() {
            self.life.events.flush();
            return Poll::Ready(Ok(()));
        }
        ready!(self.poll_write_queue(cx))?;
        if !self.half.ready_to_finalize() {
            return Poll::Pending;
        }
        match self.sink.as_mut().poll_final(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(error)) => Poll::Ready(Err(self.fail(error))),
            Poll::Ready(Ok(())) => {
                self.half.finalized(&mut self.life.events);
                self.life.close();
                Poll::Ready(Ok(()))
            }
        }
    }

    fn destroy(&mut self, error: Option<Error>) {
        Writable::destroy(self, error);
    }

    fn needs_drain(&self) -> bool {
        Writable::needs_drain(self)
    }

    fn is_finished(&self) -> bool {
        self.half.is_finished()
    }

    fn piped(&mut self, attached: bool) {
        self.life.events.emit_piped(attached);
    }

    fn flush_events(&mut self) {
        self.life.events.flush();
    }

    fn label(&self) -> Option<&str> {
        self.life.label()
    }

    #[inline]
    fn batch_target(&mut self) -> Option<(&mut WriteQueue<T>, usize)> {
        if let Some(receipts) = self.receipts.as_mut() {
            receipts.batch_begins(self.half.queue.len());
        }
        self.half.batch_target(&self.life)
    }

    #[inline]
    fn after_batch(&mut self) {
        self.half.after_batch();
        if let Some(receipts) = self.receipts.as_mut() {
            receipts.batch_ended(self.half.queue.len());
        }
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

impl<T> Drop for Writable<T> {
    fn drop(&mut self) {
        if !self.life.is_closed() && self.life.destroy(None) {
            self.sink.as_mut().destroy(None);
        }
        self.life.events.flush();
    }
}

impl<T: Chunk> fmt::Debug for Writable<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writable")
            .field("label", &self.life.label())
            .field("queued_chunks", &self.half.queue.len())
            .field("ended", &self.half.is_ending())
            .field("finished", &self.half.is_finished())
            .field("destroyed", &self.life.is_destroyed())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;

    use bytes::Bytes;
    use tokio::io::AsyncReadExt;

    use super::*;

    /// Takes one chunk per poll, and is busy every other poll.
    struct Slow {
        busy: bool,
        taken: Vec<u32>,
    }

    impl WriteSink<u32> for Slow {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            queue: &mut WriteQueue<u32>,
        ) -> Poll<Result<()>> {
            self.busy = !self.busy;
            if self.busy {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            let chunk = queue.pop().expect("called with chunks queued");
            self.taken.push(chunk);
            Poll::Ready(Ok(()))
        }
    }

    /// Node's `end()` after `destroy()`: taken when the stream did not
    /// fail (it is ending, and never finishes), refused with
    /// `ERR_STREAM_DESTROYED` when it did, whatever its own error.
    #[test]
    fn end_after_destroy_is_refused_only_when_the_stream_failed() {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut plain = Writable::<u32>::new(crate::NullSink);
        plain.destroy(None);
        assert!(plain.end().is_ok());
        assert!(plain.is_ended());
        assert!(matches!(plain.poll_finish(&mut cx), Poll::Ready(Err(_))));
        let mut failed = Writable::<u32>::new(crate::NullSink);
        failed.destroy(Some(Error::from_kind(crate::ErrorKind::PrematureClose)));
        let refused = failed.end().unwrap_err();
        assert_eq!(refused.kind(), crate::ErrorKind::Destroyed);
        assert_eq!(
            format!("{refused:#}"),
            "the stream was destroyed: premature close"
        );
        assert_eq!(
            failed.errored().map(Error::kind),
            Some(crate::ErrorKind::PrematureClose)
        );
    }

    #[test]
    fn write_flushed_completes_when_the_sink_took_the_chunk() {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut w = Writable::new(Slow {
            busy: false,
            taken: Vec::new(),
        });
        w.write(1).unwrap();
        let (below, mut second) = w.write_flushed(2).unwrap();
        assert!(below);
        let (_, mut third) = w.write_flushed(3).unwrap();
        let mut polls = 0;
        while Pin::new(&mut second).poll(&mut cx).is_pending() {
            assert!(Pin::new(&mut third).poll(&mut cx).is_pending());
            let _ = w.poll_drain(&mut cx);
            polls += 1;
        }
        // Busy, 1 taken then busy, 2 taken then busy.
        assert_eq!(polls, 3);
        assert_eq!(w.writable_length(), 1, "the third is still queued");
        assert!(Pin::new(&mut third).poll(&mut cx).is_pending());
        let _ = w.poll_drain(&mut cx);
        assert!(matches!(
            Pin::new(&mut third).poll(&mut cx),
            Poll::Ready(Ok(()))
        ));
    }

    #[tokio::test]
    async fn write_flushed_fails_when_the_stream_is_destroyed_first() {
        let mut w = Writable::new(Slow {
            busy: false,
            taken: Vec::new(),
        });
        let (_, flushed) = w.write_flushed(1).unwrap();
        w.destroy(Some(Error::new(crate::ErrorKind::Aborted, "stop")));
        assert_eq!(format!("{:#}", flushed.await.unwrap_err()), "stop");
    }

    /// Chunks a pipe hands over in one move are counted too.
    #[tokio::test]
    async fn write_flushed_counts_what_pipes_write() {
        let (sink, got) = crate::CollectSink::new();
        let mut w = Writable::new(sink);
        let (_, first) = w.write_flushed(Bytes::from_static(b"a")).unwrap();
        let mut source = crate::Readable::from_iter(vec![Bytes::from_static(b"b"); 3]);
        crate::pipe(&mut source, &mut w, crate::PipeOptions::keep_open())
            .await
            .unwrap();
        first.await.unwrap();
        let (_, last) = w.write_flushed(Bytes::from_static(b"c")).unwrap();
        w.drained().await.unwrap();
        last.await.unwrap();
        w.close().await.unwrap();
        assert_eq!(got.take().concat(), b"abbbc");
    }

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
