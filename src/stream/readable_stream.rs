//! [`ReadableStream`]: the readable side every stream type offers to
//! [`pipe`](crate::pipe) and [`pipeline`](crate::pipeline).

use std::path::Path;
use std::task::{Context, Poll};

use super::chunk::Chunk;
use super::error::{Error, Result};
use super::sealed;
use super::write_queue::WriteQueue;

/// A stream whose chunks can be read: [`Readable`](crate::Readable), the
/// readable side of a [`Duplex`](crate::Duplex), and a
/// [`Pipeline`](crate::Pipeline).
///
/// This is what lets one [`pipe`](crate::pipe) accept any of them; the
/// shared consuming methods (`collect_vec`, `to_bytes`, `pipe`) are in
/// [`ReadableExt`](crate::ReadableExt). The trait is sealed: smerge's
/// stream types implement it, and a producer of your own is a
/// [`ReadSource`](crate::ReadSource) behind a [`Readable`](crate::Readable).
pub trait ReadableStream: sealed::Stream + Send {
    /// What is read.
    type Output: Chunk;

    /// The next chunk; `Ready(None)` after the end (and `end` was emitted);
    /// an error is returned once, then `Ready(None)`.
    fn poll_next_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Self::Output>>>;

    /// Stops the flow (Node's `pause()`): emits `pause` if it was flowing.
    fn pause(&mut self);

    /// Starts the flow (Node's `resume()`): if it was not flowing, `resume`
    /// is emitted on the next tick.
    fn resume(&mut self);

    /// Delivers what was queued for the next tick before the `end` just
    /// emitted, and nothing else (a scheduled `resume`, a duplex's due
    /// `finish`): a pipe ending its destinations at the source's `end`
    /// lets it come before their `finish`, queued after it.
    #[doc(hidden)]
    fn ticks_before_end_first(&mut self) {}

    /// The place in Node's one `nextTick` queue of the oldest tick the
    /// stream (or a stream it reads from) has queued that gives its
    /// reader something (a flow, `resume_`, `end`, `error`, `close`; not a
    /// `maybeReadMore_`): a pipe runs its
    /// destinations' older ticks before it reads (see
    /// [`WritableStream::run_ticks_before`](crate::WritableStream::run_ticks_before)).
    #[doc(hidden)]
    fn oldest_tick(&self) -> Option<u64> {
        None
    }

    /// The stamp of the `error` and `close` a destroy queued, while they
    /// wait for the next tick: where a failure's consequences (the
    /// pipeline destroying the other stages) take their place.
    #[doc(hidden)]
    fn destroy_tick(&self) -> Option<u64> {
        None
    }

    /// True while a failure inside a call (a duplex's sink or transform
    /// failing inside `write()`) waits to destroy the stream: Node's
    /// `onwriteError` runs on the next tick and queues the `error` and
    /// `close` behind everything queued before it (writable.js:646-647).
    #[doc(hidden)]
    fn fails_later(&self) -> bool {
        false
    }

    /// The stamp of the stream's own tick that ends or fails it for a
    /// pipe: the `end` a read queued ([`queued_end`](Self::queued_end)),
    /// else a destroy's `error` and `close`
    /// ([`destroy_tick`](Self::destroy_tick)), else a failure inside a
    /// call, queued after everything queued now
    /// ([`fails_later`](Self::fails_later)). A pipe asks before a
    /// chunk while a destination has a tick queued: one call (one lock for
    /// a [`Shared`](crate::Shared) source).
    #[doc(hidden)]
    fn ending_tick(&self) -> Option<u64> {
        self.queued_end()
            .or_else(|| self.destroy_tick())
            .or_else(|| self.fails_later().then(super::ticks::stamp_now))
    }

    /// Runs what the stream queued before the tick stamped `stamp`, up to
    /// a flow, which waits for the stream's reader: a Readable's destroy
    /// (`error`, `close`, a `resume` with them), a Duplex's ticks as its
    /// [`WritableStream::run_ticks_before`](crate::WritableStream::run_ticks_before)
    /// runs them. A pipe does so before it reacts to a destination's event
    /// stamped `stamp` (an `unpipe` that pauses the stream), as Node's one
    /// `nextTick` queue runs them first.
    #[doc(hidden)]
    fn run_ticks_before(&mut self, stamp: u64) {
        let _ = stamp;
    }

    /// True once `end` was emitted (Node's `endEmitted`).
    #[doc(hidden)]
    fn end_emitted(&self) -> bool {
        false
    }

    /// True once this stream itself emitted `end`, which a pipe out of it
    /// sees, whatever the stages before it still do (a pipeline's stage:
    /// its [`end_emitted`](ReadableStream::end_emitted) waits for them).
    #[doc(hidden)]
    fn own_end_emitted(&self) -> bool {
        self.end_emitted()
    }

    /// True for a stream that is writable too (a duplex): Node's
    /// `finished` on its readable side alone resolves at its `end`, not at
    /// the `close` that follows (end-of-stream.js, `willEmitClose` is false
    /// for it), so a pipeline it starts can call back before that `close`.
    #[doc(hidden)]
    fn finished_at_end(&self) -> bool {
        false
    }

    /// True while a `resume` is queued for the next tick (Node's
    /// `resumeScheduled`): a pipe made then comes after it.
    #[doc(hidden)]
    fn resume_queued(&self) -> bool {
        false
    }

    /// The stamp of the `resume_` queued for the next tick (see
    /// [`resume_queued`](ReadableStream::resume_queued)): its place in
    /// Node's one `nextTick` queue.
    #[doc(hidden)]
    fn queued_resume(&self) -> Option<u64> {
        None
    }

    /// The stamp of the oldest flow queued for the next tick (a
    /// `resume_`, or an `emitReadable_`, whose `flow()` writes into a
    /// pipe's destinations).
    #[doc(hidden)]
    fn queued_flow(&self) -> Option<u64>;

    /// Destroys the stream (Node's `destroy(err)`): buffered data is dropped,
    /// `error` (if any) and `close` are emitted; a no-op if already destroyed.
    fn destroy(&mut self, error: Option<Error>);

    /// True once the readable side delivered its end.
    fn is_ended(&self) -> bool;

    /// True when the producer ended and nothing is buffered: the next
    /// read emits `end` (Node's `state.ended && state.length === 0`).
    #[doc(hidden)]
    fn drained_at_end(&self) -> bool {
        false
    }

    /// True when the stream flows (Node's `readableFlowing === true`): a
    /// pipe reads it then even while a destination waits for `drain`, as
    /// Node's `flow()` reads whenever the stream flows (a `resume()` by
    /// hand undoes the pipe's own pause).
    #[doc(hidden)]
    fn flows(&self) -> bool {
        false
    }

    /// The stamp of the `end` a read found, while it waits for the
    /// stream's next tick (Node queued `endReadableNT`): a pipe that reads
    /// on finds it then, not by the read it makes now, and after the ticks
    /// queued before it.
    #[doc(hidden)]
    fn queued_end(&self) -> Option<u64> {
        None
    }

    /// True while chunks Node emitted as `data` inside their push wait for
    /// the reader: a pipe takes them before it writes more.
    #[doc(hidden)]
    fn data_due(&self) -> bool {
        false
    }

    /// True when the stream flows with output buffered: Node's `flow()`
    /// under way takes it all before a tick queued meanwhile runs.
    #[doc(hidden)]
    fn flows_buffered(&self) -> bool {
        false
    }

    /// Delivers the stream's own `finish` if it waits for the next tick:
    /// a pipe ending its destinations at this stream's `end` runs it
    /// before theirs, which Node queues after it.
    #[doc(hidden)]
    fn run_due_finish(&mut self) {}

    /// The stream's label, used to say where an error happened.
    fn label(&self) -> Option<&str>;

    /// The file the data comes from, when the stream knows it (see
    /// [`Readable::with_origin`](crate::Readable::with_origin)): a failing
    /// pipeline names it in errors that name no file.
    fn origin(&self) -> Option<&Path> {
        None
    }

    /// A reader attaches (Node's `on('data')`, which `pipe()` does before
    /// it decides whether the source flows): a stream its consumer did not
    /// pause resumes, so its `resume` comes on the next tick even if the
    /// pipe pauses it at once.
    #[doc(hidden)]
    fn listen_data(&mut self) {}

    /// The error the stream was destroyed with, if any (Node's `errored`):
    /// a pipeline reports it over a premature close, as Node's keeps the
    /// first real error of any stage.
    #[doc(hidden)]
    fn failure(&self) -> Option<Error> {
        None
    }

    /// Lets the stages that feed this stream run ahead while nothing is
    /// read from it (its consumer waits for `drain`): each takes what the
    /// stage before it has, up to its own highWaterMark, as Node's piped
    /// stages do. An error is a stage's failure, as from a read.
    #[doc(hidden)]
    fn poll_ahead(&mut self, cx: &mut Context<'_>) -> Result<()> {
        let _ = cx;
        Ok(())
    }

    /// [`poll_ahead`](ReadableStream::poll_ahead) that runs only the ticks
    /// the stream queued before the tick stamped `stamp` (not those its
    /// own ticks queue meanwhile): what comes before another stream's
    /// event stamped `stamp`.
    #[doc(hidden)]
    fn poll_ahead_before(&mut self, cx: &mut Context<'_>, stamp: u64) -> Result<()> {
        let _ = stamp;
        self.poll_ahead(cx)
    }

    /// Runs the reads the stream queued before the tick stamped `stamp`
    /// (`maybeReadMore_`, a pipe's `resume_`), as Node's ticks run them,
    /// although the stream flows for a pipe: each `read(0)` asks the
    /// source (`_read`), `resume` comes; what they read waits for the
    /// pipe, and so does a tick that hands something out (a flow, `end`,
    /// `error`) and what comes after it. A pipe does so before its
    /// destination's tick stamped `stamp` pauses the stream, or a pipeline
    /// destroys it.
    #[doc(hidden)]
    fn run_reads_before(&mut self, cx: &mut Context<'_>, stamp: u64) {
        let _ = (cx, stamp);
    }

    /// Delivers the events deferred to the next tick now (its `error`,
    /// `close`): a pipeline does so for every stage before it resolves, as
    /// Node's callback comes after each stage's last events.
    #[doc(hidden)]
    fn flush_events(&mut self) {}

    /// A pipe starts (`true`) or stops reading the stream: while one does,
    /// a chunk `read()` takes goes to the pipe too (see
    /// [`Chunk::copy_for_pipe`](crate::Chunk::copy_for_pipe)), as Node's
    /// `read()` hands it to the pipe's `data` listener.
    #[doc(hidden)]
    fn piping(&mut self, attached: bool) {
        let _ = attached;
    }

    /// The engine's hand-over of many chunks at once: moves chunks, as
    /// [`poll_next_chunk`](ReadableStream::poll_next_chunk) would give
    /// them, into a writable side's `queue` until its size reaches `limit`
    /// (the write that would return `false`) or none is left. `Ready(Some(Ok(())))`
    /// once something moved, otherwise as `poll_next_chunk`.
    #[doc(hidden)]
    fn poll_read_into(
        &mut self,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<Self::Output>,
        limit: usize,
    ) -> Poll<Option<Result<()>>> {
        let _ = limit;
        self.poll_next_chunk(cx).map(|next| {
            next.map(|chunk| {
                queue.push_back(chunk?);
                Ok(())
            })
        })
    }
}
