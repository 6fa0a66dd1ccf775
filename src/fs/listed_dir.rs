//! Directories listed elsewhere than on the local file system (prefixes of
//! object storage), filtered with the rules of a walk on disk.

use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use super::dir_scan::ScanOptions;
use super::ignore_files::GIT;
use super::temp_name::is_smerge_temp_name;
use crate::Error;

/// What an input that is not on the local file system turned out to be,
/// listed by its own backend before the listing is made.
#[derive(Debug)]
#[cfg_attr(not(feature = "object-store"), allow(dead_code))]
pub(crate) enum RemoteInput {
    /// One object, named explicitly: always listed, as an explicit file is.
    Entry(RemoteEntry),
    /// A prefix read like a directory.
    Dir(ListedDir),
    /// It could not be read.
    Problem(Error),
}

/// One object as its backend listed it, before it goes into a
/// [`Listing`](super::Listing).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(feature = "object-store"), allow(dead_code))]
pub(crate) struct RemoteEntry {
    /// Its URL (`s3://BUCKET/KEY`).
    pub(crate) path: PathBuf,
    /// Its key below the listed prefix (or the URL, named explicitly).
    pub(crate) relative: PathBuf,
    pub(crate) size: u64,
    pub(crate) modified: Option<SystemTime>,
    /// Its entity tag, when the service gave one.
    pub(crate) etag: Option<String>,
}

/// What a backend found below a prefix: the candidate files, their paths
/// relative to the prefix, and the "subdirectories" a listing that is not
/// recursive did not enter.
#[derive(Debug, Default)]
#[cfg_attr(not(feature = "object-store"), allow(dead_code))]
pub(crate) struct ListedDir {
    /// The prefix, as the input was given (`s3://b/logs/`).
    pub(crate) dir: PathBuf,
    /// Every file found, in any order.
    pub(crate) files: Vec<RemoteEntry>,
    /// The subdirectories not entered, relative to the prefix.
    pub(crate) subdirs: Vec<PathBuf>,
}

/// What [`select_listed`] keeps of a listed prefix.
#[derive(Debug, Default)]
pub(super) struct Selected {
    pub(super) files: Vec<RemoteEntry>,
    /// Objects skipped because they are the output.
    pub(super) outputs: Vec<PathBuf>,
    /// Subdirectories not entered because the listing is not recursive.
    pub(super) subdirs: usize,
}

/// Keeps the files of `listed` that a walk of the same tree on disk with
/// `options` would keep: hidden names, `.git`, exclude patterns on every
/// directory above a file and on the file, include patterns, smerge's
/// temporary names, and the output (`output`, its URL), skipped with a
/// warning. (Ignore files are not read from object storage.)
pub(super) fn select_listed(
    listed: ListedDir,
    options: &ScanOptions,
    output: Option<&Path>,
) -> Selected {
    let mut selected = Selected::default();
    for subdir in &listed.subdirs {
        if enters(subdir, options) {
            selected.subdirs += 1;
        }
    }
    for entry in listed.files {
        let relative = entry.relative.as_path();
        let Some(parent) = relative.parent() else {
            continue;
        };
        let name = relative.file_name().unwrap_or_default();
        let wanted = enters(parent, options)
            && name.as_encoded_bytes() != GIT
            && (options.hidden || !is_hidden(name))
            && !options.exclude.excludes(relative, false)
            && !is_smerge_temp_name(name)
            && options.include.includes(relative);
        if !wanted {
            continue;
        }
        if output.is_some_and(|output| output == entry.path) {
            selected.outputs.push(entry.path);
        } else {
            selected.files.push(entry);
        }
    }
    selected
}

/// True if a walk would enter the directory `relative` (and every one
/// above it): none is `.git`, nor hidden (unless hidden files are wanted),
/// nor excluded.
fn enters(relative: &Path, options: &ScanOptions) -> bool {
    let mut above = PathBuf::new();
    for component in relative.components() {
        let Component::Normal(name) = component else {
            continue;
        };
        above.push(name);
        if name.as_encoded_bytes() == GIT
            || (!options.hidden && is_hidden(name))
            || options.exclude.excludes(&above, true)
        {
            return false;
        }
    }
    true
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().starts_with(b".")
}
