//! The engine's cost per chunk, beside what a Rust programmer would write
//! instead and beside Node.js, in one run.
//!
//! Every line runs the same chain: an in-memory source of prebuilt chunks,
//! three pass-through stages and a consumer that drops everything, with the
//! same highWaterMark everywhere (Node 20's defaults: 16 KiB for bytes, 16
//! objects).
//!
//! - `smerge`: `pipeline(Readable) -> 3 x PassThrough -> Writable(NullSink)`.
//! - `futures`: a boxed `Stream` -> 3 x boxed `map(|c| c)` -> a loop that
//!   drops every item, on the same current-thread runtime.
//! - `tasks`: one tokio task per stage on a multi-threaded runtime, joined
//!   by bounded `mpsc` channels holding a highWaterMark's worth of chunks.
//! - `node`: `benches/node-engine.js` (Readable.from -> 3 x PassThrough ->
//!   Writable through `stream.pipeline`), run by this benchmark when `node`
//!   is on the PATH.
//!
//! ```text
//! cargo bench --bench engine                 # 200,000 chunks per run
//! cargo bench --bench engine -- --chunks 50000 --runs 5
//! ```
//!
//! Each line runs in turn, round after round, and the table gives the
//! median nanoseconds per chunk and smerge's cost as a ratio of the others'.

use std::future::Future;
use std::iter::repeat_n;
use std::process::Command;
use std::time::Instant;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use smerge::{Chunk, Duplex, NullSink, Readable, ReadableExt, Writable, pipeline};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

/// How many pass-through stages sit between the source and the consumer.
const TRANSFORMS: usize = 3;

/// Node 20's default highWaterMark of byte streams.
const BYTES_HIGH_WATER_MARK: usize = 16 * 1024;

/// Node's default highWaterMark of object streams.
const OBJECTS_HIGH_WATER_MARK: usize = 16;

/// What to run: chunks per run, timed rounds, untimed warm-up rounds.
struct Settings {
    chunks: usize,
    runs: usize,
    warm_up: usize,
    /// Only this line (`smerge`, `futures`, `tasks`), and not Node: for a
    /// profiler.
    only: Option<String>,
    /// Only the cases whose name contains this (`1 KiB`, `64`, `objects`).
    case: Option<String>,
}

impl Settings {
    fn from_args() -> Settings {
        let mut settings = Settings {
            chunks: 200_000,
            runs: 9,
            warm_up: 2,
            only: None,
            case: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || -> usize {
                let text = args.next().expect("a value after the option");
                text.parse().expect("a number")
            };
            match arg.as_str() {
                "--chunks" => settings.chunks = value(),
                "--runs" => settings.runs = value(),
                "--warm-up" => settings.warm_up = value(),
                "--only" => settings.only = args.next(),
                "--case" => settings.case = args.next(),
                // What cargo passes to every bench target.
                _ => {}
            }
        }
        settings
    }
}

/// One case: a chunk, and how many of its units the buffers hold.
struct Case<T> {
    name: &'static str,
    chunk: T,
    high_water_mark: usize,
    /// The same highWaterMark in chunks, for the channels of `tasks`.
    channel_capacity: usize,
}

/// The smerge chain.
async fn smerge_chain<T: Chunk + Clone>(chunk: T, chunks: usize, high_water_mark: usize) {
    let source = Readable::from_iter(repeat_n(chunk, chunks)).with_high_water_mark(high_water_mark);
    let mut chain = pipeline(source);
    for _ in 0..TRANSFORMS {
        chain = chain.pipe(Duplex::pass_through().with_high_water_mark(high_water_mark));
    }
    let sink = Writable::new(NullSink).with_high_water_mark(high_water_mark);
    chain.pipe(sink).await.expect("the chain runs");
}

/// The same chain as boxed `futures` combinators.
async fn futures_chain<T: Clone + Send + 'static>(chunk: T, chunks: usize) {
    let mut chain: BoxStream<'static, T> = stream::iter(repeat_n(chunk, chunks)).boxed();
    for _ in 0..TRANSFORMS {
        chain = chain.map(|chunk| chunk).boxed();
    }
    while let Some(chunk) = chain.next().await {
        drop(chunk);
    }
}

/// The same chain as one task per stage, joined by bounded channels.
async fn task_chain<T: Clone + Send + 'static>(chunk: T, chunks: usize, capacity: usize) {
    let (first, mut upstream) = mpsc::channel(capacity);
    let source = tokio::spawn(async move {
        for chunk in repeat_n(chunk, chunks) {
            if first.send(chunk).await.is_err() {
                return;
            }
        }
    });
    let mut stages = vec![source];
    for _ in 0..TRANSFORMS {
        let (next, downstream) = mpsc::channel(capacity);
        let mut input = std::mem::replace(&mut upstream, downstream);
        stages.push(tokio::spawn(async move {
            while let Some(chunk) = input.recv().await {
                if next.send(chunk).await.is_err() {
                    return;
                }
            }
        }));
    }
    while let Some(chunk) = upstream.recv().await {
        drop(chunk);
    }
    for stage in stages {
        stage.await.expect("a stage runs to its end");
    }
}

/// Times `run` on `runtime`, in nanoseconds per chunk.
fn time<F: Future<Output = ()>>(runtime: &Runtime, chunks: usize, run: F) -> f64 {
    let start = Instant::now();
    runtime.block_on(run);
    start.elapsed().as_nanos() as f64 / chunks as f64
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The three Rust lines of `case`, medians in nanoseconds per chunk.
fn measure<T: Chunk + Clone>(settings: &Settings, case: &Case<T>) -> [f64; 3] {
    let single = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let multi = tokio::runtime::Builder::new_multi_thread()
        .build()
        .expect("a runtime");
    let mut samples: [Vec<f64>; 3] = Default::default();
    let runs = |line: &str| settings.only.as_deref().is_none_or(|only| only == line);
    for round in 0..settings.warm_up + settings.runs {
        let n = settings.chunks;
        let mut smerge = f64::NAN;
        let mut futures = f64::NAN;
        let mut tasks = f64::NAN;
        if runs("smerge") {
            let chain = smerge_chain(case.chunk.clone(), n, case.high_water_mark);
            smerge = time(&single, n, chain);
        }
        if runs("futures") {
            futures = time(&single, n, futures_chain(case.chunk.clone(), n));
        }
        if runs("tasks") {
            let chain = task_chain(case.chunk.clone(), n, case.channel_capacity);
            tasks = time(&multi, n, chain);
        }
        if round >= settings.warm_up {
            for (line, sample) in samples.iter_mut().zip([smerge, futures, tasks]) {
                line.push(sample);
            }
        }
    }
    samples.map(median)
}

/// Node's medians per case name, from `benches/node-engine.js`; empty
/// when `node` cannot be run.
fn node_lines(settings: &Settings) -> Vec<(String, f64)> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/node-engine.js");
    let output = Command::new("node")
        .arg(script)
        .args(["--chunks", &settings.chunks.to_string()])
        .args(["--runs", &settings.runs.to_string()])
        .arg("--tsv")
        .output();
    let output = match output {
        Ok(output) if output.status.success() => output,
        Ok(output) => {
            eprintln!(
                "node-engine.js failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            return Vec::new();
        }
        Err(error) => {
            eprintln!("node not run: {error}");
            return Vec::new();
        }
    };
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let (name, ns) = line.split_once('\t')?;
            Some((name.to_owned(), ns.trim().parse().ok()?))
        })
        .collect()
}

fn main() {
    let settings = Settings::from_args();
    println!(
        "{} chunks per run, {} pass-through stages, median of {} runs; ns per chunk",
        settings.chunks, TRANSFORMS, settings.runs
    );
    let kib = Case {
        name: "bytes 1 KiB",
        chunk: Bytes::from(vec![b'x'; 1024]),
        high_water_mark: BYTES_HIGH_WATER_MARK,
        channel_capacity: BYTES_HIGH_WATER_MARK / 1024,
    };
    let big = Case {
        name: "bytes 64 KiB",
        chunk: Bytes::from(vec![b'x'; 64 * 1024]),
        high_water_mark: BYTES_HIGH_WATER_MARK,
        channel_capacity: 1,
    };
    let objects = Case {
        name: "objects",
        chunk: 7u64,
        high_water_mark: OBJECTS_HIGH_WATER_MARK,
        channel_capacity: OBJECTS_HIGH_WATER_MARK,
    };
    let wanted = |name: &str| {
        settings
            .case
            .as_deref()
            .is_none_or(|case| name.contains(case))
    };
    let mut rust = Vec::new();
    if wanted(kib.name) {
        rust.push((kib.name, measure(&settings, &kib)));
    }
    if wanted(big.name) {
        rust.push((big.name, measure(&settings, &big)));
    }
    if wanted(objects.name) {
        rust.push((objects.name, measure(&settings, &objects)));
    }
    let node = if settings.only.is_some() {
        Vec::new()
    } else {
        node_lines(&settings)
    };
    println!(
        "{:<14} {:>8} {:>8} {:>8} {:>8}   {:>16} {:>13}",
        "case", "smerge", "futures", "tasks", "node", "smerge/futures", "smerge/node"
    );
    for (name, [smerge, futures, tasks]) in rust {
        let node = node.iter().find(|(n, _)| n == name).map(|&(_, ns)| ns);
        let node_text = node.map_or("-".to_owned(), |ns| format!("{ns:.0}"));
        let node_ratio = node.map_or("-".to_owned(), |ns| format!("{:.3}", smerge / ns));
        println!(
            "{name:<14} {smerge:>8.1} {futures:>8.1} {tasks:>8.0} {node_text:>8}   {:>16.2} {node_ratio:>13}",
            smerge / futures
        );
    }
}
