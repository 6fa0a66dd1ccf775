//! What a scenario is, and what running one observes: the data both sides
//! share, as JSON (`node_runner.js` reads and writes the same shapes).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A stream scenario: streams with their options, and a script of
/// operations on them. Every stream of a scenario is in byte mode, or
/// every one in object mode (chunks are then strings, one item each).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    pub object_mode: bool,
    pub streams: Vec<StreamSpec>,
    pub ops: Vec<Op>,
}

/// One stream of a scenario. Every highWaterMark is given: Node 20's
/// default (16 KiB) is not smerge's (64 KiB).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StreamSpec {
    /// A Readable whose `_read` follows `source`.
    Readable { hwm: usize, source: SourceSpec },
    /// A Writable whose `_write` follows `sink`.
    Writable { hwm: usize, sink: SinkSpec },
    /// A Transform that pushes `pushes[i % len]` copies of its `i`-th
    /// input (one copy if `pushes` is empty), `flush` chunks `f0`, `f1`, …
    /// from its flush, and fails on input number `fail_at`.
    Transform {
        readable_hwm: usize,
        writable_hwm: usize,
        pushes: Vec<u8>,
        flush: u8,
        fail_at: Option<usize>,
    },
}

impl StreamSpec {
    pub fn kind(&self) -> Kind {
        match self {
            StreamSpec::Readable { .. } => Kind::Readable,
            StreamSpec::Writable { .. } => Kind::Writable,
            StreamSpec::Transform { .. } => Kind::Transform,
        }
    }
}

/// The three kinds of stream a scenario has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Readable,
    Writable,
    Transform,
}

impl Kind {
    pub fn is_readable(self) -> bool {
        self != Kind::Writable
    }

    pub fn is_writable(self) -> bool {
        self != Kind::Readable
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Readable => "readable",
            Kind::Writable => "writable",
            Kind::Transform => "transform",
        })
    }
}

/// When a source or sink completes the work it is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pace {
    /// Inside the call that asked (`_read` pushes, `_write` calls back).
    Sync,
    /// When time passes: at a `settle`, in the order the work was asked for.
    Deferred,
    /// Never by itself: a source whose data comes only from `push` operations.
    Manual,
}

/// What a Readable's `_read` does: each call pushes the next chunk (the
/// `fail_at`-th fails the stream instead), then the end if `end`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceSpec {
    pub pace: Pace,
    pub chunks: Vec<String>,
    pub fail_at: Option<usize>,
    pub end: bool,
}

/// What a Writable's `_write` does: takes one chunk per call; write
/// number `fail_at` fails.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SinkSpec {
    pub pace: Pace,
    pub fail_at: Option<usize>,
}

/// One operation of a scenario's script.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    Write {
        stream: usize,
        chunk: String,
    },
    End {
        stream: usize,
    },
    Read {
        stream: usize,
    },
    ReadN {
        stream: usize,
        n: usize,
    },
    /// Node's `readable.push(chunk)` from outside; `None` pushes the end.
    Push {
        stream: usize,
        chunk: Option<String>,
    },
    Unshift {
        stream: usize,
        chunk: String,
    },
    Pause {
        stream: usize,
    },
    Resume {
        stream: usize,
    },
    Cork {
        stream: usize,
    },
    Uncork {
        stream: usize,
    },
    /// Destroys the stream, with the error `boom:op<index>` if `error`.
    Destroy {
        stream: usize,
        error: bool,
    },
    Pipe {
        source: usize,
        destinations: Vec<usize>,
        end: bool,
    },
    Unpipe {
        source: usize,
        destination: usize,
    },
    /// `pipeline(stages…)`; its callback is recorded on every stage.
    Pipeline {
        stages: Vec<usize>,
    },
    /// `finished(stream)`; its callback is recorded on the stream.
    Finished {
        stream: usize,
    },
    /// Time passes until no `process.nextTick` callback (no poll) is left.
    Tick,
    /// Time passes until nothing is left at all, deferred completions included.
    Settle,
}

impl Op {
    /// The operation's name, as in the scenario's JSON.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Write { .. } => "write",
            Op::End { .. } => "end",
            Op::Read { .. } => "read",
            Op::ReadN { .. } => "read_n",
            Op::Push { .. } => "push",
            Op::Unshift { .. } => "unshift",
            Op::Pause { .. } => "pause",
            Op::Resume { .. } => "resume",
            Op::Cork { .. } => "cork",
            Op::Uncork { .. } => "uncork",
            Op::Destroy { .. } => "destroy",
            Op::Pipe { .. } => "pipe",
            Op::Unpipe { .. } => "unpipe",
            Op::Pipeline { .. } => "pipeline",
            Op::Finished { .. } => "finished",
            Op::Tick => "tick",
            Op::Settle => "settle",
        }
    }

    /// The streams the operation names, in order.
    pub fn streams(&self) -> Vec<usize> {
        match self {
            Op::Write { stream, .. }
            | Op::End { stream }
            | Op::Read { stream }
            | Op::ReadN { stream, .. }
            | Op::Push { stream, .. }
            | Op::Unshift { stream, .. }
            | Op::Pause { stream }
            | Op::Resume { stream }
            | Op::Cork { stream }
            | Op::Uncork { stream }
            | Op::Destroy { stream, .. }
            | Op::Finished { stream } => vec![*stream],
            Op::Pipe {
                source,
                destinations,
                ..
            } => std::iter::once(*source)
                .chain(destinations.iter().copied())
                .collect(),
            Op::Unpipe {
                source,
                destination,
            } => vec![*source, *destination],
            Op::Pipeline { stages } => stages.clone(),
            Op::Tick | Op::Settle => Vec::new(),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Write { stream, chunk } => write!(f, "s{stream}.write({chunk:?})"),
            Op::End { stream } => write!(f, "s{stream}.end()"),
            Op::Read { stream } => write!(f, "s{stream}.read()"),
            Op::ReadN { stream, n } => write!(f, "s{stream}.read({n})"),
            Op::Push { stream, chunk } => match chunk {
                Some(chunk) => write!(f, "s{stream}.push({chunk:?})"),
                None => write!(f, "s{stream}.push(null)"),
            },
            Op::Unshift { stream, chunk } => write!(f, "s{stream}.unshift({chunk:?})"),
            Op::Pause { stream } => write!(f, "s{stream}.pause()"),
            Op::Resume { stream } => write!(f, "s{stream}.resume()"),
            Op::Cork { stream } => write!(f, "s{stream}.cork()"),
            Op::Uncork { stream } => write!(f, "s{stream}.uncork()"),
            Op::Destroy { stream, error } => {
                write!(f, "s{stream}.destroy({})", if *error { "err" } else { "" })
            }
            Op::Pipe {
                source,
                destinations,
                end,
            } => {
                for (i, d) in destinations.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "s{source}.pipe(s{d}, {{end: {end}}})")?;
                }
                Ok(())
            }
            Op::Unpipe {
                source,
                destination,
            } => write!(f, "s{source}.unpipe(s{destination})"),
            Op::Pipeline { stages } => {
                let names: Vec<String> = stages.iter().map(|s| format!("s{s}")).collect();
                write!(f, "pipeline({}, cb)", names.join(", "))
            }
            Op::Finished { stream } => write!(f, "finished(s{stream}, cb)"),
            Op::Tick => f.write_str("-- tick --"),
            Op::Settle => f.write_str("-- settle --"),
        }
    }
}

impl fmt::Display for StreamSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fail = |at: &Option<usize>| at.map(|n| format!(", fails at {n}")).unwrap_or_default();
        match self {
            StreamSpec::Readable { hwm, source } => write!(
                f,
                "Readable(hwm {hwm}, {:?} source {:?}{}{})",
                source.pace,
                source.chunks,
                if source.end { ", then end" } else { ", no end" },
                fail(&source.fail_at),
            ),
            StreamSpec::Writable { hwm, sink } => {
                write!(
                    f,
                    "Writable(hwm {hwm}, {:?} sink{})",
                    sink.pace,
                    fail(&sink.fail_at)
                )
            }
            StreamSpec::Transform {
                readable_hwm,
                writable_hwm,
                pushes,
                flush,
                fail_at,
            } => write!(
                f,
                "Transform(readable hwm {readable_hwm}, writable hwm {writable_hwm}, pushes {pushes:?}, flush {flush}{})",
                fail(fail_at),
            ),
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} mode",
            if self.object_mode { "object" } else { "byte" }
        )?;
        for (id, stream) in self.streams.iter().enumerate() {
            writeln!(f, "  s{id} = {stream}")?;
        }
        for (index, op) in self.ops.iter().enumerate() {
            writeln!(f, "  {index:>2}: {op}")?;
        }
        Ok(())
    }
}

/// What one side observed running a scenario: one step per operation, and
/// why the run stopped early, if it did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    pub steps: Vec<Step>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// What one operation returned, the events it caused, and every stream's
/// counters after it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// `write`/`push`/`unshift`: a boolean; `read`: the chunk or null.
    #[serde(default)]
    pub ret: Value,
    /// The error the call was refused with, named as in [`Event`]'s
    /// errors; see the "errors are values" difference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// `(stream, event)` in the order they happened. Events are Node's
    /// names (`data(3)` with the chunk's size, `error(boom:s2)`), hooks
    /// are `_read`, `_write(chunk)`, `_transform(chunk)`, `_flush`, and
    /// callbacks `pipeline(ok)`, `finished(ERR_STREAM_PREMATURE_CLOSE)`.
    pub events: Vec<(usize, String)>,
    /// Per stream: `rl` readableLength, `rf` readableFlowing, `re`
    /// readableEnded, `wl` writableLength, `wnd` writableNeedDrain, `we`
    /// writableEnded, `wf` writableFinished, `d` destroyed, `err` errored.
    /// A counter a side cannot observe is absent.
    pub state: Vec<BTreeMap<String, Value>>,
    /// Node only: the pipes attached after the operation, as `(source,
    /// destination)` from each source's own list (`_readableState.pipes`),
    /// so the comparison knows which pipes can act inside the next call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pipes: Vec<(usize, usize)>,
}
