//! Walking one input directory: which of its files a merge takes, and what
//! it skips or cannot read on the way.
//!
//! The walk opens every directory relative to the descriptor of its parent
//! (`openat`, never following a symbolic link that was not asked for), so
//! it reaches any depth, whatever the length of the paths, and a directory
//! swapped for a link while the walk runs is not entered. It keeps a stack
//! of directories to visit rather than recursing, and holds the descriptor
//! of a directory only while some of its subdirectories wait to be opened.

use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rustix::fs::{AtFlags, CWD, Dir, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

use super::entry::{EntryKind, FileId, Reached, Record};
use super::ignore_files::{GIT, IgnoreLevel, Warnings};
use super::open::open_at;
use super::patterns::{ExcludePatterns, IncludePatterns};
use super::temp_name::is_smerge_temp_name;
use crate::Error;
use crate::quote;

/// How to walk an input directory.
#[derive(Debug)]
pub(super) struct ScanOptions {
    pub(super) recursive: bool,
    pub(super) hidden: bool,
    pub(super) gitignore: bool,
    pub(super) follow_links: bool,
    pub(super) include: IncludePatterns,
    pub(super) exclude: ExcludePatterns,
    /// The output's identity: a file with it is not listed.
    pub(super) output: Option<FileId>,
}

/// What walking one input directory found besides its files, in no
/// particular order.
#[derive(Debug, Default)]
pub(super) struct DirContents {
    /// How many files were listed.
    pub(super) files: usize,
    /// What could not be read.
    pub(super) problems: Vec<Error>,
    /// FIFOs, sockets and devices, skipped: their paths and what they are.
    pub(super) special: Vec<(PathBuf, &'static str)>,
    /// Files skipped because they are the output.
    pub(super) outputs: Vec<PathBuf>,
    /// Subdirectories not entered because the walk is not recursive.
    pub(super) subdirs: usize,
    /// Symbolic links not followed, without `follow_links`.
    pub(super) links: usize,
    /// Complaints about ignore files that could not be read or parsed.
    pub(super) ignore_file_warnings: Warnings,
}

/// Where a walk puts the files it lists: records whose paths go into one
/// buffer.
pub(super) struct Sink<'a> {
    pub(super) paths: &'a mut Vec<u8>,
    pub(super) records: &'a mut Vec<Record>,
}

/// A directory of the walk, as its subdirectories remember it.
#[derive(Debug)]
struct Node {
    /// Its name in its parent (empty for the input directory).
    name: Box<[u8]>,
    parent: Option<Rc<Node>>,
    id: FileId,
}

impl Node {
    /// The path relative to the input directory, from the names up the
    /// chain.
    fn relative(&self) -> Vec<u8> {
        let mut names = Vec::new();
        let mut node = Some(self);
        while let Some(current) = node {
            if current.parent.is_some() {
                names.push(&current.name[..]);
            }
            node = current.parent.as_deref();
        }
        names.reverse();
        names.join(&b'/')
    }
}

/// A subdirectory waiting to be opened.
struct Pending {
    /// The directory that holds it, open while it waits.
    parent_fd: Rc<OwnedFd>,
    parent: Rc<Node>,
    ignore: Option<Rc<IgnoreLevel>>,
    name: Box<[u8]>,
    reached: Reached,
    /// What `lstat` (or `stat`, for a followed link) said it was.
    id: FileId,
}

/// Walks the directory `input` and adds the files it lists to `sink`.
///
/// The walk uses an explicit stack (no recursion, so any depth is fine),
/// filters names before reading anything, and reads each candidate file's
/// metadata once, relative to its directory.
pub(super) fn scan_dir(input: &Path, options: &ScanOptions, sink: &mut Sink<'_>) -> DirContents {
    let mut walk = Walk {
        input,
        prefix: join_prefix(input),
        options,
        found: DirContents::default(),
        sink,
        stack: Vec::new(),
    };
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOCTTY;
    let opened = open_at(CWD, input.as_os_str().as_bytes(), flags, Mode::empty())
        .and_then(|fd| Ok((rustix::fs::fstat(&fd)?, fd)));
    let (stat, fd) = match opened {
        Ok(opened) => opened,
        Err(error) => {
            walk.found.problems.push(Error::io(error).reading(input));
            return walk.found;
        }
    };
    let ignore = if options.gitignore {
        IgnoreLevel::above(input, &mut walk.found.ignore_file_warnings)
    } else {
        None
    };
    let root = Rc::new(Node {
        name: Box::default(),
        parent: None,
        id: FileId::of_stat(&stat),
    });
    walk.visit(fd, root, ignore);
    while let Some(pending) = walk.stack.pop() {
        walk.open_pending(pending);
    }
    walk.found
}

/// `input` followed by the separator its files' paths need: `src/` for
/// `src`, `src/` for `src/`.
fn join_prefix(input: &Path) -> Vec<u8> {
    let mut prefix = input.as_os_str().as_bytes().to_vec();
    if prefix.last() != Some(&b'/') {
        prefix.push(b'/');
    }
    prefix
}

struct Walk<'w, 's> {
    input: &'w Path,
    prefix: Vec<u8>,
    options: &'w ScanOptions,
    found: DirContents,
    sink: &'w mut Sink<'s>,
    stack: Vec<Pending>,
}

impl Walk<'_, '_> {
    /// The path of `relative` for messages and for opening.
    fn full_path(&self, relative: &[u8]) -> PathBuf {
        let mut path = self.prefix.clone();
        path.extend_from_slice(relative);
        PathBuf::from(OsStr::from_bytes(&path))
    }

    /// Opens a subdirectory that waited on the stack and visits it.
    fn open_pending(&mut self, pending: Pending) {
        let mut flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOCTTY;
        if pending.reached == Reached::Walked {
            flags |= OFlags::NOFOLLOW;
        }
        let opened = rustix::fs::openat(
            pending.parent_fd.as_fd(),
            &*pending.name,
            flags,
            Mode::empty(),
        )
        .and_then(|fd| Ok((rustix::fs::fstat(&fd)?, fd)));
        let node = Rc::new(Node {
            name: pending.name,
            parent: Some(pending.parent),
            id: pending.id,
        });
        drop(pending.parent_fd);
        match opened {
            // The same directory as when it was seen, or one that took its
            // place: either way a directory at this name, not a link.
            Ok((_, fd)) => self.visit(fd, node, pending.ignore),
            Err(error) => {
                let path = self.full_path(&node.relative());
                self.found
                    .problems
                    .push(Error::io(error.into()).reading(path));
            }
        }
    }

    /// Reads the directory `fd` (the one `node` names) and sorts what it
    /// holds into files, subdirectories to visit, and what is skipped.
    fn visit(&mut self, fd: OwnedFd, node: Rc<Node>, ignore: Option<Rc<IgnoreLevel>>) {
        let relative_dir = node.relative();
        let names = match read_names(&fd) {
            Ok(names) => names,
            Err(error) => {
                let path = self.full_path_or_input(&relative_dir);
                self.found.problems.push(Error::io(error).reading(path));
                return;
            }
        };
        let ignore = if self.options.gitignore {
            let shown = self.full_path_or_input(&relative_dir);
            let name_refs: Vec<&[u8]> = names.iter().map(|(name, _)| &name[..]).collect();
            IgnoreLevel::inside(
                ignore.clone(),
                fd.as_fd(),
                &relative_dir,
                &shown,
                &name_refs,
                &mut self.found.ignore_file_warnings,
            )
            .or(ignore)
        } else {
            None
        };
        let fd = Rc::new(fd);
        for (name, file_type) in names {
            let mut relative = relative_dir.clone();
            if !relative.is_empty() {
                relative.push(b'/');
            }
            relative.extend_from_slice(&name);
            let child = Child {
                dir: &fd,
                node: &node,
                ignore: ignore.as_ref(),
                name,
                relative,
            };
            self.child(child, file_type);
        }
    }

    /// Decides what to do with one name of a directory.
    fn child(&mut self, child: Child<'_>, file_type: Option<FileType>) {
        let name = &child.name[..];
        if name == GIT || (!self.options.hidden && name.starts_with(b".")) {
            return;
        }
        let file_type = match file_type {
            Some(file_type) => file_type,
            None => match rustix::fs::statat(child.dir.as_fd(), name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(stat) => FileType::from_raw_mode(stat.st_mode),
                Err(error) => {
                    let path = self.full_path(&child.relative);
                    self.found
                        .problems
                        .push(Error::io(error.into()).reading(path));
                    return;
                }
            },
        };
        match file_type {
            FileType::Directory => self.directory(child, Reached::Walked, None),
            FileType::Symlink => self.link(child),
            _ => self.file(child, Reached::Walked, None),
        }
    }

    /// A symbolic link: followed with `follow_links`, counted otherwise.
    fn link(&mut self, child: Child<'_>) {
        let relative = Path::new(OsStr::from_bytes(&child.relative));
        if self.filtered_out(relative, false, child.ignore) {
            return;
        }
        if !self.options.follow_links {
            self.found.links += 1;
            return;
        }
        match rustix::fs::statat(child.dir.as_fd(), &*child.name, AtFlags::empty()) {
            Ok(stat) if FileType::from_raw_mode(stat.st_mode) == FileType::Directory => {
                self.directory(child, Reached::Followed, Some(stat));
            }
            Ok(stat) => self.file(child, Reached::Followed, Some(stat)),
            Err(error) => {
                if !self.options.include.includes(relative) {
                    // A dangling link the filters would have skipped.
                    return;
                }
                let path = self.full_path(&child.relative);
                self.found
                    .problems
                    .push(Error::io(error.into()).reading(path));
            }
        }
    }

    /// A directory: entered if the walk is recursive and the patterns and
    /// ignore files let it be.
    fn directory(&mut self, child: Child<'_>, reached: Reached, stat: Option<Stat>) {
        let relative = Path::new(OsStr::from_bytes(&child.relative));
        if self.filtered_out(relative, true, child.ignore) {
            return;
        }
        if !self.options.recursive {
            self.found.subdirs += 1;
            return;
        }
        let stat = match stat {
            Some(stat) => stat,
            None => {
                match rustix::fs::statat(child.dir.as_fd(), &*child.name, AtFlags::SYMLINK_NOFOLLOW)
                {
                    Ok(stat) => stat,
                    Err(error) => {
                        let path = self.full_path(&child.relative);
                        self.found
                            .problems
                            .push(Error::io(error.into()).reading(path));
                        return;
                    }
                }
            }
        };
        let id = FileId::of_stat(&stat);
        if reached == Reached::Followed
            && let Some(ancestor) = ancestor_with(child.node, id)
        {
            let error = io::Error::other(format!(
                "symbolic link loop: it leads back to {}",
                quote(&self.full_path_or_input(&ancestor.relative()))
            ));
            let path = self.full_path(&child.relative);
            self.found.problems.push(Error::io(error).reading(path));
            return;
        }
        self.stack.push(Pending {
            parent_fd: Rc::clone(child.dir),
            parent: Rc::clone(child.node),
            ignore: child.ignore.cloned(),
            name: child.name,
            reached,
            id,
        });
    }

    /// The path of a directory of the walk for messages: the input
    /// directory as given for the input itself.
    fn full_path_or_input(&self, relative: &[u8]) -> PathBuf {
        if relative.is_empty() {
            self.input.to_path_buf()
        } else {
            self.full_path(relative)
        }
    }

    /// Anything that is not a directory or a link: a regular file is
    /// listed, anything else skipped with a warning.
    fn file(&mut self, child: Child<'_>, reached: Reached, stat: Option<Stat>) {
        let relative = Path::new(OsStr::from_bytes(&child.relative));
        if is_smerge_temp_name(OsStr::from_bytes(&child.name))
            || self.filtered_out(relative, false, child.ignore)
            || !self.options.include.includes(relative)
        {
            return;
        }
        let stat = match stat {
            Some(stat) => stat,
            None => {
                match rustix::fs::statat(child.dir.as_fd(), &*child.name, AtFlags::SYMLINK_NOFOLLOW)
                {
                    Ok(stat) => stat,
                    Err(error) => {
                        let path = self.full_path(&child.relative);
                        self.found
                            .problems
                            .push(Error::io(error.into()).reading(path));
                        return;
                    }
                }
            }
        };
        let file_type = FileType::from_raw_mode(stat.st_mode);
        if file_type != FileType::RegularFile {
            let path = self.full_path(&child.relative);
            self.found.special.push((path, special_kind(file_type)));
            return;
        }
        if self.options.output == Some(FileId::of_stat(&stat)) {
            self.found.outputs.push(self.full_path(&child.relative));
            return;
        }
        let start = self.sink.paths.len();
        self.sink.paths.extend_from_slice(&self.prefix);
        self.sink.paths.extend_from_slice(&child.relative);
        let len = self.sink.paths.len() - start;
        self.sink.records.push(Record::new(
            start,
            len,
            self.prefix.len(),
            EntryKind::File,
            reached,
            Some(&stat),
        ));
        self.found.files += 1;
    }

    /// True if the exclude patterns or the ignore files leave `relative`
    /// out.
    fn filtered_out(
        &self,
        relative: &Path,
        is_dir: bool,
        ignore: Option<&Rc<IgnoreLevel>>,
    ) -> bool {
        self.options.exclude.excludes(relative, is_dir)
            || ignore.is_some_and(|level| level.ignores(relative, is_dir))
    }
}

/// One name found in a directory of the walk.
struct Child<'a> {
    dir: &'a Rc<OwnedFd>,
    node: &'a Rc<Node>,
    ignore: Option<&'a Rc<IgnoreLevel>>,
    name: Box<[u8]>,
    /// The path relative to the input directory.
    relative: Vec<u8>,
}

/// The directory of `node`'s chain (itself included) whose identity is
/// `id`.
fn ancestor_with(node: &Rc<Node>, id: FileId) -> Option<&Node> {
    let mut current = Some(&**node);
    while let Some(dir) = current {
        if dir.id == id {
            return Some(dir);
        }
        current = dir.parent.as_deref();
    }
    None
}

/// A name in a directory, with its type when the file system says it.
type Name = (Box<[u8]>, Option<FileType>);

/// The names in the directory `fd`, without `.` and `..`.
fn read_names(fd: &OwnedFd) -> io::Result<Vec<Name>> {
    let mut names = Vec::new();
    let mut dir = Dir::read_from(fd)?;
    while let Some(entry) = dir.read() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(Errno::INTR) => continue,
            Err(error) => return Err(error.into()),
        };
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        let file_type = match entry.file_type() {
            FileType::Unknown => None,
            known => Some(known),
        };
        names.push((Box::from(name), file_type));
    }
    Ok(names)
}

/// What a file that is neither a regular file nor a directory is.
fn special_kind(file_type: FileType) -> &'static str {
    match file_type {
        FileType::Fifo => "a FIFO",
        FileType::Socket => "a socket",
        FileType::CharacterDevice => "a character device",
        FileType::BlockDevice => "a block device",
        _ => "not a regular file",
    }
}
