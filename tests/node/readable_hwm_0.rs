//! Ports of `test/parallel/test-stream-readable-hwm-0.js` and
//! `test/parallel/test-stream-readable-hwm-0-no-flow-data.js`.

use std::pin::Pin;
use std::task::{Context, Poll};

use smerge::{Push, ReadSource, Readable, Result};

use crate::common::doubles::Feed;
use crate::common::events::{EventLog, noop_cx};

/// With a highWaterMark of 0, nothing is read ahead: the source gets one
/// read request, when a consumer waits for `readable`; a `read()` while
/// that request is outstanding makes no second one; `readable` comes only
/// after the end was pushed.
#[test]
fn test_stream_readable_hwm_0() {
    let (source, feed) = Feed::<&'static str>::new();
    let mut r = Readable::new(source).with_high_water_mark(0);
    let log = EventLog::new();
    log.attach(&mut r);
    let mut cx = noop_cx();

    assert_eq!(
        feed.requests(),
        0,
        "nothing is read before a consumer waits"
    );
    assert!(r.poll_readable(&mut cx).is_pending());
    assert_eq!(feed.requests(), 1);

    assert_eq!(r.read(), None);
    feed.end();
    assert!(log.entries().is_empty());

    assert!(r.poll_readable(&mut cx).is_ready());
    assert_eq!(r.read(), None);
    assert_eq!(feed.requests(), 1);
    drop(r);
    assert_eq!(log.entries(), ["readable", "end", "close"]);
}

/// The source of the no-flow test: each read request is answered on the
/// next tick (the next poll) with the next item, then the end.
struct NextTickItems {
    items: Vec<&'static str>,
    requested: bool,
    log: EventLog,
}

impl ReadSource<&'static str> for NextTickItems {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, &'static str>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        let next = this.items.first().copied().unwrap_or("null");
        if !this.requested {
            this.requested = true;
            this.log.mark(format!("_read:{next}"));
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        this.requested = false;
        this.log.mark(format!("push:{next}"));
        if this.items.is_empty() {
            out.end();
        } else {
            out.push(this.items.remove(0));
        }
        Poll::Ready(Ok(()))
    }
}

/// Waiting for `readable` does not make the stream flow (`flowing` turns
/// `Some(false)`, Node's `readableFlowing === false`), and the source, the
/// events and `read()` interleave exactly as in Node:
/// `_read:a, push:a, readable, data:a, _read:null, push:null, readable, end`.
///
/// Node emits the final `end` on the tick after the `read()` that returned
/// `null`; a `read()` is itself a tick here, so `end` is already there
/// when it returns.
#[test]
fn test_stream_readable_hwm_0_no_flow_data() {
    let log = EventLog::new();
    let source = NextTickItems {
        items: vec!["a"],
        requested: false,
        log: log.clone(),
    };
    let mut r = Readable::new(source).with_high_water_mark(0);
    log.attach(&mut r);
    let mut cx = noop_cx();
    assert_eq!(r.flowing(), None);

    assert!(r.poll_readable(&mut cx).is_pending());
    assert_eq!(r.flowing(), Some(false));
    assert!(r.poll_readable(&mut cx).is_ready());
    assert_eq!(log.entries(), ["_read:a", "push:a", "readable"]);

    assert_eq!(r.read(), Some("a"));
    assert_eq!(log.entries(), ["_read:a", "push:a", "readable", "data"]);

    assert_eq!(r.read(), None);
    assert!(r.poll_readable(&mut cx).is_ready());
    assert_eq!(
        log.entries(),
        [
            "_read:a",
            "push:a",
            "readable",
            "data",
            "_read:null",
            "push:null",
            "readable"
        ]
    );

    assert_eq!(r.read(), None);
    r.tick();
    assert_eq!(
        log.entries(),
        [
            "_read:a",
            "push:a",
            "readable",
            "data",
            "_read:null",
            "push:null",
            "readable",
            "end",
            "close"
        ]
    );
    assert_eq!(r.flowing(), Some(false));
}
