//! One input of a merge, as a [`Listing`](super::Listing) found it.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use rustix::fs::{CWD, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

use super::open::open_at;
use crate::{Error, ErrorKind, Result};

/// What kind of input an [`Entry`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A regular file, or a symbolic link to one; its size is known.
    File,
    /// Standard input, given as `-`.
    Stdin,
    /// A FIFO, socket or device given explicitly as an input: it is read
    /// until it ends, and its size is not known in advance.
    Stream,
    /// An object in object storage (`s3://BUCKET/KEY`); its size is known,
    /// and its [`etag`](Entry::etag) when the service gives one. It is read
    /// through its store, never opened as a file.
    Object,
}

/// The identity of a file on its file system: device and inode numbers.
///
/// Two paths with the same `FileId` are the same file (through a hard link,
/// a symbolic link, or `..`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileId {
    /// The device the file lives on (`st_dev`).
    pub dev: u64,
    /// The file's inode number on that device (`st_ino`).
    pub ino: u64,
}

impl FileId {
    /// The identity of the file `metadata` describes.
    pub fn of(metadata: &std::fs::Metadata) -> Option<FileId> {
        use std::os::unix::fs::MetadataExt;
        Some(FileId {
            dev: metadata.dev(),
            ino: metadata.ino(),
        })
    }

    /// The identity of the file `stat` describes.
    pub(crate) fn of_stat(stat: &Stat) -> FileId {
        FileId {
            dev: stat.st_dev,
            ino: stat.st_ino,
        }
    }
}

/// How a listed file is reached, which decides how it is opened again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reached {
    /// Named as an input (on the command line, in a list): symbolic links
    /// are followed, as `cat` follows them.
    Named,
    /// Found in a directory walk, not through a symbolic link: a link put
    /// in its place later is not followed.
    Walked,
    /// Found in a directory walk through a symbolic link that the walk was
    /// told to follow.
    Followed,
}

/// What a listing keeps of one input: its path as a range of the listing's
/// buffer, and what the file looked like when it was listed.
///
/// Kept small (56 bytes) since a listing holds one per input: no `Option`
/// with a tag of its own, the widest fields first.
#[derive(Clone, Debug)]
pub(super) struct Record {
    /// Where the path starts in the listing's buffer.
    pub(super) start: usize,
    pub(super) size: u64,
    /// Seconds since the epoch (`st_mtime`).
    pub(super) mtime_secs: i64,
    /// The device number; for an object, where its ETag starts in the
    /// listing's buffer.
    dev: u64,
    /// The inode number; for an object, the length of its ETag plus one
    /// (0: no ETag).
    ino: u64,
    /// How long the path is.
    pub(super) len: u32,
    /// Where, within the path, the part relative to the input directory
    /// starts (0 for a named input).
    pub(super) relative: u32,
    /// Nanoseconds past `mtime_secs` (`st_mtime_nsec`), [`UNKNOWN_NANOS`]
    /// when the time is not known.
    pub(super) mtime_nanos: u32,
    pub(super) kind: EntryKind,
    pub(super) reached: Reached,
    /// Whether `dev` and `ino` are known.
    has_id: bool,
}

/// What [`Record::mtime_nanos`] holds when the time is not known.
const UNKNOWN_NANOS: u32 = u32::MAX;

impl Record {
    /// A record for what `stat` describes, of kind `kind`.
    pub(super) fn new(
        start: usize,
        len: usize,
        relative: usize,
        kind: EntryKind,
        reached: Reached,
        stat: Option<&Stat>,
    ) -> Record {
        let nanos = stat.and_then(|stat| u32::try_from(stat.st_mtime_nsec).ok());
        let id = stat.map(FileId::of_stat);
        Record {
            start,
            size: match (kind, stat) {
                (EntryKind::File, Some(stat)) => u64::try_from(stat.st_size).unwrap_or(0),
                _ => 0,
            },
            mtime_secs: stat.map_or(0, |stat| stat.st_mtime),
            dev: id.map_or(0, |id| id.dev),
            ino: id.map_or(0, |id| id.ino),
            len: u32::try_from(len).expect("a path shorter than 4 GiB"),
            relative: u32::try_from(relative).expect("a path shorter than 4 GiB"),
            mtime_nanos: nanos
                .filter(|&n| n < 1_000_000_000)
                .unwrap_or(UNKNOWN_NANOS),
            kind,
            reached,
            has_id: id.is_some(),
        }
    }

    /// A record for an object listed by its backend: `etag` is where its
    /// ETag lies in the listing's buffer, if it has one.
    #[cfg_attr(not(feature = "object-store"), allow(dead_code))]
    pub(super) fn object(
        start: usize,
        len: usize,
        relative: usize,
        size: u64,
        modified: Option<SystemTime>,
        etag: Option<std::ops::Range<usize>>,
    ) -> Record {
        let since_epoch =
            modified.and_then(|time| time.duration_since(SystemTime::UNIX_EPOCH).ok());
        Record {
            start,
            size,
            mtime_secs: since_epoch.map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
            dev: etag.as_ref().map_or(0, |etag| etag.start as u64),
            ino: etag.map_or(0, |etag| etag.len() as u64 + 1),
            len: u32::try_from(len).expect("a path shorter than 4 GiB"),
            relative: u32::try_from(relative).expect("a path shorter than 4 GiB"),
            mtime_nanos: since_epoch.map_or(UNKNOWN_NANOS, |d| d.subsec_nanos()),
            kind: EntryKind::Object,
            reached: Reached::Named,
            has_id: false,
        }
    }

    /// An object's ETag, in `paths`.
    pub(super) fn etag<'a>(&self, paths: &'a [u8]) -> Option<&'a str> {
        if self.kind != EntryKind::Object || self.ino == 0 {
            return None;
        }
        let start = self.dev as usize;
        std::str::from_utf8(&paths[start..start + self.ino as usize - 1]).ok()
    }

    pub(super) fn path<'a>(&self, paths: &'a [u8]) -> &'a [u8] {
        &paths[self.start..self.start + self.len as usize]
    }

    pub(super) fn relative_path<'a>(&self, paths: &'a [u8]) -> &'a [u8] {
        &self.path(paths)[self.relative as usize..]
    }

    /// The file's identity, if known.
    pub(super) fn id(&self) -> Option<FileId> {
        self.has_id.then_some(FileId {
            dev: self.dev,
            ino: self.ino,
        })
    }

    /// The modification time as seconds and nanoseconds, for ordering.
    pub(super) fn modified_key(&self) -> Option<(i64, u32)> {
        (self.mtime_nanos != UNKNOWN_NANOS).then_some((self.mtime_secs, self.mtime_nanos))
    }

    pub(super) fn modified(&self) -> Option<SystemTime> {
        let (secs, nanos) = self.modified_key()?;
        let since_epoch = Duration::new(secs.unsigned_abs(), 0);
        let whole = if secs < 0 {
            SystemTime::UNIX_EPOCH.checked_sub(since_epoch)?
        } else {
            SystemTime::UNIX_EPOCH.checked_add(since_epoch)?
        };
        whole.checked_add(Duration::from_nanos(u64::from(nanos)))
    }

    pub(super) fn size(&self) -> Option<u64> {
        matches!(self.kind, EntryKind::File | EntryKind::Object).then_some(self.size)
    }
}

/// One input of a merge: where to open it, where it sits in the order, and
/// what it looked like when it was listed.
///
/// An `Entry` is a view into its [`Listing`](super::Listing), which keeps
/// every path in one buffer: it is `Copy`, and its paths borrow from the
/// listing. The size and time are those of the file (of the target, for a
/// followed symbolic link) when it was listed; the file may change
/// afterwards: [`Entry::open`] checks that it is still the same file, and
/// a merge compares the size it reads with [`Entry::size`].
#[derive(Clone, Copy)]
pub struct Entry<'a> {
    pub(super) record: &'a Record,
    pub(super) paths: &'a [u8],
    pub(super) index: usize,
}

impl<'a> Entry<'a> {
    /// The path to open: the input directory joined with
    /// [`relative_path`](Entry::relative_path), or the input as given for an
    /// explicit file (`-` for standard input); for an object, its URL
    /// (`s3://BUCKET/KEY`).
    pub fn path(&self) -> &'a Path {
        Path::new(OsStr::from_bytes(self.record.path(self.paths)))
    }

    /// The path relative to the input directory it was found in
    /// (`lib/util.js`); for an explicit file, the path as given. This is
    /// the path the order and the patterns apply to.
    pub fn relative_path(&self) -> &'a Path {
        Path::new(OsStr::from_bytes(self.record.relative_path(self.paths)))
    }

    /// The file name: the last component of the path (`util.js`).
    pub fn name(&self) -> &'a OsStr {
        let relative = self.relative_path();
        relative.file_name().unwrap_or(relative.as_os_str())
    }

    /// Where the entry is in the whole listing, counting from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Whether this is a regular file, standard input or another stream.
    pub fn kind(&self) -> EntryKind {
        self.record.kind
    }

    /// The size in bytes when the entry was listed; `None` for standard
    /// input and streams.
    pub fn size(&self) -> Option<u64> {
        self.record.size()
    }

    /// The last modification time when the entry was listed, if known.
    pub fn modified(&self) -> Option<SystemTime> {
        self.record.modified()
    }

    /// The file's device and inode numbers, if known.
    pub fn file_id(&self) -> Option<FileId> {
        self.record.id()
    }

    /// An object's entity tag when it was listed, if the service gave one:
    /// every read of the object asks for this version (`If-Match`).
    pub fn etag(&self) -> Option<&'a str> {
        self.record.etag(self.paths)
    }

    /// Opens the file for reading, making sure it is the file that was
    /// listed.
    ///
    /// The file is opened by its path, whatever its length (a path longer
    /// than `PATH_MAX` is opened through the descriptors of its
    /// directories), then its device and inode numbers are compared with
    /// those the listing saw: a file replaced since — by another file, or
    /// by a symbolic link to one outside the tree — is an error, not read.
    /// A file found in a directory walk is opened without following a
    /// symbolic link in its place (unless the walk followed links), and a
    /// regular file is opened without waiting: a FIFO put in its place
    /// cannot make the merge wait for a writer.
    ///
    /// Streams (FIFOs, devices named as inputs) are opened the way they
    /// are read, which for a FIFO waits until a writer opens it; see
    /// [`open_waiting`](Entry::open_waiting) to wait without holding up
    /// the runtime.
    ///
    /// Not promised: a file deleted and made again may get the inode number
    /// of the one deleted, and then passes for it.
    ///
    /// # Errors
    ///
    /// The operating system's error, naming the file;
    /// [`ErrorKind::InvalidData`] when the file is not the one listed;
    /// [`ErrorKind::InvalidArgument`] for standard input, which has no
    /// path to open.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use smerge::fs::Listing;
    ///
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("a.txt"), "listed")?;
    /// let listing = Listing::builder().input(dir.path()).build()?;
    /// let entry = listing.get(0).unwrap();
    ///
    /// let mut text = String::new();
    /// entry.open()?.read_to_string(&mut text)?;
    /// assert_eq!(text, "listed");
    ///
    /// // Replaced after it was listed: not read.
    /// std::fs::write(dir.path().join("b.txt"), "impostor")?;
    /// std::fs::rename(dir.path().join("b.txt"), entry.path())?;
    /// assert!(entry.open().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(&self) -> Result<File> {
        open_record(self.record.path(self.paths), self.record)
    }

    /// [`open`](Entry::open) on a thread of its own, for streams: a FIFO
    /// without a writer makes the open wait, and dropping this future gives
    /// up waiting at once (the thread closes the FIFO when a writer comes,
    /// reading nothing).
    ///
    /// # Errors
    ///
    /// As for [`open`](Entry::open).
    pub async fn open_waiting(&self) -> Result<File> {
        let path = self.record.path(self.paths).to_vec();
        let record = self.record.clone();
        super::waiting::on_own_thread(move || open_record(&path, &record)).await
    }
}

/// Opens the file `record` lists at `path`; see [`Entry::open`].
fn open_record(path: &[u8], record: &Record) -> Result<File> {
    let shown = Path::new(OsStr::from_bytes(path));
    let replaced = |by: &str| {
        Error::new(
            ErrorKind::InvalidData,
            format!("it was replaced by {by} after it was listed"),
        )
        .reading(shown)
    };
    let mut flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY;
    match record.kind {
        EntryKind::Stdin => {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "standard input has no path to open",
            ));
        }
        EntryKind::File => flags |= OFlags::NONBLOCK,
        EntryKind::Stream => {}
        EntryKind::Object => {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "an object is read through its store, not opened as a file",
            )
            .reading(shown));
        }
    }
    if record.reached == Reached::Walked {
        flags |= OFlags::NOFOLLOW;
    }
    let reading = |e: io::Error| Error::io(e).reading(shown);
    let fd = match open_at(CWD, path, flags, Mode::empty()) {
        Err(e)
            if e.raw_os_error() == Some(Errno::LOOP.raw_os_error())
                && flags.contains(OFlags::NOFOLLOW) =>
        {
            return Err(replaced("a symbolic link"));
        }
        opened => opened.map_err(reading)?,
    };
    let stat = rustix::fs::fstat(&fd).map_err(|e| reading(e.into()))?;
    let is_file = FileType::from_raw_mode(stat.st_mode) == FileType::RegularFile;
    if record.kind == EntryKind::File && !is_file {
        return Err(replaced("something that is not a regular file"));
    }
    if let Some(id) = record.id()
        && id != FileId::of_stat(&stat)
    {
        return Err(replaced("another file"));
    }
    Ok(File::from(fd))
}

impl std::fmt::Debug for Entry<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("path", &self.path())
            .field("relative_path", &self.relative_path())
            .field("index", &self.index)
            .field("kind", &self.kind())
            .field("size", &self.size())
            .field("file_id", &self.file_id())
            .field("etag", &self.etag())
            .finish()
    }
}

impl PartialEq for Entry<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.path() == other.path()
            && self.relative_path() == other.relative_path()
            && self.index == other.index
            && self.kind() == other.kind()
            && self.size() == other.size()
            && self.modified() == other.modified()
            && self.file_id() == other.file_id()
            && self.etag() == other.etag()
    }
}

impl Eq for Entry<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_56_bytes() {
        assert_eq!(std::mem::size_of::<Record>(), 56);
    }
}
