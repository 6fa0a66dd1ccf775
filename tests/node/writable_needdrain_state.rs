//! Port of `test/parallel/test-stream-writable-needdrain-state.js`.

use std::task::{Context, Poll};

use bytes::Bytes;
use smerge::{Duplex, Push, Result, Transform, WritableStream};

use crate::common::doubles::b;
use crate::common::events::{EventLog, noop_cx};

/// A transform that consumes every chunk, pushes nothing and calls back
/// on the next tick (Node's `process.nextTick(callback)`).
struct Swallow {
    working: bool,
}

impl Transform for Swallow {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, _chunk: Bytes, _out: &mut Push<'_, Bytes>) -> Result<()> {
        self.working = true;
        Ok(())
    }

    fn poll_ready(&mut self, cx: &mut Context<'_>, _out: &mut Push<'_, Bytes>) -> Poll<Result<()>> {
        if std::mem::take(&mut self.working) {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(Ok(()))
    }
}

/// A 6-byte write into a transform with a highWaterMark of 1 needs a drain
/// at once: the transform takes it inside `write()`, but it counts until
/// its callback on the next tick; and no longer once the callback came.
///
/// Node checks the flag again in the write callback; here the callback's
/// moment is the poll in which the transform finished the chunk, after
/// which `drain` has been emitted.
#[test]
fn test_stream_writable_needdrain_state() {
    let mut transform = Duplex::transform(Swallow { working: false }).with_high_water_mark(1);
    let log = EventLog::new();
    log.attach(&mut transform);
    assert!(!WritableStream::needs_drain(&transform));
    assert!(!transform.write(b("asdasd")).unwrap());
    assert!(WritableStream::needs_drain(&transform));
    assert!(transform.poll_drain(&mut noop_cx()).is_ready());
    assert!(!WritableStream::needs_drain(&transform));
    assert_eq!(log.entries(), ["drain"]);
}
