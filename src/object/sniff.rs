//! The magic numbers of objects: their first bytes, read with small ranged
//! GETs, to tell whether they are compressed already.

use object_store::{GetOptions, GetRange};
use tokio::task::JoinSet;

use super::read_ahead::DEFAULT_GETS_IN_FLIGHT;
use super::store::{Store, key_path};
use super::url::ObjectUrl;
use crate::fs::{EntryKind, Listing};
use crate::transforms::Codec;

/// True when every object of `listing` starts with `codec`'s magic
/// number, as [`Codec::detect`] reads it: the first bytes of each (one
/// ranged GET of at most [`Codec::MAX_MAGIC_LEN`] bytes, for the listed
/// version), several at once, stopping at the first that does not. An
/// object that cannot be read is not compressed here: the merge reports
/// it when it reads it.
pub(crate) async fn all_objects_compressed_with(listing: &Listing, codec: Codec) -> bool {
    let mut objects = listing
        .entries()
        .filter(|entry| entry.kind() == EntryKind::Object);
    let mut sniffing = JoinSet::new();
    loop {
        while sniffing.len() < DEFAULT_GETS_IN_FLIGHT {
            let Some(entry) = objects.next() else { break };
            let Some(url) = ObjectUrl::from_path(entry.path()).ok().flatten() else {
                return false;
            };
            let size = entry.size().unwrap_or(0);
            let etag = entry.etag().map(str::to_owned);
            sniffing.spawn(async move { magic(&url, size, etag).await });
        }
        match sniffing.join_next().await {
            None => return true,
            Some(Ok(Some(found))) if found == codec => {}
            Some(_) => return false,
        }
    }
}

/// The codec whose magic number the object `url` (of `size` bytes, the
/// version `etag`) starts with.
async fn magic(url: &ObjectUrl, size: u64, etag: Option<String>) -> Option<Codec> {
    let length = size.min(Codec::MAX_MAGIC_LEN as u64);
    if length == 0 {
        return None;
    }
    let store = Store::for_url(url).ok()?;
    let options = GetOptions {
        if_match: etag,
        range: Some(GetRange::Bounded(0..length)),
        ..GetOptions::default()
    };
    let got = store
        .client()
        .get_opts(&key_path(url).ok()?, options)
        .await
        .ok()?;
    Codec::detect(&got.bytes().await.ok()?)
}
