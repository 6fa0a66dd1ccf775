//! Port of `test/parallel/test-stream-writable-finished.js`.

use bytes::Bytes;
use smerge::{Writable, WritableStream};

use crate::common::doubles::{Pace, Probe, b};
use crate::common::events::{EventLog, noop_cx};

/// `is_finished()` (Node's `writableFinished`) is false while writing and
/// true once `finish` was emitted and the finish future resolved.
#[tokio::test]
async fn test_stream_writable_finished() {
    let (sink, probe) = Probe::new(Pace::Held);
    let mut writable = Writable::new(sink);
    writable.end_with(b("testing finished state")).unwrap();
    assert!(writable.poll_finish(&mut noop_cx()).is_pending());
    assert_eq!(probe.offered(), 1);
    assert!(!writable.is_finished());
    probe.release(1);
    writable.finished().await.unwrap();
    assert!(writable.is_finished());
}

/// `finish` is asynchronous: an observer registered after `end()` still
/// sees it, because it is emitted when the stream is next driven
/// (`prefinish` came inside `end()`, as in Node).
#[tokio::test]
async fn test_stream_writable_finished_emitted_later() {
    let (sink, _) = Probe::<Bytes>::new(Pace::Immediate);
    let mut w = Writable::new(sink);
    w.end().unwrap();
    let log = EventLog::new();
    log.attach(&mut w);
    w.finished().await.unwrap();
    assert_eq!(log.entries(), ["finish"]);
}
