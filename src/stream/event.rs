//! Stream lifecycle events, in Node's names and order, and the observers
//! that receive them.
//!
//! # What a tick is
//!
//! Node delivers some events on "the next tick" (`process.nextTick`) rather
//! than inside the call that caused them: `error` and `close` after
//! `destroy()`, and `close` after `end` or `finish`, so the caller's own
//! handling runs first. smerge streams are driven by polling, and a tick is
//! one poll of the stream: an event that Node defers is queued by the call
//! that causes it and delivered, in order, at the start of the stream's
//! next poll — or when the stream is dropped, whichever comes first. Events
//! that happen inside a poll (`data`, `drain`, `end`, `finish`) are
//! delivered at once, after any queued ones, so the relative order is
//! always Node's.
//!
//! `pipe` and `unpipe` are delivered at once, ahead of any queued events, as
//! Node emits them from inside `pipe()` and from the handlers of the
//! destination's `finish` and `error`: a destination that failed shows
//! `unpipe`, `error`, `close`, and one that finished `finish`, `unpipe`,
//! `close`. Nothing is delivered after `close`.
//!
//! Streams deliver events only to observers registered with `observe`; with
//! none registered, emitting an event is a single branch.

use std::collections::VecDeque;
use std::fmt;

use super::error::Error;

/// A lifecycle event of a stream.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Event {
    /// Data is buffered and can be read, or the end was reached (`'readable'`).
    Readable,
    /// A chunk was handed to the consumer (`'data'`); `size` is what it counts
    /// toward the highWaterMark.
    Data {
        /// The chunk's [`Chunk::size`](crate::Chunk::size).
        size: usize,
    },
    /// The readable side stopped flowing (`'pause'`).
    Pause,
    /// The readable side started flowing (`'resume'`).
    Resume,
    /// The writable side's queue emptied after `write()` returned `false` (`'drain'`).
    Drain,
    /// The readable side delivered its last chunk (`'end'`).
    End,
    /// The writable side wrote its last chunk and ran its final hook (`'prefinish'`).
    Prefinish,
    /// The writable side finished (`'finish'`).
    Finish,
    /// The stream closed; no event follows (`'close'`).
    Close,
    /// The stream failed (`'error'`); `close` follows.
    Error(Error),
    /// A source started piping into this stream (`'pipe'`).
    Pipe,
    /// A source stopped piping into this stream (`'unpipe'`).
    Unpipe,
}

impl Event {
    /// Node's name for the event: `"data"`, `"end"`, `"finish"`, …
    pub fn name(&self) -> &'static str {
        match self {
            Event::Readable => "readable",
            Event::Data { .. } => "data",
            Event::Pause => "pause",
            Event::Resume => "resume",
            Event::Drain => "drain",
            Event::End => "end",
            Event::Prefinish => "prefinish",
            Event::Finish => "finish",
            Event::Close => "close",
            Event::Error(_) => "error",
            Event::Pipe => "pipe",
            Event::Unpipe => "unpipe",
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

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
    fn nothing_is_queued_without_observers() {
        let mut events = Events::default();
        events.defer(Event::Close);
        assert!(events.deferred.is_empty());
    }
}
