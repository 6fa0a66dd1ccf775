//! Recognising compressed data by its magic number: [`Codec::detect`].

use super::Codec;

/// What the first bytes of some data say about a codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sniff {
    /// The bytes start with the codec's magic number.
    Match,
    /// The bytes cannot be the codec's data.
    NoMatch,
    /// The bytes so far are the start of a magic number; more are needed.
    NeedMore,
}

impl Codec {
    /// The most bytes [`Codec::detect`] needs to decide: xz's magic number
    /// is 6 bytes long.
    pub const MAX_MAGIC_LEN: usize = 6;

    /// The codec whose magic number `prefix` starts with: gzip (`1f 8b`),
    /// zstd (`28 b5 2f fd`, or a skippable frame, `50`–`5f 2a 4d 18`), xz
    /// (`fd 37 7a 58 5a 00`) or bzip2 (`BZh` and a digit from 1 to 9).
    ///
    /// `prefix` should hold the first
    /// [`MAX_MAGIC_LEN`](Codec::MAX_MAGIC_LEN) bytes of the data, or all of
    /// it if it is shorter; data too short for a whole magic number is not
    /// detected. zlib, raw deflate and brotli have no magic number and are
    /// never detected.
    ///
    /// # Examples
    ///
    /// ```
    /// use smerge::transforms::Codec;
    ///
    /// assert_eq!(Codec::detect(b"\x1f\x8b\x08\x00"), Some(Codec::Gzip));
    /// assert_eq!(Codec::detect(b"BZh91AY&SY"), Some(Codec::Bzip2));
    /// assert_eq!(Codec::detect(b"\xfd7zXZ"), None); // one byte short
    /// assert_eq!(Codec::detect(b"plain text"), None);
    /// ```
    pub fn detect(prefix: &[u8]) -> Option<Codec> {
        match detect_prefix(prefix) {
            Detection::Found(codec) => Some(codec),
            Detection::NotFound | Detection::NeedMore => None,
        }
    }

    /// Whether `prefix` starts with this codec's magic number. A codec
    /// without one matches anything but nothing.
    pub(super) fn sniff(self, prefix: &[u8]) -> Sniff {
        match self {
            Codec::Gzip => sniff_pattern(prefix, &[Some(0x1f), Some(0x8b)]),
            Codec::Zstd => {
                match sniff_pattern(prefix, &[Some(0x28), Some(0xb5), Some(0x2f), Some(0xfd)]) {
                    Sniff::NoMatch => sniff_skippable_frame(prefix),
                    found => found,
                }
            }
            Codec::Xz => sniff_pattern(
                prefix,
                &[
                    Some(0xfd),
                    Some(b'7'),
                    Some(b'z'),
                    Some(b'X'),
                    Some(b'Z'),
                    Some(0x00),
                ],
            ),
            Codec::Bzip2 => {
                match sniff_pattern(prefix, &[Some(b'B'), Some(b'Z'), Some(b'h'), None]) {
                    Sniff::Match if !(b'1'..=b'9').contains(&prefix[3]) => Sniff::NoMatch,
                    found => found,
                }
            }
            Codec::Zlib | Codec::Deflate | Codec::Brotli => {
                if prefix.is_empty() {
                    Sniff::NeedMore
                } else {
                    Sniff::Match
                }
            }
        }
    }

    /// Whether the codec's data starts with a magic number.
    pub(super) fn has_magic(self) -> bool {
        matches!(self, Codec::Gzip | Codec::Zstd | Codec::Xz | Codec::Bzip2)
    }
}

/// What the first bytes of some data say about its format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Detection {
    /// The bytes start with this codec's magic number.
    Found(Codec),
    /// The bytes start with no known magic number.
    NotFound,
    /// The bytes so far are the start of a magic number; more are needed.
    NeedMore,
}

/// Looks for every known magic number at the start of `prefix`.
pub(super) fn detect_prefix(prefix: &[u8]) -> Detection {
    let mut need_more = false;
    for codec in Codec::ALL.into_iter().filter(|codec| codec.has_magic()) {
        match codec.sniff(prefix) {
            Sniff::Match => return Detection::Found(codec),
            Sniff::NeedMore => need_more = true,
            Sniff::NoMatch => {}
        }
    }
    if need_more {
        Detection::NeedMore
    } else {
        Detection::NotFound
    }
}

/// Matches `prefix` against `pattern`, where `None` stands for any byte.
fn sniff_pattern(prefix: &[u8], pattern: &[Option<u8>]) -> Sniff {
    let matches = prefix
        .iter()
        .zip(pattern)
        .all(|(byte, expected)| expected.is_none_or(|expected| *byte == expected));
    if !matches {
        Sniff::NoMatch
    } else if prefix.len() < pattern.len() {
        Sniff::NeedMore
    } else {
        Sniff::Match
    }
}

/// A zstd skippable frame: a little-endian magic number from `0x184D2A50`
/// to `0x184D2A5F`, as some tools write before the data (pzstd, seekable
/// zstd).
fn sniff_skippable_frame(prefix: &[u8]) -> Sniff {
    match prefix.first() {
        Some(first) if first & 0xf0 != 0x50 => Sniff::NoMatch,
        _ => sniff_pattern(prefix, &[None, Some(0x2a), Some(0x4d), Some(0x18)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_magic_number() {
        assert_eq!(Codec::detect(&[0x1f, 0x8b]), Some(Codec::Gzip));
        assert_eq!(
            Codec::detect(&[0x28, 0xb5, 0x2f, 0xfd, 0x24]),
            Some(Codec::Zstd)
        );
        assert_eq!(Codec::detect(&[0x50, 0x2a, 0x4d, 0x18]), Some(Codec::Zstd));
        assert_eq!(Codec::detect(&[0x5f, 0x2a, 0x4d, 0x18]), Some(Codec::Zstd));
        assert_eq!(Codec::detect(b"\xfd7zXZ\x00\x00"), Some(Codec::Xz));
        assert_eq!(Codec::detect(b"BZh1"), Some(Codec::Bzip2));
    }

    #[test]
    fn near_misses_are_not_detected() {
        assert_eq!(Codec::detect(&[0x1f]), None);
        assert_eq!(Codec::detect(&[0x1f, 0x8c]), None);
        assert_eq!(Codec::detect(&[0x60, 0x2a, 0x4d, 0x18]), None);
        assert_eq!(Codec::detect(b"BZh0"), None);
        assert_eq!(Codec::detect(b"BZhx"), None);
        assert_eq!(Codec::detect(b""), None);
        assert_eq!(Codec::detect(b"\x78\x9c"), None); // zlib
        assert_eq!(Codec::detect(b"plain text"), None);
    }

    #[test]
    fn partial_detection_waits_only_for_possible_magic_numbers() {
        assert_eq!(detect_prefix(b""), Detection::NeedMore);
        assert_eq!(detect_prefix(b"\xfd7zX"), Detection::NeedMore);
        assert_eq!(detect_prefix(b"B"), Detection::NeedMore);
        assert_eq!(detect_prefix(b"A"), Detection::NotFound);
        assert_eq!(detect_prefix(b"\x1f\x8b"), Detection::Found(Codec::Gzip));
    }

    #[test]
    fn sniffing_asks_for_more_bytes_only_on_a_partial_match() {
        assert_eq!(Codec::Xz.sniff(b"\xfd7z"), Sniff::NeedMore);
        assert_eq!(Codec::Xz.sniff(b"\xfd8"), Sniff::NoMatch);
        assert_eq!(Codec::Zstd.sniff(&[0x28]), Sniff::NeedMore);
        assert_eq!(Codec::Zstd.sniff(&[0x55, 0x2a]), Sniff::NeedMore);
        assert_eq!(Codec::Bzip2.sniff(b"BZh"), Sniff::NeedMore);
        assert_eq!(Codec::Gzip.sniff(b""), Sniff::NeedMore);
        assert_eq!(Codec::Brotli.sniff(b""), Sniff::NeedMore);
        assert_eq!(Codec::Brotli.sniff(b"x"), Sniff::Match);
    }

    #[test]
    fn max_magic_len_bytes_always_decide() {
        let samples: [&[u8]; 6] = [
            b"\x1f\x8b\x08\x00\x00\x00",
            b"\x28\xb5\x2f\xfd\x00\x00",
            b"\x5a\x2a\x4d\x18\x00\x00",
            b"\xfd7zXZ\x00",
            b"BZh91A",
            b"\xfd7zXZ\x01",
        ];
        for codec in Codec::ALL.into_iter().filter(|codec| codec.has_magic()) {
            for sample in samples {
                assert_eq!(sample.len(), Codec::MAX_MAGIC_LEN);
                assert_ne!(codec.sniff(sample), Sniff::NeedMore, "{codec} {sample:?}");
            }
        }
    }
}
