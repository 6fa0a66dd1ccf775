//! Port of `test/parallel/test-stream-unshift-read-race.js`.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use smerge::{ErrorKind, Push, ReadSource, Readable, ReadableExt, Result, Writable};

use crate::common::doubles::{Pace, Probe, b};

/// Node's source: each read request is answered on the next tick with the
/// next `n` bytes (`n` being the highWaterMark Node passes to `_read`), or
/// the end; it must never be asked again after the end.
struct Slow {
    data: Bytes,
    pos: usize,
    waiting: bool,
    pushed_null: bool,
}

impl ReadSource<Bytes> for Slow {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, Bytes>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        assert!(!this.pushed_null, "_read after null push");
        if !this.waiting {
            this.waiting = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        this.waiting = false;
        if this.pos >= this.data.len() {
            this.pushed_null = true;
            out.end();
        } else {
            let end = (this.pos + out.high_water_mark()).min(this.data.len());
            out.push(this.data.slice(this.pos..end));
            this.pos = end;
        }
        Poll::Ready(Ok(()))
    }
}

/// Reading 10 bytes at a time and unshifting `1234` after each read
/// (after the end was pushed, too) never makes the source read twice at
/// once or after its end; every chunk after the first starts with `1234`
/// and continues the `asdf` pattern; 18 chunks in all. Node's
/// `unshift` inside an `end` listener is an error; smerge has no such
/// listener, and after the end the stream is auto-destroyed, where Node's
/// `unshift` adds nothing and answers `false` (and so does smerge's).
///
/// Node's test also pushes after the end inside `_read` and expects a
/// throw; smerge's `Push::push` returns `false` and the stream fails with
/// `PushAfterEof` (checked in `test_stream_unshift_read_race_push_after_eof`).
#[tokio::test]
async fn test_stream_unshift_read_race() {
    let hwm = 10;
    let data: Vec<u8> = (0..10 * hwm + hwm / 2).map(|i| b"asdf"[i % 4]).collect();
    let mut r = Readable::new(Slow {
        data: Bytes::from(data),
        pos: 0,
        waiting: false,
        pushed_null: false,
    })
    .with_high_water_mark(hwm);
    let (sink, probe) = Probe::new(Pace::Immediate);
    let mut w = Writable::new(sink);

    while !r.is_ended() {
        r.readable().await.unwrap();
        while let Some(chunk) = r.read_bytes(10) {
            let long = chunk.len() > 4;
            w.write(chunk).unwrap();
            if long {
                r.unshift(b("1234")).unwrap();
            }
        }
    }
    assert!(!r.unshift(Bytes::from_static(b"x")).unwrap());
    assert_eq!(r.readable_length(), 0);
    w.close().await.unwrap();

    let written: Vec<String> = probe
        .taken()
        .iter()
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    assert_eq!(written.len(), 18);
    assert_eq!(written[0], "asdfasdfas");
    let mut expected = "asdf".chars().cycle().skip(2);
    for chunk in &written[1..] {
        assert_eq!(&chunk[..4], "1234");
        for c in chunk[4..].chars() {
            assert_eq!(c, expected.next().unwrap());
        }
    }
}

/// A source pushing after its end: the push is refused and the stream
/// fails with `PushAfterEof`.
#[tokio::test]
async fn test_stream_unshift_read_race_push_after_eof() {
    struct PushesAfterEnd;
    impl ReadSource<Bytes> for PushesAfterEnd {
        fn poll_read(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            out: &mut Push<'_, Bytes>,
        ) -> Poll<Result<()>> {
            out.end();
            assert!(!out.push(b("x")));
            Poll::Ready(Ok(()))
        }
    }
    let r = Readable::new(PushesAfterEnd);
    let error = r.collect_vec().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::PushAfterEof);
}
