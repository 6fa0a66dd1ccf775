//! Port of `test/parallel/test-stream-writable-write-error.js`.

use bytes::Bytes;
use smerge::{ErrorKind, Writable};

use crate::common::doubles::{Pace, Probe, b};
use crate::common::events::EventLog;

/// A write after `end()` fails at once with `WriteAfterEnd` and destroys
/// the stream: `error` (the same kind) then `close` follow on the next
/// tick, after the caller saw the error — Node calls the write callback
/// before `'error'`. The `end()` emitted `prefinish`; the destroyed stream
/// never finishes. A write after `destroy()` fails with `Destroyed` and
/// emits no `error`.
///
/// Node's `autoDestroy: false` variant has no counterpart (a failed
/// stream is always destroyed), and neither have its `null` and `{}`
/// chunks (the chunk type rules them out).
#[test]
fn test_stream_writable_write_error() {
    let (sink, _) = Probe::<Bytes>::new(Pace::Held);
    let mut w = Writable::new(sink);
    let log = EventLog::new();
    log.attach(&mut w);
    w.end().unwrap();
    let error = w.write(b("asd")).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::WriteAfterEnd);
    assert_eq!(log.entries(), ["prefinish"], "the caller hears of it first");
    assert!(w.is_destroyed());
    drop(w);
    assert_eq!(log.entries(), ["prefinish", "error", "close"]);
    assert_eq!(log.errors()[0].kind(), ErrorKind::WriteAfterEnd);

    let (sink, probe) = Probe::<Bytes>::new(Pace::Held);
    let mut w = Writable::new(sink);
    let log = EventLog::new();
    log.attach(&mut w);
    w.destroy(None);
    let error = w.write(b("asd")).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Destroyed);
    drop(w);
    assert_eq!(log.entries(), ["close"]);
    assert_eq!(probe.offered(), 0);
}
