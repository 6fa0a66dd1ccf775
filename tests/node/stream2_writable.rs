//! Ports of `test/parallel/test-stream2-writable.js`.
//!
//! Node's `TestWriter` calls back after a random delay of up to 10 ms; here
//! the sink answers `Pending` once per chunk and wakes itself
//! ([`Pace::NextTick`]), which exercises the same queued-while-writing
//! paths without timers. Node's per-write callbacks have no counterpart
//! (`write` returns a `Result<bool>`); what they checked — that `finish`
//! never comes before the last chunk was taken — is checked on the sink.

use bytes::Bytes;
use smerge::{ErrorKind, Writable};
use tokio_test::task;

use crate::common::doubles::{Pace, Probe, b};
use crate::common::events::EventLog;

/// `'x'.repeat(i)` for `i` in `0..50`, as in the Node test.
fn chunks() -> Vec<Bytes> {
    (0..50).map(|i| Bytes::from("x".repeat(i))).collect()
}

/// "Verify fast writing": every chunk written at once, ignoring
/// backpressure, arrives in order.
#[tokio::test]
async fn test_stream2_writable_fast_writing() {
    let (sink, probe) = Probe::new(Pace::NextTick);
    let mut tw = Writable::new(sink).with_high_water_mark(100);
    for chunk in chunks() {
        tw.write(chunk).unwrap();
    }
    tw.end().unwrap();
    tw.finished().await.unwrap();
    assert_eq!(probe.taken(), chunks());
}

/// "Verify slow writing": one chunk per tick; the writer is driven between
/// writes (Node's `setTimeout(W, 10)`), so each chunk is taken before the next.
#[tokio::test]
async fn test_stream2_writable_slow_writing() {
    let (sink, probe) = Probe::new(Pace::NextTick);
    let mut tw = Writable::new(sink).with_high_water_mark(100);
    for (i, chunk) in chunks().into_iter().enumerate() {
        tw.write(chunk).unwrap();
        tw.drained().await.unwrap();
        assert_eq!(probe.taken_count(), i + 1);
    }
    tw.close().await.unwrap();
    assert_eq!(probe.taken(), chunks());
}

/// "Verify write backpressure": with a highWaterMark of 50, `write` returns
/// `false` exactly when the queue holds 50 bytes or more, and waiting for
/// `drain` after each `false` takes exactly 17 drains.
#[tokio::test]
async fn test_stream2_writable_write_backpressure() {
    let (sink, probe) = Probe::new(Pace::NextTick);
    let mut tw = Writable::new(sink).with_high_water_mark(50);
    let log = EventLog::new();
    log.attach(&mut tw);
    let mut pending = chunks().into_iter().peekable();
    while pending.peek().is_some() {
        let mut below = true;
        while below && let Some(chunk) = pending.next() {
            below = tw.write(chunk).unwrap();
            assert_eq!(below, tw.writable_length() < 50);
        }
        if pending.peek().is_some() {
            assert!(tw.writable_length() >= 50);
            tw.drained().await.unwrap();
        }
    }
    tw.end().unwrap();
    tw.finished().await.unwrap();
    assert_eq!(probe.taken(), chunks());
    assert_eq!(log.count("drain"), 17);
}

/// "Verify end() callback" and its variants: `end()` alone, `end(chunk)`,
/// and `end()` after a `write()` all finish; the finish future plays the
/// end callback's part.
#[tokio::test]
async fn test_stream2_writable_end_callback() {
    let (sink, _) = Probe::<Bytes>::new(Pace::NextTick);
    let mut tw = Writable::new(sink);
    tw.end().unwrap();
    tw.finished().await.unwrap();

    let (sink, probe) = Probe::new(Pace::NextTick);
    let mut tw = Writable::new(sink);
    tw.end_with(b("hello world")).unwrap();
    tw.finished().await.unwrap();
    assert_eq!(probe.taken(), [b("hello world")]);

    let (sink, probe) = Probe::new(Pace::NextTick);
    let mut tw = Writable::new(sink);
    tw.write(b("hello world")).unwrap();
    tw.end().unwrap();
    tw.finished().await.unwrap();
    assert_eq!(probe.taken(), [b("hello world")]);
}

/// "Verify that end(chunk) twice is an error": the second `end(chunk)` is
/// a write after end, reported with Node's message, and the stream is
/// destroyed with it: `error` then `close`, on the next tick. The first
/// chunk reached the sink inside `write()`, and the first `end()` emitted
/// `prefinish`; the destroyed stream never finishes.
#[test]
fn test_stream2_writable_end_chunk_twice_is_an_error() {
    let (sink, probe) = Probe::new(Pace::Immediate);
    let mut w = Writable::new(sink);
    let log = EventLog::new();
    log.attach(&mut w);
    w.end_with(b("this is the end")).unwrap();
    assert_eq!(probe.taken(), [b("this is the end")]);
    let error = w.end_with(b("and so is this")).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::WriteAfterEnd);
    assert_eq!(error.to_string(), "write after end");
    assert_eq!(
        log.entries(),
        ["prefinish"],
        "error waits for the next tick"
    );
    drop(w);
    assert_eq!(log.entries(), ["prefinish", "error", "close"]);
    assert_eq!(log.errors()[0].kind(), ErrorKind::WriteAfterEnd);
    assert_eq!(probe.taken(), [b("this is the end")]);
}

/// "Verify stream doesn't end while writing" and "finish does not come
/// before write() callback": while the sink holds the (empty) chunk,
/// `end()` does not finish the stream.
#[test]
fn test_stream2_writable_no_finish_while_writing() {
    let (sink, probe) = Probe::new(Pace::Held);
    let log = EventLog::new();
    let mut w = Writable::new(sink);
    log.attach(&mut w);
    w.write(Bytes::new()).unwrap();
    w.end().unwrap();
    let mut finish = task::spawn(w.finished());
    assert!(finish.poll().is_pending());
    assert!(finish.poll().is_pending());
    assert_eq!(probe.offered(), 1);
    assert!(log.entries().is_empty());
    probe.release(1);
    assert!(finish.is_woken());
    assert!(finish.poll().is_ready());
    drop(finish);
    assert_eq!(probe.taken(), [Bytes::new()]);
    assert_eq!(log.entries(), ["prefinish", "finish"]);
    drop(w);
    assert_eq!(log.entries(), ["prefinish", "finish", "close"]);
}

/// "Verify finish does not come before synchronous _write() callback".
#[tokio::test]
async fn test_stream2_writable_finish_after_synchronous_write() {
    let (sink, probe) = Probe::new(Pace::Immediate);
    let mut w = Writable::new(sink);
    w.write(Bytes::new()).unwrap();
    w.end().unwrap();
    w.finished().await.unwrap();
    assert_eq!(probe.taken_count(), 1);
    assert!(w.is_finished());
}

/// "Verify finish is emitted if the last chunk is empty", with a test sink
/// and with an `AsyncWrite`, which must not mistake an empty chunk for a
/// writer that stopped accepting bytes.
#[tokio::test]
async fn test_stream2_writable_finish_with_empty_last_chunk() {
    let (sink, probe) = Probe::new(Pace::NextTick);
    let mut w = Writable::new(sink);
    w.write(Bytes::from_static(b"x")).unwrap();
    w.end_with(Bytes::new()).unwrap();
    w.finished().await.unwrap();
    assert_eq!(probe.taken(), [b("x"), Bytes::new()]);

    let mut w = Writable::from_writer(Vec::new());
    w.write(Bytes::from_static(b"x")).unwrap();
    w.end_with(Bytes::new()).unwrap();
    w.finished().await.unwrap();
    assert!(w.is_finished());
}

/// "Verify that finish is emitted after shutdown": `finish` waits for the
/// sink's final hook (`_final`).
#[test]
fn test_stream2_writable_finish_after_shutdown() {
    let log = EventLog::new();
    let (sink, probe) = Probe::new(Pace::NextTick);
    let probe = probe.hold_final().logging(&log);
    let mut w = Writable::new(sink);
    log.attach(&mut w);
    w.write(Bytes::from_static(b"x")).unwrap();
    w.end_with(Bytes::new()).unwrap();
    let mut finish = task::spawn(w.finished());
    for _ in 0..4 {
        assert!(finish.poll().is_pending());
    }
    assert_eq!(probe.finals(), 0);
    probe.release_final();
    assert!(finish.poll().is_ready());
    drop(finish);
    drop(w);
    assert_eq!(
        log.entries(),
        [
            "_write:1",
            "_write:2",
            "_final",
            "prefinish",
            "finish",
            "close"
        ]
    );
}
