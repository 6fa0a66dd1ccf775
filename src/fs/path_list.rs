//! [`PathList`]: many paths in one buffer.

use std::ffi::OsStr;
use std::fmt;
use std::ops::Range;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// A list of paths kept in one buffer of bytes, with the end of each: two
/// allocations for the whole list rather than one per path, so that a list
/// of millions of inputs (`--files0-from`) costs little more than its text.
///
/// Paths are kept byte for byte (they may hold newlines or bytes that are
/// not UTF-8). [`read_files0`](super::read_files0) makes one from a
/// NUL-separated list, and
/// [`ListingBuilder::input_list`](super::ListingBuilder::input_list) takes
/// one whole.
///
/// # Examples
///
/// ```
/// use std::path::Path;
/// use smerge::fs::PathList;
///
/// let mut list = PathList::new();
/// list.push("a.js");
/// list.push("lib/b c.js");
/// assert_eq!(list.len(), 2);
/// assert_eq!(list.get(1), Some(Path::new("lib/b c.js")));
/// let all: Vec<&Path> = list.iter().collect();
/// assert_eq!(all, [Path::new("a.js"), Path::new("lib/b c.js")]);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PathList {
    bytes: Vec<u8>,
    /// Where each path ends in `bytes`; path `i` starts where `i - 1` ends.
    ends: Vec<usize>,
}

impl PathList {
    /// An empty list.
    pub fn new() -> PathList {
        PathList::default()
    }

    /// Appends `path`.
    pub fn push(&mut self, path: impl AsRef<Path>) {
        self.bytes
            .extend_from_slice(path.as_ref().as_os_str().as_bytes());
        self.ends.push(self.bytes.len());
    }

    /// Appends every path of `other`.
    pub fn append(&mut self, other: &PathList) {
        let offset = self.bytes.len();
        self.bytes.extend_from_slice(&other.bytes);
        self.ends.extend(other.ends.iter().map(|end| end + offset));
    }

    /// The list made of `bytes` cut into paths at `ends`; used by the list
    /// readers, which check that every end is in order and in range.
    pub(super) fn from_parts(bytes: Vec<u8>, ends: Vec<usize>) -> PathList {
        debug_assert!(ends.is_sorted() && ends.last().is_none_or(|&end| end <= bytes.len()));
        PathList { bytes, ends }
    }

    /// How many paths there are.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Path `index`, from 0.
    pub fn get(&self, index: usize) -> Option<&Path> {
        Some(self.path_at(self.range(index)?))
    }

    /// The paths, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Path> + DoubleEndedIterator + '_ {
        (0..self.len()).map(|index| self.path_at(self.range(index).expect("in range")))
    }

    fn range(&self, index: usize) -> Option<Range<usize>> {
        let end = *self.ends.get(index)?;
        let start = index.checked_sub(1).map_or(0, |before| self.ends[before]);
        Some(start..end)
    }

    fn path_at(&self, range: Range<usize>) -> &Path {
        Path::new(OsStr::from_bytes(&self.bytes[range]))
    }
}

impl fmt::Debug for PathList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<P: AsRef<Path>> FromIterator<P> for PathList {
    fn from_iter<I: IntoIterator<Item = P>>(paths: I) -> PathList {
        let mut list = PathList::new();
        list.extend(paths);
        list
    }
}

impl<P: AsRef<Path>> Extend<P> for PathList {
    fn extend<I: IntoIterator<Item = P>>(&mut self, paths: I) {
        for path in paths {
            self.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_paths_byte_for_byte_in_order() {
        let names: [&[u8]; 4] = [b"a", b"", b"line\nbreak", b"caf\xe9"];
        let list: PathList = names
            .iter()
            .map(|n| Path::new(OsStr::from_bytes(n)))
            .collect();
        assert_eq!(list.len(), 4);
        let got: Vec<&[u8]> = list.iter().map(|p| p.as_os_str().as_bytes()).collect();
        assert_eq!(got, names);
        assert_eq!(list.get(4), None);
        assert_eq!(
            list.iter().next_back(),
            Some(Path::new(OsStr::from_bytes(b"caf\xe9")))
        );
    }

    #[test]
    fn append_joins_two_lists() {
        let mut a: PathList = ["x", "y"].into_iter().collect();
        let b: PathList = ["z"].into_iter().collect();
        a.append(&b);
        assert_eq!(a.iter().collect::<Vec<_>>(), ["x", "y", "z"].map(Path::new));
        assert!(PathList::new().is_empty());
    }
}
