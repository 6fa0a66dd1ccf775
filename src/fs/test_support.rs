//! Helpers for the tests of the file modules and of the merges that use
//! them.

use std::ffi::OsString;
use std::fs;
use std::path::Path;

use rustix::fs::{CWD, Mode, OFlags};

/// The names of the entries of `dir`, sorted: what a failed or finished
/// write left behind.
pub(crate) fn names_in(dir: &Path) -> Vec<OsString> {
    let mut names: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    names.sort();
    names
}

/// A chain of directories whose path is about `depth * 200` bytes, with
/// a file `leaf` at the bottom; returns the path of the leaf relative
/// to `root`.
pub(crate) fn deep_tree(root: &Path, depth: usize) -> Vec<u8> {
    let name = "d".repeat(200);
    let mut dir = rustix::fs::openat(
        CWD,
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .unwrap();
    let mut relative = Vec::new();
    for _ in 0..depth {
        rustix::fs::mkdirat(&dir, name.as_str(), Mode::from_raw_mode(0o755)).unwrap();
        dir = rustix::fs::openat(
            &dir,
            name.as_str(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .unwrap();
        relative.extend_from_slice(name.as_bytes());
        relative.push(b'/');
    }
    let leaf = rustix::fs::openat(
        &dir,
        "leaf",
        OFlags::WRONLY | OFlags::CREATE | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o644),
    )
    .unwrap();
    rustix::io::write(&leaf, b"deep").unwrap();
    relative.extend_from_slice(b"leaf");
    relative
}
