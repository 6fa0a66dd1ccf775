//! Seekable bundles: a merge compressed so that any one input can be read
//! back without decompressing the others, and [`Bundle`], which does that.
//!
//! Into zstd, a [`SeekableBundle`] writes the Zstandard seekable format:
//! independent frames starting at input boundaries (consecutive small
//! inputs share a frame of up to 1 MiB; large inputs are cut into frames
//! of 1 MiB), and the standard seek table in a skippable frame at the end.
//! Into gzip, every input starts a member of its own, and large inputs are
//! cut into members of 1 MiB. Either way the bundle carries its
//! [`Manifest`] (in a skippable frame, or in the extra field of empty
//! members), so that `zstd -d` and `gzip -d` still give exactly the merged
//! inputs, and [`Bundle::open`] needs nothing but the bundle.
//!
//! # Examples
//!
//! ```
//! use smerge::fs::{AtomicFileSink, Listing};
//! use smerge::merge::MergeOptions;
//! use smerge::seekable::{Bundle, BundleCodec, SeekableBundle};
//!
//! # #[tokio::main]
//! # async fn main() -> smerge::Result<()> {
//! # let dir = tempfile::tempdir()?;
//! # let logs = dir.path().join("logs");
//! # std::fs::create_dir(&logs)?;
//! std::fs::write(logs.join("a.log"), "first\n")?;
//! std::fs::write(logs.join("b.log"), "second\n")?;
//! let listing = Listing::builder().input(&logs).build()?;
//! let path = dir.path().join("logs.zst");
//! let mut output = AtomicFileSink::create(&path)?.into_writable();
//! SeekableBundle::new(BundleCodec::Zstd)
//!     .run(listing.entries(), &MergeOptions::default(), &mut output, None, "logs.zst")
//!     .await?;
//!
//! let bundle = Bundle::open(&path)?;
//! let parts = bundle.select(&["b.log"])?;
//! let mut text = Vec::new();
//! bundle.extract(&parts[0], &mut text)?;
//! assert_eq!(text, b"second\n");
//! # Ok(())
//! # }
//! ```

mod bundle;
mod frames;
mod gzip_format;
mod manifest;
mod payload;
mod zstd_format;

use std::io::{Read, Write};
use std::path::Path;

use bytes::Bytes;

pub use self::bundle::{Bundle, safe_target};
use self::frames::FrameWriter;
pub use self::manifest::{BundlePart, Manifest, SkippedInput};
use crate::blocking::{Opener, produce, read_error};
use crate::error::{Error, ErrorKind, Result};
use crate::fs::Entry;
use crate::merge::{MergeCallback, MergeOptions, MergeReport, PartKind, PartRecord};
use crate::transforms::Codec;
use crate::writable::Writable;

/// The codecs a seekable bundle can be written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BundleCodec {
    /// The Zstandard seekable format.
    Zstd,
    /// gzip members.
    Gzip,
}

impl BundleCodec {
    /// The bundle codec for `codec`, if it has one.
    pub fn from_codec(codec: Codec) -> Option<BundleCodec> {
        match codec {
            Codec::Zstd => Some(BundleCodec::Zstd),
            Codec::Gzip => Some(BundleCodec::Gzip),
            _ => None,
        }
    }

    /// `zstd` or `gzip`.
    pub fn name(self) -> &'static str {
        match self {
            BundleCodec::Zstd => "zstd",
            BundleCodec::Gzip => "gzip",
        }
    }

    fn default_level(self) -> u32 {
        match self {
            BundleCodec::Zstd => 3,
            BundleCodec::Gzip => 6,
        }
    }
}

/// What a [`SeekableBundle`] wrote.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BundleReport {
    /// The merge's report: a part per input, the inputs skipped, the
    /// uncompressed size.
    pub merge: MergeReport,
    /// The manifest the bundle carries.
    pub manifest: Manifest,
}

/// A merge written as a seekable bundle; see the [module documentation](self).
#[derive(Clone, Debug)]
pub struct SeekableBundle {
    codec: BundleCodec,
    level: u32,
}

impl SeekableBundle {
    /// A bundle compressed with `codec` at its default level (zstd 3,
    /// gzip 6).
    pub fn new(codec: BundleCodec) -> SeekableBundle {
        SeekableBundle {
            codec,
            level: codec.default_level(),
        }
    }

    /// The compression level.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`] for a level the codec does not have.
    pub fn level(mut self, level: u32) -> Result<SeekableBundle> {
        let codec = match self.codec {
            BundleCodec::Zstd => Codec::Zstd,
            BundleCodec::Gzip => Codec::Gzip,
        };
        self.level = codec.check_level(level)?;
        Ok(self)
    }

    /// Writes `entries` into `output` as a bundle, then closes it.
    /// `name` is the bundle's name as the manifest records it.
    ///
    /// Of `options`, these apply: `decompress` (the bundle holds the
    /// decompressed inputs), `keep_going` (inputs that cannot be opened are
    /// skipped, and listed in the manifest) and `allow_changing`; the
    /// content options do not.
    ///
    /// # Errors
    ///
    /// An input that cannot be read, naming it, or the output failing;
    /// `output` is then left unfinished.
    pub async fn run(
        &self,
        entries: &[Entry],
        options: &MergeOptions,
        output: &mut Writable<Bytes>,
        on_event: Option<MergeCallback>,
        name: &str,
    ) -> Result<BundleReport> {
        let bundle = self.clone();
        let opener = Opener::new(options, on_event);
        let entries = entries.to_vec();
        let name = name.to_string();
        let (manifest, _, _) = produce(output, false, move |out| {
            bundle.write(&entries, &opener, out, name)
        })
        .await?;
        let parts = manifest
            .parts
            .iter()
            .map(|part| PartRecord {
                kind: PartKind::File,
                path: Some(part.source.clone()),
                offset: part.offset,
                length: part.length,
                sha256: part.sha256,
            })
            .collect::<Vec<_>>();
        let merge = MergeReport {
            files: parts.len(),
            bytes: parts.iter().map(|p| p.length).sum(),
            parts,
            skipped: manifest
                .skipped
                .iter()
                .map(|s| Error::new(ErrorKind::Io, s.error.clone()).reading(&s.source))
                .collect(),
        };
        Ok(BundleReport { merge, manifest })
    }

    fn write(
        &self,
        entries: &[Entry],
        opener: &Opener,
        out: &mut impl Write,
        name: String,
    ) -> Result<Manifest> {
        let mut frames = FrameWriter::new(&mut *out, self.codec, self.level)?;
        let mut skipped = Vec::new();
        let mut buf = vec![0; 256 * 1024];
        for entry in entries {
            let Some(mut input) = opener.open(entry, &mut skipped)? else {
                continue;
            };
            let size_hint = if opener.decompress {
                0
            } else {
                entry.size().unwrap_or(0)
            };
            frames.begin(
                entry.relative_path().to_path_buf(),
                entry.path().to_path_buf(),
                size_hint,
            )?;
            loop {
                let n = match input.reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(read_error(e, entry.path())),
                };
                frames.write(&buf[..n])?;
            }
            frames.end()?;
        }
        let (out, data_end, sizes, parts) = frames.finish()?;
        let manifest = Manifest {
            output: name,
            codec: self.codec.name().into(),
            parts,
            skipped: skipped
                .iter()
                .map(|error| SkippedInput {
                    source: error.path().map(Path::to_path_buf).unwrap_or_default(),
                    error: error.to_string(),
                })
                .collect(),
        };
        let text = payload::build(&manifest);
        let trailer = match self.codec {
            BundleCodec::Zstd => {
                let mut trailer = zstd_format::manifest_frame(&text)?;
                trailer.extend(zstd_format::seek_table(&sizes));
                trailer
            }
            BundleCodec::Gzip => gzip_format::manifest_members(&text, data_end),
        };
        out.write_all(&trailer).map_err(Error::io)?;
        Ok(manifest)
    }
}

#[cfg(test)]
mod tests;
