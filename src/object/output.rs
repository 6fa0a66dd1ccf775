//! [`ObjectOutput`]: an object as the output of a
//! [`Merge`](crate::merge::Merge), composed by the server when it can be.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;

use super::upload::ObjectSink;
use super::url::ObjectUrl;
#[cfg(feature = "s3")]
use crate::fs::Listing;
use crate::merge::OutputBackend;
#[cfg(feature = "s3")]
use crate::merge::{MergeCallback, MergePath, PlainMergeFuture};
use crate::{Result, Writable};

/// A callback for what the output has to say once (a server that refuses
/// to copy).
pub type NoteCallback = Arc<dyn Fn(&str) + Send + Sync>;

/// An object as the output of a [`Merge`](crate::merge::Merge)
/// (`Output::Backend(Box::new(ObjectOutput::new(url)))`).
///
/// Written by an [`ObjectSink`]: the old object stays until the merge
/// succeeded. A plain merge into S3 (no content option, no codec) is
/// composed by the server ([`compose`](super::compose)): the report's path
/// is then [`MergePath::Compose`], with the bytes copied by the server and
/// those streamed. If the server refuses to copy, the merge is streamed
/// instead, and the note callback hears why, once.
///
/// # Examples
///
/// ```no_run
/// use smerge::fs::Listing;
/// use smerge::merge::{Merge, Output};
/// use smerge::object::{ObjectOutput, ObjectUrl};
///
/// # #[tokio::main]
/// # async fn main() -> smerge::Result<()> {
/// let url: ObjectUrl = "s3://logs/2024.log".parse()?;
/// let mut inputs = Listing::builder();
/// inputs.input("s3://logs/2024/").exclude_output(url.to_string());
/// let report = Merge::new(Output::Backend(Box::new(ObjectOutput::new(url))))
///     .listed(inputs.build_async().await?)
///     .run()
///     .await?;
/// println!("{:?} bytes copied by the server", report.server_copied_bytes);
/// # Ok(())
/// # }
/// ```
pub struct ObjectOutput {
    url: ObjectUrl,
    compose: bool,
    expected: Option<u64>,
    on_note: Option<NoteCallback>,
}

impl fmt::Debug for ObjectOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectOutput")
            .field("url", &self.url)
            .field("compose", &self.compose)
            .finish_non_exhaustive()
    }
}

impl ObjectOutput {
    /// The object `url`, composed by the server when it can be.
    pub fn new(url: ObjectUrl) -> ObjectOutput {
        ObjectOutput {
            url,
            compose: true,
            expected: None,
            on_note: None,
        }
    }

    /// Whether a plain merge may be composed by the server (default: yes);
    /// `false` streams every byte.
    pub fn compose(mut self, yes: bool) -> Self {
        self.compose = yes;
        self
    }

    /// About how many bytes the output will have, to size its parts.
    pub fn expected_size(mut self, size: u64) -> Self {
        self.expected = Some(size);
        self
    }

    /// Hears, once, why the merge was streamed rather than composed.
    pub fn on_note(mut self, on_note: NoteCallback) -> Self {
        self.on_note = Some(on_note);
        self
    }

    fn sink(&self) -> Result<ObjectSink> {
        let sink = ObjectSink::create(&self.url)?;
        Ok(match self.expected {
            Some(size) => sink.expected_size(size),
            None => sink,
        })
    }
}

impl OutputBackend for ObjectOutput {
    fn name(&self) -> PathBuf {
        PathBuf::from(self.url.to_string())
    }

    fn local_path(&self) -> Option<PathBuf> {
        // The URL: what a listing compares its objects with.
        Some(self.name())
    }

    fn open(self: Box<Self>) -> Result<Writable<Bytes>> {
        Ok(self.sink()?.into_writable())
    }

    #[cfg(feature = "s3")]
    fn merge_plain(
        &mut self,
        listing: &Arc<Listing>,
        on_event: Option<MergeCallback>,
        record_parts: bool,
    ) -> Option<(MergePath, PlainMergeFuture)> {
        use super::compose::{ComposePlan, Composed, can_compose, compose, compose_inputs};
        use crate::merge::{MergeOptions, MergeReport, merge};

        if !self.compose || !can_compose(listing, &self.url) {
            return None;
        }
        // Nothing the server would copy: the merge streams, as any other.
        // (An output too large for S3 is the compose's error to report.)
        if ComposePlan::new(&compose_inputs(listing)).is_ok_and(|plan| !plan.copies_anything()) {
            return None;
        }
        let entries = Arc::clone(listing);
        let url = self.url.clone();
        let on_note = self.on_note.clone();
        let total: u64 = entries.total_size();
        let sink = self.sink();
        let future: PlainMergeFuture = Box::pin(async move {
            match compose(&entries, &url, on_event.clone(), record_parts).await? {
                Composed::Done(done) => Ok(MergeReport {
                    inputs: done.files,
                    bytes: done.bytes,
                    server_copied_bytes: Some(done.server_copied_bytes),
                    streamed_bytes: Some(done.streamed_bytes),
                    ..MergeReport::default()
                }),
                Composed::Declined(reason) => {
                    if let (Some(reason), Some(on_note)) = (reason, on_note) {
                        on_note(&format!(
                            "the server does not copy parts ({reason}): streaming every byte instead"
                        ));
                    }
                    let mut writable = sink?.expected_size(total).into_writable();
                    let options = MergeOptions {
                        record_parts,
                        ..MergeOptions::default()
                    };
                    let mut report = merge(&entries, &options, &mut writable, on_event).await?;
                    report.server_copied_bytes = Some(0);
                    report.streamed_bytes = Some(report.bytes);
                    Ok(report)
                }
            }
        });
        Some((MergePath::Compose, future))
    }
}
