//! Ports of `test/parallel/test-stream-pipe-error-handling.js`,
//! `test/parallel/test-stream-pipe-error-unhandled.js` and
//! `test/parallel/test-stream2-pipe-error-once-listener.js`.
//!
//! In Node an `'error'` without a listener is thrown, and a pipe must not
//! swallow it. smerge's errors are values: the pipe's future returns them,
//! whether or not anyone observes the stream's events, so no error can go
//! unnoticed; an observer sees each error once.

use std::task::Poll;

use bytes::Bytes;
use smerge::{PipeOptions, Readable, Writable, pipe};
use tokio_test::task;

use crate::common::doubles::{Feed, Pace, Probe, b, kaboom};
use crate::common::events::EventLog;

/// A source error reaches the source's observer and the pipe's caller;
/// the destination is neither ended nor destroyed (Node's pipe leaves it
/// open), and it keeps what it was given before.
#[tokio::test]
async fn test_stream_pipe_error_handling() {
    let (source, feed) = Feed::new();
    let mut source = Readable::new(source);
    let (sink, probe) = Probe::new(Pace::Immediate);
    let mut dest = Writable::new(sink);
    let log = EventLog::new();
    log.attach(&mut source);
    feed.push(b("bacon"));

    let mut piping = task::spawn(pipe(&mut source, &mut dest, PipeOptions::default()));
    assert!(piping.poll().is_pending());
    feed.fail(kaboom("This stream turned into bacon."));
    let Poll::Ready(Err(error)) = piping.poll() else {
        panic!("the pipe returns the source's error");
    };
    drop(piping);
    assert_eq!(error.to_string(), "This stream turned into bacon.");
    assert!(!dest.is_ended());
    assert!(!dest.is_destroyed());
    dest.drained().await.unwrap();
    assert_eq!(probe.taken(), [b("bacon")]);
    drop(source);
    assert_eq!(log.entries(), ["resume", "data", "error", "close"]);
    assert_eq!(log.errors().len(), 1);
}

/// A destination destroyed with an error in the middle of a pipe, nobody
/// observing it: the error is not lost, the pipe returns it. The source
/// is unpiped, not destroyed, and can still be read.
#[tokio::test]
async fn test_stream_pipe_error_unhandled() {
    let (source, feed) = Feed::new();
    let mut r = Readable::new(source);
    feed.push(b("asd"));
    let (sink, probe) = Probe::<Bytes>::new(Pace::Immediate);
    probe.fail_at(1, kaboom("asd"));
    let mut w = Writable::new(sink);
    let error = pipe(&mut r, &mut w, PipeOptions::default())
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "asd");
    assert!(w.is_destroyed());
    assert!(!r.is_destroyed());
    feed.push(b("more"));
    assert_eq!(r.read(), Some(b("more")));
}

/// A destination failing inside its write, observed by one listener: the
/// listener sees the error exactly once, after the destination was
/// unpiped, and `close` follows; the pipe returns the same error.
#[tokio::test]
async fn test_stream2_pipe_error_once_listener() {
    let mut read = Readable::from_iter([b("x")]);
    let (sink, probe) = Probe::<Bytes>::new(Pace::Immediate);
    probe.fail_at(1, kaboom("boom"));
    let mut write = Writable::new(sink);
    let log = EventLog::new();
    log.attach(&mut write);
    let error = pipe(&mut read, &mut write, PipeOptions::default())
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "boom");
    drop(write);
    assert_eq!(log.entries(), ["pipe", "unpipe", "error", "close"]);
    assert_eq!(log.errors()[0].to_string(), "boom");
}
