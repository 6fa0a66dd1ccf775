//! [`Events`]: the observers of one stream, and its queue of events
//! deferred to the next tick (see [the engine's rules](crate#events-and-ticks)).
//!
//! With no observer registered, emitting an event is a single branch.

use std::collections::VecDeque;
use std::fmt;

use super::event::Event;

type Observer = Box<dyn FnMut(&Event) + Send>;

/// The observers of one stream, and its queue of events deferred to the next tick.
#[derive(Default)]
pub(crate) struct Events {
    observers: Vec<Observer>,
    deferred: VecDeque<Event>,
    /// `close` was delivered: nothing more is.
    closed: bool,
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

    /// Delivers `event` now, after any deferred ones.
    #[inline]
    pub(crate) fn emit(&mut self, event: Event) {
        if !self.observers.is_empty() {
            self.emit_observed(event);
        }
    }

    /// [`emit`](Events::emit) out of line, so the unobserved case stays one
    /// inlined branch on every chunk's path.
    #[inline(never)]
    fn emit_observed(&mut self, event: Event) {
        self.flush();
        self.deliver(&event);
    }

    /// Delivers `event` now, ahead of any deferred ones: what Node emits
    /// from a listener of one of them (`pipe`, and the `unpipe` a pipe
    /// emits from its `error` or `finish` listener).
    #[inline]
    pub(crate) fn emit_ahead(&mut self, event: Event) {
        if self.observers.is_empty() {
            return;
        }
        self.deliver(&event);
    }

    /// Delivers `pipe` or `unpipe` (`attached` false): at once, ahead of
    /// any deferred events, as Node emits them from inside `pipe()` and
    /// from the listeners of `end` and `finish`; but an `unpipe` on a
    /// stream whose `error` is deferred comes just before that `error`, as
    /// Node's pipe detaches a destination from its `error` listener.
    pub(crate) fn emit_piped(&mut self, attached: bool) {
        if self.observers.is_empty() {
            return;
        }
        if !attached
            && let Some(at) = self
                .deferred
                .iter()
                .position(|event| matches!(event, Event::Error(_)))
        {
            self.deferred.insert(at, Event::Unpipe);
            return;
        }
        self.deliver(&if attached { Event::Pipe } else { Event::Unpipe });
    }

    /// Queues `event` for the next tick.
    #[inline]
    pub(crate) fn defer(&mut self, event: Event) {
        if self.observers.is_empty() {
            return;
        }
        self.deferred.push_back(event);
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
            None => self.deferred.len(),
        };
        for _ in 0..through {
            if let Some(event) = self.deferred.pop_front() {
                self.deliver(&event);
            }
        }
    }

    #[inline(never)]
    fn flush_deferred(&mut self) {
        while let Some(event) = self.deferred.pop_front() {
            self.deliver(&event);
        }
    }

    fn deliver(&mut self, event: &Event) {
        if self.closed {
            return;
        }
        if matches!(event, Event::Close) {
            self.closed = true;
        }
        for observer in &mut self.observers {
            observer(event);
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
    fn deferred_events_come_before_later_ones() {
        let mut events = Events::default();
        let log = recorder(&mut events);
        events.defer(Event::End);
        events.defer(Event::Error(Error::from_kind(crate::ErrorKind::Destroyed)));
        assert!(log.lock().unwrap().is_empty());
        events.emit(Event::Data { size: 1 });
        assert_eq!(*log.lock().unwrap(), ["end", "error", "data"]);
    }

    #[test]
    fn pipe_events_overtake_deferred_ones_and_nothing_follows_close() {
        let mut events = Events::default();
        let log = recorder(&mut events);
        events.defer(Event::Close);
        events.emit_ahead(Event::Unpipe);
        events.emit(Event::Finish);
        assert_eq!(*log.lock().unwrap(), ["unpipe", "close"]);
    }

    #[test]
    fn unpipe_comes_just_before_a_deferred_error() {
        let mut events = Events::default();
        let log = recorder(&mut events);
        events.defer(Event::Resume);
        events.defer(Event::Error(Error::from_kind(crate::ErrorKind::Destroyed)));
        events.defer(Event::Close);
        events.emit_piped(false);
        assert!(log.lock().unwrap().is_empty());
        events.flush();
        assert_eq!(*log.lock().unwrap(), ["resume", "unpipe", "error", "close"]);
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

    #[test]
    fn nothing_is_queued_without_observers() {
        let mut events = Events::default();
        events.defer(Event::Close);
        assert!(events.deferred.is_empty());
    }
}
