//! The shape of the names smerge gives its temporary output files, so that a
//! listing never picks up a half-written output.

use std::ffi::OsStr;

/// True if `name` looks like one of smerge's named temporary files:
/// `.{target}.smerge-{pid}-{random}.tmp`.
///
/// That is: a leading dot, the target's file name (not empty), `.smerge-`,
/// the writing process's id in decimal, `-`, at least six ASCII letters or
/// digits, and `.tmp`. smerge writes an output to such a file beside the
/// target and renames it over the target when done, so a directory being
/// merged may briefly hold one; listings skip them.
///
/// Only the shape is checked: whether the process still runs, or whether
/// smerge really made the file, is not.
///
/// # Examples
///
/// ```
/// use std::ffi::OsStr;
/// use smerge::fs::is_smerge_temp_name;
///
/// assert!(is_smerge_temp_name(OsStr::new(".bundle.js.smerge-4242-x7Qa9Z.tmp")));
/// assert!(!is_smerge_temp_name(OsStr::new("bundle.js.smerge-4242-x7Qa9Z.tmp")));
/// assert!(!is_smerge_temp_name(OsStr::new(".bundle.js.smerge-42a-x7Qa9Z.tmp")));
/// assert!(!is_smerge_temp_name(OsStr::new(".bundle.js.smerge-4242-x7Q.tmp")));
/// ```
pub fn is_smerge_temp_name(name: &OsStr) -> bool {
    let Some(rest) = name.as_encoded_bytes().strip_suffix(b".tmp") else {
        return false;
    };
    let random = trailing_count(rest, u8::is_ascii_alphanumeric);
    if random < 6 {
        return false;
    }
    let Some(rest) = rest[..rest.len() - random].strip_suffix(b"-") else {
        return false;
    };
    let pid = trailing_count(rest, u8::is_ascii_digit);
    if pid == 0 {
        return false;
    }
    let Some(dot_target) = rest[..rest.len() - pid].strip_suffix(b".smerge-") else {
        return false;
    };
    dot_target.len() >= 2 && dot_target[0] == b'.'
}

/// How many bytes at the end of `bytes` satisfy `pred`.
fn trailing_count(bytes: &[u8], pred: fn(&u8) -> bool) -> usize {
    bytes.iter().rev().take_while(|b| pred(b)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str) -> bool {
        is_smerge_temp_name(OsStr::new(name))
    }

    #[test]
    fn accepts_the_temporary_name_shape() {
        assert!(check(".out.js.smerge-1-abcdef.tmp"));
        assert!(check(".a.smerge-123456-ABCdef0123.tmp"));
        assert!(check("..hidden.smerge-7-000000.tmp"));
        assert!(check(".x.smerge-1-aaaaaa.tmp.smerge-2-bbbbbb.tmp"));
    }

    #[test]
    fn rejects_other_names() {
        for name in [
            "out.js",
            ".out.js",
            "out.js.smerge-1-abcdef.tmp",
            "..smerge-1-abcdef.tmp",
            ".a.smerge-1-abcdef.tm",
            ".smerge-1-abcdef.tmp",
            ".out.js.smerge--abcdef.tmp",
            ".out.js.smerge-1-abcde.tmp",
            ".out.js.smerge-1-abc_def.tmp",
            ".out.js.smerge-1abcdef.tmp",
            ".out.js.smerge-x1-abcdef.tmp",
            ".out.js.smerge1-abcdef.tmp",
            ".out.js.smerge-1-abcdef.tmp~",
            "",
        ] {
            assert!(!check(name), "{name:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn works_on_names_that_are_not_utf8() {
        use std::os::unix::ffi::OsStrExt;
        assert!(is_smerge_temp_name(OsStr::from_bytes(
            b".caf\xe9.smerge-9-zzzzzz.tmp"
        )));
    }
}
