//! [`MergeOptions`]: what a merge writes around and between its files.

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;

use crate::merge::header::HeaderTemplate;
use crate::transforms::LineEnding;
use crate::{Error, ErrorKind};

/// The read size of the buffered merge path: 128 KiB, where the cost of a
/// system call stops mattering (GNU cat's measurements agree).
pub const DEFAULT_MERGE_CHUNK_SIZE: usize = 128 * 1024;

/// What happens to UTF-8 byte order marks at the start of each file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BomMode {
    /// Leave every BOM where it is (the bytes are copied as they are).
    #[default]
    Keep,
    /// Remove the BOM of every file.
    Strip,
    /// Keep the first file's BOM, remove the others: a BOM in the middle
    /// of a file is not a BOM any more, but a stray character.
    StripInner,
}

impl FromStr for BomMode {
    type Err = Error;

    fn from_str(s: &str) -> Result<BomMode, Error> {
        match s {
            "keep" => Ok(BomMode::Keep),
            "strip" => Ok(BomMode::Strip),
            "strip-inner" => Ok(BomMode::StripInner),
            _ => Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("unknown BOM mode {s:?} (expected keep, strip or strip-inner)"),
            )),
        }
    }
}

impl fmt::Display for BomMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BomMode::Keep => "keep",
            BomMode::Strip => "strip",
            BomMode::StripInner => "strip-inner",
        })
    }
}

/// What a merge writes around and between its files, and how it treats
/// their content. The default writes the files exactly as they are, like
/// `cat`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct MergeOptions {
    /// Written first, verbatim.
    pub banner: Option<Bytes>,
    /// Written last, verbatim.
    pub footer: Option<Bytes>,
    /// Written between two files.
    pub separator: Option<Bytes>,
    /// Written before each file.
    pub header: Option<HeaderTemplate>,
    /// Add `\n` after a file that does not end with one (not after an empty file).
    pub ensure_newline: bool,
    /// What to do with byte order marks.
    pub bom: BomMode,
    /// Convert line endings to this, if set.
    pub eol: Option<LineEnding>,
    /// Decompress compressed inputs, recognised by their magic bytes
    /// (gzip, zstd, xz, bzip2) or, for brotli, by a `.br` name.
    pub decompress: bool,
    /// The memory each decoder may use, in bytes (see
    /// [`Decompress::with_memory_limit`](crate::transforms::Decompress::with_memory_limit)).
    pub memory_limit: u64,
    /// Skip inputs that cannot be opened, instead of failing the merge.
    pub keep_going: bool,
    /// Accept a file whose size changes while it is read.
    pub allow_changing: bool,
    /// Record every part's offset, length and SHA-256 (for a manifest).
    pub record_parts: bool,
    /// How many bytes each read takes.
    pub chunk_size: usize,
    /// Write a source map of the bundle, and compose the inputs' own maps.
    #[cfg(feature = "source-map")]
    pub source_map: Option<crate::sourcemap::SourceMapOptions>,
}

impl Default for MergeOptions {
    fn default() -> Self {
        MergeOptions {
            banner: None,
            footer: None,
            separator: None,
            header: None,
            ensure_newline: false,
            bom: BomMode::Keep,
            eol: None,
            decompress: false,
            memory_limit: crate::transforms::DEFAULT_MEMORY_LIMIT,
            keep_going: false,
            allow_changing: false,
            record_parts: false,
            chunk_size: DEFAULT_MERGE_CHUNK_SIZE,
            #[cfg(feature = "source-map")]
            source_map: None,
        }
    }
}

impl MergeOptions {
    /// True if any option changes the bytes: the output is then not simply
    /// the inputs one after the other.
    pub fn changes_content(&self) -> bool {
        self.banner.is_some()
            || self.footer.is_some()
            || self.separator.is_some()
            || self.header.is_some()
            || self.ensure_newline
            || self.bom != BomMode::Keep
            || self.eol.is_some()
            || self.decompress
            || self.writes_source_map()
    }

    /// True when the merge writes a source map (which drops the inputs'
    /// own `sourceMappingURL` comments and adds one naming the new map).
    pub fn writes_source_map(&self) -> bool {
        #[cfg(feature = "source-map")]
        return self.source_map.is_some();
        #[cfg(not(feature = "source-map"))]
        false
    }
}
