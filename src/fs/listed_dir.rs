//! Directories listed elsewhere than on the local file system (prefixes of
//! object storage), filtered with the rules of a walk on disk.

use std::path::{Component, Path, PathBuf};

use super::dir_scan::{DirContents, ScanOptions};
use super::entry::Entry;
use super::temp_name::is_smerge_temp_name;
use crate::Error;

/// What an input that is not on the local file system turned out to be,
/// listed by its own backend before the listing is made.
#[derive(Debug)]
#[cfg_attr(not(feature = "object-store"), allow(dead_code))]
pub(crate) enum RemoteInput {
    /// One object, named explicitly: always listed, as an explicit file is.
    Entry(Entry),
    /// A prefix read like a directory.
    Dir(ListedDir),
    /// It could not be read.
    Problem(Error),
}

/// What a backend found below a prefix: the candidate files, their paths
/// relative to the prefix, and the "subdirectories" a listing that is not
/// recursive did not enter.
#[derive(Debug, Default)]
pub(crate) struct ListedDir {
    /// The prefix, as the input was given (`s3://b/logs/`).
    pub(crate) dir: PathBuf,
    /// Every file found, in any order.
    pub(crate) files: Vec<Entry>,
    /// The subdirectories not entered, relative to the prefix.
    pub(crate) subdirs: Vec<PathBuf>,
}

/// Keeps the files of `listed` that a walk of the same tree on disk with
/// `options` would keep: hidden names, exclude patterns on every directory
/// above a file and on the file, include patterns, smerge's temporary names,
/// and the output (`output`, its URL), skipped with a warning.
pub(super) fn select_listed(
    listed: ListedDir,
    options: &ScanOptions,
    output: Option<&Path>,
) -> DirContents {
    let mut contents = DirContents::default();
    for subdir in &listed.subdirs {
        if enters(subdir, options) {
            contents.subdirs += 1;
        }
    }
    for entry in listed.files {
        let relative = entry.relative_path();
        let Some(parent) = relative.parent() else {
            continue;
        };
        let name = relative.file_name().unwrap_or_default();
        let wanted = enters(parent, options)
            && (options.hidden || !is_hidden(name))
            && !options.exclude.excludes(relative, false)
            && !is_smerge_temp_name(name)
            && (options.include.is_empty() || options.include.is_match(relative));
        if !wanted {
            continue;
        }
        if output.is_some_and(|output| output == entry.path()) {
            contents.outputs.push(entry.path().to_path_buf());
        } else {
            contents.files.push(entry);
        }
    }
    contents
}

/// True if a walk would enter the directory `relative` (and every one
/// above it): none is hidden, unless hidden files are wanted, nor excluded.
fn enters(relative: &Path, options: &ScanOptions) -> bool {
    let mut above = PathBuf::new();
    for component in relative.components() {
        let Component::Normal(name) = component else {
            continue;
        };
        above.push(name);
        if (!options.hidden && is_hidden(name)) || options.exclude.excludes(&above, true) {
            return false;
        }
    }
    true
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().starts_with(b".")
}
