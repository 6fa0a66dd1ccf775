//! [`Writable`]: a queue counted against a highWaterMark in front of a
//! [`WriteSink`], with Node's `write() -> bool`, `drain`, `end`, `finish` and `close`.

use std::borrow::Cow;
use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};

use bytes::Bytes;
use tokio::io::AsyncWrite;

use tokio_util::io::{CopyToBytes, SinkWriter};

use super::chunk::Chunk;
use super::error::{Error, ErrorKind, Result};
use super::event::Event;
use super::flushed::{Flushed, Receipts};
use super::lifecycle::Lifecycle;
use super::sealed;
use super::sink_adapter::SinkAdapter;
use super::ticks::{SourceTicks, next_stamp};
use super::writable_stream::WritableStream;
use super::write_half::WriteHalf;
use super::write_queue::WriteQueue;
use super::write_sink::WriteSink;
use super::writer_sink::WriterSink;

/// A writable stream: Node's `Writable`.
///
/// [`write`](Writable::write) queues the chunk and, as Node's `write()`
/// calls `_write`, hands it to the sink at once when the sink is idle and
/// the stream is not corked; it returns `false` once what is still queued
/// has reached the highWaterMark. After a `false`, `drain` is emitted once
/// the queue has emptied. [`end`](Writable::end) says no more chunks will
/// come: once everything is written the sink's final hook runs, then
/// `prefinish`, `finish` and `close`. Writing after `end` is an error,
/// never silently dropped.
///
/// # Progress
///
/// A sink that takes chunks at once never fills: `write` returns `true`
/// with [`writable_length`](Writable::writable_length) back at 0. Like
/// `write`, [`uncork`](Writable::uncork) and [`end`](Writable::end) ask an
/// idle sink at once, and `end` runs the final hook and emits `prefinish`
/// inside the call when nothing is left to write; `finish` follows at the
/// next poll (Node's next tick). Those calls ask the sink in the caller's
/// context, with a waker that wakes nothing: a sink that is not ready keeps
/// the chunks queued, and a sink that needs a tokio runtime
/// ([`from_writer`](Writable::from_writer), [`from_sink`](Writable::from_sink);
/// see [`WriteSink::starts_at_once`]) is asked at once only inside one.
///
/// Everything else happens while the stream is polled: by a pipe or a
/// pipeline, or by [`write_all`](Writable::write_all),
/// [`drained`](Writable::drained), [`close`](Writable::close) and
/// [`finished`](Writable::finished). Events that Node emits on the next
/// tick (`drain`, `finish`, `error`, `close`) come at the next poll.
/// Dropping one that has not finished
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
/// assert!(out.write(Bytes::from_static(b"ab"))?);    // the writer took it at once
/// assert_eq!(out.writable_length(), 0);
/// out.cork();
/// assert!(out.write(Bytes::from_static(b"cde"))?);   // 3 < 4
/// assert!(!out.write(Bytes::from_static(b"f"))?);    // 4 >= 4: wait for drain
/// out.uncork();                                      // written at once
/// out.drained().await?;
/// out.write_all(Bytes::from_static(b"g")).await?;
/// out.close().await?;
/// assert!(out.write(Bytes::from_static(b"h")).is_err()); // write after end
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
    /// `destroy()` cancelled a write the sink had started (or, for a sink
    /// that starts its writes at its next poll, would have: Node's
    /// `_write` runs inside `write()`): it never completes.
    cancelled_write: bool,
    /// The place in Node's one `nextTick` queue of the destroy's `error`
    /// and `close` (see [`WritableStream::oldest_tick`]).
    destroy_tick: u64,
    /// The place of the `finish` due after a final hook that ran inside
    /// `end()`.
    finish_tick: u64,
    /// The stamps of the ticks pipes' sources had queued when the pipes
    /// were made, not yet run: a `finish` queued after one waits (see
    /// [`WritableStream::source_tick_queued`]).
    source_ticks: SourceTicks,
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
            cancelled_write: false,
            destroy_tick: 0,
            finish_tick: 0,
            source_ticks: SourceTicks::default(),
        }
    }

    /// Sets the highWaterMark, in the chunk type's units (0 is allowed:
    /// every `write` that leaves something queued then returns `false`).
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

    /// A [`finished`](crate::finished) future starts (`true`) or stops
    /// waiting: see [`Events::watch_finished`](super::events::Events::watch_finished).
    pub(crate) fn watch_finished(&mut self, watching: bool) {
        self.life.events.watch_finished(watching);
    }

    /// Writes `chunk` (Node's `write()`): queues it and, when the sink is
    /// idle and the stream is not corked, hands it to the sink at once (see
    /// [Progress](Writable#progress)). Returns `Ok(true)` while what is
    /// still queued is below the highWaterMark (or nothing is), and
    /// `Ok(false)` once it reached it, or when the sink failed inside this
    /// call: the chunk is taken either way, and after a `false` the caller
    /// should wait for [`drained`](Writable::drained) before writing more.
    ///
    /// # Examples
    ///
    /// ```
    /// use smerge::{NullSink, Writable};
    ///
    /// // A sink that takes chunks at once never fills (Node's `_write`
    /// // calling back synchronously).
    /// let mut out = Writable::<u32>::new(NullSink).with_high_water_mark(1);
    /// assert!(out.write(7)?);
    /// assert_eq!(out.writable_length(), 0);
    /// // Corked, the chunks wait for `uncork`.
    /// out.cork();
    /// assert!(!out.write(8)?);
    /// out.uncork();
    /// assert_eq!(out.writable_length(), 0);
    /// # Ok::<(), smerge::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WriteAfterEnd`](crate::ErrorKind::WriteAfterEnd) after [`end`](Writable::end) (the stream is
    /// then destroyed with that error, as in Node), and
    /// [`ErrorKind::Destroyed`](crate::ErrorKind::Destroyed) (or the stream's error) after it was destroyed.
    pub fn write(&mut self, chunk: T) -> Result<bool> {
        if let Err(error) = self.half.write(chunk, &self.life) {
            return Err(self.refused(error));
        }
        if let Some(receipts) = self.receipts.as_mut() {
            receipts.queued_one();
        }
        self.start_writes();
        Ok(self.half.verdict(&self.life))
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
        if let Err(error) = self.half.write(chunk, &self.life) {
            return Err(self.refused(error));
        }
        let receipts = self
            .receipts
            .get_or_insert_with(|| Box::new(Receipts::new(self.half.queue.len() - 1)));
        receipts.queued_one();
        let flushed = receipts.last_write();
        self.start_writes();
        Ok((self.half.verdict(&self.life), flushed))
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

    /// Ends the stream: no more writes. Queued chunks are still written;
    /// the stream is uncorked, and an idle sink is asked for them at once.
    /// When nothing is left to write the sink's final hook runs inside the
    /// call and `prefinish` is emitted (Node's `end()`); `finish` comes at
    /// the next poll (see [Progress](Writable#progress)). Calling it again
    /// before `finish` does nothing. As in Node, a stream destroyed without
    /// an error takes it (it is then ending, and never finishes).
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
    /// let mut w = Writable::<u32>::new(NullSink);
    /// w.observe(move |e: &Event| seen.lock().unwrap().push(e.name()));
    /// w.end()?;
    /// assert_eq!(*log.lock().unwrap(), ["prefinish"]);
    /// assert!(!w.is_finished());
    /// w.finished().await?;
    /// assert_eq!(*log.lock().unwrap(), ["prefinish", "finish"]);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::AlreadyFinished`](crate::ErrorKind::AlreadyFinished) after `finish`, and
    /// [`ErrorKind::Destroyed`](crate::ErrorKind::Destroyed) when the stream failed (caused by
    /// its own error, also [`errored`](Writable::errored)) or was destroyed while ending.
    pub fn end(&mut self) -> Result<()> {
        let opening = !self.half.is_ending();
        if self.half.corked() > 0 {
            // Node's `end()` uncorks first, every time (a `cork()` after
            // the first `end()` is undone too, writable.js:829-833): a
            // sink failing on a corked chunk leaves the stream errored,
            // and then not ending.
            self.half.uncork_all();
            self.start_writes();
        }
        self.half.end(&self.life)?;
        if opening {
            self.start_final();
        }
        Ok(())
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

    /// Undoes one [`cork`](Writable::cork); after the last one, an idle
    /// sink is asked for the queued chunks at once, as by
    /// [`write`](Writable::write).
    pub fn uncork(&mut self) {
        if self.half.corked() > 0 {
            self.half.uncork();
            self.start_writes();
        }
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
            self.destroy_tick = next_stamp();
            self.cancelled_write =
                self.half.writing || (self.half.corked() == 0 && !self.half.queue.is_empty());
            self.sink.as_mut().destroy(self.life.errored());
            if let Some(receipts) = self.receipts.as_mut() {
                receipts.fail(&self.life.destroyed_error());
            }
        }
    }

    /// A refused write: after `end`, Node's `errorOrDestroy` destroys the
    /// stream with the error, its sink's `destroy` hook included.
    #[cold]
    fn refused(&mut self, error: Error) -> Error {
        if error.kind() == ErrorKind::WriteAfterEnd {
            self.destroy(Some(error.clone()));
        }
        error
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

    /// Node's `write()` and `clearBuffer()` calling `_write`: hands queued
    /// chunks to an idle sink at once, in the caller's context (see
    /// [Progress](Writable#progress)). What Node emits on the next tick
    /// (`drain`, the error) waits for the next poll.
    #[inline]
    fn start_writes(&mut self) {
        if self.half.may_start(&self.life) && self.sink.starts_at_once() {
            self.write_now();
        }
    }

    fn write_now(&mut self) {
        let mut cx = Context::from_waker(Waker::noop());
        while self.half.has_work() {
            match self.sink.as_mut().poll_write(&mut cx, &mut self.half.queue) {
                Poll::Pending => {
                    self.half.writing = true;
                    break;
                }
                Poll::Ready(Ok(())) => self.half.wrote_at_once(),
                Poll::Ready(Err(error)) => {
                    // Node's `onwrite`: errored now, destroyed on the next
                    // tick; whoever polls next is handed the error.
                    let error = self.life.locate(error);
                    self.life.fails_later(error);
                    break;
                }
            }
        }
        self.settle_receipts();
    }

    /// Node's `end()` calling `prefinish()`: with nothing left to write,
    /// runs the final hook at once and, if it is done, emits `prefinish`.
    fn start_final(&mut self) {
        if !self.half.ready_to_finalize() || self.life.is_destroyed() || !self.sink.starts_at_once()
        {
            return;
        }
        let mut cx = Context::from_waker(Waker::noop());
        match self.sink.as_mut().poll_final(&mut cx) {
            Poll::Pending => {}
            Poll::Ready(Ok(())) => {
                self.half.prefinished(&mut self.life.events);
                self.finish_tick = next_stamp();
            }
            Poll::Ready(Err(error)) => {
                let error = self.life.locate(error);
                self.destroy(Some(error));
            }
        }
    }

    /// The start of the stream's tick: the deferred events, the
    /// destruction of a stream whose sink failed inside `write()`, then the
    /// `finish` due after a final hook that ran inside `end()`. As in Node
    /// (for a stream without `_final`), a stream destroyed since then does
    /// not finish; a pipe's source tick queued before the `finish` runs
    /// first (see [`WritableStream::source_tick_queued`]). A sync write's
    /// callback tick still pending queues the `finish` instead, for the
    /// next tick (see `WriteHalf::wrote_at_once`): until it ran, a stream
    /// that ended does not finish (`afterWrite` → `finishMaybe(stream,
    /// state, true)`).
    #[inline]
    fn tick(&mut self) {
        self.life.events.flush();
        if self.life.destroy_due() {
            self.destroy(self.life.errored().cloned());
        }
        let after_write = self.half.take_after_write_tick().is_some();
        if self.half.finish_due() && !self.life.is_destroyed() {
            if after_write {
                self.finish_tick = next_stamp();
            } else if !self.finish_waits_for_source() {
                self.half.finished();
                self.life.events.emit(Event::Finish);
                self.life.close();
            }
        }
    }

    /// A pipe's source tick queued before the `finish` has not run yet.
    fn finish_waits_for_source(&self) -> bool {
        self.source_ticks.oldest() < self.finish_tick
    }

    /// Hands queued chunks to the sink until the queue is empty or the sink
    /// is busy. The caller ticked first: a second tick within the same
    /// poll would deliver what the first deferred (a destroy's `error` and
    /// `close`) before the caller could react (a pipe's `unpipe`).
    #[inline]
    fn poll_write_queue(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
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
                    self.half.writing = true;
                    self.settle_receipts();
                    return Poll::Pending;
                }
                Poll::Ready(Ok(())) => self.half.writing = false,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(self.fail(error))),
            }
        }
        if self.half.finishes_corked_write() {
            let sink = &mut self.sink;
            let polled = self
                .half
                .queue
                .with_first_only(1, |front| sink.as_mut().poll_write(cx, front));
            match polled {
                Poll::Pending => {
                    self.settle_receipts();
                    return Poll::Pending;
                }
                Poll::Ready(Ok(())) => self.half.writing = false,
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
        self.tick();
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
        self.tick();
        if self.half.is_finished() {
            return Poll::Ready(Ok(()));
        }
        if self.finish_due() && !self.finish_waits_for_source() {
            // The sync write's callback tick queued the `finish` for the
            // next tick.
            cx.waker().wake_by_ref();
            return Poll::Pending;
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

    /// The after-write tick of a write the sink completed inside
    /// `write()`, queued before `stamp`, runs first; with no `end()`
    /// before it, it has nothing to finish (writable.js:699-720
    /// `afterWrite`), and a later write queues its own.
    fn run_ticks_before(&mut self, stamp: u64) {
        if !self.half.finish_due()
            && self
                .half
                .after_write_tick()
                .is_some_and(|tick| tick < stamp)
        {
            self.half.take_after_write_tick();
        }
    }

    fn oldest_tick(&self) -> Option<u64> {
        let destroy = WritableStream::destroy_tick(self);
        // A stream destroyed since does not finish (see `tick`).
        let finish = (self.half.finish_due() && !self.life.is_destroyed())
            .then(|| self.half.after_write_tick().unwrap_or(self.finish_tick));
        destroy.into_iter().chain(finish).min()
    }

    fn destroy_tick(&self) -> Option<u64> {
        self.life.events.has_deferred().then_some(self.destroy_tick)
    }

    fn failed_write_tick(&self) -> Option<u64> {
        self.life.destroy_due_tick()
    }

    fn after_write_tick(&self) -> Option<u64> {
        self.half.after_write_tick()
    }

    fn source_tick_queued(&mut self, stamp: u64) {
        self.source_ticks.queued(stamp);
    }

    fn source_tick_ran(&mut self, stamp: u64) {
        self.source_ticks.ran(stamp);
    }

    fn needs_drain(&self) -> bool {
        Writable::needs_drain(self)
    }

    fn is_finished(&self) -> bool {
        self.half.is_finished()
    }

    fn is_ending(&self) -> bool {
        self.half.is_ending()
    }

    fn finish_due(&self) -> bool {
        self.half.finish_due() && !self.life.is_destroyed()
    }

    fn is_destroyed(&self) -> bool {
        self.life.is_destroyed()
    }

    fn is_closed(&self) -> bool {
        self.life.events.is_closed()
    }

    fn piped(&mut self, attached: bool) {
        self.life.events.emit_piped(attached);
    }

    fn unpiped_now(&mut self) {
        self.life.events.emit_unpiped_now();
    }

    fn flush_events(&mut self) {
        self.life.events.flush();
    }

    fn label(&self) -> Option<&str> {
        self.life.label()
    }

    fn failure(&self) -> Option<Error> {
        self.life.errored().cloned()
    }

    /// After `destroy()`, the chunks queued behind no write in progress
    /// are dropped before `close` (Node's `errorBuffer`); a write in
    /// progress counts until the next tick, when smerge drops it (see
    /// [`Writable::destroy`]).
    fn finished_loosely(&self) -> bool {
        self.life.errored().is_none()
            && (self.half.is_finished()
                || (self.half.is_ending()
                    && (self.half.queue.size() == 0 || !self.cancelled_write)))
    }

    fn write_cancelled(&self) -> bool {
        self.cancelled_write
    }

    #[inline]
    fn batch_target(&mut self) -> Option<(&mut WriteQueue<T>, usize)> {
        if let Some(receipts) = self.receipts.as_mut() {
            receipts.batch_begins(self.half.queue.len());
        }
        self.half.batch_target(&self.life)
    }

    /// After a hand-over, as after each `write`: an idle sink is asked at
    /// once, then the verdict of the last chunk is taken (a pipe into a
    /// sink that takes chunks at once never pauses).
    #[inline]
    fn after_batch(&mut self) {
        if let Some(receipts) = self.receipts.as_mut() {
            receipts.batch_ended(self.half.queue.len());
        }
        self.start_writes();
        self.half.after_batch();
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

    /// Fails every write.
    struct Failing;

    impl WriteSink<u32> for Failing {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &mut WriteQueue<u32>,
        ) -> Poll<Result<()>> {
            Poll::Ready(Err(Error::new(crate::ErrorKind::Io, "disk full")))
        }
    }

    fn logged<T: Chunk>(
        w: &mut Writable<T>,
    ) -> std::sync::Arc<std::sync::Mutex<Vec<&'static str>>> {
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = std::sync::Arc::clone(&log);
        w.observe(move |e| seen.lock().unwrap().push(e.name()));
        log
    }

    /// Node's `write()` calls `_write` at once: a sink that takes chunks
    /// at once never fills, even with a highWaterMark of 0, and no `drain`
    /// is due.
    #[test]
    fn a_sink_that_takes_chunks_at_once_never_fills() {
        let (sink, got) = crate::CollectSink::new();
        let mut w = Writable::new(sink).with_high_water_mark(0);
        let log = logged(&mut w);
        assert!(w.write(1u32).unwrap());
        assert!(w.write(2).unwrap());
        assert_eq!(w.writable_length(), 0);
        assert!(!w.needs_drain());
        assert_eq!(got.take(), [1, 2]);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(w.poll_drain(&mut cx).is_ready());
        assert!(log.lock().unwrap().is_empty());
    }

    /// A busy sink is not asked again by `write`: the chunks wait, counted,
    /// and `write` returns `false` at the highWaterMark.
    #[test]
    fn a_busy_sink_is_asked_again_only_by_a_poll() {
        let mut w = Writable::new(Slow {
            busy: false,
            taken: Vec::new(),
        })
        .with_high_water_mark(2);
        assert!(w.write(1).unwrap(), "asked, busy: 1 of 2 queued");
        assert!(!w.write(2).unwrap());
        assert_eq!(w.writable_length(), 2);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(w.poll_drain(&mut cx).is_pending());
        assert_eq!(w.writable_length(), 1);
    }

    /// A stream corked while its sink was busy: the sink finishes that
    /// chunk at the next poll, and takes the corked ones only after
    /// `uncork`.
    #[test]
    fn a_write_in_progress_finishes_while_corked() {
        let mut w = Writable::new(Slow {
            busy: false,
            taken: Vec::new(),
        });
        w.write(1).unwrap();
        w.cork();
        w.write(2).unwrap();
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(w.poll_drain(&mut cx).is_pending());
        assert_eq!(w.writable_length(), 1, "1 written, 2 corked");
        assert!(w.poll_drain(&mut cx).is_pending());
        assert_eq!(w.writable_length(), 1);
        w.uncork();
        while w.poll_drain(&mut cx).is_pending() {}
        assert_eq!(w.writable_length(), 0);
    }

    /// Node's `end()` uncorks every time: corked after its first `end()`,
    /// a stream holds what is queued until a second `end()`, which writes
    /// it and lets the stream finish (Node 20: `write(a); write(b); end();
    /// cork(); end()` with a deferred sink: `_write(a) _write(b) prefinish
    /// finish`).
    #[test]
    fn a_second_end_uncorks_a_stream_corked_after_its_first() {
        let mut w = Writable::new(Slow {
            busy: false,
            taken: Vec::new(),
        });
        w.write(1).unwrap();
        w.write(2).unwrap();
        w.end().unwrap();
        w.cork();
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(w.poll_finish(&mut cx).is_pending());
        assert!(w.poll_finish(&mut cx).is_pending());
        assert_eq!(w.writable_length(), 1, "1 written, 2 corked");
        w.end().unwrap();
        let mut polls = 0;
        while w.poll_finish(&mut cx).is_pending() {
            polls += 1;
            assert!(polls < 5, "the stream does not finish");
        }
        assert_eq!(w.writable_length(), 0);
    }

    /// Corked chunks go to the sink inside the last `uncork`, and inside
    /// `end` (which uncorks).
    #[test]
    fn uncork_and_end_write_what_was_corked_at_once() {
        let (sink, got) = crate::CollectSink::new();
        let mut w = Writable::new(sink);
        w.cork();
        w.cork();
        w.write(1u32).unwrap();
        w.uncork();
        assert_eq!(w.writable_length(), 1, "still corked once");
        w.uncork();
        assert_eq!(w.writable_length(), 0);
        w.cork();
        w.write(2).unwrap();
        w.end().unwrap();
        assert_eq!(got.take(), [1, 2]);
        assert!(w.is_ended());
    }

    /// Node's `end()` with nothing left to write: `prefinish` inside the
    /// call, `finish` (and `close`) on the next tick, here the next poll.
    #[test]
    fn end_emits_prefinish_inside_the_call_and_finish_at_the_next_poll() {
        let mut w = Writable::<u32>::new(crate::NullSink);
        let log = logged(&mut w);
        w.end().unwrap();
        assert_eq!(*log.lock().unwrap(), ["prefinish"]);
        assert!(!w.is_finished() && !w.is_destroyed());
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(matches!(w.poll_finish(&mut cx), Poll::Ready(Ok(()))));
        assert!(w.is_finished());
        drop(w);
        assert_eq!(*log.lock().unwrap(), ["prefinish", "finish", "close"]);
    }

    /// A write after an `end()` that prefinished destroys the stream
    /// before its `finish`, which then never comes (Node's writable
    /// without `_final`).
    #[test]
    fn a_write_after_end_comes_before_finish() {
        let mut w = Writable::<u32>::new(crate::NullSink);
        let log = logged(&mut w);
        w.end().unwrap();
        assert!(w.write(1).is_err());
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(w.poll_finish(&mut cx).is_ready());
        assert!(!w.is_finished());
        drop(w);
        assert_eq!(*log.lock().unwrap(), ["prefinish", "error", "close"]);
    }

    /// Node's `onwrite` with a synchronous error: `write()` returns false
    /// and the stream is errored at once; it is destroyed, with `error` and
    /// `close`, on the next tick, and the next poll reports the error.
    #[test]
    fn a_sink_failing_inside_write_errors_the_stream_at_once() {
        let mut w = Writable::new(Failing);
        let log = logged(&mut w);
        assert!(!w.write(1).unwrap());
        assert_eq!(
            w.errored().map(ToString::to_string).as_deref(),
            Some("disk full")
        );
        assert!(!w.is_destroyed());
        assert!(!w.write(2).unwrap(), "queued, not written");
        assert!(w.end().is_ok());
        assert!(log.lock().unwrap().is_empty());
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match w.poll_drain(&mut cx) {
            Poll::Ready(Err(error)) => assert_eq!(error.to_string(), "disk full"),
            other => panic!("{other:?}"),
        }
        assert!(w.is_destroyed());
        drop(w);
        assert_eq!(*log.lock().unwrap(), ["error", "close"]);
    }

    /// Node's `end()` uncorks before it ends: a corked chunk the sink
    /// fails on leaves the stream errored, and `end` then does not end it.
    #[test]
    fn end_does_not_end_a_stream_whose_corked_chunk_failed() {
        let mut w = Writable::new(Failing);
        let log = logged(&mut w);
        w.cork();
        w.write(1).unwrap();
        w.end().unwrap();
        assert!(w.errored().is_some());
        assert!(!w.is_ended());
        assert!(log.lock().unwrap().is_empty(), "no prefinish");
    }

    /// Outside a tokio runtime a writer is not asked inside `write` (tokio's
    /// files need one); the next poll writes.
    #[test]
    fn outside_a_runtime_a_writer_waits_for_the_next_poll() {
        let mut w = Writable::from_writer(Vec::new());
        assert!(w.write(Bytes::from_static(b"ab")).unwrap());
        assert_eq!(w.writable_length(), 2);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(w.poll_drain(&mut cx).is_ready());
        assert_eq!(w.writable_length(), 0);
    }

    /// Inside one, `write` hands the chunk to the writer at once.
    #[tokio::test]
    async fn inside_a_runtime_a_writer_takes_chunks_inside_write() {
        let (client, mut server) = tokio::io::duplex(64);
        let mut w = Writable::from_writer(client).with_high_water_mark(2);
        assert!(w.write(Bytes::from_static(b"abc")).unwrap());
        assert_eq!(w.writable_length(), 0);
        w.close().await.unwrap();
        let mut written = Vec::new();
        server.read_to_end(&mut written).await.unwrap();
        assert_eq!(written, b"abc");
    }

    /// Node's pipe into a sink that takes chunks at once: every `write`
    /// returns true, so the source never pauses and no `drain` comes.
    #[tokio::test]
    async fn a_pipe_into_a_sink_that_takes_chunks_at_once_never_pauses() {
        let (sink, got) = crate::CollectSink::new();
        let mut w = Writable::new(sink).with_high_water_mark(1);
        let log = logged(&mut w);
        let mut source = crate::Readable::from_iter(1u32..=5).with_high_water_mark(1);
        crate::pipe(&mut source, &mut w, crate::PipeOptions::keep_open())
            .await
            .unwrap();
        assert_eq!(got.take(), [1, 2, 3, 4, 5]);
        assert_eq!(*log.lock().unwrap(), ["pipe", "unpipe"]);
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
        // Busy (asked inside `write`), 1 taken then busy, 2 taken then busy.
        assert_eq!(polls, 2);
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

    /// A write the sink completed inside `write()` has its callback run on
    /// a tick queued then, and an `end()` before that tick finishes only on
    /// the tick after it (writable.js `onwrite` queues `afterWriteTick`,
    /// whose `afterWrite` → `finishMaybe(stream, state, true)` queues the
    /// `finish`). Node 20, `w.write(7); w.end()` (a sync sink), then
    /// `nextTick(a)`, and in `a`, `nextTick(b)`: `prefinish`, `a` (not
    /// finished), `finish`, `b`. Without the write, `end()` alone finishes
    /// on its first tick.
    #[test]
    fn a_sync_writes_callback_tick_delays_the_finish_by_a_tick() {
        let mut cx = Context::from_waker(Waker::noop());
        let mut written = Writable::<u32>::new(crate::NullSink);
        assert!(written.write(7).unwrap());
        written.end().unwrap();
        assert!(WritableStream::poll_finish(&mut written, &mut cx).is_pending());
        assert!(!written.is_finished());
        assert!(WritableStream::poll_finish(&mut written, &mut cx).is_ready());
        assert!(written.is_finished());

        let mut ended = Writable::<u32>::new(crate::NullSink);
        ended.end().unwrap();
        assert!(WritableStream::poll_finish(&mut ended, &mut cx).is_ready());
    }
}
