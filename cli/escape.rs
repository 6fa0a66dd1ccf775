//! The text arguments of `--separator`, `--banner`, `--footer` and
//! `--header`: backslash escapes, and `@FILE` for banner and footer.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use anyhow::{Context, bail};
use bytes::Bytes;

/// Replaces `\n`, `\t`, `\r`, `\0` and `\\` in `text`; any other backslash
/// sequence is an error, so a typo does not end up in the output.
pub(crate) fn unescape(text: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.iter();
    while let Some(&b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(b'r') => out.push(b'\r'),
            Some(b'0') => out.push(0),
            Some(b'\\') => out.push(b'\\'),
            Some(&other) => bail!(
                "unknown escape \\{} (known: \\n \\t \\r \\0 \\\\)",
                char::from(other).escape_default()
            ),
            None => bail!("a lone backslash ends the text (write \\\\ for a backslash)"),
        }
    }
    Ok(out)
}

/// A `--banner` or `--footer` value: the content of FILE for `@FILE`
/// (verbatim), otherwise the text with its escapes replaced.
pub(crate) fn text_or_file(value: &OsStr) -> anyhow::Result<Bytes> {
    let raw = value.as_bytes();
    if let Some(path) = raw.strip_prefix(b"@") {
        let path = Path::new(OsStr::from_bytes(path));
        let content =
            std::fs::read(path).with_context(|| format!("reading {}", smerge::quote(path)))?;
        return Ok(Bytes::from(content));
    }
    Ok(Bytes::from(unescape(raw)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(unescape(br"a\nb\t\0\\").unwrap(), b"a\nb\t\0\\");
        assert!(unescape(br"\q").is_err());
        assert!(unescape(b"x\\").is_err());
    }

    #[test]
    fn at_file_is_read_verbatim() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("banner.txt");
        std::fs::write(&path, "/* \\n */").unwrap();
        let arg = format!("@{}", path.display());
        assert_eq!(&text_or_file(OsStr::new(&arg)).unwrap()[..], b"/* \\n */");
        assert_eq!(&text_or_file(OsStr::new("x\\n")).unwrap()[..], b"x\n");
    }
}
