//! Lists of input paths: separated by NUL bytes, as `find -print0` writes
//! them and `--files0-from` reads them, or one per line, as `--files-from`
//! (and `tar -T`, `rsync --files-from`) reads them. Both make a
//! [`PathList`] in the buffer the list was read into.

use std::io::Read;
use std::path::Path;

use super::path_list::PathList;
use crate::{Error, ErrorKind, Result};

/// Splits a NUL-separated list of paths, as `find -print0` writes it, into
/// a [`PathList`] that reuses the list's buffer.
///
/// A NUL after the last name is allowed, and an empty list gives no paths.
/// Any other empty name is an [`ErrorKind::InvalidData`] error saying which
/// entry (counting from 1) and at which byte it starts. Names are kept
/// byte for byte, so they may hold newlines or bytes that are not UTF-8.
///
/// The inverse of joining the paths with `\0`. See [`read_files0`] to read the
/// list from a file or standard input.
///
/// # Examples
///
/// ```
/// use std::path::Path;
/// use smerge::fs::parse_files0;
///
/// let paths = parse_files0(&b"a.js\0lib/b\nc.js\0"[..]).unwrap();
/// let paths: Vec<&Path> = paths.iter().collect();
/// assert_eq!(paths, [Path::new("a.js"), Path::new("lib/b\nc.js")]);
///
/// let err = parse_files0(&b"a.js\0\0b.js"[..]).unwrap_err();
/// assert_eq!(err.to_string(), "entry 2 (at byte 5) is an empty file name");
/// ```
pub fn parse_files0(list: impl Into<Vec<u8>>) -> Result<PathList> {
    let mut bytes = list.into();
    let mut ends = Vec::new();
    // Names are moved down over the NULs, in place.
    let mut kept = 0;
    let mut start = 0;
    let len = bytes.len();
    while start < len {
        let end = memchr(&bytes[start..]).map_or(len, |at| start + at);
        if end == start {
            return Err(Error::new(
                ErrorKind::InvalidData,
                format!(
                    "entry {} (at byte {start}) is an empty file name",
                    ends.len() + 1
                ),
            ));
        }
        bytes.copy_within(start..end, kept);
        kept += end - start;
        ends.push(kept);
        start = end + 1;
    }
    bytes.truncate(kept);
    bytes.shrink_to_fit();
    ends.shrink_to_fit();
    Ok(PathList::from_parts(bytes, ends))
}

/// The position of the first NUL byte in `bytes`.
fn memchr(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == 0)
}

/// Reads a NUL-separated list of paths from the file `source`, or from
/// standard input when `source` is `-`, and splits it with [`parse_files0`].
///
/// Errors name `source`: `reading list0: entry 3 (at byte 12) is an empty
/// file name`.
pub fn read_files0(source: &Path) -> Result<PathList> {
    parse_files0(read_list(source)?).map_err(|e| e.reading(source))
}

/// Splits a list of paths, one per line, as `find` (without `-print0`)
/// writes it and `tar -T` reads it, into a [`PathList`] that reuses the
/// list's buffer.
///
/// Each line is one name, byte for byte (spaces included); a line ends at
/// `\n`, and empty lines are skipped. A name holding a newline cannot be
/// written this way: use a NUL-separated list ([`parse_files0`]).
///
/// # Examples
///
/// ```
/// use std::path::Path;
/// use smerge::fs::parse_files_from;
///
/// let paths = parse_files_from(&b"a b.js\n\nlib/c.js\n"[..]);
/// let paths: Vec<&Path> = paths.iter().collect();
/// assert_eq!(paths, [Path::new("a b.js"), Path::new("lib/c.js")]);
/// ```
pub fn parse_files_from(list: impl Into<Vec<u8>>) -> PathList {
    let mut bytes = list.into();
    let mut ends = Vec::new();
    let mut kept = 0;
    let mut start = 0;
    let len = bytes.len();
    while start < len {
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(len, |at| start + at);
        if end > start {
            bytes.copy_within(start..end, kept);
            kept += end - start;
            ends.push(kept);
        }
        start = end + 1;
    }
    bytes.truncate(kept);
    bytes.shrink_to_fit();
    ends.shrink_to_fit();
    PathList::from_parts(bytes, ends)
}

/// Reads a list of paths, one per line, from the file `source`, or from
/// standard input when `source` is `-`, and splits it with
/// [`parse_files_from`]. Errors name `source`.
pub fn read_files_from(source: &Path) -> Result<PathList> {
    Ok(parse_files_from(read_list(source)?))
}

/// The bytes of the list in `source`, or standard input for `-`.
fn read_list(source: &Path) -> Result<Vec<u8>> {
    let mut list = Vec::new();
    let read = if source.as_os_str() == "-" {
        std::io::stdin().lock().read_to_end(&mut list)
    } else {
        std::fs::File::open(source).and_then(|mut file| file.read_to_end(&mut list))
    };
    read.map_err(|e| Error::io(e).reading(source))?;
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    fn names(list: &[u8]) -> Vec<String> {
        parse_files0(list)
            .unwrap()
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn splits_on_nul_with_or_without_a_trailing_nul() {
        assert_eq!(names(b"a\0b"), ["a", "b"]);
        assert_eq!(names(b"a\0b\0"), ["a", "b"]);
        assert_eq!(names(b"only"), ["only"]);
    }

    #[test]
    fn an_empty_list_has_no_paths() {
        assert!(parse_files0(&b""[..]).unwrap().is_empty());
    }

    #[test]
    fn keeps_awkward_names_intact() {
        assert_eq!(
            names(b"-n\0a b\0line\nbreak\0./x\0"),
            ["-n", "a b", "line\nbreak", "./x"]
        );
    }

    #[test]
    fn keeps_names_that_are_not_utf8() {
        let got = parse_files0(&b"caf\xe9\0"[..]).unwrap();
        assert_eq!(got.get(0).unwrap().as_os_str().as_bytes(), b"caf\xe9");
    }

    #[test]
    fn an_empty_name_is_an_error_naming_its_position() {
        for (list, entry, byte) in [
            (&b"\0"[..], 1, 0),
            (b"\0\0", 1, 0),
            (b"ab\0\0", 2, 3),
            (b"ab\0\0cd", 2, 3),
            (b"a\0bc\0\0d\0", 3, 5),
        ] {
            let err = parse_files0(list).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidData);
            assert_eq!(
                format!("{err:#}"),
                format!("entry {entry} (at byte {byte}) is an empty file name"),
                "{list:?}"
            );
        }
    }

    #[test]
    fn newline_lists_keep_spaces_and_skip_empty_lines() {
        let got: Vec<String> = parse_files_from(&b"a b.js\n\n  c.js \nlast"[..])
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        assert_eq!(got, ["a b.js", "  c.js ", "last"]);
        assert!(parse_files_from(&b""[..]).is_empty());
        assert!(parse_files_from(&b"\n\n"[..]).is_empty());
    }

    #[test]
    fn reading_names_the_list_file() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("list0");
        std::fs::write(&list, b"a.js\0b.js\0").unwrap();
        let read = read_files0(&list).unwrap();
        assert_eq!(
            read.iter().collect::<Vec<_>>(),
            [Path::new("a.js"), Path::new("b.js")]
        );

        std::fs::write(&list, b"a.js\0\0").unwrap();
        let err = read_files0(&list).unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            format!(
                "reading {}: entry 2 (at byte 5) is an empty file name",
                list.display()
            )
        );

        let missing = dir.path().join("missing");
        let err = read_files0(&missing).unwrap_err();
        assert_eq!(err.path(), Some(missing.as_path()));
        assert_eq!(err.io_error().unwrap().kind(), std::io::ErrorKind::NotFound);
    }
}
