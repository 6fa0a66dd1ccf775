//! Finding an input's own `sourceMappingURL` comment: [`MapComment`].

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// The `sourceMappingURL` comment that ends a file: `//# sourceMappingURL=URL`
/// (JavaScript; `//@` is the old spelling) or `/*# sourceMappingURL=URL */`
/// (CSS), alone on the file's last non-blank line.
///
/// # Examples
///
/// ```
/// use smerge::sourcemap::MapComment;
///
/// let text = b"let a = 1;\n//# sourceMappingURL=a.js.map\n";
/// let comment = MapComment::find(text).unwrap();
/// assert_eq!(comment.start, 11); // the file's content ends there
/// assert_eq!(comment.url, "a.js.map");
/// assert!(MapComment::find(b"f(); //# sourceMappingURL=a.js.map").is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapComment {
    /// Where the comment's line starts: the bytes before it are the
    /// content, the comment and any blank lines after it are dropped.
    pub start: u64,
    /// The URL it names: a path relative to the file, or a `data:` URL.
    pub url: String,
}

/// What the end of a file says so far.
enum Verdict {
    /// A comment, starting at this offset of the bytes looked at.
    Found(usize, String),
    /// No comment.
    None,
    /// The bytes looked at are not enough to tell.
    NeedMore,
}

/// The first bytes read from the end of a file; each further read doubles.
const FIRST_READ: u64 = 64 * 1024;

impl MapComment {
    /// The comment at the end of `text`, if it has one.
    pub fn find(text: &[u8]) -> Option<MapComment> {
        match parse_tail(text, true) {
            Verdict::Found(start, url) => Some(MapComment {
                start: start as u64,
                url,
            }),
            Verdict::None | Verdict::NeedMore => None,
        }
    }

    /// The comment at the end of the first `size` bytes of `file`, reading
    /// backwards from there only as far as needed: the last line, however
    /// long an inline map makes it, and no further.
    ///
    /// # Errors
    ///
    /// Reading the file failed.
    pub fn read(file: &File, size: u64) -> io::Result<Option<MapComment>> {
        let mut tail = Vec::new();
        let mut start = size;
        while start > 0 {
            let want = FIRST_READ.max(tail.len() as u64).min(start);
            let mut block = vec![0; want as usize];
            file.read_exact_at(&mut block, start - want)?;
            start -= want;
            block.extend_from_slice(&tail);
            tail = block;
            match parse_tail(&tail, start == 0) {
                Verdict::Found(at, url) => {
                    return Ok(Some(MapComment {
                        start: start + at as u64,
                        url,
                    }));
                }
                Verdict::None => return Ok(None),
                Verdict::NeedMore => {}
            }
        }
        Ok(None)
    }
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t')
}

/// Looks for the comment at the end of `tail`, the last bytes of a file
/// (all of it when `whole`).
fn parse_tail(tail: &[u8], whole: bool) -> Verdict {
    let more = || {
        if whole {
            Verdict::None
        } else {
            Verdict::NeedMore
        }
    };
    let Some(last) = tail.iter().rposition(|&b| !is_blank(b)) else {
        return more();
    };
    let mut body = &tail[..=last];
    let css = body.ends_with(b"*/");
    if css {
        body = &body[..body.len() - 2];
        while body.last().copied().is_some_and(is_space) {
            body = &body[..body.len() - 1];
        }
    }
    // The URL has no blanks: `sourceMappingURL=URL` is the last word. Code
    // has characters no URL a tool writes has, so a long last line of
    // minified code is rejected without reading all of it.
    let word_start = body.iter().rposition(|&b| is_blank(b)).map_or(0, |b| b + 1);
    if body[word_start..].iter().any(|b| b"(){}\"'`<>".contains(b)) {
        return Verdict::None;
    }
    if word_start == 0 && !whole {
        return Verdict::NeedMore;
    }
    let Some(url) = body[word_start..].strip_prefix(b"sourceMappingURL=") else {
        return Verdict::None;
    };
    // No URL has control characters (a form feed is no blank here).
    if url.is_empty() || url.iter().any(|&b| b < b' ' || b == 0x7f) {
        return Verdict::None;
    }
    let Ok(url) = std::str::from_utf8(url) else {
        return Verdict::None;
    };
    let mut before = &body[..word_start];
    while before.last().copied().is_some_and(is_space) {
        before = &before[..before.len() - 1];
    }
    let markers: &[&[u8]] = if css {
        &[b"/*#", b"/*@"]
    } else {
        &[b"//#", b"//@"]
    };
    let Some(marker) = markers.iter().find(|m| before.ends_with(m)) else {
        return Verdict::None;
    };
    before = &before[..before.len() - marker.len()];
    while before.last().copied().is_some_and(is_space) {
        before = &before[..before.len() - 1];
    }
    match before.last() {
        Some(b'\n') => Verdict::Found(before.len(), url.to_string()),
        Some(_) => Verdict::None,
        None if whole => Verdict::Found(0, url.to_string()),
        None => Verdict::NeedMore,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn find(text: &str) -> Option<(u64, String)> {
        MapComment::find(text.as_bytes()).map(|c| (c.start, c.url))
    }

    #[test]
    fn finds_the_javascript_and_css_forms() {
        assert_eq!(
            find("a\n//# sourceMappingURL=a.map"),
            Some((2, "a.map".into()))
        );
        assert_eq!(
            find("a\n//@ sourceMappingURL=a.map\n\n"),
            Some((2, "a.map".into()))
        );
        assert_eq!(
            find("a{}\r\n/*# sourceMappingURL=a.css.map */\r\n"),
            Some((5, "a.css.map".into()))
        );
        assert_eq!(
            find("  //# sourceMappingURL=x.map"),
            Some((0, "x.map".into()))
        );
        assert_eq!(
            find("x\n//# sourceMappingURL=data:application/json;base64,e30="),
            Some((2, "data:application/json;base64,e30=".into()))
        );
    }

    #[test]
    fn ignores_what_is_not_a_trailing_comment_line() {
        for text in [
            "",
            "\n\n",
            "a();",
            "a(); //# sourceMappingURL=a.map",
            "//# sourceMappingURL=a.map\nmore();",
            "//# sourceMappingURL=",
            "/*# sourceMappingURL=a.map",
            "//# sourceMappingURL=a.map */",
            "x\n// sourceMappingURL=a.map",
            "x\n//# sourceMappingURL a.map",
            // Found by fuzzing: control characters in the URL.
            "p{}\n/*# sourceMappingURL=data:e30=\x0c\0\0ase64 */\n",
        ] {
            assert_eq!(find(text), None, "{text:?}");
        }
    }

    #[test]
    fn reads_only_the_end_of_a_file_but_all_of_a_long_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.js");
        let mut file = File::create(&path).unwrap();
        let code = "f();\n".repeat(50_000);
        let url = format!("data:application/json;base64,{}", "A".repeat(300_000));
        writeln!(file, "{code}//# sourceMappingURL={url}").unwrap();
        let file = File::open(&path).unwrap();
        let size = file.metadata().unwrap().len();
        let comment = MapComment::read(&file, size).unwrap().unwrap();
        assert_eq!(comment.start, code.len() as u64);
        assert_eq!(comment.url, url);
        // A long last line that is no comment is found so without reading it all.
        std::fs::write(&path, format!("{code}{}", "f(x);".repeat(60_000))).unwrap();
        let file = File::open(&path).unwrap();
        let size = file.metadata().unwrap().len();
        assert_eq!(MapComment::read(&file, size).unwrap(), None);
    }
}
