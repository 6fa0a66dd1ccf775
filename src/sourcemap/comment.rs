//! Finding an input's own `sourceMappingURL` comment: [`MapComment`].

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::{Push, Result, Transform};

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

/// Drops the `sourceMappingURL` comment that ends a stream — the one
/// [`MapComment::find`] finds in the whole text — and says the URL it
/// named: for inputs whose end cannot be read first (standard input, a
/// pipe, a decompressed input).
///
/// Only the last line that could be such a comment, and blank lines after
/// it, are held back; everything else passes as it comes.
#[derive(Debug)]
pub(crate) struct StripComment {
    /// A complete line that may be the comment, and blank lines after it.
    held: Vec<u8>,
    /// The line under way, while it may be the comment or is blank.
    line: Vec<u8>,
    /// The line under way cannot be the comment: it passes as it comes.
    dead: bool,
    found: Arc<Mutex<Option<String>>>,
}

/// What the start of a line says about it.
#[derive(PartialEq)]
enum LineKind {
    Blank,
    /// Starts like a comment (spaces, then `//#`, `//@`, `/*#` or `/*@`).
    Maybe,
    No,
}

fn line_kind(line: &[u8]) -> LineKind {
    if line.iter().all(|&b| is_blank(b)) {
        return LineKind::Blank;
    }
    let start = line.iter().position(|&b| !is_space(b)).unwrap_or(0);
    let rest = &line[start..];
    let n = rest.len().min(3);
    let markers: [&[u8]; 4] = [b"//#", b"//@", b"/*#", b"/*@"];
    if markers.iter().any(|m| m[..n] == rest[..n]) {
        LineKind::Maybe
    } else {
        LineKind::No
    }
}

impl StripComment {
    /// The transform, and where it puts the URL once the stream ended.
    pub(crate) fn new() -> (StripComment, Arc<Mutex<Option<String>>>) {
        let found = Arc::new(Mutex::new(None));
        let strip = StripComment {
            held: Vec::new(),
            line: Vec::new(),
            dead: false,
            found: Arc::clone(&found),
        };
        (strip, found)
    }

    /// Passes what is held: a line that is not the last non-blank one.
    fn release(&mut self, out: &mut Push<'_, Bytes>) {
        for held in [&mut self.held, &mut self.line] {
            if !held.is_empty() {
                out.push(Bytes::from(std::mem::take(held)));
            }
        }
    }

    /// Takes `chunk`, a run of whole lines and at most one line begun.
    fn pieces(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) {
        let mut start = 0;
        while start < chunk.len() {
            let end = chunk[start..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(chunk.len(), |p| start + p + 1);
            self.piece(chunk.slice(start..end), out);
            start = end;
        }
    }

    /// Takes a piece of one line (its end when it ends with `\n`).
    fn piece(&mut self, piece: Bytes, out: &mut Push<'_, Bytes>) {
        let ends = piece.last() == Some(&b'\n');
        if self.dead {
            out.push(piece);
            self.dead = !ends;
            return;
        }
        let kind = if self.line.is_empty() {
            line_kind(&piece)
        } else {
            self.line.extend_from_slice(&piece);
            line_kind(&self.line)
        };
        let line = match self.line.is_empty() {
            true => piece.to_vec(),
            false => std::mem::take(&mut self.line),
        };
        match kind {
            LineKind::No => {
                self.release(out);
                out.push(Bytes::from(line));
                self.dead = !ends;
            }
            LineKind::Blank if ends && self.held.is_empty() => {
                out.push(Bytes::from(line));
            }
            LineKind::Blank if ends => self.held.extend_from_slice(&line),
            LineKind::Maybe => {
                // A new non-blank line: what was held is not the last one.
                if !self.held.is_empty() {
                    out.push(Bytes::from(std::mem::take(&mut self.held)));
                }
                if ends {
                    self.held = line;
                } else {
                    self.line = line;
                }
            }
            LineKind::Blank => self.line = line,
        }
    }
}

impl Transform for StripComment {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
        // Lines before the chunk's last non-blank one pass at once.
        if let Some(last) = chunk.iter().rposition(|&b| !is_blank(b)) {
            let line_start = chunk[..last]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            if line_start > 0 {
                self.release(out);
                self.dead = false;
                out.push(chunk.slice(..line_start));
                self.pieces(chunk.slice(line_start..), out);
                return Ok(());
            }
        }
        self.pieces(chunk, out);
        Ok(())
    }

    fn flush(&mut self, out: &mut Push<'_, Bytes>) -> Result<()> {
        let mut tail = std::mem::take(&mut self.held);
        tail.append(&mut self.line);
        if let Verdict::Found(start, url) = parse_tail(&tail, true) {
            tail.truncate(start);
            *self.found.lock().expect("comment poisoned") = Some(url);
        }
        if !tail.is_empty() {
            out.push(Bytes::from(tail));
        }
        Ok(())
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

    /// Runs `StripComment` over `text` cut in chunks of `size`.
    fn strip(text: &[u8], size: usize) -> (Vec<u8>, Option<String>) {
        use crate::stream::ReadBuffer;
        let (mut strip, found) = StripComment::new();
        let mut buffer: ReadBuffer<Bytes> = ReadBuffer::new(usize::MAX);
        for chunk in text.chunks(size) {
            strip
                .transform(Bytes::copy_from_slice(chunk), &mut Push::new(&mut buffer))
                .unwrap();
        }
        strip.flush(&mut Push::new(&mut buffer)).unwrap();
        let mut out = Vec::new();
        while let Some(chunk) = buffer.pop_front() {
            out.extend_from_slice(&chunk);
        }
        let url = found.lock().unwrap().clone();
        (out, url)
    }

    #[test]
    fn a_stream_loses_the_comment_a_file_would() {
        for text in [
            "a();\n//# sourceMappingURL=a.js.map\n",
            "a();\n\n  //# sourceMappingURL=a.js.map \r\n\n",
            "a{}\r\n/*# sourceMappingURL=a.css.map */",
            "//# sourceMappingURL=x.map",
            "a();\n//# sourceMappingURL=a.map\nb();\n",
            "a(); //# sourceMappingURL=a.map\n",
            "//# not this\n//# sourceMappingURL=b.map\n",
            "//# sourceMappingURL=a.map\n//# sourceMappingURL=b.map\n",
            "x\n//# sourceMappingURL=a.map */\n",
            "\n\n\n",
            "",
            "é😀\r\n/*@ sourceMappingURL=data:application/json;base64,e30= */\n",
        ] {
            let whole = MapComment::find(text.as_bytes());
            let expected = match &whole {
                Some(comment) => (
                    &text.as_bytes()[..comment.start as usize],
                    Some(comment.url.clone()),
                ),
                None => (text.as_bytes(), None),
            };
            for size in 1..=text.len().max(1) {
                let (out, url) = strip(text.as_bytes(), size);
                assert_eq!(
                    (&out[..], url),
                    (expected.0, expected.1.clone()),
                    "{text:?} in chunks of {size}"
                );
            }
        }
    }

    proptest::proptest! {
        /// The stream and the whole text agree, however the stream is cut.
        #[test]
        fn streamed_and_whole_agree(
            parts in proptest::collection::vec(0usize..12, 0..12),
            size in 1usize..40,
        ) {
            const PIECES: [&str; 12] = [
                "a();", "\n", "\r\n", "  ", "\t", "//# sourceMappingURL=a.map",
                "/*# sourceMappingURL=b.css.map */", "//@ sourceMappingURL=data:,{}",
                "//", "#", " sourceMappingURL=", "é😀",
            ];
            let text: String = parts.iter().map(|&i| PIECES[i]).collect();
            let expected = match MapComment::find(text.as_bytes()) {
                Some(comment) => (text.as_bytes()[..comment.start as usize].to_vec(), Some(comment.url)),
                None => (text.as_bytes().to_vec(), None),
            };
            proptest::prop_assert_eq!(strip(text.as_bytes(), size), expected);
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
