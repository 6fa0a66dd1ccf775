//! [`Duplex`]: a stream with a writable side and a readable side, each with
//! its own highWaterMark (Node's `Duplex`, and `Transform` through
//! [`Duplex::transform`]).

use std::borrow::Cow;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};

use bytes::Bytes;

use super::chunk::Chunk;
use super::duplex_handler::DuplexHandler;
use super::error::{Error, ErrorKind, Result};
use super::event::Event;
use super::events::Events;
use super::lifecycle::Lifecycle;
use super::pair_handler::PairHandler;
use super::pass_through::PassThrough;
use super::push::Push;
use super::read_half::ReadHalf;
use super::read_source::ReadSource;
use super::readable_stream::ReadableStream;
use super::sealed;
use super::transform::Transform;
use super::transform_handler::TransformHandler;
use super::writable_stream::WritableStream;
use super::write_half::WriteHalf;
use super::write_queue::WriteQueue;
use super::write_sink::WriteSink;

/// A stream with a writable side taking `I` and a readable side giving `O`:
/// Node's `Duplex`, and its `Transform`.
///
/// Each side has its own highWaterMark. As for a
/// [`Writable`](crate::Writable#progress), [`write`](Duplex::write),
/// [`uncork`](Duplex::uncork) and [`end`](Duplex::end) hand chunks to an idle
/// writable side at once: a transform runs inside `write()` and its output
/// is readable when the call returns, and `end()` flushes it and emits
/// `prefinish`, with `finish` at the next poll. For a transform, the
/// writable side is held while the readable side is full, so a consumer
/// that stops reading stops the writer too. `close` comes after both `end` and
/// `finish`. With [`allow_half_open(false)`](Duplex::allow_half_open) the
/// writable side is ended when the readable side ends.
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::{Duplex, PassThrough, Readable, ReadableExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let mut pass = Duplex::transform(PassThrough::<Bytes>::new()).with_high_water_mark(4);
/// assert!(!pass.write(Bytes::from_static(b"full"))?); // 4 >= 4
/// pass.end()?;
/// assert_eq!(pass.to_bytes().await?, "full");
/// # Ok(())
/// # }
/// ```
pub struct Duplex<I, O> {
    write: WriteHalf<I>,
    read: ReadHalf<O>,
    handler: Pin<Box<dyn DuplexHandler<I, O>>>,
    life: Lifecycle,
    allow_half_open: bool,
    /// A transform: a written chunk counts as written only once the
    /// readable side has room for more output, so `drain` waits for the
    /// consumer (Node parks the write callback of a transform whose output
    /// filled the readable side until the next read).
    coupled: bool,
    /// What the next tick delivers ahead of the `finish` that `end()`
    /// scheduled, because Node queued it first.
    before_finish: BeforeFinish,
}

/// What comes ahead of a `finish` scheduled inside `end()`, as Node's
/// `nextTick` queue orders them.
#[derive(Clone, Copy, Debug, Default)]
struct BeforeFinish {
    /// A `resume()` scheduled its `resume` before `end()`.
    resume: bool,
    /// `end()` flushed the end into a flowing, empty readable side: Node's
    /// `flow()` inside the flush's `push(null)` schedules `endReadableNT`
    /// before the `_final` callback schedules `finish`.
    end: bool,
}

// Chunks are never pinned: the queue and the buffer only move them.
impl<I, O> Unpin for Duplex<I, O> {}

impl<I: Chunk, O: Chunk> Duplex<I, O> {
    /// A duplex driven by `handler`, with each side's default highWaterMark.
    pub(crate) fn new(handler: impl DuplexHandler<I, O> + 'static) -> Self {
        Duplex {
            write: WriteHalf::new(I::DEFAULT_HIGH_WATER_MARK),
            read: ReadHalf::new(O::DEFAULT_HIGH_WATER_MARK),
            handler: Box::pin(handler),
            life: Lifecycle::default(),
            allow_half_open: true,
            coupled: false,
            before_finish: BeforeFinish::default(),
        }
    }

    /// Runs `transform` as a stream (Node's `Transform`).
    pub fn transform<X>(transform: X) -> Self
    where
        X: Transform<Input = I, Output = O> + Unpin,
    {
        let mut duplex = Duplex::new(TransformHandler::new(transform));
        duplex.coupled = true;
        duplex
    }

    /// A duplex of two independent halves: what is written goes to `sink`,
    /// what is read comes from `source` (a socket, a child process).
    pub fn from_parts(
        source: impl ReadSource<O> + 'static,
        sink: impl WriteSink<I> + 'static,
    ) -> Self {
        Duplex::new(PairHandler::new(source, sink))
    }

    /// Sets the highWaterMark of both sides.
    pub fn with_high_water_mark(mut self, high_water_mark: usize) -> Self {
        self.write.set_high_water_mark(high_water_mark);
        self.read.buffer.set_high_water_mark(high_water_mark);
        self
    }

    /// Sets the readable side's highWaterMark.
    pub fn with_readable_high_water_mark(mut self, high_water_mark: usize) -> Self {
        self.read.buffer.set_high_water_mark(high_water_mark);
        self
    }

    /// Sets the writable side's highWaterMark.
    pub fn with_writable_high_water_mark(mut self, high_water_mark: usize) -> Self {
        self.write.set_high_water_mark(high_water_mark);
        self
    }

    /// Whether the writable side may stay open after the readable side
    /// ended (Node's `allowHalfOpen`, `true` by default).
    pub fn allow_half_open(mut self, allow: bool) -> Self {
        self.allow_half_open = allow;
        self
    }

    /// Node's `autoDestroy` (on by default): with `false`, the stream is not
    /// destroyed when it ended and finished, so `close` is not emitted then and
    /// [`is_destroyed`](Duplex::is_destroyed) stays false until
    /// [`destroy`](Duplex::destroy) (or a drop, which destroys). An error
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
    /// use smerge::{Duplex, Event};
    ///
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// let seen = Arc::clone(&log);
    /// let mut d = Duplex::<u32, u32>::pass_through().emit_close(false);
    /// d.observe(move |e: &Event| seen.lock().unwrap().push(e.name()));
    /// d.destroy(None);
    /// drop(d);
    /// assert!(log.lock().unwrap().is_empty());
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

    /// How much the writable side has queued (Node's `writableLength`).
    pub fn writable_length(&self) -> usize {
        self.write.queue.size()
    }

    /// How much the readable side has buffered (Node's `readableLength`).
    pub fn readable_length(&self) -> usize {
        self.read.buffer.len()
    }

    /// The readable side's highWaterMark.
    pub fn readable_high_water_mark(&self) -> usize {
        self.read.buffer.high_water_mark()
    }

    /// The writable side's highWaterMark.
    pub fn writable_high_water_mark(&self) -> usize {
        self.write.high_water_mark()
    }

    /// True once the readable side emitted `end`.
    pub fn is_ended(&self) -> bool {
        self.read.is_ended()
    }

    /// True once `end` was called on the writable side (Node's
    /// `writableEnded`).
    pub fn is_ending(&self) -> bool {
        self.write.is_ending()
    }

    /// Whether the readable side flows (Node's `readableFlowing`): `None`
    /// until it is piped, resumed or paused.
    pub fn flowing(&self) -> Option<bool> {
        self.read.flowing()
    }

    /// True once the writable side emitted `finish`.
    pub fn is_finished(&self) -> bool {
        self.write.is_finished()
    }

    /// True once destroyed, or closed after both sides ended.
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

    /// Writes `chunk` to the writable side; see [`Writable::write`](crate::Writable::write).
    /// A transform's work on it is done inside the call when the transform
    /// is idle.
    ///
    /// # Examples
    ///
    /// ```
    /// use smerge::Duplex;
    ///
    /// // Node: t.write(x) runs _transform, and t.read() finds its output.
    /// let mut pass = Duplex::<u32, u32>::pass_through();
    /// assert!(pass.write(7)?);
    /// assert_eq!((pass.writable_length(), pass.readable_length()), (0, 1));
    /// assert_eq!(pass.read(), Some(7));
    /// # Ok::<(), smerge::Error>(())
    /// ```
    pub fn write(&mut self, chunk: I) -> Result<bool> {
        if let Err(error) = self.write.write(chunk, &self.life) {
            return Err(self.refused(error));
        }
        self.start_writes();
        Ok(self.write.verdict(&self.life))
    }

    /// Ends the writable side; see [`Writable::end`](crate::Writable::end).
    /// A transform with nothing left to work on flushes inside the call.
    pub fn end(&mut self) -> Result<()> {
        let opening = !self.write.is_ending();
        if opening && self.write.corked() > 0 {
            // Node's `end()` uncorks first (see `Writable::end`).
            self.write.uncork_all();
            self.start_writes();
        }
        self.write.end(&self.life)?;
        if opening {
            self.start_final();
        }
        Ok(())
    }

    /// Holds writes until [`uncork`](Duplex::uncork).
    pub fn cork(&mut self) {
        self.write.cork();
    }

    /// Undoes one [`cork`](Duplex::cork); after the last one, the queued
    /// chunks go to an idle writable side at once.
    pub fn uncork(&mut self) {
        if self.write.corked() > 0 {
            self.write.uncork();
            self.start_writes();
        }
    }

    /// Takes buffered output without waiting, after handing queued input
    /// to the handler and, while the readable side is below its
    /// highWaterMark, asking it for output (Node's `read()` calling
    /// `_read`): for bytes everything buffered, joined; for
    /// objects, and on a flowing side, the oldest chunk. Once a read left
    /// nothing before the end, `end` follows on the next tick, as for
    /// [`Readable::read`](crate::Readable::read).
    pub fn read(&mut self) -> Option<O> {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let _ = self.poll_write_side(&mut cx);
        if !self.life.is_destroyed()
            && self.life.errored().is_none()
            && self.read.buffer.wants_more(true)
        {
            let mut out = Push::new(&mut self.read.buffer);
            if let Poll::Ready(Err(error)) = self.handler.as_mut().poll_read(&mut cx, &mut out) {
                self.fail(error);
            }
        }
        let chunk = self.read.take_for_read(&mut self.life.events);
        self.schedule_end_if_drained();
        chunk
    }

    /// A read outside a poll found the end: `end` on the next tick, unless
    /// the stream was destroyed first (see `Readable`).
    fn schedule_end_if_drained(&mut self) {
        if !self.life.is_destroyed() {
            self.read.schedule_end_if_drained();
        }
    }

    /// Stops the flow of the readable side.
    pub fn pause(&mut self) {
        self.read.pause(&mut self.life.events);
    }

    /// Starts the flow of the readable side; `resume` comes on the next
    /// tick, as for [`Readable::resume`](crate::Readable::resume).
    pub fn resume(&mut self) {
        self.read.resume();
        if self.life.is_destroyed() {
            // No poll will run the flow: `resume` comes on the next tick
            // all the same, after the destroy's `close`, as in Node.
            self.read.defer_scheduled_resume(&mut self.life.events);
        }
    }

    /// Lets a tick pass for a duplex whose readable side nothing reads
    /// from: delivers the events deferred to the next tick and the
    /// `resume` a `resume()` scheduled; see
    /// [`Readable::tick`](crate::Readable::tick).
    pub fn tick(&mut self) {
        self.start_tick();
        self.read.emit_scheduled_resume(&mut self.life.events);
    }

    /// Destroys both sides; see [`Writable::destroy`](crate::Writable::destroy).
    /// As in Node, what the readable side holds stays readable, and a
    /// transform that holds a chunk (its output filled the readable side)
    /// never finishes it: that chunk, and every one queued behind it, keep
    /// counting in [`writable_length`](Duplex::writable_length).
    pub fn destroy(&mut self, error: Option<Error>) {
        self.read.defer_scheduled_resume(&mut self.life.events);
        if self.life.destroy(error) {
            // The queued writes still count until the next tick (for good
            // behind a chunk the transform holds), and what is buffered
            // for reading stays, as in Node (see
            // `WriteQueue::drop_after_destroy`, `Readable::destroy`).
            self.handler.as_mut().destroy(self.life.errored());
        }
    }

    /// A refused write: after `end`, Node's `errorOrDestroy` destroys the
    /// stream with the error (a `resume` still scheduled comes first, then
    /// `error` and `close`).
    #[cold]
    fn refused(&mut self, error: Error) -> Error {
        if error.kind() == ErrorKind::WriteAfterEnd {
            self.destroy(Some(error.clone()));
        }
        error
    }

    /// Node's `write()` and `clearBuffer()` calling `_write`: hands queued
    /// chunks to an idle handler at once, in the caller's context (see
    /// [`Writable`](crate::Writable#progress)).
    #[inline]
    fn start_writes(&mut self) {
        if self.write.may_start(&self.life) && self.handler.starts_at_once() {
            self.write_now();
        }
    }

    fn write_now(&mut self) {
        let mut cx = Context::from_waker(Waker::noop());
        while self.write.has_work() {
            let mut out = Push::new(&mut self.read.buffer);
            match self
                .handler
                .as_mut()
                .poll_write(&mut cx, &mut self.write.queue, &mut out)
            {
                Poll::Pending => {
                    self.write.writing = true;
                    return;
                }
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(error)) => {
                    // Node's `onwrite`: the failed chunk stops counting,
                    // the stream is errored now and destroyed on the next
                    // tick; whoever polls next is handed the error.
                    self.write.queue.finish_in_flight();
                    let error = self.life.locate(error);
                    self.life.fails_later(error);
                    return;
                }
            }
        }
    }

    /// Node's `end()` calling `prefinish()`: with nothing left to write,
    /// runs the final hook at once (a transform flushes) and, if it is
    /// done, emits `prefinish`; `finish` comes at the next poll.
    fn start_final(&mut self) {
        if !self.write.ready_to_finalize()
            || self.life.is_destroyed()
            || !self.handler.starts_at_once()
        {
            return;
        }
        let mut cx = Context::from_waker(Waker::noop());
        let mut out = Push::new(&mut self.read.buffer);
        match self.handler.as_mut().poll_final(&mut cx, &mut out) {
            Poll::Pending => {}
            Poll::Ready(Ok(())) => {
                self.write.prefinished(&mut self.life.events);
                self.before_finish = BeforeFinish {
                    resume: self.read.resume_scheduled(),
                    end: self.read.flowing() == Some(true) && self.read.schedule_end_if_drained(),
                };
            }
            Poll::Ready(Err(error)) => {
                let error = self.life.locate(error);
                self.destroy(Some(error));
            }
        }
    }

    /// The part of a tick that comes ahead of the `finish` that `end()`
    /// scheduled: the `resume` scheduled before `end()`, then the `end`
    /// that `end()` scheduled. Returns whether `end` came.
    #[cold]
    fn tick_before_finish(&mut self) -> bool {
        let before = std::mem::take(&mut self.before_finish);
        if before.resume {
            // Deferred already if the stream was destroyed since.
            self.life.events.deliver_deferred_resume();
            self.read.emit_scheduled_resume(&mut self.life.events);
            // Node's `resume_` reads: at the end already, it schedules
            // `end`, after the `finish` queued before.
            if !self.life.is_destroyed() {
                self.read.schedule_end_if_drained();
            }
        }
        if !before.end {
            return false;
        }
        if self.life.errored().is_some() {
            self.read.cancel_scheduled_end();
            return false;
        }
        self.read.emit_scheduled_end(&mut self.life.events)
    }

    /// The start of the stream's tick: the `finish` due after a final
    /// hook that ran inside `end()`, ahead of what was deferred since (as
    /// Node's `_final` callback scheduled it, it comes even if a write
    /// after `end` destroyed the stream), the deferred events, and the
    /// destruction of a stream whose handler failed inside `write()`, and
    /// on a destroyed stream Node's `errorBuffer`: the queued chunks stop
    /// counting (see [`WriteQueue::drop_after_destroy`]).
    #[inline]
    fn start_tick(&mut self) {
        let mut ended_first = false;
        if self.write.finish_due() {
            if self.before_finish.resume || self.before_finish.end {
                ended_first = self.tick_before_finish();
            }
            // After an `end` in this tick, the `close` waits for the next
            // poll: what the consumer does on `end` (a pipe's `unpipe` and
            // `pause`) comes first, as Node's listeners run inside `end`.
            self.tick_finish(!ended_first);
        }
        if self.life.errored().is_some() {
            self.read.cancel_scheduled_end();
        } else if self.read.emit_scheduled_end(&mut self.life.events) {
            self.readable_ended(&mut Context::from_waker(Waker::noop()));
        }
        if self.life.is_destroyed() && !self.read.buffer.is_empty() {
            self.flush_destroyed();
        } else {
            self.life.events.flush();
        }
        if ended_first {
            self.close_if_done();
        }
        if self.life.destroy_due() {
            self.destroy(self.life.errored().cloned());
        }
        if self.life.is_destroyed() {
            self.write.queue.drop_after_destroy();
        }
    }

    /// The deferred events of a destroyed stream with output buffered:
    /// Node's `resume_` flows the stream all the same, so after a
    /// `resume`, a flowing readable side gives up what it holds, with a
    /// `data` event for each chunk while neither `error` nor `close` came
    /// yet (Node's `read()` on a destroyed stream).
    #[cold]
    fn flush_destroyed(&mut self) {
        while self.life.events.flush_through_resume() {
            if self.read.flowing() == Some(true) {
                while self.read.take(&mut self.life.events).is_some() {}
            }
        }
    }

    #[cold]
    fn tick_finish(&mut self, close: bool) {
        self.write.finished();
        self.life.events.emit(Event::Finish);
        if close {
            self.close_if_done();
        }
    }

    /// Hands queued chunks to the handler and, once the writable side
    /// ended and drained, runs its final hook.
    // Every read of every chunk runs this; left to itself the compiler
    // makes it a call, which costs more than the common case's work.
    #[inline(always)]
    fn poll_write_side(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if self.life.is_destroyed() {
            if self.write.is_finished() {
                return Poll::Ready(Ok(()));
            }
            return Poll::Ready(Err(self.life.destroyed_error()));
        }
        if let Some(error) = self.life.errored() {
            // Failed inside `write()`: destroyed at the next tick.
            return Poll::Ready(Err(error.clone()));
        }
        while self.write.has_work() {
            let mut out = Push::new(&mut self.read.buffer);
            match self
                .handler
                .as_mut()
                .poll_write(cx, &mut self.write.queue, &mut out)
            {
                Poll::Pending => {
                    self.write.writing = true;
                    return Poll::Pending;
                }
                Poll::Ready(Ok(())) => self.write.writing = false,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(self.fail(error))),
            }
        }
        if self.write.corked() > 0
            && self.write.queue.has_in_flight()
            && self.read.flowing() == Some(true)
            && let Err(error) = self.finish_corked_write(cx)
        {
            return Poll::Ready(Err(error));
        }
        if !self.coupled || self.read.buffer.has_room() {
            self.write.drain_if_empty(&mut self.life);
        }
        if self.write.ready_to_finalize() {
            let mut out = Push::new(&mut self.read.buffer);
            match self.handler.as_mut().poll_final(cx, &mut out) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(self.fail(error))),
                Poll::Ready(Ok(())) => {
                    self.write.finalized(&mut self.life.events);
                    self.close_if_done();
                }
            }
        }
        Poll::Ready(Ok(()))
    }

    /// A flowing transform corked while it holds a chunk: the chunk is
    /// still finished once the readable side has room (the `_read` of
    /// Node's `flow()` calls the held callback back, corked or not), and
    /// the corked chunks wait.
    #[cold]
    fn finish_corked_write(&mut self, cx: &mut Context<'_>) -> Result<()> {
        let handler = &mut self.handler;
        let mut out = Push::new(&mut self.read.buffer);
        let polled = self
            .write
            .queue
            .with_first_only(0, |none| handler.as_mut().poll_write(cx, none, &mut out));
        match polled {
            Poll::Pending => Ok(()),
            Poll::Ready(Ok(())) => {
                self.write.writing = false;
                Ok(())
            }
            Poll::Ready(Err(error)) => Err(self.fail(error)),
        }
    }

    /// The read behind [`poll_next_chunk`](ReadableStream::poll_next_chunk):
    /// hands queued input to the handler, then takes buffered output or
    /// asks the handler for more.
    fn poll_output(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<O>>> {
        self.start_tick();
        if let Some(error) = self.life.take_error() {
            return Poll::Ready(Some(Err(error)));
        }
        if self.read.is_ended() {
            return Poll::Ready(None);
        }
        loop {
            if let Poll::Ready(Err(error)) = self.poll_write_side(cx) {
                return Poll::Ready(Some(Err(error)));
            }
            if let Some(misuse) = self.read.buffer.take_misuse() {
                return Poll::Ready(Some(Err(self.fail(misuse))));
            }
            self.read.emit_scheduled_resume(&mut self.life.events);
            if let Some(chunk) = self.read.take(&mut self.life.events) {
                return Poll::Ready(Some(Ok(chunk)));
            }
            if self.life.is_destroyed() && self.read.buffer.is_eof() {
                // Node's `endReadableNT` emits no `end` once the stream
                // errored or emitted `close`: not `readableEnded`.
                return Poll::Ready(None);
            }
            if self.read.end_if_drained(&mut self.life.events) {
                self.readable_ended(cx);
                return Poll::Ready(None);
            }
            if !self.read.buffer.wants_more(true) {
                return Poll::Pending;
            }
            let mut out = Push::new(&mut self.read.buffer);
            match self.handler.as_mut().poll_read(cx, &mut out) {
                Poll::Ready(Ok(())) if out.pushes() > 0 => continue,
                Poll::Ready(Ok(())) | Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => return Poll::Ready(Some(Err(self.fail(error)))),
            }
        }
    }

    /// [`poll_output`](Duplex::poll_output) for many chunks: moves buffered
    /// output into `queue` until its size reaches `limit`; see
    /// [`ReadableStream::poll_read_into`].
    fn poll_output_into(
        &mut self,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<O>,
        limit: usize,
    ) -> Poll<Option<Result<()>>> {
        self.start_tick();
        if let Some(error) = self.life.take_error() {
            return Poll::Ready(Some(Err(error)));
        }
        if self.read.is_ended() {
            return Poll::Ready(None);
        }
        loop {
            if let Poll::Ready(Err(error)) = self.poll_write_side(cx) {
                return Poll::Ready(Some(Err(error)));
            }
            if let Some(misuse) = self.read.buffer.take_misuse() {
                return Poll::Ready(Some(Err(self.fail(misuse))));
            }
            self.read.emit_scheduled_resume(&mut self.life.events);
            let mut moved = self.read.take_all_into(queue, limit, &self.life.events);
            while let Some(chunk) = self.read.take(&mut self.life.events) {
                queue.push_back(chunk);
                moved = true;
                if queue.size() >= limit {
                    break;
                }
            }
            if moved {
                // Node's `read()` calls `_read` once what it takes leaves
                // the buffer below its highWaterMark: a transform's held
                // callback is released and the next written chunk goes
                // through now, not on the next read.
                if let Poll::Ready(Err(error)) = self.poll_write_side(cx) {
                    return Poll::Ready(Some(Err(error)));
                }
                return Poll::Ready(Some(Ok(())));
            }
            if self.life.is_destroyed() && self.read.buffer.is_eof() {
                // Node's `endReadableNT` emits no `end` once the stream
                // errored or emitted `close`: not `readableEnded`.
                return Poll::Ready(None);
            }
            if self.read.end_if_drained(&mut self.life.events) {
                self.readable_ended(cx);
                return Poll::Ready(None);
            }
            if !self.read.buffer.wants_more(true) {
                return Poll::Pending;
            }
            let mut out = Push::new(&mut self.read.buffer);
            match self.handler.as_mut().poll_read(cx, &mut out) {
                Poll::Ready(Ok(())) if out.pushes() > 0 => continue,
                Poll::Ready(Ok(())) | Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => return Poll::Ready(Some(Err(self.fail(error)))),
            }
        }
    }

    /// True when the writable side waits for `drain` with nothing queued
    /// and the readable side holds nothing and has not ended: all a read
    /// does then is emit `drain` and ask the handler for output. (Waiting
    /// for `drain` means open and not destroyed and, with no error, not
    /// failed either, so no event is deferred and no error waits; without
    /// the end pushed, no push can have been misused.)
    fn waits_for_drain_only(&self) -> bool {
        self.read.buffer.is_empty()
            && self.write.queue.is_settled()
            && WritableStream::needs_drain(self)
            && !self.read.buffer.is_eof()
            && self.life.errored().is_none()
    }

    /// The read of a stream in the state of
    /// [`waits_for_drain_only`](Duplex::waits_for_drain_only), straight:
    /// emits `drain` and asks the handler for output. `None` if the handler
    /// pushed some: the read goes on as usual.
    fn poll_drain_only(&mut self, cx: &mut Context<'_>) -> Option<Poll<Option<Result<O>>>> {
        self.write.drain_if_empty(&mut self.life);
        let mut out = Push::new(&mut self.read.buffer);
        match self.handler.as_mut().poll_read(cx, &mut out) {
            Poll::Ready(Ok(())) if out.pushes() > 0 => None,
            Poll::Ready(Ok(())) | Poll::Pending => Some(Poll::Pending),
            Poll::Ready(Err(error)) => Some(Poll::Ready(Some(Err(self.fail(error))))),
        }
    }

    /// After `end`: without half-open, ends the writable side and lets it
    /// finish now if it can (Node's `endWritableNT`).
    fn readable_ended(&mut self, cx: &mut Context<'_>) {
        if !self.allow_half_open && !self.write.is_ending() && self.write.end(&self.life).is_ok() {
            let _ = self.poll_write_side(cx);
        }
        self.close_if_done();
    }

    fn close_if_done(&mut self) {
        if self.read.is_ended() && self.write.is_finished() {
            self.life.close();
        }
    }

    fn fail(&mut self, error: Error) -> Error {
        let error = self.life.locate(error);
        self.destroy(Some(error.clone()));
        self.life.take_error();
        error
    }
}

impl<I: Chunk, O: Chunk> Duplex<I, O> {
    /// What `take` takes from the readable side once the writable side had
    /// its turn; the readable side ends when nothing is left.
    fn take_read(
        &mut self,
        take: impl FnOnce(&mut ReadHalf<O>, &mut Events) -> Option<O>,
    ) -> Option<O> {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let _ = self.poll_write_side(&mut cx);
        let taken = take(&mut self.read, &mut self.life.events);
        if taken.is_none() {
            self.schedule_end_if_drained();
        }
        taken
    }
}

impl<T: Chunk> Duplex<T, T> {
    /// A duplex that passes every chunk through unchanged (Node's `PassThrough`).
    pub fn pass_through() -> Self {
        Duplex::transform(PassThrough::new())
    }
}

impl<I: Chunk> Duplex<I, String> {
    /// `read(n)` on a text readable side: exactly `n` characters, joining
    /// or splitting chunks (never a character), or the rest at the end;
    /// `None` while fewer are buffered. See
    /// [`Readable::read_text`](crate::Readable::read_text).
    ///
    /// # Examples
    ///
    /// ```
    /// use smerge::Duplex;
    ///
    /// let mut text = Duplex::<String, String>::pass_through();
    /// text.write("na\u{ef}ve".to_owned()).unwrap();
    /// text.end().unwrap();
    /// assert_eq!(text.read_text(3).as_deref(), Some("na\u{ef}"));
    /// assert_eq!(text.read_text(3).as_deref(), Some("ve"));
    /// ```
    pub fn read_text(&mut self, n: usize) -> Option<String> {
        self.take_read(|read, events| read.take_text(n, events))
    }
}

impl<I: Chunk> Duplex<I, Bytes> {
    /// Node's `read(n)` on a byte stream's readable side: exactly `n`
    /// bytes, joining or splitting chunks, or the rest at the end; `None`
    /// while fewer than `n` bytes are buffered. See
    /// [`Readable::read_bytes`](crate::Readable::read_bytes).
    pub fn read_bytes(&mut self, n: usize) -> Option<Bytes> {
        self.take_read(|read, events| read.take_bytes(n, events))
    }
}

impl<I, O> sealed::Stream for Duplex<I, O> {}

impl<I: Chunk, O: Chunk> ReadableStream for Duplex<I, O> {
    type Output = O;

    #[inline]
    fn poll_next_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<O>>> {
        if let Some(chunk) = self.read.take_read_by_hand() {
            return Poll::Ready(Some(Ok(chunk)));
        }
        // Ahead of the checks `poll_output` starts with: in that state they
        // find nothing.
        if self.waits_for_drain_only()
            && let Some(polled) = self.poll_drain_only(cx)
        {
            return polled;
        }
        self.poll_output(cx)
    }

    #[inline]
    fn poll_read_into(
        &mut self,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<O>,
        limit: usize,
    ) -> Poll<Option<Result<()>>> {
        if let Some(chunk) = self.read.take_read_by_hand() {
            queue.push_back(chunk);
            return Poll::Ready(Some(Ok(())));
        }
        self.poll_output_into(cx, queue, limit)
    }

    fn pause(&mut self) {
        Duplex::pause(self);
    }

    fn resume(&mut self) {
        Duplex::resume(self);
    }

    fn flush_events(&mut self) {
        self.life.events.flush();
    }

    fn piping(&mut self, attached: bool) {
        self.read.piping(attached);
    }

    fn destroy(&mut self, error: Option<Error>) {
        Duplex::destroy(self, error);
    }

    /// Node's `isReadableFinished(stream, false)`, what `pipeline` and
    /// `finished` ask: `end` was emitted, or the end was pushed and nothing
    /// is left before it (a destroyed stream emits no `end`), on a stream
    /// that did not fail (Node's `eos` reports the error first).
    fn is_ended(&self) -> bool {
        self.read.is_ended()
            || (self.read.buffer.is_eof()
                && self.read.buffer.is_empty()
                && self.life.errored().is_none())
    }

    fn label(&self) -> Option<&str> {
        self.life.label()
    }

    fn failure(&self) -> Option<Error> {
        self.life.errored().cloned()
    }
}

impl<I: Chunk, O: Chunk> WritableStream for Duplex<I, O> {
    type Input = I;

    fn write(&mut self, chunk: I) -> Result<bool> {
        Duplex::write(self, chunk)
    }

    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.start_tick();
        ready!(self.poll_write_side(cx))?;
        if self.write.queue.is_settled() {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }

    fn end(&mut self) -> Result<()> {
        Duplex::end(self)
    }

    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.start_tick();
        ready!(self.poll_write_side(cx))?;
        if self.write.is_finished() {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }

    fn destroy(&mut self, error: Option<Error>) {
        Duplex::destroy(self, error);
    }

    fn needs_drain(&self) -> bool {
        self.write.waits_for_drain(&self.life)
    }

    fn is_finished(&self) -> bool {
        self.write.is_finished()
    }

    fn is_ending(&self) -> bool {
        self.write.is_ending()
    }

    fn is_closed(&self) -> bool {
        self.life.events.is_closed()
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

    fn failure(&self) -> Option<Error> {
        self.life.errored().cloned()
    }

    #[inline]
    fn batch_target(&mut self) -> Option<(&mut WriteQueue<I>, usize)> {
        self.write.batch_target(&self.life)
    }

    #[inline]
    fn after_batch(&mut self) {
        self.write.after_batch();
    }

    /// Open, unobserved, nothing queued or buffered, no `drain` owed, and a
    /// pass-through handler with no chunk in hand. (Not destroyed also
    /// means no error waits; not ended, that no push was misused.)
    #[inline]
    fn hand_over_mark(&mut self) -> Option<usize> {
        let idle = !self.life.is_destroyed()
            && !self.life.events.is_observed()
            && self.read.buffer.is_empty()
            && !self.read.buffer.is_eof()
            && !self.write.is_ending()
            && self.write.corked() == 0
            && !self.write.waits_for_drain(&self.life)
            && self.write.queue.is_settled()
            && self.handler.is_idle_pass_through();
        idle.then(|| self.write.high_water_mark())
    }

    /// The chunk-at-a-time path, step by step: the batch's last write
    /// returns `false`, so nothing more is written before the read; the
    /// handler pushes every chunk (the one that fills the readable side
    /// is held); the read takes them all in one move (every `write` into
    /// its queue but the last returning true) and releases the held one;
    /// the writable side, empty again, emits `drain`. Unobserved, all that
    /// stays of it is the scheduled `resume` emitted.
    #[inline]
    fn pass_batch(&mut self, batch: &WriteQueue<I>, limit: usize) -> bool {
        let Some(last) = batch.back() else {
            return false;
        };
        // The last write would return false (Node: not while nothing
        // counts, whatever the mark).
        let passes = batch.size() >= self.write.high_water_mark()
            && batch.size() > 0
            && batch.size() - last.size() < limit
            && batch.passes_whole(self.read.buffer.high_water_mark());
        if passes {
            self.read.passed_through(&mut self.life.events);
        }
        passes
    }
}

impl<I, O> Drop for Duplex<I, O> {
    fn drop(&mut self) {
        if self.life.errored().is_none() {
            self.read.emit_scheduled_end_on_drop(&mut self.life.events);
        }
        if !self.life.is_closed() && self.life.destroy(None) {
            self.handler.as_mut().destroy(None);
        }
        self.life.events.flush();
    }
}

impl<I: Chunk, O: Chunk> fmt::Debug for Duplex<I, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Duplex")
            .field("label", &self.life.label())
            .field("writable_length", &self.write.queue.size())
            .field("readable_length", &self.read.buffer.len())
            .field("ended", &self.read.is_ended())
            .field("finished", &self.write.is_finished())
            .field("destroyed", &self.life.is_destroyed())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::{ErrorKind, Push};

    /// Turns `n` into `n` copies of itself, holding back what does not fit.
    struct Copies {
        value: u32,
        left: u32,
    }

    impl Copies {
        fn push_held(&mut self, out: &mut Push<'_, u32>) {
            while self.left > 0 {
                self.left -= 1;
                if !out.push(self.value) {
                    return;
                }
            }
        }
    }

    impl Transform for Copies {
        type Input = u32;
        type Output = u32;

        fn transform(&mut self, chunk: u32, out: &mut Push<'_, u32>) -> Result<()> {
            self.value = chunk;
            self.left = chunk;
            self.push_held(out);
            Ok(())
        }

        fn poll_ready(&mut self, _: &mut Context<'_>, out: &mut Push<'_, u32>) -> Poll<Result<()>> {
            if self.left > 0 && out.has_room() {
                self.push_held(out);
            }
            if self.left > 0 {
                Poll::Pending
            } else {
                Poll::Ready(Ok(()))
            }
        }
    }

    /// Node's `Transform._write`: a chunk whose output filled the readable
    /// side keeps counting in `writableLength` until the consumer read that
    /// side below its highWaterMark, so `drain` comes after the third read.
    #[test]
    fn transform_callback_is_held_until_the_readable_side_is_read() {
        let mut copies = Duplex::transform(Copies { value: 0, left: 0 }).with_high_water_mark(1);
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        copies.observe(move |event| seen.lock().unwrap().push(event.name()));
        assert!(!copies.write(3).unwrap());
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut read = || match copies.poll_next_chunk(&mut cx) {
            Poll::Ready(Some(Ok(n))) => Some(n),
            Poll::Pending => None,
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(
            [read(), read(), read(), read()],
            [Some(3), Some(3), Some(3), None]
        );
        assert_eq!(*log.lock().unwrap(), ["data", "data", "data", "drain"]);
    }

    /// Pushes each chunk twice; flushes a 0.
    struct Twice;

    impl Transform for Twice {
        type Input = u32;
        type Output = u32;

        fn transform(&mut self, chunk: u32, out: &mut Push<'_, u32>) -> Result<()> {
            out.push(chunk);
            out.push(chunk);
            Ok(())
        }

        fn flush(&mut self, out: &mut Push<'_, u32>) -> Result<()> {
            out.push(0);
            Ok(())
        }
    }

    fn logged<I: Chunk, O: Chunk>(d: &mut Duplex<I, O>) -> Arc<Mutex<Vec<&'static str>>> {
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        d.observe(move |event| seen.lock().unwrap().push(event.name()));
        log
    }

    /// Node's `Transform._write` runs inside `write()`: the output is in
    /// the readable side when the call returns, and a chunk whose output
    /// left room stops counting.
    #[test]
    fn a_transform_runs_inside_write() {
        let mut twice = Duplex::transform(Twice).with_readable_high_water_mark(4);
        assert!(twice.write(1).unwrap());
        assert_eq!((twice.writable_length(), twice.readable_length()), (0, 2));
        // This one's output fills the readable side: its callback is held.
        assert!(twice.write(2).unwrap());
        assert_eq!((twice.writable_length(), twice.readable_length()), (1, 4));
        assert!(twice.write(3).unwrap(), "queued behind the held one");
        assert_eq!(twice.writable_length(), 2);
        assert_eq!(twice.read(), Some(1));
    }

    /// Node's `end()` on an idle transform: `_flush` and `prefinish` inside
    /// the call, `finish` at the next tick (the next poll), before the
    /// events of a write after `end`, and even though that write destroyed
    /// the stream.
    #[test]
    fn end_flushes_inside_the_call_and_finish_comes_at_the_next_poll() {
        let mut twice = Duplex::transform(Twice);
        let log = logged(&mut twice);
        twice.end().unwrap();
        assert_eq!(*log.lock().unwrap(), ["prefinish"]);
        assert_eq!(twice.readable_length(), 1, "the flushed 0");
        assert!(!twice.is_finished());
        assert!(twice.write(5).is_err());
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(WritableStream::poll_finish(&mut twice, &mut cx).is_ready());
        assert!(twice.is_finished());
        drop(twice);
        assert_eq!(
            *log.lock().unwrap(),
            ["prefinish", "finish", "error", "close"]
        );
    }

    /// A transform failing inside `write()`: errored at once, `write`
    /// returns false; destroyed at the next poll, which reports the error.
    #[test]
    fn a_transform_failing_inside_write_errors_the_stream_at_once() {
        let mut failing =
            Duplex::transform(crate::FnTransform::new(|_: u32, _: &mut Push<'_, u32>| {
                Err(Error::new(ErrorKind::InvalidData, "bad"))
            }));
        assert!(!failing.write(1).unwrap());
        assert!(failing.errored().is_some() && !failing.is_destroyed());
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match failing.poll_next_chunk(&mut cx) {
            Poll::Ready(Some(Err(error))) => assert_eq!(error.to_string(), "bad"),
            other => panic!("{other:?}"),
        }
        assert!(failing.is_destroyed());
    }

    /// Node's `resume()` on a Transform: `readableFlowing` is set at once,
    /// `resume` comes on the next tick, before the first `data`.
    #[test]
    fn resume_is_emitted_on_the_next_poll_before_data() {
        let mut copies = Duplex::transform(Copies { value: 0, left: 0 });
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        copies.observe(move |event| seen.lock().unwrap().push(event.name()));
        copies.write(1).unwrap();
        copies.resume();
        assert!(log.lock().unwrap().is_empty(), "not inside resume()");
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(matches!(
            copies.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Ok(1)))
        ));
        assert_eq!(*log.lock().unwrap(), ["resume", "data"]);
    }

    /// Node's `writableLength` after `destroy()`: a chunk whose callback
    /// the transform holds (its output filled the readable side) is never
    /// called back once destroyed, so it keeps counting after the tick,
    /// and so does everything queued behind it (`errorBuffer` does nothing
    /// while a write is in progress).
    #[test]
    fn a_held_chunk_keeps_counting_after_destroy() {
        let mut pass = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        let log = logged(&mut pass);
        assert!(!pass.write(1).unwrap());
        pass.cork();
        assert!(!pass.write(2).unwrap());
        pass.end().unwrap();
        assert_eq!(pass.write(3).unwrap_err().kind(), ErrorKind::WriteAfterEnd);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(WritableStream::poll_finish(&mut pass, &mut cx).is_ready());
        assert_eq!(*log.lock().unwrap(), ["error", "close"]);
        assert_eq!(pass.writable_length(), 2);
        assert_eq!(pass.read(), Some(1), "what was pushed stays readable");
        assert_eq!(pass.writable_length(), 2);
    }

    /// Without a chunk in hand, the tick after `destroy()` drops what is
    /// queued (Node's `errorBuffer`).
    #[test]
    fn queued_chunks_stop_counting_at_the_tick_after_destroy() {
        let mut pass = Duplex::<u32, u32>::pass_through().with_high_water_mark(4);
        pass.cork();
        pass.write(1).unwrap();
        pass.write(2).unwrap();
        pass.destroy(None);
        assert_eq!(pass.writable_length(), 2, "until the next tick");
        assert_eq!(pass.read(), None);
        assert_eq!(pass.writable_length(), 2, "a read is no tick");
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(WritableStream::poll_finish(&mut pass, &mut cx).is_ready());
        assert_eq!(pass.writable_length(), 0);
    }

    /// Node's `readableEnded` is `endEmitted`: a transform that flushed
    /// its end and was then destroyed (a write after `end`) never emits
    /// `end`, however it is read.
    #[test]
    fn a_destroyed_transform_does_not_end() {
        let mut pass = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        let log = logged(&mut pass);
        pass.end().unwrap();
        assert!(pass.write(1).is_err());
        pass.resume();
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(WritableStream::poll_finish(&mut pass, &mut cx).is_ready());
        while let Poll::Ready(Some(_)) = pass.poll_next_chunk(&mut cx) {}
        assert!(!pass.is_ended());
        assert_eq!(
            *log.lock().unwrap(),
            ["prefinish", "finish", "error", "close", "resume"]
        );
    }

    /// A write after `end` destroys the stream as `destroy()` does (Node's
    /// `errorOrDestroy`): the `resume` scheduled before comes ahead of its
    /// `error` and `close`, after the `finish` that `end()` scheduled.
    #[test]
    fn a_write_after_end_destroys_after_the_scheduled_resume() {
        let mut pass = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        let log = logged(&mut pass);
        pass.end().unwrap();
        pass.resume();
        assert_eq!(pass.write(1).unwrap_err().kind(), ErrorKind::WriteAfterEnd);
        assert!(pass.is_destroyed());
        pass.tick();
        assert_eq!(
            *log.lock().unwrap(),
            ["prefinish", "finish", "resume", "error", "close"]
        );
    }

    /// One `resume` per scheduling, as Node's `resumeScheduled`: resumed,
    /// paused, destroyed (by a write after `end`) and resumed again, the
    /// stream emits a single `resume` at the tick.
    #[test]
    fn a_resume_scheduled_before_destroy_is_not_scheduled_twice() {
        let mut pass = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        let log = logged(&mut pass);
        pass.end().unwrap();
        pass.resume();
        pass.pause();
        assert!(pass.write(1).is_err());
        pass.resume();
        pass.tick();
        assert_eq!(
            *log.lock().unwrap(),
            ["prefinish", "pause", "finish", "resume", "error", "close"]
        );
    }

    /// Node's `end()` on a flowing transform with nothing buffered: the
    /// flush's end is found at once (`flow()` in `push(null)`), so the
    /// next tick emits the scheduled `resume`, then `end`, then `finish`;
    /// `close` follows at the next poll, after what the consumer does on
    /// `end`.
    #[test]
    fn end_on_a_flowing_empty_transform_ends_before_it_finishes() {
        let mut pass = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        let log = logged(&mut pass);
        pass.resume();
        pass.end().unwrap();
        pass.tick();
        assert_eq!(
            *log.lock().unwrap(),
            ["prefinish", "resume", "end", "finish"]
        );
        assert!(pass.is_ended() && pass.is_finished() && pass.is_destroyed());
        pass.pause();
        pass.tick();
        assert_eq!(
            *log.lock().unwrap(),
            ["prefinish", "resume", "end", "finish", "pause", "close"]
        );
    }

    /// Destroyed by a write after `end()`, a flowing transform emits the
    /// `resume` scheduled before `end()`, then `finish`, then `error` and
    /// `close` (no `end`: it errored).
    #[test]
    fn a_resume_scheduled_before_end_comes_before_finish_after_a_destroy() {
        let mut pass = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        let log = logged(&mut pass);
        pass.resume();
        pass.end().unwrap();
        assert!(pass.write(1).is_err());
        pass.tick();
        assert_eq!(
            *log.lock().unwrap(),
            ["prefinish", "resume", "finish", "error", "close"]
        );
    }

    /// Node's `Transform._read` calls a held write back even while the
    /// stream is corked: flowing, the chunk stops counting once the
    /// consumer made room, and the corked chunk behind it stays queued.
    #[test]
    fn a_held_chunk_is_finished_while_corked() {
        let mut pass = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        assert!(!pass.write(1).unwrap());
        pass.cork();
        assert!(!pass.write(2).unwrap());
        assert_eq!(pass.writable_length(), 2);
        pass.resume();
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(matches!(
            pass.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Ok(1)))
        ));
        assert!(pass.poll_next_chunk(&mut cx).is_pending());
        assert_eq!((pass.writable_length(), pass.readable_length()), (1, 0));
        pass.uncork();
        assert_eq!(pass.readable_length(), 1, "the corked chunk went through");
    }

    /// Node's `resume_` flows a stream destroyed after it was scheduled:
    /// what is buffered is read out (`data` before the destroy's `error`),
    /// and after `close`, silently; the held chunk keeps counting.
    #[test]
    fn a_destroyed_stream_flows_at_its_resume() {
        let boom = || Error::new(ErrorKind::InvalidData, "boom");
        let mut first = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        let log = logged(&mut first);
        first.write(1).unwrap();
        first.resume();
        first.destroy(Some(boom()));
        first.tick();
        assert_eq!(*log.lock().unwrap(), ["resume", "data", "error", "close"]);
        assert_eq!((first.readable_length(), first.writable_length()), (0, 1));

        let mut then = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        let log = logged(&mut then);
        then.write(1).unwrap();
        then.destroy(None);
        then.resume();
        then.tick();
        assert_eq!(*log.lock().unwrap(), ["close", "resume"]);
        assert_eq!((then.readable_length(), then.writable_length()), (0, 1));
    }

    /// A `resume` scheduled before `end()` comes ahead of the `finish`
    /// that `end()` scheduled, even on a stream paused since (Node's
    /// `resume_` was queued first).
    #[test]
    fn a_resume_scheduled_before_end_comes_before_finish() {
        let mut pass = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        let log = logged(&mut pass);
        pass.resume();
        pass.pause();
        pass.end().unwrap();
        pass.tick();
        assert_eq!(
            *log.lock().unwrap(),
            ["pause", "prefinish", "resume", "finish", "end", "close"]
        );
    }

    /// Node's `end()` after `destroy()`: taken when the stream did not
    /// fail, refused with `ERR_STREAM_DESTROYED` when it did.
    #[test]
    fn end_after_destroy_is_refused_only_when_the_stream_failed() {
        let mut plain = Duplex::transform(Copies { value: 0, left: 0 });
        plain.destroy(None);
        assert!(plain.end().is_ok());
        let mut failed = Duplex::transform(Copies { value: 0, left: 0 });
        failed.destroy(Some(Error::from_kind(ErrorKind::PrematureClose)));
        assert_eq!(failed.end().unwrap_err().kind(), ErrorKind::Destroyed);
    }
}
