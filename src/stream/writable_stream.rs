//! [`WritableStream`]: the writable side every stream type offers to
//! [`pipe`](crate::pipe) and [`pipeline`](crate::pipeline).

use std::task::{Context, Poll};

use super::chunk::Chunk;
use super::error::{Error, Result};
use super::sealed;
use super::write_queue::WriteQueue;

/// A stream chunks can be written to: [`Writable`](crate::Writable) and the
/// writable side of a [`Duplex`](crate::Duplex).
///
/// This is what lets one [`pipe`](crate::pipe) write into either. The trait
/// is sealed: smerge's stream types implement it, and a consumer of your
/// own is a [`WriteSink`](crate::WriteSink) behind a
/// [`Writable`](crate::Writable).
pub trait WritableStream: sealed::Stream + Send {
    /// What is written.
    type Input: Chunk;

    /// Queues `chunk`; `Ok(false)` once the queue reached the highWaterMark
    /// (the chunk is queued all the same). See [`Writable::write`](crate::Writable::write).
    fn write(&mut self, chunk: Self::Input) -> Result<bool>;

    /// Writes queued chunks; `Ready(Ok(()))` once the queue is empty,
    /// emitting `drain` if a `write` had returned `false`.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>>;

    /// Ends the writable side: no more writes; it finishes once everything
    /// queued is written.
    fn end(&mut self) -> Result<()>;

    /// Drives the writable side until it finished (after [`end`](WritableStream::end)).
    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>>;

    /// Destroys the stream: queued chunks are dropped, `error` (if any) and
    /// `close` are emitted; a no-op if already destroyed.
    fn destroy(&mut self, error: Option<Error>);

    /// True after a `write` returned `false` and before the queue emptied.
    fn needs_drain(&self) -> bool;

    /// True once the writable side finished.
    fn is_finished(&self) -> bool;

    /// True, once, when a chunk a `write` took with `true` is held after
    /// all, as Node's `write()` had returned `false` (a transform whose
    /// pipe refused its output; see [`Duplex`](crate::Duplex)): a pipe
    /// writing into the stream pauses its source as for a refused write.
    #[doc(hidden)]
    fn take_refused_write(&mut self) -> bool {
        false
    }

    /// True once `end` was called (Node's `writableEnded`): a pipe made
    /// then lets the stream's due work (its `finish`) come first.
    #[doc(hidden)]
    fn is_ending(&self) -> bool {
        false
    }

    /// True when `finish` is due at the stream's next tick, and comes even
    /// if the stream is destroyed first (a final hook ran inside `end()`,
    /// as Node's `onFinish` queues `finish` unchecked); a Writable whose
    /// `finish` a destroy cancels (Node's `needFinish`) says false once
    /// destroyed.
    #[doc(hidden)]
    fn finish_due(&self) -> bool {
        false
    }

    /// True once the stream was destroyed (Node's `destroyed`): a pipe made
    /// then hears its `close`, due on the next tick, before the source's
    /// `resume`.
    #[doc(hidden)]
    fn is_destroyed(&self) -> bool {
        false
    }

    /// True once `close` was delivered, at its tick, whether anyone
    /// observes the stream or not: a pipe made then never hears from it
    /// again (no `unpipe`).
    #[doc(hidden)]
    fn is_closed(&self) -> bool {
        false
    }

    /// The error the stream was destroyed with, if any (Node's `errored`):
    /// a pipeline reports it over a premature close, as Node's keeps the
    /// first real error of any stage.
    #[doc(hidden)]
    fn failure(&self) -> Option<Error> {
        None
    }

    /// Node's `isWritableFinished(stream, false)`, by which `finished` (and
    /// so `pipeline`) judges a stream that closed: not errored, and
    /// finished, or ended with nothing queued (a stream destroyed, then
    /// ended).
    #[doc(hidden)]
    fn finished_loosely(&self) -> bool {
        self.is_finished()
    }

    /// `destroy()` cancelled a write in progress, which keeps counting in
    /// Node's `writableLength` (only the buffered chunks are dropped,
    /// writable.js `errorBuffer`): the stream never has nothing queued, so
    /// an `end()` after its destroy does not make it finished for
    /// `isWritableFinished(stream, false)`.
    #[doc(hidden)]
    fn write_cancelled(&self) -> bool {
        false
    }

    /// Called by pipes: emits `pipe` (`true`) or `unpipe` (`false`).
    fn piped(&mut self, attached: bool);

    /// Called by `Pipe::unpipe`: emits
    /// `unpipe` at once, even ahead of a deferred `error`, as Node's
    /// `src.unpipe(dest)` emits it and removes the pipe's `error` listener.
    #[doc(hidden)]
    fn unpiped_now(&mut self) {
        self.piped(false);
    }

    /// The stream's label, used to say where an error happened.
    fn label(&self) -> Option<&str>;

    /// Its source's end was found by the pipe's read now, before the pipe
    /// acts on it (`unpipe`, `end()`): Node emits that `end` on a tick of
    /// its own (`endReadableNT`), so what this stream queued for the next
    /// tick before (the `resume` its own pipe scheduled) comes first.
    /// Returns true when that `resume_` (or a flow under way) flows output
    /// this stream holds: its reader takes it before the pipe acts on the
    /// end, and the pipe asks again before each read of it, till false.
    #[doc(hidden)]
    fn source_ending(&mut self) -> bool {
        false
    }

    /// Delivers the events deferred to the next tick now (its `error`,
    /// `close`): a pipeline does so for every stage before it resolves, as
    /// Node's callback comes after each stage's last events.
    #[doc(hidden)]
    fn flush_events(&mut self) {}

    /// The place in Node's one `nextTick` queue of the oldest tick the
    /// stream queued (its `finish`, `error`, `close`): a pipe lets its
    /// source's older ticks come before it reacts to them (see
    /// [`ReadableStream::run_ticks_before`](crate::ReadableStream::run_ticks_before)).
    #[doc(hidden)]
    fn oldest_tick(&self) -> Option<u64> {
        None
    }

    /// The stamp of the `error` and `close` a destroy queued, while they
    /// wait for the next tick (see
    /// [`ReadableStream::destroy_tick`](crate::ReadableStream::destroy_tick)).
    #[doc(hidden)]
    fn destroy_tick(&self) -> Option<u64> {
        None
    }

    /// The stamp of the tick that destroys a stream whose sink failed
    /// inside `write()`, while it waits (Node's `onwrite` with a
    /// synchronous error queues `onwriteError`, writable.js:646-647).
    #[doc(hidden)]
    fn failed_write_tick(&self) -> Option<u64> {
        None
    }

    /// The stamp of the after-write tick a write the sink completed
    /// inside `write()` queued, while it waits (writable.js:656-680,
    /// `onwrite` → `nextTick(afterWrite)`): an `end()` before it runs
    /// has its `finish` queued by it (writable.js:717-718).
    #[doc(hidden)]
    fn after_write_tick(&self) -> Option<u64>;

    /// Runs the ticks the stream queued before the tick stamped `stamp`
    /// (see [`ReadableStream::oldest_tick`](crate::ReadableStream::oldest_tick)),
    /// up to a flow, which waits for the stream's reader: a pipe does so
    /// before it writes what its source's ticks give, as Node's one
    /// `nextTick` queue runs them first.
    #[doc(hidden)]
    fn run_ticks_before(&mut self, stamp: u64) {
        let _ = stamp;
    }

    /// A pipe into this stream was made while its source had a tick
    /// queued at `stamp` (the `resume_` `pipe()` schedules): a `finish`
    /// queued after it waits until [`source_tick_ran`](WritableStream::source_tick_ran),
    /// as Node's one `nextTick` queue flows that source first, and what
    /// it writes after `end()` errors the stream, which then does not
    /// finish (writable.js, `writeAfterEnd` and `needFinish`). This
    /// matters where another pipe's source polls the stream first.
    #[doc(hidden)]
    fn source_tick_queued(&mut self, stamp: u64) {
        let _ = stamp;
    }

    /// The source's tick stamped `stamp` (see
    /// [`source_tick_queued`](WritableStream::source_tick_queued)) ran,
    /// or its pipe is undone: the `finish` no longer waits for it.
    #[doc(hidden)]
    fn source_tick_ran(&mut self, stamp: u64) {
        let _ = stamp;
    }

    /// A pipeline failed at the tick stamped `stamp`, destroying this
    /// stage and every stage after it: a `resume_` the stage queued after
    /// that tick flows its first chunk into a refused write (writable.js:
    /// 487-498, `write()` on a destroyed stream returns false), and the
    /// pipe pauses the stage there, before the stage's own `error` and
    /// `close` (readable.js:1007-1013, `ondata`).
    #[doc(hidden)]
    fn refuse_pipes_after(&mut self, stamp: u64) {
        let _ = stamp;
    }

    /// The engine's hand-over of many chunks at once: the queue to move
    /// chunks into and the highWaterMark, while writes are taken; `None`
    /// when a `write` would fail (after `end`, or destroyed).
    #[doc(hidden)]
    fn batch_target(&mut self) -> Option<(&mut WriteQueue<Self::Input>, usize)> {
        None
    }

    /// After chunks were moved into [`batch_target`](WritableStream::batch_target)'s
    /// queue: records the `false` the last write would have returned.
    #[doc(hidden)]
    fn after_batch(&mut self) {}

    /// The engine's hand-over straight through: `Some(highWaterMark)` when
    /// chunks written now would come out of the readable side unchanged
    /// and unseen (a pass-through holding nothing, with no observer), so a
    /// batch for it may be read straight into the queue of its reader.
    #[doc(hidden)]
    fn hand_over_mark(&mut self) -> Option<usize> {
        None
    }

    /// After [`hand_over_mark`](WritableStream::hand_over_mark): whether
    /// `batch`, written to this stream and then read into an empty queue up
    /// to `limit`, would go through whole and leave the stream as it was;
    /// if so, the stream records that read.
    #[doc(hidden)]
    fn pass_batch(&mut self, batch: &WriteQueue<Self::Input>, limit: usize) -> bool {
        let _ = (batch, limit);
        false
    }
}
