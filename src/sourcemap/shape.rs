//! [`TextShape`]: how many lines a text has, and how wide its last one is,
//! counted the way source maps count.

/// The line structure of a text, as a source map sees it: lines end at
/// `\n` (a `\r` before it belongs to the line ending, so CRLF text has the
/// same shape as LF text), and columns count UTF-16 code units.
///
/// A text of `newlines` line breaks covers `newlines + 1` lines; the last
/// one, after the final `\n`, is `last_width` units wide. Shapes are
/// measured chunk by chunk ([`TextShape::push`]), so a file never needs to
/// be in memory at once.
///
/// Bytes that are not valid UTF-8 count roughly as a decoder that replaces
/// them with U+FFFD shows them: one unit per byte that is not a
/// continuation byte.
///
/// # Examples
///
/// ```
/// use smerge::sourcemap::TextShape;
///
/// let shape = TextShape::of("let a = 1;\r\nconst é = '😀';".as_bytes());
/// assert_eq!(shape.newlines, 1);
/// assert_eq!(shape.last_width, 15); // é is one unit, 😀 two
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TextShape {
    /// How many `\n` the text has.
    pub newlines: u64,
    /// The UTF-16 length of the text after the last `\n` (of all of it if
    /// it has none).
    pub last_width: u64,
}

impl TextShape {
    /// The shape of `bytes`.
    pub fn of(bytes: &[u8]) -> TextShape {
        let mut shape = TextShape::default();
        shape.push(bytes);
        shape
    }

    /// Extends the shape by the bytes that follow the ones measured so far.
    pub fn push(&mut self, bytes: &[u8]) {
        let last_line = match bytes.iter().rposition(|&b| b == b'\n') {
            Some(end) => {
                self.newlines += count_newlines(&bytes[..=end]);
                self.last_width = 0;
                &bytes[end + 1..]
            }
            None => bytes,
        };
        self.last_width += utf16_len(last_line);
    }

    /// True for the shape of an empty text.
    pub fn is_empty(&self) -> bool {
        self.newlines == 0 && self.last_width == 0
    }
}

/// How many `\n` bytes `bytes` has; written so that the compiler
/// vectorises it.
fn count_newlines(bytes: &[u8]) -> u64 {
    bytes
        .chunks(4096)
        .map(|chunk| chunk.iter().map(|&b| u32::from(b == b'\n')).sum::<u32>() as u64)
        .sum()
}

/// The UTF-16 length of `bytes`: one unit per character, two for those
/// outside the Basic Multilingual Plane (whose UTF-8 form starts with a
/// byte from `0xF0` to `0xF7`); of invalid bytes, those that cannot
/// continue a character count one each. Counting lead bytes
/// rather than decoding makes the count the same however the bytes are cut
/// into chunks.
pub(crate) fn utf16_len(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .map(|&b| u64::from(b & 0xC0 != 0x80) + u64::from(matches!(b, 0xF0..=0xF7)))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_at_newlines() {
        assert_eq!(TextShape::of(b""), TextShape::default());
        assert!(TextShape::of(b"").is_empty());
        let shape = TextShape::of(b"a\nbc\n");
        assert_eq!((shape.newlines, shape.last_width), (2, 0));
        let shape = TextShape::of(b"a\r\nbcd");
        assert_eq!((shape.newlines, shape.last_width), (1, 3));
        let shape = TextShape::of(b"a\rb");
        assert_eq!((shape.newlines, shape.last_width), (0, 3));
    }

    #[test]
    fn columns_are_utf16_units() {
        assert_eq!(utf16_len("aé€😀".as_bytes()), 5);
        assert_eq!(utf16_len("\u{feff}x".as_bytes()), 2);
        // Invalid bytes: a stray continuation byte is part of no character
        // here, but a lone lead byte counts one.
        assert_eq!(utf16_len(b"\xff"), 1);
    }

    #[test]
    fn any_chunking_measures_the_same() {
        let text = "première ligne\r\n😀 deux\ntrois €€€\n\nfin sans retour 😀é".as_bytes();
        let whole = TextShape::of(text);
        for size in 1..text.len() {
            let mut shape = TextShape::default();
            for chunk in text.chunks(size) {
                shape.push(chunk);
            }
            assert_eq!(shape, whole, "chunks of {size}");
        }
        assert_eq!(whole.newlines, 4);
        assert_eq!(
            whole.last_width,
            "fin sans retour 😀é".encode_utf16().count() as u64
        );
    }
}
