//! The engine's cost per chunk: an in-memory source, three pass-through
//! transforms and a sink that drops everything, through `pipeline`.
//!
//! The shape is the one `benches/node-engine.js` runs in Node: compare the
//! `node-hwm` cases (Node 20's defaults: 16 KiB for bytes, 16 objects) with
//! its numbers. The `default-hwm` cases use smerge's own defaults (64 KiB,
//! 16 objects). Throughput is in chunks, so criterion's time per element is
//! the cost of one chunk crossing the whole chain.
//!
//! ```text
//! cargo bench --bench engine
//! node benches/node-engine.js
//! ```

use std::iter::repeat_n;
use std::time::Duration;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use smerge::sink::NullSink;
use smerge::{Chunk, Duplex, Readable, Writable, pipeline};

/// Chunks per run: enough that setting up the chain is noise.
const CHUNKS: usize = 4096;

/// How many pass-through transforms sit between the source and the sink.
const TRANSFORMS: usize = 3;

/// Runs `CHUNKS` copies of `chunk` through the chain, every buffer with
/// `high_water_mark` (the chunk type's default when `None`).
async fn run<T: Chunk + Clone>(chunk: T, high_water_mark: Option<usize>) {
    let mut source = Readable::from_iter(repeat_n(chunk, CHUNKS));
    let mut sink = Writable::new(NullSink);
    if let Some(high_water_mark) = high_water_mark {
        source = source.with_high_water_mark(high_water_mark);
        sink = sink.with_high_water_mark(high_water_mark);
    }
    let mut chain = pipeline(source);
    for _ in 0..TRANSFORMS {
        let mut stage = Duplex::pass_through();
        if let Some(high_water_mark) = high_water_mark {
            stage = stage.with_high_water_mark(high_water_mark);
        }
        chain = chain.pipe(stage);
    }
    chain.pipe(sink).await.expect("the chain runs");
}

fn engine(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let mut group = c.benchmark_group("engine");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(CHUNKS as u64));

    for (size, name) in [(1024, "1KiB"), (64 * 1024, "64KiB")] {
        let chunk = Bytes::from(vec![b'x'; size]);
        for (hwm, hwm_name) in [(Some(16 * 1024), "node-hwm"), (None, "default-hwm")] {
            let id = BenchmarkId::new(format!("bytes-{name}"), hwm_name);
            group.bench_with_input(id, &chunk, |b, chunk| {
                b.to_async(&runtime).iter(|| run(chunk.clone(), hwm));
            });
        }
    }
    // Object streams: Node 20's default (16 objects) is smerge's too.
    group.bench_function(BenchmarkId::new("objects-u64", "node-hwm"), |b| {
        b.to_async(&runtime).iter(|| run(7u64, None));
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
