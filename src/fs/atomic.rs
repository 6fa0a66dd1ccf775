//! [`AtomicFile`]: an output that is either fully replaced or left untouched.

use std::ffi::OsStr;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use rustix::fs::{Gid, OFlags, Uid};
use rustix::io::Errno;
use tempfile::TempPath;

use super::temp_name::temp_beside;
use crate::{Error, Result};

/// How many symbolic links [`AtomicFile::create`] follows before giving up
/// with `ELOOP`, as Linux does.
const MAX_SYMLINK_HOPS: usize = 40;

/// The file an output is written into until [`AtomicFile::commit`].
///
/// `AtomicFile::create("out.js")` prepares a new file beside `out.js`;
/// [`commit`](AtomicFile::commit) puts it in place of `out.js` with one
/// `rename`, so readers see either the old output or the whole new one, never
/// a part. Dropping an `AtomicFile` without committing it (an error, a panic,
/// a Ctrl-C that unwinds) leaves the target untouched and removes the new file.
///
/// # Where the bytes go
///
/// - **A regular file, or nothing yet.** The new file lives in the target's
///   directory, so the rename stays on one filesystem. On Linux it is an
///   unnamed `O_TMPFILE`: if the process dies, even by `SIGKILL`, the kernel
///   frees it and nothing is left behind. Where `O_TMPFILE` is not supported,
///   it is a hidden file named `.{target}.smerge-{pid}-{random}.tmp` (see
///   [`is_smerge_temp_name`](super::is_smerge_temp_name)); such a file
///   outlives a `SIGKILL`, and [`cleanup_stale`](super::cleanup_stale)
///   removes it on a later run.
/// - **A symbolic link.** The chain of links is followed (relative links
///   relative to the link's directory, at most 40 hops) and the final
///   destination is replaced; the links stay links.
/// - **Anything else that exists** — a character device such as `/dev/null`
///   or a terminal, a FIFO — is written in place, as `cat > target` would:
///   opened for writing without truncation, and [`commit`](AtomicFile::commit)
///   has nothing to do. Opening a FIFO **blocks** until a reader opens it.
///
/// # Permissions and ownership
///
/// A new target gets mode `0o666` minus the umask (or the directory's default
/// ACL), like `cat > target`. A replaced target's mode and owner are copied to
/// the new file before any byte is written. Changing the owner needs
/// privileges: without them the new file belongs to whoever runs smerge (with
/// the target's group if they are a member of it), keeps the target's
/// permission bits, and loses set-user-ID and set-group-ID. ACLs, extended
/// attributes and hard links are not carried over: a rename makes a new file,
/// so another hard link to the old target keeps the old content.
///
/// Like `mv`, replacing a target needs write permission on its directory, not
/// on the target itself; a read-only target is replaced and stays read-only.
///
/// # Durability
///
/// By default nothing is flushed to disk, as `cat` does not flush: after a
/// power loss the target may be the old or the new file, or on some
/// filesystems an empty one. [`AtomicOptions::sync`] adds an `fsync` of the
/// file before the rename and of the directory after it.
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// use smerge::fs::AtomicFile;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let target = dir.path().join("out.js");
/// std::fs::write(&target, "old")?;
///
/// let out = AtomicFile::create(&target)?;
/// out.file().write_all(b"new")?;
/// assert_eq!(std::fs::read_to_string(&target)?, "old");
/// out.commit()?;
/// assert_eq!(std::fs::read_to_string(&target)?, "new");
/// # Ok(())
/// # }
/// ```
///
/// # What is not promised
///
/// Signals whose default action kills the process (`SIGINT`, `SIGTERM`) do
/// not run destructors: the program must catch them and return normally for
/// a named temporary file to be removed. An `AtomicFile` does not lock the
/// target: when two runs commit the same target, the last one wins.
#[derive(Debug)]
pub struct AtomicFile {
    file: File,
    /// The target as the caller named it, for error messages.
    output: PathBuf,
    /// The absolute path that `commit` replaces, symbolic links resolved.
    target: PathBuf,
    temp: Temp,
    sync: bool,
    /// Whether `allocate` reserved space past the end of the file, which
    /// `commit` gives back.
    allocated: AtomicBool,
}

/// Where the bytes of an [`AtomicFile`] live until it is committed.
#[derive(Debug)]
enum Temp {
    /// Straight into the target, which is not a regular file.
    InPlace,
    /// An `O_TMPFILE` inode in the target's directory, with no name yet.
    #[cfg(target_os = "linux")]
    Unnamed { target_existed: bool },
    /// A hidden file beside the target, removed when dropped.
    Named(TempPath),
}

/// Options for creating an [`AtomicFile`], in the manner of
/// [`std::fs::OpenOptions`].
///
/// # Examples
///
/// ```
/// use smerge::fs::AtomicFile;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let out = AtomicFile::options()
///     .sync(true)
///     .create(dir.path().join("out.js"))?;
/// out.commit()?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct AtomicOptions {
    sync: bool,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    named_temp: bool,
}

impl AtomicOptions {
    /// The defaults: no `fsync`, an unnamed temporary file where supported.
    pub fn new() -> AtomicOptions {
        AtomicOptions::default()
    }

    /// Whether [`AtomicFile::commit`] flushes the new file to disk before
    /// renaming it, and the directory after. Off by default.
    pub fn sync(&mut self, sync: bool) -> &mut AtomicOptions {
        self.sync = sync;
        self
    }

    /// Whether to use a named temporary file even where an unnamed
    /// `O_TMPFILE` is supported. Off by default; the named file is what
    /// smerge uses on systems without `O_TMPFILE`.
    pub fn named_temp(&mut self, named_temp: bool) -> &mut AtomicOptions {
        self.named_temp = named_temp;
        self
    }

    /// Prepares to replace `target`; see [`AtomicFile`] for what happens to
    /// each kind of target.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::Io`](crate::ErrorKind::Io) error naming `target` when
    /// its directory does not exist or cannot be written, when the symbolic
    /// links lead nowhere or loop, or when an in-place target cannot be
    /// opened (a directory, for instance).
    pub fn create(&self, target: impl AsRef<Path>) -> Result<AtomicFile> {
        let output = target.as_ref();
        self.create_io(output)
            .map_err(|e| Error::io(e).writing(output))
    }

    fn create_io(&self, output: &Path) -> io::Result<AtomicFile> {
        let (resolved, existing) = resolve_symlinks(output)?;
        let target = std::path::absolute(resolved)?;
        let (file, temp) = match &existing {
            Some(meta) if !meta.is_file() => (open_in_place(&target)?, Temp::InPlace),
            _ => self.open_temp(&target, existing.as_ref())?,
        };
        Ok(AtomicFile {
            file,
            output: output.to_path_buf(),
            target,
            temp,
            sync: self.sync,
            allocated: AtomicBool::new(false),
        })
    }

    /// Opens the new file beside `target`, with `existing`'s mode and owner
    /// when the target exists.
    fn open_temp(&self, target: &Path, existing: Option<&Metadata>) -> io::Result<(File, Temp)> {
        let mode = creation_mode(existing);
        let (dir, name) = split_target(target)?;
        #[cfg(target_os = "linux")]
        if !self.named_temp
            && let Some(file) = open_unnamed(dir, mode)?
        {
            if let Some(meta) = existing {
                copy_owner_and_mode(&file, meta)?;
            }
            let target_existed = existing.is_some();
            return Ok((file, Temp::Unnamed { target_existed }));
        }
        let (file, path) =
            temp_beside(dir, name, |path| create_exclusive(path, mode))?.into_parts();
        if let Some(meta) = existing {
            copy_owner_and_mode(&file, meta)?;
        }
        Ok((file, Temp::Named(path)))
    }
}

impl AtomicFile {
    /// Prepares to replace `target` with default [`AtomicOptions`]; see
    /// [`AtomicOptions::create`].
    pub fn create(target: impl AsRef<Path>) -> Result<AtomicFile> {
        AtomicOptions::new().create(target)
    }

    /// Options for [`AtomicOptions::create`]: durability, and the kind of
    /// temporary file.
    pub fn options() -> AtomicOptions {
        AtomicOptions::new()
    }

    /// The file to write the output into: the new file, or the target itself
    /// when it is written in place. `Write` is implemented for `&File`.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The absolute path [`commit`](AtomicFile::commit) replaces: the target
    /// with its symbolic links resolved.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// True when the target is not a regular file (a device, a FIFO) and is
    /// written directly.
    pub fn is_in_place(&self) -> bool {
        matches!(self.temp, Temp::InPlace)
    }

    /// The named temporary file, when one is used; `None` for an unnamed
    /// `O_TMPFILE` and in place.
    pub fn temp_path(&self) -> Option<&Path> {
        match &self.temp {
            Temp::Named(path) => Some(path),
            _ => None,
        }
    }

    /// Reserves `len` bytes of disk for the new file, so that a full disk is
    /// an error now rather than halfway through the output.
    ///
    /// The space is reserved without changing the file's size (Linux
    /// `fallocate` with `FALLOC_FL_KEEP_SIZE`), so writing fewer bytes than
    /// announced leaves no zeros at the end; [`commit`](AtomicFile::commit)
    /// gives back what was not used. Filesystems without `fallocate`, systems
    /// other than Linux, and in-place targets reserve nothing.
    ///
    /// # Errors
    ///
    /// `ENOSPC` and the like, naming the output.
    pub fn allocate(&self, len: u64) -> Result<()> {
        if self.is_in_place() || len == 0 {
            return Ok(());
        }
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{FallocateFlags, fallocate};
            match fallocate(&self.file, FallocateFlags::KEEP_SIZE, 0, len) {
                Ok(()) => self
                    .allocated
                    .store(true, std::sync::atomic::Ordering::Relaxed),
                Err(Errno::OPNOTSUPP) => {}
                Err(e) => return Err(Error::io(e.into()).writing(&self.output)),
            }
        }
        Ok(())
    }

    /// Puts the new file in place of the target.
    ///
    /// A named temporary file is renamed over the target; an unnamed one is
    /// linked into the directory under a temporary name (or directly as the
    /// target when there was none), then renamed. In place, there is nothing
    /// to do. All writes into [`file`](AtomicFile::file), including through
    /// duplicates of its descriptor, must be finished before.
    ///
    /// # Errors
    ///
    /// An error naming the output when the new file cannot be flushed (with
    /// [`AtomicOptions::sync`]) or put in place; the target is then untouched
    /// and the temporary file removed. With `sync`, a failure to flush the
    /// directory after the rename is an error too, although the target has
    /// been replaced.
    pub fn commit(self) -> Result<()> {
        let AtomicFile {
            file,
            output,
            target,
            temp,
            sync,
            allocated,
        } = self;
        let allocated = allocated.into_inner();
        let renamed = match temp {
            Temp::InPlace => return Ok(()),
            #[cfg(target_os = "linux")]
            Temp::Unnamed { target_existed } => finish_contents(&file, allocated, sync)
                .and_then(|()| link_into_place(&file, &target, target_existed)),
            Temp::Named(path) => finish_contents(&file, allocated, sync)
                .and_then(|()| path.persist(&target).map_err(|e| e.error)),
        };
        renamed
            .and_then(|()| {
                if sync {
                    sync_directory_of(&target)
                } else {
                    Ok(())
                }
            })
            .map_err(|e| Error::io(e).writing(&output))
    }

    /// Gives up the new file and leaves the target untouched, like dropping
    /// the `AtomicFile`, but reports a failure to remove a named temporary
    /// file.
    pub fn discard(self) -> Result<()> {
        match self.temp {
            Temp::Named(mut path) => {
                let removed = fs::remove_file(&path);
                path.disable_cleanup(true);
                removed.map_err(|e| Error::io(e).about_path("removing", &path))
            }
            _ => Ok(()),
        }
    }
}

impl AsFd for AtomicFile {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

impl AsRawFd for AtomicFile {
    fn as_raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

/// Follows `output` through symbolic links to the file it designates, and
/// returns that path with its metadata (`None` when nothing is there yet).
fn resolve_symlinks(output: &Path) -> io::Result<(PathBuf, Option<Metadata>)> {
    let mut path = output.to_path_buf();
    for _ in 0..=MAX_SYMLINK_HOPS {
        let meta = match fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((path, None)),
            Err(e) => return Err(e),
        };
        if !meta.file_type().is_symlink() {
            return Ok((path, Some(meta)));
        }
        let destination = fs::read_link(&path)?;
        path = match path.parent() {
            Some(dir) => dir.join(destination),
            None => destination,
        };
    }
    Err(Errno::LOOP.into())
}

/// Opens a target that is not a regular file for writing, without truncating
/// it and without making a terminal the controlling one.
fn open_in_place(target: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .custom_flags(OFlags::NOCTTY.bits() as i32)
        .open(target)
}

/// The directory and file name of an absolute target.
fn split_target(target: &Path) -> io::Result<(&Path, &OsStr)> {
    match (target.parent(), target.file_name()) {
        (Some(dir), Some(name)) => Ok((dir, name)),
        _ => Err(Errno::ISDIR.into()),
    }
}

/// The mode to create the new file with: what `cat > target` would give a new
/// target (the kernel applies the umask), or, for an existing target, its
/// permissions plus the owner's read and write, narrowed again by the umask
/// until [`copy_owner_and_mode`] sets them exactly.
fn creation_mode(existing: Option<&Metadata>) -> u32 {
    existing.map_or(0o666, |meta| 0o600 | (meta.mode() & 0o777))
}

/// Gives `file` the owner, group and mode of `target`, as far as permitted.
fn copy_owner_and_mode(file: &File, target: &Metadata) -> io::Result<()> {
    use rustix::fs::fchown;
    let (uid, gid) = (Uid::from_raw(target.uid()), Gid::from_raw(target.gid()));
    let owner_copied = match fchown(file, Some(uid), Some(gid)) {
        Ok(()) => true,
        Err(Errno::PERM | Errno::INVAL) => match fchown(file, None, Some(gid)) {
            Ok(()) | Err(Errno::PERM | Errno::INVAL) => false,
            Err(e) => return Err(e.into()),
        },
        Err(e) => return Err(e.into()),
    };
    // Set-user-ID and set-group-ID only make sense with the target's owner.
    let kept_bits = if owner_copied { 0o7777 } else { 0o1777 };
    file.set_permissions(fs::Permissions::from_mode(target.mode() & kept_bits))
}

/// Opens an unnamed `O_TMPFILE` in `dir`, or returns `None` where the kernel
/// or the filesystem does not support it.
#[cfg(target_os = "linux")]
fn open_unnamed(dir: &Path, mode: u32) -> io::Result<Option<File>> {
    let opened = OpenOptions::new()
        .read(true)
        .write(true)
        .mode(mode)
        .custom_flags(OFlags::TMPFILE.bits() as i32)
        .open(dir);
    match opened {
        Ok(file) => Ok(Some(file)),
        Err(e) => match Errno::from_io_error(&e) {
            Some(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => Ok(None),
            _ => Err(e),
        },
    }
}

/// Creates `path`, failing if anything exists there, a symbolic link
/// included (`O_CREAT | O_EXCL` never follows one).
fn create_exclusive(path: &Path, mode: u32) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
}

/// Truncates what [`AtomicFile::allocate`] reserved past the end, and
/// flushes the file when asked to.
fn finish_contents(file: &File, allocated: bool, sync: bool) -> io::Result<()> {
    if allocated {
        file.set_len(file.metadata()?.len())?;
    }
    if sync {
        file.sync_all()?;
    }
    Ok(())
}

/// Gives the unnamed `file` the name `target`, replacing what is there.
///
/// `linkat` cannot replace a file, so the file is linked under a temporary
/// name and renamed over the target; when there was no target, it is linked
/// as the target directly, unless another process created one meanwhile.
#[cfg(target_os = "linux")]
fn link_into_place(file: &File, target: &Path, target_existed: bool) -> io::Result<()> {
    if !target_existed {
        match link_unnamed(file, target) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            linked => return linked,
        }
    }
    let (dir, name) = split_target(target)?;
    let temp = temp_beside(dir, name, |path| link_unnamed(file, path))?.into_temp_path();
    temp.persist(target).map_err(|e| e.error)
}

/// Links the unnamed `file` into the filesystem as `path`.
#[cfg(target_os = "linux")]
fn link_unnamed(file: &File, path: &Path) -> io::Result<()> {
    use rustix::fs::{AtFlags, CWD, linkat};
    match linkat(file, "", CWD, path, AtFlags::EMPTY_PATH) {
        // Without CAP_DAC_READ_SEARCH, Linux may refuse `AT_EMPTY_PATH`.
        Err(Errno::NOENT) => link_through_proc(file, path),
        linked => linked.map_err(io::Error::from),
    }
}

/// Links `file` as `path` through `/proc/self/fd`, which needs no privilege.
#[cfg(target_os = "linux")]
fn link_through_proc(file: &File, path: &Path) -> io::Result<()> {
    use rustix::fs::{AtFlags, CWD, linkat};
    let fd_path = format!("/proc/self/fd/{}", file.as_raw_fd());
    linkat(CWD, fd_path.as_str(), CWD, path, AtFlags::SYMLINK_FOLLOW).map_err(io::Error::from)
}

/// Flushes the directory entry of a renamed `target` to disk.
fn sync_directory_of(target: &Path) -> io::Result<()> {
    let (dir, _) = split_target(target)?;
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::smerge_temp_pid;
    use crate::fs::test_support::names_in;
    use std::io::{Read, Write};

    fn mode_of(path: &Path) -> u32 {
        fs::metadata(path).unwrap().mode() & 0o7777
    }

    fn both_kinds() -> [AtomicOptions; 2] {
        [
            AtomicOptions::new(),
            AtomicOptions::new().named_temp(true).clone(),
        ]
    }

    #[test]
    fn new_target_gets_the_mode_cat_would_give() {
        for options in both_kinds() {
            let dir = tempfile::tempdir().unwrap();
            let reference = dir.path().join("reference");
            File::create(&reference).unwrap();
            let target = dir.path().join("out.js");
            let out = options.create(&target).unwrap();
            out.file().write_all(b"merged").unwrap();
            assert!(!target.exists());
            out.commit().unwrap();
            assert_eq!(fs::read(&target).unwrap(), b"merged");
            assert_eq!(mode_of(&target), mode_of(&reference), "{options:?}");
            assert_eq!(names_in(dir.path()), ["out.js", "reference"]);
        }
    }

    #[test]
    fn existing_target_is_replaced_with_its_mode_and_owner() {
        for options in both_kinds() {
            let dir = tempfile::tempdir().unwrap();
            let target = dir.path().join("out.js");
            fs::write(&target, "old").unwrap();
            fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).unwrap();
            // Only a privileged user can give the target to someone else.
            let other_owner = std::os::unix::fs::chown(&target, Some(4321), Some(4321)).is_ok();
            let out = options.create(&target).unwrap();
            out.file().write_all(b"new").unwrap();
            assert_eq!(fs::read(&target).unwrap(), b"old");
            out.commit().unwrap();
            let meta = fs::metadata(&target).unwrap();
            assert_eq!(fs::read(&target).unwrap(), b"new");
            assert_eq!(meta.mode() & 0o7777, 0o640, "{options:?}");
            if other_owner {
                assert_eq!((meta.uid(), meta.gid()), (4321, 4321));
            }
            assert_eq!(names_in(dir.path()), ["out.js"]);
        }
    }

    #[test]
    fn dropping_without_commit_leaves_the_target_and_no_temp() {
        for options in both_kinds() {
            let dir = tempfile::tempdir().unwrap();
            let target = dir.path().join("out.js");
            fs::write(&target, "old").unwrap();
            let out = options.create(&target).unwrap();
            out.file().write_all(b"half of the new").unwrap();
            drop(out);
            assert_eq!(fs::read(&target).unwrap(), b"old");
            assert_eq!(names_in(dir.path()), ["out.js"]);
        }
    }

    #[test]
    fn discard_removes_the_temp() {
        for options in both_kinds() {
            let dir = tempfile::tempdir().unwrap();
            let target = dir.path().join("out.js");
            let out = options.create(&target).unwrap();
            out.file().write_all(b"new").unwrap();
            out.discard().unwrap();
            assert!(names_in(dir.path()).is_empty());
        }
    }

    #[test]
    fn symlinks_are_followed_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        fs::write(dir.path().join("sub/real.js"), "old").unwrap();
        // out.js -> sub/link.js -> real.js, the second relative to sub/.
        std::os::unix::fs::symlink("real.js", dir.path().join("sub/link.js")).unwrap();
        std::os::unix::fs::symlink("sub/link.js", dir.path().join("out.js")).unwrap();
        let out = AtomicFile::create(dir.path().join("out.js")).unwrap();
        assert_eq!(out.target(), dir.path().join("sub/real.js"));
        out.file().write_all(b"new").unwrap();
        out.commit().unwrap();
        assert_eq!(fs::read(dir.path().join("sub/real.js")).unwrap(), b"new");
        assert!(
            fs::symlink_metadata(dir.path().join("out.js"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(
            fs::symlink_metadata(dir.path().join("sub/link.js"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(names_in(&dir.path().join("sub")), ["link.js", "real.js"]);
    }

    #[test]
    fn a_dangling_symlink_creates_its_destination() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("new.js", dir.path().join("out.js")).unwrap();
        let out = AtomicFile::create(dir.path().join("out.js")).unwrap();
        out.file().write_all(b"new").unwrap();
        out.commit().unwrap();
        assert_eq!(fs::read(dir.path().join("new.js")).unwrap(), b"new");
        assert!(
            fs::symlink_metadata(dir.path().join("out.js"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn a_symlink_loop_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("b", dir.path().join("a")).unwrap();
        std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
        let err = AtomicFile::create(dir.path().join("a")).unwrap_err();
        assert_eq!(
            err.io_error().unwrap().raw_os_error(),
            Some(Errno::LOOP.raw_os_error())
        );
        assert_eq!(err.path(), Some(dir.path().join("a").as_path()));
    }

    #[test]
    fn dev_null_is_written_in_place() {
        let out = AtomicFile::create("/dev/null").unwrap();
        assert!(out.is_in_place());
        assert_eq!(out.temp_path(), None);
        assert_eq!(out.target(), Path::new("/dev/null"));
        out.allocate(1 << 20).unwrap();
        out.file().write_all(b"into nothing").unwrap();
        out.commit().unwrap();
        assert!(!fs::metadata("/dev/null").unwrap().is_file());
    }

    #[test]
    fn a_fifo_is_written_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut read = String::new();
                File::open(fifo).unwrap().read_to_string(&mut read).unwrap();
                read
            })
        };
        let out = AtomicFile::create(&fifo).unwrap();
        assert!(out.is_in_place());
        out.file().write_all(b"through the pipe").unwrap();
        out.commit().unwrap();
        assert_eq!(reader.join().unwrap(), "through the pipe");
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_the_output() {
        for options in both_kinds() {
            let dir = tempfile::tempdir().unwrap();
            let target = dir.path().join("missing/out.js");
            let err = options.create(&target).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Io);
            assert_eq!(err.path(), Some(target.as_path()));
            assert_eq!(
                format!("{err:#}"),
                format!(
                    "writing {}: No such file or directory (os error 2)",
                    target.display()
                )
            );
        }
    }

    #[test]
    fn a_directory_target_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = AtomicFile::create(dir.path()).unwrap_err();
        assert_eq!(
            err.io_error().unwrap().raw_os_error(),
            Some(Errno::ISDIR.raw_os_error())
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_uses_an_unnamed_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = AtomicFile::create(dir.path().join("out.js")).unwrap();
        assert_eq!(out.temp_path(), None);
        assert!(!out.is_in_place());
        assert!(names_in(dir.path()).is_empty());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linking_through_proc_names_an_unnamed_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = open_unnamed(dir.path(), 0o600).unwrap().unwrap();
        file.write_all(b"linked").unwrap();
        link_through_proc(&file, &dir.path().join("out.js")).unwrap();
        assert_eq!(fs::read(dir.path().join("out.js")).unwrap(), b"linked");
    }

    #[test]
    fn named_temp_sits_beside_the_target_with_a_recognisable_name() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.js");
        let first = AtomicFile::options()
            .named_temp(true)
            .create(&target)
            .unwrap();
        let second = AtomicFile::options()
            .named_temp(true)
            .create(&target)
            .unwrap();
        let temp = first.temp_path().unwrap();
        assert_eq!(temp.parent(), Some(dir.path()));
        let name = temp.file_name().unwrap();
        assert_eq!(smerge_temp_pid(name), Some(std::process::id()));
        let name = name.to_str().unwrap();
        let prefix = format!(".out.js.smerge-{}-", std::process::id());
        let random = name
            .strip_prefix(&prefix)
            .unwrap()
            .strip_suffix(".tmp")
            .unwrap();
        assert!(random.len() >= 6);
        assert!(random.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(first.temp_path(), second.temp_path());
        assert_eq!(names_in(dir.path()).len(), 2);
    }

    #[test]
    fn exclusive_creation_refuses_files_and_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let existing = dir.path().join("existing");
        fs::write(&existing, "keep").unwrap();
        let err = create_exclusive(&existing, 0o666).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("elsewhere", &link).unwrap();
        let err = create_exclusive(&link, 0o666).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert!(!dir.path().join("elsewhere").exists());
        assert_eq!(fs::read(&existing).unwrap(), b"keep");
    }

    #[test]
    fn a_long_target_name_still_fits() {
        for options in both_kinds() {
            let dir = tempfile::tempdir().unwrap();
            let target = dir.path().join("x".repeat(250));
            let out = options.create(&target).unwrap();
            out.file().write_all(b"long").unwrap();
            out.commit().unwrap();
            assert_eq!(fs::read(&target).unwrap(), b"long");
        }
    }

    #[test]
    fn commit_replaces_a_target_created_meanwhile() {
        for options in both_kinds() {
            let dir = tempfile::tempdir().unwrap();
            let target = dir.path().join("out.js");
            let out = options.create(&target).unwrap();
            out.file().write_all(b"ours").unwrap();
            fs::write(&target, "theirs").unwrap();
            out.commit().unwrap();
            assert_eq!(fs::read(&target).unwrap(), b"ours");
            assert_eq!(names_in(dir.path()), ["out.js"]);
        }
    }

    #[test]
    fn allocate_reserves_space_and_commit_gives_back_the_rest() {
        for options in both_kinds() {
            let dir = tempfile::tempdir().unwrap();
            let target = dir.path().join("out.js");
            let out = options.create(&target).unwrap();
            out.allocate(1 << 20).unwrap();
            let reserved = out.file().metadata().unwrap();
            assert_eq!(reserved.len(), 0);
            if out.allocated.load(std::sync::atomic::Ordering::Relaxed) {
                assert!(reserved.blocks() * 512 >= 1 << 20, "nothing reserved");
            }
            out.file().write_all(b"short").unwrap();
            out.commit().unwrap();
            let meta = fs::metadata(&target).unwrap();
            assert_eq!(fs::read(&target).unwrap(), b"short");
            assert!(
                meta.blocks() * 512 < 1 << 20,
                "{} blocks kept",
                meta.blocks()
            );
        }
    }

    #[test]
    fn sync_commits_too() {
        for mut options in both_kinds() {
            let dir = tempfile::tempdir().unwrap();
            let target = dir.path().join("out.js");
            let out = options.sync(true).create(&target).unwrap();
            out.file().write_all(b"durable").unwrap();
            out.commit().unwrap();
            assert_eq!(fs::read(&target).unwrap(), b"durable");
        }
    }

    #[test]
    fn another_hard_link_keeps_the_old_content() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.js");
        fs::write(&target, "old").unwrap();
        fs::hard_link(&target, dir.path().join("other.js")).unwrap();
        let out = AtomicFile::create(&target).unwrap();
        out.file().write_all(b"new").unwrap();
        out.commit().unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
        assert_eq!(fs::read(dir.path().join("other.js")).unwrap(), b"old");
    }
}
