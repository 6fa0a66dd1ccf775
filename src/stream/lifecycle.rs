//! What every stream shares: destroyed, errored, closed, its observers and
//! its label (Node's `destroy.js`).
//!
//! Invariants: `close` is emitted at most once and nothing is emitted after
//! it; `error` is emitted at most once, before `close`.

use std::borrow::Cow;

use super::error::{Error, ErrorKind};
use super::event::Event;
use super::events::Events;
use super::ticks::next_stamp;

#[derive(Debug, Default)]
pub(crate) struct Lifecycle {
    pub(crate) events: Events,
    destroyed: bool,
    /// A hook failed inside a call (Node's `onwrite` with a synchronous
    /// error): `errored` is set, the stream is destroyed at its next tick,
    /// the one stamped here.
    destroy_due: Option<u64>,
    errored: Option<Error>,
    /// The error `destroy(err)` emitted over an `errored` set before (see
    /// [`destroy`](Lifecycle::destroy)): the one a consumer is handed.
    emitted_over_errored: Option<Error>,
    /// The error was handed to the consumer already (streams yield it once).
    error_taken: bool,
    close_emitted: bool,
    label: Option<Cow<'static, str>>,
    /// Node's `autoDestroy: false`: a stream that ended or finished stays
    /// as it is (not destroyed, no `close`) until destroyed.
    keep_after_end: bool,
    /// Node's `emitClose: false`: `close` is never emitted.
    no_close_event: bool,
}

impl Lifecycle {
    pub(crate) fn is_destroyed(&self) -> bool {
        self.destroyed
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.close_emitted
    }

    pub(crate) fn errored(&self) -> Option<&Error> {
        self.errored.as_ref()
    }

    pub(crate) fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    /// What a pipeline hears of a source after a look ahead at it: its
    /// error, unless it had come before (`failed`); or, for a stream
    /// destroyed without one before its end (not `drained_at_end`), a
    /// premature close, which Node's `finished` reports at its `close`
    /// (end-of-stream.js:142-160, `onclose`).
    pub(crate) fn failure_heard(&self, failed: bool, drained_at_end: bool) -> Result<(), Error> {
        match &self.errored {
            Some(error) if !failed => Err(error.clone()),
            Some(_) => Ok(()),
            None if self.destroyed && !drained_at_end => {
                Err(Error::from_kind(ErrorKind::PrematureClose))
            }
            None => Ok(()),
        }
    }

    pub(crate) fn set_label(&mut self, label: Cow<'static, str>) {
        self.label = Some(label);
    }

    /// Node's `autoDestroy` option (on by default).
    pub(crate) fn set_auto_destroy(&mut self, on: bool) {
        self.keep_after_end = !on;
    }

    /// Node's `emitClose` option (on by default).
    pub(crate) fn set_emit_close(&mut self, on: bool) {
        self.no_close_event = !on;
    }

    /// `close` on the next tick, unless `emitClose` is off.
    fn close_once(&mut self) {
        if !self.close_emitted {
            self.close_emitted = true;
            if !self.no_close_event {
                self.events.defer(Event::Close);
            }
        }
    }

    /// Destroys the stream: `error` (if any) then `close`, on the next tick.
    /// Returns false if it was destroyed already (a no-op, as in Node). A
    /// stream that [`fails_later`](Lifecycle::fails_later) keeps that
    /// error as its `errored` (Node's first error wins), but the event is
    /// `error`'s, as Node's `destroy(err)` emits its own: a `destroy()`
    /// without one before the tick emits no `error` at all.
    pub(crate) fn destroy(&mut self, error: Option<Error>) -> bool {
        if self.destroyed {
            return false;
        }
        self.destroyed = true;
        self.destroy_due = None;
        if let Some(error) = error {
            self.events.defer(Event::Error(error.clone()));
            if self.errored.is_some() {
                self.emitted_over_errored = Some(error);
            } else {
                self.errored = Some(error);
            }
        }
        self.close_once();
        true
    }

    /// Node's `errored` set inside a call by a hook that failed: the
    /// stream is destroyed with `error` at its next tick (see
    /// [`destroy_due`](Lifecycle::destroy_due)); until then it takes no
    /// more work.
    pub(crate) fn fails_later(&mut self, error: Error) {
        if !self.destroyed && self.errored.is_none() {
            self.errored = Some(error);
            self.destroy_due = Some(next_stamp());
        }
    }

    /// True while a failure inside a call waits for the next tick to
    /// destroy the stream: then call [`destroy`](Lifecycle::destroy) with
    /// the [`errored`](Lifecycle::errored) error.
    #[inline]
    pub(crate) fn destroy_due(&self) -> bool {
        self.destroy_due.is_some()
    }

    /// The stamp of the tick a failure inside a call queued to destroy the
    /// stream (see [`fails_later`](Lifecycle::fails_later)), until it ran.
    pub(crate) fn destroy_due_tick(&self) -> Option<u64> {
        self.destroy_due
    }

    /// Closes a stream that ended or finished normally: `close` on the next
    /// tick, as Node's auto-destroy emits it; nothing with `autoDestroy` off.
    pub(crate) fn close(&mut self) {
        if self.keep_after_end {
            return;
        }
        self.destroyed = true;
        self.close_once();
    }

    /// The error to hand to a consumer, once; later calls see none. It is
    /// the one the `error` event carried, which Node's `finished` passes on
    /// (end-of-stream.js, `onerror`), although `errored` keeps the first.
    pub(crate) fn take_error(&mut self) -> Option<Error> {
        if self.error_taken {
            return None;
        }
        let error = self
            .emitted_over_errored
            .as_ref()
            .or(self.errored.as_ref())?
            .clone();
        self.error_taken = true;
        Some(error)
    }

    /// Hands the error taken with [`take_error`](Lifecycle::take_error)
    /// to the consumer again at its next poll: a read whose source failed
    /// returned what was buffered instead.
    pub(crate) fn hand_error_later(&mut self) {
        self.error_taken = false;
    }

    /// The error for an operation on a destroyed stream.
    pub(crate) fn destroyed_error(&self) -> Error {
        self.errored
            .clone()
            .unwrap_or_else(|| Error::from_kind(ErrorKind::Destroyed))
    }

    /// Adds the label to an error that does not say where it happened yet.
    pub(crate) fn locate(&self, error: Error) -> Error {
        error.or_context(|| self.label.as_deref().map(str::to_owned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destroy_is_idempotent_and_keeps_the_first_error() {
        let mut life = Lifecycle::default();
        assert!(life.destroy(Some(Error::new(ErrorKind::Io, "first"))));
        assert!(!life.destroy(Some(Error::new(ErrorKind::Io, "second"))));
        assert_eq!(life.errored().unwrap().to_string(), "first");
        assert_eq!(life.take_error().unwrap().to_string(), "first");
        assert!(life.take_error().is_none());
    }

    /// Node's `destroy(err)` after a hook failed inside a call (before the
    /// tick that destroys with that failure): the event carries `err`, and
    /// a consumer is handed it, the stream stays errored with the first; a
    /// plain `destroy()` emits no `error`, and the consumer gets the first.
    #[test]
    fn destroy_after_a_failure_inside_a_call_emits_its_own_error() {
        for (given, events, handed) in [
            (
                Some("boom:op2"),
                vec!["error(boom:op2)", "close"],
                "boom:op2",
            ),
            (None, vec!["close"], "boom:s0"),
        ] {
            let mut life = Lifecycle::default();
            let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let seen = std::sync::Arc::clone(&log);
            life.events.observe(move |e| {
                seen.lock().unwrap().push(match e {
                    Event::Error(error) => format!("error({error})"),
                    other => other.name().to_owned(),
                })
            });
            life.fails_later(Error::new(ErrorKind::Io, "boom:s0"));
            assert!(life.destroy(given.map(|text| Error::new(ErrorKind::Io, text))));
            life.events.flush();
            assert_eq!(*log.lock().unwrap(), events);
            assert_eq!(life.errored().unwrap().to_string(), "boom:s0");
            assert_eq!(life.take_error().unwrap().to_string(), handed);
            assert!(!life.destroy_due());
        }
    }

    #[test]
    fn locate_adds_the_label_once() {
        let mut life = Lifecycle::default();
        life.set_label("gzip".into());
        let located = life.locate(Error::new(ErrorKind::InvalidData, "bad header"));
        assert_eq!(format!("{located:#}"), "gzip: bad header");
        assert_eq!(format!("{:#}", life.locate(located)), "gzip: bad header");
    }

    #[test]
    fn without_auto_destroy_an_ended_stream_stays_open_until_destroyed() {
        let mut life = Lifecycle::default();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = std::sync::Arc::clone(&log);
        life.events
            .observe(move |e| seen.lock().unwrap().push(e.name()));
        life.set_auto_destroy(false);
        life.close();
        life.events.flush();
        assert!(!life.is_destroyed());
        assert!(log.lock().unwrap().is_empty());
        assert!(life.destroy(None));
        life.events.flush();
        assert_eq!(*log.lock().unwrap(), ["close"]);
    }

    #[test]
    fn without_emit_close_nothing_announces_the_close() {
        let mut life = Lifecycle::default();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = std::sync::Arc::clone(&log);
        life.events
            .observe(move |e| seen.lock().unwrap().push(e.name()));
        life.set_emit_close(false);
        life.destroy(Some(Error::new(ErrorKind::Io, "gone")));
        life.events.flush();
        assert!(life.is_destroyed() && life.is_closed());
        assert_eq!(*log.lock().unwrap(), ["error"]);
    }
}
