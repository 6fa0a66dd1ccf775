//! [`DataMerge`]: the merges that read their inputs' content as a whole —
//! CSV, TSV, NDJSON and JSON joins, time-ordered interleaves, seekable
//! bundles — which a [`Merge`](crate::merge::Merge) runs instead of
//! copying its inputs one after the other.

use std::path::Path;

use bytes::Bytes;

use crate::Result;
use crate::Writable;
#[cfg(feature = "formats")]
use crate::formats::FormatMerge;
#[cfg(feature = "interleave")]
use crate::interleave::Interleave;
use crate::merge::manifest::{ManifestPart, SkippedInput};
use crate::merge::{MergeCallback, MergeOptions, MergePath, Warnings};
#[cfg(feature = "seekable")]
use crate::seekable::SeekableBundle;
use crate::transforms::Codec;

/// A merge that reads its inputs' content, given to
/// [`Merge::data`](crate::merge::Merge::data).
///
/// # Examples
///
/// ```
/// use smerge::fs::Listing;
/// use smerge::formats::{Format, FormatMerge};
/// use smerge::merge::{DataMerge, Merge, MergePath, Output};
///
/// # #[tokio::main]
/// # async fn main() -> smerge::Result<()> {
/// # let dir = tempfile::tempdir()?;
/// # let (a, b, all) = (dir.path().join("a.csv"), dir.path().join("b.csv"), dir.path().join("all.csv"));
/// std::fs::write(&a, "id,name\n1,ann\n")?;
/// std::fs::write(&b, "id,name\n2,bob\n")?;
/// let mut listing = Listing::builder();
/// listing.inputs([a, b]);
/// let report = Merge::new(Output::path(&all))
///     .listing(listing)
///     .data(DataMerge::Format(FormatMerge::new(Format::Csv)))
///     .run()
///     .await?;
/// assert_eq!(report.path, Some(MergePath::Format));
/// assert_eq!(std::fs::read_to_string(&all)?, "id,name\n1,ann\n2,bob\n");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum DataMerge {
    /// Data files joined by their format.
    #[cfg(feature = "formats")]
    Format(FormatMerge),
    /// Logs merged in time order.
    #[cfg(feature = "interleave")]
    Interleave(Interleave),
    /// A seekable compressed bundle.
    #[cfg(feature = "seekable")]
    Seekable(SeekableBundle),
}

/// What a [`DataMerge`] did.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct DataReport {
    /// How many inputs were read.
    pub inputs: usize,
    /// How many bytes were written, before any compression.
    pub bytes: u64,
    /// The inputs skipped because they could not be opened (`keep_going`).
    pub skipped: Vec<SkippedInput>,
    /// The parts, for a manifest (when the merge records parts).
    pub parts: Vec<ManifestPart>,
}

impl DataMerge {
    /// The path a merge with this takes.
    pub fn path(&self) -> MergePath {
        match self {
            #[cfg(feature = "formats")]
            DataMerge::Format(_) => MergePath::Format,
            #[cfg(feature = "interleave")]
            DataMerge::Interleave(_) => MergePath::Interleave,
            #[cfg(feature = "seekable")]
            DataMerge::Seekable(_) => MergePath::Seekable,
        }
    }

    /// True when the merge compresses its output itself, with the merge's
    /// codec (a seekable bundle), instead of behind a compressor.
    pub fn compresses(&self) -> bool {
        match self {
            #[cfg(feature = "seekable")]
            DataMerge::Seekable(_) => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// Runs the merge over `entries` into `output`, then closes it.
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
        let _ = (&codec, name);
        match self {
            #[cfg(feature = "formats")]
            DataMerge::Format(merge) => {
                merge
                    .run(entries, options, warnings, output, on_event)
                    .await
            }
            #[cfg(feature = "interleave")]
            DataMerge::Interleave(merge) => {
                merge
                    .run(entries, options, warnings, output, on_event)
                    .await
            }
            #[cfg(feature = "seekable")]
            DataMerge::Seekable(bundle) => {
                bundle
                    .run(entries, options, warnings, output, codec, name, on_event)
                    .await
            }
        }
    }
}
