// Node's cost per chunk for the chain `benches/engine.rs` measures in
// smerge: a Readable of prebuilt Buffers, three PassThrough streams and a
// Writable that drops everything, through stream.pipeline, every stream with
// Node 20's default highWaterMark set explicitly (16 KiB for bytes, 16
// objects), so that newer Nodes run the same chain.
//
//   node benches/node-engine.js [--chunks N] [--runs N] [--tsv]
//
// Prints the median nanoseconds per chunk over several runs; `--tsv` prints
// `case<TAB>ns` lines for benches/engine.rs, which runs this script.

'use strict';

const { PassThrough, Readable, Writable, pipeline } = require('node:stream');

const TRANSFORMS = 3;
const BYTES_HIGH_WATER_MARK = 16 * 1024;
const OBJECTS_HIGH_WATER_MARK = 16;

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

const CHUNKS = option('--chunks', 200000);
const RUNS = option('--runs', 9);
const WARM_UP_RUNS = 2;
const TSV = process.argv.includes('--tsv');

function* repeat(chunk, count) {
  for (let i = 0; i < count; i++) yield chunk;
}

function runOnce(chunk, objectMode) {
  const highWaterMark = objectMode ? OBJECTS_HIGH_WATER_MARK : BYTES_HIGH_WATER_MARK;
  const options = { objectMode, highWaterMark };
  return new Promise((resolve, reject) => {
    const stages = [Readable.from(repeat(chunk, CHUNKS), options)];
    for (let i = 0; i < TRANSFORMS; i++) stages.push(new PassThrough(options));
    stages.push(new Writable({ ...options, write(_chunk, _encoding, callback) { callback(); } }));
    pipeline(...stages, (error) => (error ? reject(error) : resolve()));
  });
}

async function measure(name, chunk, objectMode) {
  for (let i = 0; i < WARM_UP_RUNS; i++) await runOnce(chunk, objectMode);
  const perChunk = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    await runOnce(chunk, objectMode);
    perChunk.push(Number(process.hrtime.bigint() - start) / CHUNKS);
  }
  perChunk.sort((a, b) => a - b);
  const median = perChunk[Math.floor(perChunk.length / 2)];
  if (TSV) {
    console.log(`${name}\t${median.toFixed(1)}`);
  } else {
    console.log(`${name.padEnd(16)} ${median.toFixed(0).padStart(6)} ns/chunk (best ${perChunk[0].toFixed(0)})`);
  }
}

async function main() {
  if (!TSV) {
    console.log(`node ${process.version}: ${CHUNKS} chunks, ${TRANSFORMS} PassThrough, median of ${RUNS} runs`);
  }
  await measure('bytes 1 KiB', Buffer.alloc(1024, 'x'), false);
  await measure('bytes 64 KiB', Buffer.alloc(64 * 1024, 'x'), false);
  await measure('objects', 7, true);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
