//! Ports of `test/parallel/test-stream-transform-final-sync.js` and
//! `test/parallel/test-stream-transform-final.js`.
//!
//! Node's Transform has three hooks here: `transform`, a user `final` and
//! `flush`. smerge's [`Transform`] folds `final` into `flush`: the port's
//! `flush` starts Node's `_final`, and its `poll_ready` finishes it and runs
//! Node's `_flush`, each step taking a tick where Node's does.

use std::task::{Context, Poll};

use smerge::{Duplex, Push, Result, Transform, finished};

use crate::common::events::EventLog;

/// Pushes each chunk and calls back on the next tick; the final hook is
/// synchronous or takes a tick; the flush calls back on the next tick.
struct Steps {
    log: EventLog,
    async_final: bool,
    step: Step,
}

/// What the next `poll_ready` finishes.
enum Step {
    /// Nothing: ready.
    Idle,
    /// A transform: its callback comes a tick after the push.
    Transformed,
    /// The asynchronous final hook, started.
    Final,
    /// The flush, started.
    Flushing,
}

impl Steps {
    fn new(log: &EventLog, async_final: bool) -> Self {
        Steps {
            log: log.clone(),
            async_final,
            step: Step::Idle,
        }
    }

    /// Node's `_flush`, started: it calls back on the next tick.
    fn start_flush(&mut self) {
        self.log.mark("flush:1");
        self.step = Step::Flushing;
    }
}

impl Transform for Steps {
    type Input = u32;
    type Output = u32;

    fn transform(&mut self, chunk: u32, out: &mut Push<'_, u32>) -> Result<()> {
        self.log.mark(format!("transform:{chunk}"));
        out.push(chunk);
        self.step = Step::Transformed;
        Ok(())
    }

    /// Node's `_final`, then `_flush`.
    fn flush(&mut self, _out: &mut Push<'_, u32>) -> Result<()> {
        self.log.mark("final:1");
        if self.async_final {
            self.step = Step::Final;
        } else {
            self.log.mark("final:2");
            self.start_flush();
        }
        Ok(())
    }

    fn poll_ready(&mut self, cx: &mut Context<'_>, _out: &mut Push<'_, u32>) -> Poll<Result<()>> {
        match self.step {
            Step::Idle => return Poll::Ready(Ok(())),
            Step::Transformed => self.step = Step::Idle,
            Step::Final => {
                self.log.mark("final:2");
                self.start_flush();
            }
            Step::Flushing => {
                self.log.mark("flush:2");
                self.step = Step::Idle;
                return Poll::Ready(Ok(()));
            }
        }
        // The callback comes on the next tick.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// The order of the hooks is Node's: the transforms, then the final hook,
/// the flush (both parts), `prefinish` and `finish` (Node's end callback
/// and `'finish'`), `end` and `close`. Node emits `data` inside `push()`
/// while the stream flows; smerge hands a chunk over when the stream is
/// next read, and the first transform runs inside `write()`: each `data`
/// comes after the next chunk's transform started (Node: before), and
/// the last one after the flush took as many ticks as it needs.
fn expected(async_final: bool) -> Vec<&'static str> {
    let mut order = vec![
        "transform:1",
        "transform:4",
        "data",
        "transform:7",
        "data",
        "final:1",
        "final:2",
        "flush:1",
    ];
    if async_final {
        order.extend(["data", "flush:2", "prefinish", "finish"]);
    } else {
        order.extend(["flush:2", "prefinish", "finish", "data"]);
    }
    order.extend(["end", "close"]);
    order
}

async fn run(async_final: bool) -> Vec<String> {
    let log = EventLog::new();
    let mut t = Duplex::transform(Steps::new(&log, async_final));
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
    assert_eq!(run(false).await, expected(false));
}

/// A final hook that completes on the next tick.
#[tokio::test]
async fn test_stream_transform_final() {
    assert_eq!(run(true).await, expected(true));
}
