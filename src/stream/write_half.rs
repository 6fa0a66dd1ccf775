//! [`WriteHalf`]: the state machine of a writable side, shared by
//! [`Writable`](crate::Writable) and [`Duplex`](crate::Duplex).
//!
//! # States
//!
//! | state | Node | `write` | left when |
//! |---|---|---|---|
//! | [`End::Open`] | | queues, starts the sink if idle, returns the verdict | `end()` → ending |
//! | [`End::Ending`] | `ending` | error, destroys (`WriteAfterEnd`) | the queue is empty and the final hook ran: inside `end()`, `prefinish` → prefinished (or → flushed, see below); at a poll, `prefinish`, `finish` → finished |
//! | [`End::Flushed`] | `ending` | error, destroys (`WriteAfterEnd`) | a transform's flush ran inside `end()` and Node emitted its output at once: the reader took it (or paused), `prefinish` → prefinished |
//! | [`End::Prefinished`] | `prefinished` | error, destroys (`WriteAfterEnd`) | the stream's next poll (Node's next tick): `finish` → finished |
//! | [`End::Finished`] | `finished` | error | never |
//!
//! Beside the end: `need_drain` (Node's `needDrain`) is set by a `write`
//! that returned `false` and cleared when `drain` is emitted, which happens
//! only while open and not destroyed; `corked` counts `cork()` calls, and
//! `end()` uncorks; `writing` (Node's `writing`) is set while the sink
//! answered `Pending` to its last write, and keeps `write`, `uncork` and
//! `end` from asking it again. Destruction is the [`Lifecycle`]'s.

use super::chunk::Chunk;
use super::error::{Error, ErrorKind, Result};
use super::event::Event;
use super::events::Events;
use super::lifecycle::Lifecycle;
use super::ticks::next_stamp;
use super::write_queue::WriteQueue;

/// How far a writable side is from its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// Writes are taken.
    Open,
    /// `end()` was called; queued chunks are still written.
    Ending,
    /// The final hook ran inside `end()` and `prefinish` was emitted;
    /// `finish` comes at the stream's next poll.
    Prefinished,
    /// A transform's final hook ran inside `end()` and pushed output Node
    /// emits at once as `data`, before its `prefinish`: `prefinish` waits
    /// for the reader to take that output.
    Flushed,
    /// Everything was written and the final hook ran.
    Finished,
}

/// The writable half of a stream: queue, highWaterMark, drain, end. Shared
/// by [`Writable`] and [`Duplex`](crate::Duplex).
#[derive(Debug)]
pub(crate) struct WriteHalf<T> {
    pub(crate) queue: WriteQueue<T>,
    high_water_mark: usize,
    corked: u32,
    need_drain: bool,
    end: End,
    /// The sink answered `Pending` to its last write (Node's `writing`).
    pub(crate) writing: bool,
    /// The place of Node's `afterWriteTick` (writable.js `onwrite`): a
    /// write the sink completed inside `write()` runs its callback on a
    /// tick queued then, which later sync writes join (see
    /// [`wrote_at_once`](WriteHalf::wrote_at_once)); the stream runs it at
    /// its tick (a Writable's `finish`, a Duplex's `drain`, wait for it).
    after_write_tick: Option<u64>,
}

impl<T: Chunk> WriteHalf<T> {
    pub(crate) fn new(high_water_mark: usize) -> Self {
        WriteHalf {
            queue: WriteQueue::new(),
            high_water_mark,
            corked: 0,
            need_drain: false,
            end: End::Open,
            writing: false,
            after_write_tick: None,
        }
    }

    pub(crate) fn high_water_mark(&self) -> usize {
        self.high_water_mark
    }

    pub(crate) fn set_high_water_mark(&mut self, high_water_mark: usize) {
        self.high_water_mark = high_water_mark;
    }

    /// The first half of Node's `writeOrBuffer`: queues the chunk. The
    /// stream then starts its sink if [`may_start`](WriteHalf::may_start),
    /// and returns the [`verdict`](WriteHalf::verdict).
    ///
    /// A refused write returns the error; after `end` the stream must then
    /// be destroyed with it (Node's `errorOrDestroy`), by the stream, whose
    /// `destroy` also runs its hooks.
    #[inline]
    pub(crate) fn write(&mut self, chunk: T, life: &Lifecycle) -> Result<()> {
        if self.end != End::Open || life.is_destroyed() {
            return Err(self.refuse());
        }
        self.queue.push_back(chunk);
        Ok(())
    }

    /// True when `write`, `uncork` or `end` should hand queued chunks to
    /// the sink at once: there are some, it is not busy with one, and the
    /// stream is neither corked nor destroyed, nor failed (Node's
    /// `writeOrBuffer` and `clearBuffer`).
    #[inline]
    pub(crate) fn may_start(&self, life: &Lifecycle) -> bool {
        !self.writing && self.has_work() && life.errored().is_none() && !life.is_destroyed()
    }

    /// The end of Node's `writeOrBuffer`, after the sink had its chance:
    /// `true` while what is still queued is below the highWaterMark (or
    /// nothing is), and the stream has not failed.
    #[inline]
    pub(crate) fn verdict(&mut self, life: &Lifecycle) -> bool {
        if self.is_full() {
            self.need_drain = true;
            return false;
        }
        life.errored().is_none() && !life.is_destroyed()
    }

    /// Node's test for `write()`'s `false`: something is queued and it
    /// reached the highWaterMark.
    #[inline]
    fn is_full(&self) -> bool {
        let size = self.queue.size();
        size != 0 && size >= self.high_water_mark
    }

    /// Node's `Transform._write` holding the callback of the chunk of
    /// `size` that smerge had finished (see [`Duplex`](crate::Duplex)'s
    /// `hold_after_pause`): it counts again and the side is busy with it,
    /// and the `write()` that handed it over had returned false if the
    /// side is full with it: returns whether it had.
    pub(crate) fn hold_again(&mut self, size: usize) -> bool {
        self.queue.hold_again(size);
        self.writing = true;
        let refused = self.is_full() && !self.need_drain;
        self.need_drain |= refused;
        refused
    }

    /// Why a write is refused: after `end` (the stream is then destroyed
    /// with the error, as in Node), or after it was destroyed. Out of
    /// line, off the path of every chunk.
    #[cold]
    fn refuse(&self) -> Error {
        if self.end != End::Open {
            return Error::from_kind(ErrorKind::WriteAfterEnd);
        }
        Error::from_kind(ErrorKind::Destroyed)
    }

    /// The queue and highWaterMark for a hand-over of many chunks, while a
    /// `write` would be taken.
    #[inline]
    pub(crate) fn batch_target(&mut self, life: &Lifecycle) -> Option<(&mut WriteQueue<T>, usize)> {
        if self.end != End::Open || life.is_destroyed() {
            return None;
        }
        Some((&mut self.queue, self.high_water_mark))
    }

    /// After a hand-over: the last chunk's `write` returned `false` if the
    /// queue reached the highWaterMark.
    #[inline]
    pub(crate) fn after_batch(&mut self) {
        if self.is_full() {
            self.need_drain = true;
        }
    }

    /// Node's `end()`: taken while the stream is open and has not failed,
    /// even after a plain `destroy()` (then nothing more happens: a
    /// destroyed stream never finishes); refused after `finish`, and with
    /// [`ErrorKind::Destroyed`] on a destroyed stream that failed or was
    /// already ending. Ending twice before `finish` does nothing.
    pub(crate) fn end(&mut self, life: &Lifecycle) -> Result<()> {
        if self.end == End::Open && life.errored().is_none() {
            self.end = End::Ending;
            self.corked = 0;
            return Ok(());
        }
        if self.end == End::Finished {
            return Err(Error::from_kind(ErrorKind::AlreadyFinished));
        }
        if life.is_destroyed() {
            return Err(match life.errored() {
                Some(cause) => Error::destroyed_by(cause.clone()),
                None => Error::from_kind(ErrorKind::Destroyed),
            });
        }
        Ok(())
    }

    /// True while the sink should be asked to take chunks.
    #[inline]
    pub(crate) fn has_work(&self) -> bool {
        self.corked == 0 && !self.queue.is_settled()
    }

    /// True when the stream was corked while the sink was busy with a
    /// chunk: the sink is still asked to finish that one (Node's `_write`
    /// calls back whether corked or not).
    #[inline]
    pub(crate) fn finishes_corked_write(&self) -> bool {
        self.writing && self.corked > 0 && !self.queue.is_empty()
    }

    /// Emits `drain` if the stream waits for it and the queue is now empty
    /// (Node's `afterWrite`).
    #[inline]
    pub(crate) fn drain_if_empty(&mut self, life: &mut Lifecycle) {
        if self.waits_for_drain(life) && self.queue.is_settled() {
            self.need_drain = false;
            life.events.emit(Event::Drain);
        }
    }

    /// True when everything was written after `end()` and the final hook
    /// has yet to run.
    #[inline]
    pub(crate) fn ready_to_finalize(&self) -> bool {
        self.end == End::Ending && self.queue.is_settled()
    }

    /// Records that the final hook ran when the stream was polled:
    /// `prefinish`, then `finish`.
    pub(crate) fn finalized(&mut self, events: &mut Events) {
        self.end = End::Finished;
        events.emit(Event::Prefinish);
        events.emit(Event::Finish);
    }

    /// Records that the final hook ran inside `end()`: `prefinish` now,
    /// ahead of anything deferred (Node's `prefinish()` inside `end()`);
    /// `finish` waits for the stream's next poll.
    pub(crate) fn prefinished(&mut self, events: &mut Events) {
        self.end = End::Prefinished;
        events.emit(Event::Prefinish);
    }

    /// Records that the final hook ran inside `end()`, and its output
    /// goes to the reader before `prefinish` (see [`End::Flushed`]).
    pub(crate) fn flushed(&mut self) {
        self.end = End::Flushed;
    }

    /// True while `prefinish` waits for the reader (see [`End::Flushed`]).
    #[inline]
    pub(crate) fn prefinish_waits(&self) -> bool {
        self.end == End::Flushed
    }

    /// True when `finish` is due: the final hook ran inside `end()`.
    #[inline]
    pub(crate) fn finish_due(&self) -> bool {
        self.end == End::Prefinished
    }

    /// Records that `finish` was emitted (by the caller) after `prefinished`.
    pub(crate) fn finished(&mut self) {
        self.end = End::Finished;
    }

    /// A write the sink completed inside `write()`: its callback runs on a
    /// tick of its own (writable.js `onwrite`, for a write without a
    /// callback) when `drain` is due, and, in object mode, always (Node
    /// 20's `state[kState] & kDestroyed !== 0` reads the object-mode bit);
    /// a tick already queued takes it too. Byte mode is
    /// [`Bytes`](bytes::Bytes)'s, the chunk type whose empty chunk is
    /// nothing.
    #[inline]
    pub(crate) fn wrote_at_once(&mut self) {
        if !T::EMPTY_IS_NOTHING || (self.need_drain && self.queue.is_settled()) {
            self.after_write_tick.get_or_insert_with(next_stamp);
        }
    }

    /// The place of the queued after-write tick, if one is queued.
    #[inline]
    pub(crate) fn after_write_tick(&self) -> Option<u64> {
        self.after_write_tick
    }

    /// Runs the queued after-write tick: its place, if one was queued.
    #[inline]
    pub(crate) fn take_after_write_tick(&mut self) -> Option<u64> {
        self.after_write_tick.take()
    }

    /// Node's `writableNeedDrain`: a write returned false and `drain` has
    /// not followed, and the stream is neither ending nor destroyed (then
    /// no `drain` comes).
    #[inline]
    pub(crate) fn waits_for_drain(&self, life: &Lifecycle) -> bool {
        self.need_drain && self.end == End::Open && !life.is_destroyed()
    }

    /// True once `end()` was called (Node's `writableEnded`).
    pub(crate) fn is_ending(&self) -> bool {
        self.end != End::Open
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.end == End::Finished
    }

    pub(crate) fn cork(&mut self) {
        self.corked += 1;
    }

    pub(crate) fn uncork(&mut self) {
        self.corked = self.corked.saturating_sub(1);
    }

    /// Undoes every `cork()` (Node's `end()` does, before it ends).
    pub(crate) fn uncork_all(&mut self) {
        self.corked = 0;
    }

    pub(crate) fn corked(&self) -> u32 {
        self.corked
    }
}
