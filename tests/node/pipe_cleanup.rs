//! Port of `test/parallel/test-stream-pipe-cleanup.js`.

use bytes::Bytes;
use smerge::{Duplex, PipeOptions, Readable, Writable, pipe};

use crate::common::doubles::{Pace, Probe, b};
use crate::common::events::EventLog;

/// Node's legacy test counts the listeners `pipe` leaves on both streams;
/// a smerge pipe holds no listeners, and its borrows end with it. What
/// remains to check: each pipe attaches and detaches its destination once
/// (`pipe`, `unpipe`), a hundred `end: false` pipes leave the shared
/// destination open, and in a chain `r → d → w` the end of `r` ends `d`
/// once and the end of `d` ends `w` once.
#[tokio::test]
async fn test_stream_pipe_cleanup() {
    let (sink, probe) = Probe::new(Pace::Immediate);
    let mut w = Writable::new(sink);
    let log = EventLog::new();
    log.attach(&mut w);
    for _ in 0..100 {
        let mut r = Readable::from_iter([b("x")]);
        pipe(&mut r, &mut w, PipeOptions::keep_open())
            .await
            .unwrap();
    }
    assert_eq!(log.count("pipe"), 100);
    assert_eq!(log.count("unpipe"), 100);
    assert!(!w.is_ended());
    w.close().await.unwrap();
    assert_eq!(probe.taken_count(), 100);

    let mut r = Readable::from_iter([b("a"), b("b")]);
    let mut d = Duplex::<Bytes, Bytes>::pass_through();
    let (sink, probe) = Probe::new(Pace::Immediate);
    let mut w = Writable::new(sink);
    let d_log = EventLog::new();
    d_log.attach(&mut d);
    let w_log = EventLog::new();
    w_log.attach(&mut w);
    pipe(&mut r, &mut d, PipeOptions::default()).await.unwrap();
    assert_eq!(d_log.count("finish"), 1);
    assert!(!w.is_ended());
    pipe(&mut d, &mut w, PipeOptions::default()).await.unwrap();
    assert_eq!(d_log.count("finish"), 1);
    assert_eq!(d_log.count("end"), 1);
    assert_eq!(w_log.count("finish"), 1);
    assert_eq!(probe.taken(), [b("a"), b("b")]);
}
