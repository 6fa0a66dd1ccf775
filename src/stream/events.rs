//! [`Events`]: the observers of one stream, and its queue of events
//! deferred to the next tick (see [the engine's rules](crate#events-and-ticks)).
//!
//! With no observer registered, emitting an event is a single branch; only
//! a destroy's `error` and `close` are queued (see [`Events::defer`]).

use std::collections::VecDeque;
use std::fmt;

use super::event::Event;

type Observer = Box<dyn FnMut(&Event) + Send>;

/// The observers of one stream, and its queue of events deferred to the next tick.
#[derive(Default)]
pub(crate) struct Events {
    observers: Vec<Observer>,
    deferred: VecDeque<Event>,
    /// `close` was delivered (to the observers, if any): no `error`,
    /// `data`, `end` or `close` is any more.
    closed: bool,
    /// How many pipes this stream is the destination of: each one's
    /// `unpipe` comes just before an `error` of the stream (Node's pipe
    /// detaches a destination from its prepended `error` listener).
    pipes: usize,
    /// How many `finished` futures wait for this stream: Node's `finished`
    /// calls back from `error`, so once an `error` was delivered, the
    /// events deferred after it (its `close`) wait until they all saw it.
    watchers: usize,
    /// How many of `pipes` were made while a `finished` future waited:
    /// Node runs a stream's `close` listeners in the order they were
    /// added, so `finished`, listening from its call, calls back before
    /// the `unpipe` of a pipe made after it.
    pipes_after_watchers: usize,
    /// An `error` was delivered.
    error_delivered: bool,
}

impl Events {
    pub(crate) fn observe(&mut self, observer: impl FnMut(&Event) + Send + 'static) {
        self.observers.push(Box::new(observer));
    }

    /// True when someone receives the events.
    #[inline]
    pub(crate) fn is_observed(&self) -> bool {
        !self.observers.is_empty()
    }

    /// True once `close` was delivered, at its tick, observed or not.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Delivers `event` now. Events deferred to the next tick stay queued:
    /// every poll delivers them first, as the start of a tick, so an event
    /// emitted inside a poll comes after them, and one emitted by a call
    /// between two ticks (`pause()` after `destroy()`) before them, as in
    /// Node.
    #[inline]
    pub(crate) fn emit(&mut self, event: Event) {
        if !self.observers.is_empty() {
            self.deliver(&event);
        }
    }

    /// Delivers `pipe` or `unpipe` (`attached` false): at once, ahead of
    /// any deferred events, as Node emits them from inside `pipe()` and
    /// from the listeners of `end` and `finish`; but an `unpipe` on a
    /// stream whose `error` is deferred comes just before that `error`, as
    /// Node's pipe detaches a destination from its `error` listener, one
    /// whose `error` came already was delivered with it, and one on a
    /// stream whose `close` is deferred (destroyed without an error, which
    /// a refused write does not emit) comes just after that `close`, from
    /// the pipe's `close` listener.
    pub(crate) fn emit_piped(&mut self, attached: bool) {
        if self.observers.is_empty() {
            return;
        }
        if attached {
            self.pipes += 1;
            if self.watchers > 0 {
                self.pipes_after_watchers += 1;
            }
            self.deliver(&Event::Pipe);
            return;
        }
        if self.pipes == 0 {
            return;
        }
        if self
            .deferred
            .iter()
            .any(|event| matches!(event, Event::Error(_) | Event::Close))
        {
            // Delivered just before that `error`, or just after that
            // `close`.
            return;
        }
        self.unpiped();
        self.deliver(&Event::Unpipe);
    }

    /// One pipe fewer.
    fn unpiped(&mut self) {
        self.pipes -= 1;
        self.pipes_after_watchers = self.pipes_after_watchers.min(self.pipes);
    }

    /// Delivers the `unpipe` of an explicit `src.unpipe(dest)` at once,
    /// even ahead of a deferred `error`: Node's `unpipe()` emits it and
    /// removes the pipe's `error` listener (readable.js,
    /// `Readable.prototype.unpipe`; `cleanup` in `pipe`).
    pub(crate) fn emit_unpiped_now(&mut self) {
        if self.observers.is_empty() || self.pipes == 0 {
            return;
        }
        self.unpiped();
        self.deliver(&Event::Unpipe);
    }

    /// Queues `event` (a destroy's `error` or `close`, once per stream) for
    /// the next tick, observed or not: what the engine decides by (a stage
    /// that [closed](Events::is_closed), a destroy still
    /// [due](Events::has_deferred), the hold for `finished` futures) must
    /// not depend on whether anyone listens, so the events carrying that
    /// state are delivered at their tick even to no observer.
    #[inline]
    pub(crate) fn defer(&mut self, event: Event) {
        self.deferred.push_back(event);
    }

    /// A `finished` future starts (`true`) or stops waiting for the stream.
    pub(crate) fn watch_finished(&mut self, watching: bool) {
        if watching {
            self.watchers += 1;
        } else {
            self.watchers = self.watchers.saturating_sub(1);
            if self.watchers == 0 {
                self.pipes_after_watchers = 0;
            }
        }
    }

    /// True while the deferred events wait for `finished` futures to see
    /// the `error` delivered before them.
    fn held(&self) -> bool {
        self.watchers > 0 && self.error_delivered
    }

    /// True while deferred events wait for `finished` futures (see
    /// [`watch_finished`](Events::watch_finished)): what was queued after
    /// them waits too.
    pub(crate) fn holds_deferred(&self) -> bool {
        self.held() && !self.deferred.is_empty()
    }

    /// True while events wait for the next tick.
    pub(crate) fn has_deferred(&self) -> bool {
        !self.deferred.is_empty()
    }

    /// Delivers the deferred events: the start of a tick.
    #[inline]
    pub(crate) fn flush(&mut self) {
        if !self.deferred.is_empty() {
            self.flush_deferred();
        }
    }

    /// Delivers what Node's `finished` sees before it calls back: on a
    /// stream that `errored`, the deferred events up to its `error`,
    /// included (nothing if it was delivered already), as `finished`
    /// calls back from `error`; otherwise all of them, up to `close`.
    pub(crate) fn flush_for_finished(&mut self, errored: bool) {
        let error_at = self
            .deferred
            .iter()
            .position(|event| matches!(event, Event::Error(_)));
        let through = match error_at {
            Some(at) => at + 1,
            None if errored => 0,
            // Not the `unpipe`s queued at `close` for it to call back first.
            None => self
                .deferred
                .iter()
                .position(|event| matches!(event, Event::Unpipe))
                .unwrap_or(self.deferred.len()),
        };
        for _ in 0..through {
            if let Some(event) = self.deferred.pop_front() {
                self.deliver(&event);
            }
        }
    }

    #[inline(never)]
    fn flush_deferred(&mut self) {
        while !self.held()
            && let Some(event) = self.deferred.front()
        {
            if matches!(event, Event::Unpipe) && self.watchers > 0 {
                // Queued at `close` for a `finished` future to call back first.
                break;
            }
            if let Some(event) = self.deferred.pop_front() {
                self.deliver(&event);
            }
        }
    }

    /// Node's rules: no `error`, `data`, `end` or second `close` after
    /// `close`; what a call on a closed stream emits (`pause`, `resume`,
    /// `pipe`) still comes.
    fn deliver(&mut self, event: &Event) {
        match event {
            Event::Close | Event::Error(_) | Event::Data { .. } | Event::End if self.closed => {
                return;
            }
            Event::Close => self.closed = true,
            Event::Error(_) => {
                self.error_delivered = true;
                self.deliver_unpipes();
            }
            _ => {}
        }
        for observer in &mut self.observers {
            observer(event);
        }
        if matches!(event, Event::Close) && self.pipes_after_watchers > 0 {
            // The `finished` futures waiting since before those pipes
            // were made call back first: their `unpipe`s wait for them.
            let later = std::mem::take(&mut self.pipes_after_watchers);
            self.pipes -= later;
            self.deliver_unpipes();
            self.deferred
                .extend(std::iter::repeat_n(Event::Unpipe, later));
        } else if matches!(event, Event::Finish | Event::Close) {
            // Node's pipe listens for its destination's `finish` and
            // `close` too, after the listeners already there.
            self.deliver_unpipes();
        }
    }

    /// An `unpipe` for every pipe this stream is still the destination of:
    /// they are all undone.
    fn deliver_unpipes(&mut self) {
        self.pipes_after_watchers = 0;
        for _ in 0..std::mem::take(&mut self.pipes) {
            for observer in &mut self.observers {
                observer(&Event::Unpipe);
            }
        }
    }
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("observers", &self.observers.len())
            .field("deferred", &self.deferred)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use std::sync::{Arc, Mutex};

    fn recorder(events: &mut Events) -> Arc<Mutex<Vec<&'static str>>> {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&log);
        events.observe(move |e| sink.lock().unwrap().push(e.name()));
        log
    }

    #[test]
    fn deferred_events_wait_for_the_tick_and_come_in_order() {
        let mut events = Events::default();
        let log = recorder(&mut events);
        events.defer(Event::End);
        events.defer(Event::Error(Error::from_kind(crate::ErrorKind::Destroyed)));
        events.emit(Event::Pause);
        assert_eq!(*log.lock().unwrap(), ["pause"]);
        events.flush();
        events.emit(Event::Data { size: 1 });
        assert_eq!(*log.lock().unwrap(), ["pause", "end", "error", "data"]);
    }

    #[test]
    fn no_error_or_close_follows_close() {
        let mut events = Events::default();
        let log = recorder(&mut events);
        events.defer(Event::Close);
        events.flush();
        events.emit(Event::Error(Error::from_kind(crate::ErrorKind::Destroyed)));
        events.defer(Event::Close);
        events.flush();
        events.emit(Event::Resume);
        assert_eq!(*log.lock().unwrap(), ["close", "resume"]);
    }

    #[test]
    fn unpipe_comes_just_before_a_deferred_error() {
        let mut events = Events::default();
        let log = recorder(&mut events);
        events.emit_piped(true);
        events.defer(Event::Resume);
        events.defer(Event::Error(Error::from_kind(crate::ErrorKind::Destroyed)));
        events.defer(Event::Close);
        events.emit_piped(false);
        assert_eq!(*log.lock().unwrap(), ["pipe"]);
        events.flush();
        assert_eq!(
            *log.lock().unwrap(),
            ["pipe", "resume", "unpipe", "error", "close"]
        );
        // The pipe noticing the error later adds nothing.
        events.emit_piped(false);
        assert_eq!(log.lock().unwrap().len(), 5);
    }

    #[test]
    fn every_pipe_is_undone_after_finish_or_close() {
        for last in [Event::Finish, Event::Close] {
            let mut events = Events::default();
            let log = recorder(&mut events);
            events.emit_piped(true);
            events.emit_piped(true);
            events.emit(last);
            // The pumps noticing later add nothing.
            events.emit_piped(false);
            let last = log.lock().unwrap()[2];
            assert_eq!(
                *log.lock().unwrap(),
                ["pipe", "pipe", last, "unpipe", "unpipe"]
            );
        }
    }

    #[test]
    fn finished_sees_the_events_up_to_the_error() {
        let mut events = Events::default();
        let log = recorder(&mut events);
        events.defer(Event::Error(Error::from_kind(crate::ErrorKind::Destroyed)));
        events.defer(Event::Close);
        events.flush_for_finished(true);
        assert_eq!(*log.lock().unwrap(), ["error"]);
        // A second `finished` on the same stream: also from `error`.
        events.flush_for_finished(true);
        assert_eq!(*log.lock().unwrap(), ["error"]);
        events.flush_for_finished(false);
        assert_eq!(*log.lock().unwrap(), ["error", "close"]);
    }

    /// Node's `finished` calls back from `error`, before `close`: while a
    /// `finished` future waits, the `close` deferred after a delivered
    /// `error` waits too.
    #[test]
    fn close_waits_for_the_finished_futures_to_see_the_error() {
        let mut events = Events::default();
        let log = recorder(&mut events);
        events.watch_finished(true);
        events.watch_finished(true);
        events.defer(Event::Error(Error::from_kind(crate::ErrorKind::Destroyed)));
        events.defer(Event::Close);
        events.flush();
        assert_eq!(*log.lock().unwrap(), ["error"]);
        events.watch_finished(false);
        events.flush();
        assert_eq!(*log.lock().unwrap(), ["error"]);
        assert!(events.holds_deferred());
        events.watch_finished(false);
        events.flush();
        assert_eq!(*log.lock().unwrap(), ["error", "close"]);
        assert!(!events.holds_deferred());
    }

    /// Node runs `close` listeners in the order they were added: a
    /// `finished` listening since before a pipe calls back before that
    /// pipe's `unpipe`, one listening since after it, after.
    #[test]
    fn a_pipe_made_after_a_finished_future_unpipes_after_it_saw_close() {
        let mut events = Events::default();
        let log = recorder(&mut events);
        events.emit_piped(true);
        events.watch_finished(true);
        events.emit_piped(true);
        events.defer(Event::Close);
        events.flush_for_finished(false);
        assert_eq!(*log.lock().unwrap(), ["pipe", "pipe", "close", "unpipe"]);
        // Not even for a second `finished` future, nor while one waits.
        events.flush_for_finished(false);
        events.flush();
        assert_eq!(log.lock().unwrap().len(), 4);
        events.watch_finished(false);
        events.flush();
        assert_eq!(
            *log.lock().unwrap(),
            ["pipe", "pipe", "close", "unpipe", "unpipe"]
        );
        // The pumps noticing later add nothing.
        events.emit_piped(false);
        assert_eq!(log.lock().unwrap().len(), 5);
    }

    /// Node's pipe undoes a destination destroyed without an error at
    /// its `close` (readable.js, `onclose` in `pipe`): a write the
    /// destroyed stream refused emits no `error`, so the `unpipe` comes
    /// after the deferred `close`.
    #[test]
    fn unpipe_comes_just_after_a_deferred_close() {
        let mut events = Events::default();
        let log = recorder(&mut events);
        events.emit_piped(true);
        events.defer(Event::Close);
        events.emit_piped(false);
        assert_eq!(*log.lock().unwrap(), ["pipe"]);
        events.flush();
        assert_eq!(*log.lock().unwrap(), ["pipe", "close", "unpipe"]);
    }

    /// `source.pipe(dest)`, `dest.destroy()`: the source's chunk finds the
    /// destination destroyed; Node emits `close`, then the pipe's `unpipe`.
    #[test]
    fn a_destination_destroyed_after_the_pipe_closes_before_its_unpipe() {
        use crate::{NullSink, PipeOptions, Readable, Shared, Writable, WritableStream, pipe};
        use std::future::Future;
        use std::pin::Pin;
        use std::task::{Context, Waker};

        let mut cx = Context::from_waker(Waker::noop());
        let dest = Shared::new(Writable::<u32>::new(NullSink).with_high_water_mark(0));
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        dest.lock()
            .observe(move |event| seen.lock().unwrap().push(event.name()));
        let mut source = Readable::from_iter([1u32]).with_high_water_mark(0);
        let mut out = dest.clone();
        let mut piping = pipe(&mut source, &mut out, PipeOptions::default());
        dest.lock().destroy(None);
        let mut polls = 0;
        while Pin::new(&mut piping).poll(&mut cx).is_pending() {
            let _ = dest.lock().poll_finish(&mut cx);
            polls += 1;
            assert!(polls < 10, "the pipe completes");
        }
        let _ = dest.lock().poll_finish(&mut cx);
        assert_eq!(*log.lock().unwrap(), ["pipe", "close", "unpipe"]);
    }

    /// A stream nobody observes closes at the tick its `close` is due, as
    /// an observed one does.
    #[test]
    fn an_unobserved_close_is_delivered_at_its_tick() {
        let mut events = Events::default();
        events.defer(Event::Close);
        assert!(!events.is_closed() && events.has_deferred());
        events.flush();
        assert!(events.is_closed() && !events.has_deferred());
    }
}
