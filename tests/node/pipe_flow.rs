//! Port of `test/parallel/test-stream-pipe-flow.js`.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use smerge::{
    Duplex, PipeOptions, Push, ReadSource, Readable, ReadableExt, Result, Writable, pipe,
};

use crate::common::doubles::{Pace, Probe};
use crate::common::events::EventLog;

/// Node's source: each of the first 17 reads pushes on the next tick, the
/// 18th pushes an item and the end at once.
struct Ticks {
    left: u32,
    waiting: bool,
}

impl ReadSource<u32> for Ticks {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, u32>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        if this.left == 0 {
            out.push(0);
            out.end();
            return Poll::Ready(Ok(()));
        }
        if !this.waiting {
            this.waiting = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        this.waiting = false;
        out.push(this.left);
        this.left -= 1;
        Poll::Ready(Ok(()))
    }
}

/// An object pipe into a destination with a highWaterMark of 0, whose
/// writes complete a tick later, never stalls: the source ends and the
/// destination finishes.
#[tokio::test]
async fn test_stream_pipe_flow_hwm_0_destination() {
    let mut rs = Readable::new(Ticks {
        left: 17,
        waiting: false,
    });
    let (sink, probe) = Probe::new(Pace::NextTick);
    let mut ws = Writable::new(sink).with_high_water_mark(0);
    let log = EventLog::new();
    log.attach_as(&mut rs, "rs");
    log.attach_as(&mut ws, "ws");
    tokio::time::timeout(
        Duration::from_secs(5),
        pipe(&mut rs, &mut ws, PipeOptions::default()),
    )
    .await
    .expect("the pipe does not stall")
    .unwrap();
    assert_eq!(probe.taken_count(), 18);
    assert_eq!(log.count("rs:end"), 1);
    assert_eq!(log.count("ws:finish"), 1);
}

/// A chain of two object pass-throughs with a highWaterMark of 2, read by
/// another readable, never stalls: the outer readable ends.
#[tokio::test]
async fn test_stream_pipe_flow_pass_through_chain() {
    let rs = Readable::from_iter(0..8u32);
    let mut pt1 = Duplex::<u32, u32>::pass_through().with_high_water_mark(2);
    let mut pt2 = Duplex::<u32, u32>::pass_through().with_high_water_mark(2);
    let log = EventLog::new();
    log.attach_as(&mut pt1, "pt1");
    log.attach_as(&mut pt2, "pt2");
    let chain = rs.pipe(pt1).pipe(pt2);
    let mut wrapper = Readable::from_stream(chain);
    log.attach_as(&mut wrapper, "wrapper");
    let items = tokio::time::timeout(Duration::from_secs(5), wrapper.collect_vec())
        .await
        .expect("the chain does not stall")
        .unwrap();
    assert_eq!(items, (0..8).collect::<Vec<_>>());
    assert_eq!(log.count("pt2:end"), 1);
    assert_eq!(log.count("wrapper:end"), 1);
}
