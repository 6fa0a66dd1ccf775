//! Files on disk: which files a merge reads and in which order, file
//! streams, and the atomic output a merge writes.
//!
//! A [`Listing`] is the ordered list of files `smerge merge` reads, made by a
//! [`ListingBuilder`] from its inputs (directories, files and `-`) and its
//! options (recursion, patterns, ignore files, [`SortOrder`], first and last
//! pins). Each [`Entry`] says where to open the file, where it sits in the
//! order, and its size, time and [`FileId`] when it was listed, and opens
//! it ([`Entry::open`]) only if it is still the file listed. [`read_files0`]
//! reads inputs from a NUL-separated list, [`read_files_from`] from one name
//! per line, each into a [`PathList`].
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
mod dir_scan;
mod entry;
mod file_sink;
mod file_source;
mod files0;
mod ignore_files;
mod listed_dir;
mod listing;
mod open;
mod order;
mod path_list;
mod patterns;
mod temp_name;
#[cfg(test)]
pub(crate) mod test_support;
mod waiting;

pub use atomic::{AtomicFile, AtomicOptions};
pub use entry::{Entry, EntryKind, FileId};
pub use file_sink::{AtomicFileSink, FileSink, WriteMode};
pub use file_source::FileSource;
pub use files0::{parse_files_from, parse_files0, read_files_from, read_files0};
#[cfg(feature = "object-store")]
pub(crate) use listed_dir::{ListedDir, RemoteEntry, RemoteInput};
pub use listing::{Entries, Listing, ListingBuilder};
pub use order::SortOrder;
pub use path_list::PathList;
pub use temp_name::{cleanup_stale, is_smerge_temp_name, smerge_temp_pid};
#[cfg(feature = "merge")]
pub(crate) use waiting::on_own_thread;
pub use waiting::{open_readable, readable_of};
