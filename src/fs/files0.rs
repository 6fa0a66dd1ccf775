//! Lists of input paths: separated by NUL bytes, as `find -print0` writes
//! them and `--files0-from` reads them, or one per line, as `--files-from`
//! (and `tar -T`, `rsync --files-from`) reads them.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::{Error, ErrorKind, Result};

/// Splits a NUL-separated list of paths, as `find -print0` writes it.
///
/// A NUL after the last name is allowed, and an empty list gives no paths.
/// Any other empty name is an [`ErrorKind::InvalidData`] error saying which
/// entry (counting from 1) and at which byte it starts. Names are kept
/// byte for byte, so they may hold newlines or bytes that are not UTF-8 (on
/// Unix; elsewhere a name must be UTF-8).
///
/// The inverse of joining the paths with `\0`. See [`read_files0`] to read the
/// list from a file or standard input.
///
/// # Examples
///
/// ```
/// use std::path::PathBuf;
/// use smerge::fs::parse_files0;
///
/// let paths = parse_files0(b"a.js\0lib/b\nc.js\0").unwrap();
/// assert_eq!(paths, [PathBuf::from("a.js"), PathBuf::from("lib/b\nc.js")]);
///
/// let err = parse_files0(b"a.js\0\0b.js").unwrap_err();
/// assert_eq!(err.to_string(), "entry 2 (at byte 5) is an empty file name");
/// ```
pub fn parse_files0(list: &[u8]) -> Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    let mut offset = 0;
    for (index, name) in list.split(|&b| b == 0).enumerate() {
        if name.is_empty() {
            if offset == list.len() {
                // What follows the last NUL, or an empty list.
                break;
            }
            return Err(Error::new(
                ErrorKind::InvalidData,
                format!(
                    "entry {} (at byte {offset}) is an empty file name",
                    index + 1
                ),
            ));
        }
        paths.push(path_from_bytes(name, index)?);
        offset += name.len() + 1;
    }
    Ok(paths)
}

/// Reads a NUL-separated list of paths from the file `source`, or from
/// standard input when `source` is `-`, and splits it with [`parse_files0`].
///
/// Errors name `source`: `reading list0: entry 3 (at byte 12) is an empty
/// file name`.
pub fn read_files0(source: &Path) -> Result<Vec<PathBuf>> {
    parse_files0(&read_list(source)?).map_err(|e| e.reading(source))
}

/// Splits a list of paths, one per line, as `find` (without `-print0`)
/// writes it and `tar -T` reads it.
///
/// Each line is one name, byte for byte (spaces included); a line ends at
/// `\n`, and empty lines are skipped. A name holding a newline cannot be
/// written this way: use a NUL-separated list ([`parse_files0`]).
///
/// # Examples
///
/// ```
/// use std::path::PathBuf;
/// use smerge::fs::parse_files_from;
///
/// let paths = parse_files_from(b"a b.js\n\nlib/c.js\n").unwrap();
/// assert_eq!(paths, [PathBuf::from("a b.js"), PathBuf::from("lib/c.js")]);
/// ```
///
/// # Errors
///
/// Elsewhere than on Unix, a name that is not UTF-8.
pub fn parse_files_from(list: &[u8]) -> Result<Vec<PathBuf>> {
    list.split(|&b| b == b'\n')
        .filter(|name| !name.is_empty())
        .enumerate()
        .map(|(index, name)| path_from_bytes(name, index))
        .collect()
}

/// Reads a list of paths, one per line, from the file `source`, or from
/// standard input when `source` is `-`, and splits it with
/// [`parse_files_from`]. Errors name `source`.
pub fn read_files_from(source: &Path) -> Result<Vec<PathBuf>> {
    parse_files_from(&read_list(source)?).map_err(|e| e.reading(source))
}

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

#[cfg(unix)]
fn path_from_bytes(name: &[u8], _index: usize) -> Result<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    Ok(PathBuf::from(std::ffi::OsStr::from_bytes(name)))
}

#[cfg(not(unix))]
fn path_from_bytes(name: &[u8], index: usize) -> Result<PathBuf> {
    match std::str::from_utf8(name) {
        Ok(name) => Ok(PathBuf::from(name)),
        Err(_) => Err(Error::new(
            ErrorKind::InvalidData,
            format!("entry {} is not valid UTF-8", index + 1),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(names: &[&str]) -> Vec<PathBuf> {
        names.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn splits_on_nul_with_or_without_a_trailing_nul() {
        assert_eq!(parse_files0(b"a\0b").unwrap(), paths(&["a", "b"]));
        assert_eq!(parse_files0(b"a\0b\0").unwrap(), paths(&["a", "b"]));
        assert_eq!(parse_files0(b"only").unwrap(), paths(&["only"]));
    }

    #[test]
    fn an_empty_list_has_no_paths() {
        assert!(parse_files0(b"").unwrap().is_empty());
    }

    #[test]
    fn keeps_awkward_names_intact() {
        let list = b"-n\0a b\0line\nbreak\0./x\0";
        assert_eq!(
            parse_files0(list).unwrap(),
            paths(&["-n", "a b", "line\nbreak", "./x"])
        );
    }

    #[cfg(unix)]
    #[test]
    fn keeps_names_that_are_not_utf8() {
        use std::os::unix::ffi::OsStrExt;
        let got = parse_files0(b"caf\xe9\0").unwrap();
        assert_eq!(got[0].as_os_str().as_bytes(), b"caf\xe9");
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
        assert_eq!(
            parse_files_from(b"a b.js\n\n  c.js \nlast").unwrap(),
            paths(&["a b.js", "  c.js ", "last"])
        );
        assert!(parse_files_from(b"").unwrap().is_empty());
        assert!(parse_files_from(b"\n\n").unwrap().is_empty());
    }

    #[test]
    fn reading_names_the_list_file() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("list0");
        std::fs::write(&list, b"a.js\0b.js\0").unwrap();
        assert_eq!(read_files0(&list).unwrap(), paths(&["a.js", "b.js"]));

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
