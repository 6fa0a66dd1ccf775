//! Ports of `test/parallel/test-stream-pipe-unpipe-streams.js` and
//! `test/parallel/test-stream-pipe-multiple-pipes.js`.

use bytes::Bytes;
use smerge::{PipeOptions, Readable, Writable, WritableStream, finished, pipe_all};
use tokio_test::task;

use crate::common::doubles::{Feed, Pace, Probe, b};
use crate::common::events::EventLog;

/// Destinations can be unpiped in any order; each gets `unpipe` once (a
/// second `unpipe` of the same one does nothing); unpiping the last one
/// pauses the source and the pipe resolves. Dropping a pipe unpipes what
/// is left (Node's `unpipe()` without argument) and pauses the source.
/// The source's `resume` would come on the next tick, which this test
/// never lets come (the source is not polled).
#[test]
fn test_stream_pipe_unpipe_streams() {
    let (source, _feed) = Feed::<Bytes>::new();
    let mut source = Readable::new(source);
    let mut dest1 = Writable::new(Probe::new(Pace::Held).0);
    let mut dest2 = Writable::new(Probe::new(Pace::Held).0);
    let log = EventLog::new();
    log.attach_as(&mut source, "source");
    log.attach_as(&mut dest1, "dest1");
    log.attach_as(&mut dest2, "dest2");

    let mut piping = task::spawn(pipe_all(
        &mut source,
        vec![
            &mut dest1 as &mut dyn WritableStream<Input = Bytes>,
            &mut dest2,
        ],
        PipeOptions::default(),
    ));
    assert_eq!(log.entries(), ["dest1:pipe", "dest2:pipe"]);
    log.clear();
    assert!(piping.unpipe(1));
    assert_eq!(log.entries(), ["dest2:unpipe"]);
    assert!(!piping.unpipe(1));
    assert!(piping.unpipe(0));
    assert_eq!(
        log.entries(),
        ["dest2:unpipe", "source:pause", "dest1:unpipe"]
    );
    assert!(piping.poll().is_ready());
    drop(piping);
    assert_eq!(source.flowing(), Some(false));

    log.clear();
    let piping = pipe_all(
        &mut source,
        vec![
            &mut dest1 as &mut dyn WritableStream<Input = Bytes>,
            &mut dest2,
        ],
        PipeOptions::default(),
    );
    drop(piping);
    assert_eq!(
        log.entries(),
        [
            "dest1:pipe",
            "dest2:pipe",
            "source:pause",
            "dest1:unpipe",
            "dest2:unpipe"
        ]
    );
    assert_eq!(source.flowing(), Some(false));
}

/// Five destinations each get the chunk once (and `pipe` once); after each
/// is unpiped, later chunks reach none of them, and the source still ends
/// once resumed and read.
#[tokio::test]
async fn test_stream_pipe_multiple_pipes() {
    let (source, feed) = Feed::new();
    let mut readable = Readable::new(source);
    let mut probes = Vec::new();
    let mut writables = Vec::new();
    let log = EventLog::new();
    for _ in 0..5 {
        let (sink, probe) = Probe::new(Pace::Immediate);
        let mut target = Writable::new(sink);
        log.attach(&mut target);
        probes.push(probe);
        writables.push(target);
    }
    let input = Bytes::from_static(&[1, 2, 3, 4, 5]);
    feed.push(input.clone());
    {
        let targets = writables
            .iter_mut()
            .map(|w| w as &mut dyn WritableStream<Input = Bytes>)
            .collect();
        let mut piping = task::spawn(pipe_all(&mut readable, targets, PipeOptions::default()));
        assert!(piping.poll().is_pending());
        for probe in &probes {
            assert_eq!(probe.taken(), std::slice::from_ref(&input));
        }
        for index in 0..5 {
            assert!(piping.unpipe(index));
        }
    }
    assert_eq!(log.count("pipe"), 5);
    assert_eq!(log.count("unpipe"), 5);

    feed.push(b("something else"));
    feed.end();
    readable.resume();
    let readable_log = EventLog::new();
    readable_log.attach(&mut readable);
    finished(&mut readable).await.unwrap();
    assert_eq!(readable_log.count("end"), 1);
    for probe in &probes {
        assert_eq!(probe.taken(), std::slice::from_ref(&input));
    }
}

/// Unpiping the destination the source was waiting for (Node's cleanup
/// calls its `ondrain`): the source resumes and the other destination
/// gets the next chunk.
#[test]
fn test_stream_pipe_unpipe_streams_waiting_destination() {
    let (source, feed) = Feed::new();
    let mut source = Readable::new(source);
    let (fast_sink, fast) = Probe::new(Pace::Immediate);
    let (slow_sink, slow) = Probe::new(Pace::Held);
    let mut dest1 = Writable::new(fast_sink);
    let mut dest2 = Writable::new(slow_sink);
    let log = EventLog::new();
    log.attach(&mut source);
    let mut piping = task::spawn(pipe_all(
        &mut source,
        vec![
            &mut dest1 as &mut dyn WritableStream<Input = Bytes>,
            &mut dest2,
        ],
        PipeOptions::default(),
    ));
    feed.push(Bytes::from(vec![0u8; 70_000]));
    assert!(piping.poll().is_pending());
    feed.push(b("next"));
    assert!(piping.poll().is_pending());
    assert_eq!(fast.taken_count(), 1, "waiting for the slow destination");
    assert!(piping.unpipe(1));
    assert!(piping.poll().is_pending());
    assert_eq!(fast.taken_count(), 2);
    assert_eq!(slow.offered(), 1);
    drop(piping);
    assert_eq!(
        log.entries(),
        ["resume", "data", "pause", "resume", "data", "pause"]
    );
}
