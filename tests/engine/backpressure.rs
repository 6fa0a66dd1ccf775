//! Backpressure: a stalled sink stops a fast source once every buffer on
//! the way is full, and the flow resumes when the sink does; a pipe polled
//! one step at a time never lets a buffer grow past its highWaterMark plus
//! one chunk.

use std::task::Poll;

use bytes::Bytes;
use smerge::{Duplex, PassThrough, PipeOptions, Readable, ReadableExt, Writable, pipe, pipeline};
use tokio_test::task::{Spawn, spawn};

use crate::common::mocks::{
    ChunkyReader, Hiccups, Meter, MockWriter, Rng, ScriptedSource, Shared, Stall, TakeSink,
};

/// Polls `task` until it is done or waits for something other than itself.
fn settle<F: std::future::Future>(task: &mut Spawn<F>) -> Poll<F::Output> {
    loop {
        let poll = task.poll();
        if poll.is_ready() || !task.is_woken() {
            return poll;
        }
    }
}

fn chunks(count: usize, size: usize, rng: &mut Rng) -> Vec<Bytes> {
    (0..count).map(|_| Bytes::from(rng.bytes(size))).collect()
}

#[test]
fn a_stalled_sink_stops_the_source_and_the_flow_resumes_when_it_does() {
    let mut rng = Rng::new(11);
    for case in 0..40 {
        let chunk = [1, 100, 4096][case % 3];
        // Byte-sized chunks get small marks, to keep the chunk count low.
        let largest = if chunk == 1 { 1000 } else { 64 * 1024 };
        let mut hwm = || [0, 1, 50, largest / 4, largest][rng.between(0, 4)];
        let source_hwm = hwm();
        let stage_hwms: Vec<(usize, usize)> = (0..case % 4).map(|_| (hwm(), hwm())).collect();
        let sink_hwm = hwm();
        let capacity = source_hwm + stage_hwms.iter().map(|(r, w)| r + w).sum::<usize>() + sink_hwm;
        let buffers = 2 + 2 * stage_hwms.len();
        // Twice what fits in the buffers.
        let count = (capacity + buffers * chunk) / chunk * 2 + 8;
        let data = chunks(count, chunk, &mut rng);

        let meter = Meter::default();
        let source = if case % 2 == 0 {
            Readable::new(ScriptedSource::new(data.clone(), rng.next_u64()).meter(meter.clone()))
        } else {
            let reader = ChunkyReader::new(data.concat())
                .max_read(chunk)
                .meter(meter.clone());
            Readable::from_reader(reader)
        }
        .with_high_water_mark(source_hwm);
        let mut chain = pipeline(source);
        for &(readable, writable) in &stage_hwms {
            let stage = Duplex::transform(PassThrough::new())
                .with_readable_high_water_mark(readable)
                .with_writable_high_water_mark(writable);
            chain = chain.pipe(stage);
        }
        let stall = Stall::engaged();
        let (sink, output) = if case % 4 < 2 {
            let (sink, taken) = TakeSink::new(1);
            (
                Writable::new(sink.stall(stall.clone())),
                Output::Chunks(taken),
            )
        } else {
            let (writer, written) = MockWriter::new();
            let writer = writer.stall(stall.clone()).vectored(case % 8 < 4);
            (Writable::from_writer(writer), Output::Bytes(written))
        };
        let mut task = spawn(chain.pipe(sink.with_high_water_mark(sink_hwm)));

        let what =
            format!("case {case}: chunk {chunk}, hwms {source_hwm} {stage_hwms:?} {sink_hwm}");
        assert!(
            settle(&mut task).is_pending(),
            "{what}: finished while stalled"
        );
        assert!(stall.refused() > 0, "{what}: the sink was never asked");
        let produced = meter.units();
        let polls = meter.polls();
        assert!(
            produced <= capacity + buffers * chunk,
            "{what}: the source produced {produced} bytes, more than the buffers hold ({capacity} + {buffers} chunks)"
        );
        for _ in 0..3 {
            assert!(task.poll().is_pending());
        }
        assert_eq!(
            (meter.polls(), meter.units()),
            (polls, produced),
            "{what}: the source was polled while the sink stalled"
        );

        stall.release();
        assert!(
            task.is_woken(),
            "{what}: releasing the sink did not wake the pipeline"
        );
        match settle(&mut task) {
            Poll::Ready(result) => result.unwrap_or_else(|e| panic!("{what}: {e}")),
            Poll::Pending => panic!("{what}: stuck after the sink resumed"),
        }
        let output = match output {
            Output::Chunks(taken) => taken.take().concat(),
            Output::Bytes(written) => written.take(),
        };
        assert!(output == data.concat(), "{what}: bytes out != bytes in");
    }
}

enum Output {
    Chunks(Shared<Bytes>),
    Bytes(Shared<u8>),
}

#[test]
fn a_pipe_polled_step_by_step_keeps_every_buffer_within_its_bound() {
    let mut rng = Rng::new(12);
    for case in 0..30 {
        let chunk = rng.between(1, 300);
        let mut hwm = || [0, 1, 64, 1000][rng.between(0, 3)];
        let (source_hwm, readable_hwm, writable_hwm, sink_hwm) = (hwm(), hwm(), hwm(), hwm());
        let data = chunks(rng.between(0, 60), chunk, &mut rng);

        let scripted = ScriptedSource::new(data.clone(), rng.next_u64())
            .max_per_call(3)
            .hiccups(Hiccups::seeded(rng.next_u64(), 30));
        let mut source = Readable::new(scripted).with_high_water_mark(source_hwm);
        let mut duplex: Duplex<Bytes, Bytes> = Duplex::transform(PassThrough::new())
            .with_readable_high_water_mark(readable_hwm)
            .with_writable_high_water_mark(writable_hwm);
        let (sink, taken) = TakeSink::new(rng.between(1, 3));
        let sink = sink.hiccups(Hiccups::seeded(rng.next_u64(), 30));
        let mut sink = Writable::new(sink).with_high_water_mark(sink_hwm);

        let what = format!(
            "case {case}: chunk {chunk}, hwms {source_hwm} {readable_hwm}/{writable_hwm} {sink_hwm}"
        );
        let mut steps = 0;
        while !sink.is_finished() {
            steps += 1;
            assert!(steps < 100_000, "{what}: no progress");
            if !duplex.is_finished() {
                let mut step = spawn(pipe(&mut source, &mut duplex, PipeOptions::default()));
                if let Poll::Ready(result) = step.poll() {
                    result.unwrap_or_else(|e| panic!("{what}: {e}"));
                }
            }
            let mut step = spawn(pipe(&mut duplex, &mut sink, PipeOptions::default()));
            if let Poll::Ready(result) = step.poll() {
                result.unwrap_or_else(|e| panic!("{what}: {e}"));
            }
            drop(step);
            let observed = [
                ("source", source.readable_length(), source_hwm),
                ("duplex writable", duplex.writable_length(), writable_hwm),
                ("duplex readable", duplex.readable_length(), readable_hwm),
                ("sink", sink.writable_length(), sink_hwm),
            ];
            for (buffer, length, hwm) in observed {
                assert!(
                    length <= hwm + chunk,
                    "{what}, step {steps}: {buffer} holds {length} > {hwm} + {chunk}"
                );
            }
        }
        assert_eq!(taken.take(), data, "{what}: bytes out != bytes in");
    }
}
