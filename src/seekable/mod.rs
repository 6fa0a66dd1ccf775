//! Seekable bundles: a merge compressed so that any one input can be read
//! back without decompressing the others, and [`Bundle`], which does that.
//!
//! Into zstd, a [`SeekableBundle`] writes the Zstandard seekable format:
//! independent frames starting at input boundaries (consecutive small
//! inputs share a frame of up to 1 MiB; large inputs are cut into frames
//! of 1 MiB), and the standard seek table in a skippable frame at the end.
//! Into gzip, every input starts a member of its own, and large inputs are
//! cut into members of 1 MiB. Either way the bundle carries its
//! [`Manifest`](crate::merge::Manifest) (in a skippable frame, or in the extra field of empty
//! members), so that `zstd -d` and `gzip -d` still give exactly the merged
//! inputs, and [`Bundle::open`] needs nothing but the bundle.
//!
//! # Examples
//!
//! ```
//! use smerge::fs::Listing;
//! use smerge::merge::{DataMerge, Merge, Output};
//! use smerge::seekable::{Bundle, SeekableBundle};
//!
//! # #[tokio::main]
//! # async fn main() -> smerge::Result<()> {
//! # let dir = tempfile::tempdir()?;
//! # let logs = dir.path().join("logs");
//! # std::fs::create_dir(&logs)?;
//! std::fs::write(logs.join("a.log"), "first\n")?;
//! std::fs::write(logs.join("b.log"), "second\n")?;
//! let path = dir.path().join("logs.zst");
//! let mut listing = Listing::builder();
//! listing.input(&logs);
//! Merge::new(Output::path(&path))
//!     .listing(listing)
//!     .data(DataMerge::Seekable(SeekableBundle::new()))
//!     .run()
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
mod payload;
mod zstd_format;

use std::io::{Read, Write};
use std::path::Path;

use bytes::Bytes;

pub use self::bundle::{Bundle, safe_target};
use self::frames::FrameWriter;
use crate::Writable;
use crate::blocking::{Opener, produce, read_error};
use crate::data::DataReport;
use crate::merge::{
    ManifestPart, ManifestWriter, MergeCallback, MergeOptions, SkippedInput, Warnings,
};
use crate::transforms::Codec;
use crate::{Error, ErrorKind, Result};

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
}

/// A merge written as a seekable bundle; see the [module documentation](self).
///
/// The codec and level are the merge's: zstd or gzip, by the output's
/// extension or [`Compression`](crate::merge::Compression).
#[derive(Clone, Debug, Default)]
pub struct SeekableBundle {}

impl SeekableBundle {
    /// A seekable bundle.
    pub fn new() -> SeekableBundle {
        SeekableBundle {}
    }

    /// Writes `entries` into `output` as a bundle compressed with `codec`,
    /// then closes it. `name` is the bundle's name as the manifest
    /// records it.
    ///
    /// Of `options`, these apply: `decompress` (the bundle holds the
    /// decompressed inputs), `keep_going` (inputs that cannot be opened are
    /// skipped, and listed in the manifest) and `allow_changing`; the
    /// content options do not.
    ///
    /// # Errors
    ///
    /// A codec other than zstd or gzip ([`ErrorKind::InvalidArgument`]);
    /// an input that cannot be read, naming it, or the output failing;
    /// `output` is then left unfinished.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn run(
        &self,
        entries: &std::sync::Arc<crate::fs::Listing>,
        options: &MergeOptions,
        warnings: &Warnings,
        output: &mut Writable<Bytes>,
        codec: Option<(Codec, u32)>,
        name: &Path,
        on_event: Option<MergeCallback>,
    ) -> Result<DataReport> {
        let Some((codec, level)) =
            codec.and_then(|(codec, level)| Some((BundleCodec::from_codec(codec)?, level)))
        else {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "a seekable bundle is compressed with zstd or gzip: name the output .zst or .gz",
            ));
        };
        let opener = Opener::new(options, warnings, on_event);
        let entries = std::sync::Arc::clone(entries);
        let name = name.to_path_buf();
        let ((parts, skipped), _, _) = produce(output, false, move |out| {
            write(codec, level, &entries, &opener, out, &name)
        })
        .await?;
        Ok(DataReport {
            inputs: parts.len(),
            bytes: parts.iter().map(|p| p.length).sum(),
            skipped,
            parts,
        })
    }
}

/// Writes the bundle: the frames, then the manifest and its index.
fn write(
    codec: BundleCodec,
    level: u32,
    entries: &crate::fs::Listing,
    opener: &Opener,
    out: &mut impl Write,
    name: &Path,
) -> Result<(Vec<ManifestPart>, Vec<SkippedInput>)> {
    let mut frames = FrameWriter::new(&mut *out, codec, level)?;
    let mut skipped = Vec::new();
    let mut buf = vec![0; 256 * 1024];
    for entry in entries {
        let entry = &entry;
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
    let (out, data_end, sizes, written) = frames.finish()?;
    let parts = written
        .iter()
        .map(frames::WrittenPart::to_manifest)
        .collect::<Result<Vec<_>>>()?;
    let mut manifest = ManifestWriter::start(Vec::new(), name)?;
    for part in &parts {
        manifest.manifest_part(part)?;
    }
    let manifest = manifest.finish(&skipped)?;
    let pieces = payload::pieces(&manifest, &written);
    drop(written);
    let pieces: Vec<&[u8]> = pieces.iter().map(|piece| &piece[..]).collect();
    match codec {
        BundleCodec::Zstd => {
            let len = pieces.iter().map(|piece| piece.len()).sum();
            out.write_all(&zstd_format::manifest_frame_header(len)?)
                .map_err(Error::io)?;
            for piece in &pieces {
                out.write_all(piece).map_err(Error::io)?;
            }
            out.write_all(&zstd_format::seek_table(&sizes))
                .map_err(Error::io)?;
        }
        BundleCodec::Gzip => {
            gzip_format::write_manifest_members(out, &pieces, data_end)?;
        }
    }
    Ok((parts, skipped))
}

#[cfg(test)]
mod tests;
