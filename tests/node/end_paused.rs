//! Port of `test/parallel/test-stream-end-paused.js`.

use std::future::poll_fn;
use std::task::Poll;

use smerge::{Readable, ReadableStream};
use tokio_test::task;

use crate::common::doubles::Feed;
use crate::common::events::EventLog;

/// A paused stream of no data still emits `end` once resumed and read,
/// without any `data`, and its source is asked once.
///
/// `pause()` and `resume()` only change the flow state: a smerge stream
/// moves when it is polled, so "resumed" is followed by reading it.
#[test]
fn test_stream_end_paused() {
    let (source, feed) = Feed::<u32>::new();
    let mut stream = Readable::new(source);
    let log = EventLog::new();
    log.attach(&mut stream);
    stream.pause();
    stream.resume();
    let mut next = task::spawn(poll_fn(|cx| stream.poll_next_chunk(cx)));
    assert!(next.poll().is_pending());
    feed.end();
    assert!(next.is_woken());
    assert!(matches!(next.poll(), Poll::Ready(None)));
    drop(next);
    assert_eq!(feed.requests(), 1);
    drop(stream);
    assert_eq!(log.entries(), ["pause", "resume", "end", "close"]);
}
