//! [`Ticks`]: what a readable side has left for its next tick, in the order
//! Node queued it, and the two flags of Node's readable state that decide
//! when a push queues a tick (`needReadable`, `emittedReadable`).
//!
//! Node runs one `process.nextTick` queue: after a push, `emitReadable_`
//! (which calls `flow()`) and `maybeReadMore_`; after `resume()`,
//! `resume_`; after a read that found the end, `endReadableNT`; after a
//! destroy, its `error` and `close`; after a duplex's `end()`, its
//! `finish`. A stream that flows with nobody
//! reading it is moved only by these, so which comes first decides when its
//! `data` comes: a chunk pushed before `resume()` flows before `resume`.
//!
//! Each queued tick carries its place in that one queue, a stamp from a
//! process-wide counter ([`next_stamp`]; [`Ticks::oldest`] reads it back): a pipe that makes one stream
//! act for another runs the receiving stream's ticks queued before the
//! one that caused it first, as Node's one queue would.

use std::sync::atomic::{AtomicU64, Ordering};

/// The next tick's place in Node's one `nextTick` queue.
static NEXT_STAMP: AtomicU64 = AtomicU64::new(0);

/// A stamp for a tick queued now: later than every stamp handed out
/// before, on any thread.
#[inline]
pub(crate) fn next_stamp() -> u64 {
    NEXT_STAMP.fetch_add(1, Ordering::Relaxed)
}

/// The stamp the next tick queued will get: every tick queued so far
/// comes before it.
#[inline]
pub(crate) fn stamp_now() -> u64 {
    NEXT_STAMP.load(Ordering::Relaxed)
}

/// One thing Node does on a stream's next tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tick {
    /// `emitReadable_`: `readable`, then `flow()`.
    Readable,
    /// `maybeReadMore_`: read ahead to the highWaterMark.
    ReadMore,
    /// `resume_`: `read(0)`, `resume`, `flow()`.
    Resume,
    /// `endReadableNT`: `end`, then the auto-destroy.
    End,
    /// The events a destroy deferred: `error`, `close`.
    Deferred,
    /// A duplex's `finish`, after a final hook that ran inside `end()`.
    Finish,
}

/// The stamps of the `resume_`s that pipes into a stream queued on their
/// sources when they were made, not yet run: the stream's ticks queued
/// after the oldest wait for it (see
/// [`WritableStream::source_tick_queued`](super::writable_stream::WritableStream::source_tick_queued)).
#[derive(Debug, Default)]
pub(crate) struct SourceTicks(Vec<u64>);

impl SourceTicks {
    /// A pipe's source queued its `resume_` at `stamp`.
    pub(crate) fn queued(&mut self, stamp: u64) {
        self.0.push(stamp);
    }

    /// The source's `resume_` queued at `stamp` ran (or its pipe is gone).
    pub(crate) fn ran(&mut self, stamp: u64) {
        self.0.retain(|&queued| queued != stamp);
    }

    /// True while no pipe's source tick waits.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The stamp of the oldest source tick not yet run; `u64::MAX` when
    /// none waits, so that every tick comes before it.
    pub(crate) fn oldest(&self) -> u64 {
        self.0.iter().copied().min().unwrap_or(u64::MAX)
    }
}

/// The ticks a readable side has queued, oldest first (each kind once, as
/// Node's flags keep each from being queued twice, but `emitReadable_`,
/// which a read between two pushes lets queue again), and Node's
/// `needReadable` and `emittedReadable`.
#[derive(Debug, Default)]
pub(crate) struct Ticks {
    queue: [Option<Tick>; 12],
    /// Each queued tick's stamp ([`next_stamp`]), beside it in `queue`.
    stamps: [u64; 12],
    len: usize,
    /// Node's `needReadable`: the next push queues `emitReadable_`.
    pub(crate) need_readable: bool,
    /// Node's `emittedReadable`: an `emitReadable_` is queued, or ran
    /// without finding data; no other is queued until a read.
    pub(crate) emitted_readable: bool,
    /// Node's `readingMore`: a `maybeReadMore_` is queued or running.
    pub(crate) reading_more: bool,
    /// A pipe (until it is undone) or a poll reads the stream (Node's
    /// `data` listener): its chunks are theirs, never dropped by a flow
    /// nobody reads.
    pub(crate) consumed: bool,
    /// A read has asked the source and returned: Node's `sync` is off
    /// outside a `_read` from then on (it starts on, so that a push before
    /// any read defers what it triggers to the next tick).
    pub(crate) asked_once: bool,
}

impl Ticks {
    /// Queues `tick` last, dropping an earlier one of its kind.
    pub(crate) fn schedule(&mut self, tick: Tick) {
        self.remove(tick);
        self.push(tick);
    }

    /// Queues `tick` last, stamped now.
    #[inline]
    fn push(&mut self, tick: Tick) {
        self.queue[self.len] = Some(tick);
        self.stamps[self.len] = next_stamp();
        self.len += 1;
    }

    /// The stamp of the oldest queued tick: its place in Node's one queue.
    #[inline]
    pub(crate) fn oldest(&self) -> Option<u64> {
        (self.len > 0).then_some(self.stamps[0])
    }

    /// True if a tick was queued before the one stamped `stamp`.
    #[inline]
    pub(crate) fn queued_before(&self, stamp: u64) -> bool {
        self.oldest().is_some_and(|oldest| oldest < stamp)
    }

    /// True if `tick` is queued, before the tick stamped `stamp`.
    pub(crate) fn queued_before_stamp(&self, tick: Tick, stamp: u64) -> bool {
        let queued = self.queue[..self.len].iter().zip(&self.stamps);
        queued
            .take_while(|(_, queued)| **queued < stamp)
            .any(|(queued, _)| *queued == Some(tick))
    }

    /// The stamp of the oldest queued tick that gives a reader something
    /// (a flow, `resume_`, `end`, a destroy's events), past the
    /// `maybeReadMore_`s, whose `read(0)` hands out nothing, and a
    /// duplex's `finish`, its writable side's.
    pub(crate) fn oldest_for_reader(&self) -> Option<u64> {
        self.oldest_where(|tick| !matches!(tick, Tick::ReadMore | Tick::Finish))
    }

    /// The stamp of the oldest queued tick that a writer hears of (a
    /// duplex's `finish`, a destroy's `error` and `close`): what a pipe
    /// into the stream reacts to.
    pub(crate) fn oldest_for_writer(&self) -> Option<u64> {
        self.oldest_where(|tick| matches!(tick, Tick::Finish | Tick::Deferred))
    }

    /// The stamp of the oldest queued tick a writer hears of on a stream
    /// that flows with nobody reading it: besides
    /// [`oldest_for_writer`](Ticks::oldest_for_writer)'s, the flows
    /// (`resume_`, `emitReadable_`), whose reads call a transform's held
    /// write back, emitting `drain`.
    pub(crate) fn oldest_with_flows(&self) -> Option<u64> {
        self.oldest_where(|tick| !matches!(tick, Tick::ReadMore | Tick::End))
    }

    /// The stamp of the oldest queued tick other than a read
    /// (`maybeReadMore_`, `resume_`): one that hands the reader something.
    pub(crate) fn oldest_besides_reads(&self) -> Option<u64> {
        self.oldest_where(|tick| !matches!(tick, Tick::ReadMore | Tick::Resume))
    }

    fn oldest_where(&self, kind: impl Fn(Tick) -> bool) -> Option<u64> {
        let queued = self.queue[..self.len].iter().zip(&self.stamps);
        queued
            .filter(|(tick, _)| tick.is_some_and(&kind))
            .map(|(_, stamp)| *stamp)
            .next()
    }

    /// Node's `maybeReadMore`: queues `maybeReadMore_` unless one is
    /// queued or running.
    pub(crate) fn read_more(&mut self) {
        if !self.reading_more {
            self.reading_more = true;
            self.schedule(Tick::ReadMore);
        }
    }

    /// Queues `tick` last unless one of its kind is queued (one deferred
    /// delivery per destroy).
    pub(crate) fn schedule_once(&mut self, tick: Tick) {
        if !self.contains(tick) {
            self.schedule(tick);
        }
    }

    /// The stamp of a queued `tick`, if any.
    #[inline]
    pub(crate) fn stamp_of(&self, tick: Tick) -> Option<u64> {
        if self.len == 0 {
            return None;
        }
        let at = self.queue[..self.len]
            .iter()
            .position(|queued| *queued == Some(tick))?;
        Some(self.stamps[at])
    }

    /// True while `tick` is queued.
    #[inline]
    pub(crate) fn contains(&self, tick: Tick) -> bool {
        self.queue[..self.len].contains(&Some(tick))
    }

    /// True if `first` is queued ahead of `then` (or `then` is not queued).
    pub(crate) fn comes_before(&self, first: Tick, then: Tick) -> bool {
        let at = |tick| self.queue[..self.len].iter().position(|t| *t == Some(tick));
        match (at(first), at(then)) {
            (Some(first), Some(then)) => first < then,
            (Some(_), None) => true,
            _ => false,
        }
    }

    /// Takes the oldest tick if it was queued before the tick stamped
    /// `before`, unless it is a flow (`emitReadable_`, which comes when the
    /// stream is read); a `maybeReadMore_` on the way, which reads nothing
    /// a duplex's reader would not, is dropped.
    pub(crate) fn pop_unless_flow(&mut self, before: u64) -> Option<Tick> {
        loop {
            if !self.queued_before(before) {
                return None;
            }
            match self.queue[0] {
                Some(Tick::Readable) | None => return None,
                Some(Tick::ReadMore) => {
                    self.pop();
                    self.reading_more = false;
                }
                Some(_) => return self.pop(),
            }
        }
    }

    /// Takes the oldest tick.
    pub(crate) fn pop(&mut self) -> Option<Tick> {
        if self.len == 0 {
            return None;
        }
        let tick = self.queue[0];
        self.queue.copy_within(1..self.len, 0);
        self.stamps.copy_within(1..self.len, 0);
        self.len -= 1;
        self.queue[self.len] = None;
        tick
    }

    /// Takes the oldest tick if it was queued before the tick stamped
    /// `before`.
    #[inline]
    pub(crate) fn pop_before(&mut self, before: u64) -> Option<Tick> {
        if self.queued_before(before) {
            self.pop()
        } else {
            None
        }
    }

    /// Drops a queued `tick`, if any.
    pub(crate) fn remove(&mut self, tick: Tick) {
        if let Some(at) = self.queue[..self.len].iter().position(|t| *t == Some(tick)) {
            self.queue.copy_within(at + 1..self.len, at);
            self.stamps.copy_within(at + 1..self.len, at);
            self.len -= 1;
            self.queue[self.len] = None;
        }
    }

    /// Node's `emitReadable`: queues `emitReadable_` unless one is queued
    /// and no read came since.
    pub(crate) fn emit_readable(&mut self) {
        self.need_readable = false;
        // Room for one of each other kind is kept.
        if !self.emitted_readable && self.len < self.queue.len() - 5 {
            self.emitted_readable = true;
            self.push(Tick::Readable);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_come_in_the_order_queued_each_kind_once() {
        let mut ticks = Ticks::default();
        ticks.schedule(Tick::Readable);
        ticks.read_more();
        ticks.schedule(Tick::Resume);
        ticks.read_more();
        assert!(ticks.comes_before(Tick::ReadMore, Tick::Resume));
        assert!(ticks.comes_before(Tick::Resume, Tick::Deferred));
        // Queued again: now last.
        ticks.schedule(Tick::Readable);
        assert_eq!(ticks.pop(), Some(Tick::ReadMore));
        assert_eq!(ticks.pop(), Some(Tick::Resume));
        assert_eq!(ticks.pop(), Some(Tick::Readable));
        assert_eq!(ticks.pop(), None);
    }

    #[test]
    fn emit_readable_queues_one_tick_until_a_read_clears_the_flag() {
        let mut ticks = Ticks {
            need_readable: true,
            ..Ticks::default()
        };
        ticks.emit_readable();
        ticks.emit_readable();
        assert!(!ticks.need_readable);
        ticks.read_more();
        // A read in between: queued again, after the first.
        ticks.emitted_readable = false;
        ticks.emit_readable();
        assert_eq!(ticks.pop(), Some(Tick::Readable));
        assert_eq!(ticks.pop(), Some(Tick::ReadMore));
        assert_eq!(ticks.pop(), Some(Tick::Readable));
        assert_eq!(ticks.pop(), None);
    }
}
