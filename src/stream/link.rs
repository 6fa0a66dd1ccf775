//! [`Link`]: a stage of a pipeline with the chain before it.
//!
//! A read asks the stage for output after feeding it from upstream. When
//! the stage is a pass-through holding nothing and nobody observes it, the
//! batch upstream gives is read straight into the reader's queue instead
//! (the hand-over), if the chunk-at-a-time path would end the same way:
//! every chunk written, pushed (the last one filling the readable side and
//! held), taken by the read in one move and released, leaving the stage as
//! it was. A chunk over the highWaterMark then costs no fill, hold and
//! drain at each stage. Any other batch goes into the stage as written.

use std::any::{Any, TypeId};
use std::path::Path;
use std::task::{Context, Poll};

use super::chunk::Chunk;
use super::error::{Error, ErrorKind, Result};
use super::pump::{OnError, closed_early};
use super::readable_stream::ReadableStream;
use super::sealed;
use super::ticks::stamp_now;
use super::writable_stream::WritableStream;
use super::write_queue::WriteQueue;

/// What [`Link::hand_over`] did.
enum HandOver {
    /// The stage is not an idle pass-through: nothing was read.
    Declined,
    /// The batch went through the stage into its reader's queue.
    Through,
    /// The stage took what came, as written to it: the read's outcome.
    Written(Poll<Option<Result<()>>>),
}

/// A stage of a pipeline with the chain before it: pulls from `upstream`
/// into `stage` while the stage takes chunks, and hands on its output.
pub(crate) struct Link<I: Chunk, D> {
    upstream: Box<dyn ReadableStream<Output = I>>,
    /// A [`Duplex`](crate::Duplex), or a [`Shared`](crate::Shared) one.
    stage: D,
    /// Position in the pipeline, for errors from unnamed stages.
    index: usize,
    upstream_done: bool,
    /// Upstream's `end`, found by a read, waits for the stage's `resume_`
    /// queued before it to flow the stage's buffered output to the reader
    /// (see [`Link::upstream_ended`]); the stage's next read acts on it.
    end_held: bool,
    /// Upstream was paused because the stage waits for `drain` (Node's
    /// `awaitDrainWriters`): the stage's `drain` resumes it.
    awaiting_drain: bool,
    on_error: OnError,
    /// Upstream failed while the stage still held output: that output is
    /// read first (see [`Link::fail_after_output`]).
    held_failure: Option<Error>,
    /// The stage had been ended before the pipe, its `finish` still due:
    /// see [`Link::finish_first`].
    ended_first: bool,
    /// Upstream had emitted its `end` before the pipe: the stamp of the
    /// pipe, where Node queued the `unpipe` and the `end()` it makes
    /// (readable.js `process.nextTick(endFn)` in `pipe`; pipeline.js:432-433
    /// `pipe`: `process.nextTick(endFn)` when `isReadableFinished`, which
    /// asks for `endEmitted`, utils.js:162-171). An upstream drained at
    /// its end that has not emitted it yet ends the stage at that `end`.
    ended_at_pipe: Option<u64>,
    /// The stage had closed before the pipe: Node's pipe never hears from
    /// it (no `finish`, `error` or `close` is to come), so a failure does
    /// not undo upstream's pipe into it (no `unpipe`, no `pause`).
    closed_first: bool,
}

impl<I: Chunk, D: ReadableStream + WritableStream<Input = I>> Link<I, D> {
    /// Pipes `upstream` into `stage` at once, as Node's `pipe()` does:
    /// `pipe` on the stage, and upstream flows unless the stage already
    /// waits for `drain`.
    pub(crate) fn new(
        mut upstream: Box<dyn ReadableStream<Output = I>>,
        mut stage: D,
        index: usize,
        on_error: OnError,
    ) -> Self {
        stage.piped(true);
        upstream.piping(true);
        upstream.listen_data();
        let ended_first = WritableStream::is_ending(&stage) && !WritableStream::is_finished(&stage);
        let closed_first = WritableStream::is_closed(&stage);
        let awaiting_drain = WritableStream::needs_drain(&stage);
        let ended_at_pipe = upstream.own_end_emitted().then(stamp_now);
        if on_error == OnError::DestroyAll
            && !upstream.is_ended()
            && let Some(stamp) = upstream.destroy_tick()
        {
            // Upstream was destroyed before its end and before the
            // pipeline: its `error` or `close`, still to come, fails the
            // pipeline, which destroys every stage then.
            stage.refuse_pipes_after(stamp);
        }
        if awaiting_drain {
            upstream.pause();
        } else {
            upstream.resume();
        }
        Link {
            upstream,
            stage,
            index,
            upstream_done: false,
            end_held: false,
            awaiting_drain,
            on_error,
            held_failure: None,
            ended_first,
            ended_at_pipe,
            closed_first,
        }
    }

    /// A stage ended before the pipe: its `finish`, queued by its `end()`,
    /// comes before the `resume` the pipe scheduled for upstream, and
    /// undoes upstream's pipe into it: upstream pauses, and gives it
    /// nothing (readable.js, `onfinish` in `pipe`).
    #[cold]
    fn finish_first(&mut self) {
        self.ended_first = false;
        // Upstream's own `error` and `close` queued before that `finish`
        // come before the pause it makes.
        if let Some(stamp) = WritableStream::oldest_tick(&self.stage) {
            self.upstream.run_ticks_before(stamp);
        }
        self.stage.run_due_finish();
        if WritableStream::is_finished(&self.stage) {
            self.upstream.pause();
        }
    }

    /// Node's pipe `pause()` on a false write (readable.js:980-995):
    /// upstream pauses until the stage's `drain`.
    fn pause_for_drain(&mut self) {
        if WritableStream::needs_drain(&self.stage) {
            self.awaiting_drain = true;
            self.upstream.pause();
        }
    }

    /// Node's `pipeOnDrain` (readable.js:1069-1088): the stage's `drain`
    /// resumes upstream, which the pipe paused for it.
    fn resume_after_drain(&mut self) {
        if self.awaiting_drain && !WritableStream::needs_drain(&self.stage) {
            self.awaiting_drain = false;
            if !self.upstream_done {
                self.upstream.resume();
            }
        }
    }

    /// Upstream, unless done, lives its ticks (see
    /// [`ReadableStream::poll_ahead`]); its failure fails the stage.
    fn upstream_ahead(&mut self, cx: &mut Context<'_>) -> Result<()> {
        if self.upstream_done {
            return Ok(());
        }
        self.upstream
            .poll_ahead(cx)
            .map_err(|error| self.upstream_failed(error))
    }

    /// With nothing for the reader, upstream, paused for the stage's
    /// `drain`, lives its ticks meanwhile, as a pump's waiting source does:
    /// Node's `maybeReadMore_` reads ahead to its highWaterMark
    /// (readable.js:864).
    fn upstream_ahead_while_waiting(&mut self, cx: &mut Context<'_>) -> Result<()> {
        if !self.awaiting_drain {
            return Ok(());
        }
        self.upstream_ahead(cx)
    }

    /// The stamp of what upstream hands the stage next: its oldest tick;
    /// or, for a stage destroyed before (its `close` queued), when nothing
    /// but upstream's end is left, that `end`, queued by a read before or
    /// by the next read now (readable.js `endReadable`): the stage's
    /// `close` comes first, and fails the pipeline before that `end`
    /// (pipeline.js `pipe`: `dst.on('close')`).
    fn upstream_next_tick(&self) -> Option<u64> {
        let end_next = WritableStream::destroy_tick(&self.stage).is_some()
            && self.upstream.drained_at_end()
            && !self.upstream.end_emitted()
            && self.upstream.destroy_tick().is_none();
        if end_next {
            return Some(self.upstream.queued_end().unwrap_or_else(stamp_now));
        }
        self.upstream.oldest_tick()
    }

    /// Before the stage's ticks run (its `resume_`, whose read may call
    /// back the held write and emit `drain`), upstream, paused for that
    /// `drain`, runs the reads it queued before them, as Node's one queue
    /// runs them: the `resume_` its pipe's `data` listener queued before
    /// the pipe paused it (readable.js:1131-1141 `on('data')` resumes,
    /// 1059-1060 `pause()`) emits its `resume` then, and the `drain`'s
    /// `resume()` queues one of its own (readable.js:1254-1265,
    /// 1069-1088). Only a flag check while the stage takes writes.
    #[inline]
    fn upstream_ahead_before_stage(&mut self, cx: &mut Context<'_>) {
        if !self.awaiting_drain || self.upstream_done {
            return;
        }
        if let Some(stage_tick) = ReadableStream::oldest_tick(&self.stage) {
            self.upstream.run_reads_before(cx, stage_tick);
        }
    }

    /// Moves chunks from upstream into the stage until it is full or
    /// upstream has nothing. Returns whether anything moved. `first` is
    /// the outcome of a batch already read into the stage's queue.
    fn feed(
        &mut self,
        cx: &mut Context<'_>,
        mut first: Option<Poll<Option<Result<()>>>>,
    ) -> Result<bool> {
        let mut fed = false;
        if self.end_held && !self.stage.source_ending() {
            self.release_end(cx)?;
        }
        if self.ended_first {
            self.finish_first();
        }
        self.upstream_ahead_before_stage(cx);
        if self.awaiting_drain && !self.upstream_done && self.upstream.own_end_emitted() {
            // Upstream, paused for the stage's `drain`, emitted the `end`
            // its last read queued (readable.js:769-777, `read()` taking
            // the last chunk after the end calls `endReadable`): Node's
            // pipeline ends the stage there, however much it still has to
            // write, and nothing resumes upstream.
            self.upstream_ended(cx, None)?;
        }
        let waited = self.awaiting_drain;
        self.resume_after_drain();
        let resumed = waited && !self.awaiting_drain;
        if WritableStream::take_refused_write(&mut self.stage) {
            // The write that returned true was refused after all.
            self.pause_for_drain();
        }
        if self.upstream_done {
            // Nothing reads upstream any more: the `close` its
            // auto-destroy queued after `end` comes at this poll, as its
            // next read would deliver it (readable.js `endReadableNT`).
            self.upstream.flush_events();
        }
        if resumed && ReadableStream::flows_buffered(&self.stage) {
            // Upstream's `resume_`, queued by the stage's `drain`
            // (readable.js:1084-1086 `pipeOnDrain` calls `resume()`), comes
            // after the stage's flow under way, which hands the reader
            // everything buffered first.
            return Ok(fed);
        }
        if first.is_none() && ReadableStream::data_due(&self.stage) {
            // What the stage emitted inside a write goes to the reader
            // before the next write (Node's pipe wrote each on inside its
            // push); the write below stops at the first such output.
            return Ok(false);
        }
        // What upstream's ticks write into the stage, or its `end`, come
        // after the stage's own ticks queued before them (upstream is
        // asked only when the stage has some).
        if ReadableStream::oldest_tick(&self.stage).is_some()
            && let Some(upstream) = self.upstream_next_tick()
        {
            WritableStream::run_ticks_before(&mut self.stage, upstream);
            if WritableStream::is_closed(&self.stage) && !self.closed_first {
                // The stage's `close`, from a destroy before the pipe,
                // undoes upstream's pipe before upstream's own ticks (its
                // `resume_`) run (readable.js:1037-1041, `onclose`): the
                // stage's read reports it, pausing upstream.
                return Ok(false);
            }
        }
        // Where upstream's `end` took its place, if a read before found it
        // or it came before the pipe: the stage's own ticks queued before
        // it come first.
        let queued_end = self.upstream.queued_end().or(self.ended_at_pipe);
        // Upstream destroyed before this read: its `error` was queued
        // ahead of the stage's flow, unless the stage's `resume_` (the
        // pipe's) was queued before it: that flow comes first.
        let failed_before = self.upstream.failure().is_some()
            && ReadableStream::queued_resume(&self.stage)
                .zip(self.upstream.destroy_tick())
                .is_none_or(|(resume, failed)| resume >= failed);
        while !self.upstream_done
            && self.held_failure.is_none()
            && (!WritableStream::needs_drain(&self.stage) || self.upstream.flows())
        {
            let batch = first.take().or_else(|| {
                let (queue, high_water_mark) = self.stage.batch_target()?;
                Some(self.upstream.poll_read_into(cx, queue, high_water_mark))
            });
            if let Some(polled) = batch {
                // Many chunks at once, each `write` but the last returning true.
                match polled {
                    Poll::Ready(Some(Ok(()))) => {
                        fed = true;
                        self.stage.after_batch();
                        self.pause_for_drain();
                        continue;
                    }
                    Poll::Ready(Some(Err(error))) if failed_before => {
                        return Err(self.upstream_failed(error));
                    }
                    Poll::Ready(Some(Err(error))) => {
                        self.held_failure = Some(error);
                        return Ok(fed);
                    }
                    Poll::Ready(None) => {
                        // Here, before another read delivers the `close`
                        // queued after `end`.
                        self.upstream_ended(cx, queued_end)?;
                        return Ok(true);
                    }
                    Poll::Pending => break,
                }
            }
            match self.upstream.poll_next_chunk(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    fed = true;
                    match self.stage.write(chunk) {
                        // Its output was emitted inside the write: the
                        // reader takes it before the next.
                        Ok(true) if ReadableStream::data_due(&self.stage) => break,
                        Ok(true) => {}
                        // Full: it waits for `drain`.
                        Ok(false) => {
                            self.pause_for_drain();
                            break;
                        }
                        // Destroyed: its next poll reports its own error.
                        Err(error) if error.kind() == ErrorKind::Destroyed => break,
                        Err(error) => return Err(self.stage_failed(cx, error)),
                    }
                }
                Poll::Ready(Some(Err(error))) if failed_before => {
                    return Err(self.upstream_failed(error));
                }
                Poll::Ready(Some(Err(error))) => {
                    self.held_failure = Some(error);
                    return Ok(fed);
                }
                Poll::Ready(None) => {
                    self.upstream_ended(cx, queued_end)?;
                    return Ok(true);
                }
                Poll::Pending => break,
            }
        }
        Ok(fed)
    }

    /// Upstream has nothing more: the stage is ended if upstream ended, and
    /// fails with a premature close if it was destroyed before its end.
    /// `queued_end` is the stamp of upstream's `end` if it waited for a
    /// tick or came before the pipe (`None`: this read found it).
    fn upstream_ended(&mut self, cx: &mut Context<'_>, queued_end: Option<u64>) -> Result<()> {
        if !self.upstream.is_ended() {
            // Destroyed before its end: the stage must not end as if
            // everything had arrived. Node's pipeline learns of it from
            // `finished`: its error, if it had one (end-of-stream.js,
            // `onclose`), which destroys the stage.
            let error = self
                .upstream
                .failure()
                .unwrap_or_else(|| Error::from_kind(ErrorKind::PrematureClose));
            return Err(self.upstream_failed(error));
        }
        self.upstream_done = true;
        match queued_end {
            // The stage's `resume_`, queued when its own pipe was made,
            // comes before the `endReadableNT` this read queued
            // (readable.js:1254-1265 `resume_` flows the stage's buffered
            // output into the reader; readable.js:1682-1690 `endReadable`
            // defers the `end` that ends the stage): with output to flow,
            // the reader's read takes it first.
            None => self.end_held = self.stage.source_ending(),
            // The stage's ticks queued before upstream's `endReadableNT`
            // (its pipe's `resume_`) come before the `end` that ends it
            // (readable.js `endReadableNT`, pipeline.js `pipe`: `end`
            // ends the destination).
            Some(stamp) => WritableStream::run_ticks_before(&mut self.stage, stamp),
        }
        if self.on_error == OnError::DestroyAll {
            // Node's `pipeline` pipes with `end: false` and ends the stage
            // from upstream's `end`: the pipe is undone first, upstream
            // pausing with the `end` it emitted (`unpipe` on the stage
            // comes with its `end()`).
            self.upstream.pause();
        }
        if self.end_held {
            return Ok(());
        }
        self.end_stage(cx)
    }

    /// Acts on upstream's `end` held for the stage's flow (see
    /// [`Link::upstream_ended`]), once the stage flowed its output or
    /// gives the reader nothing more. Returns true if it was held.
    fn release_end(&mut self, cx: &mut Context<'_>) -> Result<bool> {
        if !std::mem::take(&mut self.end_held) {
            return Ok(false);
        }
        self.end_stage(cx)?;
        Ok(true)
    }

    /// Upstream's `end` ends the stage, unpiped first with `pipeline`
    /// semantics.
    fn end_stage(&mut self, cx: &mut Context<'_>) -> Result<()> {
        if self.on_error == OnError::DestroyAll {
            self.stage.piped(false);
        }
        // A destroyed or finished stage refuses `end`, which Node reports
        // only to a callback `pipeline` does not pass (writable.js, `end`:
        // ERR_STREAM_ALREADY_FINISHED, ERR_STREAM_DESTROYED); its next poll
        // reports its own error.
        if let Err(error) = self.stage.end()
            && !matches!(
                error.kind(),
                ErrorKind::Destroyed | ErrorKind::AlreadyFinished
            )
        {
            return Err(self.stage_failed(cx, error));
        }
        Ok(())
    }

    /// The hand-over of a read into `queue`, empty: when the stage is a
    /// pass-through holding nothing ([`WritableStream::hand_over_mark`]),
    /// the batch upstream gives for the stage is read straight into
    /// `queue`, and stays there if the stage would pass it through whole
    /// ([`WritableStream::pass_batch`]).
    #[inline]
    fn hand_over<O: Chunk>(
        &mut self,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<O>,
        limit: usize,
    ) -> HandOver {
        let Some(high_water_mark) = self.stage.hand_over_mark() else {
            return HandOver::Declined;
        };
        let Some(direct) = (queue as &mut dyn Any).downcast_mut::<WriteQueue<I>>() else {
            return HandOver::Declined;
        };
        match self.upstream.poll_read_into(cx, direct, high_water_mark) {
            Poll::Ready(Some(Ok(()))) if self.stage.pass_batch(direct, limit) => HandOver::Through,
            polled => {
                // The stage's queue was as empty as the reader's.
                let (stage_queue, _) = self
                    .stage
                    .batch_target()
                    .expect("a stage that hands over takes writes");
                std::mem::swap(stage_queue, direct);
                HandOver::Written(polled)
            }
        }
    }

    /// Upstream failed or closed before its end: nothing more is read from
    /// it, the error names the stage before this one if it does not say
    /// where it happened (the first stage's, or a premature close), and
    /// with `pipeline` semantics this stage is destroyed with it.
    fn upstream_failed(&mut self, error: Error) -> Error {
        let piped = !self.upstream_done && !self.closed_first;
        self.upstream_done = true;
        let error = closed_early(error).or_stage(self.index - 1, self.upstream.label());
        if self.on_error == OnError::DestroyAll {
            WritableStream::destroy(&mut self.stage, Some(error.clone()));
            if piped {
                // Node's pipe detaches a destination from its `error`
                // listener: `unpipe` comes just before that `error`, and
                // upstream, left without a destination, pauses then,
                // after what it deferred itself.
                self.upstream.flush_events();
                self.upstream.pause();
                self.stage.piped(false);
            }
        }
        error
    }

    /// Upstream failed: what the stage already holds is still read out
    /// first, as Node's stage flows its buffered output (its pipe writes
    /// it on) on the tick upstream is destroyed, before upstream's `error`
    /// reaches the pipeline on the next (destroy.js:111, `emitErrorCloseNT`
    /// on `process.nextTick`). `Some` while output comes; then the failure.
    fn fail_after_output<T>(
        &mut self,
        output: Poll<Option<Result<T>>>,
    ) -> Option<Poll<Option<Result<T>>>> {
        let error = self.held_failure.take()?;
        if let Poll::Ready(Some(Ok(_))) = output {
            self.held_failure = Some(error);
            return Some(output);
        }
        Some(Poll::Ready(Some(Err(self.upstream_failed(error)))))
    }

    /// Upstream failed while the stage has nothing left but its end:
    /// Node's pipeline hears of upstream's failure at its `error` or
    /// `close` and destroys the stage, whose `end`, unless queued before
    /// that tick, then never comes (end-of-stream.js:142-160, `onclose`;
    /// pipeline.js:236, `finishImpl`; readable.js `endReadableNT` checks
    /// `errored`). The failure, once the stage is destroyed with it.
    fn fail_before_stage_end(&mut self) -> Option<Error> {
        self.held_failure.as_ref()?;
        if !ReadableStream::drained_at_end(&self.stage) || ReadableStream::end_emitted(&self.stage)
        {
            return None;
        }
        let failed = self.upstream.destroy_tick().unwrap_or_else(stamp_now);
        if ReadableStream::queued_end(&self.stage).is_some_and(|end| end < failed) {
            return None;
        }
        let error = self.held_failure.take()?;
        Some(self.upstream_failed(error))
    }

    /// The stage ended (its writable side ended elsewhere) before
    /// upstream did: its `finish` or `close` undoes upstream's pipe into
    /// it, pausing upstream (readable.js, `onfinish`, `onclose` in `pipe`),
    /// and Node's `pipeline` fails with a premature close at that `close`
    /// (pipeline.js, `pipe`: `dst.on('close')` before `ended`), destroying
    /// upstream with it.
    #[cold]
    fn ended_before_upstream(&mut self) {
        self.upstream_done = true;
        self.upstream.pause();
        if self.on_error == OnError::DestroyAll {
            let error = Error::from_kind(ErrorKind::PrematureClose)
                .or_stage(self.index, ReadableStream::label(&self.stage));
            self.upstream.destroy(Some(error));
        }
    }

    /// The stage failed: with `pipeline` semantics, upstream is destroyed
    /// with its error. Node's pipeline does so at the stage's `error`, on
    /// the tick its destroy queued (destroy.js:115, `emitErrorCloseNT`;
    /// end-of-stream.js:136, `onerror`; pipeline.js:236, `finishImpl`), so
    /// upstream's ticks queued before that one (a `maybeReadMore_`, whose
    /// `_read` asks the source again) run first; none do once that `error`
    /// was delivered.
    fn stage_failed(&mut self, cx: &mut Context<'_>, error: Error) -> Error {
        let error = closed_early(error).or_stage(self.index, ReadableStream::label(&self.stage));
        if self.on_error == OnError::DestroyAll {
            WritableStream::destroy(&mut self.stage, Some(error.clone()));
            if !std::mem::replace(&mut self.upstream_done, true) && !self.closed_first {
                // Upstream pauses as the stage is unpiped from its `error`.
                self.upstream.pause();
                if let Some(heard) = ReadableStream::destroy_tick(&self.stage) {
                    let _ = self.upstream.poll_ahead_before(cx, heard);
                }
                self.stage.piped(false);
            }
            self.upstream.destroy(Some(error.clone()));
        }
        error
    }
}

impl<I: Chunk, D> sealed::Stream for Link<I, D> {}

impl<I: Chunk, D> Drop for Link<I, D> {
    fn drop(&mut self) {
        // Chunks `read()` takes from upstream are the caller's alone again.
        self.upstream.piping(false);
    }
}

impl<I: Chunk, O: Chunk, D> ReadableStream for Link<I, D>
where
    D: ReadableStream<Output = O> + WritableStream<Input = I>,
{
    type Output = O;

    fn poll_next_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<O>>> {
        loop {
            let was_blocked = WritableStream::needs_drain(&self.stage);
            let fed = match self.feed(cx, None) {
                Ok(fed) => fed,
                Err(error) => return Poll::Ready(Some(Err(error))),
            };
            if let Some(error) = self.fail_before_stage_end() {
                return Poll::Ready(Some(Err(error)));
            }
            if self.held_failure.is_some() {
                let output = self.stage.poll_next_chunk(cx);
                if let Some(polled) = self.fail_after_output(output) {
                    return polled;
                }
            }
            self.upstream_ahead_before_stage(cx);
            match self.stage.poll_next_chunk(cx) {
                Poll::Ready(Some(Err(error))) => {
                    return Poll::Ready(Some(Err(self.stage_failed(cx, error))));
                }
                Poll::Ready(None) if !self.upstream_done => {
                    self.ended_before_upstream();
                    return Poll::Ready(None);
                }
                Poll::Ready(other) => return Poll::Ready(other),
                Poll::Pending => {
                    let unblocked = was_blocked && !WritableStream::needs_drain(&self.stage);
                    if self.upstream_done || !(fed || unblocked) {
                        match self.release_end(cx) {
                            Ok(true) => continue,
                            Ok(false) => {}
                            Err(error) => return Poll::Ready(Some(Err(error))),
                        }
                        if let Err(error) = self.upstream_ahead_while_waiting(cx) {
                            return Poll::Ready(Some(Err(error)));
                        }
                        return Poll::Pending;
                    }
                }
            }
        }
    }

    fn poll_read_into(
        &mut self,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<O>,
        limit: usize,
    ) -> Poll<Option<Result<()>>> {
        let mut first = None;
        self.resume_after_drain();
        if TypeId::of::<I>() == TypeId::of::<O>() && queue.is_settled() && !self.upstream_done {
            match self.hand_over(cx, queue, limit) {
                HandOver::Through => return Poll::Ready(Some(Ok(()))),
                HandOver::Written(polled) => first = Some(polled),
                HandOver::Declined => {}
            }
        }
        loop {
            let was_blocked = WritableStream::needs_drain(&self.stage);
            let fed = match self.feed(cx, first.take()) {
                Ok(fed) => fed,
                Err(error) => return Poll::Ready(Some(Err(error))),
            };
            if let Some(error) = self.fail_before_stage_end() {
                return Poll::Ready(Some(Err(error)));
            }
            if self.held_failure.is_some() {
                let output = self.stage.poll_read_into(cx, queue, limit);
                if let Some(polled) = self.fail_after_output(output) {
                    return polled;
                }
            }
            self.upstream_ahead_before_stage(cx);
            match self.stage.poll_read_into(cx, queue, limit) {
                Poll::Ready(Some(Err(error))) => {
                    return Poll::Ready(Some(Err(self.stage_failed(cx, error))));
                }
                Poll::Ready(None) if !self.upstream_done => {
                    self.ended_before_upstream();
                    return Poll::Ready(None);
                }
                Poll::Ready(other) => return Poll::Ready(other),
                Poll::Pending => {
                    let unblocked = was_blocked && !WritableStream::needs_drain(&self.stage);
                    if self.upstream_done || !(fed || unblocked) {
                        match self.release_end(cx) {
                            Ok(true) => continue,
                            Ok(false) => {}
                            Err(error) => return Poll::Ready(Some(Err(error))),
                        }
                        if let Err(error) = self.upstream_ahead_while_waiting(cx) {
                            return Poll::Ready(Some(Err(error)));
                        }
                        return Poll::Pending;
                    }
                }
            }
        }
    }

    fn pause(&mut self) {
        self.stage.pause();
    }

    fn resume(&mut self) {
        self.stage.resume();
    }

    /// The oldest of the stage's ticks and those of the chain before it,
    /// which a read of the stage runs.
    fn oldest_tick(&self) -> Option<u64> {
        let stage = ReadableStream::oldest_tick(&self.stage);
        stage.into_iter().chain(self.upstream.oldest_tick()).min()
    }

    fn destroy_tick(&self) -> Option<u64> {
        match (
            ReadableStream::destroy_tick(&self.stage),
            self.upstream.destroy_tick(),
        ) {
            (Some(stage), Some(upstream)) => Some(stage.min(upstream)),
            (stage, upstream) => stage.or(upstream),
        }
    }

    /// Only once upstream is done too: what it still has to say (an
    /// error) comes before the pipeline ends.
    fn end_emitted(&self) -> bool {
        self.upstream_done && self.stage.end_emitted()
    }

    fn own_end_emitted(&self) -> bool {
        self.stage.end_emitted()
    }

    fn resume_queued(&self) -> bool {
        self.stage.resume_queued()
    }

    fn queued_resume(&self) -> Option<u64> {
        self.stage.queued_resume()
    }

    fn queued_flow(&self) -> Option<u64> {
        self.stage.queued_flow()
    }

    fn listen_data(&mut self) {
        self.stage.listen_data();
    }

    fn flush_events(&mut self) {
        self.upstream.flush_events();
        ReadableStream::flush_events(&mut self.stage);
    }

    fn piping(&mut self, attached: bool) {
        self.stage.piping(attached);
    }

    /// The stage takes what upstream has until it is full, and works on it
    /// (its output fills its readable side up to the mark); then the
    /// stages before it run ahead the same way.
    fn poll_ahead(&mut self, cx: &mut Context<'_>) -> Result<()> {
        loop {
            let fed = self.feed(cx, None)?;
            if let Some(error) = self.held_failure.take() {
                // Nobody reads the stage's output now.
                return Err(self.upstream_failed(error));
            }
            if let Poll::Ready(Err(error)) = WritableStream::poll_drain(&mut self.stage, cx) {
                return Err(self.stage_failed(cx, error));
            }
            if !fed {
                break;
            }
        }
        // The stage itself, paused, lives its ticks: the `resume` its
        // pipe's `on('data')` scheduled comes although it waits for
        // `drain` (readable.js, `resume_`).
        ReadableStream::poll_ahead(&mut self.stage, cx)
            .map_err(|error| self.stage_failed(cx, error))?;
        // Upstream's failure destroys the stage too, its pipe undone from
        // the stage's `error` (`unpipe` before it), as when a read finds it.
        self.upstream_ahead(cx)
    }

    fn destroy(&mut self, error: Option<Error>) {
        ReadableStream::destroy(&mut self.stage, error.clone());
        self.upstream.destroy(error);
        if !std::mem::replace(&mut self.upstream_done, true) {
            // The stage's `error` (or `close`) undoes upstream's pipe into
            // it, after upstream's own last events: upstream pauses.
            self.upstream.flush_events();
            self.upstream.pause();
        }
    }

    fn is_ended(&self) -> bool {
        self.stage.is_ended()
    }

    fn flows(&self) -> bool {
        self.stage.flows()
    }

    fn queued_end(&self) -> Option<u64> {
        ReadableStream::queued_end(&self.stage)
    }

    fn run_due_finish(&mut self) {
        self.stage.run_due_finish();
    }

    fn label(&self) -> Option<&str> {
        ReadableStream::label(&self.stage)
    }

    fn failure(&self) -> Option<Error> {
        self.upstream
            .failure()
            .or_else(|| ReadableStream::failure(&self.stage))
    }

    fn origin(&self) -> Option<&Path> {
        self.upstream.origin()
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;
    use std::future::Future;
    use std::marker::PhantomData;
    use std::pin::Pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::task::Waker;

    use bytes::Bytes;
    use proptest::prelude::*;

    use super::*;
    use crate::{
        Busy, CollectSink, Duplex, Event, NullSink, Push, Pusher, Readable, ReadableExt, Shared,
        Transform, Writable, pipeline,
    };

    use crate::stream::Kept;
    use crate::stream::event_log::{
        Chunks, Counted, Log, entries, observer, poll, poll_until_ready, same_observed_or_not,
    };

    /// Pushes every chunk as it is, as a pass-through does, but through
    /// the chunk-at-a-time path: its stages never hand over.
    struct Identity<T>(PhantomData<T>);

    impl<T: Chunk> Transform for Identity<T> {
        type Input = T;
        type Output = T;

        fn transform(&mut self, chunk: T, out: &mut Push<'_, T>) -> Result<()> {
            out.push(chunk);
            Ok(())
        }
    }

    #[derive(Clone, Debug)]
    enum Step {
        ReadInto(usize),
        Next,
        Take,
        Pause,
        Resume,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            6 => (0usize..48).prop_map(Step::ReadInto),
            1 => Just(Step::Next),
            3 => Just(Step::Take),
            1 => Just(Step::Pause),
            1 => Just(Step::Resume),
        ]
    }

    /// A chain: a source of `chunks` (made by `make` from a size and an
    /// index), then a stage per `(writable, readable)` highWaterMark pair.
    #[derive(Clone, Debug)]
    struct Chain {
        chunks: Vec<usize>,
        source_mark: usize,
        stages: Vec<(usize, usize)>,
    }

    fn chain() -> impl Strategy<Value = Chain> {
        (
            proptest::collection::vec(0usize..40, 0..40),
            0usize..40,
            proptest::collection::vec((0usize..40, 0usize..40), 1..4),
        )
            .prop_map(|(chunks, source_mark, stages)| Chain {
                chunks,
                source_mark,
                stages,
            })
    }

    /// What `steps` show of the chain, its stages pass-throughs or
    /// [`Identity`] transforms: every call's result, what its reader took,
    /// and the last stage's lengths, drain and flow, after each step.
    fn run<T: Chunk + Debug + Unpin>(
        chain: &Chain,
        steps: &[Step],
        make: fn(usize, usize) -> T,
        pass_through: bool,
    ) -> Vec<String> {
        let chunks: Vec<T> = (chain.chunks.iter().enumerate())
            .map(|(index, &size)| make(size, index))
            .collect();
        let mut upstream: Box<dyn ReadableStream<Output = T>> =
            Box::new(Readable::from_iter(chunks).with_high_water_mark(chain.source_mark));
        let (last, before) = chain.stages.split_last().expect("a stage");
        let stage = |(writable, readable): (usize, usize)| {
            let duplex = if pass_through {
                Duplex::pass_through()
            } else {
                Duplex::transform(Identity(PhantomData))
            };
            duplex
                .with_writable_high_water_mark(writable)
                .with_readable_high_water_mark(readable)
        };
        for (index, &marks) in before.iter().enumerate() {
            let link = Link::new(upstream, stage(marks), index + 1, OnError::DestroyAll);
            upstream = Box::new(link);
        }
        let mut link = Link::new(
            upstream,
            stage(*last),
            chain.stages.len(),
            OnError::DestroyAll,
        );
        let mut cx = Context::from_waker(Waker::noop());
        let mut queue = WriteQueue::new();
        let mut shown = Vec::new();
        for step in steps {
            let result = match step {
                Step::ReadInto(limit) => {
                    format!("{:?}", link.poll_read_into(&mut cx, &mut queue, *limit))
                }
                Step::Next => format!("{:?}", link.poll_next_chunk(&mut cx)),
                Step::Take => format!("{:?}", queue.drain().collect::<Vec<_>>()),
                Step::Pause => {
                    ReadableStream::pause(&mut link);
                    String::new()
                }
                Step::Resume => {
                    ReadableStream::resume(&mut link);
                    String::new()
                }
            };
            let stage = &link.stage;
            shown.push(format!(
                "{result} queue={:?} w={} r={} drain={} ended={} flowing={:?}",
                queue.iter().collect::<Vec<_>>(),
                stage.writable_length(),
                stage.readable_length(),
                WritableStream::needs_drain(stage),
                stage.is_ended(),
                stage.flowing(),
            ));
        }
        shown
    }

    fn bytes(size: usize, index: usize) -> Bytes {
        Bytes::from(vec![index as u8; size])
    }

    fn text(size: usize, index: usize) -> String {
        char::from(b'a' + (index % 26) as u8)
            .to_string()
            .repeat(size)
    }

    /// A chunk over the highWaterMark, read for the reader of an idle
    /// pass-through, stays in the reader's queue: the stage never holds it.
    #[test]
    fn a_big_chunk_goes_straight_through_an_idle_pass_through() {
        let source = Readable::from_iter([bytes(64, 1)]).with_high_water_mark(16);
        let stage = Duplex::pass_through().with_high_water_mark(16);
        let mut link = Link::new(Box::new(source), stage, 1, OnError::DestroyAll);
        let mut cx = Context::from_waker(Waker::noop());
        let mut queue = WriteQueue::<Bytes>::new();
        assert!(matches!(
            link.hand_over(&mut cx, &mut queue, 16),
            HandOver::Through
        ));
        assert_eq!(queue.iter().collect::<Vec<_>>(), [&bytes(64, 1)]);
        assert_eq!(link.stage.writable_length(), 0);
        assert!(!WritableStream::needs_drain(&link.stage));
    }

    /// Output the stage buffered before its upstream failed is read
    /// first; the upstream's error comes at the read after, and the stage
    /// is destroyed.
    #[test]
    fn output_held_before_upstream_fails_is_read_first() {
        let boom = Error::new(ErrorKind::InvalidData, "boom");
        let source = Readable::<u32>::from_stream(futures_util::stream::iter([Err(boom)]));
        let mut stage = Duplex::transform(Identity(PhantomData)).with_high_water_mark(0);
        WritableStream::write(&mut stage, 7).unwrap();
        let mut link = Link::new(Box::new(source), stage, 1, OnError::DestroyAll);
        let mut cx = Context::from_waker(Waker::noop());
        // Node: the stage's flow hands on its chunk on the tick upstream
        // fails; upstream's `error` reaches the pipeline on the next.
        assert!(matches!(
            link.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Ok(7)))
        ));
        assert!(matches!(
            link.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Err(error))) if error.kind() == ErrorKind::InvalidData
        ));
        assert!(link.stage.is_destroyed());
    }

    /// Node's `pipeline(source, stage, dest)` over a stage that finished
    /// and then failed by a write after its end: the `end()` the source's
    /// `end` calls is refused with ERR_STREAM_ALREADY_FINISHED, which only
    /// a callback would see (writable.js, `end`); the pipeline reports the
    /// stage's own error.
    #[test]
    fn ending_a_finished_stage_reports_its_own_error() {
        let mut cx = Context::from_waker(Waker::noop());
        let stage = Shared::new(
            Duplex::transform(Identity(PhantomData))
                .with_readable_high_water_mark(0)
                .with_writable_high_water_mark(0),
        );
        stage.lock().end().unwrap();
        let _ = WritableStream::poll_finish(&mut *stage.lock(), &mut cx);
        assert!(stage.lock().is_finished());
        let refused = WritableStream::write(&mut *stage.lock(), 1u32).unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::WriteAfterEnd);
        let source = Readable::from_iter(Vec::<u32>::new()).with_high_water_mark(0);
        let mut future = pipeline(source)
            .pipe(stage.clone())
            .pipe(Writable::new(NullSink));
        let outcome = poll_until_ready(&mut future, 10);
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::WriteAfterEnd);
    }

    /// Only a pass-through hands over: a transform's chunks go through it.
    #[test]
    fn a_transform_does_not_hand_over() {
        let source = Readable::from_iter([bytes(64, 1)]);
        let stage = Duplex::transform(Identity(PhantomData));
        let mut link = Link::new(Box::new(source), stage, 1, OnError::DestroyAll);
        let mut cx = Context::from_waker(Waker::noop());
        let mut queue = WriteQueue::<Bytes>::new();
        assert!(matches!(
            link.hand_over(&mut cx, &mut queue, 16),
            HandOver::Declined
        ));
        assert!(queue.is_empty());
    }

    /// A pass-through whose highWaterMarks are 0 on both sides.
    fn identity_at_zero_marks() -> Duplex<u32, u32> {
        Duplex::transform(Identity(PhantomData))
            .with_writable_high_water_mark(0)
            .with_readable_high_water_mark(0)
    }

    /// Node's pipe pauses upstream while the stage waits for `drain`, and
    /// the stage's `drain` resumes it (readable.js:980-995, `pause()`;
    /// readable.js:1069-1088, `pipeOnDrain`). Node 20, object mode, both
    /// transforms of highWaterMark 0, `s1.write(x)`, `pipeline(s2, s1, s0)`,
    /// `s2.write(y)`, settle: `s2: pause` at the pipe, then `resume data`
    /// after `s1`'s `drain`, and `s0` gets both chunks.
    #[test]
    fn the_stage_drain_resumes_the_upstream_it_paused() {
        let mut stage = identity_at_zero_marks();
        let mut upstream = identity_at_zero_marks();
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        upstream.observe(move |event: &Event| seen.lock().unwrap().push(event.name()));
        assert!(!WritableStream::write(&mut stage, 1).unwrap());
        let upstream = Shared::new(upstream);
        let mut link = Link::new(Box::new(upstream.clone()), stage, 1, OnError::DestroyAll);
        assert_eq!(*log.lock().unwrap(), ["pause"]);
        assert!(!WritableStream::write(&mut *upstream.lock(), 2).unwrap());
        let mut cx = Context::from_waker(Waker::noop());
        let mut took = Vec::new();
        for _ in 0..4 {
            if let Poll::Ready(Some(Ok(chunk))) = link.poll_next_chunk(&mut cx) {
                took.push(chunk);
            }
        }
        assert_eq!(took, [1, 2]);
        assert_eq!(upstream.lock().flowing(), Some(true));
        assert_eq!(log.lock().unwrap()[..3], ["pause", "resume", "data"]);
    }

    /// Node's `flow()` reads whenever upstream flows (readable.js:1280-
    /// 1284): upstream paused for the stage's `drain` and resumed by hand
    /// gives its chunk to the stage, which still waits for `drain`, and
    /// the false write pauses it again (readable.js:980-995).
    #[test]
    fn upstream_resumed_by_hand_feeds_a_stage_that_awaits_drain() {
        let mut stage = identity_at_zero_marks();
        let mut upstream = identity_at_zero_marks();
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        upstream.observe(move |event: &Event| seen.lock().unwrap().push(event.name()));
        assert!(!WritableStream::write(&mut stage, 1).unwrap());
        assert!(!WritableStream::write(&mut upstream, 2).unwrap());
        let upstream = Shared::new(upstream);
        let mut link = Link::new(Box::new(upstream.clone()), stage, 1, OnError::DestroyAll);
        let mut cx = Context::from_waker(Waker::noop());
        link.poll_ahead(&mut cx).unwrap();
        assert_eq!(upstream.lock().readable_length(), 1);
        ReadableStream::resume(&mut *upstream.lock());
        link.poll_ahead(&mut cx).unwrap();
        assert_eq!(upstream.lock().readable_length(), 0);
        assert_eq!(link.stage.writable_length(), 2);
        // The first `resume` is the one `on('data')` scheduled at the pipe.
        assert_eq!(
            log.lock().unwrap()[..],
            ["pause", "resume", "resume", "data", "pause"]
        );
    }

    /// The events of `stage` in `pipeline(source, stage, dest)`, with
    /// `then` called once the pipeline is made.
    fn stage_events_from(
        source: impl ReadableStream<Output = u32> + 'static,
        mut stage: Duplex<u32, u32>,
        then: impl FnOnce(),
    ) -> Vec<String> {
        let log = Log::default();
        stage.observe(observer(&log, "stage"));
        let dest = Writable::new(NullSink).with_high_water_mark(0);
        let mut future = pipeline(source).pipe(stage).pipe(dest);
        then();
        poll_until_ready(&mut future, 10).unwrap();
        entries(&log, "stage")
    }

    /// The kind of the error `pipeline(source, stage, dest)` fails with,
    /// into a `dest` of mark 0.
    fn failed_pipeline_kind(
        source: impl ReadableStream<Output = u32> + 'static,
        stage: Duplex<u32, u32>,
    ) -> ErrorKind {
        let dest = Writable::new(NullSink).with_high_water_mark(0);
        let mut future = pipeline(source).pipe(stage).pipe(dest);
        poll_until_ready(&mut future, 10).unwrap_err().kind()
    }

    /// Node's `pipeline(source, transform, dest)` with a source that has
    /// nothing: the transform's `resume_`, queued when it was piped on,
    /// runs before the `endReadableNT` the source's first read queues
    /// (readable.js `resume` and `endReadable`), so its `resume` comes
    /// before the `unpipe` and `end()` of the source's `end`. So too with
    /// a transform for source, ended after the pipeline began or just
    /// before it: its `end` was queued by its own `resume_`, after the
    /// stage's (the pipeline waits for an `end` not emitted yet,
    /// pipeline.js:432-435). Node 20: `pipeline(s0, s1, w)`, `s0.end()`:
    /// `s1: pipe resume unpipe prefinish end pause finish close`; so too
    /// with `s0.end()` first.
    #[test]
    fn a_stage_resumes_before_the_end_its_upstream_finds() {
        let resume_then_end = [
            "pipe",
            "resume",
            "unpipe",
            "prefinish",
            "end",
            "pause",
            "finish",
            "close",
        ];
        let source = Readable::from_iter(Vec::<u32>::new()).with_high_water_mark(0);
        assert_eq!(
            stage_events_from(source, identity_at_zero_marks(), || {}),
            resume_then_end
        );
        let source = Shared::new(identity_at_zero_marks());
        let ended = source.clone();
        let events = stage_events_from(source, identity_at_zero_marks(), move || {
            ended.lock().end().unwrap()
        });
        assert_eq!(events, resume_then_end);
        let mut source = identity_at_zero_marks();
        source.end().unwrap();
        assert_eq!(
            stage_events_from(source, identity_at_zero_marks(), || {}),
            resume_then_end
        );
    }

    /// The events of an [`Identity`] `stage` of the given writable and
    /// readable marks, written `1` before `pipeline(source, stage, dest)`.
    fn events_of_stage_written_before(
        source: impl ReadableStream<Output = u32> + 'static,
        writable_mark: usize,
        readable_mark: usize,
    ) -> Vec<String> {
        let mut stage = Duplex::transform(Identity(PhantomData))
            .with_writable_high_water_mark(writable_mark)
            .with_readable_high_water_mark(readable_mark);
        assert!(stage.write(1).unwrap());
        stage_events_from(source, stage, || {})
    }

    /// A stage's events when its `resume_` flows what it holds before its
    /// upstream's `end` ends it.
    const FLOW_BEFORE_UPSTREAM_END: [&str; 9] = [
        "pipe",
        "resume",
        "data",
        "unpipe",
        "prefinish",
        "end",
        "pause",
        "finish",
        "close",
    ];

    /// The same with output the stage held from a write before the
    /// pipeline: its `resume_` flows it into the reader before the
    /// source's `end` ends the stage (readable.js:1254-1265 `resume_`,
    /// 1682-1690 `endReadable`). Node 20: `stage.write(1)`, `pipeline(s0,
    /// stage, w)`: `stage: pipe resume data unpipe prefinish end pause
    /// finish close`.
    #[test]
    fn a_stage_flows_its_held_output_before_the_end_its_upstream_finds() {
        let source = Readable::from_iter(Vec::<u32>::new()).with_high_water_mark(0);
        assert_eq!(
            events_of_stage_written_before(source, 0, 2),
            FLOW_BEFORE_UPSTREAM_END
        );
    }

    /// The same from a transform ended just before the pipeline, into a
    /// stage whose output from a write before holds that write (its
    /// readable side full): Node's pipeline waits for the source's `end`,
    /// not emitted yet (pipeline.js:432-435, utils.js:162-171
    /// `isReadableFinished`), which comes after the stage's `resume_`
    /// flowed; the flow's last read completes the held write
    /// (transform.js:198-204), so the stage's `end()` flushes at once and
    /// its `end` comes before its `finish`. Node 20: `stage.write(1)`,
    /// `s0.end()`, `pipeline(s0, stage, w)`: `stage: pipe resume data
    /// unpipe prefinish end pause finish close`.
    #[test]
    fn a_stage_flows_its_held_write_before_the_end_its_ended_upstream_emits() {
        let mut source = identity_at_zero_marks();
        source.end().unwrap();
        assert_eq!(
            events_of_stage_written_before(source, 2, 0),
            FLOW_BEFORE_UPSTREAM_END
        );
    }

    /// Node's `pipeline(source, stage, dest)` whose source, paused for the
    /// stage's `drain`, took its last chunk after its end: that read
    /// queued the `end` (readable.js:769-777), emitted although the source
    /// is paused, and the pipeline ends the stage there (`unpipe`), its
    /// writes still queued behind a busy destination. Node 20, object
    /// mode, `s0` of marks 1 with `[1, 2, 3]`, `s1` of writable mark 2,
    /// `w` never calling back: `s0: resume data data data pause end
    /// close`, `s1: pipe data pause resume unpipe`.
    #[test]
    fn a_source_paused_for_drain_ends_the_stage_at_the_end_its_last_read_queued() {
        let log = Log::default();
        let mut source = Readable::from_iter([1u32, 2, 3]).with_high_water_mark(1);
        source.observe(observer(&log, "source"));
        let mut stage = Duplex::transform(Identity(PhantomData))
            .with_writable_high_water_mark(2)
            .with_readable_high_water_mark(0);
        stage.observe(observer(&log, "stage"));
        let dest = Writable::new(Busy).with_high_water_mark(0);
        let mut future = pipeline(source).pipe(Shared::new(stage)).pipe(dest);
        for _ in 0..10 {
            assert!(poll(&mut future).is_pending());
        }
        assert_eq!(
            entries(&log, "source"),
            ["resume", "data", "data", "data", "pause", "end", "close"]
        );
        assert_eq!(
            entries(&log, "stage"),
            ["pipe", "data", "pause", "resume", "unpipe"]
        );
    }

    /// Node's `pipeline(source, stage, dest)` whose stage's `drain` comes
    /// while it still has output buffered: `pipeOnDrain` resumes the
    /// source (readable.js:1084-1086), whose `resume_` runs after the
    /// stage's flow under way handed its reader what was buffered, so the
    /// source's next chunk is transformed after those `data`. Node 20,
    /// object mode, `s0` of `[1, 2, 3]` and mark 0, `s1` pushing its
    /// chunks three times and once in turn (readable mark 2, writable 0),
    /// `w` of mark 2 calling back one write per later tick: the same
    /// events, in this order, the stage plain or shared.
    #[test]
    fn a_source_resumed_by_the_stage_drain_feeds_it_after_its_flow() {
        for shared in [false, true] {
            assert_eq!(
                source_and_stage_events(plain_or_shared_stage(
                    shared,
                    3,
                    (0, 0, 2, 2),
                    (vec![3, 1], 0),
                    (true, false),
                )),
                [
                    "s1 pipe",
                    "s0 resume",
                    "s0 data",
                    "s1 data",
                    "s1 data",
                    "s1 pause",
                    "s0 data",
                    "s0 pause",
                    "s1 resume",
                    "s1 resume",
                    "s1 drain",
                    "s1 data",
                    "s1 data",
                    "s1 pause",
                    "s0 resume",
                    "s0 data",
                    "s0 pause",
                    "s1 resume",
                    "s1 data",
                    "s1 drain",
                    "s1 data",
                    "s1 pause",
                    "s0 resume",
                    "s0 end",
                    "s0 pause",
                    "s1 unpipe",
                    "s1 prefinish",
                    "s1 finish",
                    "s0 close",
                    "s1 resume",
                    "s1 data",
                    "s1 end",
                    "s1 pause",
                    "s1 close",
                ]
            );
        }
    }

    /// Node's `pipeline(source, stage, dest)` into a stage that waits for
    /// `drain` (a write before held its callback): the pipe's `data`
    /// listener resumes the source before the pipe pauses it
    /// (readable.js:1131-1141, 1059-1060), and that `resume_` still runs,
    /// before the stage's own: `resume` comes after the `pause`, and once
    /// more after the stage's `drain` resumes it (readable.js:1084-1086).
    /// Node 20: `stage.write(0)`, `pipeline(s0, stage, w)`, later
    /// `s0.push(null)`: `s0: pause resume resume end pause close`.
    #[test]
    fn a_source_paused_at_the_pipe_resumes_before_the_stage_and_at_its_drain() {
        let log = Log::default();
        let (pusher, source) = Pusher::<u32>::new();
        source.lock().observe(observer(&log, "source"));
        let mut stage = identity_at_zero_marks();
        assert!(!stage.write(0).unwrap());
        let dest = Writable::new(NullSink).with_high_water_mark(0);
        let mut future = pipeline(source).pipe(stage).pipe(dest);
        assert!(poll(&mut future).is_pending());
        pusher.end();
        poll_until_ready(&mut future, 10).unwrap();
        assert_eq!(
            entries(&log, "source"),
            ["pause", "resume", "resume", "end", "pause", "close"]
        );
    }

    /// The same with a source that had emitted its `end` before the
    /// pipeline: Node queued the `unpipe` and the stage's `end()` at the
    /// pipe (readable.js `process.nextTick(endFn)` in `pipe`; pipeline.js
    /// `pipe`), before the `resume_` of the stage's own pipe. Node 20:
    /// `src.resume()`, later `pipeline(src, stage, w)`: `stage: pipe unpipe
    /// prefinish resume end pause finish close`.
    ///
    /// Into a stage holding output from a write before, that `end()`
    /// flushes it, and its end, pushed outside a read into a flowing
    /// stream, runs `emitReadable_` at once (readable.js:788-813
    /// `onEofChunk`): its flow emits the buffered output into the reader
    /// before the flush calls back (`prefinish`), and queues the `end`
    /// before the `finish`. Node 20: `stage.write(1)` first: `stage: pipe
    /// unpipe data prefinish resume end pause finish close`.
    #[test]
    fn a_stage_resumes_after_the_end_its_upstream_had_emitted() {
        let ended_source = || {
            let mut source = Readable::from_iter(Vec::<u32>::new()).with_high_water_mark(0);
            source.resume();
            while !source.is_ended() {
                source.tick();
            }
            source
        };
        let mut events = stage_events_from(ended_source(), identity_at_zero_marks(), || {});
        assert_eq!(
            events,
            [
                "pipe",
                "unpipe",
                "prefinish",
                "resume",
                "end",
                "pause",
                "finish",
                "close"
            ]
        );
        events = events_of_stage_written_before(ended_source(), 0, 2);
        assert_eq!(
            events,
            [
                "pipe",
                "unpipe",
                "data",
                "prefinish",
                "resume",
                "end",
                "pause",
                "finish",
                "close"
            ]
        );
    }

    /// Node's `pipeline(source, stage, dest)` over a stage destroyed just
    /// before: its `close`, queued before the source's `resume_`, undoes
    /// the source's pipe first (readable.js:1037-1041, `onclose`), so the
    /// source pauses before its `resume`, and the pipeline's premature
    /// close destroys it. Node 20: `s0.destroy()`, `pipeline(s2, s0, w)`:
    /// `s2: pause resume error close`.
    #[test]
    fn a_stage_destroyed_before_the_pipe_pauses_its_upstream_before_its_resume() {
        let log = Log::default();
        let mut source = identity_at_zero_marks();
        source.observe(observer(&log, "source"));
        assert_stage_destroyed_before_the_pipe_fails_it(&log, source);
    }

    /// A stage destroyed just before `pipeline(source, stage, dest)`,
    /// observed or not: its `close`, at its tick even with nobody
    /// listening, fails the pipeline with a premature close, which
    /// destroys the source and the destination.
    #[test]
    fn a_pipeline_over_a_destroyed_stage_is_the_same_unobserved() {
        let outcome = same_observed_or_not(|log| {
            let mut source = identity_at_zero_marks();
            let mut stage = identity_at_zero_marks();
            if let Some(log) = log {
                source.observe(observer(log, "source"));
                stage.observe(observer(log, "stage"));
            }
            ReadableStream::destroy(&mut stage, None);
            let (source, stage) = (Shared::new(source), Shared::new(stage));
            let dest = Shared::new(Writable::new(NullSink).with_high_water_mark(0));
            let mut future = pipeline(source.clone())
                .pipe(stage.clone())
                .pipe(dest.clone());
            let failed = poll_until_ready(&mut future, 10).map_err(|error| error.kind());
            drop(future);
            let closed = [
                WritableStream::is_closed(&source),
                WritableStream::is_closed(&stage),
                WritableStream::is_closed(&dest),
            ];
            let destroyed = [
                WritableStream::is_destroyed(&source),
                WritableStream::is_destroyed(&stage),
                WritableStream::is_destroyed(&dest),
            ];
            (failed, closed, destroyed)
        });
        assert_eq!(outcome.0, Err(ErrorKind::PrematureClose));
    }

    /// Destroys a stage, makes `pipeline(source, stage, dest)` and asserts
    /// what Node 20 does: the stage's `close` undoes the source's pipe,
    /// which pauses before its `resume`, and fails the pipeline with a
    /// premature close, which destroys the source.
    fn assert_stage_destroyed_before_the_pipe_fails_it(
        log: &Log,
        source: impl ReadableStream<Output = u32> + 'static,
    ) {
        let mut stage = identity_at_zero_marks();
        stage.observe(observer(log, "stage"));
        ReadableStream::destroy(&mut stage, None);
        assert_eq!(
            failed_pipeline_kind(source, stage),
            ErrorKind::PrematureClose
        );
        assert_eq!(
            entries(log, "source"),
            ["pause", "resume", "error", "close"]
        );
        assert_eq!(
            entries(log, "stage"),
            ["pipe", "close", "unpipe", "resume", "pause"]
        );
    }

    /// The same from a source whose end was pushed before (nothing left
    /// but its `end`): the stage's `close` fails the pipeline before the
    /// `end` the source's next read queues, so the source never ends.
    /// Node 20: `s2.push(null)`, `s0.destroy()`, `pipeline(s2, s0, w)`:
    /// `s2: pause resume error close`.
    #[test]
    fn a_stage_destroyed_before_the_pipe_fails_it_before_its_upstreams_end() {
        let log = Log::default();
        let (pusher, source) = Pusher::<u32>::new();
        source.lock().observe(observer(&log, "source"));
        pusher.end();
        assert_stage_destroyed_before_the_pipe_fails_it(&log, source);
    }

    /// Node 20, object mode: `stage.write(b)` (writable mark 2, readable
    /// mark 0), `pipeline(source, stage, dest)`, `source.destroy(err)`,
    /// tick: the stage's `resume_`, queued by the pipe before the
    /// source's `error`, flows `b` into `dest` (`_write(b)`) before that
    /// `error` fails the pipeline (readable.js `resume_`, `flow`;
    /// destroy.js:115, `emitErrorCloseNT`).
    #[test]
    fn a_stage_flows_what_it_holds_before_a_later_upstream_error() {
        let (pusher, source) = Pusher::<u32>::new();
        let mut stage = Duplex::<u32, u32>::pass_through()
            .with_writable_high_water_mark(2)
            .with_readable_high_water_mark(0);
        assert!(stage.write(7).unwrap());
        let (sink, collected) = CollectSink::new();
        let dest = Writable::new(sink).with_high_water_mark(0);
        let mut future = pipeline(source).pipe(Shared::new(stage)).pipe(dest);
        pusher.destroy(Some(Error::new(ErrorKind::InvalidData, "boom")));
        let outcome = poll_until_ready(&mut future, 10);
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::InvalidData);
        assert_eq!(collected.take(), [7]);
    }

    /// Node's `pipeline(source, stage, dest)` from a source destroyed
    /// with an error just before, into a stage ended before (its flush
    /// pushed a chunk): the source's `error` fails the pipeline, which
    /// destroys the stage and `dest`; the stage's `resume_` then flows its
    /// chunk into `dest`, whose refused write (writable.js:487-498) pauses
    /// the stage before its own `error` (readable.js:1007-1013). Node 20:
    /// `stage: prefinish pipe finish unpipe resume data pause error close`.
    #[test]
    fn a_stage_flowing_after_the_pipeline_failed_pauses_at_its_first_chunk() {
        let log = Log::default();
        let mut source = Duplex::<u32, u32>::pass_through();
        source.destroy(Some(Error::new(ErrorKind::InvalidData, "boom")));
        let mut stage = Duplex::transform(Copies::new(vec![1], 1))
            .with_readable_high_water_mark(0)
            .with_writable_high_water_mark(0);
        stage.observe(observer(&log, "stage"));
        stage.end().unwrap();
        assert_eq!(failed_pipeline_kind(source, stage), ErrorKind::InvalidData);
        assert_eq!(
            entries(&log, "stage"),
            [
                "prefinish",
                "pipe",
                "finish",
                "unpipe",
                "resume",
                "data",
                "pause",
                "error",
                "close"
            ]
        );
    }

    /// Node's `pipeline(source, stage, dest)` over a stage ended and
    /// finished before, from a source that never ends: the stage's
    /// `close` undoes the source's pipe into it (the source pauses) and
    /// fails the pipeline with a premature close, which destroys the
    /// source (pipeline.js, `pipe`: `dst.on('close')` before `ended`;
    /// readable.js, `onclose` in `pipe`); the destination finishes.
    #[test]
    fn a_stage_ended_before_its_upstream_fails_the_pipeline() {
        let log = Log::default();
        let mut source = Duplex::<u32, u32>::pass_through();
        source.observe(observer(&log, "source"));
        let mut stage = Duplex::<u32, u32>::pass_through();
        stage.observe(observer(&log, "stage"));
        stage.end().unwrap();
        stage.tick();
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        let mut future = pipeline(source).pipe(stage).pipe(dest);
        let outcome = poll_until_ready(&mut future, 10);
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::PrematureClose);
        assert_eq!(
            entries(&log, "source"),
            ["resume", "pause", "error", "close"]
        );
        assert_eq!(
            entries(&log, "stage"),
            [
                "prefinish",
                "finish",
                "pipe",
                "resume",
                "end",
                "pause",
                "close",
                "unpipe"
            ]
        );
        assert_eq!(
            entries(&log, "dest"),
            ["pipe", "unpipe", "prefinish", "finish", "close"]
        );
    }

    /// Node 20: `stage.end()` (both marks 0), `pipeline(source, stage,
    /// dest)`, `source.destroy()`, settle: the stage's `finish` unpipes
    /// the source, its `resume_` finds its end and queues it, but the
    /// source's `close`, queued before, fails the pipeline first, which
    /// destroys the stage with a premature close: no `end`.
    #[test]
    fn upstream_closed_before_the_stage_end_destroys_the_stage() {
        let log = Log::default();
        let source = Shared::new(identity_at_zero_marks());
        let mut stage = identity_at_zero_marks();
        stage.observe(observer(&log, "stage"));
        stage.end().unwrap();
        let dest = Writable::new(NullSink).with_high_water_mark(0);
        let mut future = pipeline(source.clone()).pipe(stage).pipe(dest);
        source.lock().destroy(None);
        let outcome = poll_until_ready(&mut future, 10);
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::PrematureClose);
        assert_eq!(
            entries(&log, "stage"),
            [
                "prefinish",
                "pipe",
                "finish",
                "unpipe",
                "resume",
                "error",
                "close",
                "pause"
            ]
        );
    }

    /// The same with a destination still busy with the stage's last chunk
    /// when the stage closes: the premature close fails the pipeline then,
    /// and destroys that destination (pipeline.js, `finishImpl`).
    #[test]
    fn a_stage_ended_before_its_upstream_fails_a_pipeline_still_finishing() {
        let mut stage = Duplex::<u32, u32>::pass_through();
        WritableStream::write(&mut stage, 1).unwrap();
        stage.end().unwrap();
        let dest = Shared::new(Writable::new(Busy).with_high_water_mark(0));
        let mut future = pipeline(Duplex::<u32, u32>::pass_through())
            .pipe(stage)
            .pipe(dest.clone());
        let outcome = poll_until_ready(&mut future, 10);
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::PrematureClose);
        assert!(dest.lock().is_destroyed());
    }

    /// Node's `pipeline(source, stage, dest)` over a stage ended just
    /// before, its `finish` due: that `finish` comes before the source's
    /// `resume`, and undoes the source's pipe into the stage (the source
    /// pauses), so the source's chunk is never written to the ended stage
    /// (no write after end); the stage's `close` then fails the pipeline
    /// with a premature close (readable.js, `onfinish` in `pipe`;
    /// pipeline.js, `pipe`).
    #[test]
    fn a_stage_ended_just_before_the_pipeline_unpipes_its_upstream_first() {
        let log = Log::default();
        let mut source = Readable::from_iter([1u32]).with_high_water_mark(0);
        source.observe(observer(&log, "source"));
        let mut stage = Duplex::<u32, u32>::pass_through();
        stage.observe(observer(&log, "stage"));
        stage.end().unwrap();
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        let mut future = pipeline(source).pipe(stage).pipe(dest);
        let outcome = poll_until_ready(&mut future, 10);
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::PrematureClose);
        assert_eq!(
            entries(&log, "source"),
            ["pause", "resume", "error", "close"]
        );
        assert_eq!(
            entries(&log, "stage"),
            [
                "prefinish",
                "pipe",
                "finish",
                "unpipe",
                "resume",
                "end",
                "pause",
                "close"
            ]
        );
        assert_eq!(
            entries(&log, "dest"),
            ["pipe", "unpipe", "prefinish", "finish", "close"]
        );
    }

    /// The same with the stage read at its end before: that read queued
    /// its `endReadableNT` before the `resume_` of the pipe, so the stage
    /// emits `end` first, and the pipeline's pipe out of it unpipes from
    /// its `end` listener, pausing it, before that `resume_` and the
    /// `close` queued after `end` (readable.js `endReadable`, `pipe`'s
    /// `unpipe` with `end: false`; pipeline.js `pipe`). Node 20:
    /// `s0.end()`, `s0.read()`, `pipeline(s2, s0, w)`: `s0: prefinish pipe
    /// finish unpipe end pause resume close`.
    #[test]
    fn a_stage_read_at_its_end_before_the_pipeline_pauses_before_its_resume() {
        let log = Log::default();
        let source = identity_at_zero_marks();
        let mut stage = identity_at_zero_marks();
        stage.observe(observer(&log, "stage"));
        stage.end().unwrap();
        assert_eq!(stage.read(), None);
        assert_eq!(
            failed_pipeline_kind(source, stage),
            ErrorKind::PrematureClose
        );
        assert_eq!(
            entries(&log, "stage"),
            [
                "prefinish",
                "pipe",
                "finish",
                "unpipe",
                "end",
                "pause",
                "resume",
                "close"
            ]
        );
    }

    /// Node's `pipeline(source, stage, dest)` over a stage that failed (a
    /// write after its end) and closed before: the pipeline fails with
    /// its error and destroys the source, but Node's pipe into the stage
    /// never hears from it: no `unpipe` on it, no `pause` of the source.
    #[test]
    fn a_stage_closed_before_the_pipeline_is_never_unpiped() {
        let log = Log::default();
        let (_pusher, source) = Pusher::<u32>::new();
        source.lock().observe(observer(&log, "source"));
        let mut stage = Duplex::<u32, u32>::pass_through();
        stage.observe(observer(&log, "stage"));
        stage.end().unwrap();
        assert!(stage.write(1).is_err());
        stage.tick();
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        let mut future = pipeline(source).pipe(stage).pipe(dest);
        let outcome = poll_until_ready(&mut future, 10);
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::WriteAfterEnd);
        assert_eq!(entries(&log, "source"), ["resume", "error", "close"]);
        assert_eq!(
            entries(&log, "stage"),
            [
                "prefinish",
                "finish",
                "error",
                "close",
                "pipe",
                "resume",
                "pause"
            ]
        );
        assert_eq!(entries(&log, "dest"), ["pipe", "unpipe", "error", "close"]);
    }

    /// Node's `pipeline(source, stage, dest)` over a stage and a `dest`
    /// that had both ended and closed before, from a source that fails at
    /// its first read: the stage had emitted `end`, so the pipe out of it
    /// unpipes `dest` on the next tick, pausing it (readable.js `pipe`:
    /// `endEmitted`, `process.nextTick(endFn)` with `end: false`), though
    /// the pipeline goes on until the source fails. Node 20: `dest: pipe
    /// unpipe`, `stage: pipe pause`, the pipeline fails with the source's
    /// error.
    #[test]
    fn a_stage_that_had_ended_unpipes_a_destination_that_had_closed() {
        let log = Log::default();
        let boom = Error::new(ErrorKind::InvalidData, "boom");
        let source = Readable::<u32>::from_stream(futures_util::stream::iter([Err(boom)]));
        let mut cx = Context::from_waker(Waker::noop());
        let mut stage = identity_at_zero_marks();
        stage.observe(observer(&log, "stage"));
        stage.end().unwrap();
        stage.resume();
        let mut dest = Writable::new(NullSink).with_high_water_mark(0);
        dest.observe(observer(&log, "dest"));
        dest.end().unwrap();
        for _ in 0..3 {
            stage.tick();
            let _ = WritableStream::poll_finish(&mut stage, &mut cx);
            let _ = WritableStream::poll_finish(&mut dest, &mut cx);
        }
        let mut future = pipeline(source).pipe(stage).pipe(dest);
        let outcome = poll_until_ready(&mut future, 10);
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::InvalidData);
        assert_eq!(
            entries(&log, "stage"),
            [
                "prefinish",
                "finish",
                "resume",
                "end",
                "close",
                "pipe",
                "pause"
            ]
        );
        assert_eq!(
            entries(&log, "dest"),
            ["prefinish", "finish", "close", "pipe", "unpipe"]
        );
    }

    /// Node's `pipeline(source, stage, dest)` from a source that failed and
    /// closed before (its error read already): the pipeline learns of its end from `finished`,
    /// which reports its error (end-of-stream.js, `onclose`), and destroys
    /// the other stages with that error, not with a premature close.
    #[test]
    fn a_source_closed_with_an_error_passes_it_to_every_stage() {
        let mut source = Readable::from_iter(Vec::<u32>::new());
        source.destroy(Some(Error::new(ErrorKind::InvalidData, "boom")));
        let mut cx = Context::from_waker(Waker::noop());
        let Poll::Ready(Some(Err(_))) = source.poll_next_chunk(&mut cx) else {
            panic!("a read reports the error");
        };
        source.tick();
        let stage = Shared::new(Duplex::<u32, u32>::pass_through());
        let dest = Shared::new(Writable::new(NullSink));
        let mut future = pipeline(source).pipe(stage.clone()).pipe(dest.clone());
        let outcome = poll_until_ready(&mut future, 10);
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::InvalidData);
        assert_eq!(
            stage.lock().errored().map(Error::kind),
            Some(ErrorKind::InvalidData)
        );
        assert_eq!(
            dest.lock().errored().map(Error::kind),
            Some(ErrorKind::InvalidData)
        );
    }

    /// Node's `pipeline(source, stage, dest)` from a source destroyed with
    /// an error while it held a chunk, into a destination that waits for
    /// `drain`: the failure destroys every stage, each destination's pipe undone from its `error`
    /// (`unpipe` first, readable.js `onerror` in `pipe`; pipeline.js,
    /// `finishImpl`).
    #[test]
    fn a_source_failing_while_its_stage_waits_for_drain_destroys_the_stage() {
        let log = Log::default();
        let mut source = Readable::from_iter(Vec::<u32>::new()).with_high_water_mark(0);
        source.resume();
        source.unshift(1).unwrap();
        source.destroy(Some(Error::new(ErrorKind::InvalidData, "boom")));
        let mut stage = identity_at_zero_marks();
        stage.observe(observer(&log, "stage"));
        let mut dest = Writable::new(NullSink).with_high_water_mark(0);
        dest.cork();
        assert!(!dest.write(0).unwrap());
        dest.observe(observer(&log, "dest"));
        let mut future = pipeline(source).pipe(stage).pipe(dest);
        let outcome = poll_until_ready(&mut future, 10);
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::InvalidData);
        let stage = entries(&log, "stage");
        assert_eq!(stage[stage.len() - 3..], ["unpipe", "error", "close"]);
        assert_eq!(entries(&log, "dest"), ["pipe", "unpipe", "error", "close"]);
    }

    /// Node 20, object mode: `pipeline(source, stage, dest)` with the
    /// stage corked (highWaterMark 0) and a source of three chunks, one
    /// per `_read`, at highWaterMark 2, settle: the source's first `data`
    /// is refused and pauses it, then its `maybeReadMore_` reads ahead to
    /// the mark (the last `_read`; `readableLength` 2), though nobody
    /// reads the stage (readable.js:864, `maybeReadMore_`).
    #[test]
    fn upstream_waiting_for_the_stage_drain_reads_ahead_to_its_mark() {
        let log = Log::default();
        let mut source = Readable::new(Counted::new(&log, 3)).with_high_water_mark(2);
        source.observe(observer(&log, "source"));
        let source = Shared::new(source);
        let mut stage = identity_at_zero_marks();
        stage.cork();
        let dest = Writable::new(NullSink).with_high_water_mark(0);
        let mut future = pipeline(source.clone()).pipe(stage).pipe(dest);
        for _ in 0..4 {
            assert!(poll(&mut future).is_pending());
        }
        assert_eq!(
            entries(&log, "source"),
            ["_read", "resume", "_read", "data", "pause", "_read"]
        );
        assert_eq!(source.lock().readable_length(), 2);
    }

    /// Passes `left` chunks through, then fails.
    struct FailsAfter {
        left: usize,
    }

    impl Transform for FailsAfter {
        type Input = Bytes;
        type Output = Bytes;

        fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
            if self.left == 0 {
                return Err(Error::new(ErrorKind::InvalidData, "boom"));
            }
            self.left -= 1;
            out.push(chunk);
            Ok(())
        }
    }

    /// Node 20, byte mode: `pipeline(source, stage, dest)`, a source of
    /// `a`, `b`, `c`, an empty chunk, then the end, one per `_read`
    /// (highWaterMark 1), a stage of marks 0 whose third transform fails,
    /// settle: the source pauses at the refused write of `c`, whose read
    /// took the empty chunk and queued `maybeReadMore_`, which asks the
    /// source once more (`_read`) before the stage's `error` reaches the
    /// pipeline, a tick later, and destroys the source (readable.js:864,
    /// `maybeReadMore_`; destroy.js:111, `emitErrorCloseNT`; pipeline.js,
    /// `finishImpl`).
    #[test]
    fn upstream_reads_ahead_before_the_stage_error_destroys_it() {
        let log = Log::default();
        let chunks = Chunks(Log::clone(&log), vec!["a", "b", "c", ""].into_iter());
        let mut source = Readable::new(chunks).with_high_water_mark(1);
        source.observe(observer(&log, "source"));
        let stage = Duplex::transform(FailsAfter { left: 2 })
            .with_readable_high_water_mark(0)
            .with_writable_high_water_mark(0);
        let dest = Writable::new(NullSink).with_high_water_mark(0);
        // Behind a handle, the stage takes each chunk by a `write()`.
        let mut future = pipeline(source).pipe(Shared::new(stage)).pipe(dest);
        let outcome = poll_until_ready(&mut future, 10);
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::InvalidData);
        let read_data = ["_read", "data"];
        let expected: Vec<&str> = ["_read", "resume"]
            .into_iter()
            .chain(read_data.repeat(3))
            .chain(["pause", "_read", "error", "close"])
            .collect();
        assert_eq!(entries(&log, "source"), expected);
    }

    /// Node 20, object mode: `pipeline(source, stage, dest)`, a source of
    /// one chunk, a stage of highWaterMark 0 and a destination that never
    /// finishes a write: the source's auto-destroy `close` comes in the
    /// tick of its `end` (readable.js `endReadableNT`), though nothing
    /// reads the source any more.
    #[test]
    fn upstream_closes_after_its_end_though_nothing_reads_it() {
        let log = Log::default();
        let mut source = Readable::new(Counted::new(&log, 1)).with_high_water_mark(0);
        source.observe(observer(&log, "source"));
        let dest = Writable::new(Busy).with_high_water_mark(0);
        let mut future = pipeline(source).pipe(identity_at_zero_marks()).pipe(dest);
        for _ in 0..4 {
            assert!(poll(&mut future).is_pending());
        }
        let source = entries(&log, "source");
        assert_eq!(source[source.len() - 3..], ["end", "pause", "close"]);
    }

    /// Pushes each chunk as many times as `copies` says, in turn, and
    /// `flushed` chunks at the end.
    struct Copies {
        copies: Vec<usize>,
        transformed: usize,
        flushed: u32,
    }

    impl Copies {
        fn new(copies: Vec<usize>, flushed: u32) -> Copies {
            Copies {
                copies,
                transformed: 0,
                flushed,
            }
        }
    }

    impl Transform for Copies {
        type Input = u32;
        type Output = u32;

        fn transform(&mut self, chunk: u32, out: &mut Push<'_, u32>) -> Result<()> {
            let copies = self.copies[self.transformed % self.copies.len()];
            self.transformed += 1;
            for _ in 0..copies {
                out.push(chunk);
            }
            Ok(())
        }

        fn flush(&mut self, out: &mut Push<'_, u32>) -> Result<()> {
            for chunk in 0..self.flushed {
                out.push(chunk);
            }
            Ok(())
        }
    }

    /// The events of a transform stage of `pipeline(source, stage, dest)`
    /// (both marks 0) after `polls` polls, or until it resolves.
    fn stage_events(chunks: Vec<u32>, dest: Writable<u32>, polls: usize) -> Vec<&'static str> {
        let stage = Copies::new(vec![1], 0);
        copies_stage_events(stage, chunks, dest, polls)
    }

    /// [`stage_events`] for a stage that pushes copies of each chunk and
    /// flushes some (see [`Copies`]).
    fn copies_stage_events(
        stage: Copies,
        chunks: Vec<u32>,
        dest: Writable<u32>,
        polls: usize,
    ) -> Vec<&'static str> {
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        let mut stage = Duplex::transform(stage)
            .with_readable_high_water_mark(0)
            .with_writable_high_water_mark(0);
        stage.observe(move |event| seen.lock().unwrap().push(event.name()));
        let source = Readable::from_iter(chunks).with_high_water_mark(0);
        // Behind a handle, the stage takes each chunk by a `write()`.
        let mut future = pipeline(source).pipe(Shared::new(stage)).pipe(dest);
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..polls {
            if Pin::new(&mut future).poll(&mut cx).is_ready() {
                break;
            }
        }
        log.lock().unwrap().clone()
    }

    /// Node's `addChunk` (readable.js) emits a push into the empty
    /// readable side of a flowing, piped transform at once as `data`, so
    /// `Transform._write` (transform.js) calls back at once, `write()`
    /// returns true and no `drain` comes; the pipe takes that output
    /// before it writes the next chunk, and before the `resume` the
    /// stage's pipe scheduled. Node 20:
    /// `_transform() data(1) resume unpipe _flush prefinish end pause
    /// finish close`.
    #[test]
    fn a_flowing_stage_emits_its_output_inside_the_write() {
        assert_eq!(
            stage_events(vec![7], Writable::new(NullSink).with_high_water_mark(0), 20),
            [
                "pipe",
                "data",
                "resume",
                "unpipe",
                "prefinish",
                "end",
                "pause",
                "finish",
                "close"
            ]
        );
    }

    /// Node's `addChunk` emits every push into the readable side of a
    /// flowing, piped transform at once as `data` while the pipe's
    /// `write()`s return true (its `length` stays 0): a `_transform` that
    /// pushes three chunks emits three `data` before the next
    /// `_transform`, and its callback is not held. Node 20 (a sync sink):
    /// `_transform(a) data(1) _transform(b) data(1) data(1) data(1)
    /// _transform(c) data(1) data(1) resume unpipe _flush prefinish end
    /// pause finish close`.
    #[test]
    fn a_flowing_stage_emits_each_push_while_its_reader_takes_them() {
        assert_eq!(
            copies_stage_events(
                Copies::new(vec![1, 3, 2], 0),
                vec![1, 2, 3],
                Writable::new(NullSink).with_high_water_mark(0),
                40
            ),
            [
                "pipe",
                "data",
                "data",
                "data",
                "data",
                "data",
                "data",
                "resume",
                "unpipe",
                "prefinish",
                "end",
                "pause",
                "finish",
                "close"
            ]
        );
    }

    /// Node's `Transform` `final` pushes the flush's output and the end,
    /// then calls back: the pushes into a flowing, piped stream are
    /// emitted as `data` at once, and `onEofChunk` schedules `end` (the
    /// stream is drained), all before `prefinish` and the `finish` it
    /// schedules. Node 20 (an empty source, a sync sink): `resume unpipe
    /// _flush data(1) data(1) prefinish end pause finish close`.
    #[test]
    fn a_flowing_stage_emits_its_flush_before_prefinish() {
        let stage = Copies::new(vec![1], 2);
        assert_eq!(
            copies_stage_events(
                stage,
                vec![],
                Writable::new(NullSink).with_high_water_mark(0),
                20
            ),
            [
                "pipe",
                "resume",
                "unpipe",
                "data",
                "data",
                "prefinish",
                "end",
                "pause",
                "finish",
                "close"
            ]
        );
    }

    /// A pipe that pauses the stage at the first chunk of its flush (a
    /// write that waits for `drain`) finds the rest buffered, and
    /// `prefinish` comes after that `pause`. Node 20, with a reader that
    /// never calls back: `resume unpipe _flush data(1) pause prefinish
    /// finish`.
    #[test]
    fn a_stage_paused_inside_its_flush_prefinishes_after_the_pause() {
        let stage = Copies::new(vec![1], 2);
        assert_eq!(
            copies_stage_events(
                stage,
                vec![],
                Writable::new(Busy).with_high_water_mark(0),
                20
            ),
            [
                "pipe",
                "resume",
                "unpipe",
                "data",
                "pause",
                "prefinish",
                "finish"
            ]
        );
    }

    /// The same with the pause at the last chunk of the flush (a corked
    /// destination at its highWaterMark): Node's pipe wrote it inside its
    /// `data` event, so the pause comes before the flush's `push(null)`
    /// and `prefinish`, and `onEofChunk` finds the stage paused: no `end`
    /// is scheduled (readable.js `onEofChunk`, `emitReadable_`, `flow`),
    /// and the pipeline waits. Node 20 (a destination of mark 2, corked):
    /// `resume unpipe _flush data(0) data(1) pause prefinish finish`.
    #[test]
    fn a_stage_paused_at_the_last_chunk_of_its_flush_does_not_end() {
        let mut dest = Writable::new(NullSink).with_high_water_mark(2);
        dest.cork();
        assert_eq!(
            copies_stage_events(Copies::new(vec![1], 2), vec![], dest, 20),
            [
                "pipe",
                "resume",
                "unpipe",
                "data",
                "data",
                "pause",
                "prefinish",
                "finish"
            ]
        );
    }

    /// A pipe that pauses the stage at the first of two chunks its
    /// `_transform` pushed (a write that waits for `drain`) finds the
    /// second buffered, so `Transform._write` holds the chunk's callback
    /// (transform.js: the readable side is at its highWaterMark): it
    /// still counts in `writableLength`, and nothing ends the stage. Node
    /// 20 (a source of one chunk, a reader that never calls back): `pipe
    /// data pause resume unpipe`, `writableLength` 1.
    #[test]
    fn a_stage_paused_at_the_first_of_its_pushes_holds_the_chunk() {
        let stage = Copies::new(vec![2], 0);
        let stage = Shared::new(
            Duplex::transform(stage)
                .with_readable_high_water_mark(0)
                .with_writable_high_water_mark(2),
        );
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        stage
            .lock()
            .observe(move |event| seen.lock().unwrap().push(event.name()));
        let source = Readable::from_iter(vec![1u32]).with_high_water_mark(0);
        let dest = Writable::new(Busy).with_high_water_mark(0);
        let mut future = pipeline(source).pipe(stage.clone()).pipe(dest);
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..20 {
            assert!(Pin::new(&mut future).poll(&mut cx).is_pending());
        }
        assert_eq!(
            *log.lock().unwrap(),
            ["pipe", "data", "pause", "resume", "unpipe"]
        );
        assert_eq!(stage.lock().writable_length(), 1);
    }

    /// The chunk a stage holds after all (see above) had made Node's
    /// `write()` return false: the pipe writing into the stage pauses its
    /// upstream then (readable.js pipe's `pause()` in `ondata`), before
    /// upstream's next chunk. Node 20 (a reader that never calls back):
    /// stage `pipe _transform data pause resume`, `writableLength` 1;
    /// upstream `resume data pause`.
    #[test]
    fn a_stage_that_holds_a_chunk_after_all_pauses_its_upstream() {
        let stage = Copies::new(vec![2], 0);
        let stage = Shared::new(Duplex::transform(stage).with_high_water_mark(0));
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        let mut source = Readable::from_iter(vec![1u32, 2]).with_high_water_mark(0);
        source.observe(move |event| seen.lock().unwrap().push(event.name()));
        let dest = Writable::new(Busy).with_high_water_mark(0);
        let mut future = pipeline(source).pipe(stage.clone()).pipe(dest);
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..20 {
            assert!(Pin::new(&mut future).poll(&mut cx).is_pending());
        }
        assert_eq!(*log.lock().unwrap(), ["resume", "data", "pause"]);
        assert_eq!(stage.lock().writable_length(), 1);
    }

    /// A stage paused while its reader waits for `drain` still lives its
    /// ticks: the `resume` its pipe scheduled comes then (Node's
    /// `resume_` runs on a paused stream too), after upstream's flow wrote
    /// the next chunk into it. Node 20, with a reader that never calls
    /// back: `_transform(a) data(1) pause _transform(b) resume`.
    #[test]
    fn a_stage_paused_for_drain_still_resumes_on_its_tick() {
        assert_eq!(
            stage_events(vec![1, 2], Writable::new(Busy).with_high_water_mark(0), 5),
            ["pipe", "data", "pause", "resume"]
        );
    }

    proptest! {
        /// Batches handed straight through pass-through stages show the
        /// same results, chunks, lengths and verdicts as the chunk-at-a-time
        /// path through every stage.
        #[test]
        fn hand_over_moves_as_chunk_at_a_time_does(
            chain in chain(),
            steps in proptest::collection::vec(step(), 1..40),
        ) {
            prop_assert_eq!(
                run(&chain, &steps, bytes, true),
                run(&chain, &steps, bytes, false)
            );
        }

        /// The same for chunks of size 0 that are not nothing (text items).
        #[test]
        fn hand_over_of_text_moves_as_chunk_at_a_time_does(
            chain in chain(),
            steps in proptest::collection::vec(step(), 1..40),
        ) {
            prop_assert_eq!(
                run(&chain, &steps, text, true),
                run(&chain, &steps, text, false)
            );
        }
    }

    /// A pipeline of `chunks` numbered from 1 (source mark `marks.0`)
    /// through a [`Copies`] stage of `copies` and `flushed` (marks
    /// `marks.1` and `marks.2`), plain or `shared`, into a destination of
    /// mark `marks.3` that keeps its chunks (`paced`: one per permit, one
    /// permit after every third poll), or never finishes a write (`busy`):
    /// the events of all three, what the destination kept, and whether
    /// the pipeline resolved.
    fn plain_or_shared_stage(
        shared: bool,
        chunks: u32,
        marks: (usize, usize, usize, usize),
        (copies, flushed): (Vec<usize>, u32),
        (paced, busy): (bool, bool),
    ) -> (Vec<String>, Vec<u32>, bool) {
        let log = Log::default();
        let mut source = Readable::from_iter(1..=chunks).with_high_water_mark(marks.0);
        source.observe(observer(&log, "s0"));
        let mut stage = Duplex::transform(Copies::new(copies, flushed))
            .with_writable_high_water_mark(marks.1)
            .with_readable_high_water_mark(marks.2);
        stage.observe(observer(&log, "s1"));
        let permits = Arc::new(AtomicUsize::new(0));
        let kept = Arc::new(Mutex::new(Vec::new()));
        let mut dest = if busy {
            Writable::new(Busy)
        } else {
            let permits = paced.then(|| Arc::clone(&permits));
            let kept = Arc::clone(&kept);
            Writable::new(Kept { permits, kept })
        }
        .with_high_water_mark(marks.3);
        dest.observe(observer(&log, "w"));
        let dest = Shared::new(dest);
        let chain = if shared {
            pipeline(source).pipe(Shared::new(stage))
        } else {
            pipeline(source).pipe(stage)
        };
        let mut future = chain.pipe(dest.clone());
        let mut cx = Context::from_waker(Waker::noop());
        let mut resolved = false;
        for _ in 0..60 {
            for _ in 0..3 {
                resolved = resolved || poll(&mut future).is_ready();
                let _ = dest.lock().poll_finish(&mut cx);
            }
            permits.fetch_add(1, Ordering::SeqCst);
        }
        let events = log.lock().unwrap().clone();
        let kept = kept.lock().unwrap().clone();
        (events, kept, resolved)
    }

    /// The source's and the stage's events of [`plain_or_shared_stage`].
    fn source_and_stage_events((events, ..): (Vec<String>, Vec<u32>, bool)) -> Vec<String> {
        events
            .into_iter()
            .filter(|event| !event.starts_with("w "))
            .collect()
    }

    proptest! {
        /// An observed plain stage takes each chunk by a `write`, as one
        /// behind a [`Shared`] handle does: the same events in the same
        /// order, and a destination that finishes its writes gets every
        /// chunk the stage pushed, in order.
        #[test]
        fn a_plain_stage_shows_what_a_shared_one_does(
            chunks in 0u32..6,
            marks in (0usize..3, 0usize..3, 0usize..3, 0usize..3),
            copies in proptest::collection::vec(0usize..4, 1..4),
            flushed in 0u32..3,
            sink in (any::<bool>(), proptest::bool::weighted(0.2)),
        ) {
            let pushed: Vec<u32> = (1..=chunks)
                .flat_map(|chunk| {
                    let times = copies[(chunk as usize - 1) % copies.len()];
                    std::iter::repeat_n(chunk, times)
                })
                .chain(0..flushed)
                .collect();
            let output = (copies.clone(), flushed);
            let plain = plain_or_shared_stage(false, chunks, marks, output.clone(), sink);
            let shared = plain_or_shared_stage(true, chunks, marks, output, sink);
            if !sink.1 {
                prop_assert!(plain.2);
                prop_assert_eq!(&plain.1, &pushed);
            }
            prop_assert_eq!(plain, shared);
        }
    }
}
