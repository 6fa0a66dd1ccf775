//! Port of `test/parallel/test-stream-writev.js`.

use bytes::Bytes;
use smerge::{Writable, WritableStream};

use crate::common::doubles::{Pace, Probe, b};
use crate::common::events::{EventLog, noop_cx};

fn expected() -> Vec<Bytes> {
    vec![
        b("hello, "),
        b("world"),
        b("!"),
        b("\nand then..."),
        Bytes::from_static(&[
            0xfa, 0xce, 0xbe, 0xa7, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xca, 0xfb, 0xad,
        ]),
    ]
}

/// Writes while corked (nested or not) reach the sink together, as one
/// vectored batch, whether the stream is uncorked or ended; `finish` comes
/// after the batch.
///
/// Node's variants over `decodeStrings` and per-chunk encodings have no
/// counterpart: chunks are bytes. The write callbacks' order is the
/// batch's order.
#[tokio::test]
async fn test_stream_writev() {
    for uncork in [false, true] {
        for multi in [false, true] {
            let (sink, probe) = Probe::new(Pace::Immediate);
            let probe = probe.vectored();
            let mut w = Writable::new(sink);
            let log = EventLog::new();
            log.attach(&mut w);
            let chunks = expected();

            w.cork();
            w.write(chunks[0].clone()).unwrap();
            w.write(chunks[1].clone()).unwrap();
            if multi {
                w.cork();
            }
            w.write(chunks[2].clone()).unwrap();
            w.write(chunks[3].clone()).unwrap();
            if multi {
                w.uncork();
            }
            assert_eq!(w.corked(), 1);
            w.write(chunks[4].clone()).unwrap();
            assert!(w.poll_drain(&mut noop_cx()).is_pending());
            assert_eq!(probe.offered(), 0, "nothing moves while corked");
            if uncork {
                w.uncork();
                assert_eq!(w.corked(), 0);
            }
            w.end().unwrap();
            assert_eq!(w.corked(), 0, "end uncorks fully");
            w.finished().await.unwrap();

            assert_eq!(probe.batches(), [5], "uncork={uncork} multi={multi}");
            assert_eq!(probe.taken(), chunks);
            drop(w);
            assert_eq!(log.entries(), ["prefinish", "finish", "close"]);
        }
    }
}
