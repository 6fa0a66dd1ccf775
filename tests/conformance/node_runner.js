// The Node.js side of smerge's conformance harness: runs stream scenarios
// in Node's own `stream` module and prints what it observes.
//
// Protocol: one scenario per line of JSON on standard input, one trace per
// line of JSON on standard output, in the same order. The scenario format
// is defined by `tests/conformance/scenario.rs`; the trace has one entry
// per operation: `{ret, refused?, events: [[stream, event], ...], state}`.
//
// Determinism: the operations of a scenario run synchronously, one after
// the other. "Time passes" only on the `tick` and `settle` operations:
// `tick` lets every `process.nextTick` callback and microtask run; `settle`
// also runs the deferred completions of sources and sinks, one at a time
// in the order they were requested, letting the ticks run after each, until
// nothing is left. Deferred completions sit in a queue of this script's own
// (not `setImmediate`), so nothing runs behind the scenario's back.
'use strict';

const { Readable, Writable, Transform, pipeline, finished } = require('stream');
const readline = require('readline');

// Events recorded through a listener added when the stream is made: the
// order a user's listener sees. `data` is recorded from `emit` instead,
// because a `data` listener would switch the stream to flowing mode.
// `readable` is not recorded: no scenario listens for it.
const LISTENED = [
  'pause', 'resume', 'drain', 'end', 'prefinish', 'finish', 'close', 'error', 'pipe', 'unpipe',
];

// How many deferred completions one `settle` may run, and how many
// settles without quiescence make a scenario a livelock.
const SETTLE_LIMIT = 100000;

// The error codes Node uses to refuse a misused call; an error with one of
// these, made during the call that misused the stream, is a refusal.
const REFUSALS = new Set([
  'ERR_STREAM_WRITE_AFTER_END',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_ALREADY_FINISHED',
  'ERR_STREAM_PUSH_AFTER_EOF',
  'ERR_STREAM_UNSHIFT_AFTER_END_EVENT',
]);

/** What an error is called in a trace: the injected error's tag, or Node's code. */
function errorName(err) {
  if (err === null || err === undefined) return null;
  if (typeof err.message === 'string' && err.message.startsWith('boom:')) return err.message;
  return err.code || err.name || String(err);
}

/** One scenario's run: its streams, the queue of deferred completions, the log. */
class Run {
  constructor(scenario) {
    this.scenario = scenario;
    this.objectMode = scenario.object_mode;
    this.deferred = [];
    this.events = [];
    this.refusal = null;
    this.watching = false;
    this.streams = scenario.streams.map((spec, id) => this.make(spec, id));
  }

  chunk(text) {
    return this.objectMode ? text : Buffer.from(text, 'latin1');
  }

  text(chunk) {
    return typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1');
  }

  size(chunk) {
    return this.objectMode ? 1 : chunk.length;
  }

  record(id, event) {
    this.events.push([id, event]);
  }

  defer(fn) {
    this.deferred.push(fn);
  }

  make(spec, id) {
    const run = this;
    let stream;
    if (spec.kind === 'readable') {
      const source = spec.source;
      let next = 0;
      const produce = function () {
        if (source.fail_at !== null && source.fail_at !== undefined && next === source.fail_at) {
          next++;
          this.destroy(new Error(`boom:s${id}`));
        } else if (next < source.chunks.length) {
          this.push(run.chunk(source.chunks[next++]));
        } else if (source.end) {
          next++;
          this.push(null);
        }
      };
      stream = new Readable({
        objectMode: this.objectMode,
        highWaterMark: spec.hwm,
        read() {
          run.record(id, '_read');
          if (source.pace === 'sync') {
            produce.call(this);
          } else if (source.pace === 'deferred') {
            run.defer(() => produce.call(this));
          }
          // 'manual': data comes only from `push` operations.
        },
      });
    } else if (spec.kind === 'writable') {
      const sink = spec.sink;
      let count = 0;
      stream = new Writable({
        objectMode: this.objectMode,
        highWaterMark: spec.hwm,
        write(chunk, _encoding, callback) {
          run.record(id, `_write(${run.text(chunk)})`);
          const failed = sink.fail_at !== null && sink.fail_at !== undefined && count === sink.fail_at;
          count++;
          const done = () => callback(failed ? new Error(`boom:s${id}`) : undefined);
          if (sink.pace === 'sync') done(); else run.defer(done);
        },
      });
    } else {
      let count = 0;
      stream = new Transform({
        objectMode: this.objectMode,
        readableHighWaterMark: spec.readable_hwm,
        writableHighWaterMark: spec.writable_hwm,
        transform(chunk, _encoding, callback) {
          run.record(id, `_transform(${run.text(chunk)})`);
          const index = count++;
          if (spec.fail_at !== null && spec.fail_at !== undefined && index === spec.fail_at) {
            callback(new Error(`boom:s${id}`));
            return;
          }
          const copies = spec.pushes.length ? spec.pushes[index % spec.pushes.length] : 1;
          for (let i = 0; i < copies; i++) this.push(chunk);
          callback();
        },
        flush(callback) {
          run.record(id, '_flush');
          for (let i = 0; i < spec.flush; i++) this.push(run.chunk(`f${i}`));
          callback();
        },
      });
    }
    for (const name of LISTENED) {
      stream.on(name, (arg) => {
        run.record(id, name === 'error' ? `error(${errorName(arg)})` : name);
      });
    }
    const emit = stream.emit;
    stream.emit = function (name, ...args) {
      if (name === 'data') run.record(id, `data(${run.size(args[0])})`);
      return emit.call(this, name, ...args);
    };
    stream.kind = spec.kind;
    return stream;
  }

  state() {
    return this.streams.map((s) => {
      const state = {};
      if (s.kind !== 'writable') {
        state.rl = s.readableLength;
        state.rf = s.readableFlowing;
        state.re = s.readableEnded;
      }
      if (s.kind !== 'readable') {
        state.wl = s.writableLength;
        state.wnd = s.writableNeedDrain;
        state.we = s.writableEnded;
        state.wf = s.writableFinished;
      }
      state.d = s.destroyed;
      state.err = errorName(s.errored);
      // What a destroyed Writable counts only until its write in progress
      // calls back (the write and, errorBuffer waiting for it, everything
      // queued behind it), which smerge cancels ("Destroying a writer
      // cancels its write in progress").
      if (s.kind === 'writable' && s.destroyed && s._writableState.writing) {
        state.wip = s.writableLength;
      }
      return state;
    });
  }

  /** Runs `call` as a misusable call: notes the error Node refuses it with. */
  refusable(stream, call) {
    this.refusal = null;
    const before = stream.errored;
    this.watching = true;
    let ret;
    try {
      ret = call();
    } finally {
      this.watching = false;
    }
    if (this.refusal === null && !before && stream.errored && REFUSALS.has(stream.errored.code)) {
      this.refusal = stream.errored.code;
    }
    return ret;
  }

  async op(op, index) {
    const s = (id) => this.streams[id];
    const out = { ret: null };
    this.refusal = null;
    switch (op.op) {
      case 'write':
        out.ret = this.refusable(s(op.stream), () => s(op.stream).write(this.chunk(op.chunk)));
        break;
      case 'end':
        this.refusable(s(op.stream), () => s(op.stream).end(() => {}));
        break;
      case 'read': {
        const chunk = s(op.stream).read();
        out.ret = chunk === null ? null : this.text(chunk);
        break;
      }
      case 'read_n': {
        const chunk = s(op.stream).read(op.n);
        out.ret = chunk === null ? null : this.text(chunk);
        break;
      }
      case 'push':
        out.ret = this.refusable(s(op.stream),
          () => s(op.stream).push(op.chunk === null ? null : this.chunk(op.chunk)));
        break;
      case 'unshift':
        out.ret = this.refusable(s(op.stream), () => s(op.stream).unshift(this.chunk(op.chunk)));
        break;
      case 'pause': s(op.stream).pause(); break;
      case 'resume': s(op.stream).resume(); break;
      case 'cork': s(op.stream).cork(); break;
      case 'uncork': s(op.stream).uncork(); break;
      case 'destroy':
        s(op.stream).destroy(op.error ? new Error(`boom:op${index}`) : undefined);
        break;
      case 'pipe':
        for (const d of op.destinations) s(op.source).pipe(s(d), { end: op.end });
        break;
      case 'unpipe':
        s(op.source).unpipe(s(op.destination));
        break;
      case 'pipeline': {
        const stages = op.stages.map(s);
        pipeline(...stages, (err) => {
          for (const id of op.stages) this.record(id, `pipeline(${errorName(err) ?? 'ok'})`);
        });
        break;
      }
      case 'finished':
        finished(s(op.stream), (err) => this.record(op.stream, `finished(${errorName(err) ?? 'ok'})`));
        break;
      case 'tick':
        await ticks();
        break;
      case 'settle':
        await this.settle();
        break;
      default:
        throw new Error(`unknown operation ${op.op}`);
    }
    if (this.refusal !== null) out.refused = this.refusal;
    out.events = this.events;
    this.events = [];
    out.state = this.state();
    out.pipes = this.pipes();
    return out;
  }

  /** Every attached pipe as [source, destination], from each source's own list. */
  pipes() {
    const pipes = [];
    this.streams.forEach((s, source) => {
      for (const destination of s._readableState?.pipes ?? []) {
        pipes.push([source, this.streams.indexOf(destination)]);
      }
    });
    return pipes;
  }

  async settle() {
    for (let i = 0; i < SETTLE_LIMIT; i++) {
      await ticks();
      const next = this.deferred.shift();
      if (next === undefined) return;
      next();
    }
    throw new Error('livelock: deferred completions never stop');
  }
}

/** Lets every queued nextTick callback and microtask run (they all run before an immediate). */
function ticks() {
  return new Promise((resolve) => setImmediate(resolve));
}

// Refusals: Node reports a misused `write` or `end` by scheduling its
// callback with the error (writable.js `_write` and `end`); the runner
// notices that call while it watches one operation.
let current = null;
const nextTick = process.nextTick;
process.nextTick = function (fn, ...args) {
  if (current !== null && current.watching && current.refusal === null && args[0] instanceof Error &&
      REFUSALS.has(args[0].code)) {
    current.refusal = args[0].code;
  }
  return nextTick.call(process, fn, ...args);
};

let failure = null;
process.on('uncaughtException', (err) => {
  failure = failure ?? `uncaught: ${err && err.stack ? err.stack : err}`;
});

async function runScenario(scenario) {
  const run = new Run(scenario);
  current = run;
  failure = null;
  const steps = [];
  try {
    for (let i = 0; i < scenario.ops.length; i++) {
      steps.push(await run.op(scenario.ops[i], i));
      if (failure !== null) break;
    }
  } catch (err) {
    failure = failure ?? `runner: ${err && err.stack ? err.stack : err}`;
  }
  current = null;
  return failure === null ? { steps } : { steps, failure };
}

async function main() {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const trace = await runScenario(JSON.parse(line));
    process.stdout.write(JSON.stringify(trace) + '\n');
  }
}

main();
