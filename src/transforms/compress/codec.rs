//! [`Codec`]: the compression formats smerge reads and writes, with their
//! transform names, file extensions and compression levels.

use std::fmt;
use std::ops::RangeInclusive;
use std::path::Path;
use std::str::FromStr;

use crate::{Error, ErrorKind, Result};

/// A compression format: the codecs of `smerge pipe -t` and of the output
/// extensions of `smerge merge`.
///
/// | Codec | `-t` compress | `-t` decompress | Extension | Levels | Default level |
/// | --- | --- | --- | --- | --- | --- |
/// | [`Gzip`](Codec::Gzip) | `gzip` | `gunzip` | `.gz` | 1–9 | 6 |
/// | [`Zlib`](Codec::Zlib) | `zlib` | `unzlib` | — | 0–9 | 6 |
/// | [`Deflate`](Codec::Deflate) | `deflate` | `inflate` | — | 0–9 | 6 |
/// | [`Zstd`](Codec::Zstd) | `zstd` | `unzstd` | `.zst` | 1–22 | 3 |
/// | [`Brotli`](Codec::Brotli) | `brotli` | `unbrotli` | `.br` | 0–11 | 11 |
/// | [`Bzip2`](Codec::Bzip2) | `bzip2` | `bunzip2` | `.bz2` | 1–9 | 9 |
/// | [`Xz`](Codec::Xz) | `xz` | `unxz` | `.xz` | 0–9 | 6 |
///
/// The default levels are those of the `gzip`, `zstd`, `brotli`, `bzip2` and
/// `xz` command-line tools, and zlib's for zlib and raw deflate. Level 0 of
/// zlib and deflate stores the data uncompressed.
///
/// Brotli's default, 11, is also its slowest level, as it is for the
/// `brotli` tool: well under 1 MB/s, so a gigabyte takes most of an hour.
/// On source code, level 6 is about 30 times faster for output about a
/// fifth larger. xz's default, 6, compresses 1 to 2 MB/s.
///
/// gzip, zstd, xz and bzip2 data starts with a magic number, so
/// [`Codec::detect`] recognises them; zlib, raw deflate and brotli data do
/// not, and are never detected.
///
/// Not promised: that data starting with a magic number is compressed data
/// (a binary file may start with the same bytes), nor that a higher level
/// gives smaller output on every input.
///
/// # Examples
///
/// ```
/// use std::path::Path;
/// use smerge::ErrorKind;
/// use smerge::transforms::Codec;
///
/// assert_eq!(Codec::from_name("zstd"), Some(Codec::Zstd));
/// assert_eq!(Codec::from_decompress_name("gunzip"), Some(Codec::Gzip));
/// assert_eq!(Codec::from_extension(Path::new("out.js.br")), Some(Codec::Brotli));
/// assert_eq!(Codec::Bzip2.extension(), Some("bz2"));
/// assert_eq!(Codec::Xz.default_level(), 6);
///
/// let err = Codec::Gzip.check_level(12).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::InvalidArgument);
/// assert_eq!(err.to_string(), "gzip level must be 1-9, got 12");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Codec {
    /// gzip (RFC 1952): deflate data with a header and a CRC-32, as written
    /// by `gzip`; a file may hold several members one after the other.
    Gzip,
    /// zlib (RFC 1950): deflate data with a 2-byte header and an Adler-32.
    Zlib,
    /// Raw deflate (RFC 1951), with no header and no checksum.
    Deflate,
    /// Zstandard (RFC 8878), as written by `zstd`; a file may hold several
    /// frames one after the other.
    Zstd,
    /// Brotli (RFC 7932), as written by `brotli`.
    Brotli,
    /// bzip2, as written by `bzip2`; a file may hold several streams one
    /// after the other.
    Bzip2,
    /// xz, as written by `xz`; a file may hold several streams one after
    /// the other, with padding between them.
    Xz,
}

impl Codec {
    /// Every codec, in the order of the table above.
    pub const ALL: [Codec; 7] = [
        Codec::Gzip,
        Codec::Zlib,
        Codec::Deflate,
        Codec::Zstd,
        Codec::Brotli,
        Codec::Bzip2,
        Codec::Xz,
    ];

    /// The codec's name, which is also the name of its compressing
    /// transform: `gzip`, `zlib`, `deflate`, `zstd`, `brotli`, `bzip2`, `xz`.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Zlib => "zlib",
            Codec::Deflate => "deflate",
            Codec::Zstd => "zstd",
            Codec::Brotli => "brotli",
            Codec::Bzip2 => "bzip2",
            Codec::Xz => "xz",
        }
    }

    /// The name of the decompressing transform: `gunzip`, `unzlib`,
    /// `inflate`, `unzstd`, `unbrotli`, `bunzip2`, `unxz`.
    pub fn decompress_name(self) -> &'static str {
        match self {
            Codec::Gzip => "gunzip",
            Codec::Zlib => "unzlib",
            Codec::Deflate => "inflate",
            Codec::Zstd => "unzstd",
            Codec::Brotli => "unbrotli",
            Codec::Bzip2 => "bunzip2",
            Codec::Xz => "unxz",
        }
    }

    /// The codec whose [`name`](Codec::name) is `name`, if any.
    pub fn from_name(name: &str) -> Option<Codec> {
        Codec::ALL.into_iter().find(|codec| codec.name() == name)
    }

    /// The codec whose [`decompress_name`](Codec::decompress_name) is
    /// `name`, if any.
    pub fn from_decompress_name(name: &str) -> Option<Codec> {
        Codec::ALL
            .into_iter()
            .find(|codec| codec.decompress_name() == name)
    }

    /// The file extension of the codec's files, without the dot: `gz`,
    /// `zst`, `br`, `bz2`, `xz`; `None` for zlib and raw deflate, which have
    /// no standard one.
    pub fn extension(self) -> Option<&'static str> {
        match self {
            Codec::Gzip => Some("gz"),
            Codec::Zstd => Some("zst"),
            Codec::Brotli => Some("br"),
            Codec::Bzip2 => Some("bz2"),
            Codec::Xz => Some("xz"),
            Codec::Zlib | Codec::Deflate => None,
        }
    }

    /// The codec whose [`extension`](Codec::extension) `path` ends with, if
    /// any. The comparison is case-sensitive, as `gzip -d` is on Linux:
    /// `out.GZ` has no codec.
    pub fn from_extension(path: &Path) -> Option<Codec> {
        let extension = path.extension()?;
        Codec::ALL
            .into_iter()
            .find(|codec| codec.extension().is_some_and(|ext| extension == ext))
    }

    /// The level used when none is given; see the table above.
    pub fn default_level(self) -> u32 {
        match self {
            Codec::Gzip | Codec::Zlib | Codec::Deflate | Codec::Xz => 6,
            Codec::Zstd => 3,
            Codec::Brotli => 11,
            Codec::Bzip2 => 9,
        }
    }

    /// The levels the codec accepts, fastest first.
    pub fn levels(self) -> RangeInclusive<u32> {
        match self {
            Codec::Gzip | Codec::Bzip2 => 1..=9,
            Codec::Zlib | Codec::Deflate | Codec::Xz => 0..=9,
            Codec::Zstd => 1..=22,
            Codec::Brotli => 0..=11,
        }
    }

    /// Returns `level` if the codec accepts it, or an
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) error such as
    /// `gzip level must be 1-9, got 12`.
    pub fn check_level(self, level: u32) -> Result<u32> {
        let levels = self.levels();
        if levels.contains(&level) {
            return Ok(level);
        }
        Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "{self} level must be {}-{}, got {level}",
                levels.start(),
                levels.end()
            ),
        ))
    }

    /// Whether this build compresses and decompresses the codec: each codec
    /// is a cargo feature of smerge ([`feature`](Codec::feature)), all of
    /// them on by default. A codec left out keeps its name, extension and
    /// magic number, so it is still recognised; [`Compress`](super::Compress)
    /// and [`Decompress`](super::Decompress) fail on it with an
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) error naming the
    /// feature.
    ///
    /// # Examples
    ///
    /// ```
    /// use smerge::transforms::Codec;
    ///
    /// assert_eq!(Codec::Deflate.feature(), "gzip");
    /// assert_eq!(Codec::Xz.is_available(), cfg!(feature = "xz"));
    /// ```
    pub fn is_available(self) -> bool {
        match self {
            Codec::Gzip | Codec::Zlib | Codec::Deflate => cfg!(feature = "gzip"),
            Codec::Zstd => cfg!(feature = "zstd"),
            Codec::Brotli => cfg!(feature = "brotli"),
            Codec::Bzip2 => cfg!(feature = "bzip2"),
            Codec::Xz => cfg!(feature = "xz"),
        }
    }

    /// The cargo feature that builds the codec in: its
    /// [`name`](Codec::name), and `gzip` for zlib and raw deflate too.
    pub fn feature(self) -> &'static str {
        match self {
            Codec::Zlib | Codec::Deflate => "gzip",
            codec => codec.name(),
        }
    }

    /// The error of compressing or decompressing a codec this build left
    /// out; see [`is_available`](Codec::is_available).
    pub(crate) fn unavailable(self) -> Error {
        Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "{self} is not built into this smerge (cargo feature `{}`)",
                self.feature()
            ),
        )
    }

    /// What one self-contained piece of the codec's data is called:
    /// `member` (gzip), `frame` (zstd) or `stream`.
    pub(super) fn unit_name(self) -> &'static str {
        match self {
            Codec::Gzip => "member",
            Codec::Zstd => "frame",
            _ => "stream",
        }
    }

    /// True if another member, frame or stream may follow the end of one.
    pub(super) fn is_concatenable(self) -> bool {
        matches!(self, Codec::Gzip | Codec::Zstd | Codec::Bzip2 | Codec::Xz)
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Codec {
    type Err = Error;

    /// Parses a codec [`name`](Codec::name); anything else is an
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) error listing the
    /// names.
    fn from_str(name: &str) -> Result<Codec> {
        Codec::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = Codec::ALL.iter().map(|codec| codec.name()).collect();
            Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "unknown codec `{name}` (expected one of {})",
                    names.join(", ")
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for codec in Codec::ALL {
            assert_eq!(Codec::from_name(codec.name()), Some(codec));
            assert_eq!(codec.name().parse::<Codec>().unwrap(), codec);
            assert_eq!(
                Codec::from_decompress_name(codec.decompress_name()),
                Some(codec)
            );
            assert_eq!(Codec::from_name(codec.decompress_name()), None);
        }
    }

    #[test]
    fn unknown_names_are_invalid_arguments() {
        let err = "lz4".parse::<Codec>().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert_eq!(
            err.to_string(),
            "unknown codec `lz4` (expected one of gzip, zlib, deflate, zstd, brotli, bzip2, xz)"
        );
        assert_eq!(Codec::from_name("gunzip"), None);
        assert_eq!(Codec::from_decompress_name("gzip"), None);
    }

    #[test]
    fn extensions_round_trip() {
        for codec in Codec::ALL {
            if let Some(ext) = codec.extension() {
                let path = format!("dir.d/out.js.{ext}");
                assert_eq!(Codec::from_extension(Path::new(&path)), Some(codec));
            }
        }
        assert_eq!(Codec::from_extension(Path::new("out.js")), None);
        assert_eq!(Codec::from_extension(Path::new("out.GZ")), None);
        assert_eq!(Codec::from_extension(Path::new("gz")), None);
        assert_eq!(Codec::from_extension(Path::new("out.zz")), None);
    }

    #[test]
    fn a_codec_left_out_names_its_feature() {
        let error = Codec::Zlib.unavailable();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        assert_eq!(
            error.to_string(),
            "zlib is not built into this smerge (cargo feature `gzip`)"
        );
    }

    #[cfg(feature = "codecs")]
    #[test]
    fn every_codec_is_built_in_with_the_codecs_feature() {
        for codec in Codec::ALL {
            assert!(codec.is_available(), "{codec}");
        }
    }

    #[test]
    fn default_levels_are_valid() {
        for codec in Codec::ALL {
            assert_eq!(
                codec.check_level(codec.default_level()).unwrap(),
                codec.default_level()
            );
        }
    }

    #[test]
    fn levels_out_of_range_name_the_range() {
        assert_eq!(
            Codec::Gzip.check_level(0).unwrap_err().to_string(),
            "gzip level must be 1-9, got 0"
        );
        assert_eq!(
            Codec::Zstd.check_level(23).unwrap_err().to_string(),
            "zstd level must be 1-22, got 23"
        );
        assert_eq!(
            Codec::Brotli.check_level(12).unwrap_err().to_string(),
            "brotli level must be 0-11, got 12"
        );
        assert_eq!(Codec::Deflate.check_level(0).unwrap(), 0);
    }
}
