//! Header templates: any template parsed, and rendered with any path.
//!
//! The input is a template, a NUL, then the path its placeholders are
//! filled with (its last component is `{name}`); the template is read as
//! UTF-8 with replacement characters, as the command line gives it.
//!
//! Checked: parsing fails only with an `InvalidArgument` error of one
//! line; and a name cannot end a comment or a line. Rendered with the
//! path, the header has exactly as many line breaks, control characters
//! and comment ends (`*/`, `-->`, `--!>`) as rendered with the harmless
//! name `x`: whatever the name holds, it is escaped where it is placed,
//! also where it meets the template's own text. (Raw placeholders, which
//! write the bytes on purpose, are left out of that check.)

#![no_main]

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use libfuzzer_sys::fuzz_target;
use smerge::ErrorKind;
use smerge::merge::{HeaderFields, HeaderTemplate};

fuzz_target!(|input: &[u8]| {
    let (template, path) = match input.iter().position(|&b| b == 0) {
        Some(at) => (&input[..at], &input[at + 1..]),
        None => (input, &b"a*/b"[..]),
    };
    let template = String::from_utf8_lossy(template);
    let parsed = match HeaderTemplate::parse(&template) {
        Ok(parsed) => parsed,
        Err(error) => {
            assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error}");
            assert!(!error.to_string().contains('\n'), "{error}");
            return;
        }
    };
    let path = if path.is_empty() { &b"x"[..] } else { path };
    let fields = HeaderFields::new(OsStr::from_bytes(path), 3, 9);
    let rendered = parsed.render_fields(&fields);
    if template.contains(":raw}") {
        return;
    }
    let neutral = parsed.render_fields(&HeaderFields::new(OsStr::new("x"), 3, 9));
    for end in [&b"*/"[..], b"-->", b"--!>"] {
        assert_eq!(
            count(&rendered, end),
            count(&neutral, end),
            "{:?} in {:?}",
            String::from_utf8_lossy(end),
            String::from_utf8_lossy(&rendered)
        );
    }
    for control in (0u8..0x20).chain([0x7f]) {
        assert_eq!(
            count(&rendered, &[control]),
            count(&neutral, &[control]),
            "byte {control:#04x} in {:?}",
            String::from_utf8_lossy(&rendered)
        );
    }
});

/// How many times `needle` occurs in `haystack`, overlaps counted.
fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).filter(|w| *w == needle).count()
}
