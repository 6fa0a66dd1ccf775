//! Ports of `test/parallel/test-stream-pipe-await-drain.js` and
//! `test/parallel/test-stream-pipe-await-drain-push-while-write.js`.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use smerge::{
    PipeOptions, Readable, Result, Writable, WritableStream, WriteQueue, WriteSink, pipe, pipe_all,
};
use tokio_test::task;

use crate::common::doubles::{Feed, Pace, Probe};
use crate::common::events::EventLog;

/// Two destinations, one of which never takes its chunk: the source stays
/// paused after the first chunk (larger than the highWaterMark), so the
/// fast destination does not get the second chunk either.
#[test]
fn test_stream_pipe_await_drain() {
    let (source, feed) = Feed::new();
    let mut reader = Readable::new(source);
    let (sink1, probe1) = Probe::new(Pace::Immediate);
    let (sink2, probe2) = Probe::new(Pace::Held);
    let mut writer1 = Writable::new(sink1);
    let mut writer2 = Writable::new(sink2);
    let log = EventLog::new();
    log.attach(&mut reader);
    let buffer = Bytes::from(vec![0u8; 560_000]);

    let mut piping = task::spawn(pipe_all(
        &mut reader,
        vec![
            &mut writer1 as &mut dyn WritableStream<Input = Bytes>,
            &mut writer2,
        ],
        PipeOptions::default(),
    ));
    feed.push(buffer.clone());
    assert!(piping.poll().is_pending());
    assert_eq!(probe1.taken_count(), 1);
    assert_eq!(probe2.offered(), 1);

    feed.push(buffer);
    assert!(piping.poll().is_pending());
    assert!(piping.poll().is_pending());
    assert_eq!(probe1.offered(), 1, "writer1 waits for writer2's drain");
    assert_eq!(probe2.offered(), 1);
    assert_eq!(probe2.taken_count(), 0);
    assert_eq!(log.entries(), ["resume", "data", "pause"]);
}

/// Node's `_write` that pushes more into the source while writing, and
/// calls back on the next tick.
struct PushingSink {
    feed: Feed<Bytes>,
    sizes: Arc<Mutex<Vec<usize>>>,
    ticked: bool,
}

impl WriteSink<Bytes> for PushingSink {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<Bytes>,
    ) -> Poll<Result<()>> {
        if !std::mem::replace(&mut self.ticked, true) {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.ticked = false;
        let chunk = queue.pop().expect("a chunk is offered");
        if chunk.len() == 32 * 1024 {
            self.feed.push(Bytes::from(vec![0u8; 34 * 1024]));
        }
        self.sizes.lock().unwrap().push(chunk.len());
        Poll::Ready(Ok(()))
    }
}

/// A chunk pushed into the source while the destination writes, after a
/// write returned `false`, is still delivered once the destination drained:
/// three writes, each above the highWaterMark (16 KiB, Node's test's), so
/// three drains, and no stall.
#[tokio::test]
async fn test_stream_pipe_await_drain_push_while_write() {
    let (source, feed) = Feed::new();
    feed.push(Bytes::from(vec![0u8; 32 * 1024]));
    feed.push(Bytes::from(vec![0u8; 33 * 1024]));
    let mut readable = Readable::new(source);
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let mut writable = Writable::new(PushingSink {
        feed: feed.clone(),
        sizes: Arc::clone(&sizes),
        ticked: false,
    })
    .with_high_water_mark(16 * 1024);
    let log = EventLog::new();
    log.attach(&mut writable);

    let mut piping = task::spawn(pipe(&mut readable, &mut writable, PipeOptions::default()));
    assert!(piping.poll().is_pending());
    while piping.is_woken() {
        assert!(piping.poll().is_pending());
    }
    assert_eq!(*sizes.lock().unwrap(), [32 * 1024, 33 * 1024, 34 * 1024]);
    assert_eq!(log.count("drain"), 3);

    feed.end();
    assert!(piping.is_woken());
    assert!(piping.poll().is_ready());
}
