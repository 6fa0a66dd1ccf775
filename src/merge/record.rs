//! What a merge wrote, part by part: [`PartRecord`] and [`PartKind`].

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The kinds of part a merged output is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum PartKind {
    /// The `--banner` text, first.
    Banner,
    /// A `--header` before a file.
    Header,
    /// A file's content (after any text fixes, before compression).
    File,
    /// A `--separator` between files, or the line ending `--ensure-newline` added.
    Separator,
    /// The `--footer` text, last.
    Footer,
    /// The `sourceMappingURL` comment naming (or holding) the bundle's
    /// source map, at the very end.
    #[serde(rename = "sourcemap-comment")]
    SourceMapComment,
}

impl PartKind {
    /// The kind's name in a manifest: `banner`, `header`, `file`,
    /// `separator`, `footer`, `sourcemap-comment`.
    pub fn as_str(self) -> &'static str {
        match self {
            PartKind::Banner => "banner",
            PartKind::Header => "header",
            PartKind::File => "file",
            PartKind::Separator => "separator",
            PartKind::Footer => "footer",
            PartKind::SourceMapComment => "sourcemap-comment",
        }
    }
}

/// One part of a merged output: where it is in the uncompressed output, how
/// long it is, and (when a manifest is written) its SHA-256, so a merge can
/// be verified or split later. A
/// [`ManifestPart`](crate::merge::ManifestPart) is its form in a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PartRecord {
    /// What the part is.
    pub kind: PartKind,
    /// For file parts (and headers: the file they introduce), the file's
    /// path relative to its input directory, as `{path}` renders it; for a
    /// file named as an input, its name as given
    /// ([`Entry::relative_path`](crate::fs::Entry::relative_path)).
    pub path: Option<PathBuf>,
    /// For the same parts, the path smerge opened
    /// ([`Entry::path`](crate::fs::Entry::path)).
    pub source: Option<PathBuf>,
    /// Where it starts in the uncompressed output.
    pub offset: u64,
    /// How many bytes it has.
    pub length: u64,
    /// Its SHA-256, when the merge hashes its parts (it does when it
    /// writes a manifest) and the bytes went through it: `None` for an
    /// input an object store copied into the output itself.
    pub sha256: Option<[u8; 32]>,
    /// For the file parts of objects, the ETag of the version that was
    /// read (`If-Match`).
    pub etag: Option<String>,
}

impl PartRecord {
    /// The SHA-256 as lowercase hexadecimal, if the part was hashed.
    pub fn sha256_hex(&self) -> Option<String> {
        self.sha256
            .map(|digest| digest.iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// The SHA-256 of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}
