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
    /// `close` was delivered: no `error`, `data`, `end` or `close` is any more.
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

    #[inline(never)]
    fn flush_deferred(&mut self) {
        while let Some(event) = self.deferred.pop_front() {
            self.deliver(&event);
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
            _ => {}
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
    fn nothing_is_queued_without_observers() {
        let mut events = Events::default();
        events.defer(Event::Close);
        assert!(events.deferred.is_empty());
    }
}
