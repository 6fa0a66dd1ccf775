//! Port of `test/parallel/test-stream-writable-destroy.js`.
//!
//! Node's `_destroy(err, cb)` may swallow or replace the error; smerge's
//! [`WriteSink::destroy`](smerge::WriteSink::destroy) hook releases resources and
//! cannot, so those cases have no counterpart, nor have `_undestroy()`
//! and assigning `destroyed` by hand.

use bytes::Bytes;
use smerge::{ErrorKind, Writable};

use crate::common::doubles::{Pace, Probe, b, kaboom};
use crate::common::events::EventLog;

/// `destroy()`: `close`, no `finish`, `destroyed` at once; the sink's
/// destroy hook runs once, without an error.
#[test]
fn test_stream_writable_destroy() {
    let (sink, probe) = Probe::<Bytes>::new(Pace::Immediate);
    let mut write = Writable::new(sink);
    let log = EventLog::new();
    log.attach(&mut write);
    write.destroy(None);
    assert!(write.is_destroyed());
    drop(write);
    assert_eq!(log.entries(), ["close"]);
    assert_eq!(probe.destroyed().len(), 1);
    assert!(probe.destroyed()[0].is_none());
}

/// Node's `Writable.prototype.destroy` errors the queued writes on the
/// next tick (`process.nextTick(errorBuffer, state)`): right after
/// `destroy()`, `writableLength` still counts them; a tick later it does
/// not, and nothing was written.
#[test]
fn test_stream_writable_destroy_keeps_writable_length_until_the_next_tick() {
    let (sink, probe) = Probe::<Bytes>::new(Pace::Held);
    let mut write = Writable::new(sink).with_high_water_mark(100);
    write.write(b("abc")).unwrap();
    write.write(b("de")).unwrap();
    write.destroy(None);
    assert_eq!(write.writable_length(), 5);
    let mut tick = tokio_test::task::spawn(write.drained());
    assert!(tick.poll().is_ready(), "destroyed: nothing to wait for");
    drop(tick);
    assert_eq!(write.writable_length(), 0);
    assert!(probe.taken().is_empty());
}

/// A sink failing inside its write destroys the stream: `error`, no
/// `finish`.
#[tokio::test]
async fn test_stream_writable_destroy_from_write() {
    let (sink, probe) = Probe::new(Pace::Immediate);
    probe.fail_at(1, kaboom("asd"));
    let mut write = Writable::new(sink);
    let log = EventLog::new();
    log.attach(&mut write);
    write.end_with(b("asd")).unwrap();
    assert!(write.finished().await.is_err());
    assert!(write.is_destroyed());
    drop(write);
    assert_eq!(log.entries(), ["error", "close"]);
}

/// `destroy(err)`: `error` with that error, then `close`; no `finish`; the
/// sink's hook gets the error. A second `destroy(err)` does nothing: one
/// `error`, the first one.
#[test]
fn test_stream_writable_destroy_with_error() {
    let (sink, probe) = Probe::<Bytes>::new(Pace::Immediate);
    let mut write = Writable::new(sink);
    let log = EventLog::new();
    log.attach(&mut write);
    write.destroy(Some(kaboom("kaboom 1")));
    write.destroy(Some(kaboom("kaboom 2")));
    assert!(write.is_destroyed());
    assert_eq!(write.errored().unwrap().to_string(), "kaboom 1");
    drop(write);
    assert_eq!(log.entries(), ["error", "close"]);
    assert_eq!(log.errors()[0].to_string(), "kaboom 1");
    let destroyed = probe.destroyed();
    assert_eq!(destroyed.len(), 1);
    assert_eq!(destroyed[0].as_ref().unwrap().to_string(), "kaboom 1");
}

/// A write after `destroy()` fails with Node's `ERR_STREAM_DESTROYED`
/// (and no `error` event); writes queued while corked are dropped by the
/// destroy, never reaching the sink.
#[test]
fn test_stream_writable_destroy_then_write() {
    let (sink, probe) = Probe::new(Pace::Immediate);
    let mut write = Writable::new(sink);
    let log = EventLog::new();
    log.attach(&mut write);
    write.cork();
    write.write(b("asd")).unwrap();
    write.destroy(None);
    assert_eq!(
        write.write(b("asd")).unwrap_err().kind(),
        ErrorKind::Destroyed
    );
    write.uncork();
    drop(write);
    assert_eq!(log.entries(), ["close"]);
    assert_eq!(probe.offered(), 0);
}

/// `end()` after the stream failed and was destroyed reports Node's
/// `ERR_STREAM_DESTROYED`, caused by the stream's own error; after it
/// finished and was destroyed, Node's `ERR_STREAM_ALREADY_FINISHED`.
#[tokio::test]
async fn test_stream_writable_destroy_then_end() {
    let (sink, probe) = Probe::new(Pace::Immediate);
    probe.fail_at(1, kaboom("asd"));
    let mut write = Writable::new(sink);
    write.write(b("asd")).unwrap();
    assert!(write.drained().await.is_err());
    write.destroy(None);
    let refused = write.end().unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Destroyed);
    assert_eq!(format!("{refused:#}"), "the stream was destroyed: asd");

    let (sink, _) = Probe::<Bytes>::new(Pace::Immediate);
    let mut write = Writable::new(sink);
    write.close().await.unwrap();
    write.destroy(None);
    assert_eq!(write.end().unwrap_err().kind(), ErrorKind::AlreadyFinished);
}

/// `end(chunk)` then `destroy(err)` while the chunk is being written:
/// waiting for the finish reports that error, emitted once.
#[tokio::test]
async fn test_stream_writable_destroy_while_ending() {
    let (sink, _) = Probe::new(Pace::Held);
    let mut write = Writable::new(sink);
    let log = EventLog::new();
    log.attach(&mut write);
    write.end_with(b("asd")).unwrap();
    write.destroy(Some(kaboom("asd")));
    assert_eq!(write.finished().await.unwrap_err().to_string(), "asd");
    drop(write);
    assert_eq!(log.entries(), ["error", "close"]);
}
