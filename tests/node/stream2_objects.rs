//! Port of `test/parallel/test-stream2-objects.js`.

use std::pin::Pin;
use std::task::{Context, Poll};

use smerge::{Chunk, PipeOptions, Push, ReadSource, Readable, ReadableExt, Result, Writable, pipe};

use crate::common::doubles::{Feed, Pace, Probe};

/// An object of the kind Node's test streams.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Pair(&'static str, &'static str),
    Text(&'static str),
    Number(i64),
    Flag(bool),
}

impl Chunk for Value {}

fn objects() -> Vec<Value> {
    vec![Value::Pair("one", "1"), Value::Pair("two", "2")]
}

/// Node's `fromArray`: every item pushed, then the end, before any read.
fn from_array(items: Vec<Value>) -> Readable<Value> {
    let (source, feed) = Feed::new();
    for item in items {
        feed.push(item);
    }
    feed.end();
    Readable::new(source)
}

/// Node's `toArray`: a writable collecting what it gets.
async fn to_array(mut r: Readable<Value>) -> Vec<Value> {
    let (sink, probe) = Probe::new(Pace::Immediate);
    let mut w = Writable::new(sink);
    pipe(&mut r, &mut w, PipeOptions::default()).await.unwrap();
    assert!(w.is_finished());
    probe.taken()
}

/// "can read objects from stream", and `read()` gives one object at a
/// time (Node's "read(n) is ignored": there is no `n` for objects).
#[test]
fn test_stream2_objects_read() {
    let mut r = from_array(objects());
    assert_eq!(r.read(), Some(Value::Pair("one", "1")));
    assert_eq!(r.read(), Some(Value::Pair("two", "2")));
    assert_eq!(r.read(), None);
}

/// "can pipe objects into stream", "can read strings as objects",
/// "falsey values".
#[tokio::test]
async fn test_stream2_objects_pipe() {
    assert_eq!(to_array(from_array(objects())).await, objects());
    let strings = vec![Value::Text("one"), Value::Text("two"), Value::Text("three")];
    assert_eq!(to_array(from_array(strings.clone())).await, strings);
    let falsy = vec![Value::Flag(false), Value::Number(0), Value::Text("")];
    assert_eq!(to_array(from_array(falsy.clone())).await, falsy);
}

/// A source handing out one object per read request, at once or on the
/// next tick.
struct OnePerRead {
    items: Vec<Value>,
    next_tick: bool,
    waiting: bool,
}

impl ReadSource<Value> for OnePerRead {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, Value>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        if this.next_tick && !this.waiting {
            this.waiting = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        this.waiting = false;
        if this.items.is_empty() {
            out.end();
        } else {
            out.push(this.items.remove(0));
        }
        Poll::Ready(Ok(()))
    }
}

/// "can read objects from _read (sync)" and "(async)".
#[tokio::test]
async fn test_stream2_objects_read_from_source() {
    for next_tick in [false, true] {
        let r = Readable::new(OnePerRead {
            items: objects(),
            next_tick,
            waiting: false,
        });
        assert_eq!(to_array(r).await, objects());
    }
}

/// "read(0) for object streams": looking without taking does not lose
/// the object.
#[tokio::test]
async fn test_stream2_objects_readable_then_pipe() {
    let mut r = from_array(vec![Value::Text("foobar")]);
    r.readable().await.unwrap();
    assert_eq!(to_array(r).await, [Value::Text("foobar")]);
}

/// "high watermark _read": with 8 objects buffered and a highWaterMark of
/// 6, the first two reads ask the source for nothing more; the third
/// leaves 5 buffered, below the mark, and asks once.
///
/// Node's test pushes into the buffer before the first read; a smerge
/// source hands its data over when first asked, which the first `read()`
/// does (that is not a request the source answers with nothing).
#[test]
fn test_stream2_objects_high_watermark_read() {
    let (source, feed) = Feed::new();
    let mut r = Readable::new(source).with_high_water_mark(6);
    for c in ["1", "2", "3", "4", "5", "6", "7", "8"] {
        feed.push(Value::Text(c));
    }
    assert_eq!(r.read(), Some(Value::Text("1")));
    assert_eq!(feed.requests(), 0);
    assert_eq!(r.read(), Some(Value::Text("2")));
    assert_eq!(feed.requests(), 0);
    assert_eq!(r.read(), Some(Value::Text("3")));
    assert_eq!(feed.requests(), 1);
}

/// "high watermark push": `push` returns `true` until the sixth object
/// reaches the highWaterMark of 6.
#[test]
fn test_stream2_objects_high_watermark_push() {
    struct Six;
    impl ReadSource<u32> for Six {
        fn poll_read(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            out: &mut Push<'_, u32>,
        ) -> Poll<Result<()>> {
            for i in 0..6 {
                assert_eq!(out.push(i), i != 5);
            }
            out.end();
            Poll::Ready(Ok(()))
        }
    }
    let mut r = Readable::new(Six).with_high_water_mark(6);
    assert_eq!(r.read(), Some(0));
    assert_eq!(r.readable_length(), 5);
}

/// "can write objects to stream", "can write multiple objects", "can
/// write strings as objects", "buffers finish until cb is called".
#[tokio::test]
async fn test_stream2_objects_write() {
    for pace in [Pace::Immediate, Pace::NextTick] {
        let (sink, probe) = Probe::new(pace);
        let mut w = Writable::new(sink);
        for i in 0..5 {
            w.write(Value::Number(i)).unwrap();
        }
        w.end().unwrap();
        w.finished().await.unwrap();
        assert_eq!(probe.taken(), (0..5).map(Value::Number).collect::<Vec<_>>());
    }
}

/// Node's object mode: `Readable.from(['a', '', 'b'])` gives the empty
/// string too; every item counts, whatever its value.
#[tokio::test]
async fn test_stream_object_mode_keeps_an_empty_string_item() {
    let items = vec!["a".to_owned(), String::new(), "b".to_owned()];
    let got = Readable::from_iter(items.clone())
        .collect_vec()
        .await
        .unwrap();
    assert_eq!(got, items);
}
