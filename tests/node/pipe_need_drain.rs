//! Port of `test/parallel/test-stream-pipe-needDrain.js`.

use smerge::{PipeOptions, Readable, Writable, pipe};

use crate::common::doubles::{Pace, Probe, b};
use crate::common::events::EventLog;

/// Piping into a destination that already waits for `drain` starts the
/// source paused (`pause` at once, during the call to `pipe`); the source
/// still reaches its `end`.
#[tokio::test]
async fn test_stream_pipe_need_drain() {
    let (sink, probe) = Probe::new(Pace::NextTick);
    let mut w = Writable::new(sink).with_high_water_mark(1);
    while w.write(b("asd")).unwrap() {}
    assert!(w.needs_drain());

    let mut r = Readable::from_iter([b("asd")]);
    let log = EventLog::new();
    log.attach(&mut r);
    let piping = pipe(&mut r, &mut w, PipeOptions::default());
    assert_eq!(log.entries(), ["pause"]);
    piping.await.unwrap();
    assert_eq!(log.count("end"), 1);
    assert!(w.is_finished());
    assert_eq!(probe.taken(), [b("asd"), b("asd")]);
}
