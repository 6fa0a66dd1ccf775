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
use super::read_buffer::ReadBuffer;
use super::read_half::{ReadHalf, Taking};
use super::read_source::ReadSource;
use super::readable_stream::ReadableStream;
use super::sealed;
use super::ticks::{SourceTicks, Tick};
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
/// `prefinish`, with `finish` at the next poll (on a transform flowing to a
/// pipe, once the pipe took the output the flush pushed, as Node emits it
/// inside the flush's pushes). For a transform, the
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
    /// The final hook ran inside a read that completed a held write: while
    /// the readable side flows with chunks buffered, `finish` waits for
    /// the read loop to take them (Node's `flow()` reads them all before
    /// the next tick).
    finish_after_flow: bool,
    /// A read released a held write (Node's `Transform._read` inside
    /// `read()`, `sync`): till the read returns, what the transform
    /// pushes is buffered, never emitted at once.
    in_read: bool,
    /// The flush whose `prefinish` waits for the reader (see
    /// [`prefinish_after_emitted`](Duplex::prefinish_after_emitted))
    /// pushed the end.
    flush_pushed_end: bool,
    /// The size of the written chunk whose output waits for the reader
    /// as emitted at once (see [`hold_after_pause`](Duplex::hold_after_pause)).
    emitted_by: usize,
    /// That chunk's `write()` returned true, but it is held after all and
    /// Node's had returned false: the pipe writing into this stream pauses
    /// its source ([`WritableStream::take_refused_write`]).
    refused_write: bool,
    /// A tick run for a pipe stopped at the `end` it emitted: the next
    /// read reports the end before the ticks queued behind it run (Node's
    /// pipe unpipes from its `end` listener, pausing the stream, before
    /// the `resume_` and `close` queued after `endReadableNT`).
    end_for_reader: bool,
    /// The reader took a chunk emitted at once, which Node's pipe wrote
    /// inside its `data` event: what the stream did after that push (a
    /// flush's `prefinish` and end) comes at the reader's next poll, or
    /// at the pipe's pause for a refused write (see
    /// [`take_due`](Duplex::take_due)).
    emitted_taken: bool,
    /// A pipe's pause came before the end a flush pushed: Node's
    /// `onEofChunk` found the stream paused and scheduled no `end`, which
    /// only a read after a `resume` does (readable.js `emitReadable_`,
    /// `endReadable`).
    end_held: bool,
    /// The stamps of the `resume_`s pipes into this stream had queued
    /// when they were made, not yet run: the ticks queued after one wait
    /// (see [`WritableStream::source_tick_queued`]).
    source_ticks: SourceTicks,
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
            finish_after_flow: false,
            in_read: false,
            flush_pushed_end: false,
            emitted_by: 0,
            refused_write: false,
            end_for_reader: false,
            emitted_taken: false,
            end_held: false,
            source_ticks: SourceTicks::default(),
        }
    }

    /// Runs `transform` as a stream (Node's `Transform`).
    pub fn transform<X>(transform: X) -> Self
    where
        X: Transform<Input = I, Output = O> + Unpin,
    {
        let mut duplex = Duplex::new(TransformHandler::for_duplex(transform));
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
        if self.life.is_destroyed()
            && self.read.resume_scheduled()
            && self.read.ticks.comes_before(Tick::Resume, Tick::Deferred)
        {
            self.read.emit_scheduled_resume(&mut self.life.events);
        }
        self.life.events.flush_for_finished(errored);
    }

    /// What a pipeline delivers for a stage before it resolves: the
    /// `finish` and `end` still queued (in Node's order), then the events
    /// deferred to the next tick.
    fn flush_tick(&mut self) {
        while (self.write.finish_due() || self.read.ends_queued()) && self.run_queued_ends() {}
        if self.write.finish_due() {
            self.tick_finish();
        }
        self.flush_deferred(false);
    }

    /// Delivers the events deferred to the next tick (with a scheduled
    /// `resume` on a destroyed stream, in its place, and the flow it runs
    /// over what is still buffered; see `ReadHalf::flush_events`). For a
    /// `reader` (a pipe), they wait while it has chunks that flow handed
    /// to it to take first.
    fn flush_deferred(&mut self, reader: bool) {
        let destroyed = self.life.is_destroyed();
        if destroyed && !self.read.buffer.is_empty() {
            self.flush_destroyed(reader);
        } else {
            self.read.flush_events(&mut self.life.events, destroyed);
        }
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
    /// On a duplex [`resume`](Duplex::resume)d that no pipe and no poll has
    /// read yet, a flush that ends the readable side flows it inside the
    /// call as Node's `end()` does with no `data` listener: what is
    /// buffered is emitted as `data` and dropped.
    pub fn end(&mut self) -> Result<()> {
        let opening = !self.write.is_ending();
        if self.write.corked() > 0 {
            // Node's `end()` uncorks first (see `Writable::end`), every
            // time: a `cork()` after the first `end()` is undone too.
            self.write.uncork_all();
            self.start_writes();
        }
        self.write.end(&self.life)?;
        if opening {
            self.handler.as_mut().writable_ended();
            self.start_final(false);
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

    /// Takes buffered output without waiting: for bytes everything
    /// buffered, joined; for objects, and on a flowing side, the oldest
    /// chunk. As Node's `read()` calls `_read` first when the buffer is
    /// empty or what it takes would leave it below the highWaterMark, the
    /// read then asks before it takes: a transform's write held because its
    /// output filled the readable side completes (`drain` may come, or the
    /// flush of an ended side), the queued chunks go to the transform, and
    /// the handler is asked for output. Once a read left nothing before
    /// the end, `end` follows on the next tick, as for
    /// [`Readable::read`](crate::Readable::read); on a piped duplex a copy
    /// of the chunk goes to the pipe too, as there.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use bytes::Bytes;
    /// use smerge::Duplex;
    ///
    /// let mut pass = Duplex::<Bytes, Bytes>::pass_through()
    ///     .with_readable_high_water_mark(1)
    ///     .with_writable_high_water_mark(0);
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// let seen = Arc::clone(&log);
    /// pass.observe(move |e| seen.lock().unwrap().push(e.name()));
    /// assert!(!pass.write(Bytes::from_static(b"a"))?);
    /// assert_eq!(pass.writable_length(), 1); // held: the readable side is full
    /// assert_eq!(pass.read().as_deref(), Some(&b"a"[..]));
    /// assert_eq!(*log.lock().unwrap(), ["drain", "data"]); // Node's order
    /// # Ok::<(), smerge::Error>(())
    /// ```
    pub fn read(&mut self) -> Option<O> {
        let taking = if self.read.reads_joined() {
            Taking::All
        } else {
            Taking::Front
        };
        self.read.ticks.emitted_readable = false;
        self.ask_before_read(taking);
        let chunk = self.read.take_for_read(&mut self.life.events);
        self.schedule_end_if_drained();
        self.read.after_read(chunk.is_some());
        chunk
    }

    /// What `read()` and `read(n)` do before they take: as Node's `read()`
    /// calls `_read` when the buffer is empty or what it takes leaves it
    /// below the highWaterMark, a transform's held write completes; then
    /// the writable side has its turn (work a handler finishes when
    /// polled), and the handler is asked for output if the read asks. A
    /// destroyed stream asks nothing and keeps its queue.
    fn ask_before_read(&mut self, taking: Taking) {
        if self.life.is_destroyed() {
            return;
        }
        // Decided on what is buffered before anything moves (Node's
        // `doRead`), and the held write completes first: the write side's
        // turn then finds nothing more to release.
        let asks = self.life.errored().is_none() && self.read.asks_before_taking(taking);
        if asks {
            self.release_held_write();
        }
        let mut cx = Context::from_waker(Waker::noop());
        let _ = self.poll_write_side(&mut cx);
        self.in_read = false;
        if !asks || self.life.is_destroyed() || self.life.errored().is_some() {
            return;
        }
        if self.read.buffer.wants_more(true) {
            let mut out = Push::new(&mut self.read.buffer);
            if let Poll::Ready(Err(error)) = self.handler.as_mut().poll_read(&mut cx, &mut out) {
                self.fail(error);
            }
        }
    }

    /// The start of a flowing read of a transform, ahead of the writable
    /// side's turn: Node's `resume_` asks with `read(0)` before `resume`,
    /// and `flow()`'s `read()` asks before it takes; a final hook that a
    /// completed write lets run emits `prefinish` now and `finish` at the
    /// next tick. True if the completed write failed the stream: its
    /// error waits for the next poll, after this read's chunk (Node
    /// emits it on the next tick).
    #[inline]
    fn ask_flowing(&mut self, flow_first: bool) -> bool {
        if !self.coupled || self.life.errored().is_some() || self.life.is_destroyed() {
            // Node's `read()` asks nothing of a destroyed or errored stream.
            return false;
        }
        if !flow_first && self.read.resume_scheduled() {
            let ended = self.read.buffer.is_eof();
            self.ask_transform(Taking::Nothing);
            self.read.emit_scheduled_resume(&mut self.life.events);
            if ended && self.read.paused_while_piped() {
                // Node's `read(0)` in `resume_` found the end (pushed
                // before it, not by its `_read`): `end` comes although
                // the stream is paused.
                self.schedule_end_if_drained();
            }
        }
        // Node's `flow()` reads nothing while paused: no `_read` releases
        // a held write then.
        if !self.read.paused_while_piped() {
            self.ask_transform(Taking::Front);
        }
        self.life.errored().is_some()
    }

    /// A read of a transform that asks for more before it takes `taking`
    /// (Node's `doRead`): completes the held write, if any; see
    /// [`release_held_write`](Duplex::release_held_write). Only a flag
    /// check when no write is held.
    #[inline]
    fn ask_transform(&mut self, taking: Taking) {
        if self.coupled
            && self.write.writing
            && !self.life.is_destroyed()
            && self.read.asks_before_taking(taking)
        {
            self.release_held_write();
        }
    }

    /// Node's `Transform._read` calling the write callback it held (the
    /// chunk's output had filled the readable side), and what that
    /// callback does (`onwrite`): the chunk stops counting, the queued
    /// chunks go to the transform unless the side is corked
    /// (`clearBuffer`), then `drain` if nothing is left (`afterWrite`) or,
    /// on a side that is ending, the final hook (`finishMaybe`: the
    /// transform flushes and `prefinish` is emitted; `finish` comes at the
    /// next tick).
    fn release_held_write(&mut self) {
        if !self.write.writing || !self.handler.as_mut().release_held() {
            return;
        }
        self.write.queue.finish_in_flight();
        self.write.writing = false;
        // Node's `Transform._read` calls the callback inside `read()`
        // (`sync`): what the chunks after it push, till the read's end, is
        // buffered.
        self.in_read = true;
        self.start_writes();
        self.write.drain_if_empty(&mut self.life);
        self.start_final(true);
        self.finish_after_flow = self.write.finish_due();
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
    /// tick, as for [`Readable::resume`](crate::Readable::resume). As
    /// Node's `resume()` with no `data` listener, this consumes the
    /// readable side for nobody: until a pipe or a poll reads the duplex,
    /// its [`tick`](Duplex::tick)s and an [`end`](Duplex::end) that flushes
    /// it emit its output as `data` and drop it. To read the output, pipe
    /// or poll the duplex; it needs no `resume()`.
    pub fn resume(&mut self) {
        // On a destroyed stream too: `resume` comes on the next tick all
        // the same, after the destroy's `close`, as in Node.
        self.end_held = false;
        self.read.resume();
    }

    /// Lets a tick pass for a duplex whose readable side nothing reads
    /// from: does what Node queued for the tick, in order — the `resume` a
    /// `resume()` scheduled, the `finish` after a final hook that ran
    /// inside `end()`, `end`, the events a destroy deferred; see
    /// [`Readable::tick`](crate::Readable::tick). A duplex
    /// [`resume`](Duplex::resume)d that no pipe and no poll reads flows as
    /// Node's does with no `data` listener: its output is emitted as
    /// `data` and dropped.
    pub fn tick(&mut self) {
        let mut cx = Context::from_waker(Waker::noop());
        let before = self.source_tick_limit();
        // A sync write's callback tick emits its `drain` before the ticks
        // queued after it (a `resume`).
        let mut after_write = self.write.take_after_write_tick();
        loop {
            if after_write.is_some_and(|stamp| !self.read.ticks.queued_before(stamp)) {
                after_write = None;
                self.write.drain_if_empty(&mut self.life);
            }
            let Some(tick) = self.read.ticks.pop_before(before) else {
                break;
            };
            self.run_unread_tick(&mut cx, tick);
        }
        self.start_tick();
        self.read.emit_scheduled_resume(&mut self.life.events);
        self.flow_unread(&mut cx);
        // A pipeline failed by a destination's premature close calls back
        // at this stage's `end`, before that `close` (pipeline.js:441).
        if self.delivers_own_close() {
            self.life.events.flush();
        }
    }

    /// False while a piped readable side that ended leaves its `close` to
    /// the pipe (see `ReadHalf::ended_while_piped`), which delivers it
    /// after the destinations' older ticks; what a stream closed before
    /// keeps (a `resume()` scheduled after the `close`) comes at its own
    /// tick.
    #[inline]
    fn delivers_own_close(&self) -> bool {
        !self.read.ended_while_piped() || self.life.events.is_closed()
    }

    /// One tick Node queued, on a duplex nothing reads (see
    /// [`tick`](Duplex::tick)).
    fn run_unread_tick(&mut self, cx: &mut Context<'_>, tick: Tick) {
        match tick {
            Tick::Resume if self.read.resume_scheduled() => {
                // Node's `resume_` reads with `read(0)` first
                // (`zero_read`): a held write completes before `resume`.
                self.resume_tick();
                self.flow_unread(cx);
            }
            Tick::Finish if self.write.finish_due() => self.tick_finish(),
            Tick::End => {
                if self.life.errored().is_some() {
                    self.read.cancel_scheduled_end();
                } else if self.read.emit_scheduled_end(&mut self.life.events) {
                    self.readable_ended(cx);
                }
            }
            Tick::Deferred => self.life.events.flush(),
            Tick::Readable => {
                self.read.readable_tick(self.life.is_destroyed());
                self.flow_unread(cx);
            }
            // `maybeReadMore_` reads nothing a transform has not
            // pushed (its output comes from what is written), but its
            // `read(0)` completes a held write.
            Tick::ReadMore => {
                self.read.ticks.reading_more = false;
                self.read_more();
            }
            Tick::Resume | Tick::Finish => {}
        }
    }

    /// A flowing duplex that no pipe and no poll reads: Node's `flow()`
    /// runs at its own ticks (`resume_`, `emitReadable_`), with no `data`
    /// listener.
    fn flows_unread(&self) -> bool {
        self.read.flowing() == Some(true) && !self.read.ticks.consumed
    }

    /// The stamp of the oldest `resume_` of a pipe's source that writes
    /// into this stream, not yet run: the ticks queued after it wait (see
    /// [`WritableStream::source_tick_queued`]).
    fn source_tick_limit(&self) -> u64 {
        self.source_ticks.oldest()
    }

    /// True while the queued `finish` or `end` waits for a pipe's source
    /// whose `resume_` was queued before it.
    fn ends_wait_for_sources(&self) -> bool {
        if self.source_ticks.is_empty() {
            // Every poll of a stream that flows.
            return false;
        }
        let ticks = &self.read.ticks;
        let first_end = ticks
            .stamp_of(Tick::Finish)
            .into_iter()
            .chain(ticks.stamp_of(Tick::End))
            .min();
        first_end.is_some_and(|end| self.source_tick_limit() < end)
    }

    /// Node's `maybeReadMore_` on a transform: `read(0)` while the end
    /// was not pushed and the readable side is below its highWaterMark
    /// (or empty while flowing), which completes a held write (its
    /// `_read`), until a read adds nothing.
    fn read_more(&mut self) {
        loop {
            let buffer = &self.read.buffer;
            let before = buffer.len();
            let flowing_empty = self.read.flowing() == Some(true) && buffer.is_empty();
            if buffer.is_eof() || !(before < buffer.high_water_mark() || flowing_empty) {
                return;
            }
            self.zero_read();
            if self.read.buffer.len() == before {
                return;
            }
        }
    }

    /// Node's `read(0)` on a tick: completes a held write (`_read`), and,
    /// returning nothing, leaves `needReadable` set while the readable side
    /// is at or below its highWaterMark, so the next push queues
    /// `emitReadable_`. The read is over when it returns: later pushes are
    /// outside any read.
    fn zero_read(&mut self) {
        self.ask_transform(Taking::Nothing);
        self.in_read = false;
        let buffer = &self.read.buffer;
        if buffer.len() <= buffer.high_water_mark() && !buffer.is_eof() {
            self.read.ticks.need_readable = true;
        }
    }

    /// Node's `flow()` with no `data` listener, on a flowing duplex that
    /// no pipe and no poll reads: output is read, emitted as `data`, and
    /// dropped, until a read finds none.
    fn flow_unread(&mut self, cx: &mut Context<'_>) {
        if self.read.flowing() != Some(true) || self.read.ticks.consumed {
            return;
        }
        if self.life.is_destroyed() {
            // Node's `read()` still takes what is buffered (its `data`
            // comes if `close` did not), but a destroyed stream never ends.
            while self.read.take(&mut self.life.events).is_some() {}
            return;
        }
        // A `resume` still scheduled comes at its own place in the tick,
        // and so does a `finish` due: Node's `flow()` reads everything
        // buffered before the next tick.
        let resume = self.read.set_resume_aside();
        let after_flow = std::mem::replace(&mut self.finish_after_flow, self.write.finish_due());
        while self.read.flowing() == Some(true) {
            if self.read.buffer.is_eof() && self.read.buffer.is_empty() {
                // Node's `read()` at the end only schedules `end`: what
                // else is queued keeps its place.
                self.schedule_end_if_drained();
                break;
            }
            if !matches!(self.poll_output(cx), Poll::Ready(Some(Ok(_)))) {
                // Node's `read()` that found nothing: the next push
                // queues `emitReadable_` (readable.js:768-777).
                self.read.ticks.emitted_readable = false;
                self.read.after_read(false);
                break;
            }
        }
        self.finish_after_flow = after_flow && self.write.finish_due();
        self.read.keep_resume_scheduled(resume);
    }

    /// Destroys both sides; see [`Writable::destroy`](crate::Writable::destroy).
    /// As in Node, what the readable side holds stays readable, and a
    /// transform that holds a chunk (its output filled the readable side)
    /// never finishes it: that chunk, and every one queued behind it, keep
    /// counting in [`writable_length`](Duplex::writable_length).
    pub fn destroy(&mut self, error: Option<Error>) {
        if !self.life.is_destroyed() {
            // Its `error` and `close` come on the next tick, after what
            // was queued before (a scheduled `resume`).
            self.read.ticks.schedule_once(Tick::Deferred);
        }
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

    /// Whether a push now, outside any read, goes out at once (Node's
    /// `addChunk` into the empty side of a transform flowing to a reader).
    #[inline]
    fn emits_now(&self) -> bool {
        self.coupled && !self.in_read && self.read.emits_now()
    }

    /// After the handler pushed: the `data` of the chunk it pushed into
    /// the empty readable side, which Node emitted at once (the pushes
    /// behind it are the reader's to emit as it takes them: Node emits
    /// them at once only while the reader's `write()`s return true).
    /// `queued`: the writable side's length before the handler ran, so
    /// what it finished is known if the reader refuses the output.
    #[inline]
    fn announce_emitted(&mut self, queued: usize) {
        if self.read.buffer.front_emitted() && !self.read.buffer.front_announced() {
            self.emitted_by = queued.saturating_sub(self.write.queue.size());
            self.read.announce_emitted(&mut self.life.events);
        }
    }

    /// A pipe paused the stream at the first chunk of output that seemed
    /// emitted at once, and the rest is buffered now: Node's
    /// `Transform._write` found it in `readableLength` when the chunk's
    /// `_transform` called back, and held the callback if that reached
    /// the highWaterMark (transform.js: `rState.length <
    /// rState.highWaterMark`, unless the writable or readable side
    /// ended), so the chunk counts in `writableLength` again until the
    /// next read. Only where nothing was written since.
    #[cold]
    fn hold_after_pause(&mut self) {
        let buffer = &self.read.buffer;
        if !self.coupled
            || self.emitted_by == 0
            || self.write.writing
            || self.write.queue.size() != 0
            || self.write.is_ending()
            || buffer.is_eof()
            || buffer.len() < buffer.high_water_mark()
            || !self.handler.as_mut().hold_again()
        {
            return;
        }
        self.refused_write = self.write.hold_again(self.emitted_by);
    }

    fn write_now(&mut self) {
        // Node's `write()` runs `_transform` inside the call: what it
        // pushes into an empty flowing side is emitted at once.
        // What earlier calls pushed and Node emitted at once, which the
        // pipe has not taken yet, counts from now on: Node's pipe wrote it
        // into destinations that may have paused the stream; smerge bounds
        // a writer that does not wait for the pipe by the stream's mark.
        self.read.buffer.buffer_emitted();
        self.read.buffer.emit_now = self.emits_now();
        self.write_now_inner();
        self.read.buffer.emit_now = false;
    }

    fn write_now_inner(&mut self) {
        let mut cx = Context::from_waker(Waker::noop());
        while self.write.has_work() {
            let chunks = self.read.buffer.chunk_count();
            let queued = self.write.queue.size();
            let mut out = Push::new(&mut self.read.buffer);
            let answer = self
                .handler
                .as_mut()
                .poll_write(&mut cx, &mut self.write.queue, &mut out);
            if out.pushes() > 0 {
                // Node's `addChunk` for a push from `_transform`.
                self.announce_emitted(queued);
                let added = self.read.buffer.chunk_count() > chunks;
                self.read.pushed(added, true, false, false);
            }
            match answer {
                Poll::Pending => {
                    self.write.writing = true;
                    return;
                }
                Poll::Ready(Ok(())) => self.write.wrote_at_once(),
                Poll::Ready(Err(error)) => {
                    // Node's `onwrite`: the failed chunk stops counting,
                    // the stream is errored now and destroyed on the next
                    // tick; whoever polls next is handed the error.
                    self.write.queue.finish_in_flight();
                    let error = self.life.locate(error);
                    self.life.fails_later(error);
                    self.write_after_failure();
                    return;
                }
            }
        }
    }

    /// What Node's `clearBuffer` does after a write failed inside it: the
    /// queued chunks still go to the handler, and what it pushes is
    /// dropped (the readable side is errored: `push` takes nothing), so no
    /// write is held.
    #[cold]
    fn write_after_failure(&mut self) {
        let mut cx = Context::from_waker(Waker::noop());
        let mut dropped = ReadBuffer::new(usize::MAX);
        while self.write.has_work() {
            let mut out = Push::new(&mut dropped);
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
                Poll::Ready(Err(_)) => {
                    self.write.queue.finish_in_flight();
                }
            }
        }
    }

    /// Node's `end()` calling `prefinish()`: with nothing left to write,
    /// runs the final hook at once (a transform flushes) and, if it is
    /// done, emits `prefinish`; `finish` comes at the next poll.
    /// `in_read`: the hook runs inside a read that completed a held write,
    /// where Node's `sync` leaves the flow of a flushed end to the next
    /// tick (its `end` comes after `finish`).
    fn start_final(&mut self, in_read: bool) {
        if !self.write.ready_to_finalize()
            || self.life.is_destroyed()
            || self.life.errored().is_some()
            || !self.handler.starts_at_once()
        {
            return;
        }
        let mut cx = Context::from_waker(Waker::noop());
        let ended = self.read.buffer.is_eof();
        let chunks = self.read.buffer.chunk_count();
        self.read.buffer.emit_now = !in_read && self.emits_now();
        let mut out = Push::new(&mut self.read.buffer);
        let answer = self.handler.as_mut().poll_final(&mut cx, &mut out);
        let pushes = out.pushes();
        self.read.buffer.emit_now = false;
        if pushes > 0 {
            self.announce_emitted(0);
            // Node's `addChunk` for what the flush pushed.
            let added = self.read.buffer.chunk_count() > chunks;
            self.read.pushed(added, true, false, false);
        }
        match answer {
            Poll::Pending => {}
            Poll::Ready(Ok(())) => {
                let pushed_end = !ended && self.read.buffer.is_eof();
                if pushed_end && !in_read && self.emits_now() {
                    // Node's `onEofChunk` outside a read: `emitReadable_`
                    // at once, whose `flow()` emits what is buffered.
                    self.read.buffer.emit_buffered();
                }
                if self.read.buffer.front_emitted() {
                    // Node emitted the flush's output as `data` inside its
                    // pushes, before the flush called back: the reader
                    // takes it first.
                    self.flush_pushed_end = pushed_end;
                    self.write.flushed();
                    return;
                }
                self.prefinish_flushed(pushed_end, in_read);
            }
            Poll::Ready(Err(error)) => {
                let error = self.life.locate(error);
                self.destroy(Some(error));
            }
        }
    }

    /// The final hook ran inside `end()`: `prefinish`, `finish` on the next
    /// tick, and the end it pushed (`pushed_end`) handled before.
    fn prefinish_flushed(&mut self, pushed_end: bool, in_read: bool) {
        if pushed_end {
            if in_read {
                // Node's `onEofChunk` inside a read (`sync`):
                // `emitReadable_` waits for the next tick, so the
                // `finish` queued below comes before the `end`.
                self.read.ticks.emit_readable();
            } else {
                self.flush_ended();
            }
        }
        self.write.prefinished(&mut self.life.events);
        self.read.ticks.schedule(Tick::Finish);
    }

    /// Node's flush callback after pushes it emitted at once as `data`
    /// (transform.js `final`: `push(chunk)`s, `push(null)`, `cb()`;
    /// readable.js `addChunk`): once the reader took that output, or
    /// paused the stream on a refused write (the pushes after that found
    /// it paused and were buffered), `prefinish` comes, and the end the
    /// flush pushed is handled before it (`onEofChunk`: on a drained
    /// flowing stream, `end` on the next tick, ahead of `finish`).
    fn prefinish_after_emitted(&mut self) {
        if self.write.prefinish_waits() && !self.read.buffer.front_emitted() {
            self.prefinish_flushed(self.flush_pushed_end, false);
        }
    }

    /// The end pushed by a final hook inside `end()`: Node's
    /// `onEofChunk` (a transform's reads are never synchronous) runs
    /// `flow()` at once, which, on a flowing duplex nothing reads, emits
    /// every buffered chunk as `data` and drops it, then schedules `end`.
    fn flush_ended(&mut self) {
        self.read.readable_tick(self.life.is_destroyed());
        if self.read.flowing() != Some(true) {
            return;
        }
        if !self.read.ticks.consumed {
            while self.read.take(&mut self.life.events).is_some() {}
        }
        if self.read.buffer.is_empty() {
            // An `emitReadable_` the pushes before the end queued finds
            // nothing left to flow: it keeps nothing else waiting.
            self.read.ticks.remove(Tick::Readable);
        }
        // A reader's chunks wait for its poll; with none left, `end` is
        // scheduled now.
        self.schedule_end_if_drained();
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
        self.start_tick_unless_flow(false);
    }

    /// The start of a poll of the readable side: a new tick, except that
    /// a `finish` a flowing read made due waits while chunks are buffered:
    /// the poll goes on with Node's `flow()`, which reads them all before
    /// the next tick.
    #[inline]
    fn start_read_tick(&mut self) {
        let flow_goes_on = (self.finish_after_flow
            || (self.read.ticks.contains(Tick::Finish)
                && self.read.ticks.comes_before(Tick::Readable, Tick::Finish)))
            && self.read.flowing() == Some(true)
            && !self.read.buffer.is_empty();
        self.start_tick_unless_flow(flow_goes_on);
    }

    /// The start of a tick; while `flow_goes_on`, the queued `finish`,
    /// `end` and `resume` wait for the flow to take what is buffered.
    #[inline]
    fn start_tick_unless_flow(&mut self, flow_goes_on: bool) {
        self.prefinish_after_emitted();
        // An `end` a tick stopped at for the reader holds what was queued
        // behind it (a `finish`, whose `close` would come before the
        // reader's pipe ends its destinations from that `end`).
        let ends_wait = flow_goes_on || self.end_for_reader || self.ends_wait_for_sources();
        if !ends_wait
            && (self.write.finish_due() || self.read.ends_queued())
            && self.run_queued_ends()
        {
            return;
        }
        if !ends_wait && self.write.finish_due() {
            self.tick_finish();
        }
        if self.life.errored().is_some() {
            self.read.cancel_scheduled_end();
        } else if !ends_wait && self.read.emit_scheduled_end(&mut self.life.events) {
            self.readable_ended(&mut Context::from_waker(Waker::noop()));
        }
        // A piped readable side that ended leaves its `close` to the pipe
        // (see `delivers_own_close`): a poll of this stream (of its writable
        // side, by a task awaiting its `finish`) does not deliver it before
        // a destination's `finish` queued first, which unpipes and pauses
        // this stream.
        if self.delivers_own_close() {
            self.flush_deferred(true);
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
    /// Node's pipe writes each chunk inside its `data` event (and pauses
    /// the stream if a write returns `false`) before the `error` and
    /// `close` come on a later tick: for a `reader`, they wait until it
    /// took the chunks the `resume` handed to it.
    #[cold]
    fn flush_destroyed(&mut self, reader: bool) {
        if self.read.resume_scheduled()
            && self.read.ticks.comes_before(Tick::Resume, Tick::Deferred)
        {
            self.resume_destroyed();
            if reader && self.read.has_read_by_hand() {
                return;
            }
        }
        self.life.events.flush();
        if self.life.events.holds_deferred() {
            // `close` waits for a `finished` future: so does what follows.
            return;
        }
        self.read.ticks.remove(Tick::Deferred);
        self.resume_destroyed();
    }

    /// The `resume` still scheduled on a destroyed stream, and the flow
    /// Node's `resume_` runs after it.
    fn resume_destroyed(&mut self) {
        if !self.read.resume_scheduled() {
            return;
        }
        self.read.emit_scheduled_resume(&mut self.life.events);
        if self.read.flowing() != Some(true) {
            return;
        }
        if self.read.ticks.contains(Tick::Deferred) {
            // Before the destroy's events: a pipe still gets the chunks.
            self.read.flow_to_pipes(&mut self.life.events);
        } else {
            while self.read.take(&mut self.life.events).is_some() {}
        }
    }

    /// A flowing read that finds the end after it ran the final hook:
    /// Node queued that hook's `finish` before the `end` the read now
    /// queues, so `finish` comes first.
    #[inline]
    fn finish_before_end(&mut self) {
        if self.finish_after_flow && self.read.buffer.is_eof() && self.read.buffer.is_empty() {
            self.tick_finish();
        }
    }

    /// What Node queued among `resume_`, `finish`, `endReadableNT` and a
    /// destroy's events, in its order; a flow queued ahead stays for the
    /// reader. Returns true when it stopped at `end` for a reader (a pipe
    /// acts on it, as Node's `end` listener, before what comes next).
    #[cold]
    fn run_queued_ends(&mut self) -> bool {
        self.run_queued_ends_before(u64::MAX)
    }

    /// [`run_queued_ends`](Duplex::run_queued_ends) up to the tick stamped
    /// `before` (see [`Ticks::oldest`](super::ticks::Ticks::oldest)).
    #[cold]
    fn run_queued_ends_before(&mut self, before: u64) -> bool {
        let before = before.min(self.source_tick_limit());
        let mut cx = Context::from_waker(Waker::noop());
        while let Some(tick) = self.read.ticks.pop_unless_flow(before) {
            match tick {
                Tick::Resume => self.resume_tick(),
                Tick::Finish if self.write.finish_due() => self.tick_finish(),
                Tick::End => {
                    if self.life.errored().is_some() {
                        self.read.cancel_scheduled_end();
                    } else if self.read.emit_scheduled_end(&mut self.life.events) {
                        self.readable_ended(&mut cx);
                        if self.read.ticks.consumed {
                            self.end_for_reader = true;
                            return true;
                        }
                    }
                }
                // Popped: a `resume` still scheduled comes after (its own
                // tick follows in the queue).
                Tick::Deferred => self.life.events.flush(),
                _ => {}
            }
        }
        false
    }

    /// Node's `resume_`: `resume`, and its `read(0)`, which at the end
    /// schedules `end` (after a `finish` queued before).
    fn resume_tick(&mut self) {
        if self.life.is_destroyed() {
            // After a `close` a `finished` future holds, it waits too.
            if !self.life.events.holds_deferred() {
                self.resume_destroyed();
            }
        } else if self.read.resume_scheduled() {
            // Its `read(0)` first: a transform's held write completes
            // (and an ending one flushes) before `resume`.
            self.zero_read();
            self.read.emit_scheduled_resume(&mut self.life.events);
            self.read.schedule_end_if_drained();
        }
    }

    #[cold]
    fn tick_finish(&mut self) {
        self.finish_after_flow = false;
        self.read.ticks.remove(Tick::Finish);
        self.write.finished();
        self.life.events.emit(Event::Finish);
        self.close_if_done();
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
            // The chunks a pipe queued: Node's `write()` ran `_transform`
            // on each as it came, outside any read.
            self.read.buffer.emit_now = self.emits_now();
            let queued = self.write.queue.size();
            let mut out = Push::new(&mut self.read.buffer);
            let polled = self
                .handler
                .as_mut()
                .poll_write(cx, &mut self.write.queue, &mut out);
            self.read.buffer.emit_now = false;
            self.announce_emitted(queued);
            match polled {
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
        let polled = self.poll_output_once(cx);
        self.in_read = false;
        polled
    }

    /// What a read takes before anything else: the chunk emitted inside
    /// its push, before anything queued; else, once the tick ran, what
    /// its flow handed to the pipes (`flow_to_pipes`). What the stream
    /// did after the push of a chunk taken so waits for the reader's next
    /// read, or its pause: Node's pipe wrote the chunk inside its `data`
    /// event, before that (a refused write paused the stream there).
    #[inline]
    fn take_due(&mut self) -> Option<O> {
        if std::mem::take(&mut self.emitted_taken) {
            self.prefinish_after_emitted();
        }
        if self.read.buffer.front_emitted()
            && let Some(chunk) = self.read.take(&mut self.life.events)
        {
            self.emitted_taken = true;
            return Some(chunk);
        }
        self.start_read_tick();
        self.read.take_read_by_hand()
    }

    fn poll_output_once(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<O>>> {
        if std::mem::take(&mut self.end_for_reader) {
            return Poll::Ready(None);
        }
        if let Some(chunk) = self.take_due() {
            return Poll::Ready(Some(Ok(chunk)));
        }
        if let Some(error) = self.life.take_error() {
            return Poll::Ready(Some(Err(error)));
        }
        if self.read.is_ended() {
            return Poll::Ready(None);
        }
        let mut flow_first = self.read.resume_waits_for_flow();
        loop {
            let failed_now = self.ask_flowing(flow_first);
            if !failed_now && let Poll::Ready(Err(error)) = self.poll_write_side(cx) {
                return Poll::Ready(Some(Err(error)));
            }
            if let Some(misuse) = self.read.buffer.take_misuse() {
                return Poll::Ready(Some(Err(self.fail(misuse))));
            }
            if !flow_first {
                self.read.emit_scheduled_resume(&mut self.life.events);
            }
            if self.read.paused_while_piped() {
                return Poll::Pending;
            }
            if let Some(chunk) = self.read.take(&mut self.life.events) {
                return Poll::Ready(Some(Ok(chunk)));
            }
            if std::mem::take(&mut flow_first) {
                self.read.ticks.remove(Tick::Readable);
                continue;
            }
            if self.life.is_destroyed() && self.read.buffer.is_eof() {
                // Node's `endReadableNT` emits no `end` once the stream
                // errored or emitted `close`: not `readableEnded`.
                return Poll::Ready(None);
            }
            self.finish_before_end();
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
        let polled = self.poll_output_into_once(cx, queue, limit);
        self.in_read = false;
        polled
    }

    fn poll_output_into_once(
        &mut self,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<O>,
        limit: usize,
    ) -> Poll<Option<Result<()>>> {
        if std::mem::take(&mut self.end_for_reader) {
            return Poll::Ready(None);
        }
        if let Some(chunk) = self.take_due() {
            queue.push_back(chunk);
            return Poll::Ready(Some(Ok(())));
        }
        if let Some(error) = self.life.take_error() {
            return Poll::Ready(Some(Err(error)));
        }
        if self.read.is_ended() {
            return Poll::Ready(None);
        }
        let mut flow_first = self.read.resume_waits_for_flow();
        loop {
            let failed_now = self.ask_flowing(flow_first);
            if !failed_now && let Poll::Ready(Err(error)) = self.poll_write_side(cx) {
                return Poll::Ready(Some(Err(error)));
            }
            if let Some(misuse) = self.read.buffer.take_misuse() {
                return Poll::Ready(Some(Err(self.fail(misuse))));
            }
            if !flow_first {
                self.read.emit_scheduled_resume(&mut self.life.events);
            }
            if self.read.paused_while_piped() {
                return Poll::Pending;
            }
            let mut moved = self.read.take_all_into(queue, limit, &self.life.events);
            while let Some(chunk) = self.read.take(&mut self.life.events) {
                queue.push_back(chunk);
                moved = true;
                if queue.size() >= limit {
                    break;
                }
                // Each chunk is a flowing `read()` of its own, which asks
                // before it takes.
                self.ask_transform(Taking::Front);
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
            if std::mem::take(&mut flow_first) {
                self.read.ticks.remove(Tick::Readable);
                continue;
            }
            if self.life.is_destroyed() && self.read.buffer.is_eof() {
                // Node's `endReadableNT` emits no `end` once the stream
                // errored or emitted `close`: not `readableEnded`.
                return Poll::Ready(None);
            }
            self.finish_before_end();
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
            self.handler.as_mut().writable_ended();
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
        self.read.ticks.emitted_readable = false;
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let _ = self.poll_write_side(&mut cx);
        let taken = take(&mut self.read, &mut self.life.events);
        if taken.is_none() {
            self.schedule_end_if_drained();
        }
        self.read.after_read(taken.is_some());
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
    /// while fewer than `n` bytes are buffered. Asking for more than the
    /// readable highWaterMark raises it to the next power of two, and the
    /// read asks before it takes, as [`read`](Duplex::read) does. See
    /// [`Readable::read_bytes`](crate::Readable::read_bytes).
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::Bytes;
    /// use smerge::Duplex;
    ///
    /// let mut pass = Duplex::<Bytes, Bytes>::pass_through().with_high_water_mark(1);
    /// assert!(!pass.write(Bytes::from_static(b"ab"))?); // held: the readable side is full
    /// assert!(!pass.write(Bytes::from_static(b"c"))?);
    /// // Node: read(3) raises the mark to 4 and completes the held write
    /// // (the queued one passes) before it takes.
    /// assert_eq!(pass.read_bytes(3).as_deref(), Some(&b"abc"[..]));
    /// assert_eq!(pass.readable_high_water_mark(), 4);
    /// # Ok::<(), smerge::Error>(())
    /// ```
    pub fn read_bytes(&mut self, n: usize) -> Option<Bytes> {
        if n > self.read.buffer.high_water_mark() {
            let raised = n.checked_next_power_of_two().unwrap_or(n);
            self.read.buffer.set_high_water_mark(raised);
        }
        let ended_before = self.read.buffer.is_eof();
        let (len, mark) = (self.read.buffer.len(), self.read.buffer.high_water_mark());
        if n != 0 {
            self.read.ticks.emitted_readable = false;
        } else if self.read.ticks.need_readable && (if mark != 0 { len >= mark } else { len > 0 }) {
            // Node's `read(0)` with enough buffered: `emitReadable`.
            self.read.ticks.emit_readable();
        }
        self.ask_before_read(Taking::Bytes(n));
        let bytes = self.read.take_bytes(n, &mut self.life.events);
        match &bytes {
            // The rest, cut short by the end: `end` follows on the next tick.
            Some(rest) if rest.len() < n => self.schedule_end_if_drained(),
            Some(_) => {}
            // `read(0)` finds the end only if it was there before the call.
            None if n == 0 && !ended_before => {}
            None if self.read.buffer.is_eof() && self.read.buffer.is_empty() => {
                self.schedule_end_if_drained();
            }
            None => self.read.need_more(),
        }
        // As `read()`: Node's `needReadable` when it found too little.
        self.read.after_read(bytes.is_some());
        bytes
    }
}

impl<I, O> sealed::Stream for Duplex<I, O> {}

impl<I: Chunk, O: Chunk> ReadableStream for Duplex<I, O> {
    type Output = O;

    #[inline]
    fn poll_next_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<O>>> {
        self.read.ticks.consumed = true;
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
        self.read.ticks.consumed = true;
        if let Some(chunk) = self.read.take_read_by_hand() {
            queue.push_back(chunk);
            return Poll::Ready(Some(Ok(())));
        }
        self.poll_output_into(cx, queue, limit)
    }

    /// A pipe pausing its source: after a refused write, the chunks Node
    /// would have emitted at once behind the one written were pushed into
    /// a paused stream in Node, and are buffered (see `ReadBuffer`).
    fn pause(&mut self) {
        let refused = self.read.buffer.front_emitted();
        self.read.buffer.buffer_emitted();
        let emitted_taken = std::mem::take(&mut self.emitted_taken);
        Duplex::pause(self);
        if refused {
            self.hold_after_pause();
        }
        self.prefinish_after_emitted();
        self.end_held = emitted_taken
            && self.read.buffer.is_eof()
            && !self.read.ends_queued()
            && !self.read.is_ended();
    }

    /// A pipe starting to read: the output is the pipe's from now on.
    fn resume(&mut self) {
        self.read.ticks.consumed = true;
        Duplex::resume(self);
    }

    /// The scheduled `resume` and the due `finish`, in the order queued.
    fn ticks_before_end_first(&mut self) {
        if self.read.ticks.comes_before(Tick::Resume, Tick::Finish) {
            self.read.emit_scheduled_resume(&mut self.life.events);
        }
        if self.write.finish_due() {
            self.tick_finish();
        }
        self.read.emit_scheduled_resume(&mut self.life.events);
    }

    fn oldest_tick(&self) -> Option<u64> {
        self.read.ticks.oldest_for_reader()
    }

    fn destroy_tick(&self) -> Option<u64> {
        self.read.ticks.stamp_of(Tick::Deferred)
    }

    fn fails_later(&self) -> bool {
        self.life.destroy_due()
    }

    fn run_ticks_before(&mut self, stamp: u64) {
        WritableStream::run_ticks_before(self, stamp);
    }

    fn end_emitted(&self) -> bool {
        self.read.is_ended()
    }

    fn finished_at_end(&self) -> bool {
        true
    }

    fn resume_queued(&self) -> bool {
        self.read.resume_scheduled()
    }

    fn queued_resume(&self) -> Option<u64> {
        self.read.queued_resume()
    }

    fn queued_flow(&self) -> Option<u64> {
        self.read.queued_flow()
    }

    /// While a pipe waits for `drain`, a paused duplex lives its ticks as
    /// Node's does (its `resume`, `finish`, `end`); a flowing one is left
    /// to the pipe.
    fn poll_ahead(&mut self, cx: &mut Context<'_>) -> Result<()> {
        let _ = cx;
        if self.read.flowing() == Some(true) {
            return Ok(());
        }
        // A failure counts once its `error` came: in this tick, or
        // deferred by a destroy before it (Node's pipeline learns of it
        // from that event, and destroys the other streams then).
        let failed = self.life.errored().is_some() && !self.read.ticks.contains(Tick::Deferred);
        self.tick();
        self.life
            .failure_heard(failed, ReadableStream::drained_at_end(self))
    }

    fn listen_data(&mut self) {
        self.read.ticks.consumed = true;
        if self.read.flowing() != Some(false) {
            Duplex::resume(self);
        }
    }

    fn flush_events(&mut self) {
        self.flush_tick();
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
                && self.life.errored().is_none()
                && !self.end_held)
    }

    fn drained_at_end(&self) -> bool {
        self.read.buffer.is_eof() && self.read.buffer.is_empty()
    }

    fn flows(&self) -> bool {
        self.read.flowing() == Some(true)
    }

    fn queued_end(&self) -> Option<u64> {
        self.read.queued_end()
    }

    fn data_due(&self) -> bool {
        self.read.buffer.front_emitted()
    }

    fn flows_buffered(&self) -> bool {
        self.read.flowing() == Some(true) && !self.read.buffer.is_empty()
    }

    fn run_due_finish(&mut self) {
        if self.write.finish_due() && !self.finish_after_flow && !self.life.is_destroyed() {
            self.tick_finish();
        }
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

    fn run_ticks_before(&mut self, stamp: u64) {
        if !self.read.ticks.queued_before(stamp) {
            return;
        }
        if self.flows_unread() {
            // Its flows come at their places too: what a writer hears of
            // them (the `drain` of a held write, transform.js:193,
            // 198-202) and the output they emit before a later `end()`.
            let before = stamp.min(self.source_tick_limit());
            let mut cx = Context::from_waker(Waker::noop());
            while let Some(tick) = self.read.ticks.pop_before(before) {
                self.run_unread_tick(&mut cx, tick);
            }
            self.life.events.flush();
        } else {
            self.run_queued_ends_before(stamp);
        }
    }

    fn oldest_tick(&self) -> Option<u64> {
        if self.flows_unread() {
            return self.read.ticks.oldest_with_flows();
        }
        self.read.ticks.oldest_for_writer()
    }

    fn destroy_tick(&self) -> Option<u64> {
        ReadableStream::destroy_tick(self)
    }

    fn failed_write_tick(&self) -> Option<u64> {
        self.life.destroy_due_tick()
    }

    fn after_write_tick(&self) -> Option<u64> {
        self.write.after_write_tick()
    }

    fn source_tick_queued(&mut self, stamp: u64) {
        self.source_ticks.queued(stamp);
    }

    fn source_tick_ran(&mut self, stamp: u64) {
        self.source_ticks.ran(stamp);
    }

    fn refuse_pipes_after(&mut self, stamp: u64) {
        if self
            .read
            .ticks
            .stamp_of(Tick::Resume)
            .is_none_or(|resume| resume > stamp)
        {
            self.read.refuse_pipes();
        }
    }

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

    fn take_refused_write(&mut self) -> bool {
        std::mem::take(&mut self.refused_write)
    }

    fn is_finished(&self) -> bool {
        self.write.is_finished()
    }

    fn is_ending(&self) -> bool {
        self.write.is_ending()
    }

    fn finished_loosely(&self) -> bool {
        self.life.errored().is_none()
            && (self.write.is_finished()
                || (self.write.is_ending() && self.write.queue.size() == 0))
    }

    fn finish_due(&self) -> bool {
        self.write.finish_due()
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

    /// Node's `resume_`, queued when this duplex was piped on, runs before
    /// the `endReadableNT` its source's read queued now; a flow under way
    /// reads on first, completing the write the transform held. True
    /// while the flow still has output buffered for the reader.
    fn source_ending(&mut self) -> bool {
        if self.life.is_destroyed() {
            return false;
        }
        // With output buffered, the flow (of a `resume_`, or under way)
        // emits it before: it waits for the reader, and so does the
        // `resume`.
        if ReadableStream::flows_buffered(self) {
            return true;
        }
        let flowing = self.read.flowing() == Some(true);
        if self.read.resume_scheduled() {
            self.run_queued_ends();
        } else if flowing {
            // The flow under way reads till `read()` gives nothing: the
            // read that finds the buffer empty asks the transform
            // (transform.js:198-204, `_read` calls the write callback it
            // held), whose next chunks' output flows too.
            self.zero_read();
        }
        flowing && !self.read.buffer.is_empty()
    }

    fn flush_events(&mut self) {
        self.flush_tick();
    }

    fn label(&self) -> Option<&str> {
        self.life.label()
    }

    fn failure(&self) -> Option<Error> {
        self.life.errored().cloned()
    }

    /// Not for an observed duplex: a batch moved into its writable queue
    /// skips what a `write` of each chunk shows. Node's `write()` runs the
    /// idle transform inside the call (transform.js:166 `_write`), whose push
    /// into a flowing, empty readable side emits `data` at once
    /// (readable.js:550 `addChunk`), and returns true as the queue is empty
    /// again; a batch of a full queue instead returns `false` for its last
    /// chunk, pausing upstream for a `drain`, and transforms later.
    /// Observed, a plain stage of a pipeline thus emits the events of one
    /// behind a [`Shared`](crate::Shared) handle (which takes each chunk by
    /// a `write`).
    #[inline]
    fn batch_target(&mut self) -> Option<(&mut WriteQueue<I>, usize)> {
        if self.life.events.is_observed() {
            return None;
        }
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
    /// stays of it is the scheduled `resume` emitted. Not with a readable
    /// highWaterMark of 0: the held chunk then waits for the next read.
    #[inline]
    fn pass_batch(&mut self, batch: &WriteQueue<I>, limit: usize) -> bool {
        let Some(last) = batch.back() else {
            return false;
        };
        // The last write would return false (Node: not while nothing
        // counts, whatever the mark).
        let passes = batch.size() >= self.write.high_water_mark()
            && batch.size() > 0
            && self.read.buffer.high_water_mark() > 0
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
    /// side keeps counting in `writableLength` until a read asks for more
    /// (Node's `read()` calls `_read`, which calls the held callback): the
    /// last copy is pushed by the third read, so the fourth read, finding
    /// the readable side empty, completes the write and emits `drain`.
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

    /// Node's `addChunk` (readable.js) emits a push into the empty
    /// readable side of a transform flowing to a `data` listener at once,
    /// so `Transform._write` (transform.js) calls back inside the write,
    /// which returns true, and no `drain` comes; the `resume` scheduled
    /// before comes after that `data`. Node 20, `t.on('data')` then
    /// `t.write(7)`: `data`, `write` returns true, `writableLength` 0,
    /// then `resume`.
    #[test]
    fn a_transform_flowing_to_a_reader_emits_its_output_inside_the_write() {
        let mut pass = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        pass.observe(move |event| seen.lock().unwrap().push(event.name()));
        // A reader starts: the side flows, its `resume` is scheduled.
        ReadableStream::resume(&mut pass);
        assert!(pass.write(7).unwrap());
        assert_eq!(pass.writable_length(), 0);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(matches!(
            pass.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Ok(7)))
        ));
        assert!(pass.poll_next_chunk(&mut cx).is_pending());
        assert_eq!(*log.lock().unwrap(), ["data", "resume"]);
    }

    /// Node's `read(0)` sets `needReadable`, so the push of a later
    /// `write()` queues `emitReadable_` (readable.js `addChunk`), whose
    /// flow comes before the `resume_` a reader queues after it. Node 20,
    /// `t.read(0); t.write('a'); t.on('data')`: `write` returns false,
    /// then `data`, `drain`, `resume`.
    #[test]
    fn a_read_of_nothing_lets_the_next_push_flow_before_resume() {
        let mut pass = Duplex::<Bytes, Bytes>::pass_through().with_high_water_mark(0);
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        pass.observe(move |event| seen.lock().unwrap().push(event.name()));
        assert_eq!(pass.read_bytes(0), None);
        assert!(!pass.write(Bytes::from_static(b"a")).unwrap());
        ReadableStream::resume(&mut pass);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(matches!(
            pass.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Ok(_)))
        ));
        assert!(pass.poll_next_chunk(&mut cx).is_pending());
        assert_eq!(*log.lock().unwrap(), ["data", "drain", "resume"]);
    }

    /// Node's `resume_` calls `read(0)` before it emits `resume`
    /// (readable.js `resume_`): on a transform whose held write waits for
    /// a read, `Transform._read` completes it first, and the flush of an
    /// ended side runs. Node 20, `t.write('h'); t.read(); t.end();
    /// t.resume()`, then a tick: `prefinish resume finish end close`.
    #[test]
    fn a_scheduled_resume_reads_before_it_is_emitted() {
        let mut pass = Duplex::<Bytes, Bytes>::pass_through().with_high_water_mark(0);
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        pass.observe(move |event| seen.lock().unwrap().push(event.name()));
        assert!(!pass.write(Bytes::from_static(b"h")).unwrap());
        assert_eq!(pass.read().as_deref(), Some(&b"h"[..]));
        pass.end().unwrap();
        pass.resume();
        pass.tick();
        pass.tick();
        assert_eq!(
            *log.lock().unwrap(),
            ["data", "prefinish", "resume", "finish", "end", "close"]
        );
    }

    /// Pushes each chunk twice; flushes a 0.
    struct Twice;

    /// Node's `flow()` queued by a push a read waited for
    /// (`emitReadable_`, readable.js `emitReadable`) comes before the
    /// `finish` the flush's `prefinish` queued after it. Node 20:
    /// `t.read(); t.end(); t.on('data')`: `prefinish`, then `data 0`,
    /// `finish`, `resume`, `end`, `close`.
    #[test]
    fn a_flow_queued_before_finish_emits_its_data_first() {
        let mut twice = Duplex::transform(Twice).with_high_water_mark(0);
        let log = logged(&mut twice);
        assert_eq!(twice.read(), None);
        twice.end().unwrap();
        // A reader starts, as `on('data')`.
        ReadableStream::resume(&mut twice);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(matches!(
            twice.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Ok(0)))
        ));
        assert!(matches!(twice.poll_next_chunk(&mut cx), Poll::Ready(None)));
        twice.tick();
        assert_eq!(
            *log.lock().unwrap(),
            ["prefinish", "data", "finish", "resume", "end", "close"]
        );
    }

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

    /// A transform resumed that nothing reads: the end its flush pushes
    /// inside `end()` runs Node's `flow()` at once, which emits the
    /// flushed chunk as `data` and drops it; the next tick brings what
    /// was queued, in order (Node 20: `_flush data prefinish | resume end
    /// finish close`).
    #[test]
    fn a_resumed_transform_nothing_reads_flows_inside_end_and_ticks_in_order() {
        let mut twice = Duplex::transform(Twice).with_high_water_mark(0);
        let log = logged(&mut twice);
        twice.resume();
        twice.end().unwrap();
        assert_eq!(twice.readable_length(), 0, "flowed and dropped");
        log.lock().unwrap().push("|");
        twice.tick();
        assert_eq!(
            *log.lock().unwrap(),
            ["data", "prefinish", "|", "resume", "end", "finish", "close"]
        );
    }

    /// A flush inside `end()` on a resumed transform nothing reads flows
    /// everything it pushed at once: the `emitReadable_` its push queued
    /// (a read waited) finds nothing, and holds back neither `end` nor
    /// `finish`, even when the writable side is polled first (Node 20:
    /// `read() resume() end()`, `data prefinish | resume end finish close`).
    #[test]
    fn a_flush_that_flowed_at_once_leaves_no_flow_ahead_of_finish() {
        let mut twice = Duplex::transform(Twice).with_high_water_mark(0);
        let log = logged(&mut twice);
        assert_eq!(twice.read(), None);
        twice.resume();
        twice.end().unwrap();
        log.lock().unwrap().push("|");
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let _ = WritableStream::poll_finish(&mut twice, &mut cx);
        twice.tick();
        assert_eq!(
            *log.lock().unwrap(),
            ["data", "prefinish", "|", "resume", "end", "finish", "close"]
        );
    }

    /// The `maybeReadMore_` a transform's push queued runs its `read(0)`
    /// at the next tick, whose `_read` completes the held write: the
    /// chunks queued behind it go through and `drain` comes before the
    /// flow of the `resume` queued later (Node 20, readable highWaterMark
    /// 1: `write(a c d e) read() read() resume()`, `data data | drain data
    /// resume`).
    #[test]
    fn read_more_completes_a_held_write_before_a_later_resume() {
        let mut pass = Duplex::<Bytes, Bytes>::pass_through()
            .with_readable_high_water_mark(1)
            .with_writable_high_water_mark(0);
        for chunk in ["a", "c", "d", "e"] {
            assert!(!pass.write(Bytes::from_static(chunk.as_bytes())).unwrap());
        }
        let log = logged(&mut pass);
        assert_eq!(pass.read().as_deref(), Some(&b"ac"[..]));
        assert_eq!(pass.read().as_deref(), Some(&b"d"[..]));
        pass.resume();
        log.lock().unwrap().push("|");
        pass.tick();
        assert_eq!(
            *log.lock().unwrap(),
            ["data", "data", "|", "drain", "data", "resume"]
        );
        assert_eq!((pass.writable_length(), pass.readable_length()), (0, 0));
    }

    /// The `read(0)` of a tick's `maybeReadMore_` is over when the tick
    /// ends: a later write into the empty side of a transform flowing to a
    /// reader emits its output inside the call, as any write outside a
    /// read (Node 20, readable highWaterMark 1, writable 0: `write(a c d
    /// '') read() read()`, a tick (`drain`), `on('data')`, `write(f)`:
    /// `data`, `write` returns true, `writableLength` 0, then `resume`).
    #[test]
    fn a_write_after_the_read_more_tick_emits_its_output_at_once() {
        let mut pass = Duplex::<Bytes, Bytes>::pass_through()
            .with_readable_high_water_mark(1)
            .with_writable_high_water_mark(0);
        for chunk in ["a", "c", "d", ""] {
            assert!(!pass.write(Bytes::from_static(chunk.as_bytes())).unwrap());
        }
        assert_eq!(pass.read().as_deref(), Some(&b"ac"[..]));
        assert_eq!(pass.read().as_deref(), Some(&b"d"[..]));
        let log = logged(&mut pass);
        pass.tick();
        assert_eq!((pass.writable_length(), pass.readable_length()), (0, 0));
        ReadableStream::resume(&mut pass);
        assert!(pass.write(Bytes::from_static(b"f")).unwrap());
        assert_eq!(pass.writable_length(), 0);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(matches!(
            pass.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Ok(chunk))) if chunk == "f"
        ));
        assert!(pass.poll_next_chunk(&mut cx).is_pending());
        assert_eq!(*log.lock().unwrap(), ["drain", "data", "resume"]);
    }

    /// Holds each write until a read asks for more, pushing nothing (a
    /// Node duplex whose `_read` calls the callback its `_write` held, as
    /// `Transform._read` does); counts those calls.
    struct HeldUntilRead {
        held: bool,
        reads: Arc<Mutex<usize>>,
    }

    impl DuplexHandler<u32, u32> for HeldUntilRead {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            input: &mut WriteQueue<u32>,
            _: &mut Push<'_, u32>,
        ) -> Poll<Result<()>> {
            let this = self.get_mut();
            if !this.held && input.take_in_flight().is_some() {
                this.held = true;
            }
            if this.held {
                Poll::Pending
            } else {
                Poll::Ready(Ok(()))
            }
        }

        fn poll_final(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &mut Push<'_, u32>,
        ) -> Poll<Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &mut Push<'_, u32>,
        ) -> Poll<Result<()>> {
            Poll::Pending
        }

        fn release_held(self: Pin<&mut Self>) -> bool {
            let this = self.get_mut();
            *this.reads.lock().unwrap() += 1;
            std::mem::take(&mut this.held)
        }
    }

    /// Node's `resume_` reads once (`read(0)`) before `resume`: one held
    /// write completes (Node 20, a duplex whose `_read` calls the callback
    /// `_write` held, four writes, `resume() pause()`, a tick: one
    /// `_read`, `writableLength` 3).
    #[test]
    fn a_scheduled_resume_completes_one_held_write() {
        let reads = Arc::new(Mutex::new(0));
        let handler = HeldUntilRead {
            held: false,
            reads: Arc::clone(&reads),
        };
        let mut held = Duplex::new(handler);
        held.coupled = true;
        for chunk in 1..=4 {
            held.write(chunk).unwrap();
        }
        assert_eq!(held.writable_length(), 4);
        held.resume();
        held.pause();
        held.tick();
        assert_eq!((*reads.lock().unwrap(), held.writable_length()), (1, 3));
    }

    /// The `read(0)` of `maybeReadMore_` that finds nothing leaves Node's
    /// `needReadable` set, so the next push queues `emitReadable_`, whose
    /// flow comes before a `resume` queued later (Node 20, readable
    /// highWaterMark 2: `write(1) | write(2) resume() | drain data data
    /// resume`).
    #[test]
    fn a_zero_read_that_found_nothing_makes_the_next_push_flow_first() {
        let mut pass = Duplex::<u32, u32>::pass_through()
            .with_readable_high_water_mark(2)
            .with_writable_high_water_mark(0);
        let log = logged(&mut pass);
        assert!(pass.write(1).unwrap());
        pass.tick();
        assert!(!pass.write(2).unwrap());
        assert_eq!(pass.writable_length(), 1);
        pass.resume();
        log.lock().unwrap().push("|");
        pass.tick();
        assert_eq!(
            *log.lock().unwrap(),
            ["|", "drain", "data", "data", "resume"]
        );
        assert_eq!((pass.writable_length(), pass.readable_length()), (0, 0));
    }

    /// `resume_` asks with `read(0)` before it emits `resume`: the held
    /// write of an ending transform completes and flushes first (Node 20:
    /// `write(h) read() | end() resume() |`, `prefinish resume finish end
    /// close`).
    #[test]
    fn resume_completes_a_held_write_before_its_event() {
        let mut pass = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        assert!(!pass.write(7).unwrap());
        assert_eq!(pass.read(), Some(7));
        pass.tick();
        assert_eq!(pass.writable_length(), 1);
        pass.end().unwrap();
        pass.resume();
        let log = logged(&mut pass);
        pass.tick();
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let _ = WritableStream::poll_finish(&mut pass, &mut cx);
        assert_eq!(
            *log.lock().unwrap(),
            ["prefinish", "resume", "finish", "end", "close"]
        );
    }

    /// The flow of an `emitReadable_` queued before `finish` (a read
    /// waited when the flush pushed) reads everything buffered before
    /// `finish` comes (Node 20: `read() end() resume()`, `prefinish | data
    /// finish resume end close`).
    #[test]
    fn a_flow_queued_before_finish_reads_all_before_it() {
        let mut twice = Duplex::transform(Twice).with_high_water_mark(0);
        let log = logged(&mut twice);
        assert_eq!(twice.read(), None);
        twice.end().unwrap();
        twice.resume();
        log.lock().unwrap().push("|");
        twice.tick();
        assert_eq!(
            *log.lock().unwrap(),
            ["prefinish", "|", "data", "finish", "resume", "end", "close"]
        );
        assert_eq!(twice.readable_length(), 0);
    }

    /// The same after a tick whose flow found nothing: the `emitReadable_`
    /// the flush's push queued finds nothing left after the end flowed,
    /// and `end` still comes before `finish` (Node 20: `resume | data
    /// prefinish | end finish close`).
    #[test]
    fn a_resumed_transform_ends_before_it_finishes_after_a_flow_found_nothing() {
        let mut twice = Duplex::transform(Twice).with_high_water_mark(0);
        let log = logged(&mut twice);
        twice.resume();
        twice.tick();
        log.lock().unwrap().push("|");
        twice.end().unwrap();
        log.lock().unwrap().push("|");
        WritableStream::flush_events(&mut twice);
        assert_eq!(
            *log.lock().unwrap(),
            [
                "resume",
                "|",
                "data",
                "prefinish",
                "|",
                "end",
                "finish",
                "close"
            ]
        );
    }

    /// A flowing read that completes a held write of an ending transform
    /// runs its flush inside the read (Node's `sync`): the flushed end
    /// flows at the next tick, so `finish` comes before `end` (Node 20,
    /// nothing listening for `data`: `resume data prefinish data data data
    /// data finish end close`).
    #[test]
    fn a_flush_inside_a_flowing_read_ends_after_finish() {
        let mut twice = Duplex::transform(Twice).with_high_water_mark(1);
        let log = logged(&mut twice);
        twice.write(1).unwrap();
        twice.write(2).unwrap();
        twice.end().unwrap();
        assert_eq!((twice.writable_length(), twice.readable_length()), (2, 2));
        twice.resume();
        twice.tick();
        assert_eq!(
            *log.lock().unwrap(),
            [
                "resume",
                "data",
                "prefinish",
                "data",
                "data",
                "data",
                "data",
                "finish",
                "end",
                "close"
            ]
        );
    }

    /// A read that found nothing makes the next push from `_transform`
    /// queue `emitReadable_` (Node's `needReadable`), which comes before a
    /// later `resume()`'s tick and flows (Node 20: `data data drain
    /// resume`).
    #[test]
    fn output_a_read_waited_for_flows_before_a_later_resume() {
        let mut twice = Duplex::transform(Twice).with_high_water_mark(0);
        let log = logged(&mut twice);
        assert_eq!(twice.read(), None);
        assert!(!twice.write(1).unwrap());
        twice.resume();
        twice.tick();
        assert_eq!(*log.lock().unwrap(), ["data", "data", "drain", "resume"]);
        assert_eq!((twice.readable_length(), twice.writable_length()), (0, 0));
    }

    /// The same read by a reader (a pipe, Node's `data` listener): it
    /// takes the output the earlier read waited for before `resume` comes
    /// (Node 20: `data data drain resume`).
    #[test]
    fn a_reader_takes_output_a_read_waited_for_before_resume() {
        let mut twice = Duplex::transform(Twice).with_high_water_mark(0);
        let log = logged(&mut twice);
        assert_eq!(twice.read(), None);
        assert!(!twice.write(1).unwrap());
        ReadableStream::resume(&mut twice);
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..2 {
            assert!(matches!(
                twice.poll_next_chunk(&mut cx),
                Poll::Ready(Some(Ok(1)))
            ));
        }
        assert!(twice.poll_next_chunk(&mut cx).is_pending());
        assert_eq!(*log.lock().unwrap(), ["data", "data", "drain", "resume"]);
    }

    /// Read by a reader, a transform ended inside `end()` ticks in Node's
    /// order: its `resume`, then the `end` its flush scheduled, then the
    /// `finish` (Node 20, with a `data` listener: `prefinish | resume end
    /// finish close`; piped, the pipe's `pause` comes after `end`).
    #[test]
    fn a_read_transform_ends_in_the_order_node_queued() {
        let mut copies = Duplex::transform(Copies { value: 0, left: 0 });
        let log = logged(&mut copies);
        ReadableStream::resume(&mut copies);
        copies.end().unwrap();
        log.lock().unwrap().push("|");
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(copies.poll_next_chunk(&mut cx), Poll::Ready(None)));
        // The reader sees the end before what comes next: a pipe pauses
        // here, before `finish` (Node 20: `end pause finish close`).
        assert_eq!(*log.lock().unwrap(), ["prefinish", "|", "resume", "end"]);
        ReadableStream::pause(&mut copies);
        ReadableStream::flush_events(&mut copies);
        assert_eq!(
            *log.lock().unwrap(),
            [
                "prefinish",
                "|",
                "resume",
                "end",
                "pause",
                "finish",
                "close"
            ]
        );
    }

    /// Paused while piped, a transform's readable side gives a pipe
    /// nothing: Node's `resume_` emits `resume`, then `flow()` reads only
    /// while flowing (Node 20, `pipe pause write(1) | tick`: `pause |
    /// resume`, both chunks left buffered; after `resume()`, `resume data`).
    #[test]
    fn a_paused_piped_transform_gives_the_pipe_nothing() {
        let mut twice = Duplex::transform(Twice).with_high_water_mark(0);
        let log = logged(&mut twice);
        ReadableStream::piping(&mut twice, true);
        ReadableStream::listen_data(&mut twice);
        twice.pause();
        twice.write(1).unwrap();
        twice.tick();
        let mut cx = Context::from_waker(Waker::noop());
        assert!(twice.poll_next_chunk(&mut cx).is_pending());
        assert_eq!(*log.lock().unwrap(), ["pause", "resume"]);
        assert_eq!(twice.readable_length(), 2);
        twice.resume();
        assert!(matches!(
            twice.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Ok(1)))
        ));
        assert_eq!(*log.lock().unwrap(), ["pause", "resume", "resume", "data"]);
    }

    /// Paused while piped, a transform whose output filled its readable
    /// side keeps its write held: Node's `flow()` calls no `read()`, so no
    /// `_read` releases the callback (Node 20, object mode, readable hwm 1,
    /// `pipeline(s0, s1) pause write(e) | tick`: `resume`, no `drain`).
    #[test]
    fn a_paused_piped_transform_keeps_its_write_held() {
        let mut twice = Duplex::transform(Twice)
            .with_writable_high_water_mark(0)
            .with_readable_high_water_mark(2);
        let log = logged(&mut twice);
        ReadableStream::piping(&mut twice, true);
        ReadableStream::listen_data(&mut twice);
        twice.pause();
        assert!(!twice.write(1).unwrap());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(twice.poll_next_chunk(&mut cx).is_pending());
        assert_eq!(*log.lock().unwrap(), ["pause", "resume"]);
        assert_eq!((twice.readable_length(), twice.writable_length()), (2, 1));
    }

    /// Paused while piped, a transform whose end comes on an empty
    /// readable side emits no `end`: no read sees it until `resume()`
    /// (Node 20, `pipeline(s0, s1) | settle | s0.pause() s0.end() | tick`:
    /// `finish`, and no `end`).
    #[test]
    fn a_paused_piped_transform_ended_empty_waits_for_resume_to_end() {
        let mut pass = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        let log = logged(&mut pass);
        ReadableStream::piping(&mut pass, true);
        ReadableStream::listen_data(&mut pass);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(pass.poll_next_chunk(&mut cx).is_pending());
        pass.pause();
        pass.end().unwrap();
        assert!(pass.poll_next_chunk(&mut cx).is_pending());
        assert_eq!(
            *log.lock().unwrap(),
            ["resume", "pause", "prefinish", "finish"]
        );
        pass.resume();
        assert!(matches!(pass.poll_next_chunk(&mut cx), Poll::Ready(None)));
        assert!(log.lock().unwrap().ends_with(&["resume", "end"]));
    }

    /// The `read(0)` of the `resume` a pipe scheduled finds the end of a
    /// transform paused by hand: `end` comes although nothing flows (Node
    /// 20, `end | tick | pipe pause | settle`: `resume end close`;
    /// readable.js, `resume_` calls `read(0)`, which calls `endReadable`).
    #[test]
    fn a_paused_piped_transform_ends_at_the_read_of_its_resume() {
        let mut pass = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        let log = logged(&mut pass);
        pass.end().unwrap();
        pass.tick();
        ReadableStream::piping(&mut pass, true);
        ReadableStream::listen_data(&mut pass);
        pass.pause();
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(pass.poll_next_chunk(&mut cx), Poll::Ready(None)));
        assert_eq!(
            log.lock().unwrap()[..5],
            ["prefinish", "finish", "pause", "resume", "end"]
        );
    }

    /// Read by a pipe or a poll, a flowing transform's output is never
    /// dropped: `end()` leaves the flushed chunk for the reader.
    #[test]
    fn a_transform_someone_reads_keeps_its_output() {
        let mut twice = Duplex::transform(Twice).with_high_water_mark(0);
        ReadableStream::resume(&mut twice);
        twice.end().unwrap();
        twice.tick();
        assert_eq!(twice.readable_length(), 1);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(
            twice.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Ok(0)))
        ));
    }

    /// `end()` then `resume()` then a write after the end: `finish` (due
    /// from `end()`), `resume` and its flow (the flushed chunk), then the
    /// destroy's `error` and `close`, and never `end` (Node 20: `finish
    /// resume data error close`).
    #[test]
    fn a_destroyed_transform_ticks_in_the_order_node_queued() {
        let mut twice = Duplex::transform(Twice).with_high_water_mark(0);
        let log = logged(&mut twice);
        twice.end().unwrap();
        twice.resume();
        assert!(twice.write(1).is_err());
        log.lock().unwrap().clear();
        twice.tick();
        assert_eq!(
            *log.lock().unwrap(),
            ["finish", "resume", "data", "error", "close"]
        );
        assert!(!twice.is_ended());
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
    /// what the reader does on `end` comes before `finish` and `close`
    /// (Node 20, `pause()` on `end`: `prefinish resume end pause finish
    /// close`).
    #[test]
    fn end_on_a_flowing_empty_transform_ends_before_it_finishes() {
        let mut pass = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        let log = logged(&mut pass);
        pass.resume();
        pass.end().unwrap();
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(matches!(pass.poll_next_chunk(&mut cx), Poll::Ready(None)));
        assert_eq!(*log.lock().unwrap(), ["prefinish", "resume", "end"]);
        pass.pause();
        pass.tick();
        assert!(pass.is_ended() && pass.is_finished() && pass.is_destroyed());
        assert_eq!(
            *log.lock().unwrap(),
            ["prefinish", "resume", "end", "pause", "finish", "close"]
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

    /// A flowing duplex whose flow found nothing needs a `readable`: a
    /// write's output queues `emitReadable_`, which flows it before the
    /// `error` and `close` of a destroy that came after (Node 20: `resume
    /// | data error close`).
    #[test]
    fn output_written_after_a_flow_found_nothing_flows_before_a_destroy() {
        let mut pass = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        let log = logged(&mut pass);
        pass.resume();
        pass.tick();
        log.lock().unwrap().push("|");
        pass.write(1).unwrap();
        pass.destroy(Some(Error::new(ErrorKind::InvalidData, "boom")));
        pass.tick();
        assert_eq!(
            *log.lock().unwrap(),
            ["resume", "|", "data", "error", "close"]
        );
        assert_eq!(pass.readable_length(), 0);
    }

    /// A piped duplex destroyed after its pipe's `resume` was queued:
    /// that `resume_` flows the buffered output to the pipe (its `data`
    /// listener writes it) before the destroy's `error` and `close`
    /// (Node 20: `resume data error close`, the destination writes it),
    /// which come once the pipe took it.
    #[test]
    fn a_piped_duplex_destroyed_after_its_resume_hands_its_output_to_the_pipe() {
        let mut pass = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        let log = logged(&mut pass);
        pass.write(1).unwrap();
        ReadableStream::piping(&mut pass, true);
        ReadableStream::listen_data(&mut pass);
        pass.destroy(Some(Error::new(ErrorKind::InvalidData, "boom")));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(
            ReadableStream::poll_next_chunk(&mut pass, &mut cx),
            Poll::Ready(Some(Ok(1)))
        ));
        assert_eq!(*log.lock().unwrap(), ["resume", "data"]);
        let _ = ReadableStream::poll_next_chunk(&mut pass, &mut cx);
        assert_eq!(*log.lock().unwrap(), ["resume", "data", "error", "close"]);
        assert_eq!(pass.readable_length(), 0);
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
    type Log = Arc<Mutex<Vec<&'static str>>>;

    /// The conformance scenarios' transform: pushes `pushes[i % len]`
    /// copies of the i-th chunk, and logs its hooks beside the events.
    struct Scripted {
        pushes: &'static [usize],
        count: usize,
        fail_at: Option<usize>,
        log: Log,
    }

    impl Transform for Scripted {
        type Input = Bytes;
        type Output = Bytes;

        fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
            self.log.lock().unwrap().push("_transform");
            if self.fail_at == Some(self.count) {
                return Err(Error::new(ErrorKind::InvalidData, "boom"));
            }
            let copies = self.pushes[self.count % self.pushes.len()];
            self.count += 1;
            for _ in 0..copies {
                out.push(chunk.clone());
            }
            Ok(())
        }

        fn flush(&mut self, _: &mut Push<'_, Bytes>) -> Result<()> {
            self.log.lock().unwrap().push("_flush");
            Ok(())
        }
    }

    /// A byte transform of `pushes`, its two highWaterMarks, and its log.
    fn scripted(
        pushes: &'static [usize],
        readable: usize,
        writable: usize,
    ) -> (Duplex<Bytes, Bytes>, Log) {
        let log: Log = Arc::default();
        let transform = Scripted {
            pushes,
            count: 0,
            fail_at: None,
            log: Arc::clone(&log),
        };
        let mut duplex = Duplex::transform(transform)
            .with_readable_high_water_mark(readable)
            .with_writable_high_water_mark(writable);
        let seen = Arc::clone(&log);
        duplex.observe(move |event| seen.lock().unwrap().push(event.name()));
        (duplex, log)
    }

    fn taken(log: &Log) -> Vec<&'static str> {
        std::mem::take(&mut *log.lock().unwrap())
    }

    /// Node's `read()` calls `_read` before it takes when the buffer would
    /// fall below its highWaterMark, and `Transform._read` calls the write
    /// callback it held: the write completes and `drain` comes before the
    /// read's `data`.
    #[test]
    fn read_completes_the_held_write_before_it_takes() {
        let (mut t, log) = scripted(&[1], 1, 0);
        assert!(!t.write(Bytes::from_static(b"a")).unwrap());
        assert_eq!(taken(&log), ["_transform"]);
        assert_eq!(t.writable_length(), 1, "held: the readable side is full");
        assert_eq!(t.read().as_deref(), Some(&b"a"[..]));
        assert_eq!(taken(&log), ["drain", "data"]);
        assert_eq!(t.writable_length(), 0);
        assert!(!WritableStream::needs_drain(&t));
    }

    /// The same through a [`PassThrough`], which moves chunks its own way.
    #[test]
    fn read_of_a_pass_through_completes_the_held_write_before_it_takes() {
        let mut pass = Duplex::<Bytes, Bytes>::pass_through()
            .with_readable_high_water_mark(1)
            .with_writable_high_water_mark(0);
        let log = logged(&mut pass);
        assert!(!pass.write(Bytes::from_static(b"a")).unwrap());
        assert!(!pass.write(Bytes::from_static(b"b")).unwrap());
        assert_eq!(pass.writable_length(), 2);
        // The held chunk completes, the queued one is passed on (and held
        // in its turn), and `read()` takes both.
        assert_eq!(pass.read().as_deref(), Some(&b"ab"[..]));
        assert_eq!(*log.lock().unwrap(), ["data"]);
        assert_eq!((pass.writable_length(), pass.readable_length()), (1, 0));
    }

    /// Node's `clearBuffer` hands every queued chunk to `_transform` once
    /// the held callback came, whatever the readable side holds, until
    /// one's output fills it: `read()` returns everything then buffered.
    #[test]
    fn read_hands_the_queued_chunks_over_whatever_the_readable_side_holds() {
        let (mut t, log) = scripted(&[1, 0, 1], 1, 0);
        t.write(Bytes::from_static(b"a")).unwrap();
        t.write(Bytes::from_static(b"b")).unwrap();
        t.write(Bytes::from_static(b"c")).unwrap();
        assert_eq!(taken(&log), ["_transform"]);
        // b pushes nothing, so c goes through too; its output is held.
        assert_eq!(t.read().as_deref(), Some(&b"ac"[..]));
        assert_eq!(taken(&log), ["_transform", "_transform", "data"]);
        assert_eq!((t.writable_length(), t.readable_length()), (1, 0));
    }

    /// Node's `read(n)`: the highWaterMark rises to the next power of two
    /// above `n`, and the read asks (completing the held write, whose queued
    /// successor then fits below the new mark) before it takes `n` bytes.
    #[test]
    fn read_n_raises_the_mark_and_completes_the_held_write() {
        let (mut t, log) = scripted(&[1, 2], 0, 0);
        t.write(Bytes::from_static(b"a")).unwrap();
        t.write(Bytes::from_static(b"c")).unwrap();
        assert_eq!(taken(&log), ["_transform"]);
        assert_eq!(t.read_bytes(3).as_deref(), Some(&b"acc"[..]));
        assert_eq!(taken(&log), ["_transform", "drain", "data"]);
        assert_eq!(t.readable_high_water_mark(), 4);
        assert_eq!((t.writable_length(), t.readable_length()), (0, 0));
    }

    /// A transform ended while its write was held flushes when the read
    /// completes that write (Node's `finishMaybe` in `afterWrite`):
    /// `_flush` and `prefinish` before the read's `data`, `finish` at the
    /// next tick.
    #[test]
    fn read_of_an_ending_transform_flushes_once_the_held_write_completes() {
        let (mut t, log) = scripted(&[3], 3, 0);
        t.write(Bytes::from_static(b"x")).unwrap();
        t.end().unwrap();
        assert_eq!(taken(&log), ["_transform"]);
        assert_eq!(t.read_bytes(1).as_deref(), Some(&b"x"[..]));
        assert_eq!(taken(&log), ["_flush", "prefinish", "data"]);
        assert_eq!(t.writable_length(), 0);
        assert!(!t.is_finished());
        t.tick();
        assert_eq!(taken(&log), ["finish"]);
    }

    /// A corked transform: the held write completes, the corked one stays
    /// queued (Node's `clearBuffer` does nothing while corked).
    #[test]
    fn read_of_a_corked_transform_completes_only_the_held_write() {
        let (mut t, log) = scripted(&[1], 1, 0);
        t.write(Bytes::from_static(b"a")).unwrap();
        t.cork();
        t.write(Bytes::from_static(b"b")).unwrap();
        assert_eq!(t.writable_length(), 2);
        assert_eq!(t.read().as_deref(), Some(&b"a"[..]));
        assert_eq!(taken(&log), ["_transform", "data"]);
        assert_eq!(t.writable_length(), 1);
    }

    /// A read that leaves the readable side at its highWaterMark does not
    /// ask (Node's `doRead` is false): the write stays held until a read
    /// that would leave less.
    #[test]
    fn read_leaving_the_side_full_keeps_the_write_held() {
        let (mut t, log) = scripted(&[2], 1, 0);
        t.write(Bytes::from_static(b"a")).unwrap();
        assert_eq!(t.read_bytes(1).as_deref(), Some(&b"a"[..]));
        assert_eq!(taken(&log), ["_transform", "data"]);
        assert_eq!(t.writable_length(), 1);
        assert_eq!(t.read_bytes(1).as_deref(), Some(&b"a"[..]));
        assert_eq!(taken(&log), ["drain", "data"]);
        assert_eq!(t.writable_length(), 0);
    }

    /// Node's `read()` on a destroyed stream asks nothing: what was
    /// written keeps counting.
    #[test]
    fn read_of_a_destroyed_transform_keeps_its_writable_length() {
        let (mut t, _log) = scripted(&[1], 0, 0);
        t.write(Bytes::from_static(b"f")).unwrap();
        t.destroy(None);
        assert_eq!(t.read_bytes(0), None);
        assert_eq!(t.writable_length(), 1);
    }

    /// Node's flowing `read()` asks before it takes each chunk: on the
    /// tick after `resume()`, `drain` comes between `resume` and `data`.
    #[test]
    fn a_flowing_read_completes_the_held_write_before_data() {
        let (mut t, log) = scripted(&[1], 1, 0);
        t.write(Bytes::from_static(b"b")).unwrap();
        t.resume();
        taken(&log);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(matches!(
            t.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Ok(_)))
        ));
        assert_eq!(taken(&log), ["resume", "drain", "data"]);
    }
    /// Node's `Transform._write` holds no callback once the writable side
    /// ended: the chunks queued before `end()` all go through when the
    /// read completes the held one, and the transform flushes.
    #[test]
    fn an_ended_transform_holds_no_more_writes() {
        let (mut t, log) = scripted(&[1], 1, 4);
        for chunk in [&b"a"[..], b"b", b"c"] {
            t.write(Bytes::from_static(chunk)).unwrap();
        }
        t.end().unwrap();
        assert_eq!(taken(&log), ["_transform"]);
        assert_eq!(t.read().as_deref(), Some(&b"abc"[..]));
        assert_eq!(
            taken(&log),
            ["_transform", "_transform", "_flush", "prefinish", "data"]
        );
        assert_eq!((t.writable_length(), t.readable_length()), (0, 0));
    }

    /// A flowing read that completes the held write of an ended transform
    /// runs its final hook; Node's `flow()` then reads every buffered chunk
    /// before the next tick's `finish`, and `end` follows.
    #[test]
    fn finish_waits_for_the_flowing_read_to_take_what_is_buffered() {
        let (mut t, log) = scripted(&[1], 1, 0);
        t.write(Bytes::from_static(b"a")).unwrap();
        t.write(Bytes::from_static(b"b")).unwrap();
        t.resume();
        t.end().unwrap();
        taken(&log);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        while let Poll::Ready(Some(Ok(_))) = t.poll_next_chunk(&mut cx) {}
        assert_eq!(
            taken(&log),
            [
                "resume",
                "_transform",
                "_flush",
                "prefinish",
                "data",
                "data",
                "finish",
                "end"
            ]
        );
        t.tick();
        assert_eq!(taken(&log), ["close"]);
    }
    /// At a readable highWaterMark of 0, a read that takes the only chunk
    /// does not ask (Node: `0 - 0 < 0` is false), and nothing releases
    /// the held write before the next read asks: Node's `maybeReadMore`
    /// never reads ahead of a stream at 0 that does not flow.
    #[test]
    fn at_a_mark_of_0_only_a_read_that_asks_completes_the_held_write() {
        let (mut t, log) = scripted(&[1], 0, 0);
        t.write(Bytes::from_static(b"a")).unwrap();
        t.write(Bytes::from_static(b"b")).unwrap();
        assert_eq!(t.read().as_deref(), Some(&b"a"[..]));
        assert_eq!(taken(&log), ["_transform", "data"]);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(WritableStream::poll_finish(&mut t, &mut cx).is_pending());
        t.tick();
        assert_eq!(taken(&log), [] as [&str; 0]);
        assert_eq!(t.writable_length(), 2);
        // The buffer is empty: this read asks.
        assert_eq!(t.read().as_deref(), Some(&b"b"[..]));
        assert_eq!(taken(&log), ["_transform", "data"]);
        assert_eq!(t.writable_length(), 1);
    }

    /// A flowing read that completes the last held write of an ended
    /// transform and then finds the end: `finish` (queued by the final
    /// hook) comes before `end` (queued by the read that found it).
    #[test]
    fn finish_comes_before_the_end_a_flowing_read_finds() {
        let (mut t, log) = scripted(&[1], 0, 0);
        t.write(Bytes::from_static(b"h")).unwrap();
        t.end().unwrap();
        t.resume();
        taken(&log);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        while let Poll::Ready(Some(Ok(_))) = t.poll_next_chunk(&mut cx) {}
        t.tick();
        assert_eq!(
            taken(&log),
            [
                "resume",
                "data",
                "_flush",
                "prefinish",
                "finish",
                "end",
                "close"
            ]
        );
    }
    /// Node's `clearBuffer` goes on after a write failed inside it: the
    /// next queued chunk is transformed too, its output is dropped (the
    /// readable side is errored) so it is not held, and `drain` comes;
    /// the stream is destroyed with the error on the next tick.
    #[test]
    fn the_queued_writes_go_on_after_one_failed() {
        let log: Log = Arc::default();
        let failing = Scripted {
            pushes: &[1],
            count: 0,
            fail_at: Some(1),
            log: Arc::clone(&log),
        };
        let mut t = Duplex::transform(failing)
            .with_readable_high_water_mark(1)
            .with_writable_high_water_mark(0);
        let seen = Arc::clone(&log);
        t.observe(move |event| seen.lock().unwrap().push(event.name()));
        for chunk in [&b"x"[..], b"y", b"z"] {
            t.write(Bytes::from_static(chunk)).unwrap();
        }
        taken(&log);
        assert_eq!(t.read().as_deref(), Some(&b"x"[..]));
        assert_eq!(taken(&log), ["_transform", "_transform", "drain", "data"]);
        assert_eq!((t.writable_length(), t.readable_length()), (0, 0));
        assert!(t.errored().is_some() && !t.is_destroyed());
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(matches!(
            t.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Err(_)))
        ));
        assert!(t.is_destroyed());
    }
    /// Node's `end()` fully uncorks whenever it is called: a `cork()`
    /// between two `end()`s is undone, so the read that completes the held
    /// write hands the queued chunk over and the transform flushes.
    #[test]
    fn a_second_end_uncorks() {
        let (mut t, log) = scripted(&[1], 1, 0);
        t.write(Bytes::from_static(b"a")).unwrap();
        t.write(Bytes::from_static(b"b")).unwrap();
        t.end().unwrap();
        t.cork();
        t.end().unwrap();
        taken(&log);
        assert_eq!(t.read().as_deref(), Some(&b"ab"[..]));
        assert_eq!(taken(&log), ["_transform", "_flush", "prefinish", "data"]);
    }
    /// Node's `read()` asks nothing of a destroyed stream, flowing or not:
    /// the held write never completes and keeps counting.
    #[test]
    fn a_destroyed_flowing_transform_keeps_its_held_write() {
        let (mut t, _log) = scripted(&[1], 0, 0);
        t.write(Bytes::from_static(b"a")).unwrap();
        t.resume();
        t.destroy(None);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        for _ in 0..3 {
            let _ = t.poll_next_chunk(&mut cx);
        }
        assert_eq!(t.writable_length(), 1);
    }

    /// A write the transform completed inside `write()` runs its callback
    /// on a tick queued then, and `drain` comes there, before a `resume`
    /// scheduled after it (writable.js `onwrite` queues `afterWrite`; Node
    /// 20 does so for every such write in object mode, in byte mode only
    /// when `drain` is due). Node 20, object mode, readable hwm 3, writable
    /// hwm 0, `write; cork(); resume(); write; uncork()`, then a tick:
    /// `drain resume data data`.
    #[test]
    fn a_sync_writes_callback_tick_emits_drain_before_a_later_resume() {
        let log: Log = Arc::default();
        let mut objects = Duplex::<u32, u32>::pass_through()
            .with_readable_high_water_mark(3)
            .with_writable_high_water_mark(0);
        let seen = Arc::clone(&log);
        objects.observe(move |event| seen.lock().unwrap().push(event.name()));
        objects.write(1).unwrap();
        objects.cork();
        objects.resume();
        objects.write(2).unwrap();
        objects.uncork();
        taken(&log);
        objects.tick();
        assert_eq!(taken(&log), ["drain", "resume", "data", "data"]);
    }

    /// A transform ended while two pipes write into it: the second pipe's
    /// source queued its `resume_` before the transform's `finish` and
    /// `end`, so it flows first, and its chunk, written after `end()`,
    /// fails the transform: `finish` still comes (Node's `onFinish`
    /// queued it unchecked, writable.js:886-903), `end` does not
    /// (readable.js:1692-1698, `endReadableNT` on an errored stream). Node 20,
    /// `dest.resume(); first.pipe(dest); second.pipe(dest); dest.end()`:
    /// dest `prefinish`, then at the tick `resume finish unpipe unpipe
    /// error(ERR_STREAM_WRITE_AFTER_END) close`.
    #[test]
    fn another_pipes_source_flows_before_the_ends_of_a_transform() {
        use crate::stream::event_log::{Log, entries, observer, poll};
        use crate::{PipeOptions, Readable, Shared, pipe};

        let log = Log::default();
        let mut dest = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        dest.observe(observer(&log, "dest"));
        dest.resume();
        let dest = Shared::new(dest);
        let mut first = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        let mut second = Readable::from_iter([1u32]).with_high_water_mark(0);
        let (mut into_first, mut into_second) = (dest.clone(), dest.clone());
        let mut first_pipe = pipe(&mut first, &mut into_first, PipeOptions::default());
        let mut second_pipe = pipe(&mut second, &mut into_second, PipeOptions::default());
        dest.lock().end().unwrap();
        for _ in 0..5 {
            let _ = poll(&mut first_pipe);
            let _ = poll(&mut second_pipe);
            dest.lock().tick();
        }
        let node = [
            "pipe",
            "pipe",
            "prefinish",
            "resume",
            "finish",
            "unpipe",
            "unpipe",
            "error",
            "close",
        ];
        assert_eq!(entries(&log, "dest"), node);
    }
}
