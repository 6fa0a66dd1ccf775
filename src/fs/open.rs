//! Opening files relative to directory descriptors, at any path length.
//!
//! Linux refuses a path of `PATH_MAX` (4,096) bytes or more in one system
//! call, yet a directory walk can go deeper. As `find` and `tar` do, such a
//! path is opened piece by piece: each piece of fewer than `PATH_MAX` bytes
//! is opened relative to the descriptor of the one before.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{AtFlags, Mode, OFlags, Stat};
use rustix::io::Errno;

/// The longest path one system call takes, without its terminating NUL.
const MAX_PATH_LEN: usize = 4095;

/// Calls `at` with a directory and the rest of `path` relative to it, that
/// rest being short enough for one system call: `dir` and `path` as they
/// are when `path` is short, else the directory that holds the last piece
/// of `path`, opened piece by piece (following symbolic links, as the
/// kernel does for the directories of a path).
pub(crate) fn at_any_length<R>(
    dir: BorrowedFd<'_>,
    path: &[u8],
    at: impl FnOnce(BorrowedFd<'_>, &[u8]) -> io::Result<R>,
) -> io::Result<R> {
    if path.len() <= MAX_PATH_LEN {
        return at(dir, path);
    }
    let mut held: Option<OwnedFd> = None;
    let mut rest = path;
    while rest.len() > MAX_PATH_LEN {
        let window = &rest[..MAX_PATH_LEN];
        let cut = window
            .iter()
            .rposition(|&b| b == b'/')
            .ok_or(Errno::NAMETOOLONG)?;
        let piece: &[u8] = if cut == 0 { b"/" } else { &rest[..cut] };
        let from = held.as_ref().map_or(dir, |fd| fd.as_fd());
        let opened = rustix::fs::openat(
            from,
            piece,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        held = Some(opened);
        rest = &rest[cut..];
        while let [b'/', tail @ ..] = rest {
            rest = tail;
        }
    }
    let from = held.as_ref().map_or(dir, |fd| fd.as_fd());
    at(from, if rest.is_empty() { b"." } else { rest })
}

/// `openat(dir, path, flags, mode)` for a path of any length.
pub(crate) fn open_at(
    dir: BorrowedFd<'_>,
    path: &[u8],
    flags: OFlags,
    mode: Mode,
) -> io::Result<OwnedFd> {
    at_any_length(dir, path, |dir, path| {
        rustix::fs::openat(dir, path, flags, mode).map_err(io::Error::from)
    })
}

/// `fstatat(dir, path, flags)` for a path of any length.
pub(crate) fn stat_at(dir: BorrowedFd<'_>, path: &[u8], flags: AtFlags) -> io::Result<Stat> {
    at_any_length(dir, path, |dir, path| {
        rustix::fs::statat(dir, path, flags).map_err(io::Error::from)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::test_support::deep_tree;
    use rustix::fs::CWD;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn opens_and_stats_paths_longer_than_path_max() {
        let dir = tempfile::tempdir().unwrap();
        let relative = deep_tree(dir.path(), 30);
        let mut path = dir.path().as_os_str().as_bytes().to_vec();
        path.push(b'/');
        path.extend_from_slice(&relative);
        assert!(path.len() > 6000);
        assert_eq!(
            rustix::fs::open(path.as_slice(), OFlags::RDONLY, Mode::empty()).unwrap_err(),
            Errno::NAMETOOLONG
        );
        let file = open_at(CWD, &path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).unwrap();
        let mut read = [0u8; 8];
        assert_eq!(rustix::io::read(&file, &mut read).unwrap(), 4);
        assert_eq!(&read[..4], b"deep");
        assert_eq!(stat_at(CWD, &path, AtFlags::empty()).unwrap().st_size, 4);
        let root =
            rustix::fs::open(dir.path(), OFlags::PATH | OFlags::DIRECTORY, Mode::empty()).unwrap();
        assert_eq!(
            stat_at(root.as_fd(), &relative, AtFlags::SYMLINK_NOFOLLOW)
                .unwrap()
                .st_size,
            4
        );
    }

    #[test]
    fn a_component_too_long_for_any_call_is_refused() {
        let long = vec![b'x'; 5000];
        assert_eq!(
            open_at(CWD, &long, OFlags::RDONLY, Mode::empty())
                .unwrap_err()
                .raw_os_error(),
            Some(Errno::NAMETOOLONG.raw_os_error())
        );
    }
}
