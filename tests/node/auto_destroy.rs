//! Port of `test/parallel/test-stream-auto-destroy.js`.
//!
//! Node's auto-destroy calls `_destroy` after a normal end too; smerge
//! calls a source's or sink's `destroy` hook only when the stream is
//! destroyed before its end, and releases them by dropping them otherwise.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use smerge::{Duplex, PipeOptions, Readable, Writable, finished, pipe};

use crate::common::doubles::{Pace, Probe, b, kaboom};
use crate::common::events::EventLog;

/// Tells when it is dropped.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A readable that pushed its end: `end`, then `close`; its source is
/// released as soon as it ended.
#[tokio::test]
async fn test_stream_auto_destroy_readable() {
    let released = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(Arc::clone(&released));
    let items = [b("hello"), b("world")].into_iter().inspect(move |_| {
        let _ = &flag;
    });
    let mut r = Readable::from_iter(items);
    let log = EventLog::new();
    log.attach(&mut r);
    r.resume();
    finished(&mut r).await.unwrap();
    assert!(released.load(Ordering::SeqCst));
    drop(r);
    assert_eq!(log.entries(), ["resume", "data", "data", "end", "close"]);
}

/// A writable: `finish`, then `close`.
#[tokio::test]
async fn test_stream_auto_destroy_writable() {
    let (sink, probe) = Probe::new(Pace::Immediate);
    let mut w = Writable::new(sink);
    let log = EventLog::new();
    log.attach(&mut w);
    w.write(b("hello")).unwrap();
    w.write(b("world")).unwrap();
    w.end().unwrap();
    finished(&mut w).await.unwrap();
    drop(w);
    assert_eq!(log.entries(), ["prefinish", "finish", "close"]);
    assert!(probe.destroyed().is_empty());
}

/// A transform: `close` only after both `end` and `finish`.
#[tokio::test]
async fn test_stream_auto_destroy_transform() {
    let mut t = Duplex::<Bytes, Bytes>::pass_through();
    let log = EventLog::new();
    log.attach(&mut t);
    t.write(b("hello")).unwrap();
    t.write(b("world")).unwrap();
    t.end().unwrap();
    t.resume();
    finished(&mut t).await.unwrap();
    drop(t);
    let entries = log.entries();
    assert_eq!(entries.last().unwrap(), "close");
    let close = entries.len() - 1;
    assert!(entries.iter().position(|e| e == "end").unwrap() < close);
    assert!(entries.iter().position(|e| e == "finish").unwrap() < close);
    assert_eq!(log.count("close"), 1);
}

/// A pipe destination destroyed with an error (here by its own sink, the
/// only one that can reach it while piped): `error`, its destroy hook
/// with the error, `close`.
#[tokio::test]
async fn test_stream_auto_destroy_pipe_destination() {
    let mut r = Readable::from_iter([b("x")]);
    let (sink, probe) = Probe::new(Pace::Immediate);
    probe.fail_at(1, kaboom("fail"));
    let mut w = Writable::new(sink);
    let log = EventLog::new();
    log.attach(&mut w);
    assert!(pipe(&mut r, &mut w, PipeOptions::default()).await.is_err());
    drop(w);
    assert_eq!(log.entries(), ["pipe", "unpipe", "error", "close"]);
    let destroyed = probe.destroyed();
    assert_eq!(destroyed.len(), 1);
    assert_eq!(destroyed[0].as_ref().unwrap().to_string(), "fail");
}
