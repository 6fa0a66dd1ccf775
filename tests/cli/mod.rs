//! The `smerge` binary, run for real against temporary directories.

mod fast;
mod merge;
mod pipe;
mod progress;
mod sample;
mod signals;
mod util;
