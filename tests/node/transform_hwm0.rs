//! Port of `test/parallel/test-stream-transform-hwm0.js`.

use smerge::{Duplex, PassThrough};

use crate::common::events::EventLog;

/// An object transform with a highWaterMark of 0: every `write()` returns
/// `false`; `drain` comes only after the consumer took the output; `read()`
/// gives 1, then nothing, then 2.
///
/// Node's transform calls back on the next tick; smerge's transforms are
/// synchronous, and each `read()` is one tick: it lets the transform run,
/// then takes a chunk.
#[test]
fn test_stream_transform_hwm0() {
    let mut t = Duplex::transform(PassThrough::<u32>::new()).with_high_water_mark(0);
    let log = EventLog::new();
    log.attach(&mut t);
    assert!(!t.write(1).unwrap());

    assert_eq!(t.read(), Some(1));
    assert_eq!(
        log.entries(),
        ["data"],
        "no drain while the output is unread"
    );
    assert_eq!(t.read(), None);
    assert_eq!(log.entries(), ["data", "drain"]);

    assert!(!t.write(2).unwrap());
    t.end().unwrap();
    assert_eq!(t.read(), Some(2));
    assert_eq!(t.read(), None);
    t.tick();
    // The callback of 2 is held while its output fills the readable side
    // (Node's `Transform._write`), so the stream finishes only after 2 was
    // read.
    assert_eq!(
        log.entries(),
        [
            "data",
            "drain",
            "data",
            "prefinish",
            "finish",
            "end",
            "close"
        ]
    );
    drop(t);
    assert_eq!(log.entries().last().unwrap(), "close");
}
