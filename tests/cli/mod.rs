//! The `smerge` binary, run for real against temporary directories.

mod compress;
mod fast;
mod faults;
mod formats;
mod help;
mod interleave;
mod merge;
mod options;
mod pipe;
mod progress;
mod sample;
mod seekable;
mod signals;
pub(crate) mod util;
