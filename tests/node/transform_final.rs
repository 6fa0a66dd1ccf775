//! Ports of `test/parallel/test-stream-transform-final-sync.js` and
//! `test/parallel/test-stream-transform-final.js`.
//!
//! Node's Transform has three hooks here: `transform`, a user `final` and
//! `flush`. smerge's [`Transform`](smerge::Transform) folds `final` into
//! `flush`, so the port implements the three as a [`DuplexHandler`], whose
//! `poll_final` is Node's `_final`.

use std::pin::Pin;
use std::task::{Context, Poll};

use smerge::{Duplex, DuplexHandler, Push, Result, WriteQueue, finished};

use crate::common::events::EventLog;

/// Pushes each chunk and calls back on the next tick; the final hook is
/// synchronous or takes a tick; the flush calls back on the next tick.
struct Steps {
    log: EventLog,
    pushed_front: bool,
    async_final: bool,
    final_started: bool,
    final_done: bool,
    flush_started: bool,
}

impl Steps {
    fn new(log: &EventLog, async_final: bool) -> Self {
        Steps {
            log: log.clone(),
            pushed_front: false,
            async_final,
            final_started: false,
            final_done: false,
            flush_started: false,
        }
    }
}

impl DuplexHandler<u32, u32> for Steps {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        input: &mut WriteQueue<u32>,
        out: &mut Push<'_, u32>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        if this.pushed_front {
            // The callback, a tick after the push.
            this.pushed_front = false;
            input.pop();
            return Poll::Ready(Ok(()));
        }
        let chunk = *input.front().expect("a chunk is offered");
        this.log.mark(format!("transform:{chunk}"));
        out.push(chunk);
        this.pushed_front = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    fn poll_final(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, u32>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        if !this.final_done {
            if !this.final_started {
                this.final_started = true;
                this.log.mark("final:1");
                if this.async_final {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
            }
            this.log.mark("final:2");
            this.final_done = true;
        }
        if !this.flush_started {
            this.flush_started = true;
            this.log.mark("flush:1");
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        this.log.mark("flush:2");
        out.end();
        Poll::Ready(Ok(()))
    }

    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        _out: &mut Push<'_, u32>,
    ) -> Poll<Result<()>> {
        Poll::Pending
    }
}

/// Node's order, as the modern implementations have it: each transform's
/// output is delivered before the next transform runs; then the final
/// hook, the flush (both parts), `finish` (Node's end callback and
/// `'finish'`), and `end`.
fn expected() -> Vec<&'static str> {
    vec![
        "transform:1",
        "data",
        "transform:4",
        "data",
        "transform:7",
        "data",
        "final:1",
        "final:2",
        "flush:1",
        "flush:2",
        "prefinish",
        "finish",
        "end",
    ]
}

async fn run(async_final: bool) -> Vec<String> {
    let log = EventLog::new();
    let mut t = Duplex::new(Steps::new(&log, async_final));
    log.attach(&mut t);
    t.write(1).unwrap();
    t.write(4).unwrap();
    t.write(7).unwrap();
    t.end().unwrap();
    finished(&mut t).await.unwrap();
    drop(t);
    log.entries()
}

/// A synchronous final hook.
#[tokio::test]
async fn test_stream_transform_final_sync() {
    let mut want = expected();
    want.push("close");
    assert_eq!(run(false).await, want);
}

/// A final hook that completes on the next tick.
#[tokio::test]
async fn test_stream_transform_final() {
    let mut want = expected();
    want.push("close");
    assert_eq!(run(true).await, want);
}
