//! Files on disk: the atomic output that a merge writes.
//!
//! [`AtomicFile`] writes an output beside its target and renames it into
//! place on success, so that a failed or interrupted run leaves the target
//! as it was. [`cleanup_stale`] removes what killed runs left behind, and
//! [`is_smerge_temp_name`] tells such files apart from inputs.

mod atomic;
mod temp_name;

pub use atomic::{AtomicFile, AtomicOptions};
pub use temp_name::{cleanup_stale, is_smerge_temp_name, smerge_temp_pid};
