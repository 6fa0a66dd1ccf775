//! Text fixes for byte streams: [`StripBom`], [`Eol`] and [`EnsureNewline`].
//!
//! Each works on raw bytes, whatever the encoding around the bytes it looks
//! for, and handles a BOM or a `\r\n` split across chunks. Chunks without
//! anything to change pass through without a copy.

use bytes::{Bytes, BytesMut};

use crate::Push;
use crate::Result;
use crate::Transform;

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Removes a UTF-8 byte order mark from the start of the stream
/// (`smerge pipe -t strip-bom`).
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::{Readable, ReadableExt, transforms::StripBom};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let split_bom = [Bytes::from_static(b"\xEF\xBB"), Bytes::from_static(b"\xBFvar a;")];
/// let text = Readable::from_iter(split_bom).pipe(StripBom::new()).to_bytes().await?;
/// assert_eq!(text, "var a;");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
pub struct StripBom {
    /// The first bytes, while they may still be the start of a BOM.
    head: BytesMut,
    decided: bool,
}

impl StripBom {
    /// A transform that strips a leading BOM.
    pub fn new() -> Self {
        StripBom::default()
    }
}

impl Transform for StripBom {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
        if self.decided {
            out.push(chunk);
            return Ok(());
        }
        if self.head.is_empty() && chunk.len() >= BOM.len() {
            self.decided = true;
            out.push(if chunk.starts_with(BOM) {
                chunk.slice(BOM.len()..)
            } else {
                chunk
            });
            return Ok(());
        }
        self.head.extend_from_slice(&chunk);
        if self.head.len() >= BOM.len() || !BOM.starts_with(&self.head) {
            self.decided = true;
            let mut head = std::mem::take(&mut self.head).freeze();
            if head.starts_with(BOM) {
                head = head.slice(BOM.len()..);
            }
            out.push(head);
        }
        Ok(())
    }

    fn flush(&mut self, out: &mut Push<'_, Bytes>) -> Result<()> {
        // Fewer bytes than a BOM in all: they are not one.
        if !self.head.is_empty() {
            out.push(std::mem::take(&mut self.head).freeze());
        }
        Ok(())
    }
}

/// The line ending [`Eol`] converts to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineEnding {
    /// `\n`: every `\r\n` becomes `\n` (a lone `\r` is kept).
    Lf,
    /// `\r\n`: every `\n` not already after a `\r` becomes `\r\n`.
    CrLf,
}

impl LineEnding {
    /// The line ending's bytes: `\n` or `\r\n`.
    pub fn as_bytes(self) -> &'static [u8] {
        match self {
            LineEnding::Lf => b"\n",
            LineEnding::CrLf => b"\r\n",
        }
    }

    /// `text` with its line endings converted, as [`Eol`] converts a stream
    /// that holds only `text`.
    ///
    /// # Examples
    ///
    /// ```
    /// use smerge::transforms::LineEnding;
    ///
    /// assert_eq!(LineEnding::CrLf.convert(b"/* a */\n\r\n"), b"/* a */\r\n\r\n");
    /// assert_eq!(LineEnding::Lf.convert(b"a\r\nb\r"), b"a\nb\r");
    /// ```
    pub fn convert(self, text: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() + text.len() / 16 + 1);
        for (at, &byte) in text.iter().enumerate() {
            match self {
                LineEnding::Lf if byte == b'\r' && text.get(at + 1) == Some(&b'\n') => continue,
                LineEnding::CrLf if byte == b'\n' && (at == 0 || text[at - 1] != b'\r') => {
                    out.push(b'\r');
                }
                _ => {}
            }
            out.push(byte);
        }
        out
    }
}

/// Converts line endings (`smerge pipe -t eol:lf` / `-t eol:crlf`).
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::transforms::{Eol, LineEnding};
/// use smerge::{Readable, ReadableExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let windows = [Bytes::from("a\r"), Bytes::from("\nb\r\n")];
/// let unix = Readable::from_iter(windows).pipe(Eol::new(LineEnding::Lf)).to_bytes().await?;
/// assert_eq!(unix, "a\nb\n");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Eol {
    target: LineEnding,
    /// The last byte so far is a `\r`; converting to `Lf`, it was held
    /// back until the next byte tells whether it ends a line.
    after_cr: bool,
}

impl Eol {
    /// A transform converting every line ending to `target`.
    pub fn new(target: LineEnding) -> Self {
        Eol {
            target,
            after_cr: false,
        }
    }

    /// Converts a chunk that is not empty.
    fn convert_to_lf(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) {
        let held = std::mem::take(&mut self.after_cr);
        let ends_with_cr = chunk.last() == Some(&b'\r');
        let body = if ends_with_cr {
            chunk.slice(..chunk.len() - 1)
        } else {
            chunk
        };
        if !held && !body.contains(&b'\r') {
            out.push(body);
        } else {
            let mut fixed = BytesMut::with_capacity(body.len() + 1);
            let mut rest: &[u8] = &body;
            if held && rest.first() != Some(&b'\n') {
                fixed.extend_from_slice(b"\r");
            }
            while let Some(at) = rest.iter().position(|&b| b == b'\r') {
                fixed.extend_from_slice(&rest[..at]);
                if rest.get(at + 1) != Some(&b'\n') {
                    fixed.extend_from_slice(b"\r");
                }
                rest = &rest[at + 1..];
            }
            fixed.extend_from_slice(rest);
            out.push(fixed.freeze());
        }
        self.after_cr = ends_with_cr;
    }

    /// Converts a chunk that is not empty.
    fn convert_to_crlf(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) {
        let ends_with_cr = chunk.last() == Some(&b'\r');
        let after_cr = std::mem::replace(&mut self.after_cr, ends_with_cr);
        let is_lone_lf = |at: usize| {
            let before = if at == 0 {
                after_cr
            } else {
                chunk[at - 1] == b'\r'
            };
            chunk[at] == b'\n' && !before
        };
        let Some(first) = (0..chunk.len()).find(|&at| is_lone_lf(at)) else {
            out.push(chunk);
            return;
        };
        let mut fixed = BytesMut::with_capacity(chunk.len() + chunk.len() / 16 + 2);
        let mut start = 0;
        for at in (first..chunk.len()).filter(|&at| is_lone_lf(at)) {
            fixed.extend_from_slice(&chunk[start..at]);
            fixed.extend_from_slice(b"\r");
            start = at;
        }
        fixed.extend_from_slice(&chunk[start..]);
        out.push(fixed.freeze());
    }
}

impl Transform for Eol {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
        if chunk.is_empty() {
            // Nothing to convert, and a held-back `\r` stays held.
            return Ok(());
        }
        match self.target {
            LineEnding::Lf => self.convert_to_lf(chunk, out),
            LineEnding::CrLf => self.convert_to_crlf(chunk, out),
        }
        Ok(())
    }

    fn flush(&mut self, out: &mut Push<'_, Bytes>) -> Result<()> {
        if self.target == LineEnding::Lf && self.after_cr {
            out.push(Bytes::from_static(b"\r"));
        }
        Ok(())
    }
}

/// Adds a `\n` at the end of a stream that does not end with one
/// (`smerge pipe -t ensure-newline`); an empty stream stays empty.
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::{Readable, ReadableExt, transforms::EnsureNewline};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let text = Readable::from_iter([Bytes::from("last line")]).pipe(EnsureNewline::new());
/// assert_eq!(text.to_bytes().await?, "last line\n");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
pub struct EnsureNewline {
    last: Option<u8>,
}

impl EnsureNewline {
    /// A transform that ends the stream with a newline.
    pub fn new() -> Self {
        EnsureNewline::default()
    }
}

impl Transform for EnsureNewline {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
        if let Some(&last) = chunk.last() {
            self.last = Some(last);
        }
        out.push(chunk);
        Ok(())
    }

    fn flush(&mut self, out: &mut Push<'_, Bytes>) -> Result<()> {
        if self.last.is_some_and(|b| b != b'\n') {
            out.push(Bytes::from_static(b"\n"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Push;
    use crate::stream::ReadBuffer;
    use crate::transforms::testing::{drive, rechunk};

    /// Runs `transform` over `input` cut into pieces of `piece` bytes.
    fn run(
        mut transform: impl Transform<Input = Bytes, Output = Bytes>,
        input: &[u8],
        piece: usize,
    ) -> Vec<u8> {
        drive(&mut transform, rechunk(input, &[piece]), usize::MAX).unwrap()
    }

    #[test]
    fn strip_bom_at_every_split() {
        let input = b"\xEF\xBB\xBFabc\xEF\xBB\xBF";
        for piece in 1..=input.len() {
            assert_eq!(
                run(StripBom::new(), input, piece),
                b"abc\xEF\xBB\xBF",
                "piece {piece}"
            );
        }
    }

    #[test]
    fn strip_bom_keeps_short_and_near_miss_streams() {
        assert_eq!(run(StripBom::new(), b"\xEF\xBB", 1), b"\xEF\xBB");
        assert_eq!(run(StripBom::new(), b"\xEF\xBBx", 1), b"\xEF\xBBx");
        assert_eq!(run(StripBom::new(), b"", 1), b"");
    }

    #[test]
    fn lf_at_every_split() {
        let input = b"a\r\nb\rc\r\n\r\n\rd\r";
        for piece in 1..=input.len() {
            assert_eq!(
                run(Eol::new(LineEnding::Lf), input, piece),
                b"a\nb\rc\n\n\rd\r",
                "piece {piece}"
            );
        }
    }

    #[test]
    fn an_empty_chunk_between_cr_and_lf_changes_nothing() {
        for (target, expected) in [(LineEnding::Lf, "a\nb"), (LineEnding::CrLf, "a\r\nb")] {
            let chunks = ["a\r", "", "\nb"].map(Bytes::from);
            let output = drive(&mut Eol::new(target), chunks, usize::MAX).unwrap();
            assert_eq!(output, expected.as_bytes(), "{target:?}");
        }
    }

    #[test]
    fn crlf_at_every_split() {
        let input = b"a\nb\r\nc\n\nd\r";
        for piece in 1..=input.len() {
            assert_eq!(
                run(Eol::new(LineEnding::CrLf), input, piece),
                b"a\r\nb\r\nc\r\n\r\nd\r",
                "piece {piece}"
            );
        }
    }

    /// Checks that `transform` pushes `chunk` on as it is, without a copy.
    fn assert_passed_on(
        mut transform: impl Transform<Input = Bytes, Output = Bytes>,
        chunk: &'static [u8],
    ) {
        let chunk = Bytes::from_static(chunk);
        let mut buffer = ReadBuffer::new(usize::MAX);
        transform
            .transform(chunk.clone(), &mut Push::new(&mut buffer))
            .unwrap();
        let out = buffer.pop_front().unwrap();
        assert_eq!(out, chunk);
        assert_eq!(out.as_ptr(), chunk.as_ptr(), "copied: {chunk:?}");
    }

    #[test]
    fn chunks_with_nothing_to_change_pass_without_a_copy() {
        assert_passed_on(Eol::new(LineEnding::CrLf), b"a\r\nb\r\n");
        assert_passed_on(Eol::new(LineEnding::Lf), b"c\nd");
        assert_passed_on(StripBom::new(), b"no bom");
        assert_passed_on(EnsureNewline::new(), b"no newline");
    }

    #[test]
    fn ensure_newline_only_where_missing() {
        assert_eq!(run(EnsureNewline::new(), b"x", 1), b"x\n");
        assert_eq!(run(EnsureNewline::new(), b"x\n", 1), b"x\n");
        assert_eq!(run(EnsureNewline::new(), b"", 1), b"");
    }
}
