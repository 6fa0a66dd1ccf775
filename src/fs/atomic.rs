//! [`AtomicFile`]: an output that is either fully replaced or left untouched.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use rustix::fs::{AtFlags, CWD, FileType, Gid, Mode, OFlags, Stat, Uid};
use rustix::io::Errno;

use super::open::open_at;
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
///   destination is replaced; the links stay links. As the kernel does with
///   `fs.protected_symlinks` set (and whatever it is set to), a link in a
///   sticky directory that everyone may write to (such as `/tmp`) is
///   followed only when it belongs to the user running smerge or to the
///   directory's owner: a link planted there by another user is refused
///   with `EACCES`, as `cp`, `sort -o` and the shell's `>` are refused.
/// - **Anything else that exists** — a character device such as `/dev/null`
///   or a terminal, a FIFO — is written in place, as `cat > target` would:
///   opened for writing without truncation, and [`commit`](AtomicFile::commit)
///   has nothing to do. Opening a FIFO **blocks** until a reader opens it.
///
/// # The directory is pinned
///
/// The target's directory is opened once, when the `AtomicFile` is made,
/// and the new file is created, linked and renamed relative to that
/// descriptor: a directory swapped for a symbolic link while the output is
/// written does not redirect it, and the owner and mode copied are those
/// of the file that is replaced.
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
/// By default nothing is flushed to disk, as `cat` and `cp` do not flush:
/// after a power loss the target may be the old or the new file, or on some
/// filesystems an empty one. [`AtomicOptions::sync`] adds an `fsync` of the
/// file before it is linked or renamed into place and of the directory
/// after, so that once [`commit`](AtomicFile::commit) returns, the new
/// target survives a power loss. A target written in place is flushed with
/// `fsync` when it is a regular file or a block device.
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
    /// The target's directory, opened once.
    dir: OwnedFd,
    /// The target's name in `dir`.
    name: OsString,
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
    Named { name: OsString, shown: PathBuf },
    /// Committed or discarded: nothing is left to clean up.
    Done,
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
    /// putting it in place, and the directory after. Off by default.
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
    /// Opening a target written in place may wait: a FIFO opens when a
    /// reader opens it. Run it on a thread that may wait, or see
    /// [`create_waiting`](AtomicOptions::create_waiting).
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::Io`](crate::ErrorKind::Io) error naming `target` when
    /// its directory does not exist or cannot be written, when the symbolic
    /// links lead nowhere, loop, or are refused, or when an in-place target
    /// cannot be opened (a directory, for instance).
    pub fn create(&self, target: impl AsRef<Path>) -> Result<AtomicFile> {
        let output = target.as_ref();
        self.create_io(output)
            .map_err(|e| Error::io(e).writing(output))
    }

    /// [`create`](AtomicOptions::create) on a thread of its own, so that a
    /// target that makes the open wait (a FIFO without a reader) holds up
    /// neither the runtime nor its shutdown. Dropping the future gives up
    /// waiting: the thread still finishes the open, then closes what it
    /// opened without writing to it.
    pub async fn create_waiting(&self, target: impl AsRef<Path>) -> Result<AtomicFile> {
        let options = self.clone();
        let target = target.as_ref().to_path_buf();
        super::waiting::on_own_thread(move || options.create(&target)).await
    }

    fn create_io(&self, output: &Path) -> io::Result<AtomicFile> {
        let Resolved {
            dir,
            name,
            existing,
            shown,
        } = resolve(output)?;
        let target = std::path::absolute(shown)?;
        let in_place = existing
            .as_ref()
            .is_some_and(|stat| FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile);
        let (file, temp) = if in_place {
            (open_in_place(dir.as_fd(), &name)?, Temp::InPlace)
        } else {
            self.open_temp(dir.as_fd(), &name, &target, existing.as_ref())?
        };
        Ok(AtomicFile {
            file,
            dir,
            name,
            output: output.to_path_buf(),
            target,
            temp,
            sync: self.sync,
            allocated: AtomicBool::new(false),
        })
    }

    /// Opens the new file in `dir` beside `name`, with `existing`'s mode and
    /// owner when the target exists.
    fn open_temp(
        &self,
        dir: BorrowedFd<'_>,
        name: &OsStr,
        target: &Path,
        existing: Option<&Stat>,
    ) -> io::Result<(File, Temp)> {
        let mode = creation_mode(existing);
        #[cfg(target_os = "linux")]
        if !self.named_temp
            && let Some(file) = open_unnamed(dir, mode)?
        {
            if let Some(stat) = existing {
                copy_owner_and_mode(&file, stat)?;
            }
            let target_existed = existing.is_some();
            return Ok((file, Temp::Unnamed { target_existed }));
        }
        let (temp, file) = temp_beside(name, |temp| create_exclusive(dir, temp, mode))?;
        let shown = target.with_file_name(&temp);
        let temp = Temp::Named { name: temp, shown };
        if let Some(stat) = existing
            && let Err(e) = copy_owner_and_mode(&file, stat)
        {
            discard_named(dir, &temp);
            return Err(e);
        }
        Ok((file, temp))
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
            Temp::Named { shown, .. } => Some(shown),
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
    /// target when there was none), then renamed. Both happen in the
    /// directory opened when the `AtomicFile` was made. In place, there is
    /// nothing to do but flush, with [`AtomicOptions::sync`]. All writes
    /// into [`file`](AtomicFile::file), including through duplicates of its
    /// descriptor, must be finished before.
    ///
    /// # Errors
    ///
    /// An error naming the output when the new file cannot be flushed (with
    /// [`AtomicOptions::sync`]) or put in place; the target is then untouched
    /// and the temporary file removed. With `sync`, a failure to flush the
    /// directory after the rename is an error too, although the target has
    /// been replaced.
    pub fn commit(mut self) -> Result<()> {
        let temp = std::mem::replace(&mut self.temp, Temp::Done);
        let allocated = *self.allocated.get_mut();
        let dir = self.dir.as_fd();
        let renamed = match &temp {
            Temp::InPlace => return self.sync_in_place(),
            Temp::Done => return Ok(()),
            #[cfg(target_os = "linux")]
            Temp::Unnamed { target_existed } => finish_contents(&self.file, allocated, self.sync)
                .and_then(|()| link_into_place(&self.file, dir, &self.name, *target_existed)),
            Temp::Named { name, .. } => finish_contents(&self.file, allocated, self.sync)
                .and_then(|()| rename_at(dir, name, &self.name)),
        };
        if renamed.is_err() {
            discard_named(dir, &temp);
        }
        renamed
            .and_then(|()| {
                if self.sync {
                    rustix::fs::fsync(dir).map_err(io::Error::from)
                } else {
                    Ok(())
                }
            })
            .map_err(|e| Error::io(e).writing(&self.output))
    }

    /// With `sync`, flushes a target written in place when it can be
    /// flushed: a regular file (standard output redirected) or a block
    /// device, not a FIFO or a terminal.
    fn sync_in_place(&self) -> Result<()> {
        if !self.sync {
            return Ok(());
        }
        match self.file.sync_all() {
            Err(e) if e.raw_os_error() == Some(Errno::INVAL.raw_os_error()) => Ok(()),
            synced => synced.map_err(|e| Error::io(e).writing(&self.output)),
        }
    }

    /// Gives up the new file and leaves the target untouched, like dropping
    /// the `AtomicFile`, but reports a failure to remove a named temporary
    /// file.
    pub fn discard(mut self) -> Result<()> {
        match std::mem::replace(&mut self.temp, Temp::Done) {
            Temp::Named { name, shown } => rustix::fs::unlinkat(&self.dir, &name, AtFlags::empty())
                .map_err(|e| Error::io(e.into()).about_path("removing", &shown)),
            _ => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        discard_named(self.dir.as_fd(), &self.temp);
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

/// Removes a named temporary file, if `temp` is one; a failure is not
/// reported (the caller is already failing, or dropping).
fn discard_named(dir: BorrowedFd<'_>, temp: &Temp) {
    if let Temp::Named { name, .. } = temp {
        let _ = rustix::fs::unlinkat(dir, name.as_os_str(), AtFlags::empty());
    }
}

/// Where a target is, its symbolic links followed: its directory, opened,
/// its name there, what is there now, and a path to show.
struct Resolved {
    dir: OwnedFd,
    name: OsString,
    existing: Option<Stat>,
    shown: PathBuf,
}

/// Follows `output` through symbolic links to the file it designates.
///
/// Each link is read relative to the directory it is in, which is opened
/// (the kernel resolves the directories of a path, with its own
/// protections); the links themselves are followed here, under the rule of
/// [`may_follow`].
fn resolve(output: &Path) -> io::Result<Resolved> {
    let mut from: Option<OwnedFd> = None;
    let mut path = output.to_path_buf();
    let mut shown_dir = PathBuf::new();
    for _ in 0..=MAX_SYMLINK_HOPS {
        let (dir_path, name) = split_target(&path)?;
        let base = from.as_ref().map_or(CWD, |fd| fd.as_fd());
        let dir = open_directory(base, dir_path)?;
        shown_dir = if path.is_absolute() {
            dir_path.to_path_buf()
        } else {
            shown_dir.join(dir_path)
        };
        let stat = match rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => Some(stat),
            Err(Errno::NOENT) => None,
            Err(e) => return Err(e.into()),
        };
        let is_link = stat
            .as_ref()
            .is_some_and(|stat| FileType::from_raw_mode(stat.st_mode) == FileType::Symlink);
        if !is_link {
            return Ok(Resolved {
                name: name.to_os_string(),
                shown: shown_dir.join(name),
                dir,
                existing: stat,
            });
        }
        may_follow(&dir, stat.as_ref().expect("a link"))?;
        let destination = rustix::fs::readlinkat(&dir, name, Vec::new())?;
        path = PathBuf::from(OsStr::from_bytes(destination.to_bytes()));
        if path.is_absolute() {
            shown_dir = PathBuf::new();
        }
        from = Some(dir);
    }
    Err(Errno::LOOP.into())
}

/// The kernel's `fs.protected_symlinks` rule, for the link `link` in the
/// directory `dir`: in a sticky directory that everyone may write to, a
/// link is followed only when its owner is the user following it or the
/// directory's owner. Refused with `EACCES`, as the kernel refuses.
fn may_follow(dir: &OwnedFd, link: &Stat) -> io::Result<()> {
    const STICKY_AND_WORLD_WRITABLE: u32 = 0o1002;
    let follower = rustix::process::geteuid().as_raw();
    if link.st_uid == follower {
        return Ok(());
    }
    let dir = rustix::fs::fstat(dir)?;
    if dir.st_mode & STICKY_AND_WORLD_WRITABLE != STICKY_AND_WORLD_WRITABLE
        || dir.st_uid == link.st_uid
    {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::PermissionDenied,
        "refusing to follow a symbolic link that another user owns in a \
         sticky world-writable directory (as fs.protected_symlinks does)",
    ))
}

/// Opens the directory `path` (relative to `base`) to work in: for
/// reading, so that it can be flushed, or only as a place where the user
/// may search but not list.
fn open_directory(base: BorrowedFd<'_>, path: &Path) -> io::Result<OwnedFd> {
    let path = path.as_os_str().as_bytes();
    let path: &[u8] = if path.is_empty() { b"." } else { path };
    let flags = OFlags::DIRECTORY | OFlags::CLOEXEC;
    match open_at(base, path, flags | OFlags::RDONLY, Mode::empty()) {
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            open_at(base, path, flags | OFlags::PATH, Mode::empty())
        }
        opened => opened,
    }
}

/// Opens a target that is not a regular file for writing, without truncating
/// it, without making a terminal the controlling one, and without following
/// a symbolic link put in its place since it was looked at.
fn open_in_place(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<File> {
    let flags = OFlags::WRONLY | OFlags::NOCTTY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    Ok(File::from(rustix::fs::openat(
        dir,
        name,
        flags,
        Mode::empty(),
    )?))
}

/// The directory and the file name of a target; a target with no file
/// name (`/`, `..`) is a directory.
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
fn creation_mode(existing: Option<&Stat>) -> u32 {
    existing.map_or(0o666, |stat| 0o600 | (stat.st_mode & 0o777))
}

/// Gives `file` the owner, group and mode of `target`, as far as permitted.
fn copy_owner_and_mode(file: &File, target: &Stat) -> io::Result<()> {
    use rustix::fs::fchown;
    let (uid, gid) = (Uid::from_raw(target.st_uid), Gid::from_raw(target.st_gid));
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
    file.set_permissions(fs::Permissions::from_mode(target.st_mode & kept_bits))
}

/// Opens an unnamed `O_TMPFILE` in `dir`, or returns `None` where the kernel
/// or the filesystem does not support it.
#[cfg(target_os = "linux")]
fn open_unnamed(dir: BorrowedFd<'_>, mode: u32) -> io::Result<Option<File>> {
    let flags = OFlags::RDWR | OFlags::TMPFILE | OFlags::CLOEXEC;
    match rustix::fs::openat(dir, ".", flags, Mode::from_raw_mode(mode)) {
        Ok(fd) => Ok(Some(File::from(fd))),
        Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Creates `name` in `dir`, failing if anything exists there, a symbolic
/// link included (`O_CREAT | O_EXCL` never follows one).
fn create_exclusive(dir: BorrowedFd<'_>, name: &OsStr, mode: u32) -> io::Result<File> {
    let flags = OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC;
    Ok(File::from(rustix::fs::openat(
        dir,
        name,
        flags,
        Mode::from_raw_mode(mode),
    )?))
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

/// `renameat(dir, from, dir, to)`.
fn rename_at(dir: BorrowedFd<'_>, from: &OsStr, to: &OsStr) -> io::Result<()> {
    rustix::fs::renameat(dir, from, dir, to).map_err(io::Error::from)
}

/// Gives the unnamed `file` the name `name` in `dir`, replacing what is
/// there.
///
/// `linkat` cannot replace a file, so the file is linked under a temporary
/// name and renamed over the target; when there was no target, it is linked
/// as the target directly, unless another process created one meanwhile.
#[cfg(target_os = "linux")]
fn link_into_place(
    file: &File,
    dir: BorrowedFd<'_>,
    name: &OsStr,
    target_existed: bool,
) -> io::Result<()> {
    if !target_existed {
        match link_unnamed(file, dir, name) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            linked => return linked,
        }
    }
    let (temp, ()) = temp_beside(name, |temp| link_unnamed(file, dir, temp))?;
    rename_at(dir, &temp, name).inspect_err(|_| {
        let _ = rustix::fs::unlinkat(dir, &temp, AtFlags::empty());
    })
}

/// Links the unnamed `file` into `dir` as `name`.
#[cfg(target_os = "linux")]
fn link_unnamed(file: &File, dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<()> {
    match rustix::fs::linkat(file, "", dir, name, AtFlags::EMPTY_PATH) {
        // Without CAP_DAC_READ_SEARCH, Linux may refuse `AT_EMPTY_PATH`.
        Err(Errno::NOENT) => link_through_proc(file, dir, name),
        linked => linked.map_err(io::Error::from),
    }
}

/// Links `file` as `name` in `dir` through `/proc/self/fd`, which needs no
/// privilege.
#[cfg(target_os = "linux")]
fn link_through_proc(file: &File, dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<()> {
    let fd_path = format!("/proc/self/fd/{}", file.as_raw_fd());
    rustix::fs::linkat(CWD, fd_path.as_str(), dir, name, AtFlags::SYMLINK_FOLLOW)
        .map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::smerge_temp_pid;
    use crate::fs::test_support::names_in;
    use std::io::{Read, Write};
    use std::os::unix::fs::MetadataExt;

    fn dir_fd(path: &Path) -> OwnedFd {
        open_directory(CWD, path).unwrap()
    }

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
        let fd = dir_fd(dir.path());
        let mut file = open_unnamed(fd.as_fd(), 0o600).unwrap().unwrap();
        file.write_all(b"linked").unwrap();
        link_through_proc(&file, fd.as_fd(), OsStr::new("out.js")).unwrap();
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
        let fd = dir_fd(dir.path());
        let existing = dir.path().join("existing");
        fs::write(&existing, "keep").unwrap();
        let err = create_exclusive(fd.as_fd(), OsStr::new("existing"), 0o666).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("elsewhere", &link).unwrap();
        let err = create_exclusive(fd.as_fd(), OsStr::new("link"), 0o666).unwrap_err();
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

    /// A sticky directory everyone may write to, as `/tmp` is, holding a
    /// link `planted -> victim` owned by `nobody` when this process may
    /// give it away (root); `None` otherwise.
    fn planted_link(dir: &Path) -> Option<(PathBuf, PathBuf)> {
        let shared = dir.join("shared");
        fs::create_dir(&shared).unwrap();
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).unwrap();
        let victim = dir.join("victim");
        fs::write(&victim, "precious").unwrap();
        let link = shared.join("planted");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        std::os::unix::fs::lchown(&link, Some(65534), Some(65534)).ok()?;
        Some((link, victim))
    }

    #[test]
    fn a_link_planted_by_another_user_in_a_sticky_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let Some((link, victim)) = planted_link(dir.path()) else {
            eprintln!("not root: cannot give a link to another user; not checked");
            return;
        };
        let err = AtomicFile::create(&link).unwrap_err();
        assert_eq!(
            err.io_error().unwrap().kind(),
            io::ErrorKind::PermissionDenied
        );
        assert!(
            format!("{err:#}").contains("fs.protected_symlinks"),
            "{err:#}"
        );
        assert_eq!(fs::read(&victim).unwrap(), b"precious");

        // The directory's owner may plant links there; so may the user
        // who follows them.
        let shared = link.parent().unwrap();
        std::os::unix::fs::lchown(shared, Some(65534), None).unwrap();
        let out = AtomicFile::create(&link).unwrap();
        out.file().write_all(b"replaced").unwrap();
        out.commit().unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"replaced");
    }

    #[test]
    fn a_link_of_ones_own_in_a_sticky_directory_is_followed() {
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("shared");
        fs::create_dir(&shared).unwrap();
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).unwrap();
        std::os::unix::fs::symlink("../target", shared.join("mine")).unwrap();
        let out = AtomicFile::create(shared.join("mine")).unwrap();
        out.file().write_all(b"mine").unwrap();
        out.commit().unwrap();
        assert_eq!(fs::read(dir.path().join("target")).unwrap(), b"mine");
    }

    #[test]
    fn the_directory_is_pinned_when_the_file_is_made() {
        for options in both_kinds() {
            let dir = tempfile::tempdir().unwrap();
            let out_dir = dir.path().join("out");
            let elsewhere = dir.path().join("elsewhere");
            fs::create_dir(&out_dir).unwrap();
            fs::create_dir(&elsewhere).unwrap();
            fs::write(elsewhere.join("out.js"), "not to be touched").unwrap();
            let out = options.create(out_dir.join("out.js")).unwrap();
            out.file().write_all(b"new").unwrap();
            // The directory is swapped for a link to another one.
            fs::rename(&out_dir, dir.path().join("moved")).unwrap();
            std::os::unix::fs::symlink(&elsewhere, &out_dir).unwrap();
            out.commit().unwrap();
            assert_eq!(fs::read(dir.path().join("moved/out.js")).unwrap(), b"new");
            assert_eq!(
                fs::read(elsewhere.join("out.js")).unwrap(),
                b"not to be touched",
                "{options:?}"
            );
            assert_eq!(names_in(&elsewhere), ["out.js"]);
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
