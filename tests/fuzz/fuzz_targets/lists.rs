//! Lists of inputs: `--files0-from` (NUL-separated) and `--files-from`
//! (one per line) over arbitrary bytes.
//!
//! The settings byte: bit 0 picks the newline list; the rest of the input
//! is the list.
//!
//! Checked: a NUL list either gives names that are not empty and hold no
//! NUL, which joined with NULs give the list back (a NUL after the last
//! one allowed), or fails with an `InvalidData` error naming the entry and
//! the byte where an empty name starts; a newline list gives the lines
//! that are not empty, byte for byte.

#![no_main]

use std::os::unix::ffi::OsStrExt;

use libfuzzer_sys::fuzz_target;
use smerge::ErrorKind;
use smerge::fs::{parse_files_from, parse_files0};

fuzz_target!(|input: &[u8]| {
    let Some((&settings, list)) = input.split_first() else {
        return;
    };
    if settings & 1 == 1 {
        let paths = parse_files_from(list);
        let names: Vec<&[u8]> = paths.iter().map(|p| p.as_os_str().as_bytes()).collect();
        let expected: Vec<&[u8]> = list.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
        assert_eq!(names, expected);
        return;
    }
    match parse_files0(list) {
        Ok(paths) => {
            let names: Vec<&[u8]> = paths.iter().map(|p| p.as_os_str().as_bytes()).collect();
            assert!(names.iter().all(|n| !n.is_empty() && !n.contains(&0)));
            let joined = names.join(&0u8);
            assert!(
                list == joined.as_slice()
                    || (list.len() == joined.len() + 1 && list.starts_with(&joined) && list.ends_with(&[0])),
                "the names do not give the list back"
            );
        }
        Err(error) => {
            assert_eq!(error.kind(), ErrorKind::InvalidData);
            let text = error.to_string();
            let (entry, byte) = parse_message(&text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(list.get(byte), Some(&0), "{text}");
            assert!(byte == 0 || list[byte - 1] == 0, "{text}");
            let before = list[..byte].iter().filter(|&&b| b == 0).count();
            assert_eq!(entry, before + 1, "{text}");
        }
    }
});

/// The entry number and byte offset of `entry N (at byte B) is an empty
/// file name`.
fn parse_message(text: &str) -> Option<(usize, usize)> {
    let rest = text.strip_prefix("entry ")?;
    let (entry, rest) = rest.split_once(" (at byte ")?;
    let (byte, rest) = rest.split_once(')')?;
    (rest == " is an empty file name").then_some(())?;
    Some((entry.parse().ok()?, byte.parse().ok()?))
}
