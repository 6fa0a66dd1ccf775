//! smerge's integration tests: one test binary, one module per area.

mod cli;
mod codec;
mod common;
mod conformance;
mod engine;
mod merge;
mod net;
mod node;
#[cfg(feature = "s3")]
mod object;
