//! [`Pump`]: moving chunks from one source to its destinations, with
//! Node's backpressure; the heart of [`Pipe`](crate::Pipe) and of a
//! [`PipelineFuture`](crate::PipelineFuture).
//!
//! # States
//!
//! | state | meaning | left when |
//! |---|---|---|
//! | [`Stage::Idle`] | not started | `pipe()`, or building a pipeline: `pipe` on each destination → flowing |
//! | [`Stage::Flowing`] | chunks move; the source pauses while a destination waits for `drain` (the stages before it run ahead meanwhile) | the source ends → source done |
//! | [`Stage::SourceDone`] | the source ended | the destinations are ended (`end: true`; a pipeline unpipes them first) → ending, or detached (`end: false`) |
//! | [`Stage::Ending`] | waiting for every destination to finish | each one that finished gets `unpipe` (a pipe's) |
//!
//! Per destination: `attached` (not unpiped), and [`Awaiting`] whether it
//! waits for `drain`. An error ends the pump from any state; a source's
//! error leaves a pipe's destinations attached, as Node's pipe does.

use std::ops::DerefMut;
use std::task::{Context, Poll};

use super::chunk::Chunk;
use super::error::{Error, ErrorKind, Result};
use super::pipe_options::PipeOptions;
use super::readable_stream::ReadableStream;
use super::ticks::{next_stamp, stamp_now};
use super::writable_stream::WritableStream;

/// What happens to the other stages when one fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnError {
    /// Node's `pipe`: stop, leave the others as they are.
    Stop,
    /// Node's `pipeline`: destroy every stage that has not finished.
    DestroyAll,
}

/// Where a pump is; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Stage {
    Idle,
    Flowing,
    SourceDone,
    Ending,
}

/// What had happened before the pipe was made that Node's pipe handles
/// on the ticks queued before the source's `resume` it scheduled: the
/// pump's first poll acts on it, then clears it.
#[derive(Clone, Copy, Debug, Default)]
struct DueFirst {
    /// A destination had been ended (its `finish` due) or destroyed (its
    /// `close` due).
    destination_ended: bool,
    /// A destination that had finished had failed (its `error` due;
    /// `destination_ended` is set too).
    destination_failed: bool,
    /// The source had emitted `end`: Node's pipe handles that end on the
    /// next tick, before the source's `resume` it scheduled.
    source_ended: bool,
    /// A pipeline's source, a stage, had emitted `end` while the stages
    /// before it go on: Node's pipe unpipes on the next tick (readable.js
    /// `pipe`: `endEmitted`, `process.nextTick(endFn)`, `end: false`) the
    /// destinations closed before it, which the pipeline otherwise never
    /// hears from.
    stage_ended: bool,
}

impl DueFirst {
    fn any(self) -> bool {
        self.destination_ended || self.source_ended || self.stage_ended
    }
}

/// What [`Pump::read_while_waiting`] found.
enum WhileWaiting {
    /// The source's end: the destinations are to be ended.
    Ended,
    /// A chunk, written to the destinations.
    Wrote,
    /// Nothing yet.
    Nothing,
}

/// The state of moving chunks from one source to its destinations; shared
/// by [`Pipe`] and the last link of a pipeline.
#[derive(Debug)]
pub(crate) struct Pump<T> {
    options: PipeOptions,
    on_error: OnError,
    /// Copies a chunk for every destination but the last.
    fanout: Option<fn(&T) -> T>,
    /// The pipeline stage the source is, for its errors that do not say
    /// where they happened: its index and name.
    source_stage: Option<(usize, Option<String>)>,
    stage: Stage,
    /// Per destination: waiting for `drain`.
    awaiting: Awaiting,
    /// Per destination: still attached (not unpiped after an error).
    attached: Vec<bool>,
    /// Per destination: neither finished nor closed when it was piped, so
    /// its `finish`, `error` or `close` unpipes it (Node's pipe listens
    /// from `pipe()` on; nothing comes from a stream that closed before).
    live: Vec<bool>,
    /// Per destination: not closed when it was piped, so its `error` (a
    /// write after its end, say) unpipes it, even if it had finished.
    hears_error: Vec<bool>,
    /// Per destination: closed before the pipe, and no longer written
    /// to, but still one of the source's pipes for Node, which never
    /// hears from it: only the source's end with `end: false` (or
    /// `unpipe()`) undoes it, and the source pauses for the others only
    /// once it is undone.
    lingering: Vec<bool>,
    /// Not polled since the pipe was made: what was due before it.
    due_first: DueFirst,
    /// When the pipe was made, no destination had been destroyed and the
    /// source's `resume` was queued: the `error` or `close` of a
    /// destination destroyed since comes after that `resume`.
    resume_before_destroys: bool,
    /// Every destination had finished when the source's `end` came.
    destinations_finished_first: bool,
    /// The place in the tick order of the read that took the source's
    /// last chunk at its end: Node queued the source's `end` there.
    end_read_at: Option<u64>,
    /// The place in the tick order where the source's `end` ended the
    /// destinations, and queued its `close`: that `close` comes after the
    /// ticks they queued before it, and before those queued after.
    source_close_at: Option<u64>,
    /// A pipeline's source was destroyed without an error after its
    /// producer ended, with nothing left to read: it counts as finished,
    /// but has no `end` to end the destinations.
    source_closed_ended: bool,
    /// The source's `end` was emitted or queued when the pipe was made:
    /// it comes before what the pipe queued then (a pipeline's look at a
    /// destination that had closed: see [`Pump::closed_finished`]).
    source_end_due: bool,
    /// The stamp of the source's `resume_` queued when the pipe was made
    /// (`pipe()` schedules it), until it ran: each destination's `finish`
    /// queued after it waits for it (see
    /// [`WritableStream::source_tick_queued`]).
    source_tick: Option<u64>,
    /// The source knows it is piped ([`ReadableStream::piping`]).
    piping: bool,
    /// A pipe's source failed: its destinations stay attached, as Node's
    /// pipe leaves them, until `unpipe()` or their own end undoes them.
    source_failed: bool,
    first_error: Option<Error>,
}

impl<T: Chunk> Pump<T> {
    pub(crate) fn new(
        destinations: usize,
        options: PipeOptions,
        on_error: OnError,
        fanout: Option<fn(&T) -> T>,
    ) -> Self {
        Pump {
            options,
            on_error,
            fanout,
            stage: Stage::Idle,
            awaiting: Awaiting::new(destinations),
            attached: vec![true; destinations],
            live: vec![true; destinations],
            hears_error: vec![true; destinations],
            lingering: vec![false; destinations],
            due_first: DueFirst::default(),
            resume_before_destroys: false,
            source_end_due: false,
            source_tick: None,
            source_closed_ended: false,
            destinations_finished_first: false,
            end_read_at: None,
            source_close_at: None,
            piping: false,
            source_failed: false,
            first_error: None,
            source_stage: None,
        }
    }

    /// Names the source, pipeline stage `index`, in its errors that do not
    /// say where they happened.
    pub(crate) fn naming_source(mut self, index: usize, name: Option<&str>) -> Self {
        self.source_stage = Some((index, name.map(str::to_owned)));
        self
    }

    /// Moves chunks until the source ended and the destinations finished
    /// (or, with `end: false`, took the last chunk).
    pub(crate) fn poll<S, D>(
        &mut self,
        cx: &mut Context<'_>,
        source: &mut S,
        destinations: &mut [D],
    ) -> Poll<Result<()>>
    where
        S: ReadableStream<Output = T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        let polled = self.poll_pump(cx, source, destinations);
        if polled.is_ready() {
            self.stop_piping(source);
        }
        if polled.is_ready() || self.source_tick_ran(source).is_some() {
            self.release_source_tick(destinations);
        }
        if polled.is_ready() {
            self.release_source_close(destinations);
        }
        polled
    }

    fn poll_pump<S, D>(
        &mut self,
        cx: &mut Context<'_>,
        source: &mut S,
        destinations: &mut [D],
    ) -> Poll<Result<()>>
    where
        S: ReadableStream<Output = T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        match self.stage {
            Stage::Idle => self.start(source, destinations),
            // A poll is the start of a tick: the source, ended and no
            // longer read, delivers what it deferred (the `close` after
            // its `end`) before its destinations' events of this tick.
            Stage::Ending => {
                // A destination that another pipe's poll saw finish is
                // unpiped first: Node's pipe does so from its `finish`
                // listener, before the source's `close` queued after it.
                // A destination's tick queued before the source's `close`
                // (its `finish`, which unpipes it, pausing the source)
                // comes first: Node's `endReadableNT` emits `end`, whose
                // pipe listener ends the destinations, and only then
                // queues the `close` (readable.js `endReadableNT`,
                // `autoDestroy`). A transform's `finish` may wait for a
                // pipe out of it to take its `end`.
                let close_waits = self
                    .source_close_at
                    .is_some_and(|close| self.destination_ticks_before(destinations, close));
                if !self.finished_elsewhere(destinations) && !close_waits {
                    source.flush_events();
                    self.release_source_close(destinations);
                }
                // A stage before the source failed after the end it passed
                // on (a middle stage ended before its upstream): Node's
                // pipeline fails then, destroying the destinations still
                // finishing (pipeline.js, `finishImpl`).
                if self.on_error == OnError::DestroyAll
                    && let Some(error) = source.failure()
                {
                    return Poll::Ready(Err(self.source_failed(error, source, destinations)));
                }
            }
            // The work of destinations ended or destroyed before the pipe
            // was made (a `finish` or a `close` due) comes before the
            // source's `resume`, which the pipe scheduled after it: a
            // `close` unpipes, pausing the source first.
            Stage::Flowing if self.due_first.any() => {
                let due = std::mem::take(&mut self.due_first);
                // The source's `end`, queued by a read before the pipe and
                // before the destinations' ticks, comes first: its read
                // below ends the pipe (readable.js `endReadableNT`).
                let source_end_first = source
                    .queued_end()
                    .is_some_and(|end| !self.destination_ticks_before(destinations, end));
                if due.destination_ended && !self.destroyed_since(destinations) && !source_end_first
                {
                    self.drive(cx, source, destinations, true);
                    // A pipeline that fails at a destination's `close`
                    // after its `finish`: the source's `resume_`, queued
                    // by the pipe, comes first; one destroyed before the
                    // pipe closes before that `resume_`.
                    if self.resume_before_destroys {
                        self.run_source_before_failure(cx, source);
                    }
                    if due.destination_failed {
                        self.unpipe_failed_before(source, destinations);
                    }
                }
                if due.stage_ended {
                    self.unpipe_closed_before(source, destinations);
                }
                // A source that had ended: its end is handled (the
                // destinations ended, or unpiped with `end: false`) on the
                // tick `pipe()` queued before the source's `resume`
                // (readable.js, `process.nextTick(endFn)` in `pipe`).
                if due.source_ended {
                    self.stage = Stage::SourceDone;
                }
            }
            Stage::Flowing | Stage::SourceDone => {}
        }
        loop {
            if !self.attached.contains(&true) {
                if self.stage >= Stage::SourceDone {
                    self.end_detached(destinations);
                }
                // Every destination was unpiped: nothing more is read.
                if let Some(error) = self.settle_errors(source, destinations) {
                    return Poll::Ready(Err(error));
                }
                return Poll::Ready(Ok(()));
            }
            let mut source_pending = false;
            let mut took = false;
            let mut end_polled = false;
            // What the source's ticks write into a destination comes
            // after the destination's own ticks queued before them.
            if let Some(stamp) = source.oldest_tick() {
                for (destination, _) in destinations
                    .iter_mut()
                    .zip(&self.attached)
                    .filter(|(_, on)| **on)
                {
                    destination.run_ticks_before(stamp);
                }
            }
            // Node's `flow()` reads while the source flows: a `resume()`
            // by hand reads on although a destination waits for `drain`.
            while self.stage == Stage::Flowing && (!self.awaiting.any() || source.flows()) {
                // The `end` a read queued (readable.js `endReadable`), and
                // the `error` and `close` a destroy queued (or will queue,
                // after what is queued now, for a failure inside a call),
                // come after the destinations' older ticks: a `finish` or
                // `close` that unpipes pauses the source first
                // (readable.js:1037-1051 `onclose`, `onfinish`, `unpipe`).
                // Asked only when a destination has a tick queued: the
                // source's stamps cost a look through its queue per chunk.
                if let Some(oldest) = self.destinations_oldest_tick(destinations)
                    && source.ending_tick().is_some_and(|tick| oldest < tick)
                {
                    self.drive(cx, source, destinations, false);
                    if !self.attached.contains(&true) {
                        break;
                    }
                }
                if let [destination] = destinations
                    && self.attached[0]
                    && let Some((queue, high_water_mark)) = destination.batch_target()
                {
                    // One destination: many chunks at once, each `write` but
                    // the last returning true.
                    match source.poll_read_into(cx, queue, high_water_mark) {
                        Poll::Ready(Some(Ok(()))) => {
                            took = true;
                            self.note_end_read(source);
                            destination.after_batch();
                            if destination.needs_drain() {
                                self.awaiting.set(0, true);
                                source.pause();
                            }
                            continue;
                        }
                        Poll::Ready(Some(Err(error))) => {
                            return Poll::Ready(Err(self.source_failed(
                                error,
                                source,
                                destinations,
                            )));
                        }
                        // The end is seen here, before another read
                        // delivers the `close` queued after `end`.
                        Poll::Ready(None) if self.source_ended(source) => {
                            self.stage = Stage::SourceDone;
                            break;
                        }
                        Poll::Ready(None) => {}
                        Poll::Pending => {
                            source_pending = true;
                            break;
                        }
                    }
                }
                match source.poll_next_chunk(cx) {
                    Poll::Ready(Some(Ok(chunk))) => {
                        took = true;
                        self.note_end_read(source);
                        self.write(chunk, source, destinations);
                        if self.first_error.is_some()
                            && !self.attached.contains(&true)
                            && !source.drained_at_end()
                        {
                            // The write failed the last destination: Node's
                            // pipe is undone, nothing more is read for it
                            // (the read that took the last chunk still saw
                            // the end: `end` follows).
                            break;
                        }
                    }
                    Poll::Ready(Some(Err(error))) => {
                        return Poll::Ready(Err(self.source_failed(error, source, destinations)));
                    }
                    Poll::Ready(None) if self.source_ended(source) => {
                        self.stage = Stage::SourceDone
                    }
                    Poll::Ready(None)
                        if self.on_error == OnError::DestroyAll
                            && source.failure().is_none()
                            && source.drained_at_end() =>
                    {
                        // Node's pipeline judges a source destroyed after
                        // its producer ended by `finished`, which counts it
                        // finished if nothing was left to read (utils.js,
                        // `isReadableFinished(stream, false)`); it never
                        // emits `end`, so the destinations are neither
                        // unpiped nor ended: they finish by themselves.
                        self.source_closed_ended = true;
                        self.stage = Stage::SourceDone;
                    }
                    Poll::Ready(None) => {
                        // Node's pipe learns of a destroyed source's end
                        // from `finished`: its error, if it had one.
                        let error = source
                            .failure()
                            .unwrap_or_else(|| Error::from_kind(ErrorKind::PrematureClose));
                        return Poll::Ready(Err(self.source_failed(error, source, destinations)));
                    }
                    // The `end` the read of the source's `resume_` queued
                    // (readable.js:473-475 `endReadable`) comes at its own
                    // tick: here, inside this pipe, when no destination
                    // queued a tick before it, so that its `unpipe` and
                    // `pause` come before the auto-destroy's `close`.
                    Poll::Pending
                        if !end_polled
                            && source.queued_end().is_some_and(|end| {
                                self.destinations_oldest_tick(destinations)
                                    .is_none_or(|oldest| oldest > end)
                            }) =>
                    {
                        end_polled = true;
                    }
                    Poll::Pending => {
                        source_pending = true;
                        break;
                    }
                }
            }
            if took
                && self.stage == Stage::Flowing
                && self.awaiting.any()
                && source.drained_at_end()
            {
                // Node's `read()` that took the last chunk saw the end:
                // `end` comes although the source waits for `drain`
                // (readable.js, `endReadable` from `read()`).
                match self.read_while_waiting(cx, source, destinations, false) {
                    Ok(WhileWaiting::Wrote) => continue,
                    Ok(WhileWaiting::Ended | WhileWaiting::Nothing) => {}
                    Err(error) => return Poll::Ready(Err(error)),
                }
            }
            let was_waiting = self.awaiting.any();
            if self.end_read_first(destinations) {
                // The destinations' ticks wait for the source's `end` (see
                // `end_read_first`). The source wrote its last: its
                // `resume_` holds no destination's `finish` any longer.
                self.release_source_tick(destinations);
            } else {
                self.drive(cx, source, destinations, false);
            }
            self.run_source_before_failure(cx, source);
            if let Some(error) = self.settle_errors(source, destinations) {
                return Poll::Ready(Err(error));
            }
            // The last `drain` resumes the source; a destination unpiped
            // at its `finish` took the pipe's data listener with it, and
            // with no other pipe nothing resumes (readable.js,
            // `pipeOnDrain` and pipe's `cleanup`).
            if was_waiting && !self.awaiting.any() && self.pipes_left() {
                source.resume();
            }
            if self.stage >= Stage::SourceDone {
                return self.poll_end(cx, source, destinations);
            }
            if self.awaiting.any() {
                // The stages before the source run ahead meanwhile, up to
                // the tick that emits an awaited `drain` (a transform's
                // flow that calls its held write callback). A destroyed
                // source's `error` and `close` still come now: the chunks
                // the pipe holds are dropped at them.
                let drain_at = if source.destroy_tick().is_some() {
                    u64::MAX
                } else {
                    (0..destinations.len())
                        .filter(|&index| self.awaiting.waits(index))
                        .filter_map(|index| destinations[index].oldest_tick())
                        .min()
                        .unwrap_or(u64::MAX)
                };
                if let Err(error) = source.poll_ahead_before(cx, drain_at)
                    && self.on_error == OnError::DestroyAll
                {
                    return Poll::Ready(Err(self.source_failed(error, source, destinations)));
                }
                if self.stage == Stage::Flowing && source.is_ended() {
                    // Its ticks emitted `end` (a `resume_` whose `read(0)`
                    // found the end).
                    match self.read_while_waiting(cx, source, destinations, true) {
                        Ok(WhileWaiting::Ended) => {
                            return self.poll_end(cx, source, destinations);
                        }
                        Ok(WhileWaiting::Wrote) => continue,
                        Ok(WhileWaiting::Nothing) => {}
                        Err(error) => return Poll::Ready(Err(error)),
                    }
                }
                // Node's pipe does not listen for its source's `error`: it
                // waits for `drain`, resumes the source, and its next read
                // finds the failure.
                return Poll::Pending;
            }
            // A source with nothing yet wakes the pipe when it has more;
            // a pipe left without destinations ends now (at the loop's
            // top), as nothing else would wake it.
            if source_pending && self.attached.contains(&true) {
                return Poll::Pending;
            }
        }
    }

    /// Attaches the destinations: `pipe` on each, then, as Node's `pipe()`
    /// decides for each destination in turn, the source pauses if it
    /// waits for `drain` and flows otherwise (so the last one decides).
    pub(crate) fn start<S, D>(&mut self, source: &mut S, destinations: &mut [D])
    where
        S: ReadableStream<Output = T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        self.stage = Stage::Flowing;
        self.piping = true;
        // A pipe with `end: false`, and a pipeline's, unpipes at the
        // source's `end`. With `end: true`, the destinations' `finish`
        // (which unpipes them) comes on a later tick than the source's
        // `resume`; so does the pipe's tick for a source that had ended if
        // that `resume` was queued before it, and a second destination's
        // (Node pipes them one after the other, and pauses the source at
        // the last one's `unpipe`). A pipeline's middle stage has ended
        // only once the stages before it are done.
        let unpipes_at_end = !self.options.end || self.on_error == OnError::DestroyAll;
        self.due_first.source_ended = unpipes_at_end
            && destinations.len() == 1
            && source.end_emitted()
            && !source.resume_queued();
        self.due_first.stage_ended = self.on_error == OnError::DestroyAll
            && source.own_end_emitted()
            && !source.end_emitted()
            && !source.resume_queued();
        self.source_end_due = source.end_emitted() || source.queued_end().is_some();
        source.piping(true);
        self.resume_before_destroys = true;
        for (index, destination) in destinations.iter_mut().enumerate() {
            destination.piped(true);
            // The source's `resume` comes after the destination's
            // `close` when this `pipe()` schedules it, or when it was
            // scheduled after the destroy that queued that `close`.
            let resumes = !source.resume_queued()
                || destination
                    .destroy_tick()
                    .zip(source.queued_resume())
                    .is_some_and(|(closed, resume)| closed < resume);
            source.listen_data();
            self.live[index] = !destination.is_finished() && !destination.is_closed();
            self.hears_error[index] = !destination.is_closed();
            self.due_first.destination_failed |=
                !self.live[index] && self.hears_error[index] && destination.failure().is_some();
            // A destination destroyed before the source's `resume` was
            // scheduled closes first.
            self.due_first.destination_ended |= destination.is_ending()
                || (destination.is_destroyed() && !destination.is_closed() && resumes);
            self.resume_before_destroys &= !destination.is_destroyed();
            let waits = destination.needs_drain();
            self.awaiting.set(index, waits);
            if waits {
                source.pause();
            } else {
                source.resume();
            }
        }
        self.resume_before_destroys &= source.resume_queued();
        self.source_tick = source.queued_resume();
        if let Some(stamp) = self.source_tick {
            for destination in destinations.iter_mut() {
                destination.source_tick_queued(stamp);
            }
        }
    }

    fn write<S, D>(&mut self, chunk: T, source: &mut S, destinations: &mut [D])
    where
        S: ReadableStream<Output = T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        let last = self.attached.iter().rposition(|&a| a);
        let Some(last) = last else { return };
        let mut chunk = Some(chunk);
        for (index, destination) in destinations.iter_mut().enumerate() {
            if !self.attached[index] {
                continue;
            }
            let piece = if index == last {
                chunk.take().expect("the last destination takes the chunk")
            } else {
                let copy = self
                    .fanout
                    .expect("several destinations need a way to copy");
                copy(chunk.as_ref().expect("the chunk is kept for the last"))
            };
            match destination.write(piece) {
                Ok(true) => {}
                Ok(false) => self.awaiting.set(index, true),
                // Refused without an `error`: Node's pipe waits for a
                // `drain` that never comes.
                Err(_) if self.closed_finished(index, &**destination) => {
                    self.awaiting.set(index, true);
                }
                Err(error) => {
                    self.destination_failed(index, error, source, &mut **destination);
                    // Node's refused `write` returned false: the pipe
                    // pauses the source for this destination's `drain`,
                    // which never comes; its `error` unpipes it, and only
                    // a destination that needed a drain is then let go of
                    // (readable.js, `ondata` → `pause()`, and `cleanup`).
                    self.awaiting.set(index, !destination.needs_drain());
                }
            }
        }
        if self.awaiting.any() {
            source.pause();
        }
    }

    /// The source's end (readable.js pipe's `onend`, pipeline.js
    /// `endFn`): `end()` on each destination the pipe no longer writes to
    /// whose end listener Node still has: every one of a pipeline's (it
    /// ends its destination from the source's `end` whatever came
    /// before), and a pipe's destination closed before the pipe, which
    /// never undid it (its `close` came before the pipe listened). A
    /// destination destroyed without an error is then ended (writable.js
    /// `end` sets `ending` on it); for the others `end()` only reports to
    /// a callback, which neither passes.
    #[cold]
    fn end_detached<D>(&mut self, destinations: &mut [D])
    where
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        if !self.options.end {
            return;
        }
        for (index, destination) in destinations.iter_mut().enumerate() {
            let listens = self.on_error == OnError::DestroyAll || self.lingering[index];
            if !self.attached[index] && listens && !destination.is_finished() {
                let _ = destination.end();
            }
        }
    }

    /// Lets the destinations deliver their ticks; `first_poll`: the
    /// pipe's first, where a destination whose `finish` is due waits for
    /// a source's flow queued before it (see [`Pump::flows_first`]).
    fn drive<S, D>(
        &mut self,
        cx: &mut Context<'_>,
        source: &mut S,
        destinations: &mut [D],
        first_poll: bool,
    ) where
        S: ReadableStream<Output = T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        for (index, destination) in destinations.iter_mut().enumerate() {
            if !self.attached[index] || (first_poll && self.flows_first(source, &**destination)) {
                continue;
            }
            // What the destination's ticks make the pipe do to the source
            // comes after the source's own ticks queued before them.
            if let Some(stamp) = destination
                .oldest_tick()
                .or_else(|| failing_sink_tick(&**destination))
            {
                let source_fails_first = self.on_error == OnError::DestroyAll
                    && source
                        .destroy_tick()
                        .is_some_and(|destroyed| destroyed < stamp);
                source.run_ticks_before(stamp);
                if source_fails_first {
                    // Node's pipeline hears of the source's `error` or
                    // `close` first (end-of-stream.js:136-142, `onerror`,
                    // `onclose`): the next read of it fails the pipeline,
                    // destroying this destination before its tick.
                    return;
                }
                source.run_reads_before(cx, stamp);
            }
            if let Some(stamp) = self.source_tick_ran(source) {
                destination.source_tick_ran(stamp);
            }
            match destination.poll_drain(cx) {
                // An ended destination emits no `drain` (writable.js,
                // `afterWrite`): the source waits on until its `finish`
                // unpipes it.
                Poll::Ready(Ok(())) if self.awaiting.waits(index) && destination.is_ending() => {}
                Poll::Ready(Ok(())) => self.awaiting.set(index, false),
                Poll::Ready(Err(_)) if self.closed_finished(index, &**destination) => {}
                Poll::Ready(Err(error)) => {
                    if self.on_error == OnError::DestroyAll
                        && !self.hears_error[index]
                        && !self.source_end_due
                    {
                        // Node's pipeline hears of a destination that had
                        // closed on a tick it queued after the `resume_`
                        // its pipe queued (pipeline.js:420 and 463, `pipe`:
                        // `src.pipe(dst)` before `eos(dst)`;
                        // end-of-stream.js:208-209, `nextTick(onclose)`);
                        // a source's end, due first, is the pipe's first.
                        source.run_reads_before(cx, stamp_now());
                    }
                    self.destination_failed(index, error, source, &mut **destination);
                    continue;
                }
                Poll::Pending => {}
            }
            if self.stage == Stage::Flowing && self.live[index] && destination.is_finished() {
                self.finished_early(index, source, &mut **destination);
            }
        }
    }

    fn poll_end<S, D>(
        &mut self,
        cx: &mut Context<'_>,
        source: &mut S,
        destinations: &mut [D],
    ) -> Poll<Result<()>>
    where
        S: ReadableStream<Output = T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        if !self.options.end {
            self.detach_all(source, destinations);
            return Poll::Ready(self.first_error.take().map_or(Ok(()), Err));
        }
        if std::mem::take(&mut self.source_closed_ended) {
            self.stage = Stage::Ending;
        }
        let close_queued = self.stage == Stage::SourceDone;
        if close_queued {
            self.stage = Stage::Ending;
            if self.on_error == OnError::DestroyAll {
                // Node's `pipeline` pipes with `end: false` and ends each
                // destination from the source's `end`: the pipe is undone
                // first (the source pauses, `unpipe`), then `end()`.
                source.pause();
                for (index, destination) in destinations.iter_mut().enumerate() {
                    if self.attached[index] {
                        destination.piped(false);
                    }
                }
            }
            self.destinations_finished_first = destinations.iter().all(|d| d.is_finished());
            // Node queued the source's own `finish` before the
            // destinations' that ending them queues now.
            source.run_due_finish();
            self.end_detached(destinations);
            for (index, destination) in destinations.iter_mut().enumerate() {
                // Node's `end()` on a finished stream only reports to its
                // callback, which a pipe does not pass. A destroyed one
                // refuses it; `poll_finish` below reports its own error.
                if self.attached[index]
                    && !destination.is_finished()
                    && let Err(error) = destination.end()
                    && error.kind() != ErrorKind::Destroyed
                {
                    self.destination_failed(index, error, source, &mut **destination);
                }
            }
            if self.lingering.contains(&true) {
                self.end_lingering(source, destinations);
            }
            // The source's `close` is queued now (readable.js:1713-1714,
            // `destroy()` → destroy.js `nextTick(emitCloseNT)`): a
            // destination's `finish` queued after it waits for it.
            let close = next_stamp();
            self.source_close_at = Some(close);
            for (index, destination) in destinations.iter_mut().enumerate() {
                if self.attached[index] {
                    destination.source_tick_queued(close);
                }
            }
            // What the source queued before its `end` (its `resume`, a
            // duplex's `finish`) comes before the destinations' `finish`,
            // which `end()` queued after it.
            source.ticks_before_end_first();
        }
        let mut pending = false;
        for (index, destination) in destinations.iter_mut().enumerate() {
            if !self.attached[index] {
                continue;
            }
            match destination.poll_finish(cx) {
                Poll::Ready(Ok(())) => {
                    self.attached[index] = false;
                    // Node's pipe unpipes a destination at its `finish`;
                    // one that had finished before keeps the pipe, unless
                    // it failed since (a write after its end).
                    if !self.unpiped_at_end()
                        && (self.live[index]
                            || (self.hears_error[index] && destination.failure().is_some()))
                    {
                        self.unpipe_finished(index, source, &mut **destination);
                    } else {
                        // Closed before the pipe: Node's pipe never hears
                        // from it, and keeps it among the source's pipes.
                        self.lingering[index] = !self.hears_error[index] && !self.unpiped_at_end();
                    }
                }
                Poll::Ready(Err(_)) if self.closed_finished(index, &**destination) => {
                    self.attached[index] = false;
                }
                Poll::Ready(Err(error)) => {
                    self.destination_failed(index, error, source, &mut **destination)
                }
                Poll::Pending => pending = true,
            }
        }
        if let Some(error) = self.settle_errors(source, destinations) {
            return Poll::Ready(Err(error));
        }
        if pending {
            // The source's `close`, queued now, is a tick that runs at
            // the next poll, whatever the destinations wait for (a
            // `finish` queued after it).
            if close_queued {
                cx.waker().wake_by_ref();
            }
            return Poll::Pending;
        }
        Poll::Ready(self.first_error.take().map_or(Ok(()), Err))
    }

    /// Detaches destination `index` (Node's `unpipe(dest)`): `unpipe` on
    /// it; the source resumes if it only waited for this one, and pauses
    /// if no destination is left. Returns false if it was not attached.
    pub(crate) fn unpipe<S, D>(
        &mut self,
        index: usize,
        source: &mut S,
        destinations: &mut [D],
    ) -> bool
    where
        S: ReadableStream<Output = T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        if self.lingering.get(index).copied().unwrap_or(false) {
            self.lingering[index] = false;
            self.attached[index] = true;
        }
        if !self.attached.get(index).copied().unwrap_or(false) {
            return false;
        }
        let destination = &destinations[index];
        if self.source_failed
            && self.live[index]
            && (destination.is_finished()
                || destination.is_closed()
                || destination.failure().is_some())
        {
            // Node's pipe undid it at its `finish`, `error` or `close`.
            self.attached[index] = false;
            return false;
        }
        let was_waiting = self.awaiting.any();
        self.attached[index] = false;
        self.awaiting.set(index, false);
        if !self.pipes_left() {
            source.pause();
            self.stop_piping(source);
        } else if was_waiting && !self.awaiting.any() {
            source.resume();
        }
        if let Some(stamp) = self.source_tick {
            destinations[index].source_tick_ran(stamp);
        }
        destinations[index].unpiped_now();
        true
    }

    /// After the source failed: detaches each destination that finished,
    /// failed or closed since, as Node's pipe, still attached, does from
    /// its `finish`, `error` or `close` listener (readable.js, `onfinish`,
    /// `onerror`, `onclose` in `pipe`): `src.unpipe(dest)` pauses the
    /// source once none is left, even a destroyed one, then `unpipe`.
    /// And passes the source's `end` on to the destinations closed before
    /// the pipe ([`Pump::end_lingering`]). True once no destination is
    /// attached.
    pub(crate) fn unpipe_done<S, D>(&mut self, source: &mut S, destinations: &mut [D]) -> bool
    where
        S: ReadableStream<Output = T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        if self.source_failed {
            for (index, destination) in destinations.iter_mut().enumerate() {
                let finished = destination.is_finished() || destination.is_closed();
                if self.attached[index]
                    && ((self.live[index] && finished)
                        || (self.hears_error[index] && destination.failure().is_some()))
                {
                    self.attached[index] = false;
                    self.pause_if_none_left(source);
                    destination.piped(false);
                }
            }
        }
        if self.stage < Stage::Ending && self.lingering.contains(&true) && source.end_emitted() {
            self.stage = Stage::Ending;
            self.end_lingering(source, destinations);
        }
        !self.attached.contains(&true)
    }

    /// The source's `end` reaches the destinations closed before the pipe,
    /// which Node's pipe still holds: with `end: true` it ends them
    /// (readable.js, `onend` in `pipe`), which a destroyed stream takes
    /// silently, as ended (writable.js, `end`); with `end: false` it
    /// undoes their pipes.
    #[cold]
    fn end_lingering<S, D>(&mut self, source: &mut S, destinations: &mut [D])
    where
        S: ReadableStream<Output = T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        if !self.options.end {
            self.detach_all(source, destinations);
            return;
        }
        for (index, destination) in destinations.iter_mut().enumerate() {
            if self.lingering[index] {
                let _ = destination.end();
            }
        }
    }

    /// A pipeline heard of `error` before its first tick's work (a stage
    /// had closed with it before the pipeline): its first poll fails with
    /// it, destroying every stage with it.
    pub(crate) fn fail_first(&mut self, error: Error) {
        self.first_error = Some(error);
    }

    /// Detaches what is still attached when the pipe is dropped: `unpipe`
    /// on each, and the source pauses unless it already ended.
    pub(crate) fn abandon<S, D>(&mut self, source: &mut S, destinations: &mut [D])
    where
        S: ReadableStream<Output = T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        self.stop_piping(source);
        self.release_source_tick(destinations);
        self.release_source_close(destinations);
        if self.stage == Stage::Idle || self.source_failed || !self.attached.contains(&true) {
            return;
        }
        if self.stage == Stage::Flowing {
            source.pause();
        }
        self.detach_all(source, destinations);
    }

    /// Undoes the pipes into the destinations that had closed before them,
    /// from a pipeline's stage that had ended before (`DueFirst::stage_ended`):
    /// the source pauses, `unpipe`.
    #[cold]
    fn unpipe_closed_before<S, D>(&self, source: &mut S, destinations: &mut [D])
    where
        S: ReadableStream<Output = T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        for (destination, _) in destinations
            .iter_mut()
            .zip(&self.hears_error)
            .filter(|(_, hears)| !**hears)
        {
            source.pause();
            destination.piped(false);
        }
    }

    /// Unpipes every destination still attached, in order; the source
    /// pauses before the last one's `unpipe`, as Node's `unpipe(dest)`.
    fn detach_all<S, D>(&mut self, source: &mut S, destinations: &mut [D])
    where
        S: ReadableStream<Output = T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        for (index, destination) in destinations.iter_mut().enumerate() {
            if self.attached[index] || std::mem::take(&mut self.lingering[index]) {
                self.attached[index] = false;
                self.pause_if_none_left(source);
                destination.piped(false);
            }
        }
    }

    /// True once the source's `end` came after every destination had
    /// finished: the source's `finished` was the last a pipeline awaited.
    pub(crate) fn destinations_finished_first(&self) -> bool {
        self.destinations_finished_first
    }

    /// The pipe no longer reads the source: chunks `read()` takes are the
    /// caller's alone again.
    pub(crate) fn stop_piping<S>(&mut self, source: &mut S)
    where
        S: ReadableStream<Output = T> + ?Sized,
    {
        if std::mem::take(&mut self.piping) {
            source.piping(false);
        }
    }

    /// True if an attached destination this pipe listens to has finished
    /// (a `finish` another pipe's poll delivered), not yet unpiped.
    fn finished_elsewhere<D>(&self, destinations: &[D]) -> bool
    where
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        destinations
            .iter()
            .zip(self.attached.iter().zip(&self.live))
            .any(|(destination, (&attached, &live))| attached && live && destination.is_finished())
    }

    /// A read took chunks: if it took the source's last at its end, the
    /// place of the `end` it queued, before the writes of those chunks
    /// (see [`Pump::end_read_first`]).
    #[inline]
    fn note_end_read<S>(&mut self, source: &S)
    where
        S: ReadableStream<Output = T> + ?Sized,
    {
        if source.drained_at_end() {
            self.end_read_at = Some(stamp_now());
        }
    }

    /// True when the source's `end` was found by the read that took its
    /// last chunk, and no destination has a tick (an after-write tick
    /// included) queued before that read:
    /// Node's `read()` queued `endReadableNT` there (readable.js:775-777),
    /// before the after-write tick of the chunk's write, so the source's
    /// `end` (ending the destinations) comes first, and a destination's
    /// `finish` is queued by that after-write tick, after the source's
    /// `close` (writable.js:717-718, `finishMaybe(stream, state, true)`).
    fn end_read_first<D>(&self, destinations: &[D]) -> bool
    where
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        self.stage == Stage::SourceDone
            && self.end_read_at.is_some_and(|end| {
                !self.destination_ticks_before(destinations, end)
                    && !destinations.iter().any(|destination| {
                        destination
                            .after_write_tick()
                            .is_some_and(|tick| tick < end)
                    })
            })
    }

    /// The source's flow (the `resume_` `pipe()` queued, or an
    /// `emitReadable_` a push queued), queued before the destination's
    /// oldest tick while its `finish` is due (an `end()`), comes first:
    /// its `data` goes to the destination before that tick
    /// (readable.js:1254-1265 `resume_`, 830-848 `emitReadable_`,
    /// 1280-1284 `flow()`; a write after the destination's end fails it
    /// after its `finish`), so the pump reads before it lets the
    /// destination deliver the tick.
    fn flows_first<S, W>(&self, source: &S, destination: &W) -> bool
    where
        S: ReadableStream<Output = T> + ?Sized,
        W: WritableStream<Input = T> + ?Sized,
    {
        self.stage == Stage::Flowing
            && !self.awaiting.any()
            && destination.finish_due()
            && source
                .queued_flow()
                .zip(destination.oldest_tick())
                .is_some_and(|(flow, tick)| flow < tick)
    }

    /// True while an attached destination has a tick queued before the
    /// tick stamped `stamp` (Node's one `nextTick` queue runs it first).
    fn destination_ticks_before<D>(&self, destinations: &[D], stamp: u64) -> bool
    where
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        self.destinations_oldest_tick(destinations)
            .is_some_and(|tick| tick < stamp)
    }

    /// The oldest tick queued on an attached destination.
    #[inline]
    fn destinations_oldest_tick<D>(&self, destinations: &[D]) -> Option<u64>
    where
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        destinations
            .iter()
            .zip(&self.attached)
            .filter(|(_, attached)| **attached)
            .filter_map(|(destination, _)| destination.oldest_tick())
            .min()
    }

    /// The stamp of the source's tick the destinations' `finish` waits
    /// for, once the source's `resume_` ran or the source ended (it
    /// writes nothing more).
    fn source_tick_ran<S>(&self, source: &S) -> Option<u64>
    where
        S: ReadableStream<Output = T> + ?Sized,
    {
        self.source_tick.filter(|&stamp| {
            self.stage >= Stage::SourceDone || source.queued_resume() != Some(stamp)
        })
    }

    /// The destinations' `finish` no longer waits for the source's tick:
    /// it ran, or the pipe is done or dropped.
    pub(crate) fn release_source_tick<D>(&mut self, destinations: &mut [D])
    where
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        if let Some(stamp) = self.source_tick.take() {
            for destination in destinations.iter_mut() {
                destination.source_tick_ran(stamp);
            }
        }
    }

    /// The source's `close` queued at its `end` came (or the pipe is
    /// done): the destinations' `finish` no longer waits for it.
    fn release_source_close<D>(&mut self, destinations: &mut [D])
    where
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        if let Some(close) = self.source_close_at {
            for destination in destinations.iter_mut() {
                destination.source_tick_ran(close);
            }
        }
    }

    /// Node's `src.unpipe(dest)` pauses the source when it took away the
    /// last destination (readable.js, `Readable.prototype.unpipe`), before
    /// the destination's `unpipe`; call it once that one is detached.
    fn pause_if_none_left<S>(&self, source: &mut S)
    where
        S: ReadableStream<Output = T> + ?Sized,
    {
        if !self.pipes_left() {
            source.pause();
        }
    }

    /// True while the source is still piped, for Node, into one of the
    /// destinations (attached, or lingering): a pipe's data listener is
    /// left.
    fn pipes_left(&self) -> bool {
        self.attached.contains(&true) || self.lingering.contains(&true)
    }

    /// True once a pipeline's source ended: its destinations got `unpipe`
    /// then, before they were ended.
    fn unpiped_at_end(&self) -> bool {
        self.stage == Stage::Ending && self.on_error == OnError::DestroyAll
    }

    /// After a pipeline destroyed a destination with its error: `unpipe`,
    /// delivered before that `error`, as Node's pipe detaches it from its
    /// `error` listener (unless it was detached at the source's end).
    fn unpipe_failing<W>(&self, destination: &mut W)
    where
        W: WritableStream<Input = T> + ?Sized,
    {
        if !self.unpiped_at_end() {
            destination.piped(false);
        }
    }

    /// A failing pipeline destroys the destinations still attached: each
    /// gets `unpipe` just before its `error`, and the source pauses then,
    /// after the events it deferred itself (it was destroyed first, or
    /// failed), as Node's pipe does from a destination's `error`.
    fn unpipe_destroyed<S, D>(&self, error: &Error, source: &mut S, destinations: &mut [D])
    where
        S: ReadableStream<Output = T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        let mut unpiped = false;
        for (index, destination) in destinations.iter_mut().enumerate() {
            if self.attached[index] && !destination.is_finished() {
                destination.destroy(Some(error.clone()));
                // One closed before the pipe has no `error` to come.
                if self.live[index] {
                    self.unpipe_failing(&mut **destination);
                    unpiped = true;
                }
            }
        }
        if unpiped && !self.unpiped_at_end() {
            source.flush_events();
            source.pause();
        }
    }

    /// A pipeline's destination that had closed, destroyed without an
    /// error, before the pipeline: Node's pipeline judges it by `finished`
    /// on the tick after it was made (end-of-stream.js, `onclose`), which
    /// counts it finished if it was ended with nothing queued (utils.js,
    /// `isWritableFinished(stream, false)`): by hand, or by the pipeline's
    /// own `end()` at the source's `end` when that end was due first, but
    /// not if its destroy cancelled a write in progress, which keeps
    /// counting in its length (writable.js `errorBuffer` drops only the
    /// buffered chunks). Such a destination refuses writes without an `error`; the pipe then
    /// waits for a `drain` that never comes.
    fn closed_finished<W>(&self, index: usize, destination: &W) -> bool
    where
        W: WritableStream<Input = T> + ?Sized,
    {
        self.on_error == OnError::DestroyAll
            && !self.hears_error[index]
            && destination.failure().is_none()
            && (destination.finished_loosely()
                || (self.source_end_due
                    && self.stage == Stage::SourceDone
                    && !destination.write_cancelled()))
    }

    /// After a destination failed: Node's pipeline destroys the source at
    /// that destination's `error` or `close`, a tick later, so what the
    /// paused source queued before (the `maybeReadMore_` of its push, the
    /// `resume_` of the pipe) runs first, and only that (what those ticks
    /// queue comes after); the first error stays the pipeline's.
    #[inline]
    fn run_source_before_failure<S>(&self, cx: &mut Context<'_>, source: &mut S)
    where
        S: ReadableStream<Output = T> + ?Sized,
    {
        if self.first_error.is_some() && self.on_error == OnError::DestroyAll {
            let _ = source.poll_ahead_before(cx, stamp_now());
        }
    }

    /// A destination destroyed since the pipe was made (after its `end()`,
    /// say), before its `finish`: that `finish` never comes, unless a
    /// final hook queued it (writable.js:870-884, `needFinish` wants it not
    /// destroyed; `onFinish`, writable.js:902, queues `finish` unchecked),
    /// and its `error` or `close`, queued after the `resume` the pipe
    /// scheduled, unpipes it later.
    #[cold]
    fn destroyed_since<D>(&self, destinations: &[D]) -> bool
    where
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        self.resume_before_destroys
            && destinations.iter().any(|destination| {
                destination.is_destroyed()
                    && !destination.is_finished()
                    && !destination.finish_due()
            })
    }

    /// Destinations that had finished, then failed (a write after their
    /// end) before the pipe was made: each one's `error`, queued before
    /// the source's `resume`, unpipes it first (readable.js, `onerror` in
    /// `pipe`), pausing the source if it was the last.
    #[cold]
    fn unpipe_failed_before<S, D>(&mut self, source: &mut S, destinations: &mut [D])
    where
        S: ReadableStream<Output = T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        for (index, destination) in destinations.iter_mut().enumerate() {
            if self.attached[index]
                && !self.live[index]
                && self.hears_error[index]
                && let Some(error) = destination.failure()
            {
                self.destination_failed(index, error, source, &mut **destination);
            }
        }
    }

    /// Node's pipe undone at a destination's `finish`: `unpipe(dest)`
    /// (the source pauses if no destination is left, then `unpipe`), and
    /// its `cleanup` calls `ondrain` if the pipe waited for the
    /// destination's `drain`, which an ended stream never emits: the last
    /// awaited `drain` resumes a source another pipe still reads
    /// (readable.js:975-977, 1069-1088).
    fn unpipe_finished<S, W>(&mut self, index: usize, source: &mut S, destination: &mut W)
    where
        S: ReadableStream<Output = T> + ?Sized,
        W: WritableStream<Input = T> + ?Sized,
    {
        self.attached[index] = false;
        let awaited = self.awaiting.waits(index);
        self.awaiting.set(index, false);
        self.pause_if_none_left(source);
        destination.piped(false);
        if awaited && !self.awaiting.any() && self.pipes_left() {
            source.resume();
        }
    }

    /// A destination someone else ended finished before the source's end:
    /// Node's pipe unpipes it at its `finish`; a pipeline fails with a
    /// premature close (its `close` came before the source's end).
    #[cold]
    fn finished_early<S, W>(&mut self, index: usize, source: &mut S, destination: &mut W)
    where
        S: ReadableStream<Output = T> + ?Sized,
        W: WritableStream<Input = T> + ?Sized,
    {
        match self.on_error {
            OnError::Stop => self.unpipe_finished(index, source, destination),
            OnError::DestroyAll => {
                let error = Error::from_kind(ErrorKind::PrematureClose);
                self.destination_failed(index, error, source, destination);
            }
        }
    }

    fn destination_failed<S, W>(
        &mut self,
        index: usize,
        error: Error,
        source: &mut S,
        destination: &mut W,
    ) where
        S: ReadableStream<Output = T> + ?Sized,
        W: WritableStream<Input = T> + ?Sized,
    {
        self.attached[index] = false;
        self.awaiting.set(index, false);
        self.lingering[index] = !self.hears_error[index];
        if !self.unpiped_at_end() && self.hears_error[index] {
            // Node's pipe unpipes a destination at its `error`.
            self.pause_if_none_left(source);
            destination.piped(false);
        }
        // Node's pipeline learns of a destination's end from its `close`.
        let error = match self.on_error {
            OnError::DestroyAll => closed_early(error),
            OnError::Stop => error,
        };
        let error = error.or_context(|| destination.label().map(str::to_owned));
        if self.first_error.is_none() {
            self.first_error = Some(error);
        }
    }

    /// After a destination failed: with `DestroyAll`, destroys everything
    /// and returns the error; with `Stop`, returns it once no destination
    /// is left.
    #[inline]
    fn settle_errors<S, D>(&mut self, source: &mut S, destinations: &mut [D]) -> Option<Error>
    where
        S: ReadableStream<Output = T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        if self.first_error.is_some() {
            self.settle_first_error(source, destinations)
        } else {
            None
        }
    }

    /// [`settle_errors`](Pump::settle_errors) once a destination failed;
    /// out of line, off the path of every chunk.
    #[cold]
    fn settle_first_error<S, D>(&mut self, source: &mut S, destinations: &mut [D]) -> Option<Error>
    where
        S: ReadableStream<Output = T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        match self.on_error {
            OnError::DestroyAll => {
                let error = self.first_error.take()?;
                if self.stage >= Stage::SourceDone
                    && source.is_ended()
                    && !self.attached.contains(&true)
                {
                    // Node's pipeline pipes with `end: false`: the source's
                    // `end`, come before the failure, undoes the pipes to
                    // destinations closed before them, which nothing else
                    // undoes (readable.js `pipe`: `endFn = unpipe`), and
                    // ends every destination (pipeline.js, `pipe`:
                    // `endFn`): one destroyed without an error becomes
                    // ended (writable.js, `end`), silently.
                    self.detach_all(source, destinations);
                    for destination in destinations.iter_mut() {
                        if destination.is_destroyed() {
                            let _ = destination.end();
                        }
                    }
                }
                source.destroy(Some(error.clone()));
                self.unpipe_destroyed(&error, source, destinations);
                Some(error)
            }
            OnError::Stop if !self.attached.contains(&true) => {
                if self.stage >= Stage::SourceDone && !self.options.end {
                    // The source's end undoes what lingers.
                    self.detach_all(source, destinations);
                }
                self.first_error.take()
            }
            OnError::Stop => None,
        }
    }

    /// A read of the source while the pipe waits for `drain`, whose
    /// `data` and `end` Node's pipe hears whatever it waits for: a chunk a
    /// `read()` by hand took (Node emitted it as `data`, which the pipe's
    /// `ondata` writes on) is written; at the source's `end` (`ended`: seen
    /// before this read) the pipe ends its destinations (readable.js,
    /// pipe's `onend`); an ended destination emits no `drain`
    /// (writable.js, `afterWrite`): the wait ends at its `finish`
    /// ([`Pump::unpipe_finished`]); a failure fails the source.
    fn read_while_waiting<S, D>(
        &mut self,
        cx: &mut Context<'_>,
        source: &mut S,
        destinations: &mut [D],
        ended: bool,
    ) -> Result<WhileWaiting>
    where
        S: ReadableStream<Output = T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        match source.poll_next_chunk(cx) {
            Poll::Ready(None) if ended || source.is_ended() => {
                self.stage = Stage::SourceDone;
                Ok(WhileWaiting::Ended)
            }
            Poll::Ready(Some(Ok(chunk))) => {
                self.write(chunk, source, destinations);
                Ok(WhileWaiting::Wrote)
            }
            Poll::Ready(Some(Err(error))) => Err(self.source_failed(error, source, destinations)),
            Poll::Ready(None) | Poll::Pending => Ok(WhileWaiting::Nothing),
        }
    }

    /// Whether a read that found nothing saw the source's end. Node's
    /// pipeline counts an end pushed with nothing left before it
    /// (end-of-stream.js via utils.js `isReadableFinished(stream, false)`);
    /// a plain pipe hears only `end` (readable.js `pipe`:
    /// `src.once('end', endFn)`), which a source destroyed before it never
    /// emits (readable.js `endReadableNT` checks `closeEmitted`): the pipe
    /// neither ends its destinations nor pauses the source.
    fn source_ended<S>(&self, source: &S) -> bool
    where
        S: ReadableStream<Output = T> + ?Sized,
    {
        match self.on_error {
            OnError::DestroyAll => source.is_ended(),
            OnError::Stop => source.end_emitted(),
        }
    }

    fn source_failed<S, D>(&mut self, error: Error, source: &mut S, destinations: &mut [D]) -> Error
    where
        S: ReadableStream<Output = T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<Input = T>,
    {
        let error = closed_early(error);
        let error = match &self.source_stage {
            Some((index, name)) => error.or_stage(*index, name.as_deref()),
            None => error,
        };
        let error = error.or_reading(source.origin());
        // A source that failed is destroyed, not paused (Node's pipe does
        // not touch it).
        self.stage = Stage::SourceDone;
        if self.on_error == OnError::DestroyAll {
            // A destination's failure heard before destroys with its error.
            let destroying = self.first_error.as_ref().unwrap_or(&error).clone();
            self.unpipe_destroyed(&destroying, source, destinations);
            self.attached.fill(false);
        } else {
            // Node's pipe leaves its destinations attached when the source
            // fails (and its source flowing): the pipe is over without
            // `unpipe` or `pause`, but `unpipe()` still undoes it.
            self.source_failed = true;
        }
        error
    }
}

/// A destination whose sink failed inside `write()`, not yet destroyed:
/// Node reports that failure two ticks later (writable.js:646-647,
/// `process.nextTick(onwriteError)`; then `errorOrDestroy`'s own tick), after
/// everything queued before now.
#[cold]
fn failing_sink_tick<W>(destination: &W) -> Option<u64>
where
    W: WritableStream + ?Sized,
{
    (destination.failure().is_some() && !destination.is_destroyed()).then(stamp_now)
}

/// A call refused because the stream was destroyed is reported as Node's
/// pipeline reports the stream's end: its own error if it failed, a
/// premature close if it was destroyed without one.
pub(crate) fn closed_early(error: Error) -> Error {
    if error.kind() != ErrorKind::Destroyed {
        return error;
    }
    match std::error::Error::source(&error).and_then(|cause| cause.downcast_ref::<Error>()) {
        Some(cause) => cause.clone(),
        None => Error::from_kind(ErrorKind::PrematureClose),
    }
}

/// Which destinations wait for `drain`, counted, so that asking whether
/// any does costs one comparison on every chunk.
#[derive(Debug)]
struct Awaiting {
    flags: Vec<bool>,
    count: usize,
}

impl Awaiting {
    fn new(destinations: usize) -> Self {
        Awaiting {
            flags: vec![false; destinations],
            count: 0,
        }
    }

    fn set(&mut self, index: usize, waiting: bool) {
        if self.flags[index] != waiting {
            self.flags[index] = waiting;
            if waiting {
                self.count += 1;
            } else {
                self.count -= 1;
            }
        }
    }

    fn any(&self) -> bool {
        self.count > 0
    }

    fn waits(&self, index: usize) -> bool {
        self.flags[index]
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Waker};

    use bytes::Bytes;

    use crate::{
        CollectSink, Duplex, Error, ErrorKind, FnTransform, NullSink, PipeOptions, Push, Pusher,
        Readable, ReadableExt, ReadableStream, Result, Shared, Writable, WritableStream,
        WriteQueue, WriteSink, pipe, pipe_all, pipeline,
    };

    use crate::stream::event_log::{
        Chunks, Counted, Log, entries, observer, poll, poll_until_ready, poll_while_woken,
        same_observed_or_not,
    };

    /// An empty source whose events `log` records as `"source"`.
    fn empty_source(log: &Log) -> Readable<u32> {
        let mut source = Readable::empty();
        source.observe(observer(log, "source"));
        source
    }

    /// [`empty_source`] after a `read()` found its end: its `end` is due.
    fn source_at_its_end(log: &Log) -> Readable<u32> {
        let mut source = empty_source(log);
        assert_eq!(source.read(), None);
        source
    }

    fn until_ready<F: Future + Unpin>(future: &mut F) -> F::Output {
        poll_until_ready(future, 20)
    }

    /// Takes chunks only once its gate is open, as a sink that calls back
    /// on a later tick.
    struct Gated(Arc<AtomicBool>);

    impl WriteSink<u32> for Gated {
        fn poll_write(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            queue: &mut WriteQueue<u32>,
        ) -> Poll<Result<()>> {
            if !self.0.load(Ordering::SeqCst) {
                return Poll::Pending;
            }
            queue.pop();
            Poll::Ready(Ok(()))
        }
    }

    /// A source of one chunk and a destination whose sink takes it once
    /// the returned gate is open, both logged.
    fn logged_pair(log: &Log) -> (Readable<u32>, Writable<u32>, Arc<AtomicBool>) {
        let mut source = Readable::from_iter([1u32]);
        source.observe(observer(log, "source"));
        let gate = Arc::new(AtomicBool::new(false));
        let mut dest = Writable::new(Gated(Arc::clone(&gate))).with_high_water_mark(2);
        dest.observe(observer(log, "dest"));
        (source, dest, gate)
    }

    /// A logged source of several chunks (still going after the first).
    fn logged_source(log: &Log) -> Readable<u32> {
        let mut source = Readable::from_iter([1u32, 2, 3, 4]).with_high_water_mark(1);
        source.observe(observer(log, "source"));
        source
    }

    /// Node's pipe unpipes a destination at its `finish`, and `unpipe()`
    /// pauses a source left without destinations: the source's `pause`
    /// comes after its own `close`, as the destination finished on a
    /// later tick.
    #[test]
    fn the_source_pauses_when_its_destination_finished() {
        let log = Log::default();
        let (mut source, mut dest, gate) = logged_pair(&log);
        let mut piping = pipe(&mut source, &mut dest, PipeOptions::default());
        assert!(poll(&mut piping).is_pending());
        gate.store(true, Ordering::SeqCst);
        until_ready(&mut piping).unwrap();
        drop(piping);
        let events = entries(&log, "source");
        assert_eq!(events[events.len() - 3..], ["end", "close", "pause"]);
        let events = entries(&log, "dest");
        assert_eq!(events[events.len() - 2..], ["finish", "unpipe"]);
        assert_eq!(source.flowing(), Some(false));
    }

    /// A pipeline ends its destination from the source's `end` whatever
    /// came before (pipeline.js `endFn`, on the next tick for a source
    /// that had ended): a destination destroyed without an error, whose
    /// `close` failed the pipeline, is still ended (writable.js `end`).
    /// Node 20: `src` ended, `dst.destroy()`, `pipeline(src, dst)`, a
    /// tick: `dst.writableEnded` is true, the pipeline fails with
    /// ERR_STREAM_PREMATURE_CLOSE.
    #[test]
    fn a_pipeline_ends_a_destination_destroyed_before_it() {
        let mut source = Readable::from_iter(Vec::<u32>::new()).with_high_water_mark(0);
        source.resume();
        source.tick();
        assert!(source.is_ended());
        let dest = Shared::new(Writable::new(NullSink).with_high_water_mark(0));
        dest.lock().destroy(None);
        let mut future = pipeline(source).pipe(dest.clone());
        let failed = until_ready(&mut future).unwrap_err();
        assert_eq!(failed.kind(), ErrorKind::PrematureClose);
        assert!(dest.lock().is_ended());
    }

    /// A duplex source ended before its pipe ran: its `finish`, which
    /// Node queued inside `end()`, comes before the `finish` of the
    /// destination the pipe ends at the source's `end`, whose `unpipe`
    /// pauses the source. Node 20, `s0.pipe(s1); s0.end()` on two
    /// transforms: s0 `prefinish`, then at the tick `resume end finish
    /// pause close`.
    #[test]
    fn an_ended_duplex_source_finishes_before_its_destination() {
        assert_eq!(
            ended_pass_through_pipe(false),
            ["prefinish", "resume", "end", "finish", "pause", "close"]
        );
    }

    /// Pipes a pass-through (hwm 0) into another, ends the destination
    /// first if `destination_first`, then the source; returns the source's
    /// events once the pipe is done and a tick passed.
    fn ended_pass_through_pipe(destination_first: bool) -> Vec<String> {
        let log = Log::default();
        let mut source = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        source.observe(observer(&log, "source"));
        let source = Shared::new(source);
        let mut reader = source.clone();
        let dest = Shared::new(Duplex::<u32, u32>::pass_through().with_high_water_mark(0));
        let mut writer = dest.clone();
        let mut piping = pipe(&mut reader, &mut writer, PipeOptions::default());
        if destination_first {
            dest.lock().end().unwrap();
        }
        source.lock().end().unwrap();
        until_ready(&mut piping).unwrap();
        drop(piping);
        source.lock().tick();
        entries(&log, "source")
    }

    /// A destination ended after the pipe was made finishes before the
    /// source's `end` that the pipe's first read queued: its `unpipe`
    /// pauses the source first (readable.js `endReadable` queues
    /// `endReadableNT` after the destination's `finish`). Node 20,
    /// `s0.pipe(s1); s1.end(); s0.end()` on two transforms: s0
    /// `prefinish`, then at the tick `resume pause end finish close`.
    #[test]
    fn a_destination_ended_after_the_pipe_unpipes_before_the_sources_end() {
        assert_eq!(
            ended_pass_through_pipe(true),
            ["prefinish", "resume", "pause", "end", "finish", "close"]
        );
    }

    /// A source that ended while the pipe waits for `drain` ends its
    /// destination from its `end`, and the destination, ended, emits no
    /// `drain`: the source is not resumed (and paused) again after its
    /// `close` (Node 20: source `pause | resume end close`, destination
    /// `pipe | prefinish finish unpipe close`).
    #[test]
    fn a_source_that_ends_while_the_pipe_waits_for_drain_ends_its_destination() {
        let log = Log::default();
        let (pusher, mut source) = Pusher::<u32>::attach(Readable::external());
        pusher.end();
        source.lock().observe(observer(&log, "source"));
        let gate = Arc::new(AtomicBool::new(false));
        let mut dest = Writable::new(Gated(Arc::clone(&gate))).with_high_water_mark(0);
        dest.observe(observer(&log, "dest"));
        assert!(!dest.write(1).unwrap());
        let mut piping = pipe(&mut source, &mut dest, PipeOptions::default());
        assert!(poll(&mut piping).is_pending());
        assert_eq!(entries(&log, "source"), ["pause", "resume", "end", "close"]);
        gate.store(true, Ordering::SeqCst);
        until_ready(&mut piping).unwrap();
        drop(piping);
        assert_eq!(entries(&log, "source"), ["pause", "resume", "end", "close"]);
        let events = entries(&log, "dest");
        assert_eq!(events[..4], ["pipe", "prefinish", "finish", "unpipe"]);
    }

    /// A pipeline's stage paused at once for a destination that waits for
    /// `drain` still emits the `resume` its pipe scheduled, at the next
    /// tick, and resumes again at the `drain` (Node 20, `pipeline(s1, s0,
    /// s2)`: s0 `pipe pause | resume resume`).
    #[test]
    fn a_stage_paused_for_drain_emits_its_scheduled_resume() {
        let log = Log::default();
        let (_pusher, source) = Pusher::<u32>::new();
        let mut stage = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        stage.observe(observer(&log, "stage"));
        let gate = Arc::new(AtomicBool::new(false));
        let mut dest = Writable::new(Gated(Arc::clone(&gate))).with_high_water_mark(0);
        assert!(!dest.write(1).unwrap());
        let mut future = pipeline(source).pipe(stage).pipe(dest);
        assert_eq!(entries(&log, "stage"), ["pipe", "pause"]);
        assert!(poll(&mut future).is_pending());
        assert_eq!(entries(&log, "stage"), ["pipe", "pause", "resume"]);
        gate.store(true, Ordering::SeqCst);
        assert!(poll(&mut future).is_pending());
        assert!(poll(&mut future).is_pending());
        assert_eq!(
            entries(&log, "stage"),
            ["pipe", "pause", "resume", "resume"]
        );
    }

    /// With `end: false` the pipe is undone at the source's `end`: the
    /// source pauses there, before its `close`.
    #[test]
    fn the_source_pauses_at_its_end_when_the_destination_stays_open() {
        let log = Log::default();
        let (mut source, mut dest, gate) = logged_pair(&log);
        gate.store(true, Ordering::SeqCst);
        until_ready(&mut pipe(&mut source, &mut dest, PipeOptions::keep_open())).unwrap();
        source.tick();
        let events = entries(&log, "source");
        assert_eq!(events[events.len() - 3..], ["end", "pause", "close"]);
        assert_eq!(entries(&log, "dest").last().unwrap(), "unpipe");
    }

    /// A pipeline whose source fails destroys the destination, whose
    /// `error` undoes the pipe: `unpipe` on it, and the source pauses
    /// after its own `error` and `close`.
    #[test]
    fn a_failed_source_pauses_when_the_pipeline_destroys_its_destination() {
        let log = Log::default();
        let (source, dest, _gate) = logged_pair(&log);
        let source = Shared::new(source);
        let mut future = pipeline(source.clone()).pipe(dest);
        source
            .lock()
            .destroy(Some(Error::new(ErrorKind::InvalidData, "boom")));
        let error = until_ready(&mut future).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidData);
        let events = entries(&log, "source");
        assert_eq!(events[events.len() - 3..], ["error", "close", "pause"]);
        assert_eq!(entries(&log, "dest"), ["pipe", "unpipe", "error", "close"]);
    }

    /// Node's `src.unpipe(dest)` emits `unpipe` at once, even when the
    /// destination's `error` (a write after its end) waits for the next
    /// tick, and the pipe no longer listens for that `error`
    /// (readable.js, `Readable.prototype.unpipe`).
    #[test]
    fn an_explicit_unpipe_comes_before_a_deferred_error() {
        let log = Log::default();
        let (_pusher, mut source) = Pusher::<u32>::new();
        let mut dest = Writable::new(NullSink).with_high_water_mark(0);
        dest.observe(observer(&log, "dest"));
        let dest = Shared::new(dest);
        let mut writer = dest.clone();
        let mut piping = pipe(&mut source, &mut writer, PipeOptions::default());
        dest.lock().end().unwrap();
        assert!(dest.lock().write(1).is_err());
        assert!(piping.unpipe(0));
        assert_eq!(entries(&log, "dest"), ["pipe", "prefinish", "unpipe"]);
        drop(piping);
        WritableStream::flush_events(&mut *dest.lock());
        assert_eq!(
            entries(&log, "dest"),
            ["pipe", "prefinish", "unpipe", "error", "close"]
        );
    }

    /// A pipeline learns of a source destroyed while it waits for `drain`
    /// from the source's `error`: it fails then, destroying the
    /// destination, without waiting for the `drain` (pipeline.js `finish`
    /// from the source's end-of-stream).
    #[test]
    fn a_pipeline_fails_when_its_source_fails_during_a_wait_for_drain() {
        let log = Log::default();
        let (_, dest, _gate) = logged_pair(&log);
        let source = Shared::new(logged_source(&log));
        let mut future = pipeline(source.clone()).pipe(dest.with_high_water_mark(0));
        assert!(poll(&mut future).is_pending());
        assert_eq!(entries(&log, "source").last().unwrap(), "pause");
        source
            .lock()
            .destroy(Some(Error::new(ErrorKind::InvalidData, "boom")));
        let error = until_ready(&mut future).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidData);
        assert_eq!(entries(&log, "dest"), ["pipe", "unpipe", "error", "close"]);
    }

    /// A plain pipe does not listen for its source's `error`: waiting for
    /// `drain`, it resumes the source at the `drain` all the same, and
    /// finds the failure at its next read (Node 20: `resume data pause
    /// error close resume`).
    #[test]
    fn a_pipe_resumes_its_failed_source_at_drain() {
        let log = Log::default();
        let (_, dest, gate) = logged_pair(&log);
        let source = Shared::new(logged_source(&log));
        let mut reader = source.clone();
        let mut dest = dest.with_high_water_mark(0);
        let mut piping = pipe(&mut reader, &mut dest, PipeOptions::default());
        assert!(poll(&mut piping).is_pending());
        source
            .lock()
            .destroy(Some(Error::new(ErrorKind::InvalidData, "boom")));
        assert!(poll(&mut piping).is_pending(), "waits for drain");
        gate.store(true, Ordering::SeqCst);
        assert!(until_ready(&mut piping).is_err());
        drop(piping);
        let events = entries(&log, "source");
        assert_eq!(
            events[events.len() - 4..],
            ["pause", "error", "close", "resume"]
        );
    }

    /// Node's pipe leaves its destination attached when the source fails:
    /// nothing at the failure, but a later `src.unpipe(dest)` still pauses
    /// the source and emits `unpipe` (readable.js, `Readable.prototype.unpipe`).
    #[test]
    fn a_failed_source_stays_piped_until_unpipe() {
        let log = Log::default();
        let (source, mut dest, _gate) = logged_pair(&log);
        let source = Shared::new(source);
        let mut reader = source.clone();
        let mut piping = pipe(&mut reader, &mut dest, PipeOptions::default());
        source
            .lock()
            .destroy(Some(Error::new(ErrorKind::InvalidData, "boom")));
        assert!(until_ready(&mut piping).is_err());
        assert_eq!(entries(&log, "source").last().unwrap(), "close");
        assert_eq!(entries(&log, "dest"), ["pipe"]);
        assert!(piping.unpipe(0));
        drop(piping);
        assert_eq!(entries(&log, "source").last().unwrap(), "pause");
        assert_eq!(entries(&log, "dest"), ["pipe", "unpipe"]);
    }

    /// Node's `flow()` reads whenever the source flows (readable.js:1280-
    /// 1284): a source paused for `drain` and resumed by hand gives the
    /// pipe its next chunk although the destination still waits for
    /// `drain`; the false write pauses it again (readable.js:980-995).
    /// Node 20, object mode, hwm 1 source of two chunks piped into a
    /// transform of hwm 0, tick, `resume()`, tick: `resume _read data(1)
    /// pause end close`.
    #[test]
    fn a_source_resumed_by_hand_flows_while_its_pipe_awaits_drain() {
        let log = Log::default();
        let mut source = Readable::from_iter([1u32, 2]).with_high_water_mark(1);
        source.observe(observer(&log, "source"));
        let source = Shared::new(source);
        let mut reader = source.clone();
        let gate = Arc::new(AtomicBool::new(false));
        let mut dest = Writable::new(Gated(Arc::clone(&gate))).with_high_water_mark(0);
        let mut piping = pipe(&mut reader, &mut dest, PipeOptions::default());
        assert!(poll(&mut piping).is_pending());
        assert_eq!(entries(&log, "source").last().unwrap(), "pause");
        assert_eq!(source.lock().readable_length(), 1);
        let before = entries(&log, "source").len();
        source.lock().resume();
        assert!(poll(&mut piping).is_pending());
        let events = entries(&log, "source");
        assert_eq!(events[before..], ["resume", "data", "pause", "end"]);
        drop(piping);
        assert_eq!(dest.writable_length(), 2);
    }

    /// A `read()` by hand finds the end of a source paused for `drain`:
    /// the pipe's `end` listener unpipes the destination (`end: false`)
    /// although it never drained (readable.js, `pipe`'s `endFn`). Node 20:
    /// an empty source piped into a full transform, `read()`, settle:
    /// `resume end pause close`, and `unpipe` on the transform.
    #[test]
    fn a_source_paused_for_drain_that_ends_by_hand_unpipes() {
        let log = Log::default();
        let mut source = Readable::from_iter(Vec::<u32>::new()).with_high_water_mark(0);
        source.observe(observer(&log, "source"));
        let source = Shared::new(source);
        let mut reader = source.clone();
        let mut dest =
            Writable::new(Gated(Arc::new(AtomicBool::new(false)))).with_high_water_mark(0);
        dest.observe(observer(&log, "dest"));
        assert!(!dest.write(7).unwrap());
        let mut piping = pipe(&mut reader, &mut dest, PipeOptions::keep_open());
        assert!(poll(&mut piping).is_pending());
        assert_eq!(source.lock().read(), None);
        until_ready(&mut piping).unwrap();
        drop(piping);
        assert!(entries(&log, "source").contains(&"end".to_owned()));
        assert_eq!(entries(&log, "dest"), ["pipe", "unpipe"]);
    }

    /// Node's pipe, still attached after its source failed, undoes a
    /// destination at its `finish`: `src.unpipe(dest)` pauses the source,
    /// destroyed as it is, then the destination gets `unpipe` (readable.js,
    /// `onfinish` in `pipe`, `Readable.prototype.unpipe`).
    #[test]
    fn a_failed_source_pauses_when_its_destination_finishes() {
        let log = Log::default();
        let mut source = empty_source(&log);
        let mut dest = Writable::new(NullSink).with_high_water_mark(0);
        dest.observe(observer(&log, "dest"));
        let dest = Shared::new(dest);
        let mut writer = dest.clone();
        source.destroy(None);
        let mut piping = pipe(&mut source, &mut writer, PipeOptions::default());
        dest.lock().end().unwrap();
        let error = until_ready(&mut piping).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::PrematureClose);
        assert!(!piping.unpipe_done());
        let _ = dest
            .lock()
            .poll_finish(&mut Context::from_waker(Waker::noop()));
        assert!(piping.unpipe_done());
        drop(piping);
        assert_eq!(entries(&log, "source"), ["close", "resume", "pause"]);
        assert_eq!(
            entries(&log, "dest"),
            ["pipe", "prefinish", "finish", "unpipe"]
        );
    }

    /// A destination that had finished, but not closed, when it was
    /// piped still has its `error` heard by Node's pipe (a write after
    /// its end): that unpipes it, pausing the source, even after the
    /// source failed (readable.js, `onerror` in `pipe`).
    #[test]
    fn a_finished_destination_that_fails_later_is_unpiped() {
        let log = Log::default();
        let source = empty_source(&log);
        let source = Shared::new(source);
        let mut reader = source.clone();
        let mut dest = Duplex::<u32, u32>::pass_through();
        dest.observe(observer(&log, "dest"));
        dest.end().unwrap();
        let _ = WritableStream::poll_finish(&mut dest, &mut Context::from_waker(Waker::noop()));
        let dest = Shared::new(dest);
        let mut writer = dest.clone();
        let mut piping = pipe(&mut reader, &mut writer, PipeOptions::default());
        source.lock().destroy(None);
        assert!(dest.lock().write(1).is_err());
        assert!(until_ready(&mut piping).is_err());
        assert!(piping.unpipe_done());
        drop(piping);
        assert_eq!(entries(&log, "source").last().unwrap(), "pause");
        assert!(entries(&log, "dest").contains(&"unpipe".to_owned()));
    }

    /// Node's `read()` that takes a source's last chunk sees its end: the
    /// source emits `end` while paused for `drain`, the destination is
    /// ended, and no `drain` nor `resume` follows (readable.js,
    /// `endReadable` from `read()`; writable.js, `afterWrite`).
    #[test]
    fn a_source_paused_for_drain_still_ends_after_its_last_chunk() {
        let log = Log::default();
        let (mut source, dest, gate) = logged_pair(&log);
        let mut dest = dest.with_high_water_mark(0);
        let mut piping = pipe(&mut source, &mut dest, PipeOptions::default());
        assert!(poll(&mut piping).is_pending());
        let events = entries(&log, "source");
        assert_eq!(events[events.len() - 2..], ["pause", "end"]);
        gate.store(true, Ordering::SeqCst);
        until_ready(&mut piping).unwrap();
        drop(piping);
        let events = entries(&log, "source");
        let paused = events.iter().position(|e| e == "pause").unwrap();
        assert!(!events[paused..].contains(&"resume".to_owned()));
        let events = entries(&log, "dest");
        assert!(!events.contains(&"drain".to_owned()));
        assert_eq!(events[events.len() - 2..], ["finish", "unpipe"]);
    }

    /// Takes nothing while its gate is shut, then keeps every chunk.
    struct GatedKeep(Arc<AtomicBool>, Arc<Mutex<Vec<bytes::Bytes>>>);

    impl WriteSink<bytes::Bytes> for GatedKeep {
        fn poll_write(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            queue: &mut WriteQueue<bytes::Bytes>,
        ) -> Poll<Result<()>> {
            if !self.0.load(Ordering::SeqCst) {
                return Poll::Pending;
            }
            let chunk = queue.pop().unwrap();
            self.1.lock().unwrap().push(chunk);
            Poll::Ready(Ok(()))
        }
    }

    /// A chunk `read()` took by hand while the pipe waited for `drain`
    /// (Node emits it as `data`, which the pipe writes on) reaches the
    /// destination although that read also found the end.
    #[test]
    fn a_chunk_read_by_hand_while_waiting_for_drain_is_written() {
        let (pusher, source) = Pusher::<bytes::Bytes>::attach(Readable::external());
        let gate = Arc::new(AtomicBool::new(false));
        let kept = Arc::new(Mutex::new(Vec::new()));
        let mut dest =
            Writable::new(GatedKeep(Arc::clone(&gate), Arc::clone(&kept))).with_high_water_mark(0);
        assert!(!dest.write(bytes::Bytes::from_static(b"a")).unwrap());
        let mut reader = source.clone();
        let mut piping = pipe(&mut reader, &mut dest, PipeOptions::default());
        assert!(poll(&mut piping).is_pending());
        pusher.push(bytes::Bytes::from_static(b"b"));
        pusher.end();
        assert_eq!(source.lock().read(), Some(bytes::Bytes::from_static(b"b")));
        assert!(poll(&mut piping).is_pending());
        gate.store(true, Ordering::SeqCst);
        until_ready(&mut piping).unwrap();
        drop(piping);
        assert_eq!(*kept.lock().unwrap(), [&b"a"[..], &b"b"[..]]);
    }

    /// Two chunks `read()` by hand while piped, the last before the end:
    /// both reach the destination although the first one's write makes
    /// the pipe wait for `drain` (Node's `ondata` writes each).
    #[test]
    fn chunks_read_by_hand_before_the_end_are_all_written() {
        let (pusher, source) = Pusher::<bytes::Bytes>::attach(Readable::external());
        let gate = Arc::new(AtomicBool::new(false));
        let kept = Arc::new(Mutex::new(Vec::new()));
        let mut dest =
            Writable::new(GatedKeep(Arc::clone(&gate), Arc::clone(&kept))).with_high_water_mark(0);
        let mut reader = source.clone();
        let mut piping = pipe(&mut reader, &mut dest, PipeOptions::default());
        pusher.push(bytes::Bytes::from_static(b"a"));
        pusher.push(bytes::Bytes::from_static(b"b"));
        pusher.end();
        assert!(source.lock().read().is_some());
        assert!(source.lock().read().is_some());
        assert!(poll(&mut piping).is_pending());
        gate.store(true, Ordering::SeqCst);
        until_ready(&mut piping).unwrap();
        drop(piping);
        assert_eq!(*kept.lock().unwrap(), [&b"a"[..], &b"b"[..]]);
    }

    /// A destination someone else ended: Node's pipe unpipes it at its
    /// `finish` (right after it), and the source, left without
    /// destinations, pauses.
    #[test]
    fn a_destination_ended_elsewhere_is_unpiped_at_its_finish() {
        let log = Log::default();
        let (pusher, source) = Pusher::<u32>::new();
        source.lock().observe(observer(&log, "source"));
        let mut source = source;
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        let dest = Shared::new(dest);
        let mut writer = dest.clone();
        let mut piping = pipe(&mut source, &mut writer, PipeOptions::default());
        assert!(poll(&mut piping).is_pending());
        dest.lock().end().unwrap();
        let _ = dest
            .lock()
            .poll_finish(&mut Context::from_waker(Waker::noop()));
        assert_eq!(
            entries(&log, "dest"),
            ["pipe", "prefinish", "finish", "unpipe"]
        );
        until_ready(&mut piping).unwrap();
        drop(piping);
        assert_eq!(entries(&log, "source").last().unwrap(), "pause");
        assert_eq!(source.lock().flowing(), Some(false));
        drop(pusher);
    }

    /// The poll that unpipes the last destination at its `finish` (ended
    /// elsewhere) resolves the pipe, though the source has nothing: no
    /// push is to wake it.
    #[test]
    fn a_pipe_left_without_destinations_resolves_while_the_source_waits() {
        let (pusher, mut source) = Pusher::<u32>::new();
        let dest = Shared::new(Writable::new(NullSink));
        let mut writer = dest.clone();
        let mut piping = pipe(&mut source, &mut writer, PipeOptions::default());
        assert!(poll(&mut piping).is_pending());
        dest.lock().end().unwrap();
        let _ = dest
            .lock()
            .poll_finish(&mut Context::from_waker(Waker::noop()));
        poll_while_woken(&mut piping, 5).unwrap();
        drop(piping);
        assert_eq!(source.lock().flowing(), Some(false));
        drop(pusher);
    }

    /// A destination that had finished before it was piped never finishes
    /// again: the pipe stays, as Node's listeners wait for a `finish` that
    /// does not come.
    #[test]
    fn a_destination_finished_before_the_pipe_stays_piped() {
        let log = Log::default();
        let (_pusher, mut source) = Pusher::<u32>::new();
        let handle = source.clone();
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        dest.end().unwrap();
        let _ = dest.poll_finish(&mut Context::from_waker(Waker::noop()));
        dest.flush_events();
        let mut piping = pipe(&mut source, &mut dest, PipeOptions::default());
        for _ in 0..3 {
            assert!(poll(&mut piping).is_pending());
        }
        assert_eq!(
            entries(&log, "dest"),
            ["prefinish", "finish", "close", "pipe"]
        );
        assert_eq!(handle.lock().flowing(), Some(true));
    }

    /// A destination ended before the pipe was made finishes on the tick
    /// the pipe's `resume` was scheduled after: its `finish` unpipes it
    /// and pauses the source before that `resume` comes.
    #[test]
    fn a_destination_ended_before_the_pipe_finishes_before_the_resume() {
        let log = Log::default();
        let (_pusher, mut source) = Pusher::<u32>::new();
        source.lock().observe(observer(&log, "source"));
        let handle = source.clone();
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        dest.end().unwrap();
        until_ready(&mut pipe(&mut source, &mut dest, PipeOptions::default())).unwrap();
        handle.lock().tick();
        assert_eq!(entries(&log, "source"), ["pause", "resume"]);
        assert_eq!(
            entries(&log, "dest"),
            ["prefinish", "pipe", "finish", "unpipe"]
        );
    }

    /// A destination destroyed before the pipe was made closes on the tick
    /// queued before the `resume` the pipe scheduled: its `close` unpipes
    /// it, pausing the source, before that `resume` comes (readable.js,
    /// `onclose` in `pipe`; destroy.js, `emitCloseNT`).
    #[test]
    fn a_destination_destroyed_before_the_pipe_closes_before_the_resume() {
        let log = Log::default();
        let mut source = empty_source(&log);
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        dest.destroy(None);
        let mut piping = pipe(&mut source, &mut dest, PipeOptions::default());
        let _ = until_ready(&mut piping);
        drop(piping);
        source.tick();
        assert_eq!(entries(&log, "source")[..2], ["pause", "resume"]);
        assert_eq!(entries(&log, "dest"), ["pipe", "close", "unpipe"]);
    }

    /// Node 20: `dest.destroy()`, `source.resume()`, `pipeline(source,
    /// dest)`, tick: the `resume` scheduled by hand after the destroy
    /// comes after the destination's `close`, which unpipes it (the
    /// source pauses) and fails the pipeline with a premature close.
    #[test]
    fn a_resume_scheduled_after_a_destinations_destroy_comes_after_its_close() {
        let log = Log::default();
        let mut source = Readable::from_iter([1u32]).with_high_water_mark(0);
        source.observe(observer(&log, "source"));
        let mut dest = Writable::new(NullSink).with_high_water_mark(0);
        dest.observe(observer(&log, "dest"));
        dest.destroy(None);
        source.resume();
        let outcome = until_ready(&mut pipeline(source).pipe(dest));
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::PrematureClose);
        assert_eq!(
            entries(&log, "source"),
            ["pause", "resume", "error", "close"]
        );
        assert_eq!(entries(&log, "dest"), ["pipe", "close", "unpipe"]);
    }

    /// A source that had emitted `end` before `pipe(dest, {end: false})`:
    /// Node's pipe unpipes on the tick it queued then (readable.js,
    /// `process.nextTick(endFn)` in `pipe`), before the source's `resume`
    /// it queued after, so `pause` comes first.
    #[test]
    fn a_source_ended_before_the_pipe_pauses_before_its_resume() {
        let log = Log::default();
        let mut source = source_at_its_end(&log);
        source.tick();
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        until_ready(&mut pipe(&mut source, &mut dest, PipeOptions::keep_open())).unwrap();
        source.tick();
        assert_eq!(entries(&log, "source"), ["end", "close", "pause", "resume"]);
        assert_eq!(entries(&log, "dest"), ["pipe", "unpipe"]);
    }

    /// The same for a pipeline, which pipes with `end: false` and ends
    /// its destination from the source's `end` (pipeline.js, `pipe`).
    #[test]
    fn a_source_ended_before_its_pipeline_pauses_before_its_resume() {
        let log = Log::default();
        let mut source = source_at_its_end(&log);
        source.tick();
        let source = Shared::new(source);
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        until_ready(&mut pipeline(source.clone()).pipe(dest)).unwrap();
        source.lock().tick();
        assert_eq!(entries(&log, "source"), ["end", "close", "pause", "resume"]);
        assert_eq!(entries(&log, "dest")[..2], ["pipe", "unpipe"]);
    }

    /// Node 20: `source.read()` finds the end of an empty source, then
    /// `dest.destroy(err)`, `pipeline(source, dest)`, settle: the
    /// source's `end`, queued first, unpipes the destination (the source
    /// pauses) and auto-destroys the source, so the destination's `error`
    /// fails the pipeline without destroying the source with it
    /// (readable.js `endReadableNT`; destroy.js:321-323, `destroyer` skips
    /// a destroyed stream).
    #[test]
    fn a_source_end_queued_before_a_destinations_error_comes_first() {
        let log = Log::default();
        let source = source_at_its_end(&log);
        let mut dest = Writable::new(NullSink).with_high_water_mark(0);
        dest.observe(observer(&log, "dest"));
        dest.destroy(Some(Error::new(ErrorKind::InvalidData, "boom")));
        let outcome = until_ready(&mut pipeline(source).pipe(dest));
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::InvalidData);
        assert_eq!(entries(&log, "source"), ["end", "pause", "resume", "close"]);
        assert_eq!(entries(&log, "dest"), ["pipe", "unpipe", "error", "close"]);
    }

    /// A source whose `end` a read queued before `pipe(dest, {end:
    /// false})`: Node's pipe unpipes inside that `end`, pausing the
    /// source, before the `resume` the pipe queued after it (readable.js,
    /// `src.once('end', endFn)` in `pipe`; `endReadableNT`).
    #[test]
    fn a_source_ending_on_the_pipes_first_tick_pauses_before_its_resume() {
        let log = Log::default();
        let mut source = source_at_its_end(&log);
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        until_ready(&mut pipe(&mut source, &mut dest, PipeOptions::keep_open())).unwrap();
        source.tick();
        assert_eq!(entries(&log, "source"), ["end", "pause", "resume", "close"]);
        assert_eq!(entries(&log, "dest"), ["pipe", "unpipe"]);
    }

    /// A duplex source ended with nothing written: its `finish`, queued
    /// by its `end()`, comes before its destination's, which the pipe's
    /// `end()` queued at the source's `end`; that one then pauses the
    /// source (writable.js, `finishMaybe`; readable.js, `onfinish`).
    #[test]
    fn a_duplex_source_finishes_before_its_destination_pauses_it() {
        let log = Log::default();
        let mut source = Duplex::<u32, u32>::pass_through();
        source.observe(observer(&log, "source"));
        let source = Shared::new(source);
        let mut reader = source.clone();
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        let mut piping = pipe(&mut reader, &mut dest, PipeOptions::default());
        source.lock().end().unwrap();
        until_ready(&mut piping).unwrap();
        drop(piping);
        let events = entries(&log, "source");
        let at = |name: &str| events.iter().position(|e| e == name).unwrap();
        assert!(at("end") < at("finish") && at("finish") < at("pause"));
        assert_eq!(
            entries(&log, "dest")[..4],
            ["pipe", "prefinish", "finish", "unpipe"]
        );
    }

    /// Two pipes in a row, `middle.pipe(last); first.pipe(middle)`, an
    /// empty `first` and pass-throughs (hwm 0), polled as the pipes of one
    /// program are: each source's `end` ends its destination, whose
    /// `finish` unpipes it, pausing the source, before the source's
    /// `close`; the middle's `finish` waits for the pipe out of it to take
    /// its `end` first. Node 20, at the tick: first `_read resume end
    /// pause close`, middle `resume _flush prefinish end finish unpipe
    /// pause close`.
    #[test]
    fn each_source_of_a_chain_of_pipes_pauses_before_its_close() {
        let log = Log::default();
        let mut first = Readable::from_iter(Vec::<u32>::new()).with_high_water_mark(0);
        first.observe(observer(&log, "first"));
        let mut middle = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        middle.observe(observer(&log, "middle"));
        let middle = Shared::new(middle);
        let last = Shared::new(Duplex::<u32, u32>::pass_through().with_high_water_mark(0));
        let (mut middle_reader, mut middle_writer, mut last_writer) =
            (middle.clone(), middle.clone(), last.clone());
        let mut out = pipe(&mut middle_reader, &mut last_writer, PipeOptions::default());
        let mut into = pipe(&mut first, &mut middle_writer, PipeOptions::default());
        let mut cx = Context::from_waker(Waker::noop());
        // Rounds of polls as the pipes' ticks come: the pipe out of
        // `middle` first (its `resume_` is the oldest tick), then the pipe
        // into it, whose source's `close` is older from then on; each round
        // ends with the destinations' own ticks.
        let mut out_done = poll(&mut out).is_ready();
        let mut into_done = poll(&mut into).is_ready();
        for _ in 0..20 {
            let _ = WritableStream::poll_finish(&mut *middle.lock(), &mut cx);
            let _ = WritableStream::poll_finish(&mut *last.lock(), &mut cx);
            into_done = into_done || poll(&mut into).is_ready();
            out_done = out_done || poll(&mut out).is_ready();
        }
        assert!(out_done && into_done);
        drop((out, into));
        first.tick();
        middle.lock().tick();
        let first = entries(&log, "first");
        assert_eq!(first[first.len() - 3..], ["end", "pause", "close"]);
        let middle = entries(&log, "middle");
        assert_eq!(
            middle[middle.len() - 5..],
            ["end", "finish", "unpipe", "pause", "close"]
        );
    }

    /// A destination closed before the pipe stays one of the source's
    /// pipes for Node, which never hears from it: with `end: false`, the
    /// source's `end` unpipes it, and the source pauses then (readable.js,
    /// `endFn = unpipe` in `pipe`, `Readable.prototype.unpipe`).
    #[test]
    fn a_destination_closed_before_the_pipe_is_unpiped_at_the_sources_end() {
        let log = Log::default();
        let mut source = empty_source(&log);
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        dest.destroy(None);
        dest.flush_events();
        let _ = until_ready(&mut pipe(&mut source, &mut dest, PipeOptions::keep_open()));
        source.tick();
        assert_eq!(entries(&log, "source"), ["resume", "end", "pause", "close"]);
        assert_eq!(entries(&log, "dest"), ["close", "pipe", "unpipe"]);
    }

    /// With `end: true`, the destination ended at the source's `end`
    /// finishes on a tick queued after the `resume` the pipe scheduled:
    /// `resume` comes first, then the `pause` of its `finish`
    /// (readable.js, `onend`, `onfinish` in `pipe`).
    #[test]
    fn a_source_ending_on_the_pipes_first_tick_resumes_before_its_destination_finishes() {
        let log = Log::default();
        let mut source = source_at_its_end(&log);
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        until_ready(&mut pipe(&mut source, &mut dest, PipeOptions::default())).unwrap();
        source.tick();
        assert_eq!(entries(&log, "source"), ["end", "resume", "pause", "close"]);
    }

    /// The same for a duplex source whose end a read found before the
    /// pipe: `finish`, `end`, then the `resume` the pipe scheduled, and
    /// only then the `pause` of the destination's `finish`.
    #[test]
    fn a_duplex_source_resumes_before_its_destination_finishes() {
        let log = Log::default();
        let mut source = Duplex::<u32, u32>::pass_through();
        source.observe(observer(&log, "source"));
        source.end().unwrap();
        assert_eq!(source.read(), None);
        let source = Shared::new(source);
        let mut reader = source.clone();
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        until_ready(&mut pipe(&mut reader, &mut dest, PipeOptions::default())).unwrap();
        source.lock().tick();
        assert_eq!(
            entries(&log, "source"),
            ["prefinish", "finish", "end", "resume", "pause", "close"]
        );
    }

    /// A plain pipe from a duplex ended then destroyed before its `end`:
    /// Node never emits that `end` (readable.js `endReadableNT` checks
    /// `closeEmitted`), and a pipe hears nothing else from its source, so
    /// it neither ends the destination nor pauses the source.
    #[test]
    fn a_pipe_from_a_duplex_destroyed_before_its_end_never_ends() {
        let log = Log::default();
        let mut source = Duplex::<u32, u32>::pass_through();
        source.observe(observer(&log, "source"));
        source.end().unwrap();
        source.destroy(None);
        let source = Shared::new(source);
        let mut reader = source.clone();
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        let _ = until_ready(&mut pipe(&mut reader, &mut dest, PipeOptions::default()));
        source.lock().tick();
        dest.flush_events();
        assert_eq!(
            entries(&log, "source"),
            ["prefinish", "finish", "close", "resume"]
        );
        assert_eq!(entries(&log, "dest"), ["pipe"]);
        assert!(!dest.is_ending());
    }

    /// A destination that closed before the pipe was made has no `finish`,
    /// `error` or `close` to come: Node's pipe never unpipes it, and the
    /// source does not pause for it.
    #[test]
    fn a_destination_closed_before_the_pipe_is_never_unpiped() {
        let log = Log::default();
        let mut source = empty_source(&log);
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        dest.destroy(Some(Error::new(ErrorKind::InvalidData, "boom")));
        dest.flush_events();
        let outcome = until_ready(&mut pipe(&mut source, &mut dest, PipeOptions::default()));
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::InvalidData);
        assert_eq!(entries(&log, "dest"), ["error", "close", "pipe"]);
        assert!(!entries(&log, "source").contains(&"pause".to_owned()));
    }

    /// A pipeline pipes with `end: false`: a destination destroyed with an
    /// error before it fails the pipeline, but the source's `end`, come
    /// first, still unpipes it, pausing the source (pipeline.js, `pipe`;
    /// readable.js, `endFn = unpipe` in `pipe`).
    #[test]
    fn a_pipeline_source_that_ended_first_unpipes_a_destination_closed_before() {
        let log = Log::default();
        let mut source = source_at_its_end(&log);
        source.tick();
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        dest.destroy(Some(Error::new(ErrorKind::InvalidData, "boom")));
        dest.flush_events();
        let outcome = until_ready(&mut pipeline(source).pipe(dest));
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::InvalidData);
        assert_eq!(entries(&log, "source"), ["end", "close", "pause", "resume"]);
        assert_eq!(entries(&log, "dest"), ["error", "close", "pipe", "unpipe"]);
    }

    /// A pipeline's source destroyed without an error before its end,
    /// while the pipe waits for its destination's `drain`: Node's pipeline
    /// learns of it from `finished` at its `close`, and fails with a
    /// premature close, destroying the destination (end-of-stream.js,
    /// `onclose`; pipeline.js, `finishImpl`).
    #[test]
    fn a_pipeline_fails_when_its_source_closes_during_a_wait_for_drain() {
        let source = Shared::new(Readable::from_iter([1u32, 2]).with_high_water_mark(0));
        let dest = Shared::new(Writable::new(crate::Busy).with_high_water_mark(0));
        let mut future = pipeline(source.clone()).pipe(dest.clone());
        for _ in 0..3 {
            assert!(poll(&mut future).is_pending());
        }
        source.lock().destroy(None);
        let outcome = poll_until_ready(&mut future, 5);
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::PrematureClose);
        assert!(dest.lock().is_destroyed());
    }

    /// A destination closed before `pipe(dest)` stays one of the source's
    /// pipes for Node: the pipe fails at once here, but the source's later
    /// `end` still ends the destination (readable.js, `onend` in `pipe`),
    /// which a destroyed stream takes silently, as ended (writable.js,
    /// `end`); `unpipe_done` passes that `end` on.
    #[test]
    fn a_failed_pipe_ends_a_destination_closed_before_at_the_sources_end() {
        let log = Log::default();
        let source = Shared::new(Readable::from_iter(Vec::<u32>::new()));
        source.lock().observe(observer(&log, "source"));
        let mut reader = source.clone();
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        dest.destroy(None);
        dest.flush_events();
        let mut piped = pipe(&mut reader, &mut dest, PipeOptions::default());
        assert!(until_ready(&mut piped).is_err());
        piped.unpipe_done();
        source.lock().tick();
        assert!(source.lock().is_ended());
        piped.unpipe_done();
        drop(piped);
        assert!(dest.is_ended());
        assert_eq!(entries(&log, "dest"), ["close", "pipe"]);
    }

    /// The pipe from a destination closed before it, observed or not: the
    /// `close` counts at its tick even with nobody listening, so the pipe
    /// fails at once and the source's `end` still ends the destination.
    #[test]
    fn a_pipe_into_a_closed_destination_is_the_same_unobserved() {
        let outcome = same_observed_or_not(|log| {
            let mut source = Readable::from_iter([1u32]);
            let mut dest = Writable::new(NullSink);
            if let Some(log) = log {
                source.observe(observer(log, "source"));
                dest.observe(observer(log, "dest"));
            }
            dest.destroy(None);
            dest.flush_events();
            let closed_before = WritableStream::is_closed(&dest);
            let mut piped = pipe(&mut source, &mut dest, PipeOptions::default());
            let failed = until_ready(&mut piped).map_err(|error| error.kind());
            piped.unpipe_done();
            drop(piped);
            source.tick();
            let after = (dest.is_ended(), dest.is_destroyed());
            (closed_before, failed, source.is_ended(), after)
        });
        assert_eq!(
            outcome,
            (true, Err(ErrorKind::Destroyed), true, (true, true))
        );
    }

    /// A pipeline's destination destroyed before it, while a write was in
    /// progress, from a source whose end comes first: the pipeline's own
    /// `end()` does not make the destination finished, as the cancelled
    /// write keeps counting in its length (utils.js `isWritableFinished`
    /// wants `length === 0`; writable.js `errorBuffer` drops only the
    /// buffered chunks), so the pipeline fails with a premature close; with
    /// no write it resolves. Node 20: `s0.write(x)` (mark 0, a sink calling
    /// back later), `s1.resume()` (empty), `s0.destroy()`, a tick,
    /// `pipeline(s1, s0)`: ERR_STREAM_PREMATURE_CLOSE; without the write: ok.
    #[test]
    fn a_destination_destroyed_mid_write_is_not_finished_by_the_pipelines_end() {
        for (write_first, expected) in [(true, Err(ErrorKind::PrematureClose)), (false, Ok(()))] {
            let mut dest =
                Writable::new(Gated(Arc::new(AtomicBool::new(false)))).with_high_water_mark(0);
            if write_first {
                assert!(!dest.write(1).unwrap());
            }
            let mut source = Readable::from_iter(Vec::<u32>::new()).with_high_water_mark(0);
            source.resume();
            dest.destroy(None);
            source.tick();
            dest.flush_events();
            let mut future = pipeline(source).pipe(dest);
            let outcome = until_ready(&mut future).map_err(|error| error.kind());
            assert_eq!(outcome, expected, "a write first: {write_first}");
        }
    }

    /// A source that ended before its pipeline, into a destination
    /// destroyed just before it: the destination's `close` fails the
    /// pipeline with a premature close, but the source's `end`, handled on
    /// the pipeline's first tick, still ends the destination (pipeline.js,
    /// `pipe`: `process.nextTick(endFn)`, `dst.end()`), which a destroyed
    /// stream takes silently (writable.js, `end`: it is then ended).
    #[test]
    fn a_pipeline_ends_a_destroyed_destination_at_the_sources_end() {
        let log = Log::default();
        let mut source = source_at_its_end(&log);
        source.tick();
        let dest = Shared::new(Writable::new(NullSink));
        dest.lock().observe(observer(&log, "dest"));
        dest.lock().destroy(None);
        let outcome = until_ready(&mut pipeline(source).pipe(dest.clone()));
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::PrematureClose);
        assert!(dest.lock().is_ended());
        assert_eq!(entries(&log, "dest"), ["pipe", "close", "unpipe"]);
    }

    /// Node's pipeline judges a destination that closed before it by
    /// `finished` (end-of-stream.js, `onclose`): destroyed without an
    /// error, then ended with nothing queued, it counts as finished
    /// (utils.js, `isWritableFinished(stream, false)`), not as a premature
    /// close: the pipeline waits for a source that never ends.
    #[test]
    fn a_pipeline_into_a_destination_destroyed_then_ended_does_not_fail() {
        let log = Log::default();
        let (_pusher, source) = Pusher::<u32>::new();
        let handle = source.clone();
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        dest.destroy(None);
        dest.flush_events();
        dest.end().unwrap();
        let mut future = pipeline(source).pipe(dest);
        for _ in 0..5 {
            assert!(poll(&mut future).is_pending());
        }
        assert!(!handle.lock().is_destroyed());
        assert_eq!(entries(&log, "dest"), ["close", "pipe"]);
    }

    /// The same destination, destroyed but not ended, from a source whose
    /// `end` a read queued before the pipeline: that `end` comes first,
    /// unpipes it and ends it (pipeline.js, `pipe`: `endFn`, `dst.end()`),
    /// so `finished` then finds it ended: the pipeline succeeds.
    #[test]
    fn a_pipeline_ends_a_closed_destination_at_a_source_end_due_first() {
        let log = Log::default();
        let mut source = Readable::from_iter(Vec::<u32>::new());
        assert_eq!(source.read(), None);
        let dest = Shared::new(Writable::new(NullSink));
        dest.lock().observe(observer(&log, "dest"));
        dest.lock().destroy(None);
        dest.lock().flush_events();
        until_ready(&mut pipeline(source).pipe(dest.clone())).unwrap();
        assert!(dest.lock().is_ended());
        assert_eq!(entries(&log, "dest"), ["close", "pipe", "unpipe"]);
    }

    /// Node's pipeline judges a source destroyed without an error after
    /// its producer ended, nothing left to read, by `finished`, which
    /// counts it finished (utils.js, `isReadableFinished(stream, false)`):
    /// into a destination that had finished, the pipeline succeeds; the
    /// source never emits `end`, so nothing is unpiped.
    #[test]
    fn a_pipeline_from_a_source_destroyed_after_its_end_succeeds() {
        let log = Log::default();
        let (pusher, source) = Pusher::<u32>::new();
        source.lock().observe(observer(&log, "source"));
        source.lock().destroy(None);
        pusher.end();
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        until_ready(&mut Box::pin(dest.close())).unwrap();
        dest.flush_events();
        until_ready(&mut pipeline(source).pipe(dest)).unwrap();
        assert_eq!(entries(&log, "source"), ["close", "resume"]);
        assert_eq!(
            entries(&log, "dest"),
            ["prefinish", "finish", "close", "pipe"]
        );
    }

    /// Node's `read()` on a piped stream hands the chunk to its caller and,
    /// through `data`, to the pipe: the destination gets it too, at the
    /// pipe's next poll, before what comes after it.
    #[test]
    fn a_chunk_read_by_hand_while_piped_reaches_the_destination() {
        let (pusher, mut source) = Pusher::<u32>::new();
        let handle = source.clone();
        let (sink, got) = CollectSink::new();
        let mut dest = Writable::new(sink);
        let mut piping = pipe(&mut source, &mut dest, PipeOptions::default());
        assert!(poll(&mut piping).is_pending());
        pusher.push(1);
        assert_eq!(handle.lock().read(), Some(1));
        pusher.push(2);
        assert!(poll(&mut piping).is_pending());
        assert_eq!(got.take(), [1, 2]);
        drop(piping);
        // Unpiped: what `read()` takes is the caller's alone.
        pusher.push(3);
        assert_eq!(handle.lock().read(), Some(3));
        let (sink, got) = CollectSink::new();
        let mut dest = Writable::new(sink);
        let mut piping = pipe(&mut source, &mut dest, PipeOptions::default());
        pusher.push(4);
        pusher.end();
        until_ready(&mut piping).unwrap();
        assert_eq!(got.take(), [4]);
    }

    /// The same for a Duplex's readable side, piped by a pipeline.
    #[test]
    fn a_chunk_read_by_hand_from_a_piped_duplex_reaches_the_destination() {
        let middle = Shared::new(Duplex::<u32, u32>::pass_through());
        let (sink, got) = CollectSink::new();
        let (pusher, source) = Pusher::<u32>::new();
        let mut future = pipeline(source)
            .pipe(middle.clone())
            .pipe(Writable::new(sink));
        assert!(poll(&mut future).is_pending());
        middle.lock().write(1).unwrap();
        assert_eq!(middle.lock().read(), Some(1));
        pusher.push(2);
        pusher.end();
        until_ready(&mut future).unwrap();
        assert_eq!(got.take(), [1, 2]);
    }

    /// A write refused by a destination ended before it is a false
    /// `write()` for Node's pipe: the source pauses for that destination's
    /// `drain`, which never comes, and reads no further for the others
    /// (readable.js, `ondata` → `pause()`; `cleanup` lets go only of a
    /// destination that needed a drain). Node 20, `s0.pipe(s1);
    /// s0.pipe(s2); s2.end()` on two transforms: s0 `_read resume data
    /// pause`, no `end`.
    #[test]
    fn a_write_after_end_pauses_the_source_for_good() {
        let log = Log::default();
        let mut source = Readable::from_iter([1u32, 2]).with_high_water_mark(0);
        source.observe(observer(&log, "source"));
        let mut open = Duplex::<u32, u32>::pass_through()
            .with_readable_high_water_mark(0)
            .with_writable_high_water_mark(2);
        let mut ended = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        ended.observe(observer(&log, "ended"));
        let ended = Shared::new(ended);
        let mut piped = ended.clone();
        let destinations: Vec<&mut dyn WritableStream<Input = u32>> = vec![&mut open, &mut piped];
        let mut piping = pipe_all(&mut source, destinations, PipeOptions::default());
        ended.lock().end().unwrap();
        for _ in 0..5 {
            assert!(poll(&mut piping).is_pending());
        }
        assert_eq!(entries(&log, "source"), ["resume", "data", "pause"]);
        drop(piping);
        ended.lock().tick();
        let events = entries(&log, "ended");
        assert_eq!(
            events[events.len() - 4..],
            ["finish", "unpipe", "error", "close"]
        );
        assert_eq!(open.read(), Some(1));
    }

    /// A destination ended after the pipe was made, beside one ended
    /// before it: the source's `resume_`, queued by `pipe()`, flows before
    /// the later `finish`, so its chunk is written after that
    /// destination's end, which fails it after its `finish` (Node 20,
    /// transforms hwm 0: `s2.end(); s0.pipe(s1); s0.pipe(s2); s1.end()`,
    /// a tick: s0 `_read resume data pause`, s1 `finish unpipe
    /// error(ERR_STREAM_WRITE_AFTER_END) close`, s2 `finish unpipe`).
    #[test]
    fn a_destination_ended_after_the_pipe_finishes_after_the_sources_flow() {
        let log = Log::default();
        let mut source = Readable::from_iter([1u32]).with_high_water_mark(0);
        source.observe(observer(&log, "source"));
        let later = Shared::new(Duplex::<u32, u32>::pass_through().with_high_water_mark(0));
        later.lock().observe(observer(&log, "later"));
        let mut before = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        before.observe(observer(&log, "before"));
        before.end().unwrap();
        let mut piped = later.clone();
        let destinations: Vec<&mut dyn WritableStream<Input = u32>> = vec![&mut piped, &mut before];
        let mut piping = pipe_all(&mut source, destinations, PipeOptions::default());
        later.lock().end().unwrap();
        let _ = poll(&mut piping);
        drop(piping);
        later.lock().tick();
        assert_eq!(entries(&log, "source"), ["resume", "data", "pause"]);
        assert_eq!(
            entries(&log, "later"),
            ["pipe", "prefinish", "finish", "unpipe", "error", "close"]
        );
        assert_eq!(
            entries(&log, "before"),
            ["prefinish", "pipe", "finish", "unpipe"]
        );
    }

    /// A destination ended before the pipe, after the source's push
    /// queued its `emitReadable_`: that flow comes before the `finish`,
    /// writing the chunk after the destination's end, which fails it
    /// after its `finish` (Node 20, transforms hwm 0: `s0.read(0);
    /// s0.write("i"); s1.end(); s0.pipe(s1)`, settled: s0 `data pause drain
    /// resume`, s1 `finish unpipe error(ERR_STREAM_WRITE_AFTER_END)
    /// close`).
    #[test]
    fn a_flow_queued_before_a_destinations_end_writes_before_its_finish() {
        let log = Log::default();
        let mut source = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        source.observe(observer(&log, "source"));
        assert_eq!(source.read(), None);
        assert!(!source.write(1).unwrap());
        let mut dest = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        dest.observe(observer(&log, "dest"));
        dest.end().unwrap();
        let mut piping = pipe(&mut source, &mut dest, PipeOptions::default());
        let _ = until_ready(&mut piping);
        drop(piping);
        dest.tick();
        source.tick();
        assert_eq!(
            entries(&log, "source"),
            ["data", "pause", "drain", "resume"]
        );
        assert_eq!(
            entries(&log, "dest"),
            ["prefinish", "pipe", "finish", "unpipe", "error", "close"]
        );
    }

    /// A destination the source waited for finishes without `drain` (it
    /// was ended): its pipe's `cleanup` calls `ondrain`, which resumes the
    /// source the other pipe still reads, although it has ended; the last
    /// pipe undone pauses it (readable.js:975-977, 1069-1088, 1116-1118).
    /// Node 20, a source of one chunk piped into two destinations whose
    /// sinks call back later, hwm 0 and 2, the first called back first:
    /// the source `resume data pause end close | resume | pause`.
    #[test]
    fn a_finish_that_ends_the_wait_for_drain_resumes_the_source() {
        let log = Log::default();
        let mut source = Readable::from_iter([1u32]).with_high_water_mark(1);
        source.observe(observer(&log, "source"));
        let (first_gate, second_gate) = (Arc::new(AtomicBool::new(false)), Arc::default());
        let mut first = Writable::new(Gated(Arc::clone(&first_gate))).with_high_water_mark(0);
        let mut second = Writable::new(Gated(Arc::clone(&second_gate))).with_high_water_mark(2);
        let destinations: Vec<&mut dyn WritableStream<Input = u32>> = vec![&mut first, &mut second];
        let mut piping = pipe_all(&mut source, destinations, PipeOptions::default());
        for _ in 0..3 {
            assert!(poll(&mut piping).is_pending());
        }
        log.lock().unwrap().push("source |".to_owned());
        first_gate.store(true, Ordering::SeqCst);
        for _ in 0..2 {
            assert!(poll(&mut piping).is_pending());
        }
        log.lock().unwrap().push("source |".to_owned());
        second_gate.store(true, Ordering::SeqCst);
        assert!(poll(&mut piping).is_ready());
        assert_eq!(
            entries(&log, "source"),
            [
                "resume", "data", "pause", "end", "close", "|", "resume", "|", "pause"
            ]
        );
    }

    /// A destination that failed after its end, before the pipe was made,
    /// is unpiped by its `error`, queued before the source's `resume`: the
    /// source pauses first, and no chunk is read for it. Node 20, `s1.end()`,
    /// a tick, `s1.write()` refused, `s0.pipe(s1)`: s0 `pause _read resume`.
    #[test]
    fn a_destination_that_failed_before_the_pipe_unpipes_first() {
        let log = Log::default();
        let mut source = Readable::from_iter([1u32]).with_high_water_mark(0);
        source.observe(observer(&log, "source"));
        let mut dest = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        dest.observe(observer(&log, "dest"));
        dest.end().unwrap();
        dest.tick();
        assert_eq!(dest.write(1).unwrap_err().kind(), ErrorKind::WriteAfterEnd);
        let mut piping = pipe(&mut source, &mut dest, PipeOptions::default());
        assert_eq!(
            until_ready(&mut piping).unwrap_err().kind(),
            ErrorKind::WriteAfterEnd
        );
        drop(piping);
        source.tick();
        assert_eq!(entries(&log, "source"), ["pause", "resume"]);
        let events = entries(&log, "dest");
        assert_eq!(
            events[events.len() - 4..],
            ["pipe", "unpipe", "error", "close"]
        );
    }

    /// Takes one chunk, then fails.
    struct FailsSecond(bool);

    impl WriteSink<u32> for FailsSecond {
        fn poll_write(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            queue: &mut WriteQueue<u32>,
        ) -> Poll<Result<()>> {
            if std::mem::replace(&mut self.get_mut().0, true) {
                return Poll::Ready(Err(Error::new(ErrorKind::Io, "boom")));
            }
            queue.pop();
            Poll::Ready(Ok(()))
        }
    }

    /// A destination whose sink failed inside `write()` reports it two
    /// ticks later: the `close` of a source destroyed before comes first,
    /// and the pipeline destroys the destination with a premature close,
    /// which is then the error it reports: the destination's own never
    /// came (Node 20: `s1.destroy()`, `s0.write()` failing,
    /// `pipeline(s1, s0)`: `s0` `pipe unpipe error(ERR_STREAM_PREMATURE_CLOSE)
    /// close`, the callback's error `ERR_STREAM_PREMATURE_CLOSE`).
    #[test]
    fn a_sink_failed_inside_write_hears_an_older_source_close_first() {
        let log = Log::default();
        let mut source = Readable::from_iter([1u32]);
        source.destroy(None);
        let mut dest = Writable::new(FailsSecond(true)).with_high_water_mark(0);
        let errors = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&errors);
        let mut logged = observer(&log, "dest");
        dest.observe(move |event| {
            if let crate::Event::Error(error) = event {
                seen.lock().unwrap().push(error.kind());
            }
            logged(event);
        });
        assert!(!dest.write(1).unwrap());
        let outcome = until_ready(&mut pipeline(source).pipe(dest));
        assert_eq!(entries(&log, "dest"), ["pipe", "unpipe", "error", "close"]);
        assert_eq!(*errors.lock().unwrap(), [ErrorKind::PrematureClose]);
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::PrematureClose);
    }

    /// A pipeline destroys its source at the `error` of a destination whose
    /// write failed, a tick later: the `maybeReadMore_` the source queued at
    /// its push runs before, and asks below the mark although the source
    /// paused (readable.js, `maybeReadMore_`). Node 20, source hwm 1 with a
    /// deferred `_read`, destination hwm 0 failing at its second write: the
    /// source `_read resume data _read data pause _read error close`.
    #[test]
    fn a_pipeline_source_reads_ahead_before_a_failed_write_destroys_it() {
        let log = Log::default();
        let mut source = Readable::new(Counted::deferred(&log, 2)).with_high_water_mark(1);
        source.observe(observer(&log, "source"));
        let dest = Writable::new(FailsSecond(false)).with_high_water_mark(0);
        let mut future = pipeline(source).pipe(dest);
        assert_eq!(until_ready(&mut future).unwrap_err().kind(), ErrorKind::Io);
        assert_eq!(
            entries(&log, "source"),
            [
                "_read", "resume", "data", "_read", "data", "pause", "_read", "error", "close"
            ]
        );
    }

    /// A transform holding the write a pipe made waits for its own flow
    /// to call it back (transform.js:193, 198-202, `_read`): the source's ticks
    /// queued after that flow's `resume_` wait for the `drain` it emits,
    /// so the source's `emitReadable_` and `maybeReadMore_` read on before
    /// the `resume_` that `drain` queued (readable.js, `pipeOnDrain`).
    /// Node 20, `source.pipe(t); t.resume()` with source hwm 0 of `["a",
    /// ""]` and `t` hwm 0 both sides: the source `_read resume data pause
    /// _read _read resume end pause close`.
    #[test]
    fn a_source_reads_on_before_the_drain_of_a_flowing_transform_resumes_it() {
        let log = Log::default();
        let chunks = Chunks(Log::clone(&log), vec!["a", ""].into_iter());
        let mut source = Readable::new(chunks).with_high_water_mark(0);
        source.observe(observer(&log, "source"));
        let transform = Duplex::<Bytes, Bytes>::pass_through().with_high_water_mark(0);
        let transform = Shared::new(transform);
        let mut writer = transform.clone();
        let mut piping = pipe(&mut source, &mut writer, PipeOptions::default());
        transform.lock().resume();
        for _ in 0..4 {
            let _ = poll(&mut piping);
            transform.lock().tick();
        }
        assert_eq!(
            entries(&log, "source"),
            [
                "_read", "resume", "data", "pause", "_read", "_read", "resume", "end", "pause",
                "close"
            ]
        );
    }

    /// A pipe into a flowing transform nobody reads, made while its write
    /// is held, pauses the source; the transform's `resume_`, queued
    /// first, flows and calls the write back: its `drain` resumes the
    /// source before the source's own `resume_` (the pipe's) runs, so
    /// `resume` comes once (readable.js `pipe`, `pipeOnDrain`). Node 20,
    /// `t.resume(); t.write("a"); source.pipe(t)`, both transforms hwm 0:
    /// the source `pause resume`, `t` `resume data drain`.
    #[test]
    fn a_flowing_transforms_drain_comes_before_its_sources_resume() {
        let log = Log::default();
        let mut source = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        source.observe(observer(&log, "source"));
        let mut transform = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        transform.observe(observer(&log, "transform"));
        transform.resume();
        assert!(!transform.write(1).unwrap());
        let transform = Shared::new(transform);
        let mut writer = transform.clone();
        let mut piping = pipe(&mut source, &mut writer, PipeOptions::default());
        for _ in 0..3 {
            let _ = poll(&mut piping);
            transform.lock().tick();
        }
        assert_eq!(entries(&log, "source"), ["pause", "resume"]);
        assert_eq!(
            entries(&log, "transform"),
            ["pipe", "resume", "data", "drain"]
        );
    }

    /// A pipeline's source paused at once (its stage held a write) still
    /// runs the `resume_` its pipe queued before the stage's own: `resume`
    /// comes then, and again after the stage's `drain` resumes it
    /// (readable.js:1254-1265, `pipeOnDrain`). Node 20, a deferred source
    /// of one chunk, `t.write(x); pipeline(source, t, sink)` with `t` and
    /// `sink` hwm 0: the source `pause _read resume resume data`.
    #[test]
    fn a_source_paused_by_its_pipeline_runs_its_resume_before_the_stages() {
        let log = Log::default();
        let mut source = Readable::new(Counted::deferred(&log, 1)).with_high_water_mark(0);
        source.observe(observer(&log, "source"));
        let mut transform = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        assert!(!transform.write(7).unwrap());
        let sink = Writable::new(NullSink).with_high_water_mark(0);
        let mut future = pipeline(source).pipe(transform).pipe(sink);
        until_ready(&mut future).unwrap();
        assert_eq!(
            entries(&log, "source")[..5],
            ["pause", "_read", "resume", "resume", "data"]
        );
    }

    /// A destination ended while the source waits for its `drain` emits
    /// none (writable.js, `afterWrite`): the source stays paused, and the
    /// destination's `finish` unpipes it without resuming it, as its data
    /// listener is gone (readable.js, pipe's `cleanup`). Node 20, source
    /// hwm 1 of two chunks and an ended transform both piped into a
    /// destination of hwm 0 whose sink calls back later: the source
    /// `_read resume _read data pause`, the destination `_write prefinish
    /// finish unpipe unpipe close`.
    #[test]
    fn a_destination_ended_while_awaited_leaves_its_source_paused() {
        let log = Log::default();
        let mut source = Readable::from_iter([1u32, 2]).with_high_water_mark(1);
        source.observe(observer(&log, "source"));
        let mut ended = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        ended.end().unwrap();
        let gate = Arc::new(AtomicBool::new(false));
        let mut dest = Writable::new(Gated(Arc::clone(&gate))).with_high_water_mark(0);
        dest.observe(observer(&log, "dest"));
        let dest = Shared::new(dest);
        let (mut first, mut second) = (dest.clone(), dest.clone());
        let mut piping = pipe(&mut source, &mut first, PipeOptions::default());
        let mut ending = pipe(&mut ended, &mut second, PipeOptions::default());
        for _ in 0..3 {
            let _ = poll(&mut piping);
            let _ = poll(&mut ending);
        }
        gate.store(true, Ordering::SeqCst);
        for _ in 0..3 {
            let _ = poll(&mut piping);
            let _ = poll(&mut ending);
        }
        drop((piping, ending));
        source.tick();
        assert_eq!(entries(&log, "source"), ["resume", "data", "pause"]);
        assert_eq!(source.flowing(), Some(false));
        assert_eq!(
            entries(&log, "dest"),
            [
                "pipe",
                "pipe",
                "prefinish",
                "finish",
                "unpipe",
                "unpipe",
                "close"
            ]
        );
    }

    /// Pipes an empty source into `dest`, which was ended before the pipe
    /// and refuses a write after it (destroyed); returns the source's
    /// events once the pipe is over and the source had its tick.
    fn pipe_into_refusing<W>(dest: W) -> Vec<String>
    where
        W: WritableStream<Input = u32> + 'static,
    {
        let log = Log::default();
        let mut source = Readable::from_iter(std::iter::empty::<u32>()).with_high_water_mark(0);
        source.observe(observer(&log, "source"));
        let dest = Shared::new(dest);
        dest.lock().end().unwrap();
        let mut piped = dest.clone();
        let mut piping = pipe(&mut source, &mut piped, PipeOptions::default());
        let refused = dest.lock().write(1).unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::WriteAfterEnd);
        let _ = until_ready(&mut piping);
        drop(piping);
        source.tick();
        entries(&log, "source")
    }

    /// A Writable ended before the pipe and destroyed after it never
    /// finishes (writable.js, `needFinish` wants it not destroyed): the
    /// `error` that unpipes it comes after the source's `resume`. Node 20,
    /// `s1.end(); s0.pipe(s1); s1.write()` refused: s0 `_read resume pause
    /// end close`. A transform's `finish`, queued by its final hook inside
    /// `end()`, still comes first (`onFinish` does not ask): s0 `pause
    /// _read resume`. (Where the `pause` falls against the source's own
    /// `end` is the order of two streams' ticks, which a pipe polled alone
    /// does not show.)
    #[test]
    fn a_destination_destroyed_after_its_end_unpipes_after_the_resume() {
        let events = pipe_into_refusing(Writable::new(NullSink).with_high_water_mark(0));
        assert_eq!(events[0], "resume");
        assert!(events.contains(&"pause".to_owned()));
        assert_eq!(
            pipe_into_refusing(Duplex::<u32, u32>::pass_through().with_high_water_mark(0)),
            ["pause", "resume"]
        );
    }

    /// A transform (both marks 0) that logs each call of its transform as
    /// `"name _transform"` and pushes the chunk on.
    fn logged_transform(log: &Log, name: &'static str) -> Duplex<u32, u32> {
        let calls = Arc::clone(log);
        let transform = FnTransform::new(move |chunk: u32, out: &mut Push<'_, u32>| {
            calls.lock().unwrap().push(format!("{name} _transform"));
            out.push(chunk);
            Ok(())
        });
        let mut stream = Duplex::transform(transform).with_high_water_mark(0);
        stream.observe(observer(log, name));
        stream
    }

    /// Node runs one `nextTick` queue: the destination's `resume_`,
    /// queued before the source's, runs first, so its `resume` comes
    /// before the `_transform` of the chunk the source's `resume_` flows
    /// into it. Node 20, two transforms (marks 0), `s0.write("a");
    /// s1.resume(); s0.pipe(s1)`, then a tick: s1 `pipe | resume
    /// _transform(a) data(1) drain`.
    #[test]
    fn a_destinations_older_tick_runs_before_what_the_source_writes() {
        let log = Log::default();
        let mut source = logged_transform(&log, "source");
        assert!(!source.write(1).unwrap());
        let dest = Shared::new(logged_transform(&log, "dest"));
        dest.lock().resume();
        let mut writer = dest.clone();
        let mut piping = pipe(&mut source, &mut writer, PipeOptions::default());
        assert!(poll(&mut piping).is_pending());
        assert_eq!(entries(&log, "dest")[..3], ["pipe", "resume", "_transform"]);
    }

    /// A transform piped and flowing emits what each write pushes at once,
    /// as Node does; a writer that does not wait for the pipe to take it
    /// still meets the transform's highWaterMark: what an earlier write
    /// pushed counts once that write returned, so `write()` returns
    /// `false` within a few writes, not after everything was buffered.
    #[test]
    fn a_piped_transform_written_faster_than_its_pipe_takes_stays_bounded() {
        let stage = Shared::new(Duplex::<u32, u32>::pass_through().with_high_water_mark(2));
        let mut reader = stage.clone();
        let mut dest = Writable::new(NullSink);
        let mut piping = pipe(&mut reader, &mut dest, PipeOptions::default());
        for _ in 0..3 {
            assert!(poll(&mut piping).is_pending());
        }
        let mut accepted = 0;
        while accepted < 100 && stage.lock().write(accepted).unwrap() {
            accepted += 1;
        }
        assert!(accepted <= 4, "{accepted} writes accepted");
        assert!(stage.lock().readable_length() <= 3);
    }

    /// The same in a pipeline: Node 20, a transform (marks 0) resumed,
    /// `pipeline(s0, transform, s1)`, a chunk into s0, then a tick: the
    /// transform `pipe | resume _transform(e) data(1)`.
    #[test]
    fn a_stages_older_tick_runs_before_what_upstream_writes() {
        let log = Log::default();
        let mut stage = logged_transform(&log, "stage");
        stage.resume();
        let (_pusher, source) = Pusher::attach(Readable::external().with_high_water_mark(0));
        let dest = Writable::new(NullSink).with_high_water_mark(0);
        // Behind a handle, the stage takes each chunk by a `write()`.
        let mut future = pipeline(source.clone()).pipe(Shared::new(stage)).pipe(dest);
        assert!(!source.lock().unshift(1).unwrap());
        assert!(poll(&mut future).is_pending());
        assert_eq!(
            entries(&log, "stage")[..3],
            ["pipe", "resume", "_transform"]
        );
    }

    /// Node runs one `nextTick` queue: a source destroyed before a
    /// transform was ended and piped into delivers its `error` and `close`
    /// before the transform's `finish`, whose `unpipe` pauses it. Node 20,
    /// `s0.destroy(err); s1.end(); s0.pipe(s1)`, then a tick: s0 `error
    /// close pause resume`.
    #[test]
    fn a_sources_older_close_comes_before_the_pause_a_destination_makes() {
        let log = Log::default();
        let mut source = empty_source(&log);
        let mut dest = logged_transform(&log, "dest");
        source.destroy(Some(Error::from_kind(ErrorKind::Destroyed)));
        dest.end().unwrap();
        let mut piping = pipe(&mut source, &mut dest, PipeOptions::default());
        let _ = until_ready(&mut piping);
        drop(piping);
        source.tick();
        assert_eq!(
            entries(&log, "source"),
            ["error", "close", "pause", "resume"]
        );
    }

    /// The same for the `resume` the pipe queued on a source closed
    /// already: Node 20, a readable destroyed (and closed), piped into an
    /// ended transform that holds a chunk, which a write after its end
    /// then fails: the source's `resume` comes before the `pause` of the
    /// destination's `error`.
    #[test]
    fn a_closed_sources_resume_comes_before_the_pause_a_destination_makes() {
        let log = Log::default();
        let source = Shared::new(Readable::<u32>::empty());
        source.lock().observe(observer(&log, "source"));
        source.lock().destroy(None);
        source.lock().tick();
        let dest = Shared::new(logged_transform(&log, "dest"));
        assert!(!dest.lock().write(1).unwrap());
        dest.lock().end().unwrap();
        let (mut reader, mut writer) = (source.clone(), dest.clone());
        let mut piping = pipe(&mut reader, &mut writer, PipeOptions::default());
        assert!(dest.lock().write(1).is_err());
        // Ticks as the harness lets them pass: the pipe, the destination's
        // writable side, the source nothing reads any more.
        for _ in 0..3 {
            let _ = poll(&mut piping);
            let _ = dest
                .lock()
                .poll_finish(&mut Context::from_waker(Waker::noop()));
            source.lock().tick();
        }
        assert_eq!(entries(&log, "source"), ["close", "resume", "pause"]);
    }

    /// Node's pipe writes a chunk inside its `data` event, and pauses the
    /// source there when the write returns `false`: the `close` of a
    /// destroy comes on a later tick. Node 20, two transforms (marks 0),
    /// `s0.write(""); s0.pipe(s1); s0.destroy()`, then a tick: s0 `resume
    /// data(1) pause close`.
    #[test]
    fn a_destroyed_source_pauses_for_the_chunk_it_flowed_before_its_close() {
        let log = Log::default();
        let source = Shared::new(logged_transform(&log, "source"));
        assert!(!source.lock().write(1).unwrap());
        let mut reader = source.clone();
        let mut dest = logged_transform(&log, "dest");
        let mut piping = pipe(&mut reader, &mut dest, PipeOptions::default());
        source.lock().destroy(None);
        let _ = poll(&mut piping);
        let _ = poll(&mut piping);
        drop(piping);
        assert_eq!(
            entries(&log, "source")[..5],
            ["_transform", "resume", "data", "pause", "close"]
        );
    }

    /// In a pipeline too: Node 20, a readable destroyed with an error, a
    /// transform ended, `pipeline(readable, transform, writable)`, then a
    /// tick: the readable `error close pause resume` (the transform's
    /// `finish` unpipes it after its own `error` and `close`).
    #[test]
    fn a_stages_upstream_closes_before_the_pause_its_finish_makes() {
        let log = Log::default();
        let mut source = empty_source(&log);
        source.destroy(Some(Error::from_kind(ErrorKind::Destroyed)));
        let mut stage = logged_transform(&log, "stage");
        stage.end().unwrap();
        let dest = Writable::new(NullSink).with_high_water_mark(0);
        let mut future = pipeline(source).pipe(stage).pipe(dest);
        assert!(until_ready(&mut future).is_err());
        assert_eq!(
            entries(&log, "source"),
            ["error", "close", "pause", "resume"]
        );
    }

    /// A writable destination destroyed after the source: the source's
    /// `error` and `close` come before the pause of the destination's
    /// `close` (Node 20, `s0.destroy(err); s1.destroy(); s0.pipe(s1)`,
    /// then a tick: s0 `error close pause resume`, s1 `pipe close
    /// unpipe`).
    #[test]
    fn a_sources_older_close_comes_before_the_pause_a_writables_close_makes() {
        let log = Log::default();
        let mut source = empty_source(&log);
        let mut dest = Writable::new(NullSink).with_high_water_mark(0);
        dest.observe(observer(&log, "dest"));
        source.destroy(Some(Error::from_kind(ErrorKind::Destroyed)));
        dest.destroy(None);
        let mut piping = pipe(&mut source, &mut dest, PipeOptions::default());
        let _ = until_ready(&mut piping);
        drop(piping);
        source.tick();
        assert_eq!(
            entries(&log, "source"),
            ["error", "close", "pause", "resume"]
        );
        assert_eq!(entries(&log, "dest"), ["pipe", "close", "unpipe"]);
    }

    /// The same for a writable destination's `finish` due from `end()`:
    /// Node 20, `s0.destroy(); s1.end(); s0.pipe(s1)` (a readable, a
    /// writable), then a tick: s0 `close pause resume`, s1 `prefinish
    /// pipe finish unpipe close`.
    #[test]
    fn a_sources_older_close_comes_before_the_pause_a_writables_finish_makes() {
        let log = Log::default();
        let mut source = empty_source(&log);
        let mut dest = Writable::new(NullSink).with_high_water_mark(0);
        dest.observe(observer(&log, "dest"));
        source.destroy(None);
        dest.end().unwrap();
        let mut piping = pipe(&mut source, &mut dest, PipeOptions::default());
        let _ = until_ready(&mut piping);
        drop(piping);
        source.tick();
        let _ = dest.poll_finish(&mut Context::from_waker(Waker::noop()));
        assert_eq!(entries(&log, "source"), ["close", "pause", "resume"]);
        assert_eq!(
            entries(&log, "dest"),
            ["prefinish", "pipe", "finish", "unpipe", "close"]
        );
    }

    /// Pipelines a source of `chunks` (asks logged) with `high_water_mark`
    /// into a destination ended before; returns the source's events.
    fn pipeline_into_ended(chunks: u32, high_water_mark: usize) -> Vec<String> {
        let log = Log::default();
        let mut source =
            Readable::new(Counted::new(&log, chunks)).with_high_water_mark(high_water_mark);
        source.observe(observer(&log, "source"));
        let mut dest = Writable::new(NullSink).with_high_water_mark(0);
        dest.end().unwrap();
        let mut future = pipeline(source).pipe(dest);
        assert_eq!(
            until_ready(&mut future).unwrap_err().kind(),
            ErrorKind::PrematureClose
        );
        entries(&log, "source")
    }

    /// A pipeline into a destination ended before it: the destination's
    /// `finish` unpipes it, pausing the source, and the pipeline fails at
    /// its `close`, a tick later, after the source's `resume_` the pipe
    /// queued, whose `read(0)` asks the source (pipeline.js `pipe`, the
    /// destination's `close` listener). Node 20, `s1.end();
    /// pipeline(s0, s1)`: s0 `pause _read resume error close`. Only what
    /// was queued before that `close` runs: the `maybeReadMore_` the
    /// `resume_`'s push queues comes after it (hwm 2, one chunk: the same
    /// events).
    #[test]
    fn a_pipeline_source_resumes_before_a_destination_closed_early_fails_it() {
        let node = ["pause", "_read", "resume", "error", "close"];
        assert_eq!(pipeline_into_ended(0, 0), node);
        assert_eq!(pipeline_into_ended(1, 2), node);
    }

    /// A destination of two pipes, ended after both were made: the second
    /// pipe's source queued its `resume_` before the destination's
    /// `finish`, so it flows first, and its chunk, written after `end()`,
    /// fails the destination, which then never finishes, although the
    /// first pipe reaches it first (writable.js `writeAfterEnd` and
    /// `needFinish`). Node 20, `first.pipe(dest); second.pipe(dest);
    /// dest.end()`, a tick: dest `pipe pipe prefinish unpipe unpipe
    /// error(ERR_STREAM_WRITE_AFTER_END) close`.
    #[test]
    fn another_pipes_source_flows_before_the_destinations_finish() {
        let log = Log::default();
        let mut dest = Writable::new(NullSink).with_high_water_mark(0);
        dest.observe(observer(&log, "dest"));
        let dest = Shared::new(dest);
        let mut first = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        let mut second = Readable::from_iter([1u32]).with_high_water_mark(0);
        let (mut into_first, mut into_second) = (dest.clone(), dest.clone());
        let mut first_pipe = pipe(&mut first, &mut into_first, PipeOptions::default());
        let mut second_pipe = pipe(&mut second, &mut into_second, PipeOptions::default());
        dest.lock().end().unwrap();
        assert!(poll(&mut first_pipe).is_pending());
        let failed = until_ready(&mut second_pipe).unwrap_err();
        assert_eq!(failed.kind(), ErrorKind::WriteAfterEnd);
        assert_eq!(
            until_ready(&mut first_pipe).unwrap_err().kind(),
            ErrorKind::WriteAfterEnd
        );
        let node = [
            "pipe",
            "pipe",
            "prefinish",
            "unpipe",
            "unpipe",
            "error",
            "close",
        ];
        assert_eq!(entries(&log, "dest"), node);
    }

    /// A pipe or pipeline dropped before its source's `resume_` ran no
    /// longer holds its destination's `finish`: ended later, the
    /// destination still finishes.
    #[test]
    fn a_dropped_pipe_does_not_hold_its_destinations_finish() {
        let dest = Shared::new(Writable::new(NullSink).with_high_water_mark(0));
        let mut source = Readable::from_iter([1u32]);
        let mut into = dest.clone();
        drop(pipe(&mut source, &mut into, PipeOptions::default()));
        drop(pipeline(Readable::from_iter([2u32])).pipe(dest.clone()));
        dest.lock().end().unwrap();
        let mut finish = std::pin::pin!(std::future::poll_fn(|cx| dest.lock().poll_finish(cx)));
        assert!(poll_until_ready(&mut finish, 10).is_ok());
        // A Duplex destination, whose `finish` waits the same way.
        let stage = Shared::new(Duplex::<u32, u32>::pass_through());
        drop(pipeline(Readable::from_iter([3u32])).pipe(stage.clone()));
        stage.lock().end().unwrap();
        let mut finish = std::pin::pin!(std::future::poll_fn(|cx| stage.lock().poll_finish(cx)));
        assert!(poll_until_ready(&mut finish, 10).is_ok());
    }

    /// A destination of two pipes, which one pipe's source ended while
    /// the other's `resume_`, queued before that `finish`, had not run:
    /// the pipe whose source ended unpipes the destination at its
    /// `finish`, which the other pipe's poll delivers, pausing the source
    /// before the `close` that source queued after its `end` (readable.js,
    /// the pipe's `onfinish` → `unpipe`). Node 20, `first.pipe(dest);
    /// first.push(null); second.pipe(dest)`, a tick: first `resume end
    /// pause close`, dest `finish unpipe unpipe close`.
    #[test]
    fn a_destination_finished_by_another_pipe_unpipes_before_the_source_closes() {
        let log = Log::default();
        let (pusher, first) = Pusher::<u32>::new();
        first.lock().observe(observer(&log, "first"));
        pusher.end();
        let mut second = Readable::from_iter(Vec::<u32>::new()).with_high_water_mark(0);
        let mut dest = Writable::new(NullSink).with_high_water_mark(0);
        dest.observe(observer(&log, "dest"));
        let dest = Shared::new(dest);
        let (mut reading, mut into_first, mut into_second) =
            (first.clone(), dest.clone(), dest.clone());
        let mut first_pipe = pipe(&mut reading, &mut into_first, PipeOptions::default());
        let mut second_pipe = pipe(&mut second, &mut into_second, PipeOptions::default());
        let mut polls = 0;
        while poll(&mut first_pipe).is_pending() | poll(&mut second_pipe).is_pending() {
            polls += 1;
            assert!(polls < 10, "both pipes complete");
        }
        drop(first_pipe);
        first.lock().tick();
        assert_eq!(entries(&log, "first"), ["resume", "end", "pause", "close"]);
        let dest_events = entries(&log, "dest");
        assert_eq!(
            dest_events[dest_events.len() - 4..],
            ["finish", "unpipe", "unpipe", "close"]
        );
    }

    /// A source that had ended, piped into a destination that had closed,
    /// then into another: the second finishes and is unpiped, but Node's
    /// pipe never heard from the first, which stays among the source's
    /// pipes, so the source does not pause (readable.js:1116-1120,
    /// `unpipe` pauses only when no pipe is left). Node 20: `src.resume();
    /// closed.end()`, a tick, `src.pipe(closed); src.pipe(open)`, a tick:
    /// open `finish unpipe close`, src neither paused nor resumed.
    #[test]
    fn a_destination_closed_before_the_pipe_keeps_the_source_flowing() {
        let log = Log::default();
        let mut source = empty_source(&log);
        source.resume();
        source.tick();
        let mut closed = Writable::new(NullSink).with_high_water_mark(0);
        closed.observe(observer(&log, "closed"));
        closed.end().unwrap();
        let _ = closed.poll_finish(&mut Context::from_waker(Waker::noop()));
        WritableStream::flush_events(&mut closed);
        assert!(WritableStream::is_closed(&closed));
        let mut open = Writable::new(NullSink).with_high_water_mark(0);
        open.observe(observer(&log, "open"));
        let before = entries(&log, "source").len();
        let mut piping = pipe_all(
            &mut source,
            vec![&mut closed, &mut open],
            PipeOptions::default(),
        );
        until_ready(&mut piping).unwrap();
        drop(piping);
        WritableStream::flush_events(&mut open);
        assert_eq!(entries(&log, "source")[before..], [] as [String; 0]);
        assert_eq!(
            entries(&log, "open"),
            ["pipe", "prefinish", "finish", "unpipe", "close"]
        );
        assert_eq!(
            entries(&log, "closed"),
            ["prefinish", "finish", "close", "pipe"]
        );
        assert_eq!(source.flowing(), Some(true));
    }

    /// Pipes `source` into a writable (mark 0), destroys the writable,
    /// then lets `fail` fail the source, and polls the pipe to its end;
    /// the destination gets `pipe close unpipe`.
    fn source_failing_after_its_destination_closed<S>(
        log: &Log,
        source: &Shared<S>,
        fail: impl FnOnce(&mut S),
    ) where
        S: ReadableStream<Output = u32>,
    {
        let mut reader = source.clone();
        let mut dest = Writable::new(NullSink).with_high_water_mark(0);
        dest.observe(observer(log, "dest"));
        let dest = Shared::new(dest);
        let mut writer = dest.clone();
        let mut piping = pipe(&mut reader, &mut writer, PipeOptions::default());
        assert!(poll(&mut piping).is_pending());
        dest.lock().destroy(None);
        fail(&mut source.lock());
        let _ = poll_until_ready(&mut piping, 10);
        drop(piping);
        assert_eq!(entries(log, "dest"), ["pipe", "close", "unpipe"]);
    }

    /// A destination's `close` queued before its source's `error` comes
    /// first: Node's pipe unpipes there (readable.js:1037-1040 `onclose`,
    /// 1049-1051 `unpipe`), and `src.unpipe(dest)` pauses the source
    /// left without pipes (readable.js:1116-1118) before its `error`.
    /// Node 20, `src.pipe(dst); dst.destroy(); src.destroy(err)`: `dst:pipe
    /// src:resume dst:close src:pause dst:unpipe src:error src:close`.
    #[test]
    fn a_destination_closed_before_its_sources_error_pauses_the_source_first() {
        let log = Log::default();
        let (_pusher, source) = Pusher::<u32>::new();
        source.lock().observe(observer(&log, "source"));
        source_failing_after_its_destination_closed(&log, &source, |source| {
            source.destroy(Some(Error::new(ErrorKind::InvalidData, "boom")));
        });
        source.lock().tick();
        assert_eq!(
            entries(&log, "source"),
            ["resume", "pause", "error", "close"]
        );
    }

    /// The read that takes a source's last chunk at its end queues the
    /// `end` before the write's after-write tick (readable.js:775-777
    /// `endReadable`; writable.js:656-680 `onwrite`): the destination's
    /// `end()` finds that tick pending, which queues the `finish`
    /// (writable.js:717-718) after the source's `close`, queued at its
    /// `end` (readable.js:1713-1714): `pause` comes last. Node 20, in
    /// object mode, `src.push(x); src.push(null); src.pipe(dst)` into a
    /// Writable of mark 0: `... src:end dst:prefinish src:close
    /// dst:finish src:pause dst:unpipe dst:close`.
    #[test]
    fn a_source_ended_by_the_read_of_its_last_chunk_closes_before_it_pauses() {
        let log = Log::default();
        let (pusher, source) = Pusher::<u32>::new();
        source.lock().observe(observer(&log, "source"));
        pusher.push(1);
        pusher.end();
        let mut reader = source.clone();
        let mut dest = Writable::new(NullSink).with_high_water_mark(0);
        dest.observe(observer(&log, "dest"));
        let mut piping = pipe(&mut reader, &mut dest, PipeOptions::default());
        poll_until_ready(&mut piping, 10).unwrap();
        drop(piping);
        let events = entries(&log, "source");
        assert_eq!(events[events.len() - 3..], ["end", "close", "pause"]);
        assert_eq!(
            entries(&log, "dest"),
            ["pipe", "prefinish", "finish", "unpipe", "close"]
        );
    }

    /// A transform whose `_transform` failed inside `write()` is destroyed
    /// a tick later (writable.js:646-647 `nextTick(onwriteError)`), which
    /// queues its `error` and `close` behind a destination's `close`
    /// queued before: the pipe unpipes there, pausing the source first
    /// (readable.js:1037-1040 `onclose`). Node 20, `src.pipe(dst);
    /// dst.destroy(); src.write(x)` failing: `dst:pipe src:resume
    /// dst:close src:pause dst:unpipe src:error src:close`.
    #[test]
    fn a_destination_closed_before_a_failed_write_destroys_its_source_pauses_it_first() {
        let log = Log::default();
        let failing = FnTransform::new(|_: u32, _: &mut Push<'_, u32>| {
            Err(Error::new(ErrorKind::InvalidData, "boom"))
        });
        let mut source = Duplex::transform(failing).with_high_water_mark(0);
        source.observe(observer(&log, "source"));
        let source = Shared::new(source);
        source_failing_after_its_destination_closed(&log, &source, |source| {
            assert!(!source.write(1).unwrap());
        });
        source.lock().tick();
        assert_eq!(
            entries(&log, "source"),
            ["resume", "pause", "error", "close"]
        );
    }

    /// A destination's after-write tick queued before the source's
    /// `resume_` runs before it (Node's one `nextTick` queue), so the
    /// write that `resume_` flows queues a new one, after the source's
    /// `end` its read queued: the source's `close` comes before the
    /// destination's `finish` (see the test above). A duplex source's
    /// own `finish` tick, older, gives the pipe nothing. Node 20, a
    /// transform whose flush pushes two chunks, `src.end(); dst.write(x);
    /// src.read(); src.pipe(dst)`: `... src:end dst:prefinish src:close
    /// dst:finish src:pause dst:unpipe dst:close`.
    #[test]
    fn a_destinations_older_after_write_tick_runs_before_the_sources_resume() {
        let log = Log::default();
        let flushing = FnTransform::new(|chunk: u32, out: &mut Push<'_, u32>| {
            out.push(chunk);
            Ok(())
        })
        .with_flush(|out| {
            out.push(10);
            out.push(11);
            Ok(())
        });
        let mut source = Duplex::transform(flushing).with_high_water_mark(0);
        source.observe(observer(&log, "source"));
        let mut dest = Writable::new(NullSink).with_high_water_mark(0);
        dest.observe(observer(&log, "dest"));
        source.end().unwrap();
        dest.write(1).unwrap();
        assert_eq!(source.read(), Some(10));
        let mut piping = pipe(&mut source, &mut dest, PipeOptions::default());
        poll_until_ready(&mut piping, 10).unwrap();
        drop(piping);
        source.tick();
        let events = entries(&log, "source");
        assert_eq!(events[events.len() - 3..], ["end", "close", "pause"]);
        assert_eq!(
            entries(&log, "dest"),
            ["pipe", "prefinish", "finish", "unpipe", "close"]
        );
    }

    /// A transform that ended, piped into a transform piped on: the
    /// destination's `finish`, queued when the source's `end` ended it,
    /// unpipes and pauses the source before the `close` the source's
    /// auto-destroy queued after that `end`, even when a task awaiting
    /// the source's own `finish` polls it in between (readable.js:1698-1714
    /// `endReadableNT`; writable.js:886-902 `onFinish` queues `finish`;
    /// readable.js:1042-1046 `onfinish` unpipes).
    /// Node 20, three transforms (marks 0): `s0.end(); s1.pipe(s2);
    /// s0.pipe(s1)`, then ticks: s0 `end pause close`, s1 `end finish
    /// unpipe pause close`.
    #[test]
    fn a_piped_source_closes_after_the_finish_its_end_queued() {
        let log = Log::default();
        let first = Shared::new(logged_transform(&log, "s0"));
        let second = Shared::new(logged_transform(&log, "s1"));
        let mut third = logged_transform(&log, "s2");
        first.lock().end().unwrap();
        let (mut reading, mut into_second, mut out_of_second) =
            (first.clone(), second.clone(), second.clone());
        let mut onward = pipe(&mut out_of_second, &mut third, PipeOptions::default());
        let mut piping = pipe(&mut reading, &mut into_second, PipeOptions::default());
        let mut cx = Context::from_waker(Waker::noop());
        let mut polls = 0;
        while poll(&mut onward).is_pending() | poll(&mut piping).is_pending() {
            let _ = WritableStream::poll_finish(&mut *first.lock(), &mut cx);
            polls += 1;
            assert!(polls < 10, "both pipes complete");
        }
        drop((onward, piping));
        first.lock().tick();
        second.lock().tick();
        let events = entries(&log, "s0");
        assert_eq!(events[events.len() - 3..], ["end", "pause", "close"]);
        let events = entries(&log, "s1");
        assert_eq!(
            events[events.len() - 5..],
            ["end", "finish", "unpipe", "pause", "close"]
        );
    }

    /// The read of the `resume_` a pipe queued finds its source's end: Node
    /// queues `end` (readable.js:473-475 `endReadable`), so a destination's
    /// `resume_` queued before it comes first, then the `end` unpipes.
    /// Node 20: an empty source (mark 0) piped with `end: false` into a
    /// transform, `resume()` on the transform, a tick: `source _read`,
    /// `source resume`, `dest resume`, `source end`, `source pause`,
    /// `dest unpipe`, `source close`.
    #[test]
    fn a_destination_tick_queued_before_the_end_its_source_found_comes_first() {
        let log = Log::default();
        let mut source = Readable::from_iter(Vec::<u32>::new()).with_high_water_mark(0);
        source.observe(observer(&log, "source"));
        let dest = Shared::new(logged_transform(&log, "dest"));
        let mut writer = dest.clone();
        let mut piping = pipe(&mut source, &mut writer, PipeOptions::keep_open());
        dest.lock().resume();
        assert!(poll(&mut piping).is_pending());
        dest.lock().tick();
        until_ready(&mut piping).unwrap();
        drop(piping);
        source.tick();
        let events: Vec<String> = log.lock().unwrap().clone();
        assert_eq!(
            events[events.len() - 6..],
            [
                "source resume",
                "dest resume",
                "source end",
                "source pause",
                "dest unpipe",
                "source close"
            ]
        );
    }
}
