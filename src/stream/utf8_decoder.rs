//! [`Utf8Decoder`]: UTF-8 bytes decoded into [`String`] chunks that never
//! split a character (Node's `StringDecoder`, behind
//! `readable.setEncoding('utf8')`).
//!
//! It is a [`Transform`] too, for a pipeline stage;
//! [`Readable::into_text`](crate::Readable::into_text) decodes a byte
//! readable with it, what it already buffered as well as what comes later.
//!
//! The decoding is Node's: a character split across chunks is held back
//! until its last byte arrives; a character still incomplete at the end
//! becomes one U+FFFD (`�`); each invalid sequence becomes one U+FFFD, as
//! [`String::from_utf8_lossy`] replaces the "maximal subparts" the Unicode
//! standard defines.

use bytes::Bytes;

use super::error::Result;
use super::push::Push;
use super::transform::Transform;

/// Decodes UTF-8 that arrives in chunks of any size into text, holding back
/// a character split across chunks until it is complete (Node's
/// `StringDecoder` for `'utf8'`).
///
/// [`decode`](Utf8Decoder::decode) takes the next bytes and returns the
/// text they complete; [`finish`](Utf8Decoder::finish) returns what is
/// left at the end. Invalid bytes never fail: each invalid sequence, and a
/// character cut short by the end, becomes one U+FFFD (`�`).
///
/// As a [`Transform`] it turns a stream of [`Bytes`] into a stream of
/// [`String`]s, pushing no empty strings. The inverse needs no decoder:
/// `Bytes::from(string)`.
///
/// # Examples
///
/// ```
/// use smerge::Utf8Decoder;
///
/// let mut decoder = Utf8Decoder::new();
/// assert_eq!(decoder.decode(b"caf\xc3"), "caf"); // `é` is cut after its first byte
/// assert_eq!(decoder.decode(b"\xa9 \xf0\x9f"), "é ");
/// assert_eq!(decoder.finish(), "\u{FFFD}"); // the end came in the middle of a character
/// ```
#[derive(Clone, Debug, Default)]
pub struct Utf8Decoder {
    /// The first bytes of a character whose last bytes have not arrived.
    partial: [u8; 4],
    partial_len: usize,
}

impl Utf8Decoder {
    /// A decoder holding nothing.
    pub fn new() -> Self {
        Utf8Decoder::default()
    }

    /// Decodes the next `bytes`: returns the text they complete, and keeps
    /// the first bytes of a character cut at the end of `bytes` for the
    /// next call.
    pub fn decode(&mut self, bytes: &[u8]) -> String {
        let mut text = String::with_capacity(bytes.len() + self.partial_len);
        let rest = self.complete_partial(bytes, &mut text);
        let mut chunks = rest.utf8_chunks().peekable();
        while let Some(chunk) = chunks.next() {
            text.push_str(chunk.valid());
            let invalid = chunk.invalid();
            if invalid.is_empty() {
                continue;
            }
            if chunks.peek().is_none() && is_incomplete(invalid) {
                self.hold(invalid);
            } else {
                text.push(char::REPLACEMENT_CHARACTER);
            }
        }
        text
    }

    /// Returns what is left at the end: U+FFFD if a character was cut
    /// short, nothing otherwise. The decoder is then empty again.
    pub fn finish(&mut self) -> String {
        if self.partial_len == 0 {
            return String::new();
        }
        self.partial_len = 0;
        char::REPLACEMENT_CHARACTER.to_string()
    }

    /// True while the first bytes of a character are held back.
    pub fn has_partial(&self) -> bool {
        self.partial_len > 0
    }

    /// Completes the held-back character with the first bytes of `bytes`
    /// (or replaces it if they do not fit); returns the bytes left over.
    fn complete_partial<'a>(&mut self, bytes: &'a [u8], text: &mut String) -> &'a [u8] {
        let held = self.partial_len;
        if held == 0 {
            return bytes;
        }
        let added = bytes.len().min(4 - held);
        let mut head = self.partial;
        head[held..held + added].copy_from_slice(&bytes[..added]);
        let head = &head[..held + added];
        let first = head.utf8_chunks().next().expect("the head is not empty");
        let used = if let Some(c) = first.valid().chars().next() {
            text.push(c);
            c.len_utf8()
        } else if first.invalid().len() == head.len() && is_incomplete(head) {
            // Still not complete: `bytes` was too short.
            self.hold(head);
            return &[];
        } else {
            text.push(char::REPLACEMENT_CHARACTER);
            first.invalid().len()
        };
        self.partial_len = 0;
        // The held bytes start the character or the invalid sequence, so
        // `used` covers them all.
        &bytes[used - held..]
    }

    fn hold(&mut self, bytes: &[u8]) {
        self.partial[..bytes.len()].copy_from_slice(bytes);
        self.partial_len = bytes.len();
    }
}

/// True if `bytes` is the start of a character, cut before its end.
fn is_incomplete(bytes: &[u8]) -> bool {
    matches!(
        std::str::from_utf8(bytes),
        Err(error) if error.valid_up_to() == 0 && error.error_len().is_none()
    )
}

impl Transform for Utf8Decoder {
    type Input = Bytes;
    type Output = String;

    fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, String>) -> Result<()> {
        let text = self.decode(&chunk);
        if !text.is_empty() {
            out.push(text);
        }
        Ok(())
    }

    fn flush(&mut self, out: &mut Push<'_, String>) -> Result<()> {
        let rest = self.finish();
        if !rest.is_empty() {
            out.push(rest);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Readable, ReadableExt};

    const PARTY: &str = "🎉";

    /// Decodes `pieces` one after the other, then finishes.
    fn decode_all(pieces: &[&[u8]]) -> String {
        let mut decoder = Utf8Decoder::new();
        let mut text: String = pieces.iter().map(|p| decoder.decode(p)).collect();
        text.push_str(&decoder.finish());
        text
    }

    /// Every way to cut `bytes` into pieces: one per subset of the gaps
    /// between its bytes.
    fn every_split(bytes: &[u8]) -> Vec<Vec<&[u8]>> {
        let gaps = bytes.len() - 1;
        (0..1u32 << gaps)
            .map(|cuts| {
                let mut pieces = Vec::new();
                let mut start = 0;
                for gap in 0..gaps {
                    if cuts & (1 << gap) != 0 {
                        pieces.push(&bytes[start..=gap]);
                        start = gap + 1;
                    }
                }
                pieces.push(&bytes[start..]);
                pieces
            })
            .collect()
    }

    #[test]
    fn a_four_byte_character_survives_every_split() {
        for text in [
            PARTY.to_owned(),
            format!("a{PARTY}b"),
            format!("{PARTY}{PARTY}"),
        ] {
            let splits = every_split(text.as_bytes());
            assert_eq!(splits.len(), 1 << (text.len() - 1));
            for pieces in splits {
                assert_eq!(decode_all(&pieces), text, "{pieces:?}");
            }
        }
    }

    #[test]
    fn a_split_character_is_held_back_until_complete() {
        let bytes = PARTY.as_bytes();
        for cut in 1..bytes.len() {
            let mut decoder = Utf8Decoder::new();
            assert_eq!(decoder.decode(&bytes[..cut]), "");
            assert!(decoder.has_partial());
            assert_eq!(decoder.decode(&bytes[cut..]), PARTY);
            assert!(!decoder.has_partial());
        }
        let mut decoder = Utf8Decoder::new();
        for (i, byte) in bytes.iter().enumerate() {
            let text = decoder.decode(std::slice::from_ref(byte));
            assert_eq!(text, if i == 3 { PARTY } else { "" });
        }
    }

    #[test]
    fn an_incomplete_character_at_the_end_is_one_replacement() {
        let bytes = PARTY.as_bytes();
        for cut in 1..bytes.len() {
            assert_eq!(decode_all(&[&bytes[..cut]]), "\u{FFFD}");
            assert_eq!(decode_all(&[b"ok", &bytes[..cut]]), "ok\u{FFFD}");
        }
        assert_eq!(decode_all(&[b"\xf0", b"\x9f"]), "\u{FFFD}");
    }

    #[test]
    fn invalid_bytes_are_replaced_like_from_utf8_lossy() {
        let cases: [&[u8]; 7] = [
            b"\xff",
            b"a\x80b",
            b"\xc0\x80",
            b"\xed\xa0\x80",
            b"\xf0\x9fA",
            b"\xe2\x82\xe2\x82\xac",
            b"\xf4\x90\x80\x80",
        ];
        for bytes in cases {
            let expected = String::from_utf8_lossy(bytes);
            assert_eq!(decode_all(&[bytes]), expected, "{bytes:?}");
            for pieces in every_split(bytes) {
                assert_eq!(decode_all(&pieces), expected, "{pieces:?}");
            }
        }
    }

    #[test]
    fn a_held_start_followed_by_other_bytes_is_one_replacement() {
        let mut decoder = Utf8Decoder::new();
        assert_eq!(decoder.decode(b"\xf0\x9f"), "");
        assert_eq!(decoder.decode(b"A\xc3"), "\u{FFFD}A");
        assert_eq!(decoder.decode(b"\xa9"), "é");
        assert_eq!(decoder.finish(), "");
    }

    #[tokio::test]
    async fn into_text_decodes_what_was_buffered_and_what_follows() {
        let mut bytes = Readable::from_iter([
            Bytes::from_static(&[0xf0]),
            Bytes::from_static(&[0x9f, 0x8e]),
            Bytes::from_static(&[0x89, b'!']),
        ])
        .with_high_water_mark(2);
        bytes.readable().await.unwrap();
        assert_eq!(bytes.readable_length(), 3);
        let text = bytes.into_text();
        assert_eq!(
            text.readable_length(),
            0,
            "the three bytes start a character"
        );
        assert_eq!(text.high_water_mark(), 2);
        assert_eq!(text.collect_vec().await.unwrap(), ["🎉!"]);
    }

    #[tokio::test]
    async fn the_transform_pushes_no_empty_strings() {
        let bytes = Readable::from_iter(PARTY.bytes().map(|b| Bytes::from(vec![b])));
        let text = bytes.pipe(Utf8Decoder::new()).collect_vec().await.unwrap();
        assert_eq!(text, [PARTY]);
    }
}
