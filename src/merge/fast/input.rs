//! Reading one input of a plain merge: opening it, and reading a planned
//! range of it while checking that the file still has its planned size.

use std::fs::File;
use std::io::IoSliceMut;
use std::ops::Range;

use rustix::io::Errno;

use crate::fs::Entry;
use crate::{Error, ErrorKind, Result};

/// Opens `entry` for reading, pinned to the file that was listed
/// ([`Entry::open`]).
///
/// No readahead advice is given: on inputs read cold from disk, neither
/// `POSIX_FADV_SEQUENTIAL` nor `POSIX_FADV_WILLNEED` for the range about to
/// be read made a merge faster, and the latter made it slower.
pub(super) fn open(entry: &Entry<'_>) -> Result<File> {
    entry.open()
}

/// Reads the bytes `source` of `entry`'s open `file` into `dest`, which is
/// exactly as long. When `ends_input`, the file must end right there: the
/// last read asks for one byte more (into a byte of its own), so a file
/// that grew is noticed without an extra system call.
///
/// # Errors
///
/// The operating system's error, or [`ErrorKind::InvalidData`] when the
/// file is shorter than planned or, with `ends_input`, longer; each names
/// the file.
pub(super) fn read_range(
    file: &File,
    entry: &Entry<'_>,
    source: Range<u64>,
    dest: &mut [u8],
    ends_input: bool,
) -> Result<()> {
    debug_assert_eq!(source.end - source.start, dest.len() as u64);
    let mut filled = 0;
    let mut beyond = [0u8; 1];
    loop {
        let offset = source.start + filled as u64;
        let rest = &mut dest[filled..];
        let read = if ends_input {
            let mut buffers = [IoSliceMut::new(rest), IoSliceMut::new(&mut beyond)];
            rustix::io::preadv(file, &mut buffers, offset)
        } else if rest.is_empty() {
            return Ok(());
        } else {
            rustix::io::pread(file, rest, offset)
        };
        let rest_len = dest.len() - filled;
        match read {
            Ok(n) if n > rest_len => return Err(changed_size(entry, offset + n as u64)),
            // With `ends_input`, a read that stops short of what was asked
            // ends the file.
            Ok(n) if n == rest_len => return Ok(()),
            Ok(0) => return Err(changed_size(entry, offset)),
            Ok(n) => filled += n,
            Err(Errno::INTR) => {}
            Err(e) => return Err(Error::io(e.into()).reading(entry.path())),
        }
    }
}

/// Checks that `entry`'s open `file` has nothing at `end`, where it should
/// end.
pub(super) fn check_ends_at(file: &File, entry: &Entry<'_>, end: u64) -> Result<()> {
    read_range(file, entry, end..end, &mut [], true)
}

/// The error for an input that does not have the size it was planned with:
/// `read` bytes were found instead.
pub(super) fn changed_size(entry: &Entry<'_>, read: u64) -> Error {
    let expected = entry.size().unwrap_or(0);
    let how = if read > expected { "grew" } else { "shrank" };
    Error::new(
        ErrorKind::InvalidData,
        format!("the file {how} while it was read (it had {expected} bytes, {read} were read)"),
    )
    .reading(entry.path())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::Listing;

    fn listing_of(dir: &tempfile::TempDir, contents: &[u8]) -> (Listing, File) {
        let path = dir.path().join("input");
        std::fs::write(&path, contents).unwrap();
        let listing = Listing::builder().input(&path).build().unwrap();
        let file = open(&listing.get(0).unwrap()).unwrap();
        (listing, file)
    }

    #[test]
    fn reads_a_range_and_checks_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let (listing, file) = listing_of(&dir, b"0123456789");
        let entry = listing.get(0).unwrap();
        let mut dest = [0u8; 4];
        read_range(&file, &entry, 2..6, &mut dest, false).unwrap();
        assert_eq!(&dest, b"2345");
        read_range(&file, &entry, 6..10, &mut dest, true).unwrap();
        assert_eq!(&dest, b"6789");
        check_ends_at(&file, &entry, 10).unwrap();
    }

    #[test]
    fn a_longer_file_grew() {
        let dir = tempfile::tempdir().unwrap();
        let (listing, file) = listing_of(&dir, b"0123456789");
        let entry = listing.get(0).unwrap();
        std::fs::write(entry.path(), b"0123456789+").unwrap();
        let mut dest = [0u8; 10];
        let err = read_range(&file, &entry, 0..10, &mut dest, true).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        assert_eq!(err.path(), Some(entry.path()));
        assert!(format!("{err:#}").contains("grew"), "{err}");
        let err = check_ends_at(&file, &entry, 10).unwrap_err();
        assert!(format!("{err:#}").contains("grew"), "{err}");
    }

    #[test]
    fn a_shorter_file_shrank() {
        let dir = tempfile::tempdir().unwrap();
        let (listing, file) = listing_of(&dir, b"0123456789");
        let entry = listing.get(0).unwrap();
        std::fs::write(entry.path(), b"01234").unwrap();
        for ends_input in [false, true] {
            let mut dest = [0u8; 10];
            let err = read_range(&file, &entry, 0..10, &mut dest, ends_input).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidData);
            assert_eq!(
                format!("{err:#}"),
                format!(
                    "reading {}: the file shrank while it was read (it had 10 bytes, 5 were read)",
                    entry.path().display()
                )
            );
        }
    }

    #[test]
    fn a_missing_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let (listing, file) = listing_of(&dir, b"x");
        let entry = listing.get(0).unwrap();
        drop(file);
        std::fs::remove_file(entry.path()).unwrap();
        let err = open(&entry).unwrap_err();
        assert_eq!(err.path(), Some(entry.path()));
        assert_eq!(err.io_error().unwrap().kind(), std::io::ErrorKind::NotFound);
    }
}
