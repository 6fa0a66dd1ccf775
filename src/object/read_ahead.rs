//! [`ReadAhead`]: the objects of a merge read ahead of the writer, with
//! ranged GETs in flight at once, in order, in bounded memory.

use std::collections::VecDeque;
use std::fmt;
use std::ops::Range;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use object_store::{GetOptions, GetRange};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_util::task::AbortOnDropHandle;

use super::store::{Store, key_path, store_error};
use super::url::ObjectUrl;
use crate::Push;
use crate::ReadSource;
use crate::Readable;
use crate::fs::{Entry, EntryKind};
use crate::{Error, ErrorKind, Result};

/// The largest range one GET asks for, by default: 4 MiB.
pub const DEFAULT_RANGE_SIZE: usize = 4 * 1024 * 1024;
/// How many bytes may be fetched ahead of the writer, by default: 16 MiB
/// (four ranges: with the uploads' parts in flight, a streamed S3 to S3
/// merge stays under 128 MiB).
pub const DEFAULT_READ_AHEAD: usize = 16 * 1024 * 1024;
/// How many GETs may be in flight at once, by default.
pub const DEFAULT_GETS_IN_FLIGHT: usize = 16;

/// Reads the objects among a merge's entries ahead of the writer.
///
/// Every object is cut into ranges of at most 4 MiB; a background task asks
/// for them in the merge's order with up to 16 GETs in flight (many small
/// objects are fetched at once, a large one in parallel ranges), while at
/// most 16 MiB wait for the writer. Each GET carries the ETag the listing
/// saw (`If-Match`), so an object replaced during the merge is an error
/// naming it, never a mix of two versions; a connection dropped in the
/// middle of a range is resumed where it stopped, and throttling and server
/// errors are retried with backoff.
///
/// [`open`](ReadAhead::open) gives each object's bytes as a readable, in
/// the order of the entries; opening them out of order is an error. The
/// reading goes on while the read-ahead or one of its readables exists.
///
/// # Examples
///
/// ```no_run
/// use smerge::fs::Listing;
/// use smerge::object::ReadAhead;
/// use smerge::{CollectSink, ReadableExt, Writable};
///
/// # #[tokio::main]
/// # async fn main() -> smerge::Result<()> {
/// let listing = Listing::builder().input("s3://backups/logs/").build_async().await?;
/// let read_ahead = ReadAhead::new(listing.entries());
/// for entry in listing.entries() {
///     let (sink, got) = CollectSink::new();
///     read_ahead.open(&entry)?.pipe(Writable::new(sink)).await?;
///     println!("{}: {} chunks", entry.path().display(), got.len());
/// }
/// # Ok(())
/// # }
/// ```
pub struct ReadAhead {
    shared: Arc<Shared>,
}

/// What the read-ahead and its readers share: the fetched ranges, and the
/// task fetching them, stopped when the last of them is dropped.
struct Shared {
    fetched: Mutex<mpsc::UnboundedReceiver<Fetched>>,
    _producer: AbortOnDropHandle<()>,
}

impl fmt::Debug for ReadAhead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadAhead").finish_non_exhaustive()
    }
}

/// One range of an object, fetched.
struct Fetched {
    index: usize,
    data: Result<Bytes>,
    last: bool,
    /// Its share of the read-ahead budget, given back when the writer takes it.
    _permit: OwnedSemaphorePermit,
}

/// One range of an object to read, with the number its reader asks for.
pub(crate) struct Wanted {
    pub(crate) index: usize,
    pub(crate) url: Result<ObjectUrl>,
    pub(crate) range: Range<u64>,
    pub(crate) etag: Option<String>,
}

impl ReadAhead {
    /// Starts reading the objects among `entries` (the others are left to
    /// their own readers), with the default range size, budget and GETs in
    /// flight. Must be called within a tokio runtime.
    pub fn new<'a>(entries: impl IntoIterator<Item = Entry<'a>>) -> ReadAhead {
        ReadAhead::with_limits(
            entries,
            DEFAULT_RANGE_SIZE,
            DEFAULT_READ_AHEAD,
            DEFAULT_GETS_IN_FLIGHT,
        )
    }

    /// [`new`](ReadAhead::new) with ranges of `range_size` bytes, at most
    /// `budget` bytes fetched ahead (at least one range) and `gets` GETs in
    /// flight.
    pub fn with_limits<'a>(
        entries: impl IntoIterator<Item = Entry<'a>>,
        range_size: usize,
        budget: usize,
        gets: usize,
    ) -> ReadAhead {
        let wanted = entries
            .into_iter()
            .filter(|entry| entry.kind() == EntryKind::Object)
            .map(|entry| Wanted {
                index: entry.index(),
                url: ObjectUrl::from_path(entry.path())
                    .and_then(|url| {
                        url.ok_or_else(|| {
                            Error::new(ErrorKind::InvalidArgument, "not an object URL")
                        })
                    })
                    .map_err(|e| e.reading(entry.path())),
                range: 0..entry.size().unwrap_or(0),
                etag: entry.etag().map(str::to_owned),
            })
            .collect();
        ReadAhead::pieces(wanted, range_size, budget, gets)
    }

    /// Reads `wanted`, in order, each piece for the reader of its index.
    pub(crate) fn pieces(
        wanted: Vec<Wanted>,
        range_size: usize,
        budget: usize,
        gets: usize,
    ) -> ReadAhead {
        let range_size = range_size.clamp(1, u32::MAX as usize);
        let budget = budget.clamp(range_size, u32::MAX as usize);
        let (sender, receiver) = mpsc::unbounded_channel();
        let producer = tokio::spawn(produce(
            wanted,
            sender,
            Arc::new(Semaphore::new(budget)),
            range_size as u64,
            gets.max(1),
        ));
        ReadAhead {
            shared: Arc::new(Shared {
                fetched: Mutex::new(receiver),
                _producer: AbortOnDropHandle::new(producer),
            }),
        }
    }

    /// The bytes of the object `entry`, as a readable named after it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`] if `entry` is not an object.
    pub fn open(&self, entry: &Entry<'_>) -> Result<Readable<Bytes>> {
        if entry.kind() != EntryKind::Object {
            return Err(
                Error::new(ErrorKind::InvalidArgument, "not an object").reading(entry.path())
            );
        }
        Ok(Readable::new(self.reader(entry.index()))
            .named(format!("reading {}", crate::quote(entry.path()))))
    }
}

impl ReadAhead {
    /// The source of the readable of the piece `index`.
    pub(super) fn reader(&self, index: usize) -> ObjectReader {
        ObjectReader {
            shared: Arc::clone(&self.shared),
            index,
        }
    }

    /// Every byte of the piece `index`, in order.
    #[cfg(feature = "s3")]
    pub(crate) async fn read_piece(&self, index: usize) -> Result<Vec<Bytes>> {
        let mut chunks = Vec::new();
        std::future::poll_fn(|cx| {
            let mut fetched = self
                .shared
                .fetched
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            loop {
                match ready!(next_of(&mut fetched, cx, index)) {
                    Err(error) => return Poll::Ready(Err(error)),
                    Ok((bytes, last)) => {
                        if !bytes.is_empty() {
                            chunks.push(bytes);
                        }
                        if last {
                            return Poll::Ready(Ok(()));
                        }
                    }
                }
            }
        })
        .await?;
        Ok(chunks)
    }
}

/// The next range of the piece `index`, and whether it is its last.
fn next_of(
    fetched: &mut mpsc::UnboundedReceiver<Fetched>,
    cx: &mut Context<'_>,
    index: usize,
) -> Poll<Result<(Bytes, bool)>> {
    loop {
        let Some(piece) = ready!(fetched.poll_recv(cx)) else {
            return Poll::Ready(Err(Error::new(
                ErrorKind::Aborted,
                "the read-ahead of the objects stopped",
            )));
        };
        // Ranges of an object whose reader stopped early are skipped.
        if piece.index < index {
            continue;
        }
        if piece.index > index {
            return Poll::Ready(Err(Error::new(
                ErrorKind::InvalidArgument,
                "objects opened out of the order of their entries",
            )));
        }
        return Poll::Ready(piece.data.map(|bytes| (bytes, piece.last)));
    }
}

/// Fetches the ranges of `wanted` in order and sends them, in order.
async fn produce(
    wanted: Vec<Wanted>,
    sender: mpsc::UnboundedSender<Fetched>,
    budget: Arc<Semaphore>,
    range_size: u64,
    gets: usize,
) {
    // Aborted when the reading stops: no GET outlives its read-ahead.
    let mut in_flight: VecDeque<AbortOnDropHandle<Fetched>> = VecDeque::new();
    for object in wanted {
        let object = Arc::new(object);
        let ranges = ranges(object.range.clone(), range_size);
        let count = ranges.len();
        for (i, range) in ranges.into_iter().enumerate() {
            let len = (range.end - range.start) as u32;
            // Wait for room, handing over what arrived meanwhile.
            let permit = loop {
                if in_flight.len() < gets
                    && let Ok(permit) = Arc::clone(&budget).try_acquire_many_owned(len)
                {
                    break permit;
                }
                let room = in_flight.len() < gets;
                let Some(front) = in_flight.front_mut() else {
                    break match Arc::clone(&budget).acquire_many_owned(len).await {
                        Ok(permit) => permit,
                        Err(_) => return,
                    };
                };
                if room {
                    tokio::select! {
                        biased;
                        done = front => {
                            in_flight.pop_front();
                            if !send(&sender, done) { return; }
                        }
                        permit = Arc::clone(&budget).acquire_many_owned(len) => match permit {
                            Ok(permit) => break permit,
                            Err(_) => return,
                        },
                    }
                } else {
                    let done = front.await;
                    in_flight.pop_front();
                    if !send(&sender, done) {
                        return;
                    }
                }
            };
            let object = Arc::clone(&object);
            let last = i + 1 == count;
            in_flight.push_back(AbortOnDropHandle::new(tokio::spawn(async move {
                let data = fetch(&object, range).await;
                Fetched {
                    index: object.index,
                    data,
                    last,
                    _permit: permit,
                }
            })));
        }
    }
    while let Some(front) = in_flight.pop_front() {
        if !send(&sender, front.await) {
            return;
        }
    }
}

/// Sends a fetched range on; false when nobody reads any more.
fn send(
    sender: &mpsc::UnboundedSender<Fetched>,
    done: std::result::Result<Fetched, tokio::task::JoinError>,
) -> bool {
    match done {
        Ok(fetched) => sender.send(fetched).is_ok(),
        // Only cancellation stops a fetch, and then the reader is gone.
        Err(_) => false,
    }
}

/// `range` cut into ranges of at most `range_size` bytes: one empty range
/// for an empty one, so that its reader still hears of its end.
fn ranges(range: Range<u64>, range_size: u64) -> Vec<Range<u64>> {
    if range.is_empty() {
        return vec![range];
    }
    let length = range.end - range.start;
    (0..length.div_ceil(range_size))
        .map(|i| range.start + i * range_size..range.end.min(range.start + (i + 1) * range_size))
        .collect()
}

/// One ranged GET of `object`, for the version the listing saw.
pub(super) async fn fetch(object: &Wanted, range: Range<u64>) -> Result<Bytes> {
    if range.is_empty() {
        return Ok(Bytes::new());
    }
    let url = object.url.as_ref().map_err(Clone::clone)?;
    let reading = |error: Error| error.reading(url.to_string());
    let store = Store::for_url(url).map_err(reading)?;
    let path = key_path(url).map_err(reading)?;
    let options = GetOptions {
        if_match: object.etag.clone(),
        range: Some(GetRange::Bounded(range.clone())),
        ..GetOptions::default()
    };
    let got = store
        .client()
        .get_opts(&path, options)
        .await
        .map_err(|e| reading(store_error(e)))?;
    let bytes = got.bytes().await.map_err(|e| reading(store_error(e)))?;
    if bytes.len() as u64 != range.end - range.start {
        let error = Error::new(
            ErrorKind::InvalidData,
            format!(
                "the object is shorter than listed: {} bytes at offset {} instead of {}",
                bytes.len(),
                range.start,
                range.end - range.start
            ),
        );
        return Err(reading(error));
    }
    Ok(bytes)
}

/// The source of one object's readable: the fetched ranges of its entry.
/// It keeps the read-ahead going while it exists.
pub(super) struct ObjectReader {
    shared: Arc<Shared>,
    index: usize,
}

impl ReadSource<Bytes> for ObjectReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, Bytes>,
    ) -> Poll<Result<()>> {
        let mut fetched = self
            .shared
            .fetched
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (bytes, last) = ready!(next_of(&mut fetched, cx, self.index))?;
        if !bytes.is_empty() {
            out.push(bytes);
        }
        if last {
            out.end();
        }
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_cut_into_ranges() {
        assert_eq!(ranges(0..0, 4), vec![Range { start: 0, end: 0 }]);
        assert_eq!(ranges(0..4, 4), vec![Range { start: 0, end: 4 }]);
        assert_eq!(ranges(0..9, 4), [0..4, 4..8, 8..9]);
        assert_eq!(ranges(3..9, 4), [3..7, 7..9]);
    }
}
