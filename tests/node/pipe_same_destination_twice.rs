//! Port of `test/parallel/test-stream-pipe-same-destination-twice.js`.
//!
//! A pipe borrows each destination exclusively, so the same `Writable`
//! cannot be passed twice: the borrow checker rules out what Node's test
//! does. The port puts two writables in front of one destination (each
//! writes into it through a [`SharedSink`]) and logs both writables'
//! events as the destination's, so one pipe holds two attachments that
//! reach the same place.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use smerge::{
    PipeOptions, Readable, Result, Writable, WritableStream, WriteQueue, WriteSink, pipe_all,
};
use tokio_test::task;

use crate::common::doubles::{Feed, Pace, Probe, b};
use crate::common::events::EventLog;

/// A sink that writes into a destination shared with other writables.
struct SharedSink(Arc<Mutex<Writable<Bytes>>>);

impl WriteSink<Bytes> for SharedSink {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<Bytes>,
    ) -> Poll<Result<()>> {
        let mut destination = self.0.lock().unwrap();
        for chunk in queue.drain() {
            destination.write(chunk)?;
        }
        match destination.poll_drain(cx) {
            Poll::Ready(result) => Poll::Ready(result),
            // Taken: the shared destination holds it now.
            Poll::Pending => Poll::Ready(Ok(())),
        }
    }
}

/// Two writables in front of one destination, its probe, and the events
/// of both (as if they were the destination's own).
fn destination() -> (Writable<Bytes>, Writable<Bytes>, Probe<Bytes>, EventLog) {
    let (sink, probe) = Probe::new(Pace::Immediate);
    let shared = Arc::new(Mutex::new(Writable::new(sink)));
    let log = EventLog::new();
    let mut first = Writable::new(SharedSink(Arc::clone(&shared)));
    let mut second = Writable::new(SharedSink(shared));
    log.attach(&mut first);
    log.attach(&mut second);
    (first, second, probe, log)
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
        vec![
            &mut first as &mut dyn WritableStream<Input = Bytes>,
            &mut second,
        ],
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
        vec![
            &mut first as &mut dyn WritableStream<Input = Bytes>,
            &mut second,
        ],
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
        vec![
            &mut first as &mut dyn WritableStream<Input = Bytes>,
            &mut second,
        ],
        PipeOptions::default(),
    ));
    assert!(piping.unpipe(0));
    assert!(piping.unpipe(1));
    feed.push(b("foobar"));
    assert!(piping.poll().is_ready());
    assert_eq!(probe.offered(), 0);
    assert_eq!(log.entries(), ["pipe", "pipe", "unpipe", "unpipe"]);
}
