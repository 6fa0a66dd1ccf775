//! Test doubles standing in for Node's `_read` and `_write`: a source the
//! test pushes into from outside ([`Feed`]), and a sink that records what
//! it takes and can be held, slowed down or made to fail ([`Probe`]).

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use smerge::{Chunk, Error, ErrorKind, Push, ReadSource, Result, WriteQueue, WriteSink};

use super::events::EventLog;

/// Bytes from a string, for short byte chunks.
pub fn b(text: &str) -> Bytes {
    Bytes::copy_from_slice(text.as_bytes())
}

/// An error of the test's own, as Node's tests make with `new Error('kaboom')`.
pub fn kaboom(message: &str) -> Error {
    Error::new(ErrorKind::InvalidData, message)
}

/// The test's side of a [`FeedSource`]: Node's `readable.push()` called
/// from outside `_read` (as in `new Readable({ read() {} })`).
#[derive(Debug)]
pub struct Feed<T> {
    state: Arc<Mutex<FeedState<T>>>,
}

impl<T> Clone for Feed<T> {
    fn clone(&self) -> Self {
        Feed {
            state: Arc::clone(&self.state),
        }
    }
}

#[derive(Debug)]
struct FeedState<T> {
    queue: VecDeque<T>,
    ended: bool,
    waker: Option<Waker>,
    /// Read requests: polls that found nothing to hand over while no
    /// earlier request was outstanding (Node's `_read` calls).
    requests: usize,
    outstanding: bool,
    failure: Option<Error>,
    destroyed: Vec<Option<Error>>,
}

/// A source whose chunks come from its [`Feed`]: each poll hands over
/// everything fed so far, whatever the highWaterMark, as Node's `push()`
/// always buffers the chunk.
#[derive(Debug)]
pub struct FeedSource<T> {
    state: Arc<Mutex<FeedState<T>>>,
}

impl<T> Feed<T> {
    /// A source, and the handle that feeds it.
    pub fn new() -> (FeedSource<T>, Feed<T>) {
        let state = Arc::new(Mutex::new(FeedState {
            queue: VecDeque::new(),
            ended: false,
            waker: None,
            requests: 0,
            outstanding: false,
            failure: None,
            destroyed: Vec::new(),
        }));
        (
            FeedSource {
                state: Arc::clone(&state),
            },
            Feed { state },
        )
    }

    fn lock(&self) -> MutexGuard<'_, FeedState<T>> {
        self.state.lock().unwrap()
    }

    /// Node's `push(chunk)`.
    pub fn push(&self, chunk: T) {
        let mut state = self.lock();
        state.queue.push_back(chunk);
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }

    /// Node's `push(null)`.
    pub fn end(&self) {
        let mut state = self.lock();
        state.ended = true;
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }

    /// Makes the source fail with `error` once it handed over what was
    /// fed before (Node's `destroy(err)` from inside `_read`).
    pub fn fail(&self, error: Error) {
        let mut state = self.lock();
        state.failure = Some(error);
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }

    /// How many read requests the source received (Node's `_read` calls).
    pub fn requests(&self) -> usize {
        self.lock().requests
    }

    /// The errors the source's `destroy` hook was called with, one per call.
    pub fn destroyed(&self) -> Vec<Option<Error>> {
        self.lock().destroyed.clone()
    }
}

impl<T: Chunk> ReadSource<T> for FeedSource<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, T>,
    ) -> Poll<Result<()>> {
        let mut state = self.state.lock().unwrap();
        if state.queue.is_empty()
            && let Some(error) = state.failure.take()
        {
            return Poll::Ready(Err(error));
        }
        if state.queue.is_empty() && !state.ended {
            if !state.outstanding {
                state.outstanding = true;
                state.requests += 1;
            }
            state.waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        state.outstanding = false;
        while let Some(chunk) = state.queue.pop_front() {
            out.push(chunk);
        }
        if state.ended {
            out.end();
        }
        Poll::Ready(Ok(()))
    }

    fn destroy(self: Pin<&mut Self>, error: Option<&Error>) {
        self.state.lock().unwrap().destroyed.push(error.cloned());
    }
}

/// How a [`ProbeSink`] takes chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pace {
    /// Takes each chunk as soon as it is offered (a synchronous `_write`).
    Immediate,
    /// Answers `Pending` once before taking each chunk, waking itself: a
    /// `_write` that calls back on the next tick.
    NextTick,
    /// Takes a chunk only when the test grants one with [`Probe::release`]:
    /// a `_write` that calls back when the test says so (or never).
    Held,
}

/// The test's side of a [`ProbeSink`]: what it took, and control over it.
#[derive(Debug)]
pub struct Probe<T> {
    state: Arc<Mutex<ProbeState<T>>>,
}

impl<T> Clone for Probe<T> {
    fn clone(&self) -> Self {
        Probe {
            state: Arc::clone(&self.state),
        }
    }
}

#[derive(Debug)]
struct ProbeState<T> {
    pace: Pace,
    vectored: bool,
    ticked: bool,
    permits: usize,
    final_held: bool,
    fail_at: Option<(usize, Error)>,
    taken: Vec<T>,
    batches: Vec<usize>,
    offered: usize,
    finals: usize,
    destroyed: Vec<Option<Error>>,
    waker: Option<Waker>,
    log: Option<EventLog>,
}

/// A sink that records every chunk it takes (Node's `_write`), each batch
/// it takes at once (`_writev`), its final hook (`_final`) and its destroy
/// hook (`_destroy`).
#[derive(Debug)]
pub struct ProbeSink<T> {
    state: Arc<Mutex<ProbeState<T>>>,
}

impl<T> Probe<T> {
    /// A sink taking chunks one at a time at `pace`, and its probe.
    pub fn new(pace: Pace) -> (ProbeSink<T>, Probe<T>) {
        let state = Arc::new(Mutex::new(ProbeState {
            pace,
            vectored: false,
            ticked: false,
            permits: 0,
            final_held: false,
            fail_at: None,
            taken: Vec::new(),
            batches: Vec::new(),
            offered: 0,
            finals: 0,
            destroyed: Vec::new(),
            waker: None,
            log: None,
        }));
        (
            ProbeSink {
                state: Arc::clone(&state),
            },
            Probe { state },
        )
    }

    fn lock(&self) -> MutexGuard<'_, ProbeState<T>> {
        self.state.lock().unwrap()
    }

    /// Takes every queued chunk at once (Node's `_writev`).
    pub fn vectored(self) -> Self {
        self.lock().vectored = true;
        self
    }

    /// Fails instead of taking the `nth` chunk (1-based), as a `_write`
    /// calling back with an error.
    pub fn fail_at(&self, nth: usize, error: Error) {
        self.lock().fail_at = Some((nth, error));
    }

    /// Holds the final hook until [`release_final`](Probe::release_final).
    pub fn hold_final(self) -> Self {
        self.lock().final_held = true;
        self
    }

    /// Marks `_write:{n}`, `_final` and `_destroy` in `log` as they happen.
    pub fn logging(self, log: &EventLog) -> Self {
        self.lock().log = Some(log.clone());
        self
    }

    /// Lets a held sink take `n` more chunks.
    pub fn release(&self, n: usize) {
        let mut state = self.lock();
        state.permits += n;
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }

    /// Lets a held final hook complete.
    pub fn release_final(&self) {
        let mut state = self.lock();
        state.final_held = false;
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }

    /// How many chunks were offered to the sink so far, taken or not
    /// (Node's `_write` calls, including one still waiting to call back).
    pub fn offered(&self) -> usize {
        self.lock().offered
    }

    /// How many chunks were taken so far.
    pub fn taken_count(&self) -> usize {
        self.lock().taken.len()
    }

    /// The sizes of the batches taken at once, in order.
    pub fn batches(&self) -> Vec<usize> {
        self.lock().batches.clone()
    }

    /// How many times the final hook completed.
    pub fn finals(&self) -> usize {
        self.lock().finals
    }

    /// The errors the destroy hook was called with, one per call.
    pub fn destroyed(&self) -> Vec<Option<Error>> {
        self.lock().destroyed.clone()
    }
}

impl<T: Clone> Probe<T> {
    /// The chunks taken so far, in order.
    pub fn taken(&self) -> Vec<T> {
        self.lock().taken.clone()
    }
}

impl<T: Chunk> WriteSink<T> for ProbeSink<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<T>,
    ) -> Poll<Result<()>> {
        let mut guard = self.state.lock().unwrap();
        let state = &mut *guard;
        let offering = state.taken.len() + 1;
        if state.offered < offering {
            state.offered = offering;
            if let Some(log) = &state.log {
                log.mark(format!("_write:{offering}"));
            }
        }
        if let Some((nth, error)) = &state.fail_at
            && *nth == offering
        {
            let error = error.clone();
            state.fail_at = None;
            return Poll::Ready(Err(error));
        }
        match state.pace {
            Pace::Immediate => {}
            Pace::NextTick => {
                if !state.ticked {
                    state.ticked = true;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                state.ticked = false;
            }
            Pace::Held => {
                if state.permits == 0 {
                    state.waker = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                state.permits -= 1;
            }
        }
        if state.vectored {
            let batch: Vec<T> = queue.drain().collect();
            state.batches.push(batch.len());
            state.taken.extend(batch);
        } else {
            let chunk = queue.pop().expect("the engine offers a non-empty queue");
            state.batches.push(1);
            state.taken.push(chunk);
        }
        Poll::Ready(Ok(()))
    }

    fn poll_final(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let mut state = self.state.lock().unwrap();
        if state.final_held {
            state.waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        state.finals += 1;
        if let Some(log) = &state.log {
            log.mark("_final");
        }
        Poll::Ready(Ok(()))
    }

    fn destroy(self: Pin<&mut Self>, error: Option<&Error>) {
        let mut state = self.state.lock().unwrap();
        state.destroyed.push(error.cloned());
        if let Some(log) = &state.log {
            log.mark("_destroy");
        }
    }
}
