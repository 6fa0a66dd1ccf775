//! The `smerge` binary, run for real against temporary directories.

mod merge;
mod pipe;
mod sample;
mod util;
