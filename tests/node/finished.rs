//! Port of `test/parallel/test-stream-finished.js`.
//!
//! smerge's [`finished`] drives the stream it waits for (a readable side is
//! read and its data dropped, as Node's `resume()` would), so Node's cases
//! that wait for a stream nobody reads, and its `readable: false` /
//! `writable: false` options, have no counterpart; nor have the cleanup
//! function (dropping the future is the cleanup), `emitClose: false`,
//! `autoDestroy: false` and hand-emitted `'close'` events.

use bytes::Bytes;
use smerge::{Duplex, ErrorKind, PassThrough, Readable, Writable, finished};
use tokio_test::task;

use crate::common::doubles::{Feed, Pace, Probe, b};
use crate::common::events::EventLog;

/// A readable read to its end, a writable ended, a transform ended and
/// read: each finishes without error, the transform after both `end` and
/// `finish`.
#[tokio::test]
async fn test_stream_finished() {
    let (source, feed) = Feed::<Bytes>::new();
    let mut rs = Readable::new(source);
    feed.end();
    rs.resume();
    finished(&mut rs).await.unwrap();

    let (sink, _) = Probe::<Bytes>::new(Pace::Immediate);
    let mut ws = Writable::new(sink);
    ws.end().unwrap();
    finished(&mut ws).await.unwrap();

    let mut tr = Duplex::transform(PassThrough::<Bytes>::new());
    let log = EventLog::new();
    log.attach(&mut tr);
    tr.end().unwrap();
    tr.resume();
    finished(&mut tr).await.unwrap();
    assert_eq!(log.count("finish"), 1);
    assert_eq!(log.count("end"), 1);
}

/// A file read to its end finishes; one that cannot be opened is an
/// error before there is a stream.
#[tokio::test]
async fn test_stream_finished_file() {
    let file = tokio::fs::File::open(file!()).await.unwrap();
    let mut rs = Readable::from_reader(file);
    let log = EventLog::new();
    log.attach(&mut rs);
    finished(&mut rs).await.unwrap();
    assert_eq!(log.count("end"), 1);
    assert!(tokio::fs::File::open("file-does-not-exist").await.is_err());
}

/// Waiting is cancelled by dropping the future: the stream is untouched
/// and can still be waited for.
#[tokio::test]
async fn test_stream_finished_cancelled() {
    let (source, feed) = Feed::<Bytes>::new();
    let mut rs = Readable::new(source);
    {
        let mut waiting = task::spawn(finished(&mut rs));
        assert!(waiting.poll().is_pending());
    }
    assert!(!rs.is_destroyed());
    feed.end();
    finished(&mut rs).await.unwrap();
}

/// Streams destroyed before their end — readable, writable, a writable
/// destroyed after `end(chunk)` while the chunk was being written, a
/// readable destroyed with data and its end buffered — report a premature
/// close.
#[tokio::test]
async fn test_stream_finished_premature_close() {
    let (sink, _) = Probe::<Bytes>::new(Pace::Immediate);
    let mut writable = Writable::new(sink);
    writable.destroy(None);
    let error = finished(&mut writable).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::PrematureClose);

    let (source, _feed) = Feed::<Bytes>::new();
    let mut readable = Readable::new(source);
    readable.destroy(None);
    let error = finished(&mut readable).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::PrematureClose);

    let (sink, _) = Probe::new(Pace::Held);
    let mut w = Writable::new(sink);
    w.end_with(b("asd")).unwrap();
    w.destroy(None);
    let error = finished(&mut w).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::PrematureClose);

    let (source, feed) = Feed::new();
    feed.push(b("asd"));
    feed.end();
    let mut r = Readable::new(source);
    assert!(r.readable().await.is_ok());
    r.destroy(None);
    let error = finished(&mut r).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::PrematureClose);
}

/// A stream that already finished or ended reports success at once, and
/// again when asked again.
#[tokio::test]
async fn test_stream_finished_already_done() {
    let (sink, _) = Probe::new(Pace::Immediate);
    let mut w = Writable::new(sink);
    w.end_with(b("asd")).unwrap();
    w.finished().await.unwrap();
    finished(&mut w).await.unwrap();
    finished(&mut w).await.unwrap();

    let mut r = Readable::from_iter([b("asd")]);
    assert_eq!(r.read(), Some(b("asd")));
    assert_eq!(r.read(), None);
    r.tick();
    assert!(r.is_ended());
    finished(&mut r).await.unwrap();
}

/// A stream that failed reports its error.
#[tokio::test]
async fn test_stream_finished_error() {
    let (sink, probe) = Probe::new(Pace::Immediate);
    probe.fail_at(1, crate::common::doubles::kaboom("kaboom"));
    let mut w = Writable::new(sink);
    w.write(b("asd")).unwrap();
    w.end().unwrap();
    let error = finished(&mut w).await.unwrap_err();
    assert_eq!(error.to_string(), "kaboom");
}
