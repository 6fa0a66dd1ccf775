//! [`MergeReport`]: what a merge did, the same on every path, and
//! [`MergePath`], which path it took.

use std::time::Duration;

use serde::{Serialize, Serializer};

use crate::merge::manifest::SkippedInput;
use crate::merge::warning::Warning;
use crate::transforms::Codec;

/// How a merge moved the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum MergePath {
    /// The kernel's copy ([`merge_plain`](crate::merge::merge_plain)):
    /// `copy_file_range`, a mapping of the output, `splice`; nothing passes
    /// through smerge's buffers.
    Kernel,
    /// The stream engine ([`merge`](crate::merge::merge)): each input read,
    /// changed if asked, and written in chunks.
    Stream,
    /// Server-side compose into an object: the service copies the large
    /// inputs, smerge uploads the rest (see [`compose`](crate::object)).
    Compose,
    /// A join of data files by their format (CSV, TSV, NDJSON, JSON).
    Format,
    /// A time-ordered merge of logs.
    Interleave,
    /// A seekable compressed bundle.
    Seekable,
}

impl MergePath {
    /// The path's name: `kernel`, `stream`, `compose`.
    pub fn as_str(self) -> &'static str {
        match self {
            MergePath::Kernel => "kernel",
            MergePath::Stream => "stream",
            MergePath::Compose => "compose",
            MergePath::Format => "format",
            MergePath::Interleave => "interleave",
            MergePath::Seekable => "seekable",
        }
    }
}

/// What a merge did. Its meaning is the same whichever path the merge took:
/// the [`Merge`](crate::merge::Merge) builder fills it in for both.
///
/// It serializes to the object `smerge --json` prints:
///
/// ```json
/// {"path":"kernel","codec":null,"level":null,"inputs":2,"bytes":13,
///  "skipped":[],"warnings":[],"seconds":0.0004}
/// ```
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct MergeReport {
    /// The path the merge took; `None` only in a report made by hand.
    pub path: Option<MergePath>,
    /// The codec the output was compressed with, if any.
    #[serde(serialize_with = "codec_name")]
    pub codec: Option<Codec>,
    /// Its level.
    pub level: Option<u32>,
    /// When every input was already compressed with the output's codec and
    /// so concatenated as it is: that codec.
    #[serde(serialize_with = "codec_name")]
    pub already_compressed: Option<Codec>,
    /// How many inputs were merged (not counting skipped ones).
    pub inputs: usize,
    /// How many bytes were written, before any compression.
    pub bytes: u64,
    /// Into an object store: the bytes the service copied itself, which
    /// never went through smerge (server-side compose).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_copied_bytes: Option<u64>,
    /// Into an object store: the bytes smerge read and uploaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub streamed_bytes: Option<u64>,
    /// The inputs skipped because they could not be read (`keep_going`).
    pub skipped: Vec<SkippedInput>,
    /// Every warning the merge said, in order.
    pub warnings: Vec<Warning>,
    /// How long the merge took, from the listing to the output in place.
    #[serde(rename = "seconds", serialize_with = "seconds")]
    pub elapsed: Duration,
}

impl MergeReport {
    /// True when every input was merged: nothing was skipped.
    pub fn is_complete(&self) -> bool {
        self.skipped.is_empty()
    }
}

fn codec_name<S: Serializer>(codec: &Option<Codec>, serializer: S) -> Result<S::Ok, S::Error> {
    match codec {
        Some(codec) => serializer.serialize_str(codec.name()),
        None => serializer.serialize_none(),
    }
}

fn seconds<S: Serializer>(elapsed: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(elapsed.as_secs_f64())
}

/// The serialized form of a [`MergePlan`](crate::merge::MergePlan), as
/// `smerge --dry-run --json` prints it: the ordered inputs with their sizes
/// and what the merge would do.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct PlanSummary {
    /// The inputs, in order.
    pub inputs: Vec<PlannedInput>,
    /// The sum of the sizes that are known.
    pub total: u64,
    /// The path the merge would take.
    pub path: MergePath,
    /// The codec the output would be compressed with.
    #[serde(serialize_with = "codec_name")]
    pub codec: Option<Codec>,
    /// Its level.
    pub level: Option<u32>,
    /// The codec the inputs are already compressed with, when they would
    /// be concatenated as they are.
    #[serde(serialize_with = "codec_name")]
    pub already_compressed: Option<Codec>,
    /// The inputs that could not be listed and would be skipped.
    pub skipped: Vec<SkippedInput>,
    /// The warnings said so far.
    pub warnings: Vec<Warning>,
}

/// One input of a [`PlanSummary`].
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct PlannedInput {
    /// Its path relative to its input directory (lossy if not UTF-8).
    pub path: String,
    /// The path smerge opens (lossy if not UTF-8).
    pub source: String,
    /// Its size, `None` for standard input and streams.
    pub size: Option<u64>,
}
