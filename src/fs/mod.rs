//! Files on disk: file streams, and the atomic output that a merge writes.
//!
//! [`FileSource`] reads a file (or a byte range of it) as a readable;
//! [`FileSink`] writes one in place, and [`AtomicFileSink`] writes a
//! replacement that appears only when the stream finishes.
//!
//! [`AtomicFile`] writes an output beside its target and renames it into
//! place on success, so that a failed or interrupted run leaves the target
//! as it was. [`cleanup_stale`] removes what killed runs left behind, and
//! [`is_smerge_temp_name`] tells such files apart from inputs.

mod atomic;
mod file_sink;
mod file_source;
mod temp_name;

pub use atomic::{AtomicFile, AtomicOptions};
pub use file_sink::{AtomicFileSink, FileSink, WriteMode};
pub use file_source::FileSource;
pub use temp_name::{cleanup_stale, is_smerge_temp_name, smerge_temp_pid};
