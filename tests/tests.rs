//! smerge's integration tests: one test binary, one module per area.

#[cfg(feature = "cli")]
mod cli;
#[cfg(feature = "transforms")]
mod codec;
mod common;
mod conformance;
mod engine;
#[cfg(feature = "merge")]
mod merge;
#[cfg(all(feature = "net", feature = "transforms"))]
mod net;
mod node;
#[cfg(feature = "s3")]
mod object;
