//! Object storage on the command line: `s3://`, `gs://` and `az://`
//! inputs and outputs, and server-side compose, when smerge is built with
//! them (the default); otherwise such URLs are an error saying so.

use std::path::Path;
#[cfg(feature = "object-store")]
use std::time::Duration;

use bytes::Bytes;
use smerge::fs::{Listing, ListingBuilder};
use smerge::merge::Output;
use smerge::object::ObjectUrl;
use smerge::{Readable, Writable};

use crate::progress::Messages;

/// How long smerge waits, before it exits, for the aborts of uploads that
/// an error or a signal left unfinished.
#[cfg(feature = "object-store")]
const ABORT_TIMEOUT: Duration = Duration::from_secs(30);

/// The object `url`, to read; its size.
#[cfg(feature = "object-store")]
pub(crate) async fn open_input(url: &ObjectUrl) -> anyhow::Result<(Readable<Bytes>, Option<u64>)> {
    let listing = smerge::object::stat(url).await?;
    let entry = listing.get(0).expect("one object");
    let readable = smerge::object::ReadAhead::new(listing.entries()).open(&entry)?;
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

/// The object `url` as the output of a merge, composed by the server
/// unless `compose` is false; what it has to say goes to `messages`.
#[cfg(feature = "object-store")]
pub(crate) fn output(url: ObjectUrl, compose: bool, messages: &Messages) -> anyhow::Result<Output> {
    let messages = messages.clone();
    let backend = smerge::object::ObjectOutput::new(url)
        .compose(compose)
        .on_note(std::sync::Arc::new(move |note: &str| messages.note(note)));
    Ok(Output::Backend(Box::new(backend)))
}

/// The listing of inputs among which some are object URLs, `output` kept
/// out of it.
#[cfg(feature = "object-store")]
pub(crate) async fn list(mut builder: ListingBuilder, output: &Path) -> anyhow::Result<Listing> {
    builder.exclude_output(output);
    Ok(builder.build_async().await?)
}

#[cfg(not(feature = "object-store"))]
pub(crate) fn output(
    url: ObjectUrl,
    _compose: bool,
    _messages: &Messages,
) -> anyhow::Result<Output> {
    Err(unsupported(&url))
}

#[cfg(not(feature = "object-store"))]
pub(crate) async fn list(mut builder: ListingBuilder, output: &Path) -> anyhow::Result<Listing> {
    // The listing reports each object URL as an input it cannot read.
    builder.exclude_output(output);
    Ok(builder.build()?)
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
