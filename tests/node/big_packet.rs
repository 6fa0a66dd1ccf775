//! Port of `test/parallel/test-stream-big-packet.js`.

use bytes::Bytes;
use smerge::{Duplex, PipeOptions, Writable, WritableStream, pipe};

use crate::common::doubles::{Pace, Probe, b};
use crate::common::events::EventLog;

/// A chunk larger than the highWaterMark makes `write()` return `false`
/// (the chunk is queued all the same), while a small one into another
/// stream returns `true`; a destination shared by two sources stays open
/// after the `end: false` pipe, and the big chunk and the later one both
/// reach it.
///
/// Node pipes both sources into the destination at once. A pipe borrows
/// its destination exclusively, so here the two pipes into the shared
/// destination run one after the other, the first with `end: false` —
/// which is how smerge merges several sources into one writer.
#[tokio::test]
async fn test_stream_big_packet() {
    let mut s1 = Duplex::<Bytes, Bytes>::pass_through();
    let mut s2 = Duplex::<Bytes, Bytes>::pass_through();
    let (sink, probe) = Probe::new(Pace::NextTick);
    let mut s3 = Writable::new(sink);
    let log = EventLog::new();
    log.attach(&mut s3);

    let big = Bytes::from(vec![b'x'; s1.writable_high_water_mark() + 1]);
    assert!(!s1.write(big.clone()).unwrap());
    assert!(WritableStream::needs_drain(&s1));
    assert!(s2.write(b("tiny")).unwrap());

    s2.end().unwrap();
    pipe(&mut s2, &mut s3, PipeOptions::keep_open())
        .await
        .unwrap();
    assert!(!s3.is_ended(), "end: false leaves the destination open");
    let taken: usize = probe.taken().iter().map(Bytes::len).sum();
    assert_eq!(s3.writable_length() + taken, 4, "tiny is in s3");

    assert!(!s1.write(b("later")).unwrap());
    s1.end().unwrap();
    pipe(&mut s1, &mut s3, PipeOptions::default())
        .await
        .unwrap();
    assert!(s3.is_finished());
    let taken = probe.taken();
    assert_eq!(taken, [b("tiny"), big, b("later")]);
    assert!(taken.iter().any(|chunk| chunk.contains(&b'a')));
    assert_eq!(log.count("finish"), 1);
}
