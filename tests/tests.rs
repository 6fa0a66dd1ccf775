//! smerge's integration tests, in one binary.

mod common;
mod engine;
