//! The smerge side of the harness: runs a scenario on smerge's streams and
//! records what it observes, in the shape `node_runner.js` prints.
//!
//! This is the only file of the harness that uses smerge's API.
//!
//! How each part of a scenario is written in smerge:
//!
//! - A Readable is `Readable::new(source)` whose [`ReadSource`] pushes one
//!   chunk per call, as the scenario's `_read` does; a Writable is
//!   `Writable::new(sink)` whose [`WriteSink`] takes one chunk per call; a
//!   Transform is `Duplex::transform` of a [`Transform`]. Deferred work
//!   returns `Pending` and completes when the harness fires it.
//! - A manual source (`read() {}`, fed by `push` operations) is a
//!   Readable with a [`Pusher`] attached; `push` is the pusher's.
//! - Operations are the method of the same name (`write`, `end`, `read`,
//!   `read_bytes` for `read(n)`, `unshift`, `pause`, `resume`, `cork`,
//!   `uncork`, `destroy`), `pipe`/`pipe_all` with `Pipe::unpipe`,
//!   `pipeline(…).pipe(…)`, and `finished`.
//! - Every stream is behind smerge's [`Shared`] handle: pipes and
//!   pipelines hold clones while operations still reach the stream and
//!   read its counters, as in Node.
//! - Time passing polls, round after round until nothing changes: every
//!   pipe, pipeline and `finished` future; every writable side (Node's
//!   writable drives its `_write` by itself; here, `poll_finish`); and
//!   every Readable and Duplex that nothing pipes (Node runs its ticks by
//!   itself: reads ahead, delivers deferred events and, if it flows with no
//!   `data` listener, runs `flow()`, the chunks dropped; here,
//!   `Readable::tick` and `Duplex::tick`, which do the same in Node's
//!   order). A `resume` operation is the stream's own `resume()`, so the
//!   stream knows no pipe or poll reads it. `settle`
//!   then fires the oldest deferred completion and goes on until none is
//!   left. The polls use a no-op waker: every driver is polled every
//!   round, so the harness does not depend on wake-ups.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use serde_json::Value;
use smerge::{
    Chunk, Duplex, Error, ErrorKind, Event, Finish, PipeOptions, Push, Pusher, ReadSource,
    Readable, ReadableExt, ReadableStream, Result, Shared, Transform, Writable, WritableStream,
    WriteQueue, WriteSink, finished, pipe_all, pipeline,
};

use super::scenario::{Op, Pace, Scenario, SinkSpec, SourceSpec, Step, StreamSpec, Trace};
use super::switches::Switches;

/// The scenario features smerge's API can express today.
pub fn switches() -> Switches {
    Switches {
        external_push: true,
        // `Duplex` has no `unshift`.
        transform_unshift: false,
        // smerge's `finished` consumes a readable side to find its end.
        finished_readable: false,
        // `pipeline` takes every stage after the first by value.
        ops_on_pipeline_stages: false,
        without: Vec::new(),
        ignored_events: Vec::new(),
    }
}

/// Runs `scenario` on smerge's streams.
pub fn run(scenario: &Scenario) -> Trace {
    let steps = RefCell::new(Vec::new());
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        if scenario.object_mode {
            Interpreter::<Obj>::new(scenario).run(&steps)
        } else {
            Interpreter::<Bytes>::new(scenario).run(&steps)
        }
    }));
    let failure = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(failure)) => Some(failure),
        Err(panic) => Some(format!("panic: {}", panic_message(&*panic))),
    };
    Trace {
        steps: steps.into_inner(),
        failure,
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "(no message)".to_owned()
    }
}

/// How many rounds of polls one `tick` may take, and how many deferred
/// completions one `settle` may fire, before the run is a livelock.
const ROUND_LIMIT: usize = 10_000;
const SETTLE_LIMIT: usize = 100_000;

/// An object-mode chunk: a string that counts one, whatever its length.
#[derive(Clone, Debug)]
struct Obj(String);

impl Chunk for Obj {}

/// The chunk types of scenarios: bytes, and objects.
trait Item: Chunk + Clone + fmt::Debug + Unpin {
    fn from_text(text: &str) -> Self;
    fn text(&self) -> String;
    /// Node's `read(n)` on `stream`.
    fn read_n(stream: &Stream<Self>, n: usize) -> Option<Self>;
}

impl Item for Bytes {
    fn from_text(text: &str) -> Self {
        Bytes::copy_from_slice(text.as_bytes())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(self).into_owned()
    }

    fn read_n(stream: &Stream<Self>, n: usize) -> Option<Self> {
        match stream {
            Stream::Readable(r) => r.lock().read_bytes(n),
            Stream::Duplex(d) => d.lock().read_bytes(n),
            Stream::Writable(_) => unreachable!("read(n) on a stream without a readable side"),
        }
    }
}

impl Item for Obj {
    fn from_text(text: &str) -> Self {
        Obj(text.to_owned())
    }

    fn text(&self) -> String {
        self.0.clone()
    }

    fn read_n(_: &Stream<Self>, _: usize) -> Option<Self> {
        unreachable!("read(n) is for byte streams")
    }
}

/// What is recorded while a scenario runs, shared with the streams'
/// observers and hooks.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<LogInner>>);

#[derive(Default)]
struct LogInner {
    events: Vec<(usize, String)>,
    /// Off once the scenario is over: dropping the streams is not part of it.
    recording: bool,
    /// Everything recorded so far, to tell whether a round of polls did anything.
    recorded: usize,
    /// Deferred completions not fired yet, oldest first.
    deferred: VecDeque<Arc<Completion>>,
    /// Deferred completions asked for so far.
    requested: usize,
}

impl Log {
    fn lock(&self) -> MutexGuard<'_, LogInner> {
        self.0.lock().expect("log poisoned")
    }

    fn record(&self, stream: usize, event: String) {
        let mut log = self.lock();
        if log.recording {
            log.events.push((stream, event));
            log.recorded += 1;
        }
    }

    /// Asks for a deferred completion, fired by a later `settle`.
    fn defer(&self) -> Arc<Completion> {
        let completion = Arc::new(Completion::default());
        let mut log = self.lock();
        log.deferred.push_back(Arc::clone(&completion));
        log.requested += 1;
        completion
    }
}

/// Deferred work: done once fired.
#[derive(Default)]
struct Completion {
    fired: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Completion {
    fn fire(&self) {
        self.fired.store(true, Ordering::SeqCst);
        if let Some(waker) = self.waker.lock().expect("waker poisoned").take() {
            waker.wake();
        }
    }

    /// True once fired; otherwise remembers who to wake.
    fn poll_fired(&self, cx: &Context<'_>) -> bool {
        if self.fired.load(Ordering::SeqCst) {
            return true;
        }
        *self.waker.lock().expect("waker poisoned") = Some(cx.waker().clone());
        false
    }
}

/// The injected error named `tag` (`s3`: stream 3's source, sink or
/// transform; `op5`: the destroy of operation 5).
fn boom(tag: &str) -> Error {
    Error::new(ErrorKind::InvalidData, format!("boom:{tag}"))
}

/// What an error is called in a trace: the injected error's tag, or the
/// Node error code of its kind.
fn error_name(error: &Error) -> String {
    // A refusal because the stream was destroyed names the stream's own
    // error as its cause: Node's code is what it is called.
    if error.kind() == ErrorKind::Destroyed {
        return "ERR_STREAM_DESTROYED".into();
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push(' ');
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if let Some(at) = text.find("boom:") {
        let tag: String = text[at + 5..]
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        return format!("boom:{tag}");
    }
    match error.kind() {
        ErrorKind::WriteAfterEnd => "ERR_STREAM_WRITE_AFTER_END".into(),
        ErrorKind::Destroyed => "ERR_STREAM_DESTROYED".into(),
        ErrorKind::AlreadyFinished => "ERR_STREAM_ALREADY_FINISHED".into(),
        ErrorKind::PushAfterEof => "ERR_STREAM_PUSH_AFTER_EOF".into(),
        ErrorKind::UnshiftAfterEnd => "ERR_STREAM_UNSHIFT_AFTER_END_EVENT".into(),
        ErrorKind::PrematureClose => "ERR_STREAM_PREMATURE_CLOSE".into(),
        ErrorKind::Aborted => "ABORT_ERR".into(),
        other => format!("{other:?}"),
    }
}

fn event_name(event: &Event) -> String {
    match event {
        Event::Data { size } => format!("data({size})"),
        Event::Error(error) => format!("error({})", error_name(error)),
        other => other.name().to_owned(),
    }
}

/// Where a source is in answering the engine's current request for data.
enum Reading {
    /// No request open: the next poll is a new `_read`.
    Idle,
    /// A deferred `_read`, waiting to be fired.
    Waiting(Arc<Completion>),
    /// Asked for more than it has, without an end: it never answers.
    Stalled,
    /// A manual `_read` was called: the next one comes after a push
    /// (Node clears `reading` in `push`).
    Asked,
}

/// A scenario's Readable source: one chunk per `_read`.
struct ScriptedSource {
    id: usize,
    spec: SourceSpec,
    next: usize,
    reading: Reading,
    log: Log,
    /// Set by a `push` from outside: a manual source's next poll is a new `_read`.
    pushed: Arc<AtomicBool>,
}

impl ScriptedSource {
    fn produce<C: Item>(&mut self, out: &mut Push<'_, C>) -> Poll<Result<()>> {
        let index = self.next;
        self.next += 1;
        if self.spec.fail_at == Some(index) {
            return Poll::Ready(Err(boom(&format!("s{}", self.id))));
        }
        if let Some(chunk) = self.spec.chunks.get(index) {
            out.push(C::from_text(chunk));
            return Poll::Ready(Ok(()));
        }
        if self.spec.end {
            out.end();
            return Poll::Ready(Ok(()));
        }
        self.reading = Reading::Stalled;
        Poll::Pending
    }
}

impl<C: Item> ReadSource<C> for ScriptedSource {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, C>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        match &this.reading {
            Reading::Stalled => return Poll::Pending,
            Reading::Asked if !this.pushed.swap(false, Ordering::SeqCst) => {
                return Poll::Pending;
            }
            Reading::Asked => this.reading = Reading::Idle,
            Reading::Waiting(completion) => {
                if !completion.poll_fired(cx) {
                    return Poll::Pending;
                }
                this.reading = Reading::Idle;
                return this.produce(out);
            }
            Reading::Idle => {}
        }
        this.log.record(this.id, "_read".into());
        match this.spec.pace {
            Pace::Sync => this.produce(out),
            Pace::Deferred => {
                let completion = this.log.defer();
                completion.poll_fired(cx);
                this.reading = Reading::Waiting(completion);
                Poll::Pending
            }
            Pace::Manual => {
                this.pushed.store(false, Ordering::SeqCst);
                this.reading = Reading::Asked;
                Poll::Pending
            }
        }
    }
}

/// A scenario's Writable sink: one chunk per `_write`.
struct ScriptedSink {
    id: usize,
    spec: SinkSpec,
    written: usize,
    waiting: Option<Arc<Completion>>,
    log: Log,
}

impl ScriptedSink {
    fn complete<C: Item>(&mut self, queue: &mut WriteQueue<C>) -> Poll<Result<()>> {
        queue.pop();
        let failed = self.spec.fail_at == Some(self.written);
        self.written += 1;
        if failed {
            Poll::Ready(Err(boom(&format!("s{}", self.id))))
        } else {
            Poll::Ready(Ok(()))
        }
    }
}

impl<C: Item> WriteSink<C> for ScriptedSink {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<C>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        if let Some(completion) = &this.waiting {
            if !completion.poll_fired(cx) {
                return Poll::Pending;
            }
            this.waiting = None;
            return this.complete(queue);
        }
        let Some(front) = queue.front() else {
            return Poll::Ready(Ok(()));
        };
        this.log
            .record(this.id, format!("_write({})", front.text()));
        match this.spec.pace {
            Pace::Deferred => {
                let completion = this.log.defer();
                completion.poll_fired(cx);
                this.waiting = Some(completion);
                Poll::Pending
            }
            _ => this.complete(queue),
        }
    }
}

/// A scenario's Transform: copies of each input, then the flush chunks.
struct ScriptedTransform<C> {
    id: usize,
    pushes: Vec<u8>,
    flush: u8,
    fail_at: Option<usize>,
    count: usize,
    log: Log,
    _chunks: std::marker::PhantomData<fn(C) -> C>,
}

impl<C: Item> Transform for ScriptedTransform<C> {
    type Input = C;
    type Output = C;

    fn transform(&mut self, chunk: C, out: &mut Push<'_, C>) -> Result<()> {
        self.log
            .record(self.id, format!("_transform({})", chunk.text()));
        let index = self.count;
        self.count += 1;
        if self.fail_at == Some(index) {
            return Err(boom(&format!("s{}", self.id)));
        }
        let copies = match self.pushes.len() {
            0 => 1,
            len => self.pushes[index % len],
        };
        for _ in 0..copies {
            out.push(chunk.clone());
        }
        Ok(())
    }

    fn flush(&mut self, out: &mut Push<'_, C>) -> Result<()> {
        self.log.record(self.id, "_flush".into());
        for i in 0..self.flush {
            out.push(C::from_text(&format!("f{i}")));
        }
        Ok(())
    }
}

/// One stream of a scenario, behind smerge's [`Shared`] handle: pipes and
/// pipelines hold clones of it while operations still reach it, as in Node.
enum Stream<C> {
    Readable(Shared<Readable<C>>),
    Writable(Shared<Writable<C>>),
    Duplex(Shared<Duplex<C, C>>),
}

impl<C> Clone for Stream<C> {
    fn clone(&self) -> Self {
        match self {
            Stream::Readable(r) => Stream::Readable(r.clone()),
            Stream::Writable(w) => Stream::Writable(w.clone()),
            Stream::Duplex(d) => Stream::Duplex(d.clone()),
        }
    }
}

impl<C: Item> Stream<C> {
    fn destroy(&self, error: Option<Error>) {
        match self {
            Stream::Readable(r) => r.lock().destroy(error),
            Stream::Writable(w) => w.lock().destroy(error),
            Stream::Duplex(d) => d.lock().destroy(error),
        }
    }

    /// The readable side, for a pipe or a pipeline to hold.
    fn readable_side(&self) -> Box<dyn ReadableStream<Output = C>> {
        match self {
            Stream::Readable(r) => Box::new(r.clone()),
            Stream::Duplex(d) => Box::new(d.clone()),
            Stream::Writable(_) => unreachable!("a writable has no readable side"),
        }
    }

    /// The writable side, for a pipe to hold.
    fn writable_side(&self) -> Box<dyn WritableStream<Input = C>> {
        match self {
            Stream::Writable(w) => Box::new(w.clone()),
            Stream::Duplex(d) => Box::new(d.clone()),
            Stream::Readable(_) => unreachable!("a readable has no writable side"),
        }
    }

    /// A [`finished`] future on the stream, as a user awaits one.
    fn finished(&self) -> Driven {
        match self.clone() {
            Stream::Readable(r) => watched(r),
            Stream::Writable(w) => watched(w),
            Stream::Duplex(d) => watched(d),
        }
    }

    /// The counters Node exposes.
    fn counters(&self) -> BTreeMap<String, Value> {
        let mut counters = BTreeMap::new();
        let mut put = |name: &str, value: Value| {
            counters.insert(name.to_owned(), value);
        };
        let errored = |e: Option<&Error>| e.map_or(Value::Null, |e| Value::String(error_name(e)));
        match self {
            Stream::Readable(r) => {
                let r = r.lock();
                put("rl", r.readable_length().into());
                put("rf", r.flowing().map_or(Value::Null, Value::Bool));
                put("re", r.is_ended().into());
                put("d", r.is_destroyed().into());
                put("err", errored(r.errored()));
            }
            Stream::Writable(w) => {
                let w = w.lock();
                put("wl", w.writable_length().into());
                put("wnd", w.needs_drain().into());
                put("we", w.is_ended().into());
                put("wf", w.is_finished().into());
                put("d", w.is_destroyed().into());
                put("err", errored(w.errored()));
            }
            Stream::Duplex(d) => {
                let d = d.lock();
                put("rl", d.readable_length().into());
                put("rf", d.flowing().map_or(Value::Null, Value::Bool));
                put("re", d.is_ended().into());
                put("wl", d.writable_length().into());
                put("wnd", WritableStream::needs_drain(&*d).into());
                put("we", d.is_ending().into());
                put("wf", d.is_finished().into());
                put("d", d.is_destroyed().into());
                put("err", errored(d.errored()));
            }
        }
        counters
    }
}

type Driven = Pin<Box<dyn Future<Output = Result<()>>>>;

/// [`finished`] on `stream`, listening from now on, as the user's call
/// of `finished(&mut stream)` does: the driver's future only runs its
/// body (and calls `finished`) at its first poll, which may come after
/// another driver delivered the stream's `error` in the same tick.
fn watched<S: Finish + Clone + 'static>(mut stream: S) -> Driven {
    /// Stops the early watch when the driver is done or dropped.
    struct Watch<S: Finish>(S);

    impl<S: Finish> Drop for Watch<S> {
        fn drop(&mut self) {
            self.0.watch_finished(false);
        }
    }

    let mut early = stream.clone();
    early.watch_finished(true);
    let watch = Watch(early);
    Box::pin(async move {
        let outcome = finished(&mut stream).await;
        drop(watch);
        outcome
    })
}

/// What a pipe's owner asks of it between polls.
#[derive(Default)]
struct PipeControl {
    /// Poll only to act on requests (and, the first time, to make the
    /// pipe): nothing moves.
    hold: Cell<bool>,
    /// Destinations to detach, by index.
    unpipe: RefCell<Vec<usize>>,
    /// Set when the pipe failed: it is kept, as Node's pipe stays
    /// attached after its source failed, so that a later `unpipe()` still
    /// detaches a destination (and pauses the source).
    failed: Cell<bool>,
    /// The failure was counted as the pipe's resolution.
    resolved: Cell<bool>,
}

/// A future the harness polls as time passes, and what it stands for.
struct Driver {
    kind: DriverKind,
    /// `None` once it resolved.
    future: Option<Driven>,
}

enum DriverKind {
    Pipe {
        source: usize,
        destinations: Vec<usize>,
        control: Rc<PipeControl>,
    },
    Pipeline {
        stages: Vec<usize>,
    },
    Finished {
        stream: usize,
    },
}

struct Interpreter<'s, C> {
    scenario: &'s Scenario,
    log: Log,
    streams: Vec<Stream<C>>,
    /// The pusher of each manual source, and the flag its source reads.
    pushers: Vec<Option<(Pusher<C>, Arc<AtomicBool>)>>,
    drivers: Vec<Driver>,
    /// Futures resolved so far.
    resolved: usize,
}

impl<'s, C: Item> Interpreter<'s, C> {
    fn new(scenario: &'s Scenario) -> Self {
        let log = Log::default();
        log.lock().recording = true;
        let (streams, pushers) = scenario
            .streams
            .iter()
            .enumerate()
            .map(|(id, spec)| Self::make(id, spec, &log))
            .unzip();
        Interpreter {
            scenario,
            log,
            streams,
            pushers,
            drivers: Vec::new(),
            resolved: 0,
        }
    }

    #[allow(clippy::type_complexity)]
    fn make(
        id: usize,
        spec: &StreamSpec,
        log: &Log,
    ) -> (Stream<C>, Option<(Pusher<C>, Arc<AtomicBool>)>) {
        let observer = {
            let log = log.clone();
            move |event: &Event| log.record(id, event_name(event))
        };
        let stream = match spec {
            StreamSpec::Readable { hwm, source } => {
                let pushed = Arc::new(AtomicBool::new(false));
                let manual = source.pace == Pace::Manual;
                let source = ScriptedSource {
                    id,
                    spec: source.clone(),
                    next: 0,
                    reading: Reading::Idle,
                    log: log.clone(),
                    pushed: Arc::clone(&pushed),
                };
                let mut r = Readable::new(source).with_high_water_mark(*hwm);
                r.observe(observer);
                if manual {
                    let (pusher, r) = Pusher::attach(r);
                    return (Stream::Readable(r), Some((pusher, pushed)));
                }
                Stream::Readable(Shared::new(r))
            }
            StreamSpec::Writable { hwm, sink } => {
                let sink = ScriptedSink {
                    id,
                    spec: sink.clone(),
                    written: 0,
                    waiting: None,
                    log: log.clone(),
                };
                let mut w = Writable::new(sink).with_high_water_mark(*hwm);
                w.observe(observer);
                Stream::Writable(Shared::new(w))
            }
            StreamSpec::Transform {
                readable_hwm,
                writable_hwm,
                pushes,
                flush,
                fail_at,
            } => {
                let transform = ScriptedTransform::<C> {
                    id,
                    pushes: pushes.clone(),
                    flush: *flush,
                    fail_at: *fail_at,
                    count: 0,
                    log: log.clone(),
                    _chunks: std::marker::PhantomData,
                };
                let mut d = Duplex::transform(transform)
                    .with_readable_high_water_mark(*readable_hwm)
                    .with_writable_high_water_mark(*writable_hwm);
                d.observe(observer);
                Stream::Duplex(Shared::new(d))
            }
        };
        (stream, None)
    }

    fn run(mut self, steps: &RefCell<Vec<Step>>) -> std::result::Result<(), String> {
        let outcome = self.run_ops(steps);
        // What dropping the streams does is not part of the scenario.
        self.log.lock().recording = false;
        self.drivers.clear();
        outcome
    }

    fn run_ops(&mut self, steps: &RefCell<Vec<Step>>) -> std::result::Result<(), String> {
        for (index, op) in self.scenario.ops.iter().enumerate() {
            let mut step = Step::default();
            let outcome = self.op(index, op, &mut step);
            step.events = std::mem::take(&mut self.log.lock().events);
            step.state = self.state();
            steps.borrow_mut().push(step);
            outcome?;
        }
        Ok(())
    }

    fn op(&mut self, index: usize, op: &Op, step: &mut Step) -> std::result::Result<(), String> {
        let refused = |step: &mut Step, error: Error| step.refused = Some(error_name(&error));
        let text = |chunk: Option<C>| chunk.map_or(Value::Null, |c| Value::String(c.text()));
        match op {
            Op::Write { stream, chunk } => {
                let written = match &self.streams[*stream] {
                    Stream::Writable(w) => w.lock().write(C::from_text(chunk)),
                    Stream::Duplex(d) => d.lock().write(C::from_text(chunk)),
                    Stream::Readable(_) => {
                        unreachable!("write to a stream without a writable side")
                    }
                };
                match written {
                    Ok(below) => step.ret = Value::Bool(below),
                    Err(error) => refused(step, error),
                }
            }
            Op::End { stream } => {
                let ended = match &self.streams[*stream] {
                    Stream::Writable(w) => w.lock().end(),
                    Stream::Duplex(d) => d.lock().end(),
                    Stream::Readable(_) => unreachable!("end on a stream without a writable side"),
                };
                if let Err(error) = ended {
                    refused(step, error);
                }
            }
            Op::Read { stream } => {
                step.ret = text(match &self.streams[*stream] {
                    Stream::Readable(r) => r.lock().read(),
                    Stream::Duplex(d) => d.lock().read(),
                    Stream::Writable(_) => {
                        unreachable!("read from a stream without a readable side")
                    }
                });
            }
            Op::ReadN { stream, n } => {
                step.ret = text(C::read_n(&self.streams[*stream], *n));
            }
            Op::Unshift { stream, chunk } => match &self.streams[*stream] {
                Stream::Readable(r) => match r.lock().unshift(C::from_text(chunk)) {
                    Ok(below) => step.ret = Value::Bool(below),
                    Err(error) => refused(step, error),
                },
                _ => unreachable!("unshift on a transform is switched off"),
            },
            Op::Push { stream, chunk } => {
                let (pusher, pushed) = self.pushers[*stream]
                    .as_ref()
                    .expect("push goes to a manual source");
                let errored = pusher.readable().lock().errored().is_some();
                step.ret = Value::Bool(match chunk {
                    Some(chunk) => pusher.push(C::from_text(chunk)),
                    None => {
                        pusher.end();
                        false
                    }
                });
                pushed.store(true, Ordering::SeqCst);
                if !errored && let Some(error) = pusher.readable().lock().errored() {
                    refused(step, error.clone());
                }
            }
            Op::Pause { stream } => self.streams[*stream].readable_side().pause(),
            // The stream's own `resume()`, as a user calls it; a pipe's
            // resumes through `ReadableStream`, which makes it the reader.
            Op::Resume { stream } => match &self.streams[*stream] {
                Stream::Readable(r) => r.lock().resume(),
                Stream::Duplex(d) => d.lock().resume(),
                Stream::Writable(_) => unreachable!("resume on a stream without a readable side"),
            },
            Op::Cork { stream } => match &self.streams[*stream] {
                Stream::Writable(w) => w.lock().cork(),
                Stream::Duplex(d) => d.lock().cork(),
                Stream::Readable(_) => unreachable!("cork on a stream without a writable side"),
            },
            Op::Uncork { stream } => match &self.streams[*stream] {
                Stream::Writable(w) => w.lock().uncork(),
                Stream::Duplex(d) => d.lock().uncork(),
                Stream::Readable(_) => unreachable!("uncork on a stream without a writable side"),
            },
            Op::Destroy { stream, error } => {
                let error = error.then(|| boom(&format!("op{index}")));
                self.streams[*stream].destroy(error);
            }
            Op::Pipe {
                source,
                destinations,
                end,
            } => self.pipe(*source, destinations, *end),
            Op::Unpipe {
                source,
                destination,
            } => self.unpipe(*source, *destination),
            Op::Pipeline { stages } => self.pipeline(stages),
            Op::Finished { stream } => {
                self.drivers.push(Driver {
                    kind: DriverKind::Finished { stream: *stream },
                    future: Some(self.streams[*stream].finished()),
                });
            }
            Op::Tick => self.until_stable()?,
            Op::Settle => self.settle()?,
        }
        Ok(())
    }

    fn pipe(&mut self, source: usize, destinations: &[usize], end: bool) {
        let control = Rc::new(PipeControl::default());
        let options = if end {
            PipeOptions::default()
        } else {
            PipeOptions::keep_open()
        };
        let mut from = self.streams[source].readable_side();
        let mut to: Vec<_> = destinations
            .iter()
            .map(|&d| self.streams[d].writable_side())
            .collect();
        let requests = Rc::clone(&control);
        let future = async move {
            let to = to
                .iter_mut()
                .map(|d| &mut **d as &mut dyn WritableStream<Input = C>)
                .collect();
            let mut pipe = pipe_all(&mut *from, to, options);
            let outcome = poll_fn(|cx| {
                for index in requests.unpipe.take() {
                    pipe.unpipe(index);
                }
                if requests.hold.get() {
                    return Poll::Pending;
                }
                Pin::new(&mut pipe).poll(cx)
            })
            .await;
            if outcome.is_ok() {
                return outcome;
            }
            requests.failed.set(true);
            poll_fn(|_| {
                for index in requests.unpipe.take() {
                    pipe.unpipe(index);
                }
                // Node's pipe, still attached, undoes a destination at
                // its `finish`, `error` or `close`.
                if !requests.hold.get() {
                    pipe.unpipe_done();
                }
                Poll::<Result<()>>::Pending
            })
            .await
        };
        self.drivers.push(Driver {
            kind: DriverKind::Pipe {
                source,
                destinations: destinations.to_vec(),
                control,
            },
            future: Some(Box::pin(future)),
        });
        // Makes the pipe now, as Node's `pipe()` does, without moving data.
        self.hold_poll(self.drivers.len() - 1);
    }

    fn unpipe(&mut self, source: usize, destination: usize) {
        let found = self.drivers.iter().position(
            |driver| matches!(&driver.kind, DriverKind::Pipe { source: s, .. } if *s == source),
        );
        let Some(at) = found else { return };
        if let DriverKind::Pipe {
            destinations,
            control,
            ..
        } = &self.drivers[at].kind
            && let Some(index) = destinations.iter().position(|&d| d == destination)
        {
            control.unpipe.borrow_mut().push(index);
            self.hold_poll(at);
        }
    }

    /// Polls pipe driver `at` only to make it or act on its requests.
    fn hold_poll(&mut self, at: usize) {
        let driver = &mut self.drivers[at];
        let (DriverKind::Pipe { control, .. }, Some(future)) = (&driver.kind, &mut driver.future)
        else {
            return;
        };
        control.hold.set(true);
        let outcome = future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()));
        control.hold.set(false);
        if outcome.is_ready() {
            driver.future = None;
            self.resolved += 1;
        }
    }

    fn pipeline(&mut self, stages: &[usize]) {
        let (last, middle) = stages[1..].split_last().expect("two stages at least");
        let mut chain = match &self.streams[stages[0]] {
            Stream::Readable(r) => pipeline(r.clone()),
            Stream::Duplex(d) => pipeline(d.clone()),
            Stream::Writable(_) => unreachable!("the first stage is readable"),
        };
        for &stage in middle {
            let Stream::Duplex(d) = &self.streams[stage] else {
                unreachable!("a middle stage is a transform")
            };
            chain = chain.pipe(d.clone());
        }
        let Stream::Writable(w) = &self.streams[*last] else {
            unreachable!("the last stage is a writable")
        };
        let w = w.clone();
        self.drivers.push(Driver {
            kind: DriverKind::Pipeline {
                stages: stages.to_vec(),
            },
            future: Some(Box::pin(chain.pipe(w))),
        });
    }

    fn state(&self) -> Vec<BTreeMap<String, Value>> {
        self.streams.iter().map(Stream::counters).collect()
    }

    /// Time passes until nothing is left: deferred completions fire one at
    /// a time, oldest first, with polls until nothing changes after each.
    fn settle(&mut self) -> std::result::Result<(), String> {
        for _ in 0..SETTLE_LIMIT {
            self.until_stable()?;
            let next = self.log.lock().deferred.pop_front();
            match next {
                Some(completion) => completion.fire(),
                None => return Ok(()),
            }
        }
        Err("livelock: deferred completions never stop".into())
    }

    /// Polls every driver, round after round, until two rounds in a row
    /// change nothing observable.
    fn until_stable(&mut self) -> std::result::Result<(), String> {
        let mut quiet = 0;
        for _ in 0..ROUND_LIMIT {
            let before = self.fingerprint();
            self.round();
            if self.fingerprint() == before {
                quiet += 1;
                if quiet == 2 {
                    return Ok(());
                }
            } else {
                quiet = 0;
            }
        }
        Err("livelock: polling never settles".into())
    }

    fn fingerprint(&self) -> (usize, usize, usize, Vec<BTreeMap<String, Value>>) {
        let log = self.log.lock();
        let (recorded, requested) = (log.recorded, log.requested);
        drop(log);
        (recorded, requested, self.resolved, self.state())
    }

    /// The place in Node's one `nextTick` queue of the oldest tick any
    /// of `streams` queued, `u64::MAX` if none did.
    fn oldest_tick(&self, streams: impl IntoIterator<Item = usize>) -> u64 {
        let stamps = streams
            .into_iter()
            .filter_map(|id| match &self.streams[id] {
                Stream::Readable(r) => r.oldest_tick(),
                Stream::Duplex(d) => ReadableStream::oldest_tick(d),
                Stream::Writable(_) => None,
            });
        stamps.min().unwrap_or(u64::MAX)
    }

    /// One round: every pipe and pipeline in the order of the oldest tick
    /// its streams queued (Node runs its one `nextTick` queue in that
    /// order; those with none after, in the order made), each `finished`
    /// future where it was made among them (it calls back from its
    /// stream's events, after the listeners added before it); then every
    /// stream nothing reads.
    fn round(&mut self) {
        let mut cx = Context::from_waker(Waker::noop());
        let mut piping: Vec<(u64, usize)> = Vec::new();
        for (at, driver) in self.drivers.iter().enumerate() {
            let oldest = match &driver.kind {
                DriverKind::Pipe {
                    source,
                    destinations,
                    ..
                } => self.oldest_tick(std::iter::once(*source).chain(destinations.iter().copied())),
                DriverKind::Pipeline { stages } => self.oldest_tick(stages.iter().copied()),
                DriverKind::Finished { .. } => continue,
            };
            piping.push((oldest, at));
        }
        piping.sort_by_key(|&(key, _)| key);
        let mut piping = piping.into_iter().map(|(_, at)| at);
        for at in 0..self.drivers.len() {
            let at = match self.drivers[at].kind {
                DriverKind::Finished { .. } => at,
                _ => piping.next().expect("one pipe or pipeline per slot"),
            };
            self.poll_driver(at, &mut cx);
        }
        for id in 0..self.streams.len() {
            match &self.streams[id] {
                Stream::Writable(w) => {
                    let _ = w.lock().poll_finish(&mut cx);
                }
                // A duplex whose readable side nothing reads from: Node
                // runs its ticks and, if it flows, its `flow()` (the output
                // emitted as `data` and dropped) on its own.
                Stream::Duplex(d) => {
                    if !self.is_piped(id) {
                        d.lock().tick();
                    }
                    let _ = WritableStream::poll_finish(&mut *d.lock(), &mut cx);
                }
                // A readable nothing reads from: Node reads ahead,
                // delivers its deferred events and, if it flows, runs its
                // `flow()` (the chunks emitted as `data` and dropped) on
                // its own, at the moments its ticks come.
                Stream::Readable(r) if !self.is_piped(id) => {
                    r.lock().tick();
                }
                Stream::Readable(_) => {}
            }
        }
    }

    fn poll_driver(&mut self, at: usize, cx: &mut Context<'_>) {
        let driver = &mut self.drivers[at];
        let Some(future) = driver.future.as_mut() else {
            return;
        };
        let Poll::Ready(outcome) = future.as_mut().poll(cx) else {
            // A failed pipe stays for later `unpipe()` calls: it counts
            // as resolved once.
            if let DriverKind::Pipe { control, .. } = &driver.kind
                && control.failed.get()
                && !control.resolved.replace(true)
            {
                self.resolved += 1;
            }
            return;
        };
        driver.future = None;
        self.resolved += 1;
        let name = match &outcome {
            Ok(()) => "ok".to_owned(),
            Err(error) => error_name(error),
        };
        match &driver.kind {
            DriverKind::Pipe { .. } => {}
            DriverKind::Pipeline { stages } => {
                for &stage in stages {
                    self.log.record(stage, format!("pipeline({name})"));
                }
            }
            DriverKind::Finished { stream } => {
                self.log.record(*stream, format!("finished({name})"));
            }
        }
    }

    /// True while a pipe or pipeline reads from `stream`.
    fn is_piped(&self, stream: usize) -> bool {
        self.drivers.iter().any(|driver| {
            driver.future.is_some()
                && match &driver.kind {
                    DriverKind::Pipe {
                        source, control, ..
                    } => *source == stream && !control.failed.get(),
                    DriverKind::Pipeline { stages } => stages[..stages.len() - 1].contains(&stream),
                    DriverKind::Finished { .. } => false,
                }
        })
    }
}
