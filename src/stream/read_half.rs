//! [`ReadHalf`]: the state machine of a readable side, shared by
//! [`Readable`](crate::Readable) and [`Duplex`](crate::Duplex).
//!
//! # States
//!
//! The end, as the producer and the consumer see it:
//!
//! | state | `buffer.is_eof()` | `end_emitted` | left when |
//! |---|---|---|---|
//! | open | no | no | the producer pushes the end (`Push::end`) |
//! | ending | yes | no | the last buffered chunk is consumed: `end` is emitted |
//! | ended | yes | yes | never |
//!
//! The flow (Node's `readableFlowing`), independent of the end:
//!
//! | state | Node | entered by |
//! |---|---|---|
//! | [`Flow::Unset`] | `null` | creation |
//! | [`Flow::Paused`] | `false` | `pause()`, or waiting for `readable` |
//! | [`Flow::Flowing`] | `true` | `resume()`, or a pipe |
//!
//! `readable_after` is Node's `needReadable`: after a read found too
//! little, `readable` waits for more than was there.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use super::chunk::Chunk;
use super::error::{Error, ErrorKind, Result};
use super::event::Event;
use super::events::Events;
use super::read_buffer::ReadBuffer;
use super::ticks::{Tick, Ticks};
use super::write_queue::WriteQueue;

/// Node's `readableFlowing`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Nobody consumed yet (`null`).
    Unset,
    /// Paused, or read through `readable` (`false`).
    Paused,
    /// Flowing (`true`).
    Flowing,
}

/// What a read is about to take, for whether it asks for data first.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Taking {
    /// Nothing: Node's `read(0)`.
    Nothing,
    /// The oldest chunk: a flowing read, or `read()` of objects.
    Front,
    /// Everything buffered: `read()` of bytes or text.
    All,
    /// `n` bytes if that many are buffered (else nothing yet): `read(n)`.
    Bytes(usize),
}

/// The readable half of a stream: buffer, flowing mode, end. Shared by
/// [`Readable`] and [`Duplex`](crate::Duplex).
#[derive(Debug)]
pub(crate) struct ReadHalf<T> {
    pub(crate) buffer: ReadBuffer<T>,
    flow: Flow,
    end_emitted: bool,
    /// A read found too little buffered, this much: `readable` waits for
    /// more than that (Node's `needReadable`).
    readable_after: Option<usize>,
    /// `resume()` was called and its `resume` event waits for the next
    /// tick (Node's `resumeScheduled`).
    resume_scheduled: bool,
    /// A read outside a poll found the end: `end` waits for the next tick
    /// (Node's `endReadable`).
    end_scheduled: bool,
    /// What Node has queued for the stream's next tick, and when a push
    /// queues more: how a stream flowing with nobody reading it moves.
    pub(crate) ticks: Ticks,
    /// How many pipes read this side (Node's `pipes`).
    pipes: usize,
    /// The pipes' destinations were destroyed: see [`ReadHalf::refuse_pipes`].
    pipes_refuse: bool,
    /// Copies of chunks `read()` took while piped, for the pipes' next
    /// read: Node's `read()` hands each to the pipes too, through `data`.
    read_by_hand: VecDeque<T>,
}

impl<T: Chunk> ReadHalf<T> {
    pub(crate) fn new(high_water_mark: usize) -> Self {
        ReadHalf {
            buffer: ReadBuffer::new(high_water_mark),
            flow: Flow::Unset,
            end_emitted: false,
            readable_after: None,
            resume_scheduled: false,
            end_scheduled: false,
            ticks: Ticks::default(),
            pipes: 0,
            pipes_refuse: false,
            read_by_hand: VecDeque::new(),
        }
    }

    /// Node's `doRead`: whether a read taking `taking` asks for data
    /// before it takes (Node's `read()` calling `_read`): not after the
    /// end was pushed, and only if the buffer is empty or what the read
    /// leaves would be below the highWaterMark.
    #[inline]
    pub(crate) fn asks_before_taking(&self, taking: Taking) -> bool {
        let buffer = &self.buffer;
        if buffer.is_eof() {
            return false;
        }
        let taking = match taking {
            Taking::Nothing => 0,
            Taking::Front => buffer.front().map_or(0, Chunk::size),
            Taking::All => buffer.len(),
            Taking::Bytes(n) if n <= buffer.len() => n,
            Taking::Bytes(_) => 0,
        };
        buffer.is_empty() || buffer.len() - taking < buffer.high_water_mark()
    }

    /// True when a pipe reads this side and `pause()` stopped its flow:
    /// Node's `flow()` reads nothing then (`while (state.flowing && ...)`),
    /// until `resume()` or a `drain` restarts it. A buffer a read drained
    /// to its end is not held back, nor one whose end a read found (the
    /// `read(0)` of `resume_`): Node's `endReadable` emits `end` at the
    /// next tick whether the stream flows or not (a pipe that paused for
    /// `drain` still sees its source end).
    #[inline]
    pub(crate) fn paused_while_piped(&self) -> bool {
        self.flow == Flow::Paused
            && self.pipes > 0
            && !self.end_scheduled
            && !self.buffer.drained_by_a_read()
    }

    /// A pipe starts (`true`) or stops reading this side.
    pub(crate) fn piping(&mut self, attached: bool) {
        if attached {
            self.pipes += 1;
        } else {
            self.pipes = self.pipes.saturating_sub(1);
            if self.pipes == 0 {
                self.read_by_hand.clear();
                // Node's pipe removes its `data` listener at `unpipe`: a
                // flow with no other reader emits the chunks and drops them.
                self.ticks.consumed = false;
            }
        }
    }

    /// A chunk `read()` took while piped also goes to the pipes, as Node's
    /// `data` does, where the chunk type has a copy (and, as `data`, not
    /// after `close`).
    fn hand_to_pipes(&mut self, chunk: &T, events: &Events) {
        if self.pipes > 0
            && !events.is_closed()
            && let Some(copy) = chunk.copy_for_pipe()
        {
            self.read_by_hand.push_back(copy);
        }
    }

    /// Node's `flow()` on a stream destroyed before its `error` and
    /// `close` came: every buffered chunk is emitted as `data`, and goes
    /// to the pipes (their `data` listener writes it on), which take it
    /// at their next read.
    pub(crate) fn flow_to_pipes(&mut self, events: &mut Events) {
        while let Some(chunk) = self.take(events) {
            if self.pipes_refuse && self.pipes > 0 {
                // Written into a destroyed destination (lost): its pipe
                // pauses the flow.
                self.pause(events);
                break;
            }
            if self.pipes > 0 {
                self.read_by_hand.push_back(chunk);
            }
        }
    }

    /// The pipes' destinations were destroyed: each write is refused, and
    /// the pipe pauses the side at the first.
    pub(crate) fn refuse_pipes(&mut self) {
        self.pipes_refuse = true;
    }

    /// Node's `flow()` taking what is buffered for the stream's reader (a
    /// pipe or a poll): every chunk is emitted as `data` now, and the
    /// reader takes it at its next read.
    pub(crate) fn flow_to_reader(&mut self, events: &mut Events) {
        while let Some(chunk) = self.take(events) {
            self.read_by_hand.push_back(chunk);
        }
    }

    /// True while chunks `read()` or a flow took wait for the pipe.
    pub(crate) fn has_read_by_hand(&self) -> bool {
        !self.read_by_hand.is_empty()
    }

    /// The oldest chunk `read()` took while piped, for a pipe's read: its
    /// `data` was emitted already.
    #[inline]
    pub(crate) fn take_read_by_hand(&mut self) -> Option<T> {
        if self.read_by_hand.is_empty() {
            return None;
        }
        self.pop_read_by_hand()
    }

    /// Out of line, off the path of every chunk.
    #[cold]
    #[inline(never)]
    fn pop_read_by_hand(&mut self) -> Option<T> {
        self.read_by_hand.pop_front()
    }

    /// Hands the oldest chunk to the consumer; its `data` is emitted now,
    /// unless it was inside its push ([`announce_emitted`](ReadHalf::announce_emitted)).
    #[inline]
    pub(crate) fn take(&mut self, events: &mut Events) -> Option<T> {
        let announced = self.buffer.front_announced();
        let chunk = self.buffer.pop_front()?;
        self.readable_after = None;
        if !announced {
            events.emit(Event::Data { size: chunk.size() });
        }
        Some(chunk)
    }

    /// Node's `addChunk` emitting at once: the `data` of a chunk pushed
    /// into the empty buffer of a stream flowing to its reader (see
    /// `ReadBuffer`'s `emit_now`), inside the call that pushed it; the
    /// reader takes the chunk at its next read.
    #[cold]
    pub(crate) fn announce_emitted(&mut self, events: &mut Events) {
        if let Some(size) = self.buffer.announce_front() {
            events.emit(Event::Data { size });
        }
    }

    /// Whether Node's `read()` takes everything buffered at once: on a
    /// paused stream whose chunk type joins ([`Chunk::concat`]).
    pub(crate) fn reads_joined(&self) -> bool {
        self.flow != Flow::Flowing && T::concat(&[]).is_some()
    }

    /// Node's `read()`: everything buffered, joined, where
    /// [`reads_joined`](ReadHalf::reads_joined), else the oldest chunk.
    pub(crate) fn take_for_read(&mut self, events: &mut Events) -> Option<T> {
        let chunk = if self.reads_joined() {
            let chunk = self.buffer.pop_joined()?;
            self.readable_after = None;
            events.emit(Event::Data { size: chunk.size() });
            chunk
        } else {
            self.take(events)?
        };
        self.hand_to_pipes(&chunk, events);
        Some(chunk)
    }

    /// Hands every buffered chunk to `queue` in one move, when no observer
    /// waits for a `data` event per chunk and every `write` but the last
    /// would return true (they would all be written, as Node's flowing
    /// `data` loop writes them). Returns whether it did.
    #[inline]
    pub(crate) fn take_all_into(
        &mut self,
        queue: &mut WriteQueue<T>,
        limit: usize,
        events: &Events,
    ) -> bool {
        if events.is_observed() {
            return false;
        }
        let Some(last) = self.buffer.back() else {
            return false;
        };
        if queue.size() + self.buffer.len() - last.size() >= limit {
            return false;
        }
        self.buffer.move_into(queue);
        self.readable_after = None;
        true
    }

    /// What a read that takes every chunk does besides taking them, for
    /// chunks that went straight through: a scheduled `resume` comes
    /// first, and `readable` waits for new data as after any take.
    #[inline]
    pub(crate) fn passed_through(&mut self, events: &mut Events) {
        self.emit_scheduled_resume(events);
        self.readable_after = None;
    }

    /// A read wanted more than is buffered: `readable` waits for new data.
    pub(crate) fn need_more(&mut self) {
        self.readable_after = Some(self.buffer.len());
    }

    /// True when a consumer waiting for `readable` can go on: data it has
    /// not seen yet is buffered, or the end was reached.
    pub(crate) fn is_readable(&self) -> bool {
        self.buffer.is_eof()
            || match self.readable_after {
                Some(seen) => self.buffer.len() > seen,
                None => !self.buffer.is_empty(),
            }
    }

    /// `readable` is being emitted: the next one needs new data again only
    /// after another read comes back empty-handed.
    pub(crate) fn readable_emitted(&mut self) {
        self.readable_after = None;
    }

    /// Emits `end` once the producer ended and every chunk was consumed.
    /// Returns true if the readable half is ended (now or before).
    pub(crate) fn end_if_drained(&mut self, events: &mut Events) -> bool {
        if self.end_emitted {
            return true;
        }
        if self.buffer.is_eof() && self.buffer.is_empty() {
            self.end_emitted = true;
            events.emit(Event::End);
            return true;
        }
        false
    }

    /// What a read outside a poll (`read()`, `read(n)`) does where a poll
    /// would emit `end`: once the producer ended and the buffer is empty,
    /// `end` is scheduled for the next tick, as Node's `endReadable` defers
    /// it. Returns true if the readable half is ended or ending.
    pub(crate) fn schedule_end_if_drained(&mut self) -> bool {
        if self.end_emitted || self.end_scheduled {
            return true;
        }
        if self.buffer.is_eof() && self.buffer.is_empty() {
            self.end_scheduled = true;
            self.ticks.schedule(Tick::End);
            return true;
        }
        false
    }

    /// The first `read()` of the `flow()` that a piped stream's `resume_`
    /// starts finds the end: Node queues `end` (readable.js:1255-1264
    /// `resume_` calls `flow`, :473-475 `read` calls `endReadable`,
    /// :1694-1696 `process.nextTick(endReadableNT)`), so the ticks other
    /// streams queued before it (a destination's own `resume_`) come before
    /// the pipe's `unpipe` or `end()`. True if `end` was queued now.
    pub(crate) fn queue_end_found_by_flow(&mut self) -> bool {
        self.pipes > 0
            && self.flow == Flow::Flowing
            && !self.end_emitted
            && !self.end_scheduled
            && self.schedule_end_if_drained()
    }

    /// The next tick of a scheduled end: emits `end` if the buffer is
    /// still empty (an `unshift` in between cancels it, as in Node).
    /// Returns true if `end` was emitted now.
    pub(crate) fn emit_scheduled_end(&mut self, events: &mut Events) -> bool {
        if !std::mem::take(&mut self.end_scheduled) || self.end_emitted {
            return false;
        }
        self.end_if_drained(events)
    }

    /// The stream was destroyed before the tick of a scheduled end.
    pub(crate) fn cancel_scheduled_end(&mut self) {
        self.end_scheduled = false;
    }

    pub(crate) fn is_ended(&self) -> bool {
        self.end_emitted
    }

    /// True when this side emitted `end` while a pipe reads it: the
    /// `close` its auto-destroy queued then is the pipe's to deliver, after
    /// the destinations' ticks its `end` queued first (readable.js
    /// `endReadableNT`: `emit('end')`, whose pipe listener ends the
    /// destinations, then `destroy()`).
    #[inline]
    pub(crate) fn ended_while_piped(&self) -> bool {
        self.end_emitted && self.pipes > 0
    }

    pub(crate) fn flowing(&self) -> Option<bool> {
        match self.flow {
            Flow::Unset => None,
            Flow::Paused => Some(false),
            Flow::Flowing => Some(true),
        }
    }

    /// Node's `addChunk` emits a push into an empty buffer at once as
    /// `data` (readable.js `addChunk`): the stream flows, to a `data`
    /// listener (a pipe or a poll reads it). The caller knows whether the
    /// push comes outside `_read` (Node's `sync` off).
    #[inline]
    pub(crate) fn emits_now(&self) -> bool {
        self.flow == Flow::Flowing && self.ticks.consumed
    }

    pub(crate) fn pause(&mut self, events: &mut Events) {
        if self.flow != Flow::Paused {
            // A `resume` still scheduled comes on the next tick all the
            // same, after this `pause`, as in Node.
            self.flow = Flow::Paused;
            // Node emits `pause` inside the call: before anything the
            // stream deferred to the next tick (the `close` after `end`).
            events.emit(Event::Pause);
        }
    }

    /// A consumer waits for `readable`: the stream does not flow by itself
    /// any more (Node sets `readableFlowing` to `false` when a `'readable'`
    /// listener is added, without a `pause` event).
    pub(crate) fn listen_readable(&mut self) {
        if self.flow == Flow::Unset {
            self.flow = Flow::Paused;
        }
    }

    /// Starts the flow at once; the `resume` event waits for the next
    /// tick, as Node's `resume()` schedules it: it comes from the stream's
    /// next poll, after that poll asked the source for data (Node's
    /// `resume_` calls `read(0)` first) and before any `data`; see
    /// [`emit_scheduled_resume`](ReadHalf::emit_scheduled_resume).
    pub(crate) fn resume(&mut self) {
        if self.flow != Flow::Flowing {
            // One `resume` per tick, however often it is paused and
            // resumed before (Node's `resumeScheduled`).
            self.flow = Flow::Flowing;
            if !self.resume_scheduled {
                self.resume_scheduled = true;
                self.ticks.schedule(Tick::Resume);
            }
        }
    }

    /// True when the `resume` a `resume()` scheduled waits for a flow Node
    /// queued before it (`emitReadable_` after a push a read waited for):
    /// a flowing read takes what there is first.
    pub(crate) fn resume_waits_for_flow(&self) -> bool {
        self.resume_scheduled
            && self.flowing() == Some(true)
            && self.ticks.comes_before(Tick::Readable, Tick::Resume)
    }

    /// What a producer's answer does to Node's ticks (`addChunk` and
    /// `onEofChunk`): `added` chunks queue `emitReadable_` if a read asked
    /// for them, any push queues `maybeReadMore_`, and the end queues
    /// `emitReadable_` when pushed inside a read (`sync`). Returns true when
    /// the end came outside a read: Node then runs `emitReadable_` at once.
    pub(crate) fn pushed(&mut self, added: bool, pushed: bool, ended: bool, sync: bool) -> bool {
        let sync = sync || !self.ticks.asked_once;
        if added && self.ticks.need_readable {
            self.ticks.emit_readable();
        }
        if pushed && (added || !ended) {
            self.ticks.read_more();
        }
        if !ended {
            return false;
        }
        if sync {
            self.ticks.emit_readable();
            return false;
        }
        self.ticks.need_readable = false;
        self.ticks.emitted_readable = true;
        true
    }

    /// What Node's `read()` leaves in its flags: `needReadable` set when it
    /// returned nothing below the mark, or left the buffer empty before the
    /// end. Its `emittedReadable` is cleared before it asks the source
    /// (readable.js:663-664), so a push inside the read keeps the one it queued.
    pub(crate) fn after_read(&mut self, taken: bool) {
        let buffer = &self.buffer;
        if (!taken && buffer.len() <= buffer.high_water_mark())
            || (buffer.is_empty() && !buffer.is_eof())
        {
            self.ticks.need_readable = true;
        }
    }

    /// Node's `emitReadable_` before its `flow()`: the flags it updates.
    pub(crate) fn readable_tick(&mut self, destroyed: bool) {
        if !destroyed && (!self.buffer.is_empty() || self.buffer.is_eof()) {
            self.ticks.emitted_readable = false;
        }
        if self.flow != Flow::Flowing
            && !self.buffer.is_eof()
            && self.buffer.len() <= self.buffer.high_water_mark()
        {
            self.ticks.need_readable = true;
        }
    }

    /// True while an `end` a read scheduled waits for the next tick.
    #[inline]
    pub(crate) fn ends_queued(&self) -> bool {
        self.end_scheduled && self.ticks.contains(Tick::End)
    }

    /// The stamp of the `resume_` a `resume()` scheduled, while it waits
    /// for the next tick.
    pub(crate) fn queued_resume(&self) -> Option<u64> {
        self.resume_scheduled
            .then(|| self.ticks.stamp_of(Tick::Resume))
            .flatten()
    }

    /// The stamp of the oldest flow queued for the next tick: the
    /// `resume_` a `resume()` scheduled, or an `emitReadable_`.
    pub(crate) fn queued_flow(&self) -> Option<u64> {
        let readable = self.ticks.stamp_of(Tick::Readable);
        match (self.queued_resume(), readable) {
            (Some(resume), Some(readable)) => Some(resume.min(readable)),
            (resume, readable) => resume.or(readable),
        }
    }

    /// The stamp of the `end` a read scheduled, while it waits for the
    /// next tick.
    pub(crate) fn queued_end(&self) -> Option<u64> {
        self.end_scheduled
            .then(|| self.ticks.stamp_of(Tick::End))
            .flatten()
    }

    /// True while a `resume` waits for the next tick.
    #[inline]
    pub(crate) fn resume_scheduled(&self) -> bool {
        self.resume_scheduled
    }

    /// True when a `resume` or an `end` waits for the next tick (not in
    /// the common case of every poll of a stream that flows).
    #[inline]
    pub(crate) fn resume_or_end_scheduled(&self) -> bool {
        self.resume_scheduled || self.end_scheduled
    }

    /// Sets a scheduled `resume` aside (`true` if there was one), for a
    /// flow that runs ahead of it in the tick; see
    /// [`keep_resume_scheduled`](ReadHalf::keep_resume_scheduled).
    pub(crate) fn set_resume_aside(&mut self) -> bool {
        std::mem::take(&mut self.resume_scheduled)
    }

    /// Puts back what [`set_resume_aside`](ReadHalf::set_resume_aside) took.
    pub(crate) fn keep_resume_scheduled(&mut self, scheduled: bool) {
        self.resume_scheduled |= scheduled;
    }

    /// The tick after [`resume`](ReadHalf::resume): emits its `resume`.
    #[inline]
    pub(crate) fn emit_scheduled_resume(&mut self, events: &mut Events) {
        if self.resume_scheduled {
            self.resume_scheduled = false;
            events.emit(Event::Resume);
        }
    }

    /// Delivers the events deferred to the next tick. On a destroyed
    /// stream, which no tick reads any more, a scheduled `resume` comes
    /// with them, before or after them as they were queued (Node's
    /// `resume_` still runs).
    #[inline]
    pub(crate) fn flush_events(&mut self, events: &mut Events, destroyed: bool) {
        if !destroyed {
            // Nothing a destroy queued: the common case of every poll.
            events.flush();
            return;
        }
        let resume = self.resume_scheduled;
        if resume && self.ticks.comes_before(Tick::Resume, Tick::Deferred) {
            self.emit_scheduled_resume(events);
        }
        events.flush();
        if events.holds_deferred() {
            // `close` waits for a `finished` future: so does what follows.
            return;
        }
        self.ticks.remove(Tick::Deferred);
        if resume {
            self.emit_scheduled_resume(events);
            if self.flow == Flow::Flowing && events.is_closed() {
                // `resume_`'s `flow()` reads a destroyed stream too: its
                // `read()` takes what is buffered, with no `data` after
                // `close` (readable.js, `Readable.prototype.read`).
                while self.take(events).is_some() {}
            }
        }
    }

    /// The same readable half holding chunks of another type; see
    /// [`ReadBuffer::convert`].
    pub(crate) fn convert<U: Chunk>(
        self,
        convert: impl FnOnce(Vec<T>, bool) -> Vec<U>,
    ) -> ReadHalf<U> {
        ReadHalf {
            buffer: self.buffer.convert(convert),
            flow: self.flow,
            end_emitted: self.end_emitted,
            readable_after: None,
            resume_scheduled: self.resume_scheduled,
            end_scheduled: self.end_scheduled,
            ticks: self.ticks,
            pipes: self.pipes,
            pipes_refuse: self.pipes_refuse,
            read_by_hand: VecDeque::new(),
        }
    }

    pub(crate) fn unshift(&mut self, chunk: T) -> Result<bool> {
        if self.end_emitted {
            return Err(Error::from_kind(ErrorKind::UnshiftAfterEnd));
        }
        // A scheduled `end` stays queued: it finds the buffer not empty
        // unless the chunk is read first, as Node's `endReadableNT`.
        self.buffer.unshift(chunk);
        Ok(self.buffer.has_room())
    }
}

impl<T> ReadHalf<T> {
    /// A stream dropped before the tick of its scheduled `end`: the `end`
    /// comes first, then the drop's `close`. Returns true if it came.
    pub(crate) fn emit_scheduled_end_on_drop(&mut self, events: &mut Events) -> bool {
        if !std::mem::take(&mut self.end_scheduled) || self.end_emitted {
            return false;
        }
        self.end_emitted = true;
        events.emit(Event::End);
        true
    }
}

impl ReadHalf<Bytes> {
    /// Node's `read(n)` on a byte stream: exactly `n` bytes, or what is
    /// left at the end, or nothing yet.
    pub(crate) fn take_bytes(&mut self, n: usize, events: &mut Events) -> Option<Bytes> {
        let buffered = self.buffer.len();
        if n == 0 || buffered == 0 || (buffered < n && !self.buffer.is_eof()) {
            return None;
        }
        let want = n.min(buffered);
        let first = self.buffer.front().expect("buffer holds data");
        let bytes = if first.len() >= want {
            let mut first = self.buffer.pop_front().expect("buffer holds data");
            let bytes = first.split_to(want);
            if !first.is_empty() {
                self.buffer.unshift(first);
            }
            bytes
        } else {
            let mut joined = BytesMut::with_capacity(want);
            while joined.len() < want {
                let mut chunk = self.buffer.pop_front().expect("buffer holds enough");
                let missing = want - joined.len();
                if chunk.len() > missing {
                    joined.extend_from_slice(&chunk.split_to(missing));
                    self.buffer.unshift(chunk);
                } else {
                    joined.extend_from_slice(&chunk);
                }
            }
            joined.freeze()
        };
        self.readable_after = None;
        events.emit(Event::Data { size: bytes.len() });
        self.hand_to_pipes(&bytes, events);
        Some(bytes)
    }
}

impl ReadHalf<String> {
    /// `read(n)` on a text stream: exactly `n` characters, or what is left
    /// at the end, or nothing yet. A character is never split.
    pub(crate) fn take_text(&mut self, n: usize, events: &mut Events) -> Option<String> {
        if n == 0 || self.buffer.is_empty() {
            return None;
        }
        let mut text = String::new();
        let mut missing = n;
        let mut taken = Vec::new();
        while missing > 0 {
            let Some(mut chunk) = self.buffer.pop_front() else {
                break;
            };
            match chunk.char_indices().nth(missing) {
                Some((at, _)) => {
                    let rest = chunk.split_off(at);
                    self.buffer.unshift(rest);
                    missing = 0;
                }
                None => missing -= chunk.chars().count(),
            }
            text.push_str(&chunk);
            taken.push(chunk);
        }
        if missing > 0 && !self.buffer.is_eof() {
            // Not enough yet: everything goes back as it was.
            for chunk in taken.into_iter().rev() {
                self.buffer.unshift(chunk);
            }
            return None;
        }
        self.readable_after = None;
        events.emit(Event::Data { size: text.len() });
        Some(text)
    }
}
