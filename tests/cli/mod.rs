//! The `smerge` binary, run for real against temporary directories.

mod compress;
mod fast;
mod faults;
mod formats;
mod habits;
mod hardening;
mod help;
mod interleave;
mod merge;
mod options;
mod pipe;
mod progress;
mod sample;
mod seekable;
mod signals;
mod sourcemap;
mod split;
pub(crate) mod util;
mod watch;
