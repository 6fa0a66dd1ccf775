//! Port of `test/parallel/test-stream-writable-end-cb-error.js`.
//!
//! Node's `end(cb)` callbacks become the result of awaiting
//! [`Writable::finished`] (the callback's error) and the result of `end()`
//! itself (an error Node hands to a callback on the next tick).

use bytes::Bytes;
use smerge::{ErrorKind, Writable};

use crate::common::doubles::{Pace, Probe, b, kaboom};
use crate::common::events::EventLog;

/// A write failing after `end()`: waiting for the finish gets the error,
/// and again on a second wait; a later `end()` fails with Node's
/// `ERR_STREAM_DESTROYED`, caused by the stream's own error; `error` is
/// emitted once.
#[tokio::test]
async fn test_stream_writable_end_cb_error_on_failure() {
    let (sink, probe) = Probe::<Bytes>::new(Pace::NextTick);
    probe.fail_at(1, kaboom("kaboom"));
    let mut writable = Writable::new(sink);
    let log = EventLog::new();
    log.attach(&mut writable);
    writable.write(b("asd")).unwrap();
    writable.end().unwrap();
    let error = writable.finished().await.unwrap_err();
    assert_eq!(error.to_string(), "kaboom");
    let error = writable.finished().await.unwrap_err();
    assert_eq!(error.to_string(), "kaboom");
    let refused = writable.end().unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Destroyed);
    assert_eq!(format!("{refused:#}"), "the stream was destroyed: kaboom");
    drop(writable);
    assert_eq!(log.entries(), ["error", "close"]);
}

/// The finish is reported once, without error; waiting again after it
/// returns at once.
#[tokio::test]
async fn test_stream_writable_end_cb_error_not_twice() {
    let (sink, _) = Probe::new(Pace::NextTick);
    let mut writable = Writable::new(sink);
    let log = EventLog::new();
    log.attach(&mut writable);
    writable.end_with(b("asd")).unwrap();
    writable.finished().await.unwrap();
    writable.finished().await.unwrap();
    assert_eq!(log.count("finish"), 1);
}

/// `end(chunk)`, `end()`, then `end(chunk)` again while the first write is
/// still in progress: the first two are accepted and leave the stream
/// ended but not destroyed; the third is a write after end, which destroys
/// the stream with that error. `finish` never comes, and waiting for it
/// reports the error.
#[tokio::test]
async fn test_stream_writable_end_cb_error_write_after_end() {
    let (sink, _) = Probe::new(Pace::NextTick);
    let mut w = Writable::new(sink);
    let log = EventLog::new();
    log.attach(&mut w);
    w.end_with(b("testing ended state")).unwrap();
    assert!(!w.is_destroyed());
    assert!(w.is_ended());
    w.end().unwrap();
    assert!(!w.is_destroyed());
    assert!(w.is_ended());
    let error = w.end_with(b("end")).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::WriteAfterEnd);
    assert!(w.is_destroyed());
    let error = w.finished().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::WriteAfterEnd);
    drop(w);
    assert_eq!(log.entries(), ["error", "close"]);
    assert_eq!(log.errors()[0].kind(), ErrorKind::WriteAfterEnd);
}
