//! Walking one input directory: which of its files a merge takes, and what
//! it skips or cannot read on the way.

use std::fs::{self, FileType};
use std::io;
use std::mem;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkBuilder, WalkState};

use super::entry::{Entry, FileId};
use super::patterns::{ExcludePatterns, FilePatterns};
use super::temp_name::is_smerge_temp_name;
use crate::Error;

/// How to walk an input directory.
#[derive(Debug)]
pub(super) struct ScanOptions {
    pub(super) recursive: bool,
    pub(super) hidden: bool,
    pub(super) gitignore: bool,
    pub(super) follow_links: bool,
    pub(super) include: FilePatterns,
    pub(super) exclude: Arc<ExcludePatterns>,
    /// The output's identity: a file with it is not listed.
    pub(super) output: Option<FileId>,
}

/// What walking one input directory found, in no particular order.
#[derive(Debug, Default)]
pub(super) struct DirContents {
    /// The regular files to merge.
    pub(super) files: Vec<Entry>,
    /// What could not be read.
    pub(super) problems: Vec<Error>,
    /// FIFOs, sockets and devices, skipped: their paths and what they are.
    pub(super) special: Vec<(PathBuf, &'static str)>,
    /// Files skipped because they are the output.
    pub(super) outputs: Vec<PathBuf>,
    /// Subdirectories not entered because the walk is not recursive.
    pub(super) subdirs: usize,
    /// Symbolic links to directories, not entered without `follow_links`.
    pub(super) linked_dirs: usize,
    /// Complaints about `.gitignore` files that could not be read or parsed.
    pub(super) ignore_file_warnings: Vec<String>,
}

impl DirContents {
    fn absorb(&mut self, other: DirContents) {
        self.files.extend(other.files);
        self.problems.extend(other.problems);
        self.special.extend(other.special);
        self.outputs.extend(other.outputs);
        self.subdirs += other.subdirs;
        self.linked_dirs += other.linked_dirs;
        self.ignore_file_warnings.extend(other.ignore_file_warnings);
    }
}

/// Walks the directory `dir` and collects what it holds.
///
/// The walk uses an explicit work stack on a few threads (no recursion, so
/// any depth is fine), filters names before reading anything, and reads
/// each candidate file's metadata once.
pub(super) fn scan_dir(dir: &Path, options: &ScanOptions) -> DirContents {
    let mut walk = WalkBuilder::new(dir);
    walk.standard_filters(false)
        .hidden(!options.hidden)
        .git_ignore(options.gitignore)
        .git_exclude(options.gitignore)
        .parents(options.gitignore && in_git_work_tree(dir))
        .require_git(false)
        .follow_links(options.follow_links)
        .max_depth((!options.recursive).then_some(1));
    if !options.exclude.is_empty() {
        let exclude = Arc::clone(&options.exclude);
        let root = dir.to_path_buf();
        walk.filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            !exclude.excludes(relative_to(entry.path(), &root), is_dir)
        });
    }
    let found = Mutex::new(DirContents::default());
    walk.build_parallel().visit(&mut CollectorBuilder {
        dir,
        options,
        found: &found,
    });
    found.into_inner().unwrap_or_else(PoisonError::into_inner)
}

/// True if `dir` is inside a git work tree, where the `.gitignore` files of
/// the directories above it, up to the top of the work tree, apply too.
fn in_git_work_tree(dir: &Path) -> bool {
    fs::canonicalize(dir).is_ok_and(|dir| {
        dir.ancestors()
            .any(|ancestor| fs::symlink_metadata(ancestor.join(".git")).is_ok())
    })
}

/// `path` relative to the input directory `root` it was found in.
fn relative_to<'a>(path: &'a Path, root: &Path) -> &'a Path {
    path.strip_prefix(root).unwrap_or(path)
}

struct CollectorBuilder<'s> {
    dir: &'s Path,
    options: &'s ScanOptions,
    found: &'s Mutex<DirContents>,
}

impl<'s> ParallelVisitorBuilder<'s> for CollectorBuilder<'s> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(Collector {
            dir: self.dir,
            options: self.options,
            found: DirContents::default(),
            shared: self.found,
        })
    }
}

/// What one walking thread found; it hands it over when the walk is done.
struct Collector<'s> {
    dir: &'s Path,
    options: &'s ScanOptions,
    found: DirContents,
    shared: &'s Mutex<DirContents>,
}

impl Drop for Collector<'_> {
    fn drop(&mut self) {
        let found = mem::take(&mut self.found);
        self.shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .absorb(found);
    }
}

impl ParallelVisitor for Collector<'_> {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) -> WalkState {
        match entry {
            Ok(entry) => self.entry(entry),
            Err(err) => self.error(err),
        }
        WalkState::Continue
    }
}

impl Collector<'_> {
    fn entry(&mut self, entry: DirEntry) {
        if let Some(err) = entry.error() {
            self.found.ignore_file_warnings.push(err.to_string());
        }
        let Some(file_type) = entry.file_type() else {
            return;
        };
        if entry.depth() == 0 {
            return;
        }
        if file_type.is_dir() {
            // The walk enters it if it is recursive.
            if !self.options.recursive {
                self.found.subdirs += 1;
            }
            return;
        }
        if !self.wants_file(entry.path()) {
            return;
        }
        let relative = relative_to(entry.path(), self.dir).to_path_buf();
        let path = entry.into_path();
        // Follows a symbolic link: a link to a file is merged as that file.
        let metadata = match fs::metadata(&path) {
            Ok(metadata) => metadata,
            Err(err) => {
                self.found.problems.push(Error::io(err).reading(&path));
                return;
            }
        };
        if metadata.is_dir() {
            if self.options.recursive {
                self.found.linked_dirs += 1;
            } else {
                self.found.subdirs += 1;
            }
        } else if !metadata.is_file() {
            self.found
                .special
                .push((path, special_kind(metadata.file_type())));
        } else if self.options.output.is_some() && FileId::of(&metadata) == self.options.output {
            self.found.outputs.push(path);
        } else {
            self.found
                .files
                .push(Entry::file(path, relative, &metadata));
        }
    }

    /// True if the file at `path` passes the filters that only apply to
    /// files: not a temporary output, and matching the include patterns.
    fn wants_file(&self, path: &Path) -> bool {
        let include = &self.options.include;
        !path.file_name().is_some_and(is_smerge_temp_name)
            && (include.is_empty() || include.is_match(relative_to(path, self.dir)))
    }

    fn error(&mut self, err: ignore::Error) {
        match WalkError::from(err) {
            WalkError::Unreadable { path, error } => {
                let path = path.as_deref().unwrap_or(self.dir);
                let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink());
                if is_link && !self.wants_file(path) {
                    // A dangling link the filters would have skipped.
                    return;
                }
                self.found.problems.push(Error::io(error).reading(path));
            }
            WalkError::Loop { child, ancestor } => {
                if self.options.recursive {
                    let error = io::Error::other(format!(
                        "symbolic link loop: it leads back to {}",
                        ancestor.display()
                    ));
                    self.found.problems.push(Error::io(error).reading(child));
                } else {
                    // A link to a directory above: not entered anyway.
                    self.found.subdirs += 1;
                }
            }
            WalkError::IgnoreFile(message) => self.found.ignore_file_warnings.push(message),
        }
    }
}

/// A walk error, sorted by what it means for a listing.
enum WalkError {
    /// A directory or link that could not be read: a problem.
    Unreadable {
        path: Option<PathBuf>,
        error: io::Error,
    },
    /// A followed link to a directory that holds it.
    Loop { child: PathBuf, ancestor: PathBuf },
    /// A `.gitignore` file that could not be read or parsed: a warning.
    IgnoreFile(String),
}

impl From<ignore::Error> for WalkError {
    fn from(err: ignore::Error) -> WalkError {
        let mut path = None;
        let mut err = err;
        loop {
            err = match err {
                ignore::Error::WithPath { path: p, err } => {
                    path.get_or_insert(p);
                    *err
                }
                ignore::Error::WithDepth { err, .. } => *err,
                ignore::Error::Loop { ancestor, child } => {
                    return WalkError::Loop { child, ancestor };
                }
                ignore::Error::Io(error) => return WalkError::Unreadable { path, error },
                other => {
                    return WalkError::IgnoreFile(match path {
                        Some(path) => format!("{}: {other}", path.display()),
                        None => other.to_string(),
                    });
                }
            }
        }
    }
}

/// What a file that is neither a regular file nor a directory is.
#[cfg(unix)]
fn special_kind(file_type: FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        "a FIFO"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else {
        "not a regular file"
    }
}

/// What a file that is neither a regular file nor a directory is.
#[cfg(not(unix))]
fn special_kind(file_type: FileType) -> &'static str {
    let _ = file_type;
    "not a regular file"
}
