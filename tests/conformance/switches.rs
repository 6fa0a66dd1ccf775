//! Which parts of Node's stream API the generated scenarios use.
//!
//! A switch is off while smerge has no form for what it turns on; the
//! smerge interpreter says which are on ([`super::smerge::switches`]).

/// Scenario features that need something of smerge it may not offer yet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Switches {
    /// `push()` from outside into a Readable whose `_read` does nothing
    /// (`new Readable({read() {}})`), with Node's boolean answer.
    pub external_push: bool,
    /// `unshift()` on a Transform's readable side.
    pub transform_unshift: bool,
    /// `finished()` on a stream with a readable side, without consuming it.
    pub finished_readable: bool,
    /// Operations on a pipeline's stages after the first, while the
    /// pipeline runs (and their counters).
    pub ops_on_pipeline_stages: bool,
    /// Operations left out of a run, by name: to look past one class of
    /// mismatch at the others (`CONFORMANCE_WITHOUT=read,unshift`).
    pub without: Vec<String>,
    /// Events and hook calls left out of both traces before they are
    /// compared, by name: to look past a difference in when an event comes
    /// (`CONFORMANCE_IGNORE_EVENTS=resume,_write`).
    pub ignored_events: Vec<String>,
}

impl Switches {
    /// Whether scenarios may use the operation called `name`.
    pub fn allows_op(&self, name: &str) -> bool {
        (name != "push" || self.external_push) && !self.without.iter().any(|w| w == name)
    }

    /// Whether traces keep the event or hook call `event` (`data(3)`, `_read`).
    pub fn keeps_event(&self, event: &str) -> bool {
        let name = event.split_once('(').map_or(event, |(name, _)| name);
        !self.ignored_events.iter().any(|ignored| ignored == name)
    }

    /// These switches, with the operations `CONFORMANCE_WITHOUT` names and
    /// the events `CONFORMANCE_IGNORE_EVENTS` names left out.
    pub fn with_env(mut self) -> Self {
        let list = |name: &str| -> Vec<String> {
            std::env::var(name)
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
                .collect()
        };
        self.without = list("CONFORMANCE_WITHOUT");
        self.ignored_events = list("CONFORMANCE_IGNORE_EVENTS");
        self
    }
}
