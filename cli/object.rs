//! Object storage on the command line: `s3://`, `gs://` and `az://`
//! inputs and outputs, and server-side compose, when smerge is built with
//! them (the default); otherwise such URLs are an error saying so.

use std::time::Duration;

use bytes::Bytes;
use smerge::fs::Entry;
use smerge::merge::{MergeCallback, MergeReport};
use smerge::object::ObjectUrl;
use smerge::{Readable, Writable};

/// How long smerge waits, before it exits, for the aborts of uploads that
/// an error or a signal left unfinished.
const ABORT_TIMEOUT: Duration = Duration::from_secs(30);

/// The object `url`, to read; its size.
#[cfg(feature = "object-store")]
pub(crate) async fn open_input(url: &ObjectUrl) -> anyhow::Result<(Readable<Bytes>, Option<u64>)> {
    let entry = smerge::object::stat(url).await?;
    let readable = smerge::object::ReadAhead::new(std::slice::from_ref(&entry)).open(&entry)?;
    Ok((readable, entry.size()))
}

/// The object `url`, to write atomically; `expected` sizes its parts.
#[cfg(feature = "object-store")]
pub(crate) fn open_output(
    url: &ObjectUrl,
    expected: Option<u64>,
) -> anyhow::Result<Writable<Bytes>> {
    let mut sink = smerge::object::ObjectSink::create(url)?;
    if let Some(size) = expected {
        sink = sink.expected_size(size);
    }
    Ok(sink.into_writable())
}

/// Waits, for a while, until the uploads dropped unfinished are aborted.
#[cfg(feature = "object-store")]
pub(crate) async fn wait_for_aborts() {
    let _ = tokio::time::timeout(ABORT_TIMEOUT, smerge::object::wait_for_aborts()).await;
}

/// What a server-side compose did, or why it did not.
pub(crate) enum Composed {
    /// The merge was composed: the report, the bytes the server copied and
    /// those smerge read.
    Done {
        report: MergeReport,
        server_copied_bytes: u64,
        streamed_bytes: u64,
    },
    /// Nothing was written: stream the merge instead (saying why, if the
    /// server refused).
    Declined(Option<String>),
}

/// Composes the plain merge of `entries` into the S3 object `url`, when it
/// can be (an S3 output, inputs of known size, something to copy).
#[cfg(feature = "s3")]
pub(crate) async fn compose(
    entries: &[Entry],
    url: &ObjectUrl,
    on_event: MergeCallback,
) -> anyhow::Result<Composed> {
    use smerge::object::Composed as Outcome;
    if !smerge::object::can_compose(entries, url) {
        return Ok(Composed::Declined(None));
    }
    Ok(
        match smerge::object::compose(entries, url, Some(on_event)).await? {
            Outcome::Done(done) => Composed::Done {
                report: MergeReport {
                    files: done.files,
                    bytes: done.bytes,
                    ..MergeReport::default()
                },
                server_copied_bytes: done.server_copied_bytes,
                streamed_bytes: done.streamed_bytes,
            },
            Outcome::Declined(reason) => Composed::Declined(reason),
            _ => Composed::Declined(None),
        },
    )
}

#[cfg(not(feature = "s3"))]
pub(crate) async fn compose(
    _entries: &[Entry],
    _url: &ObjectUrl,
    _on_event: MergeCallback,
) -> anyhow::Result<Composed> {
    Ok(Composed::Declined(None))
}

#[cfg(not(feature = "object-store"))]
pub(crate) async fn open_input(url: &ObjectUrl) -> anyhow::Result<(Readable<Bytes>, Option<u64>)> {
    Err(unsupported(url))
}

#[cfg(not(feature = "object-store"))]
pub(crate) fn open_output(
    url: &ObjectUrl,
    _expected: Option<u64>,
) -> anyhow::Result<Writable<Bytes>> {
    Err(unsupported(url))
}

#[cfg(not(feature = "object-store"))]
pub(crate) async fn wait_for_aborts() {}

#[cfg(not(feature = "object-store"))]
fn unsupported(url: &ObjectUrl) -> anyhow::Error {
    anyhow::anyhow!("{url}: this smerge was built without object storage (features s3, gcs, azure)")
}
