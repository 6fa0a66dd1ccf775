//! Mock readers, writers, sources and sinks in the style of tokio-util's
//! tests: they hand out awkward amounts, stall, and fail on request, all
//! deterministically (a seeded generator decides, and a stalled mock waits
//! for [`Stall::release`], never for a timer).

mod control;
mod reader;
mod sink;
mod source;
mod writer;

pub use control::{Bound, Bounds, Hiccups, Meter, Rng, Stall};
pub use reader::ChunkyReader;
pub use sink::{Shared, SinkFailure, TakeSink};
pub use source::ScriptedSource;
pub use writer::{MockWriter, WriterFailure};
