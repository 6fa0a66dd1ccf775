//! Port of `test/parallel/test-stream-pipe-after-end.js`.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use smerge::{PipeOptions, Push, ReadSource, Readable, Result, Writable, pipe};

use crate::common::doubles::{Pace, Probe};
use crate::common::events::EventLog;

/// A source that ends at its first read and fails the test if read again.
struct EndsAtOnce {
    ended: bool,
}

impl ReadSource<Bytes> for EndsAtOnce {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        out: &mut Push<'_, Bytes>,
    ) -> Poll<Result<()>> {
        assert!(!self.ended, "_read called twice");
        self.get_mut().ended = true;
        out.end();
        Poll::Ready(Ok(()))
    }
}

/// A readable whose `end` was already emitted can still be piped: the
/// destination is ended and finishes; and a stream read to its end emits
/// `end` without a second read request.
#[tokio::test]
async fn test_stream_pipe_after_end() {
    let mut ender = Readable::new(EndsAtOnce { ended: false });
    let log = EventLog::new();
    log.attach(&mut ender);
    assert_eq!(ender.read(), None);
    assert!(log.entries().is_empty(), "`end` comes on the next tick");
    ender.tick();
    assert_eq!(log.entries(), ["end", "close"], "then auto-destroyed");

    let mut piper = Readable::new(EndsAtOnce { ended: false });
    assert_eq!(piper.read(), None);
    piper.tick();
    assert!(piper.is_ended());
    let (sink, probe) = Probe::<Bytes>::new(Pace::Immediate);
    let mut w = Writable::new(sink);
    let w_log = EventLog::new();
    w_log.attach(&mut w);
    pipe(&mut piper, &mut w, PipeOptions::default())
        .await
        .unwrap();
    assert!(w.is_finished());
    assert_eq!(probe.taken_count(), 0);
    assert_eq!(w_log.entries(), ["pipe", "prefinish", "finish", "unpipe"]);
}
