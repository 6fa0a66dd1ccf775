//! Files as inputs of a merge: which files, in which order.
//!
//! A [`Listing`] is the ordered list of files `smerge merge` reads, made by a
//! [`ListingBuilder`] from its inputs (directories, files and `-`) and its
//! options (recursion, patterns, [`SortOrder`], first and last pins). Each
//! [`Entry`] says where to open the file, where it sits in the order, and
//! its size, time and [`FileId`] when it was listed. [`read_files0`] reads
//! inputs from a NUL-separated list, and [`is_smerge_temp_name`] recognises
//! the temporary files smerge writes its outputs to.

mod dir_scan;
mod entry;
mod files0;
mod listing;
mod order;
mod patterns;
mod temp_name;

pub use entry::{Entry, EntryKind, FileId};
pub use files0::{parse_files0, read_files0};
pub use listing::{Listing, ListingBuilder};
pub use order::SortOrder;
pub use temp_name::is_smerge_temp_name;
