//! Property tests of the engine: random data, chunkings, highWaterMarks and
//! chains of transforms, through `pipeline` and through `Readable::pipe`.
//! Every case checks that the bytes come out as they went in, that no
//! buffer grows past its highWaterMark plus what one producer call may add
//! (one chunk, for a stage that pushes one chunk per call), and that every
//! stream's terminal events come once each, in Node's order.
//!
//! The stages that check buffers are in [`super::stages`]: a transform
//! sees its readable buffer through [`smerge::Push`], a [`Probe`] duplex
//! of two halves sees its writable queue too, a [`ScriptedSource`] sees the
//! source's buffer and a [`TakeSink`] the destination's queue.

use bytes::Bytes;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestCaseError};
use smerge::{
    CollectSink, Duplex, PipeTarget, PipelineFuture, Readable, ReadableExt, Writable, pipeline,
};

use super::lifecycle::{EventLog, Outcome, Role};
use super::stages::{CheckedPass, Coalesce, Probe, Rechunk};
use crate::common::mocks::{
    Bound, Bounds, ChunkyReader, Hiccups, MockWriter, Rng, ScriptedSource, Shared, TakeSink,
};

/// At most about this many chunks cross the smallest link of a case, so
/// that a case runs in milliseconds even unoptimised.
const MAX_CHUNKS: usize = 8192;

const MAX_DATA: usize = 256 * 1024;

/// 64 cases from a fixed seed, so every run checks the same cases; set
/// `SMERGE_ENGINE_CASES` and `SMERGE_ENGINE_SEED` to search further.
fn config() -> Config {
    let setting = |name: &str, default: u64| {
        std::env::var(name).map_or(default, |value| value.parse().expect(name))
    };
    Config {
        cases: setting("SMERGE_ENGINE_CASES", 64) as u32,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(setting("SMERGE_ENGINE_SEED", 0x5e_e9_e5)),
        ..Config::default()
    }
}

#[derive(Clone, Copy, Debug)]
enum Mode {
    /// `pipeline(source).pipe(..)...`: destroy every stage on error.
    Pipeline,
    /// `source.pipe(..)...`: Node's `pipe` semantics.
    Pipe,
}

#[derive(Clone, Debug)]
enum SourceSpec {
    /// A [`ScriptedSource`] of `size`-byte chunks, up to `per_call` per call.
    Chunks { size: usize, per_call: usize },
    /// `Readable::from_reader` over a [`ChunkyReader`].
    Reader { max_read: usize },
}

#[derive(Clone, Debug)]
enum StageKind {
    Pass,
    Probe,
    Rechunk { max_piece: usize },
    Coalesce { limit: usize },
}

#[derive(Clone, Debug)]
struct StageSpec {
    kind: StageKind,
    readable_hwm: usize,
    writable_hwm: usize,
}

#[derive(Clone, Debug)]
enum SinkSpec {
    Take { per_call: usize },
    Collect,
    Writer { max_write: usize, vectored: bool },
}

#[derive(Clone, Debug)]
struct Case {
    mode: Mode,
    source: SourceSpec,
    source_hwm: usize,
    stages: Vec<StageSpec>,
    /// One destination, or several that each get every chunk; with the
    /// highWaterMark of each.
    sinks: Vec<(SinkSpec, usize)>,
    /// Percentage of polls a mock answers `Pending`.
    hiccups: usize,
    len: usize,
    seed: u64,
}

impl Case {
    /// The smallest chunk size on the way: the data is kept short enough
    /// that no link carries much more than [`MAX_CHUNKS`] chunks.
    fn smallest_chunk(&self) -> usize {
        let source = match self.source {
            SourceSpec::Chunks { size, .. } => size,
            SourceSpec::Reader { max_read } => max_read,
        };
        let stages = self.stages.iter().map(|stage| match stage.kind {
            StageKind::Pass | StageKind::Probe => usize::MAX,
            StageKind::Rechunk { max_piece } => max_piece.div_ceil(2),
            StageKind::Coalesce { limit } => limit,
        });
        let sinks = self.sinks.iter().map(|(sink, _)| match sink {
            SinkSpec::Writer { max_write, .. } => *max_write,
            _ => usize::MAX,
        });
        stages.chain(sinks).chain([source]).min().unwrap()
    }
}

fn high_water_mark() -> impl Strategy<Value = usize> {
    prop_oneof![
        Just(0),
        1..=64usize,
        65..=65536usize,
        65537..=(1usize << 20)
    ]
}

fn chunk_size() -> impl Strategy<Value = usize> {
    prop_oneof![1..=64usize, 65..=4096usize, 4097..=(256usize * 1024)]
}

fn source_spec() -> impl Strategy<Value = SourceSpec> {
    prop_oneof![
        (chunk_size(), 1..=8usize)
            .prop_map(|(size, per_call)| SourceSpec::Chunks { size, per_call }),
        prop_oneof![Just(31), 1..=4096usize].prop_map(|max_read| SourceSpec::Reader { max_read }),
    ]
}

fn stage_spec() -> impl Strategy<Value = StageSpec> {
    let kind = prop_oneof![
        Just(StageKind::Pass),
        Just(StageKind::Probe),
        chunk_size().prop_map(|max_piece| StageKind::Rechunk { max_piece }),
        chunk_size().prop_map(|limit| StageKind::Coalesce { limit }),
    ];
    (kind, high_water_mark(), high_water_mark()).prop_map(|(kind, readable_hwm, writable_hwm)| {
        StageSpec {
            kind,
            readable_hwm,
            writable_hwm,
        }
    })
}

fn sink_spec() -> impl Strategy<Value = SinkSpec> {
    prop_oneof![
        (1..=8usize).prop_map(|per_call| SinkSpec::Take { per_call }),
        Just(SinkSpec::Collect),
        (chunk_size(), any::<bool>()).prop_map(|(max_write, vectored)| SinkSpec::Writer {
            max_write,
            vectored
        }),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let mode = prop_oneof![Just(Mode::Pipeline), Just(Mode::Pipe)];
    let shape = (
        mode,
        source_spec(),
        high_water_mark(),
        proptest::collection::vec(stage_spec(), 0..=4),
        prop_oneof![
            3 => proptest::collection::vec((sink_spec(), high_water_mark()), 1..=1),
            1 => proptest::collection::vec((sink_spec(), high_water_mark()), 2..=3),
        ],
        prop_oneof![Just(0), 1..=30usize],
    );
    shape.prop_flat_map(|(mode, source, source_hwm, stages, sinks, hiccups)| {
        let shape = Case {
            mode,
            source,
            source_hwm,
            stages,
            sinks,
            hiccups,
            len: 0,
            seed: 0,
        };
        let longest = MAX_DATA.min(shape.smallest_chunk().saturating_mul(MAX_CHUNKS));
        (0..=longest, any::<u64>()).prop_map(move |(len, seed)| Case {
            len,
            seed,
            ..shape.clone()
        })
    })
}

/// What a case built: the future to run, and what to look at afterwards.
struct Built {
    future: PipelineFuture<Bytes>,
    logs: Vec<EventLog>,
    bounds: Bounds,
    outputs: Vec<Output>,
}

enum Output {
    Chunks(Shared<Bytes>),
    Collected(smerge::Collected<Bytes>),
    Written(Shared<u8>),
}

impl Output {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Output::Chunks(shared) => shared.take().concat(),
            Output::Collected(collected) => collected.take().concat(),
            Output::Written(shared) => shared.take(),
        }
    }
}

fn build(case: &Case, data: &[u8]) -> Built {
    let bounds = Bounds::default();
    let mut rng = Rng::new(case.seed);
    let mut logs = Vec::new();
    let hiccups = |rng: &mut Rng| Hiccups::seeded(rng.next_u64(), case.hiccups);

    let (mut source, mut largest) = match case.source {
        SourceSpec::Chunks { size, per_call } => {
            let chunks: Vec<Bytes> = data.chunks(size).map(Bytes::copy_from_slice).collect();
            let scripted = ScriptedSource::new(chunks, case.seed)
                .max_per_call(per_call)
                .hiccups(hiccups(&mut rng))
                // A read asks the source while what it leaves is below
                // the mark (Node's `read()`), so the buffer may hold the
                // mark, the chunk being read and one chunk more.
                .bound(bounds.bound("source", 2 * size));
            (Readable::new(scripted), size)
        }
        SourceSpec::Reader { max_read } => {
            let reader = ChunkyReader::new(data.to_vec())
                .max_read(max_read)
                .hiccups(hiccups(&mut rng));
            (Readable::from_reader(reader), max_read)
        }
    };
    source = source.with_high_water_mark(case.source_hwm);
    let log = EventLog::new("source", Role::Readable);
    source.observe(log.observer());
    logs.push(log);

    let mut stages = Vec::new();
    for (index, spec) in case.stages.iter().enumerate() {
        let name = format!("stage {} ({:?})", index + 1, spec.kind);
        // A transform holds no write once its writable side ended (Node's
        // `Transform._write` checks `writableEnded` first): what was queued
        // then moves to the readable side at once.
        let ended = spec.writable_hwm + largest;
        let readable = bounds.bound(format!("{name} readable"), largest + ended);
        let mut stage = match spec.kind {
            StageKind::Pass => Duplex::transform(CheckedPass::new(readable)),
            StageKind::Probe => {
                let readable = bounds.bound(format!("{name} readable"), largest);
                let writable = bounds.bound(format!("{name} writable"), largest);
                Probe::duplex(spec.writable_hwm, writable, readable)
            }
            StageKind::Rechunk { max_piece } => {
                let rechunk = Rechunk::new(rng.next_u64(), max_piece, readable);
                largest = largest.min(max_piece);
                Duplex::transform(rechunk)
            }
            StageKind::Coalesce { limit } => {
                let coalesce = Coalesce::new(
                    limit,
                    bounds.bound(format!("{name} readable"), limit + ended),
                );
                largest = limit;
                Duplex::transform(coalesce)
            }
        }
        .with_readable_high_water_mark(spec.readable_hwm)
        .with_writable_high_water_mark(spec.writable_hwm);
        let log = EventLog::new(name, Role::Duplex);
        stage.observe(log.observer());
        logs.push(log);
        stages.push(stage);
    }

    let mut sinks = Vec::new();
    let mut outputs = Vec::new();
    for (index, (spec, hwm)) in case.sinks.iter().enumerate() {
        let name = format!("sink {index}");
        let (sink, output) =
            build_sink(spec, *hwm, bounds.bound(&name, largest), hiccups(&mut rng));
        let mut sink = sink.with_high_water_mark(*hwm);
        let log = EventLog::new(name, Role::Writable);
        sink.observe(log.observer());
        logs.push(log);
        sinks.push(sink);
        outputs.push(output);
    }
    let future = if sinks.len() == 1 {
        connect(case.mode, source, stages, sinks.pop().unwrap())
    } else {
        connect(case.mode, source, stages, sinks)
    };
    Built {
        future,
        logs,
        bounds,
        outputs,
    }
}

fn build_sink(
    spec: &SinkSpec,
    hwm: usize,
    bound: Bound,
    hiccups: Hiccups,
) -> (Writable<Bytes>, Output) {
    match *spec {
        SinkSpec::Take { per_call } => {
            let (sink, taken) = TakeSink::new(per_call);
            let sink = sink.hiccups(hiccups).bound(bound, hwm);
            (Writable::new(sink), Output::Chunks(taken))
        }
        SinkSpec::Collect => {
            let (sink, collected) = CollectSink::new();
            (Writable::new(sink), Output::Collected(collected))
        }
        SinkSpec::Writer {
            max_write,
            vectored,
        } => {
            let (writer, written) = MockWriter::new();
            let writer = writer
                .max_write(max_write)
                .vectored(vectored)
                .hiccups(hiccups);
            (Writable::from_writer(writer), Output::Written(written))
        }
    }
}

/// Chains `source`, `stages` and `sink` (a writable, or several) the way
/// `mode` says.
fn connect<T, P>(
    mode: Mode,
    source: Readable<T>,
    stages: Vec<Duplex<T, T>>,
    sink: P,
) -> PipelineFuture<T>
where
    T: smerge::Chunk,
    P: PipeTarget<T, Output = PipelineFuture<T>>,
{
    let mut stages = stages.into_iter();
    let chain = match (mode, stages.next()) {
        (Mode::Pipeline, None) => pipeline(source),
        (Mode::Pipeline, Some(first)) => pipeline(source).pipe(first),
        (Mode::Pipe, None) => return source.pipe(sink),
        (Mode::Pipe, Some(first)) => source.pipe(first),
    };
    stages
        .fold(chain, |chain, stage| chain.pipe(stage))
        .pipe(sink)
}

fn run<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(future)
}

fn check_bytes(case: &Case) -> Result<(), TestCaseError> {
    let data = Rng::new(case.seed).bytes(case.len);
    let built = build(case, &data);
    let result = run(built.future);
    prop_assert!(result.is_ok(), "the chain failed: {:?}", result);
    for (index, output) in built.outputs.iter().enumerate() {
        let output = output.bytes();
        prop_assert_eq!(
            output.len(),
            data.len(),
            "sink {}: bytes out != bytes in",
            index
        );
        prop_assert!(
            output == data,
            "sink {}: bytes out differ from bytes in",
            index
        );
    }
    let violations = built.bounds.violations();
    prop_assert!(
        violations.is_empty(),
        "buffers past their bound: {:?}",
        &violations[..violations.len().min(8)]
    );
    for log in &built.logs {
        log.check(Outcome::Completed).map_err(TestCaseError::fail)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn bytes_cross_any_chain_unchanged_within_bounds_and_in_order(case in case()) {
        check_bytes(&case)?;
    }

    #[test]
    fn objects_cross_any_chain_unchanged_within_bounds_and_in_order(
        count in 0..2000u64,
        pipe in any::<bool>(),
        source_hwm in 0..=64usize,
        stages in proptest::collection::vec((any::<bool>(), 0..=64usize, 0..=64usize), 0..=4),
        sink_hwm in 0..=64usize,
        per_call in 1..=8usize,
        hiccups in 0..=30usize,
        seed in any::<u64>(),
    ) {
        let bounds = Bounds::default();
        let mut logs = Vec::new();
        let mut rng = Rng::new(seed);
        let scripted = ScriptedSource::new(0..count, seed)
            .max_per_call(per_call)
            .hiccups(Hiccups::seeded(rng.next_u64(), hiccups))
            .bound(bounds.bound("source", 1));
        let mut source = Readable::new(scripted).with_high_water_mark(source_hwm);
        let log = EventLog::new("source", Role::Readable);
        source.observe(log.observer());
        logs.push(log);
        let mut duplexes = Vec::new();
        for (index, (probe, readable_hwm, writable_hwm)) in stages.into_iter().enumerate() {
            let name = format!("stage {}", index + 1);
            let mut stage = if probe {
                let readable = bounds.bound(format!("{name} readable"), 1);
                let writable = bounds.bound(format!("{name} writable"), 1);
                Probe::duplex(writable_hwm, writable, readable)
            } else {
                // What the writable side queued moves over once it ended.
                let readable = bounds.bound(format!("{name} readable"), 1 + writable_hwm + 1);
                Duplex::transform(CheckedPass::new(readable))
            }
            .with_readable_high_water_mark(readable_hwm)
            .with_writable_high_water_mark(writable_hwm);
            let log = EventLog::new(name, Role::Duplex);
            stage.observe(log.observer());
            logs.push(log);
            duplexes.push(stage);
        }
        let (sink, taken) = TakeSink::new(per_call);
        let sink = sink
            .hiccups(Hiccups::seeded(rng.next_u64(), hiccups))
            .bound(bounds.bound("sink", 1), sink_hwm);
        let mut sink = Writable::new(sink).with_high_water_mark(sink_hwm);
        let log = EventLog::new("sink", Role::Writable);
        sink.observe(log.observer());
        logs.push(log);

        let mode = if pipe { Mode::Pipe } else { Mode::Pipeline };
        let result = run(connect(mode, source, duplexes, sink));
        prop_assert!(result.is_ok(), "the chain failed: {:?}", result);
        prop_assert_eq!(taken.take(), (0..count).collect::<Vec<_>>());
        prop_assert_eq!(bounds.violations(), Vec::<String>::new());
        for log in &logs {
            log.check(Outcome::Completed).map_err(TestCaseError::fail)?;
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// How smerge merges files: each source piped with `end: false` into
    /// one writable, which is closed after the last.
    #[test]
    fn sources_piped_one_after_another_into_a_kept_open_writable_concatenate(
        parts in proptest::collection::vec((0..=4096usize, 1..=512usize, high_water_mark()), 0..=5),
        sink_hwm in high_water_mark(),
        max_write in 1..=4096usize,
        vectored in any::<bool>(),
        hiccups in 0..=30usize,
        seed in any::<u64>(),
    ) {
        let mut rng = Rng::new(seed);
        let (writer, written) = MockWriter::new();
        let writer = writer
            .max_write(max_write)
            .vectored(vectored)
            .hiccups(Hiccups::seeded(rng.next_u64(), hiccups));
        let mut out = Writable::from_writer(writer).with_high_water_mark(sink_hwm);
        let out_log = EventLog::new("out", Role::Writable);
        out.observe(out_log.observer());
        let mut expected = Vec::new();
        let mut source_logs = Vec::new();
        run(async {
            for (index, &(len, chunk, hwm)) in parts.iter().enumerate() {
                let data = rng.bytes(len);
                expected.extend_from_slice(&data);
                let chunks: Vec<Bytes> = data.chunks(chunk).map(Bytes::copy_from_slice).collect();
                let scripted = ScriptedSource::new(chunks, rng.next_u64())
                    .hiccups(Hiccups::seeded(rng.next_u64(), hiccups));
                let mut source = Readable::new(scripted).with_high_water_mark(hwm);
                let log = EventLog::new(format!("source {index}"), Role::Readable);
                source.observe(log.observer());
                source_logs.push(log);
                smerge::pipe(&mut source, &mut out, smerge::PipeOptions::keep_open()).await?;
            }
            out.close().await
        })
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
        drop(out);
        prop_assert!(written.take() == expected, "bytes out != bytes in");
        for log in source_logs.iter().chain([&out_log]) {
            log.check(Outcome::Completed).map_err(TestCaseError::fail)?;
        }
        let events = out_log.names();
        let piped: Vec<_> = events.iter().filter(|e| ["pipe", "unpipe"].contains(e)).collect();
        let expected_piped: Vec<_> = parts.iter().flat_map(|_| [&"pipe", &"unpipe"]).collect();
        prop_assert_eq!(piped, expected_piped, "pipe and unpipe must alternate, once per source");
    }
}
