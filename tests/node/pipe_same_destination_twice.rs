//! Port of `test/parallel/test-stream-pipe-same-destination-twice.js`.
//!
//! A pipe borrows each destination exclusively, so the same `Writable`
//! cannot be passed twice; the test shares one through [`Shared`], a
//! handle implementing [`WritableStream`] by locking it, which lets one
//! pipe hold two attachments to the same destination, as Node's test does.

use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::Bytes;
use smerge::{Error, PipeOptions, Readable, Result, Writable, WritableStream, pipe_all};
use tokio_test::task;

use crate::common::doubles::{Feed, Pace, Probe, b};
use crate::common::events::EventLog;

/// One of several handles on the same destination.
#[derive(Clone)]
struct Shared(Arc<Mutex<Writable<Bytes>>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Writable<Bytes>> {
        self.0.lock().unwrap()
    }
}

impl WritableStream<Bytes> for Shared {
    fn write(&mut self, chunk: Bytes) -> Result<bool> {
        self.lock().write(chunk)
    }

    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.lock().poll_drain(cx)
    }

    fn end(&mut self) -> Result<()> {
        self.lock().end()
    }

    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.lock().poll_finish(cx)
    }

    fn destroy(&mut self, error: Option<Error>) {
        self.lock().destroy(error);
    }

    fn needs_drain(&self) -> bool {
        self.lock().needs_drain()
    }

    fn is_finished(&self) -> bool {
        self.lock().is_finished()
    }

    fn piped(&mut self, attached: bool) {
        self.lock().piped(attached);
    }

    fn label(&self) -> Option<&str> {
        None
    }
}

/// A destination behind two handles, its probe and its events.
fn destination() -> (Shared, Shared, Probe<Bytes>, EventLog) {
    let (sink, probe) = Probe::new(Pace::Immediate);
    let mut dest = Writable::new(sink);
    let log = EventLog::new();
    log.attach(&mut dest);
    let shared = Shared(Arc::new(Mutex::new(dest)));
    (shared.clone(), shared, probe, log)
}

/// Piped twice into the same destination, then unpiped once: one pipe is
/// left, and the chunk is written once.
#[test]
fn test_stream_pipe_same_destination_twice_unpipe_once() {
    let (source, feed) = Feed::new();
    let mut pass_through = Readable::new(source);
    let (mut first, mut second, probe, log) = destination();
    let mut piping = task::spawn(pipe_all(
        &mut pass_through,
        vec![&mut first as &mut dyn WritableStream<Bytes>, &mut second],
        PipeOptions::default(),
    ));
    assert_eq!(log.entries(), ["pipe", "pipe"]);
    assert!(piping.unpipe(0));
    feed.push(b("foobar"));
    assert!(piping.poll().is_pending());
    assert_eq!(probe.taken(), [b("foobar")]);
    assert_eq!(log.entries(), ["pipe", "pipe", "unpipe"]);
}

/// Piped twice: the chunk is written twice.
#[test]
fn test_stream_pipe_same_destination_twice_writes_twice() {
    let (source, feed) = Feed::new();
    let mut pass_through = Readable::new(source);
    let (mut first, mut second, probe, _log) = destination();
    let mut piping = task::spawn(pipe_all(
        &mut pass_through,
        vec![&mut first as &mut dyn WritableStream<Bytes>, &mut second],
        PipeOptions::default(),
    ));
    feed.push(b("foobar"));
    assert!(piping.poll().is_pending());
    assert_eq!(probe.taken(), [b("foobar"), b("foobar")]);
}

/// Piped twice, unpiped twice: nothing is written.
#[test]
fn test_stream_pipe_same_destination_twice_unpipe_twice() {
    let (source, feed) = Feed::new();
    let mut pass_through = Readable::new(source);
    let (mut first, mut second, probe, log) = destination();
    let mut piping = task::spawn(pipe_all(
        &mut pass_through,
        vec![&mut first as &mut dyn WritableStream<Bytes>, &mut second],
        PipeOptions::default(),
    ));
    assert!(piping.unpipe(0));
    assert!(piping.unpipe(1));
    feed.push(b("foobar"));
    assert!(piping.poll().is_ready());
    assert_eq!(probe.offered(), 0);
    assert_eq!(log.entries(), ["pipe", "pipe", "unpipe", "unpipe"]);
}
