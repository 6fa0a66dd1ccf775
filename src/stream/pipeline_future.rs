//! [`PipelineFuture`]: a complete pipeline, as a future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::chunk::Chunk;
use super::error::{Error, ErrorKind, Result};
use super::pump::Pump;
use super::readable_stream::ReadableStream;
use super::writable_stream::WritableStream;

/// A complete pipeline, as a future: resolves once every destination
/// finished, or with the first error; in both cases after every stage
/// delivered its last events (`error`, `close`), at the next poll.
///
/// Dropping it before it resolves destroys every stage (an atomic file
/// destination is then discarded).
#[must_use = "a pipeline does nothing unless awaited"]
pub struct PipelineFuture<T: Chunk> {
    head: Box<dyn ReadableStream<Output = T>>,
    destinations: Vec<Box<dyn WritableStream<Input = T>>>,
    pump: Pump<T>,
    /// Position of the first destination in the pipeline.
    first_destination: usize,
    cancel: Option<Pin<Box<WaitForCancellationFutureOwned>>>,
    /// The outcome, once every stage is done: returned at the next poll,
    /// as Node calls a pipeline's callback on the next tick.
    outcome: Option<Result<()>>,
    /// The error of a stage that had failed before the pipeline was made,
    /// the pipeline's error if it fails (see [`failed_before`]).
    failed_before: Option<Error>,
    /// For each destination, whether its own error is one the pipeline
    /// never hears of (see [`failure_unheard`]).
    unheard: Vec<bool>,
}

impl<T: Chunk> PipelineFuture<T> {
    /// Pipes `head` into `destinations` at once, as Node's `pipeline()`
    /// does: `pipe` on each, and the head flows unless one of them already
    /// waits for `drain`.
    pub(crate) fn new(
        mut head: Box<dyn ReadableStream<Output = T>>,
        mut destinations: Vec<Box<dyn WritableStream<Input = T>>>,
        mut pump: Pump<T>,
        first_destination: usize,
    ) -> Self {
        let unheard = failure_unheard(&*head, &destinations);
        let failed_before = failed_before(&*head, &destinations, &unheard);
        // A stage had closed with an error before the pipeline: Node's
        // pipeline hears of it on its first tick (end-of-stream.js:208,
        // `process.nextTick(onclose)` for a stream already closed), before
        // what is queued after the pipeline, and fails then, whatever the
        // pipe waits for, destroying every stage with the first error it
        // heard (pipeline.js:236, `finishImpl`).
        let closed_failed = (head.destroy_tick().is_none() && head.failure().is_some())
            || destinations
                .iter()
                .any(|destination| destination.is_closed() && destination.failure().is_some());
        pump.start(&mut *head, &mut destinations);
        if closed_failed && let Some(error) = &failed_before {
            pump.fail_first(error.clone());
        }
        PipelineFuture {
            head,
            destinations,
            pump,
            first_destination,
            cancel: None,
            outcome: None,
            failed_before,
            unheard,
        }
    }

    /// Destroys every stage with [`ErrorKind::Aborted`](crate::ErrorKind::Aborted) when `token` is
    /// cancelled; the future then returns that error.
    pub fn with_cancel(mut self, token: CancellationToken) -> Self {
        self.cancel = Some(Box::pin(token.cancelled_owned()));
        self
    }

    /// Delivers what every stage deferred (`error`, `close`): the future
    /// resolves after each stage's last events, as Node's callback does.
    fn flush_events(&mut self) {
        self.head.flush_events();
        self.flush_destination_events();
    }

    fn flush_destination_events(&mut self) {
        for destination in &mut self.destinations {
            destination.flush_events();
        }
    }

    /// The first stage's own error, other than a premature close: Node's
    /// pipeline keeps it over a premature close (`finishImpl`).
    #[cold]
    fn first_failure(&self) -> Option<Error> {
        let destinations = self
            .destinations
            .iter()
            .zip(&self.unheard)
            .map(|(d, &unheard)| d.failure().filter(|_| !unheard));
        std::iter::once(self.head.failure())
            .chain(destinations)
            .flatten()
            .find(|error| !matches!(error.kind(), ErrorKind::PrematureClose | ErrorKind::Aborted))
    }

    fn destroy_all(&mut self, error: &Error) {
        self.head.destroy(Some(error.clone()));
        for destination in &mut self.destinations {
            if !destination.is_finished() {
                destination.destroy(Some(error.clone()));
            }
        }
    }
}

/// A destination whose sink failed inside `write()` is destroyed on the
/// tick that queued (writable.js:646-647, `onwriteError`), its `error` on
/// the tick after: the pipeline hears of it after every stage that had
/// failed before, and not at all when a stage's `error` or `close` queued
/// before that tick fails the pipeline first, since the pipeline's destroy
/// then emits its own error (destroy.js:213-218, `errorOrDestroy` does
/// nothing on a destroyed stream). True for each destination so destroyed.
#[cold]
fn failure_unheard<T: Chunk>(
    head: &dyn ReadableStream<Output = T>,
    destinations: &[Box<dyn WritableStream<Input = T>>],
) -> Vec<bool> {
    let first_destroy_tick = std::iter::once(head.destroy_tick())
        .chain(destinations.iter().map(|d| d.destroy_tick()))
        .flatten()
        .min();
    destinations
        .iter()
        .map(|destination| {
            let failed_write = destination.failed_write_tick();
            failed_write
                .zip(first_destroy_tick)
                .is_some_and(|(failed, first)| first < failed)
        })
        .collect()
}

/// The first real error (not a premature close) Node's pipeline hears of
/// among the stages that had failed before it was made: each stage's
/// `finished` calls back at the stage's queued `error` (or `close`), in
/// the order they were queued, and for a stage that had closed, on a tick
/// the pipeline queues, stage by stage (end-of-stream.js:208-212,
/// `process.nextTick(onclose)`); the first real error is the pipeline's
/// (pipeline.js:226-229, `finishImpl`), whatever failed after it. A
/// destination whose sink failed inside `write()` comes last, if heard at
/// all (see [`failure_unheard`]).
#[cold]
fn failed_before<T: Chunk>(
    head: &dyn ReadableStream<Output = T>,
    destinations: &[Box<dyn WritableStream<Input = T>>],
    unheard: &[bool],
) -> Option<Error> {
    let destinations = destinations
        .iter()
        .zip(unheard)
        .map(|(destination, &unheard)| {
            let failure = destination.failure().filter(|_| !unheard);
            (
                destination.destroy_tick(),
                destination.failed_write_tick(),
                failure,
            )
        });
    std::iter::once((head.destroy_tick(), None, head.failure()))
        .chain(destinations)
        .enumerate()
        .filter_map(|(index, (queued, failed_write, failure))| {
            let failure = failure.filter(|error| {
                !matches!(error.kind(), ErrorKind::PrematureClose | ErrorKind::Aborted)
            })?;
            // Queued ticks come before those the pipeline queues, a failed
            // write's `error` after both.
            let heard = match (queued, failed_write) {
                (Some(stamp), _) => (0, stamp),
                (None, None) => (1, index as u64),
                (None, Some(stamp)) => (2, stamp),
            };
            Some((heard, failure))
        })
        .min_by_key(|(heard, _)| *heard)
        .map(|(_, failure)| failure)
}

impl<T: Chunk> Future for PipelineFuture<T> {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        if let Some(outcome) = this.outcome.take() {
            // A `close` that waited for a `finished` future to see the
            // `error` before it comes before the callback.
            this.flush_events();
            return Poll::Ready(outcome);
        }
        if let Some(cancel) = this.cancel.as_mut()
            && cancel.as_mut().poll(cx).is_ready()
        {
            this.cancel = None;
            this.pump.stop_piping(&mut *this.head);
            let error = Error::from_kind(ErrorKind::Aborted);
            this.destroy_all(&error);
            this.flush_events();
            return Poll::Ready(Err(error));
        }
        let index = this.first_destination;
        let mut outcome = ready!(this.pump.poll(cx, &mut *this.head, &mut this.destinations));
        if outcome.is_err()
            && let Some(failure) = this.failed_before.take()
        {
            outcome = Err(failure);
        }
        if let Err(error) = &outcome
            && error.kind() == ErrorKind::PrematureClose
            && let Some(failure) = this.first_failure()
        {
            outcome = Err(failure);
        }
        if outcome.is_ok()
            && let Some(failure) = this.head.failure()
        {
            // A stage before the last failed after the end it passed on
            // (a middle stage that ended before its upstream): Node's
            // pipeline reports every stage's error (`finishImpl`).
            outcome = Err(failure);
        }
        let last_finished_at_head_end = match &outcome {
            // A duplex first stage ended after the destinations had
            // finished: Node's `finished` on it, the last the pipeline
            // awaited, resolved at its `end`.
            Ok(()) => this.pump.destinations_finished_first(),
            // A destination closed before a duplex first stage's `end`
            // (a premature close), which the stage emitted since without
            // failing: the pipeline calls back only once the pipe's
            // `finished` on that stage resolved, at that `end`
            // (pipeline.js:413-418 fails at the destination's `close`,
            // pipeline.js:441 waits for the source).
            Err(error) => {
                error.kind() == ErrorKind::PrematureClose
                    && this.head.end_emitted()
                    && this.head.failure().is_none()
            }
        };
        if last_finished_at_head_end && index == 1 && this.head.finished_at_end() {
            // The callback is queued at that `end`, before the `close`
            // the stage's auto-destroy queues after it (pipeline.js:242-246,
            // `finishImpl`; end-of-stream.js, `onend`).
            this.flush_destination_events();
            return Poll::Ready(outcome.map_err(|error| error.or_stage(index, None)));
        }
        this.flush_events();
        this.outcome = Some(outcome.map_err(|error| error.or_stage(index, None)));
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl<T: Chunk> Drop for PipelineFuture<T> {
    /// A pipeline dropped before it completed no longer reads its first
    /// stage: chunks `read()` takes from it (a [`Shared`](crate::Shared)
    /// kept elsewhere) are the caller's alone again, and a destination
    /// kept elsewhere no longer waits for the first stage's `resume_`
    /// before it finishes.
    fn drop(&mut self) {
        self.pump.stop_piping(&mut *self.head);
        self.pump.release_source_tick(&mut self.destinations);
    }
}

impl<T: Chunk> std::fmt::Debug for PipelineFuture<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelineFuture")
            .field("destinations", &self.destinations.len())
            .field("cancellable", &self.cancel.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    use super::*;
    use crate::{
        Busy, Duplex, NullSink, Pusher, Readable, ReadableExt, Shared, Writable, pipeline,
    };

    use crate::stream::event_log::{
        Counted, Log, entries, observer, poll, poll_until_ready, same_observed_or_not,
    };

    /// A chunk `read()` takes from a piped stage is copied for the pipe;
    /// once the pipeline is dropped, or cancelled, nothing is copied any
    /// more, and the stage's own reader never sees a chunk twice.
    #[test]
    fn a_pipeline_dropped_or_cancelled_lets_go_of_its_first_stage() {
        for cancelled in [false, true] {
            let (pusher, source) = Pusher::<u32>::new();
            let handle = source.clone();
            let token = CancellationToken::new();
            let mut future = pipeline(source)
                .pipe(Writable::new(Busy))
                .with_cancel(token.clone());
            assert!(poll(&mut future).is_pending());
            if cancelled {
                token.cancel();
                assert!(matches!(poll(&mut future), Poll::Ready(Err(_))));
            }
            drop(future);
            let mut cx = Context::from_waker(Waker::noop());
            let next = |cx: &mut Context<'_>| match handle.lock().poll_next_chunk(cx) {
                Poll::Ready(Some(Ok(n))) => Some(n),
                _ => None,
            };
            if cancelled {
                // Cancelling destroys every stage.
                assert_eq!(next(&mut cx), None);
                continue;
            }
            pusher.push(1);
            assert_eq!(handle.lock().read(), Some(1));
            pusher.push(2);
            assert_eq!(next(&mut cx), Some(2));
        }
    }

    /// Node's `pipeline()` pipes every stage inside the call: `pipe` on
    /// each destination, every source flowing, before any poll.
    #[test]
    fn every_stage_is_piped_when_the_pipeline_is_built() {
        let log = Log::default();
        let mut source = Readable::from_iter([1u32]);
        source.observe(observer(&log, "source"));
        let source = Shared::new(source);
        let mut middle = Duplex::<u32, u32>::pass_through();
        middle.observe(observer(&log, "middle"));
        let middle = Shared::new(middle);
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        let _future = pipeline(source.clone()).pipe(middle.clone()).pipe(dest);
        assert_eq!(entries(&log, "middle"), ["pipe"]);
        assert_eq!(entries(&log, "dest"), ["pipe"]);
        assert_eq!(source.lock().flowing(), Some(true));
        assert_eq!(middle.lock().flowing(), Some(true));
    }

    /// While the destination is busy, each stage before it takes what it
    /// can up to its own marks, as in Node 20: the middle stage's readable
    /// side and the source's buffer fill to their marks. (Node counts 3 in
    /// the middle stage's writable side, where its `write()` runs the
    /// transform at once.)
    #[test]
    fn stages_run_ahead_to_their_marks_while_the_destination_is_busy() {
        let source = Shared::new(Readable::from_iter(0..100u32).with_high_water_mark(4));
        let middle = Shared::new(
            Duplex::<u32, u32>::pass_through()
                .with_readable_high_water_mark(2)
                .with_writable_high_water_mark(3),
        );
        let dest = Shared::new(Writable::new(Busy).with_high_water_mark(1));
        let mut future = pipeline(source.clone())
            .pipe(middle.clone())
            .pipe(dest.clone());
        for _ in 0..4 {
            assert!(poll(&mut future).is_pending());
        }
        assert_eq!(dest.lock().writable_length(), 1);
        assert_eq!(middle.lock().readable_length(), 2);
        assert!(middle.lock().writable_length() >= 1);
        assert_eq!(source.lock().readable_length(), 4);
    }

    /// Each pipe is undone at its source's end, before the destination is
    /// ended (Node pipes with `end: false`), and the future resolves after
    /// every stage's `close`, at the next poll.
    #[test]
    fn the_end_unpipes_first_and_the_future_resolves_after_every_close() {
        let log = Log::default();
        let mut source = Readable::from_iter([1u32]);
        source.observe(observer(&log, "source"));
        let mut middle = Duplex::<u32, u32>::pass_through();
        middle.observe(observer(&log, "middle"));
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        let mut future = pipeline(source).pipe(middle).pipe(dest);
        let mut polls = 0;
        let outcome = loop {
            if let Poll::Ready(outcome) = poll(&mut future) {
                break outcome;
            }
            polls += 1;
            assert!(polls < 10, "the pipeline completes");
        };
        outcome.unwrap();
        let source_events = entries(&log, "source");
        let tail = &source_events[source_events.len() - 3..];
        assert_eq!(tail, ["end", "pause", "close"]);
        let middle_events = entries(&log, "middle");
        let unpipe = middle_events.iter().position(|e| e == "unpipe").unwrap();
        let prefinish = middle_events.iter().position(|e| e == "prefinish");
        assert!(unpipe < prefinish.unwrap());
        assert_eq!(middle_events.last().unwrap(), "close");
        assert_eq!(
            entries(&log, "dest"),
            ["pipe", "unpipe", "prefinish", "finish", "close"]
        );
    }

    /// A failing pipeline destroys every stage; each stage's `error` and
    /// `close` (after `unpipe`, for a destination, and followed by the
    /// `pause` its destination's `error` causes) come before the future
    /// resolves, with the same error.
    #[test]
    fn a_failing_pipeline_delivers_every_last_event_before_it_resolves() {
        let log = Log::default();
        let mut source = Readable::from_iter(0..10u32);
        source.observe(observer(&log, "source"));
        let mut middle = Duplex::<u32, u32>::pass_through();
        middle.observe(observer(&log, "middle"));
        let middle = Shared::new(middle);
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        let mut future = pipeline(source).pipe(middle.clone()).pipe(dest);
        let boom = Error::new(ErrorKind::InvalidData, "boom");
        middle.lock().destroy(Some(boom));
        let mut polls = 0;
        let error = loop {
            if let Poll::Ready(outcome) = poll(&mut future) {
                break outcome.unwrap_err();
            }
            polls += 1;
            assert!(polls < 10, "the pipeline fails: {:?}", log.lock().unwrap());
        };
        assert_eq!(error.kind(), ErrorKind::InvalidData);
        // Each stage's pipe is undone from its destination's `error`:
        // `unpipe` on the destination, `pause` on the stage before it.
        let tails = [
            ("source", &["pause", "error", "close"][..]),
            ("middle", &["unpipe", "error", "close", "pause"][..]),
            ("dest", &["unpipe", "error", "close"][..]),
        ];
        for (stage, tail) in tails {
            let events = entries(&log, stage);
            assert_eq!(events[events.len() - tail.len()..], *tail, "{stage}");
        }
    }

    /// Node 20, object mode: a transform written after its end (closed
    /// with ERR_STREAM_WRITE_AFTER_END), a destination corked with a
    /// write waiting (it needs `drain`), `pipeline(stage, dest)`, tick:
    /// the pipeline hears of the stage's error on its first tick, though
    /// the pipe waits for a `drain`, and destroys the destination with it
    /// (end-of-stream.js:208, `process.nextTick(onclose)`; pipeline.js:236,
    /// `finishImpl`). `dest: pipe unpipe error close`.
    #[test]
    fn a_stage_closed_with_an_error_fails_a_pipeline_waiting_for_drain() {
        let log = Log::default();
        let mut dest = Writable::new(NullSink).with_high_water_mark(0);
        dest.observe(observer(&log, "dest"));
        dest.cork();
        assert!(!dest.write(0).unwrap());
        let mut future = pipeline(closed_after_a_write_after_end()).pipe(dest);
        let outcome = poll_until_ready(&mut future, 10);
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::WriteAfterEnd);
        assert_eq!(entries(&log, "dest"), ["pipe", "unpipe", "error", "close"]);
    }

    /// Node 20, object mode: the same stage behind a source, `pipeline(
    /// source, stage, dest)`, then `source.destroy(err)`, settle: the
    /// stage's error, heard on the pipeline's first tick, before the
    /// source's `error`, destroys `dest` with it (pipeline.js:236,
    /// `finishImpl` destroys every stage at the first error it hears).
    #[test]
    fn a_stage_closed_with_an_error_is_heard_before_a_later_failure() {
        let (pusher, source) = Pusher::<u32>::new();
        let dest = Shared::new(Writable::new(NullSink).with_high_water_mark(0));
        let mut future = pipeline(source)
            .pipe(closed_after_a_write_after_end())
            .pipe(dest.clone());
        pusher.destroy(Some(Error::new(ErrorKind::InvalidData, "boom")));
        let outcome = poll_until_ready(&mut future, 10);
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::WriteAfterEnd);
        assert_eq!(
            dest.lock().errored().map(Error::kind),
            Some(ErrorKind::WriteAfterEnd)
        );
    }

    /// The same observed or not: the stage's `close`, delivered before the
    /// pipeline even with nobody listening, makes its error the first.
    #[test]
    fn a_stage_closed_with_an_error_is_heard_first_unobserved_too() {
        let outcome = same_observed_or_not(|log| {
            let (pusher, source) = Pusher::<u32>::new();
            let mut stage = closed_after_a_write_after_end();
            let dest = Shared::new(Writable::new(NullSink).with_high_water_mark(0));
            if let Some(log) = log {
                source.lock().observe(observer(log, "source"));
                stage.observe(observer(log, "stage"));
                dest.lock().observe(observer(log, "dest"));
            }
            let mut future = pipeline(source.clone()).pipe(stage).pipe(dest.clone());
            pusher.destroy(Some(boom()));
            let failed = poll_until_ready(&mut future, 10).map_err(|error| error.kind());
            let dest = dest.lock();
            let errored = [source.lock().errored(), dest.errored()].map(|e| e.map(Error::kind));
            (failed, errored, dest.is_destroyed())
        });
        let after_end = Some(ErrorKind::WriteAfterEnd);
        let boom = Some(ErrorKind::InvalidData);
        assert_eq!(
            outcome,
            (Err(ErrorKind::WriteAfterEnd), [boom, after_end], true)
        );
    }

    /// A pass-through written after its end, destroyed with
    /// ERR_STREAM_WRITE_AFTER_END, its `error` and `close` delivered.
    fn closed_after_a_write_after_end() -> Duplex<u32, u32> {
        let mut stage = Duplex::<u32, u32>::pass_through().with_high_water_mark(0);
        stage.end().unwrap();
        assert!(stage.write(1).is_err());
        stage.tick();
        stage
    }

    /// A destination someone else ended closes before the source's end:
    /// the pipeline fails with a premature close. The middle stage it
    /// destroys undoes its own pipe from the source with its `error`: the
    /// source pauses after its own `error` and `close`.
    #[test]
    fn a_destination_ended_elsewhere_fails_the_pipeline_early() {
        let log = Log::default();
        let (_pusher, source) = Pusher::<u32>::new();
        source.lock().observe(observer(&log, "source"));
        let mut middle = Duplex::<u32, u32>::pass_through();
        middle.observe(observer(&log, "middle"));
        let mut dest = Writable::new(NullSink);
        dest.observe(observer(&log, "dest"));
        dest.end().unwrap();
        let mut future = pipeline(source).pipe(middle).pipe(dest);
        let mut polls = 0;
        let error = loop {
            if let Poll::Ready(outcome) = poll(&mut future) {
                break outcome.unwrap_err();
            }
            polls += 1;
            assert!(polls < 10, "the pipeline fails: {:?}", log.lock().unwrap());
        };
        assert_eq!(error.kind(), ErrorKind::PrematureClose);
        assert_eq!(
            entries(&log, "dest"),
            ["prefinish", "pipe", "finish", "unpipe", "close"]
        );
        let events = entries(&log, "source");
        assert_eq!(events[events.len() - 3..], ["error", "close", "pause"]);
        // The middle stage pauses at the destination's `finish`, due
        // before the `resume` the pipeline scheduled.
        assert_eq!(
            entries(&log, "middle"),
            ["pipe", "pause", "resume", "unpipe", "error", "close"]
        );
    }

    /// Node's `pipeline(transform, dest)` over a destination that had
    /// finished and a transform ended before: Node's `finished` on the
    /// transform's readable side, the last the pipeline awaits, resolves
    /// at its `end` (a duplex: end-of-stream.js, `willEmitClose` false),
    /// so the callback comes before the transform's `close`, which its
    /// auto-destroy queues after that `end`.
    #[test]
    fn a_duplex_first_stage_closes_after_the_callback() {
        let log = Log::default();
        let mut stage = Duplex::<u32, u32>::pass_through();
        stage.observe(observer(&log, "stage"));
        stage.end().unwrap();
        stage.tick();
        let stage = Shared::new(stage);
        let mut dest = Writable::new(NullSink);
        poll_until_ready(&mut Box::pin(dest.close()), 10).unwrap();
        poll_until_ready(&mut pipeline(stage.clone()).pipe(dest), 10).unwrap();
        assert_eq!(
            entries(&log, "stage"),
            ["prefinish", "finish", "resume", "end", "pause"]
        );
        stage.lock().tick();
        assert_eq!(entries(&log, "stage").last().unwrap(), "close");
    }

    /// Node's `pipeline(transform, dest)` over a destination ended but not
    /// yet finished and a transform ended: the destination finishes and
    /// closes before the transform's `end` (a premature close,
    /// pipeline.js:413-418), but the pipe's `finished` on the transform
    /// resolves only at that `end` (pipeline.js:441), so the callback
    /// still comes before the transform's `close` (checked with Node 20).
    #[test]
    fn a_premature_close_calls_back_before_the_duplex_first_stage_closes() {
        let log = Log::default();
        let mut stage = Duplex::<u32, u32>::pass_through();
        stage.observe(observer(&log, "stage"));
        stage.end().unwrap();
        let stage = Shared::new(stage);
        let mut dest = Writable::new(NullSink);
        dest.end().unwrap();
        let error = run(&mut pipeline(stage.clone()).pipe(dest));
        assert_eq!(error.kind(), ErrorKind::PrematureClose);
        let events = entries(&log, "stage");
        assert!(events.ends_with(&["resume".to_owned(), "end".to_owned()]));
        stage.lock().tick();
        assert_eq!(entries(&log, "stage").last().unwrap(), "close");
    }

    fn run<F: Future<Output = Result<()>> + Unpin>(future: &mut F) -> Error {
        for _ in 0..10 {
            if let Poll::Ready(outcome) = poll(future) {
                return outcome.unwrap_err();
            }
        }
        panic!("the pipeline fails");
    }

    fn boom() -> Error {
        Error::new(ErrorKind::InvalidData, "boom")
    }

    /// Node's pipeline keeps the first real error of any stage over a
    /// premature close (`finishImpl`): a destination destroyed with an
    /// error before the pipeline is made, from a source destroyed
    /// without one, fails it with that error.
    #[test]
    fn a_destination_error_wins_over_a_premature_close() {
        let mut dest = Writable::<u32>::new(NullSink);
        dest.destroy(Some(boom()));
        let mut source = Readable::from_iter([1u32]);
        source.destroy(None);
        let mut future = pipeline(source).pipe(dest);
        assert_eq!(run(&mut future).kind(), ErrorKind::InvalidData);
    }

    /// Two stages failed before the pipeline, their `error`s still
    /// queued: Node's pipeline reports the one queued first, the first
    /// stage's, although the destination's (a write after its end) is
    /// the one the pipe meets.
    #[test]
    fn the_error_queued_first_is_the_pipelines() {
        let mut stage = Duplex::<u32, u32>::pass_through();
        stage.destroy(Some(boom()));
        let mut dest = Writable::<u32>::new(NullSink);
        dest.end().unwrap();
        assert!(dest.write(1).is_err());
        let mut future = pipeline(stage).pipe(dest);
        assert_eq!(run(&mut future).kind(), ErrorKind::InvalidData);
    }

    /// A destination that had failed and closed before the pipeline (a
    /// write after its end): Node's pipeline hears of it on a tick it
    /// queues after the source's `resume_`, so that `resume_` runs first,
    /// its `read(0)` asking the source, before the failure destroys it.
    #[test]
    fn a_closed_destination_fails_the_pipeline_after_the_sources_resume() {
        let log = Log::default();
        let mut source = Readable::new(Counted::deferred(&log, 1)).with_high_water_mark(0);
        source.observe(observer(&log, "source"));
        let mut dest = Writable::<u32>::new(NullSink);
        dest.observe(observer(&log, "dest"));
        dest.end().unwrap();
        assert!(dest.write(1).is_err());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(dest.poll_finish(&mut cx).is_ready());
        assert_eq!(entries(&log, "dest"), ["prefinish", "error", "close"]);
        let mut future = pipeline(source).pipe(dest);
        assert_eq!(run(&mut future).kind(), ErrorKind::WriteAfterEnd);
        assert_eq!(
            entries(&log, "source"),
            ["_read", "resume", "error", "close"]
        );
    }

    /// A source's `maybeReadMore_` (queued by an `unshift`) is older than
    /// the `finish` of a destination ended before the pipeline: its
    /// `read(0)` asks the source before that `finish` unpipes the
    /// destination and pauses the source; the pipe's `resume_` comes
    /// after, and the destination's `close` fails the pipeline.
    #[test]
    fn a_sources_read_ahead_comes_before_an_older_finish_pauses_it() {
        let log = Log::default();
        let mut source = Readable::new(Counted::deferred(&log, 1)).with_high_water_mark(2);
        source.observe(observer(&log, "source"));
        assert!(source.unshift(7).unwrap());
        let mut dest = Writable::<u32>::new(NullSink).with_high_water_mark(0);
        dest.end().unwrap();
        let mut future = pipeline(source).pipe(dest);
        assert_eq!(run(&mut future).kind(), ErrorKind::PrematureClose);
        assert_eq!(entries(&log, "source")[..3], ["_read", "pause", "resume"]);
    }

    /// A source destroyed before a destination's `finish` was due: Node's
    /// pipeline hears of the source's `close` first, and destroys the
    /// destination with a premature close before its `finish`.
    #[test]
    fn a_source_closing_first_destroys_a_destination_before_its_finish() {
        let log = Log::default();
        let mut source = Readable::from_iter([1u32]);
        source.destroy(None);
        let mut dest = Writable::<u32>::new(NullSink).with_high_water_mark(0);
        dest.observe(observer(&log, "dest"));
        dest.end().unwrap();
        let mut future = pipeline(source).pipe(dest);
        assert_eq!(run(&mut future).kind(), ErrorKind::PrematureClose);
        assert_eq!(
            entries(&log, "dest"),
            ["prefinish", "pipe", "unpipe", "error", "close"]
        );
    }

    /// A transform first stage destroyed without an error while the
    /// pipe waits for the destination's `drain`: Node's pipeline hears of
    /// its `close` (a premature close) and destroys the destination with
    /// it, although no `drain` came.
    #[test]
    fn a_stage_destroyed_while_waiting_for_drain_fails_the_pipeline() {
        let log = Log::default();
        let stage = Shared::new(Duplex::<u32, u32>::pass_through());
        let mut dest = Writable::<u32>::new(Busy).with_high_water_mark(0);
        dest.observe(observer(&log, "dest"));
        assert!(!dest.write(1).unwrap());
        let mut future = pipeline(stage.clone()).pipe(dest);
        stage.lock().destroy(None);
        assert_eq!(run(&mut future).kind(), ErrorKind::PrematureClose);
        assert_eq!(entries(&log, "dest"), ["pipe", "unpipe", "error", "close"]);
    }

    /// A source whose error was delivered already, before the pipeline:
    /// Node's pipeline learns of it from `finished`, and destroys the
    /// destination with it, not with a premature close.
    #[test]
    fn a_source_failed_before_the_pipeline_passes_its_error_on() {
        let log = Log::default();
        let mut source = Readable::from_iter([1u32]);
        source.destroy(Some(boom()));
        let mut cx = Context::from_waker(Waker::noop());
        let Poll::Ready(Some(Err(_))) = source.poll_next_chunk(&mut cx) else {
            panic!("the read reports the error");
        };
        let dest = Shared::new(Writable::<u32>::new(NullSink));
        dest.lock().observe(observer(&log, "dest"));
        let mut future = pipeline(source).pipe(dest.clone());
        assert_eq!(run(&mut future).kind(), ErrorKind::InvalidData);
        assert_eq!(
            dest.lock().errored().map(Error::kind),
            Some(ErrorKind::InvalidData)
        );
        assert_eq!(entries(&log, "dest"), ["pipe", "unpipe", "error", "close"]);
    }

    /// Fails every chunk.
    struct FailingTransform;

    impl crate::Transform for FailingTransform {
        type Input = u32;
        type Output = u32;

        fn transform(&mut self, _: u32, _: &mut crate::Push<'_, u32>) -> Result<()> {
            Err(Error::new(ErrorKind::Io, "transform failed"))
        }
    }

    /// A first stage whose transform failed inside `write()`, destroyed
    /// with another error before the tick that destroys it: Node's pipeline
    /// hears of the error its `error` event carries, the destroy's
    /// (Node 20: `pipeline(s1, s0)`, `s1.write()` failing, `s1.destroy(err)`:
    /// `s0` `unpipe error(err) close`, the callback's error `err`).
    #[test]
    fn a_stage_destroyed_after_a_failed_write_passes_on_the_destroys_error() {
        let stage = Shared::new(Duplex::transform(FailingTransform).with_high_water_mark(0));
        let dest = Shared::new(Writable::<u32>::new(NullSink).with_high_water_mark(0));
        let mut future = pipeline(stage.clone()).pipe(dest.clone());
        assert!(poll(&mut future).is_pending());
        let _ = stage.lock().write(1);
        assert_eq!(stage.lock().errored().map(Error::kind), Some(ErrorKind::Io));
        stage.lock().destroy(Some(boom()));
        assert_eq!(run(&mut future).kind(), ErrorKind::InvalidData);
        assert_eq!(
            dest.lock().errored().map(Error::kind),
            Some(ErrorKind::InvalidData)
        );
    }
}
