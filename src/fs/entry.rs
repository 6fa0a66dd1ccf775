//! One input of a merge, as a [`Listing`](super::Listing) found it.

use std::ffi::OsStr;
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

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
    /// and its [`etag`](Entry::etag) when the service gives one.
    Object,
}

/// The identity of a file on its file system: device and inode numbers.
///
/// Two paths with the same `FileId` are the same file (through a hard link,
/// a symbolic link, or `..`). Only Unix has them; elsewhere [`FileId::of`]
/// gives `None`, and smerge cannot tell that an input is its output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileId {
    /// The device the file lives on (`st_dev`).
    pub dev: u64,
    /// The file's inode number on that device (`st_ino`).
    pub ino: u64,
}

impl FileId {
    /// The identity of the file `metadata` describes, where the platform
    /// has one.
    #[cfg(unix)]
    pub fn of(metadata: &Metadata) -> Option<FileId> {
        use std::os::unix::fs::MetadataExt;
        Some(FileId {
            dev: metadata.dev(),
            ino: metadata.ino(),
        })
    }

    /// The identity of the file `metadata` describes, where the platform
    /// has one.
    #[cfg(not(unix))]
    pub fn of(metadata: &Metadata) -> Option<FileId> {
        let _ = metadata;
        None
    }
}

/// One input of a merge: where to open it, where it sits in the order, and
/// what it looked like when it was listed.
///
/// Entries come from a [`Listing`](super::Listing). The size and time are
/// those of the file (of the target, for a symbolic link) when it was
/// listed; the file may change afterwards, and a merge compares the size it
/// reads with [`Entry::size`] to notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub(super) path: PathBuf,
    pub(super) relative: PathBuf,
    pub(super) kind: EntryKind,
    pub(super) size: Option<u64>,
    pub(super) modified: Option<SystemTime>,
    pub(super) id: Option<FileId>,
    pub(super) index: usize,
    pub(super) etag: Option<String>,
}

impl Entry {
    /// A regular file found in a directory, or given explicitly.
    pub(super) fn file(path: PathBuf, relative: PathBuf, metadata: &Metadata) -> Entry {
        Entry {
            path,
            relative,
            kind: EntryKind::File,
            size: Some(metadata.len()),
            modified: metadata.modified().ok(),
            id: FileId::of(metadata),
            index: 0,
            etag: None,
        }
    }

    /// An object: `path` is its URL, `relative` its key below the listed
    /// prefix (or the URL, for an object given explicitly).
    #[cfg(feature = "object-store")]
    pub(crate) fn object(
        path: PathBuf,
        relative: PathBuf,
        size: u64,
        modified: Option<SystemTime>,
        etag: Option<String>,
    ) -> Entry {
        Entry {
            path,
            relative,
            kind: EntryKind::Object,
            size: Some(size),
            modified,
            id: None,
            index: 0,
            etag,
        }
    }

    /// A FIFO, socket or device given explicitly.
    pub(super) fn stream(path: PathBuf, metadata: &Metadata) -> Entry {
        Entry {
            relative: path.clone(),
            path,
            kind: EntryKind::Stream,
            size: None,
            modified: metadata.modified().ok(),
            id: FileId::of(metadata),
            index: 0,
            etag: None,
        }
    }

    /// Standard input, given as `-`.
    pub(super) fn stdin() -> Entry {
        Entry {
            path: PathBuf::from("-"),
            relative: PathBuf::from("-"),
            kind: EntryKind::Stdin,
            size: None,
            modified: None,
            id: None,
            index: 0,
            etag: None,
        }
    }

    /// The path to open: the input directory joined with
    /// [`relative_path`](Entry::relative_path), or the input as given for an
    /// explicit file (`-` for standard input); for an object, its URL
    /// (`s3://BUCKET/KEY`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path relative to the input directory it was found in
    /// (`lib/util.js`); for an explicit file, the path as given. This is
    /// the path the order and the patterns apply to.
    pub fn relative_path(&self) -> &Path {
        &self.relative
    }

    /// The file name: the last component of the path (`util.js`).
    pub fn name(&self) -> &OsStr {
        self.relative
            .file_name()
            .unwrap_or(self.relative.as_os_str())
    }

    /// Where the entry is in the whole listing, counting from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Whether this is a regular file, standard input or another stream.
    pub fn kind(&self) -> EntryKind {
        self.kind
    }

    /// The size in bytes when the entry was listed; `None` for standard
    /// input and streams.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// The last modification time when the entry was listed, if known.
    pub fn modified(&self) -> Option<SystemTime> {
        self.modified
    }

    /// The file's device and inode numbers, if known.
    pub fn file_id(&self) -> Option<FileId> {
        self.id
    }

    /// An object's entity tag when it was listed, if the service gave one:
    /// every read of the object asks for this version (`If-Match`).
    pub fn etag(&self) -> Option<&str> {
        self.etag.as_deref()
    }
}
