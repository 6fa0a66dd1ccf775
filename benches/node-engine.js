// Node's cost per chunk for the chain `benches/engine.rs` measures in
// smerge: a Readable of prebuilt Buffers, three PassThrough streams and a
// Writable that drops everything, through stream.pipeline, with Node's
// default highWaterMarks (Node 20: 16 KiB for bytes, 16 objects).
//
//   node benches/node-engine.js
//
// Prints the median nanoseconds per chunk over several runs of 4096 chunks.

'use strict';

const { PassThrough, Readable, Writable, pipeline } = require('node:stream');

const CHUNKS = 4096;
const TRANSFORMS = 3;
const RUNS = 60;
const WARM_UP_RUNS = 20;

function* repeat(chunk, count) {
  for (let i = 0; i < count; i++) yield chunk;
}

function runOnce(chunk, objectMode) {
  return new Promise((resolve, reject) => {
    const stages = [Readable.from(repeat(chunk, CHUNKS), { objectMode })];
    for (let i = 0; i < TRANSFORMS; i++) stages.push(new PassThrough({ objectMode }));
    stages.push(new Writable({ objectMode, write(_chunk, _encoding, callback) { callback(); } }));
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
  console.log(`${name.padEnd(16)} ${median.toFixed(0).padStart(6)} ns/chunk (best ${perChunk[0].toFixed(0)})`);
}

async function main() {
  console.log(`node ${process.version}: ${CHUNKS} chunks, ${TRANSFORMS} PassThrough, default highWaterMark`);
  await measure('bytes 1 KiB', Buffer.alloc(1024, 'x'), false);
  await measure('bytes 64 KiB', Buffer.alloc(64 * 1024, 'x'), false);
  await measure('objects', 7, true);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
