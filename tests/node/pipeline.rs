//! Port of `test/parallel/test-stream-pipeline.js`.
//!
//! Not ported: the HTTP cases (they exercise Node's `http` streams), the
//! legacy `Stream` objects, the argument checks (`ERR_MISSING_ARGS`,
//! `ERR_INVALID_ARG_TYPE`: a smerge pipeline without a destination is not a
//! future, and one without a source cannot be built), and the return value
//! of the last async function (a `PipelineFuture` resolves to `()`; read a
//! [`Pipeline`](smerge::Pipeline) with `collect_vec` for a value). A stage
//! owned by a pipeline can only be destroyed by its own hooks, so Node's
//! `stream.destroy(err)` from outside becomes a hook that fails.

use bytes::Bytes;
use smerge::{
    Duplex, ErrorKind, Push, Readable, ReadableExt, Result, Transform, Writable, pipeline,
};
use tokio_test::task;
use tokio_util::sync::CancellationToken;

use crate::common::doubles::{Feed, Pace, Probe, b, kaboom};
use crate::common::events::EventLog;

/// Success: every chunk reaches the destination, which finished before
/// the pipeline resolves. As Node's pipeline pipes with `end: false` and
/// ends the destination from the source's `end`, `unpipe` comes first.
#[tokio::test]
async fn test_stream_pipeline_success() {
    let (source, feed) = Feed::new();
    let expected = [b("a"), b("b"), b("c")];
    for chunk in &expected {
        feed.push(chunk.clone());
    }
    feed.end();
    let (sink, probe) = Probe::new(Pace::Immediate);
    let mut write = Writable::new(sink);
    let log = EventLog::new();
    log.attach(&mut write);
    pipeline(Readable::new(source)).pipe(write).await.unwrap();
    assert_eq!(
        log.entries(),
        ["pipe", "unpipe", "prefinish", "finish", "close"]
    );
    assert_eq!(probe.taken(), expected);
}

/// A source destroyed before its end: the pipeline fails with a premature
/// close, and the destination is destroyed, never finished.
#[tokio::test]
async fn test_stream_pipeline_destroyed_source() {
    let (source, feed) = Feed::new();
    feed.push(b("data"));
    let mut read = Readable::new(source);
    read.destroy(None);
    let (sink, probe) = Probe::<Bytes>::new(Pace::Immediate);
    let mut write = Writable::new(sink);
    let log = EventLog::new();
    log.attach(&mut write);
    let error = pipeline(read).pipe(write).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::PrematureClose);
    assert_eq!(log.count("finish"), 0);
    assert_eq!(log.count("close"), 1);
    assert_eq!(probe.destroyed().len(), 1);
}

/// A source failing after some data: the pipeline returns that error.
#[tokio::test]
async fn test_stream_pipeline_source_error() {
    let (source, feed) = Feed::new();
    feed.push(b("data"));
    let (sink, probe) = Probe::new(Pace::Immediate);
    let mut running = task::spawn(pipeline(Readable::new(source)).pipe(Writable::new(sink)));
    assert!(running.poll().is_pending());
    assert_eq!(probe.taken(), [b("data")]);
    feed.fail(kaboom("kaboom"));
    // As Node calls the callback on the next tick: every stage is done,
    // the future resolves at its next poll.
    assert!(running.poll().is_pending());
    assert!(running.is_woken());
    let std::task::Poll::Ready(Err(error)) = running.poll() else {
        panic!("the pipeline fails");
    };
    assert!(format!("{error:#}").ends_with("kaboom"));
    assert_eq!(probe.destroyed().len(), 1);
}

/// Fails on every chunk.
struct Fails;

impl Transform for Fails {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, _chunk: Bytes, _out: &mut Push<'_, Bytes>) -> Result<()> {
        Err(kaboom("kaboom"))
    }
}

/// A transform failing: every stage gets `error` (the same error) and
/// `close`, and the pipeline returns it, naming the stage that failed.
#[tokio::test]
async fn test_stream_pipeline_transform_error() {
    let (source, feed) = Feed::new();
    let mut read = Readable::new(source);
    let mut transform = Duplex::transform(Fails);
    let (sink, _) = Probe::<Bytes>::new(Pace::Immediate);
    let mut write = Writable::new(sink);
    let log = EventLog::new();
    log.attach_as(&mut read, "read");
    log.attach_as(&mut transform, "transform");
    log.attach_as(&mut write, "write");
    feed.push(b("hello"));
    let error = pipeline(read)
        .pipe(transform)
        .pipe(write)
        .await
        .unwrap_err();
    assert_eq!(format!("{error:#}"), "stage 1: kaboom");
    assert_eq!(error.to_string(), "stage 1", "Display shows one layer");
    assert_eq!(error.stage(), Some((1, None)));
    for stage in ["read", "transform", "write"] {
        assert_eq!(log.count(&format!("{stage}:error")), 1, "{stage}");
        assert_eq!(log.count(&format!("{stage}:close")), 1, "{stage}");
    }
    for error in log.errors() {
        assert!(format!("{error:#}").ends_with("kaboom"));
    }
}

/// An endless source through six pass-throughs into a destination whose
/// tenth write fails: every stage closes and the pipeline returns the
/// destination's error, naming it.
#[tokio::test]
async fn test_stream_pipeline_many_transforms() {
    let (sink, probe) = Probe::new(Pace::Immediate);
    probe.fail_at(10, kaboom("kaboom"));
    let mut ws = Writable::new(sink);
    let mut rs = Readable::from_iter(std::iter::repeat_with(|| b("hello")));
    let log = EventLog::new();
    log.attach_as(&mut rs, "rs");
    log.attach_as(&mut ws, "ws");
    let mut chain = pipeline(rs);
    for _ in 0..6 {
        let mut transform = Duplex::<Bytes, Bytes>::pass_through();
        log.attach_as(&mut transform, "tr");
        chain = chain.pipe(transform);
    }
    let error = chain.pipe(ws).await.unwrap_err();
    assert_eq!(format!("{error:#}"), "stage 7: kaboom");
    assert_eq!(log.count("rs:close"), 1);
    assert_eq!(log.count("tr:close"), 6);
    assert_eq!(log.count("ws:close"), 1);
    assert_eq!(probe.taken_count(), 9);
}

/// An unnamed source failing is named as stage 0, not as the destination.
#[tokio::test]
async fn test_stream_pipeline_names_the_failing_stage() {
    let (source, feed) = Feed::<Bytes>::new();
    feed.fail(kaboom("kaboom"));
    let (sink, _) = Probe::new(Pace::Immediate);
    let error = pipeline(Readable::new(source))
        .pipe(Writable::new(sink))
        .await
        .unwrap_err();
    assert_eq!(format!("{error:#}"), "stage 0: kaboom");

    let (source, feed) = Feed::<Bytes>::new();
    feed.fail(kaboom("kaboom"));
    let (sink, _) = Probe::new(Pace::Immediate);
    let error = pipeline(Readable::new(source).named("input"))
        .pipe(Duplex::<Bytes, Bytes>::pass_through())
        .pipe(Writable::new(sink))
        .await
        .unwrap_err();
    assert_eq!(format!("{error:#}"), "input: kaboom");
}

/// Cancelling — before the pipeline starts, or while it runs (Node's
/// `AbortSignal`) — destroys every stage, and the pipeline fails with
/// `Aborted` (Node's `AbortError`).
#[tokio::test]
async fn test_stream_pipeline_abort() {
    let token = CancellationToken::new();
    token.cancel();
    let (sink, probe) = Probe::new(Pace::Immediate);
    let error = pipeline(Readable::from_iter([b("5"), b("8")]))
        .pipe(Writable::new(sink))
        .with_cancel(token)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Aborted);
    assert_eq!(probe.taken_count(), 0);
    assert_eq!(probe.destroyed().len(), 1);

    let token = CancellationToken::new();
    let (source, feed) = Feed::new();
    feed.push(b("5"));
    let (sink, probe) = Probe::new(Pace::Immediate);
    let mut running = task::spawn(
        pipeline(Readable::new(source))
            .pipe(Writable::new(sink))
            .with_cancel(token.clone()),
    );
    assert!(running.poll().is_pending());
    token.cancel();
    feed.push(b("8"));
    let std::task::Poll::Ready(Err(error)) = running.poll() else {
        panic!("the pipeline is aborted");
    };
    assert_eq!(error.kind(), ErrorKind::Aborted);
    assert_eq!(probe.taken(), [b("5")]);
    assert_eq!(feed.destroyed().len(), 1);
}

/// Sources made from iterators and async streams (Node's generators and
/// async generators) feed a pipeline like any other.
#[tokio::test]
async fn test_stream_pipeline_generators() {
    let (sink, probe) = Probe::new(Pace::Immediate);
    pipeline(Readable::from_iter([b("hello"), b("world")]))
        .pipe(Writable::new(sink))
        .await
        .unwrap();
    assert_eq!(probe.taken().concat(), b"helloworld");

    let words = tokio_stream::iter([Ok::<_, smerge::Error>(b("hello")), Ok(b("world"))]);
    let (sink, probe) = Probe::new(Pace::Immediate);
    pipeline(Readable::from_stream(words))
        .pipe(Writable::new(sink))
        .await
        .unwrap();
    assert_eq!(probe.taken().concat(), b"helloworld");
}

/// A generator that fails at once: the pass-through after it is
/// destroyed with the error; as in Node, its pipe detaches it from its
/// `error` listener (`unpipe` before `error`), and the destination's
/// `error` unpipes the destination from it, which pauses it after its
/// `close` (Node 20: `resume error close pause`).
#[tokio::test]
async fn test_stream_pipeline_generator_error() {
    let failing = tokio_stream::iter([Err::<Bytes, _>(kaboom("kaboom"))]);
    let mut s = Duplex::<Bytes, Bytes>::pass_through();
    let log = EventLog::new();
    log.attach(&mut s);
    let (sink, _) = Probe::new(Pace::Immediate);
    let error = pipeline(Readable::from_stream(failing))
        .pipe(s)
        .pipe(Writable::new(sink))
        .await
        .unwrap_err();
    assert!(format!("{error:#}").ends_with("kaboom"));
    assert_eq!(
        log.entries(),
        ["pipe", "resume", "unpipe", "error", "close", "pause"]
    );
}

/// Dropping a running pipeline destroys every stage: each closes, the
/// source's and the destination's destroy hooks run, nothing finishes.
#[test]
fn test_stream_pipeline_drop_destroys_every_stage() {
    let (source, feed) = Feed::new();
    feed.push(b("x"));
    let mut read = Readable::new(source);
    let mut middle = Duplex::<Bytes, Bytes>::pass_through();
    let (sink, probe) = Probe::new(Pace::Held);
    let mut write = Writable::new(sink);
    let log = EventLog::new();
    log.attach_as(&mut read, "read");
    log.attach_as(&mut middle, "middle");
    log.attach_as(&mut write, "write");
    let mut running = task::spawn(pipeline(read).pipe(middle).pipe(write));
    assert!(running.poll().is_pending());
    assert_eq!(probe.offered(), 1);
    drop(running);
    let entries = log.entries();
    for stage in ["read", "middle", "write"] {
        assert!(entries.contains(&format!("{stage}:close")), "{stage}");
    }
    assert!(!entries.iter().any(|e| e.ends_with("finish")));
    assert_eq!(feed.destroyed().len(), 1);
    assert_eq!(probe.destroyed().len(), 1);
}
