//! Helpers for the tests of the file modules and of the merges that use
//! them.

use std::ffi::OsString;
use std::fs;
use std::path::Path;

/// The names of the entries of `dir`, sorted: what a failed or finished
/// write left behind.
pub(crate) fn names_in(dir: &Path) -> Vec<OsString> {
    let mut names: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    names.sort();
    names
}
