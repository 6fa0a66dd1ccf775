//! [`WriteHalf`]: the state machine of a writable side, shared by
//! [`Writable`](crate::Writable) and [`Duplex`](crate::Duplex).
//!
//! # States
//!
//! | state | Node | `write` | left when |
//! |---|---|---|---|
//! | [`End::Open`] | | queues, returns the verdict | `end()` → ending |
//! | [`End::Ending`] | `ending` | error, destroys (`WriteAfterEnd`) | the queue is empty and the final hook ran: `prefinish`, `finish` → finished |
//! | [`End::Finished`] | `finished` | error | never |
//!
//! Beside the end: `need_drain` (Node's `needDrain`) is set by a `write`
//! that returned `false` and cleared when `drain` is emitted, which happens
//! only while open and not destroyed; `corked` counts `cork()` calls, and
//! `end()` uncorks. Destruction is the [`Lifecycle`]'s.

use super::chunk::Chunk;
use super::error::{Error, ErrorKind, Result};
use super::event::Event;
use super::events::Events;
use super::lifecycle::Lifecycle;
use super::write_queue::WriteQueue;

/// How far a writable side is from its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// Writes are taken.
    Open,
    /// `end()` was called; queued chunks are still written.
    Ending,
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
}

impl<T: Chunk> WriteHalf<T> {
    pub(crate) fn new(high_water_mark: usize) -> Self {
        WriteHalf {
            queue: WriteQueue::new(),
            high_water_mark,
            corked: 0,
            need_drain: false,
            end: End::Open,
        }
    }

    pub(crate) fn high_water_mark(&self) -> usize {
        self.high_water_mark
    }

    pub(crate) fn set_high_water_mark(&mut self, high_water_mark: usize) {
        self.high_water_mark = high_water_mark;
    }

    /// Node's `writeOrBuffer`: the chunk is always queued; the verdict is
    /// whether the queue (this chunk included) is still below the highWaterMark.
    #[inline]
    pub(crate) fn write(&mut self, chunk: T, life: &mut Lifecycle) -> Result<bool> {
        if self.end != End::Open || life.is_destroyed() {
            return Err(self.refuse(life));
        }
        self.queue.push_back(chunk);
        let below = self.queue.size() < self.high_water_mark;
        if !below {
            self.need_drain = true;
        }
        Ok(below)
    }

    /// Why a write is refused: after `end` (which destroys the stream, as
    /// in Node), or after it was destroyed. Out of line, off the path of
    /// every chunk.
    #[cold]
    fn refuse(&mut self, life: &mut Lifecycle) -> Error {
        if self.end != End::Open {
            let error = Error::from_kind(ErrorKind::WriteAfterEnd);
            life.destroy(Some(error.clone()));
            self.queue.clear();
            return error;
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
        if self.queue.size() >= self.high_water_mark {
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

    /// Records that the final hook ran: `prefinish`, then `finish`.
    pub(crate) fn finalized(&mut self, events: &mut Events) {
        self.end = End::Finished;
        events.emit(Event::Prefinish);
        events.emit(Event::Finish);
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

    pub(crate) fn corked(&self) -> u32 {
        self.corked
    }
}
