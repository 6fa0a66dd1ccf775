//! I/O error injection: a source, a transform or a sink fails at every
//! position (first chunk, middle, last, at the end, in flush, in final, in
//! shutdown). The chain returns that error, saying which stage failed; with
//! `pipeline` every stage that had not completed is destroyed with it
//! (`error`, then `close`); with `pipe` the others are only closed.

use bytes::Bytes;
use smerge::{Duplex, PassThrough, Readable, ReadableExt, Writable};

use super::lifecycle::{EventLog, Outcome, Role};
use super::stages::FailAt;
use crate::common::mocks::{
    ChunkyReader, MockWriter, Rng, ScriptedSource, SinkFailure, TakeSink, WriterFailure,
};

const LEN: usize = 200;
const CHUNK: usize = 31;
const HIGH_WATER_MARK: usize = 16;

/// The stage that fails, and where.
#[derive(Clone, Copy, Debug)]
enum Failing {
    /// The reader fails once it handed out this many bytes.
    Reader(usize),
    /// The source fails in place of this chunk.
    Source(usize),
    /// The transform fails on this byte (in flush at the length).
    Transform(usize),
    Writer(WriterFailure),
    Sink(SinkFailure),
}

impl Failing {
    fn every() -> Vec<Failing> {
        let positions = [0, LEN / 2, LEN - 1, LEN];
        let chunks = LEN.div_ceil(CHUNK);
        let mut every = Vec::new();
        every.extend(positions.map(Failing::Reader));
        every.extend([0, chunks / 2, chunks - 1, chunks].map(Failing::Source));
        every.extend(positions.map(Failing::Transform));
        every.extend(
            positions[..3]
                .iter()
                .map(|&p| Failing::Writer(WriterFailure::AtByte(p))),
        );
        every.extend([
            Failing::Writer(WriterFailure::OnCall(1)),
            Failing::Writer(WriterFailure::OnCall(3)),
            Failing::Writer(WriterFailure::OnFlush),
            Failing::Writer(WriterFailure::OnShutdown),
            Failing::Sink(SinkFailure::OnCall(1)),
            Failing::Sink(SinkFailure::OnCall(LEN / CHUNK)),
            Failing::Sink(SinkFailure::InFinal),
        ]);
        every
    }

    /// Which stage fails: 0 source, 1 pass-through, 2 failing transform, 3 sink.
    fn stage(self) -> usize {
        match self {
            Failing::Reader(_) | Failing::Source(_) => 0,
            Failing::Transform(_) => 2,
            Failing::Writer(_) | Failing::Sink(_) => 3,
        }
    }

    fn message(self) -> String {
        match self {
            Failing::Reader(position) => ChunkyReader::error_message(position),
            Failing::Source(index) => ScriptedSource::<Bytes>::error_message(index),
            Failing::Transform(position) => FailAt::error_message(position),
            Failing::Writer(failure) => failure.message(),
            Failing::Sink(failure) => failure.message(),
        }
    }
}

const NAMES: [&str; 4] = ["source", "pass", "fail", "sink"];

struct Chain {
    source: Readable<Bytes>,
    pass: Duplex<Bytes, Bytes>,
    fail: Duplex<Bytes, Bytes>,
    sink: Writable<Bytes>,
    logs: Vec<EventLog>,
}

fn chain(failing: Failing, named: bool) -> Chain {
    let data = Rng::new(7).bytes(LEN);
    let mut source = match failing {
        Failing::Reader(position) => {
            Readable::from_reader(ChunkyReader::new(data).fail_at(position))
        }
        Failing::Source(index) => {
            let chunks: Vec<Bytes> = data.chunks(CHUNK).map(Bytes::copy_from_slice).collect();
            Readable::new(
                ScriptedSource::new(chunks, 7)
                    .max_per_call(2)
                    .fail_at(index),
            )
        }
        _ => Readable::from_reader(ChunkyReader::new(data)),
    }
    .with_high_water_mark(HIGH_WATER_MARK);
    let position = match failing {
        Failing::Transform(position) => position,
        _ => usize::MAX,
    };
    let mut pass = Duplex::transform(PassThrough::new()).with_high_water_mark(HIGH_WATER_MARK);
    let mut fail = Duplex::transform(FailAt::new(position)).with_high_water_mark(HIGH_WATER_MARK);
    let mut sink = match failing {
        Failing::Sink(failure) => Writable::new(TakeSink::new(2).0.fail(failure)),
        Failing::Writer(failure) => {
            Writable::from_writer(MockWriter::new().0.max_write(17).fail(failure))
        }
        _ => Writable::from_writer(MockWriter::new().0.max_write(17)),
    }
    .with_high_water_mark(HIGH_WATER_MARK);
    if named {
        source = source.named(NAMES[0]);
        pass = pass.named(NAMES[1]);
        fail = fail.named(NAMES[2]);
        sink = sink.named(NAMES[3]);
    }
    let roles = [Role::Readable, Role::Duplex, Role::Duplex, Role::Writable];
    let logs: Vec<EventLog> = NAMES
        .iter()
        .zip(roles)
        .map(|(name, role)| EventLog::new(*name, role))
        .collect();
    source.observe(logs[0].observer());
    pass.observe(logs[1].observer());
    fail.observe(logs[2].observer());
    sink.observe(logs[3].observer());
    Chain {
        source,
        pass,
        fail,
        sink,
        logs,
    }
}

fn run<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(future)
}

/// Runs the chain and checks the error it returns; returns the event logs.
fn run_failing(failing: Failing, named: bool, through_pipeline: bool) -> Vec<EventLog> {
    let Chain {
        source,
        pass,
        fail,
        sink,
        logs,
    } = chain(failing, named);
    let result = if through_pipeline {
        run(smerge::pipeline(source).pipe(pass).pipe(fail).pipe(sink))
    } else {
        run(source.pipe(pass).pipe(fail).pipe(sink))
    };
    let case = format!("{failing:?}, named: {named}, pipeline: {through_pipeline}");
    let error = result.expect_err(&case);
    let text = format!("{error:#}");
    let stage = failing.stage();
    let place = if named {
        NAMES[stage].to_string()
    } else {
        format!("stage {stage}")
    };
    assert!(
        text.starts_with(&format!("{place}: ")),
        "{case}: the error does not start with {place:?}: {text}"
    );
    assert!(
        text.ends_with(&failing.message()),
        "{case}: not the injected error: {text}"
    );
    logs
}

#[test]
fn pipeline_returns_the_error_and_destroys_every_unfinished_stage() {
    for failing in Failing::every() {
        for named in [true, false] {
            let logs = run_failing(failing, named, true);
            for (index, log) in logs.iter().enumerate() {
                let outcome = if index == failing.stage() {
                    Outcome::Errored
                } else {
                    Outcome::CompletedOrErrored
                };
                if let Err(why) = log.check(outcome) {
                    panic!("{failing:?}, named: {named}: {why}");
                }
                if let Some(error) = log.error() {
                    assert!(
                        format!("{error:#}").ends_with(&failing.message()),
                        "{failing:?}: {} got another error: {error}",
                        NAMES[index]
                    );
                }
            }
        }
    }
}

#[test]
fn pipe_returns_the_error_and_closes_the_other_stages() {
    for failing in Failing::every() {
        for named in [true, false] {
            let logs = run_failing(failing, named, false);
            for (index, log) in logs.iter().enumerate() {
                let outcome = if index == failing.stage() {
                    Outcome::Errored
                } else {
                    Outcome::Closed
                };
                if let Err(why) = log.check(outcome) {
                    panic!("{failing:?}, named: {named}: {why}");
                }
            }
        }
    }
}
