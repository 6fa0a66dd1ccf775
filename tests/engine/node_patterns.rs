//! Node code that reacts to an event inside the same tick, written the
//! smerge way: the code that awaited the event goes on before the stream
//! is polled again, so nothing happens to the stream in between, as
//! nothing happens between a Node listener's first and last line.
//!
//! Each test gives the trace Node 20 prints for the same program.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use smerge::{
    Event, PipeOptions, Pusher, Readable, ReadableExt, Result, Writable, WriteQueue, WriteSink,
    pipe,
};

type Log = Arc<Mutex<Vec<String>>>;

/// Records each chunk as `_write(chunk)`; with `deferred`, answers one
/// poll later, as a `_write` that calls back from `setImmediate`.
struct Recording {
    log: Log,
    deferred: bool,
    waited: bool,
}

impl WriteSink<Bytes> for Recording {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<Bytes>,
    ) -> Poll<Result<()>> {
        if self.deferred && !self.waited {
            self.waited = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.waited = false;
        let chunk = queue.pop().expect("called with chunks queued");
        let text = String::from_utf8_lossy(&chunk).into_owned();
        self.log.lock().unwrap().push(format!("_write({text})"));
        Poll::Ready(Ok(()))
    }
}

fn recording(log: &Log, deferred: bool, names: &'static [&'static str]) -> Writable<Bytes> {
    let mut w = Writable::new(Recording {
        log: Arc::clone(log),
        deferred,
        waited: false,
    });
    let events = Arc::clone(log);
    w.observe(move |event: &Event| {
        if names.contains(&event.name()) {
            events.lock().unwrap().push(event.name().to_owned());
        }
    });
    w
}

/// Node:
///
/// ```js
/// const w = new Writable({ highWaterMark: 4, write(c, e, cb) { log('_write(' + c + ')'); setImmediate(cb); } });
/// log('write=' + w.write('abcd'));
/// w.once('drain', () => { w.write('ef'); log('wl=' + w.writableLength); w.end(); });
/// ```
///
/// Node 20 prints `_write(abcd) write=false drain _write(ef) wl=2 prefinish
/// finish close`: the same, except that Node's `write()` starts the sink
/// inside the call, where smerge's starts it at the stream's next poll.
#[tokio::test]
async fn writing_more_on_drain() {
    let log: Log = Arc::default();
    let mut w =
        recording(&log, true, &["drain", "prefinish", "finish", "close"]).with_high_water_mark(4);
    let below = w.write(Bytes::from("abcd")).unwrap();
    log.lock().unwrap().push(format!("write={below}"));
    w.drained().await.unwrap();
    // The `drain` listener's body: nothing ran on `w` since `drain`.
    w.write(Bytes::from("ef")).unwrap();
    log.lock()
        .unwrap()
        .push(format!("wl={}", w.writable_length()));
    w.close().await.unwrap();
    drop(w);
    assert_eq!(
        *log.lock().unwrap(),
        [
            "write=false",
            "_write(abcd)",
            "drain",
            "wl=2",
            "_write(ef)",
            "prefinish",
            "finish",
            "close"
        ]
    );
}

/// Node:
///
/// ```js
/// a.pipe(dst, { end: false });
/// a.on('end', () => { log('a end'); b.pipe(dst); });
/// ```
///
/// Node 20 prints exactly this trace.
#[tokio::test]
async fn piping_the_next_source_on_end() {
    let log: Log = Arc::default();
    let mut dst = recording(&log, false, &["pipe", "unpipe", "finish", "close"]);
    let mut a = Readable::from_iter([Bytes::from("a1"), Bytes::from("a2")]);
    let mut b = Readable::from_iter([Bytes::from("b1")]);
    pipe(&mut a, &mut dst, PipeOptions::keep_open())
        .await
        .unwrap();
    // The `end` listener's body.
    log.lock().unwrap().push("a end".to_owned());
    pipe(&mut b, &mut dst, PipeOptions::default())
        .await
        .unwrap();
    drop(dst);
    assert_eq!(
        *log.lock().unwrap(),
        [
            "pipe",
            "_write(a1)",
            "_write(a2)",
            "unpipe",
            "a end",
            "pipe",
            "_write(b1)",
            "finish",
            "unpipe",
            "close"
        ]
    );
}

/// The README's example: a producer task pushing with Node's
/// backpressure, consumed through `map_async`.
#[tokio::test]
async fn pushing_from_another_task_with_backpressure() {
    let (pusher, lines) = Pusher::attach(Readable::external().with_high_water_mark(2));
    let producer = tokio::spawn(async move {
        let mut refused = 0;
        for line in ["a", "b", "c", "d", "e"] {
            if !pusher.push(line) {
                refused += 1;
                pusher.ready().await?;
            }
        }
        pusher.end();
        Ok::<_, smerge::Error>(refused)
    });
    let upper = lines.map_async(2, |line: &str| async move { Ok(line.to_uppercase()) });
    let got = upper.collect_vec().await.unwrap();
    assert_eq!(got, ["A", "B", "C", "D", "E"]);
    let refused = producer.await.unwrap().unwrap();
    assert!(refused > 0, "the mark of 2 was reached");
}
