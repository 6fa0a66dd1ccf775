//! [`EventLog`]: records one stream's events and checks its terminal
//! events against Node's contract: each at most once, `close` exactly once
//! and last (but for the `pause` and `unpipe` a pipe still causes: Node's
//! pipe unpipes a destination from its `close`, and pauses a source left
//! without destinations), `error` before `close` and nothing but `close`
//! after it, `end` and `finish` before `close`.

use std::sync::{Arc, Mutex};

use smerge::Event;

/// Which sides the observed stream has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Readable,
    Writable,
    Duplex,
}

/// How the observed stream is expected to have ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `end` and/or `finish` (as its role has), no `error`, then `close`.
    Completed,
    /// `error`, then `close`.
    Errored,
    /// Either of the above: a pipeline stage that may have completed before
    /// another stage failed.
    CompletedOrErrored,
    /// `close` without `error`, completed or not: a stage dropped by a
    /// failed `pipe` chain.
    Closed,
}

/// The events of one stream, in order.
#[derive(Clone, Debug)]
pub struct EventLog {
    stream: String,
    role: Role,
    events: Arc<Mutex<Vec<Event>>>,
}

impl EventLog {
    pub fn new(stream: impl Into<String>, role: Role) -> Self {
        EventLog {
            stream: stream.into(),
            role,
            events: Arc::default(),
        }
    }

    /// An observer to register with the stream's `observe`.
    pub fn observer(&self) -> impl FnMut(&Event) + Send + 'static {
        let events = Arc::clone(&self.events);
        move |event| events.lock().unwrap().push(event.clone())
    }

    /// The names of the events so far.
    pub fn names(&self) -> Vec<&'static str> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .map(Event::name)
            .collect()
    }

    /// The error the stream emitted, if any.
    pub fn error(&self) -> Option<smerge::Error> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .find_map(|event| match event {
                Event::Error(error) => Some(error.clone()),
                _ => None,
            })
    }

    /// Checks the terminal events against Node's order and `outcome`.
    pub fn check(&self, outcome: Outcome) -> Result<(), String> {
        let mut names = self.names();
        // What a pipe causes after `close` (`pause`, `unpipe`) is not one
        // of the terminal events.
        if let Some(close) = names.iter().rposition(|name| *name == "close")
            && names[close + 1..]
                .iter()
                .all(|name| matches!(*name, "pause" | "unpipe"))
        {
            names.truncate(close + 1);
        }
        let fail = |why: &str| {
            Err(format!(
                "{} ({:?}): {why}; events {names:?}",
                self.stream, self.role
            ))
        };
        let position = |name: &str| names.iter().position(|n| *n == name);
        let count = |name: &str| names.iter().filter(|n| **n == name).count();

        for once in ["end", "prefinish", "finish", "error"] {
            if count(once) > 1 {
                return fail(&format!("`{once}` more than once"));
            }
        }
        if count("close") != 1 {
            return fail("`close` not exactly once");
        }
        if names.last() != Some(&"close") {
            return fail("an event after `close`");
        }
        let ended = position("end");
        let finished = position("finish");
        if let Some(end) = ended
            && names[end..].contains(&"data")
        {
            return fail("`data` after `end`");
        }
        if let (Some(prefinish), Some(finish)) = (position("prefinish"), finished)
            && prefinish > finish
        {
            return fail("`prefinish` after `finish`");
        }
        if let Some(error) = position("error")
            && names[error + 1..] != ["close"]
        {
            return fail("something other than `close` after `error`");
        }
        let completed = match self.role {
            Role::Readable => ended.is_some(),
            Role::Writable => finished.is_some(),
            Role::Duplex => ended.is_some() && finished.is_some(),
        };
        let errored = position("error").is_some();
        match outcome {
            Outcome::Completed if errored => fail("an error, where it should have completed"),
            Outcome::Completed if !completed => fail("closed before it completed"),
            Outcome::Errored if !errored => fail("no error, where it should have failed"),
            Outcome::CompletedOrErrored if !(completed || errored) => {
                fail("closed without completing and without an error")
            }
            Outcome::Closed if errored => fail("an error, where it should have closed quietly"),
            _ => Ok(()),
        }
    }
}
