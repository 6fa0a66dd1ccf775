//! Port of `test/parallel/test-stream-readable-setEncoding-existing-buffers.js`:
//! Node's `setEncoding('utf8')` is [`Readable::into_text`].

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use smerge::{Push, ReadSource, Readable, ReadableExt, Result};

use crate::common::doubles::Feed;
use crate::common::events::{EventLog, noop_cx};

/// A byte readable whose feed already handed over `pieces`: Node's
/// `r.push(...)` calls before `setEncoding`.
fn buffered(pieces: &[&[u8]]) -> (Readable<Bytes>, Feed<Bytes>) {
    let (source, feed) = Feed::new();
    for piece in pieces {
        feed.push(Bytes::copy_from_slice(piece));
    }
    let mut r = Readable::new(source);
    assert!(r.poll_readable(&mut noop_cx()).is_ready());
    (r, feed)
}

/// Bytes buffered before the switch become one text chunk.
#[tokio::test]
async fn test_stream_readable_set_encoding_existing_buffers() {
    let (r, feed) = buffered(&[b"a", b"b"]);
    let mut r = r.into_text();
    let log = EventLog::new();
    log.attach(&mut r);
    feed.end();
    assert_eq!(r.collect_vec().await.unwrap(), ["ab"]);
    assert_eq!(log.entries(), ["data", "end", "close"]);
}

/// A complete character buffered in four pieces becomes one character,
/// in one chunk.
#[tokio::test]
async fn test_stream_readable_set_encoding_chunked_character() {
    let (r, feed) = buffered(&[&[0xf0], &[0x9f], &[0x8e], &[0x89]]);
    let r = r.into_text();
    feed.end();
    assert_eq!(r.collect_vec().await.unwrap(), ["🎉"]);
}

/// An incomplete character buffered before the switch is completed by
/// the bytes pushed after it.
#[tokio::test]
async fn test_stream_readable_set_encoding_incomplete_character() {
    let (r, feed) = buffered(&[&[0xf0], &[0x9f]]);
    let r = r.into_text();
    feed.push(Bytes::from_static(&[0x8e]));
    feed.push(Bytes::from_static(&[0x89]));
    feed.end();
    assert_eq!(r.collect_vec().await.unwrap(), ["🎉"]);
}

/// A source that pushes one piece per read request, the next request
/// being answered on the next tick.
struct OnePiecePerTick {
    pieces: Vec<Option<Bytes>>,
    waiting: bool,
}

impl ReadSource<Bytes> for OnePiecePerTick {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, Bytes>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        if this.waiting {
            this.waiting = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        this.waiting = true;
        match this.pieces.remove(0) {
            Some(piece) => out.push(piece),
            None => {
                out.end();
                false
            }
        };
        Poll::Ready(Ok(()))
    }
}

/// The switch after the source buffered the first half of a character
/// (Node's `read(0)`): the text holds nothing yet, and the character comes
/// out whole.
///
/// Node checks `readableFlowing === null` after `read(0)`; waiting for
/// `readable` here pauses the stream, so it is `Some(false)`.
#[tokio::test]
async fn test_stream_readable_set_encoding_before_flowing() {
    let mut r = Readable::new(OnePiecePerTick {
        pieces: vec![
            Some(Bytes::from_static(&[0xf0, 0x9f])),
            Some(Bytes::from_static(&[0x8e, 0x89])),
            None,
        ],
        waiting: false,
    });
    assert!(r.poll_readable(&mut noop_cx()).is_ready());
    assert_eq!(r.readable_length(), 2);
    let r = r.into_text();
    assert_eq!(r.readable_length(), 0);
    assert_eq!(r.collect_vec().await.unwrap(), ["🎉"]);
}

/// The switch after the end, with an incomplete character buffered: it
/// becomes U+FFFD.
#[tokio::test]
async fn test_stream_readable_set_encoding_after_eof() {
    let (source, feed) = Feed::new();
    feed.push(Bytes::from_static(&[0xf0]));
    feed.push(Bytes::from_static(&[0x9f]));
    feed.end();
    let mut r = Readable::new(source);
    assert!(r.poll_readable(&mut noop_cx()).is_ready());
    let mut r = r.into_text();
    let log = EventLog::new();
    log.attach(&mut r);
    assert_eq!(r.read(), Some("\u{FFFD}".to_owned()));
    assert_eq!(r.read(), None);
    r.tick();
    assert_eq!(log.entries(), ["data", "end", "close"]);
}

/// Observers registered before the switch keep receiving the events.
#[tokio::test]
async fn test_stream_readable_set_encoding_keeps_observers() {
    let (source, feed) = Feed::new();
    let mut r = Readable::new(source);
    let log = EventLog::new();
    log.attach(&mut r);
    feed.push(Bytes::from_static(b"caf\xc3"));
    feed.push(Bytes::from_static(b"\xa9"));
    feed.end();
    let r = r.into_text();
    assert_eq!(r.collect_vec().await.unwrap(), ["caf", "é"]);
    assert_eq!(log.entries(), ["data", "data", "end", "close"]);
}
