//! One object read on its own: how the merges that read their inputs'
//! content (format joins, time-ordered interleaves, seekable bundles) read
//! an object, one after the other or many at once.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;

use super::read_ahead::{
    DEFAULT_GETS_IN_FLIGHT, DEFAULT_RANGE_SIZE, DEFAULT_READ_AHEAD, ObjectReader, ReadAhead,
    Wanted, fetch,
};
use super::url::ObjectUrl;
use crate::fs::{Entry, EntryKind};
use crate::{Error, ErrorKind, Push, ReadSource, Readable, Result};

/// The first range of an object read on its own, fetched alone before any
/// read-ahead starts: enough for a header or the first records, so that a
/// merge that only peeks at an input (a CSV header) costs one small GET.
const HEAD: u64 = 64 * 1024;

/// The smallest read-ahead of an object among many read at once.
const MIN_READ_AHEAD: usize = 256 * 1024;

/// The bytes of the object `entry`, as a readable named after it.
///
/// The first 64 KiB are one GET; once they are read, the rest of the
/// object is read ahead by at most `budget` bytes (clamped to 256 KiB–32
/// MiB), in ranges of at most 4 MiB with at least two in flight. Every GET
/// asks for the version the listing saw (`If-Match` with its ETag), so an
/// object replaced during the merge is an error naming it. Nothing is
/// fetched before the readable is first read; dropping it stops the
/// reading. Must be read within a tokio runtime.
///
/// # Errors
///
/// [`ErrorKind::InvalidArgument`] if `entry` is not an object.
pub(crate) fn read_one(entry: &Entry<'_>, budget: usize) -> Result<Readable<Bytes>> {
    let path = entry.path();
    let url = match ObjectUrl::from_path(path) {
        Ok(Some(url)) if entry.kind() == EntryKind::Object => url,
        Ok(_) => {
            return Err(Error::new(ErrorKind::InvalidArgument, "not an object").reading(path));
        }
        Err(error) => return Err(error.reading(path)),
    };
    let size = entry.size().unwrap_or(0);
    let head_end = size.min(HEAD);
    let etag = entry.etag().map(str::to_owned);
    let head = Wanted {
        index: 0,
        url: Ok(url.clone()),
        range: 0..head_end,
        etag: etag.clone(),
    };
    let rest = (head_end < size).then(|| Wanted {
        index: 0,
        url: Ok(url),
        range: head_end..size,
        etag,
    });
    let source = OneObject {
        head: Some(Box::pin(
            async move { fetch(&head, head.range.clone()).await },
        )),
        rest,
        limits: Limits::within(budget),
        reader: None,
    };
    Ok(Readable::new(source).named(format!("reading {}", crate::quote(path))))
}

/// The range size, budget and GETs in flight of one object's read-ahead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Limits {
    range_size: usize,
    budget: usize,
    gets: usize,
}

impl Limits {
    /// The limits for a read-ahead of at most `budget` bytes: at least two
    /// ranges of it in flight, so one is fetched while the other is read.
    fn within(budget: usize) -> Limits {
        let budget = budget.clamp(MIN_READ_AHEAD, DEFAULT_READ_AHEAD);
        let range_size = (budget / 2).min(DEFAULT_RANGE_SIZE);
        Limits {
            range_size,
            budget,
            gets: (budget / range_size).min(DEFAULT_GETS_IN_FLIGHT),
        }
    }
}

/// The source of [`read_one`]'s readable: its head, then a read-ahead of
/// the rest, started when the head was read.
struct OneObject {
    head: Option<Pin<Box<dyn Future<Output = Result<Bytes>> + Send>>>,
    rest: Option<Wanted>,
    limits: Limits,
    reader: Option<ObjectReader>,
}

impl ReadSource<Bytes> for OneObject {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, Bytes>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        if let Some(head) = &mut this.head {
            let bytes = ready!(head.as_mut().poll(cx))?;
            this.head = None;
            if !bytes.is_empty() {
                out.push(bytes);
            }
            match this.rest.take() {
                Some(rest) => {
                    let Limits {
                        range_size,
                        budget,
                        gets,
                    } = this.limits;
                    // The read-ahead's task stops when its last reader is dropped.
                    let read_ahead = ReadAhead::pieces(vec![rest], range_size, budget, gets);
                    this.reader = Some(read_ahead.reader(0));
                }
                None => out.end(),
            }
            return Poll::Ready(Ok(()));
        }
        match &mut this.reader {
            Some(reader) => Pin::new(reader).poll_read(cx, out),
            None => {
                out.end();
                Poll::Ready(Ok(()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_ahead_keeps_two_ranges_in_flight_within_its_budget() {
        let mib = 1024 * 1024;
        let limits = |budget| Limits::within(budget);
        assert_eq!(
            limits(DEFAULT_READ_AHEAD),
            Limits {
                range_size: 4 * mib,
                budget: 16 * mib,
                gets: 4
            }
        );
        assert_eq!(
            limits(0),
            Limits {
                range_size: 128 * 1024,
                budget: 256 * 1024,
                gets: 2
            }
        );
        assert_eq!(limits(usize::MAX).budget, 16 * mib);
        for budget in [0, 1, 300 * 1024, 3 * mib, 9 * mib + 1, 64 * mib] {
            let Limits {
                range_size,
                budget,
                gets,
            } = limits(budget);
            assert!(gets >= 2, "{budget}");
            assert!(range_size * gets <= budget, "{budget}");
        }
    }
}
