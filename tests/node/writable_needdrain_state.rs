//! Port of `test/parallel/test-stream-writable-needdrain-state.js`.

use bytes::Bytes;
use smerge::{Duplex, Push, Result, Transform, WritableStream};

use crate::common::doubles::b;
use crate::common::events::{EventLog, noop_cx};

/// A transform that consumes every chunk and pushes nothing.
struct Swallow;

impl Transform for Swallow {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, _chunk: Bytes, _out: &mut Push<'_, Bytes>) -> Result<()> {
        Ok(())
    }
}

/// A 6-byte write into a transform with a highWaterMark of 1 needs a drain
/// at once (Node checks it inside `_transform` too: the flag is set before
/// the chunk is handed on), and no longer once the chunk was taken.
///
/// Node checks the flag again in the write callback; here the callback's
/// moment is the poll in which the transform took the chunk, after which
/// `drain` has been emitted.
#[test]
fn test_stream_writable_needdrain_state() {
    let mut transform = Duplex::transform(Swallow).with_high_water_mark(1);
    let log = EventLog::new();
    log.attach(&mut transform);
    assert!(!WritableStream::needs_drain(&transform));
    assert!(!transform.write(b("asdasd")).unwrap());
    assert!(WritableStream::needs_drain(&transform));
    assert!(transform.poll_drain(&mut noop_cx()).is_ready());
    assert!(!WritableStream::needs_drain(&transform));
    assert_eq!(log.entries(), ["drain"]);
}
