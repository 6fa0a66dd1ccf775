//! Port of `test/parallel/test-stream-duplex-end.js`.

use std::future::poll_fn;

use bytes::Bytes;
use smerge::{Duplex, ReadableStream};

use crate::common::doubles::{Feed, Pace, Probe};
use crate::common::events::EventLog;

/// Reads `duplex` to its end and returns its events.
async fn read_to_end(mut duplex: Duplex<Bytes, Bytes>, feed: Feed<Bytes>) -> Vec<String> {
    let log = EventLog::new();
    log.attach(&mut duplex);
    duplex.resume();
    feed.end();
    assert!(poll_fn(|cx| duplex.poll_next_chunk(cx)).await.is_none());
    let entries = log.entries();
    drop(duplex);
    entries
}

/// With `allowHalfOpen` (the default), the end of the readable side leaves
/// the writable side open: no `finish`, no `close`.
#[tokio::test]
async fn test_stream_duplex_end_half_open() {
    let (source, feed) = Feed::new();
    let (sink, _) = Probe::new(Pace::Immediate);
    let stream = Duplex::from_parts(source, sink);
    assert_eq!(read_to_end(stream, feed).await, ["resume", "end"]);
}

/// Without it, the end of the readable side ends the writable side, which
/// finishes; then the stream closes.
#[tokio::test]
async fn test_stream_duplex_end_not_half_open() {
    let (source, feed) = Feed::new();
    let (sink, probe) = Probe::new(Pace::Immediate);
    let stream = Duplex::from_parts(source, sink).allow_half_open(false);
    assert_eq!(
        read_to_end(stream, feed).await,
        ["resume", "end", "prefinish", "finish"]
    );
    assert_eq!(probe.finals(), 1);
}

/// Without half-open, a writable side already ended by the caller is not
/// ended twice: one `finish`.
#[tokio::test]
async fn test_stream_duplex_end_already_ended() {
    let (source, feed) = Feed::new();
    let (sink, probe) = Probe::new(Pace::Immediate);
    let mut stream = Duplex::from_parts(source, sink).allow_half_open(false);
    stream.end().unwrap();
    let entries = read_to_end(stream, feed).await;
    assert_eq!(entries.iter().filter(|e| *e == "finish").count(), 1);
    assert_eq!(probe.finals(), 1);
}
