//! Port of `test/parallel/test-stream2-transform.js`.
//!
//! Node's two "passthrough event emission" cases count `'readable'` events
//! a transform emits by itself as writes arrive; smerge emits `readable`
//! only to a consumer waiting for it (`Readable::readable`), which a
//! transform's output has no counterpart of, so they are not ported.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use smerge::{
    Chunk, Duplex, Error, ErrorKind, PassThrough, Push, Result, Transform, WritableStream,
};

use crate::common::doubles::b;
use crate::common::events::{EventLog, noop_cx};

/// Drives the writable side of `duplex` until it finished (Node's
/// `on('finish')`), without reading its output.
async fn writes_finished<I: Chunk, O: Chunk>(duplex: &mut Duplex<I, O>) {
    poll_fn(|cx| WritableStream::poll_finish(duplex, cx))
        .await
        .unwrap();
}

/// `read(5)` until the end, as strings.
fn read_fives(duplex: &mut Duplex<Bytes, Bytes>) -> Vec<String> {
    std::iter::from_fn(|| duplex.read_bytes(5))
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect()
}

fn write_all(duplex: &mut Duplex<Bytes, Bytes>, chunks: &[&str]) {
    for chunk in chunks {
        duplex.write(b(chunk)).unwrap();
    }
}

/// A pass-through that counts the bytes it took.
struct CountingPass(Arc<AtomicUsize>);

impl Transform for CountingPass {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
        self.0.fetch_add(chunk.len(), Ordering::SeqCst);
        out.push(chunk);
        Ok(())
    }
}

/// "Verify writable side consumption": with a highWaterMark of 10 and
/// writes of 1 to 10 bytes, the transform takes 1+2+3+4 bytes, filling the
/// readable side to 10; the 4-byte chunk's callback is held while its
/// output fills the readable side, so it still counts, and 5 to 10 queue
/// behind it (Node's `writableBuffer`): 4 + 45 bytes.
#[test]
fn test_stream2_transform_writable_side_consumption() {
    let transformed = Arc::new(AtomicUsize::new(0));
    let mut tx = Duplex::transform(CountingPass(Arc::clone(&transformed))).with_high_water_mark(10);
    for i in 1..=10 {
        tx.write(Bytes::from(vec![0u8; i])).unwrap();
    }
    tx.end().unwrap();
    assert!(tx.poll_drain(&mut noop_cx()).is_pending());
    assert_eq!(tx.readable_length(), 10);
    assert_eq!(transformed.load(Ordering::SeqCst), 10);
    assert_eq!(tx.writable_length(), 4 + 5 + 6 + 7 + 8 + 9 + 10);
}

/// "Verify passthrough behavior": `read(5)` joins and splits chunks, and
/// gives the rest at the end.
#[test]
fn test_stream2_transform_passthrough() {
    let mut pt = Duplex::<Bytes, Bytes>::pass_through();
    write_all(&mut pt, &["foog", "bark", "bazy", "kuel"]);
    pt.end().unwrap();
    assert_eq!(read_fives(&mut pt), ["foogb", "arkba", "zykue", "l"]);
}

/// An object of the kinds Node's object tests pass through.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Number(i64),
    Flag(bool),
    Text(&'static str),
}

impl Chunk for Value {}

fn values() -> Vec<Value> {
    vec![
        Value::Number(1),
        Value::Flag(true),
        Value::Flag(false),
        Value::Number(0),
        Value::Text("foo"),
        Value::Text(""),
    ]
}

/// "Verify object passthrough behavior": every object comes out, one per
/// `read()`, falsy ones included.
#[test]
fn test_stream2_transform_object_passthrough() {
    let mut pt = Duplex::<Value, Value>::pass_through();
    for value in values() {
        pt.write(value).unwrap();
    }
    pt.end().unwrap();
    for value in values() {
        assert_eq!(pt.read(), Some(value));
    }
    assert_eq!(pt.read(), None);
}

/// Replaces every byte with `x`.
struct Exes;

impl Transform for Exes {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
        out.push(Bytes::from(vec![b'x'; chunk.len()]));
        Ok(())
    }
}

/// "Perform a simple transform".
#[test]
fn test_stream2_transform_simple_transform() {
    let mut pt = Duplex::transform(Exes);
    write_all(&mut pt, &["foog", "bark", "bazy", "kuel"]);
    pt.end().unwrap();
    assert_eq!(read_fives(&mut pt), ["xxxxx", "xxxxx", "xxxxx", "x"]);
}

/// Formats each object as text, as Node's test does with `JSON.stringify`.
struct Stringify;

impl Transform for Stringify {
    type Input = Value;
    type Output = String;

    fn transform(&mut self, value: Value, out: &mut Push<'_, String>) -> Result<()> {
        out.push(match value {
            Value::Number(n) => n.to_string(),
            Value::Flag(f) => f.to_string(),
            Value::Text(t) => format!("{t:?}"),
        });
        Ok(())
    }
}

/// "Verify simple object transform".
#[test]
fn test_stream2_transform_simple_object_transform() {
    let mut pt = Duplex::transform(Stringify);
    for value in values() {
        pt.write(value).unwrap();
    }
    pt.end().unwrap();
    let out: Vec<String> = std::iter::from_fn(|| pt.read()).collect();
    assert_eq!(out, ["1", "true", "false", "0", "\"foo\"", "\"\""]);
}

/// A transform whose outputs for a chunk are pushed one per tick, the
/// chunk's callback coming right after the last: Node's `setTimeout`
/// transforms.
struct Later<F> {
    outputs: F,
    pending: VecDeque<Bytes>,
    working: bool,
    waiting: bool,
}

impl<F: FnMut(Bytes) -> Vec<Bytes>> Later<F> {
    fn new(outputs: F) -> Self {
        Later {
            outputs,
            pending: VecDeque::new(),
            working: false,
            waiting: false,
        }
    }
}

impl<F: FnMut(Bytes) -> Vec<Bytes> + Send + Unpin + 'static> Transform for Later<F> {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, chunk: Bytes, _out: &mut Push<'_, Bytes>) -> Result<()> {
        self.pending.extend((self.outputs)(chunk));
        self.working = true;
        Ok(())
    }

    fn poll_ready(&mut self, cx: &mut Context<'_>, out: &mut Push<'_, Bytes>) -> Poll<Result<()>> {
        while self.working {
            if !out.has_room() {
                return Poll::Pending;
            }
            if !self.waiting {
                // A tick passes before each output.
                self.waiting = true;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            self.waiting = false;
            if let Some(output) = self.pending.pop_front() {
                out.push(output);
            }
            self.working = !self.pending.is_empty();
        }
        Poll::Ready(Ok(()))
    }
}

/// "Verify async passthrough": once the writable side finished, `read(5)`
/// re-chunks what was pushed a tick at a time.
#[tokio::test]
async fn test_stream2_transform_async_passthrough() {
    let mut pt = Duplex::transform(Later::new(|chunk| vec![chunk]));
    write_all(&mut pt, &["foog", "bark", "bazy", "kuel"]);
    pt.end().unwrap();
    writes_finished(&mut pt).await;
    assert_eq!(read_fives(&mut pt), ["foogb", "arkba", "zykue", "l"]);
}

/// "Verify asymmetric transform (expand)": each chunk comes out twice.
#[tokio::test]
async fn test_stream2_transform_asymmetric_expand() {
    let mut pt = Duplex::transform(Later::new(|chunk: Bytes| vec![chunk.clone(), chunk]));
    write_all(&mut pt, &["foog", "bark", "bazy", "kuel"]);
    pt.end().unwrap();
    writes_finished(&mut pt).await;
    assert_eq!(
        read_fives(&mut pt),
        ["foogf", "oogba", "rkbar", "kbazy", "bazyk", "uelku", "el"]
    );
}

/// The first byte of every three chunks, the rest at the flush.
#[derive(Default)]
struct FirstOfThree {
    state: Vec<u8>,
}

impl Transform for FirstOfThree {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
        self.state.extend(chunk.first());
        if self.state.len() == 3 {
            out.push(Bytes::from(std::mem::take(&mut self.state)));
        }
        Ok(())
    }

    fn flush(&mut self, out: &mut Push<'_, Bytes>) -> Result<()> {
        out.push(Bytes::from(std::mem::take(&mut self.state)));
        Ok(())
    }
}

/// "Verify asymmetric transform (compress)": `flush` pushes what is left,
/// before the end.
#[tokio::test]
async fn test_stream2_transform_asymmetric_compress() {
    let mut pt = Duplex::transform(FirstOfThree::default());
    let letters = ["aaaa", "bbbb", "cccc", "dddd", "eeee"];
    for i in 0..14 {
        pt.write(b(letters[i % 5])).unwrap();
    }
    pt.end().unwrap();
    writes_finished(&mut pt).await;
    assert_eq!(read_fives(&mut pt), ["abcde", "abcde", "abcd"]);
}

/// Holds the second chunk back and pushes it with the third.
#[derive(Default)]
struct HoldSecond {
    count: usize,
    saved: Option<Bytes>,
}

impl Transform for HoldSecond {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
        self.count += 1;
        if self.count == 2 {
            self.saved = Some(chunk);
        } else {
            if let Some(saved) = self.saved.take() {
                out.push(saved);
            }
            out.push(chunk);
        }
        Ok(())
    }
}

/// "Verify complex transform behavior": writes into a full transform
/// whose transforms sometimes push nothing do not stall: everything comes
/// out once read, then the stream ends.
///
/// Node's paused `read()` returns everything buffered at once
/// (`'abcdef'`); smerge's returns one chunk at a time.
#[test]
fn test_stream2_transform_complex_transform() {
    let mut pt = Duplex::transform(HoldSecond::default()).with_high_water_mark(3);
    let log = EventLog::new();
    log.attach(&mut pt);
    assert!(!pt.write(b("abc")).unwrap());
    assert!(
        pt.poll_drain(&mut noop_cx()).is_pending(),
        "the callback of `abc` is held while its output fills the readable side"
    );
    assert_eq!(pt.readable_length(), 3);
    assert!(!pt.write(b("d")).unwrap(), "`abc` still counts");
    assert!(!pt.write(b("ef")).unwrap());
    let mut out = Vec::new();
    while let Some(chunk) = pt.read() {
        out.extend_from_slice(&chunk);
    }
    assert_eq!(out, b"abcdef");
    assert_eq!(pt.read(), None);
    pt.end().unwrap();
    assert_eq!(pt.read(), None);
    pt.tick();
    assert!(pt.is_ended());
    assert_eq!(log.count("drain"), 1);
}

/// "Verify passthrough facade": chunks written over time come out as
/// `data` in order; `end()` flushes and emits `prefinish`; at the next
/// tick `finish` (queued by `end()`), `end` (queued by the read that found
/// it) and `close` follow, as in Node.
#[test]
fn test_stream2_transform_passthrough_facade() {
    let mut pt = Duplex::transform(PassThrough::<Bytes>::new());
    let log = EventLog::new();
    log.attach(&mut pt);
    let mut datas = Vec::new();
    for chunk in ["foog", "bark", "bazy", "kuel"] {
        pt.write(b(chunk)).unwrap();
        datas.extend(pt.read());
    }
    pt.end().unwrap();
    assert_eq!(pt.read(), None);
    assert!(pt.poll_finish(&mut noop_cx()).is_ready());
    assert_eq!(datas, [b("foog"), b("bark"), b("bazy"), b("kuel")]);
    assert_eq!(
        log.entries(),
        [
            "data",
            "data",
            "data",
            "data",
            "prefinish",
            "finish",
            "end",
            "close"
        ]
    );
}

/// Parses numbers, as Node's test parses JSON.
struct Parse;

impl Transform for Parse {
    type Input = String;
    type Output = i64;

    fn transform(&mut self, text: String, out: &mut Push<'_, i64>) -> Result<()> {
        let number = text
            .parse()
            .map_err(|_| Error::new(ErrorKind::InvalidData, format!("not a number: {text}")))?;
        out.push(number);
        Ok(())
    }
}

/// "Verify object transform (JSON parse)" and "(JSON stringify)": each
/// object is read right after it was written; after `end()`, one more read
/// emits `end`.
#[test]
fn test_stream2_transform_object_transform_json() {
    let mut jp = Duplex::transform(Parse);
    let log = EventLog::new();
    log.attach(&mut jp);
    for n in [100, -3, 0] {
        jp.write(n.to_string()).unwrap();
        assert_eq!(jp.read(), Some(n));
    }
    jp.end().unwrap();
    assert_eq!(jp.read(), None);
    jp.tick();
    assert_eq!(log.count("end"), 1);

    let mut js = Duplex::transform(Stringify);
    for value in values() {
        js.write(value.clone()).unwrap();
        assert!(js.read().is_some());
    }
    js.end().unwrap();
    assert_eq!(js.read(), None);
    js.tick();
    assert!(js.is_ended());
}
