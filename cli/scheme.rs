//! Arguments that look like URLs: object URLs (`s3://…`) are inputs and
//! outputs, `tcp://HOST:PORT` an endpoint of `smerge pipe`; any other
//! `SCHEME://` is a mistake, not a file name.

use std::ffi::OsStr;
use std::path::Path;

use anyhow::bail;
use smerge::object::ObjectUrl;
use smerge::quote;

/// The scheme of `arg` when it starts like a URL (`udp://…`): letters, then
/// letters, digits, `+`, `-` or `.`, then `://`.
fn scheme(arg: &OsStr) -> Option<&str> {
    let text = arg.to_str()?;
    let (scheme, _) = text.split_once("://")?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(scheme)
}

/// Refuses `arg` when it starts with a scheme other than those `known` and
/// those of object storage; `what` says what the command accepts instead.
pub(crate) fn refuse_unknown(arg: &OsStr, known: &[&str], what: &str) -> anyhow::Result<()> {
    if arg.to_str().is_some_and(ObjectUrl::is_url) {
        return Ok(());
    }
    match scheme(arg) {
        Some(scheme) if !known.contains(&scheme.to_ascii_lowercase().as_str()) => bail!(
            "{}: unknown scheme {scheme}:// ({what}; for a file of that name, write {})",
            quote(arg),
            quote(&Path::new(".").join(arg))
        ),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unknown_schemes_are_refused() {
        let refused = |arg: &str| refuse_unknown(OsStr::new(arg), &["tcp"], "files").is_err();
        assert!(refused("udp://127.0.0.1:9"));
        assert!(refused("HTTP://example.com/x"));
        assert!(!refused("tcp://127.0.0.1:9"));
        assert!(!refused("TCP://127.0.0.1:9"));
        assert!(!refused("s3://bucket/key"));
        for path in ["a/b", "./udp://x", "-", "dir:/x", "1ab://x", "a b://x", ""] {
            assert!(!refused(path), "{path}");
        }
        let message = refuse_unknown(OsStr::new("udp://h:1"), &[], "merge reads files")
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "udp://h:1: unknown scheme udp:// (merge reads files; for a file of that name, write ./udp://h:1)"
        );
        let message = refuse_unknown(OsStr::new("udp://h\n1 x"), &[], "merge reads files")
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "'udp://h'$'\\n''1 x': unknown scheme udp:// (merge reads files; for a file of that name, write './udp://h'$'\\n''1 x')"
        );
    }
}
