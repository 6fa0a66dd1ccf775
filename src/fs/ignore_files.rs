//! `.gitignore`, `.ignore` and `.git/info/exclude`: what a walk with
//! `gitignore` skips, decided the way ripgrep and fd decide it.
//!
//! Each directory of a walk that holds an ignore file adds a level to a
//! chain, innermost first. For each kind of file, the innermost level with
//! a matching pattern decides; then `.ignore` wins over `.gitignore`, which
//! wins over `.git/info/exclude`. `.gitignore` files above the top of a git
//! work tree (a directory holding `.git`) do not count for what is inside
//! it.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use rustix::fs::{Mode, OFlags};

use crate::quote;

/// The names of the files a level reads.
pub(super) const GITIGNORE: &[u8] = b".gitignore";
pub(super) const IGNORE: &[u8] = b".ignore";
pub(super) const GIT: &[u8] = b".git";

/// Where the paths a level matches are, relative to its directory.
#[derive(Debug)]
enum Base {
    /// A directory of the walk, whose path relative to the input directory
    /// is this many bytes long: a path below it is matched without them
    /// (and the `/` after them).
    Inside(usize),
    /// A directory above the input directory, which is at this path below
    /// it.
    Above(PathBuf),
}

/// The ignore files of one directory, and the levels around it.
#[derive(Debug)]
pub(super) struct IgnoreLevel {
    parent: Option<Rc<IgnoreLevel>>,
    base: Base,
    ignore: Gitignore,
    gitignore: Gitignore,
    exclude: Gitignore,
    /// The directory holds `.git`: the top of a work tree.
    has_git: bool,
}

/// What reading an ignore file found wrong, as one-line warnings.
pub(super) type Warnings = Vec<String>;

impl IgnoreLevel {
    /// The level of a directory of the walk, opened as `dir`, whose path
    /// relative to the input directory is `relative` and whose path for
    /// messages is `shown`; `names` are the names it holds. `None` when it
    /// holds no ignore file and no `.git` (the parent's level applies).
    pub(super) fn inside(
        parent: Option<Rc<IgnoreLevel>>,
        dir: BorrowedFd<'_>,
        relative: &[u8],
        shown: &Path,
        names: &[&[u8]],
        warnings: &mut Warnings,
    ) -> Option<Rc<IgnoreLevel>> {
        let has = |name: &[u8]| names.contains(&name);
        let has_git = has(GIT);
        if !has(GITIGNORE) && !has(IGNORE) && !has_git {
            return None;
        }
        let read = |name: &[u8], warnings: &mut Warnings| {
            let path = shown.join(OsStr::from_bytes(name));
            matcher(
                read_at(dir, name, &path, warnings).as_deref(),
                &path,
                warnings,
            )
        };
        Some(Rc::new(IgnoreLevel {
            parent,
            base: Base::Inside(relative.len()),
            ignore: if has(IGNORE) {
                read(IGNORE, warnings)
            } else {
                Gitignore::empty()
            },
            gitignore: if has(GITIGNORE) {
                read(GITIGNORE, warnings)
            } else {
                Gitignore::empty()
            },
            exclude: if has_git {
                read(b".git/info/exclude", warnings)
            } else {
                Gitignore::empty()
            },
            has_git,
        }))
    }

    /// The levels of the directories above the input directory `input`, up
    /// to the top of the git work tree it is in; `None` outside a work
    /// tree, where only the ignore files inside the input directory count.
    pub(super) fn above(input: &Path, warnings: &mut Warnings) -> Option<Rc<IgnoreLevel>> {
        let input = std::fs::canonicalize(input).ok()?;
        let top = input
            .ancestors()
            .position(|dir| std::fs::symlink_metadata(dir.join(".git")).is_ok())?;
        let mut levels = None;
        // From the top of the work tree down to the input's parent; when
        // the input is the top, its own level is all there is.
        for up in (1..=top).rev() {
            let dir = input.ancestors().nth(up).expect("an ancestor");
            let below: PathBuf = input.strip_prefix(dir).expect("below its ancestor").into();
            let read = |name: &str, warnings: &mut Warnings| {
                let path = dir.join(name);
                let text = std::fs::read(&path).ok();
                matcher(text.as_deref(), &path, warnings)
            };
            let has_git = up == top;
            levels = Some(Rc::new(IgnoreLevel {
                parent: levels,
                base: Base::Above(below),
                ignore: read(".ignore", warnings),
                gitignore: read(".gitignore", warnings),
                exclude: if has_git {
                    read(".git/info/exclude", warnings)
                } else {
                    Gitignore::empty()
                },
                has_git,
            }));
        }
        levels
    }

    /// True if the ignore files of this level and those around it ignore
    /// the file or directory at `relative` (relative to the input
    /// directory).
    pub(super) fn ignores(&self, relative: &Path, is_dir: bool) -> bool {
        let mut ignore = Match::None;
        let mut gitignore = Match::None;
        let mut exclude = Match::None;
        let mut saw_git = false;
        let mut level = Some(self);
        while let Some(current) = level {
            let candidate = current.candidate(relative);
            if ignore.is_none() {
                ignore = current.ignore.matched(&candidate, is_dir);
            }
            if gitignore.is_none() && !saw_git {
                gitignore = current.gitignore.matched(&candidate, is_dir);
            }
            if exclude.is_none() {
                exclude = current.exclude.matched(&candidate, is_dir);
            }
            saw_git |= current.has_git;
            level = current.parent.as_deref();
        }
        ignore.or(gitignore).or(exclude).is_ignore()
    }

    /// `relative` as a path relative to this level's directory.
    fn candidate<'a>(&self, relative: &'a Path) -> Cow<'a, Path> {
        match &self.base {
            Base::Inside(0) => Cow::Borrowed(relative),
            Base::Inside(len) => {
                let bytes = relative.as_os_str().as_bytes();
                Cow::Borrowed(Path::new(OsStr::from_bytes(
                    bytes.get(len + 1..).unwrap_or_default(),
                )))
            }
            Base::Above(below) => Cow::Owned(below.join(relative)),
        }
    }
}

/// Reads the ignore file `name` of `dir`; a file that is not there is no
/// file, one that cannot be read a warning.
fn read_at(
    dir: BorrowedFd<'_>,
    name: &[u8],
    shown: &Path,
    warnings: &mut Warnings,
) -> Option<Vec<u8>> {
    let opened = rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK,
        Mode::empty(),
    );
    let read = opened.map_err(std::io::Error::from).and_then(|fd| {
        use std::io::Read;
        let mut text = Vec::new();
        std::fs::File::from(fd).read_to_end(&mut text)?;
        Ok(text)
    });
    match read {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            warnings.push(format!("ignoring {}: {e}", quote(shown)));
            None
        }
    }
}

/// The matcher of one ignore file's `text`; lines that are not valid
/// patterns are warnings naming `path`.
fn matcher(text: Option<&[u8]>, path: &Path, warnings: &mut Warnings) -> Gitignore {
    let Some(text) = text else {
        return Gitignore::empty();
    };
    let mut builder = GitignoreBuilder::new(".");
    for line in String::from_utf8_lossy(text).lines() {
        if let Err(e) = builder.add_line(Some(path.to_path_buf()), line) {
            warnings.push(format!("{}: {}", quote(path), one_line(&e.to_string())));
        }
    }
    builder.build().unwrap_or_else(|e| {
        warnings.push(format!("{}: {}", quote(path), one_line(&e.to_string())));
        Gitignore::empty()
    })
}

/// `text` with its line breaks made spaces: a warning is one line.
fn one_line(text: &str) -> String {
    text.split(['\n', '\r']).collect::<Vec<_>>().join(" ")
}
