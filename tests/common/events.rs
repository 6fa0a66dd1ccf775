//! [`EventLog`]: records the events of one or more streams, in the order
//! they were delivered, so a test can compare them with Node's order.

use std::sync::{Arc, Mutex};
use std::task::{Context, Waker};

use smerge::{Chunk, Duplex, Error, Event, Readable, Writable};

/// A shared, ordered record of event names (`"data"`, `"end"`, …) and of
/// any marks the test adds itself (`"_read:a"`), plus the errors seen.
#[derive(Clone, Debug, Default)]
pub struct EventLog {
    inner: Arc<Mutex<Log>>,
}

#[derive(Debug, Default)]
struct Log {
    entries: Vec<String>,
    errors: Vec<Error>,
}

impl EventLog {
    pub fn new() -> Self {
        EventLog::default()
    }

    /// Records every event of `stream` under its plain name.
    pub fn attach(&self, stream: &mut impl Observe) {
        stream.observe_events(self.observer(None));
    }

    /// Records every event of `stream` as `"{prefix}:{name}"`, for logs
    /// shared by several streams.
    pub fn attach_as(&self, stream: &mut impl Observe, prefix: &'static str) {
        stream.observe_events(self.observer(Some(prefix)));
    }

    fn observer(&self, prefix: Option<&'static str>) -> Box<dyn FnMut(&Event) + Send> {
        let log = self.clone();
        Box::new(move |event| {
            let mut inner = log.inner.lock().unwrap();
            if let Event::Error(error) = event {
                inner.errors.push(error.clone());
            }
            inner.entries.push(match prefix {
                Some(prefix) => format!("{prefix}:{}", event.name()),
                None => event.name().to_owned(),
            });
        })
    }

    /// Adds an entry of the test's own, such as a hook call.
    pub fn mark(&self, entry: impl Into<String>) {
        self.inner.lock().unwrap().entries.push(entry.into());
    }

    /// Everything recorded so far, in order.
    pub fn entries(&self) -> Vec<String> {
        self.inner.lock().unwrap().entries.clone()
    }

    /// How many times `entry` was recorded.
    pub fn count(&self, entry: &str) -> usize {
        self.inner
            .lock()
            .unwrap()
            .entries
            .iter()
            .filter(|e| *e == entry)
            .count()
    }

    /// The errors delivered with `error` events, in order.
    pub fn errors(&self) -> Vec<Error> {
        self.inner.lock().unwrap().errors.clone()
    }

    /// Forgets everything recorded so far.
    pub fn clear(&self) {
        let mut inner = self.inner.lock().unwrap();
        inner.entries.clear();
        inner.errors.clear();
    }
}

/// The streams an [`EventLog`] can attach to.
pub trait Observe {
    fn observe_events(&mut self, observer: Box<dyn FnMut(&Event) + Send>);
}

impl<T: Chunk> Observe for Readable<T> {
    fn observe_events(&mut self, observer: Box<dyn FnMut(&Event) + Send>) {
        self.observe(observer);
    }
}

impl<T: Chunk> Observe for Writable<T> {
    fn observe_events(&mut self, observer: Box<dyn FnMut(&Event) + Send>) {
        self.observe(observer);
    }
}

impl<I: Chunk, O: Chunk> Observe for Duplex<I, O> {
    fn observe_events(&mut self, observer: Box<dyn FnMut(&Event) + Send>) {
        self.observe(observer);
    }
}

/// A context whose waker does nothing: for one synchronous step of a
/// stream, the way Node calls a method between two ticks.
pub fn noop_cx() -> Context<'static> {
    Context::from_waker(Waker::noop())
}
