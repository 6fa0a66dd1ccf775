//! Transforms and duplexes the engine tests put between a source
//! and a sink: they re-chunk the data, check the buffers they can see, and
//! fail on request.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use bytes::{Bytes, BytesMut};
use smerge::{
    Chunk, Duplex, Error, ErrorKind, Push, ReadSource, Result, Transform, WriteQueue, WriteSink,
};

use crate::common::mocks::{Bound, Rng};

/// Passes every chunk on, checking the output buffer after each push.
#[derive(Debug)]
pub struct CheckedPass<T> {
    bound: Bound,
    _chunks: PhantomData<fn(T) -> T>,
}

impl<T> CheckedPass<T> {
    pub fn new(bound: Bound) -> Self {
        CheckedPass {
            bound,
            _chunks: PhantomData,
        }
    }
}

impl<T: Chunk> Transform for CheckedPass<T> {
    type Input = T;
    type Output = T;

    fn transform(&mut self, chunk: T, out: &mut Push<'_, T>) -> Result<()> {
        out.push(chunk);
        self.bound.check(out.buffered(), out.high_water_mark());
        Ok(())
    }
}

/// Cuts every chunk into pieces of random size (1 to `max_piece` bytes) and
/// pushes them all at once, as a Node transform that ignores `push`'s
/// verdict does: one call may overshoot the highWaterMark by one input chunk.
#[derive(Debug)]
pub struct Rechunk {
    rng: Rng,
    max_piece: usize,
    bound: Bound,
}

impl Rechunk {
    pub fn new(seed: u64, max_piece: usize, bound: Bound) -> Self {
        assert!(max_piece > 0);
        Rechunk {
            rng: Rng::new(seed),
            max_piece,
            bound,
        }
    }
}

impl Transform for Rechunk {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, mut chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
        while !chunk.is_empty() {
            let piece = self.rng.between(1, self.max_piece.min(chunk.len()));
            out.push(chunk.split_to(piece));
        }
        self.bound.check(out.buffered(), out.high_water_mark());
        Ok(())
    }
}

/// Gathers the input and re-emits it in chunks of exactly `limit` bytes
/// (the last one shorter), holding output back while the buffer is full
/// (in [`Transform::poll_ready`]) and handing out the tail after `flush`.
#[derive(Debug)]
pub struct Coalesce {
    limit: usize,
    held: BytesMut,
    flushing: bool,
    bound: Bound,
}

impl Coalesce {
    pub fn new(limit: usize, bound: Bound) -> Self {
        assert!(limit > 0);
        Coalesce {
            limit,
            held: BytesMut::new(),
            flushing: false,
            bound,
        }
    }
}

impl Coalesce {
    /// True while a full piece, or the last one after the flush, waits.
    fn has_pending(&self) -> bool {
        self.held.len() >= self.limit || (self.flushing && !self.held.is_empty())
    }
}

impl Transform for Coalesce {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, chunk: Bytes, _out: &mut Push<'_, Bytes>) -> Result<()> {
        self.held.extend_from_slice(&chunk);
        Ok(())
    }

    fn flush(&mut self, _out: &mut Push<'_, Bytes>) -> Result<()> {
        self.flushing = true;
        Ok(())
    }

    fn poll_ready(&mut self, _cx: &mut Context<'_>, out: &mut Push<'_, Bytes>) -> Poll<Result<()>> {
        while self.has_pending() {
            if !out.has_room() {
                return Poll::Pending;
            }
            let piece = self.held.split_to(self.limit.min(self.held.len()));
            out.push(piece.freeze());
            self.bound.check(out.buffered(), out.high_water_mark());
        }
        Poll::Ready(Ok(()))
    }
}

/// Passes bytes on, and fails with [`FailAt::error_message`] on the chunk
/// holding byte `position` (in `flush` when `position` is the length).
#[derive(Debug)]
pub struct FailAt {
    position: usize,
    seen: usize,
}

impl FailAt {
    pub fn new(position: usize) -> Self {
        FailAt { position, seen: 0 }
    }

    pub fn error_message(position: usize) -> String {
        format!("mock transform failed at byte {position}")
    }

    fn error(&self) -> Error {
        Error::new(ErrorKind::InvalidData, FailAt::error_message(self.position))
    }
}

impl Transform for FailAt {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
        if (self.seen..self.seen + chunk.len()).contains(&self.position) {
            return Err(self.error());
        }
        self.seen += chunk.len();
        out.push(chunk);
        Ok(())
    }

    fn flush(&mut self, _out: &mut Push<'_, Bytes>) -> Result<()> {
        if self.position == self.seen {
            return Err(self.error());
        }
        Ok(())
    }
}

/// A pass-through duplex of two halves joined by a shared hand-over, as a
/// socket's are, that sees both of its duplex's buffers: the sink half
/// checks the writable queue (whose highWaterMark it is told) on every
/// call, the source half the readable buffer after every push.
pub struct Probe;

impl Probe {
    pub fn duplex<T: Chunk>(
        writable_high_water_mark: usize,
        writable: Bound,
        readable: Bound,
    ) -> Duplex<T, T> {
        let shared = Arc::new(Mutex::new(HandOver {
            chunks: VecDeque::new(),
            ended: false,
            reader: None,
            writer: None,
        }));
        let sink = ProbeSink {
            writable_high_water_mark,
            writable,
            shared: Arc::clone(&shared),
        };
        Duplex::from_parts(ProbeSource { readable, shared }, sink)
    }
}

/// What the sink half took and the source half has yet to push.
struct HandOver<T> {
    chunks: VecDeque<T>,
    ended: bool,
    reader: Option<Waker>,
    writer: Option<Waker>,
}

struct ProbeSink<T> {
    writable_high_water_mark: usize,
    writable: Bound,
    shared: Arc<Mutex<HandOver<T>>>,
}

impl<T: Chunk> WriteSink<T> for ProbeSink<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<T>,
    ) -> Poll<Result<()>> {
        self.writable
            .check(queue.size(), self.writable_high_water_mark);
        let mut shared = self.shared.lock().unwrap();
        if !shared.chunks.is_empty() {
            // The source half has not pushed the last batch yet.
            shared.writer = Some(cx.waker().clone());
            return Poll::Pending;
        }
        shared.chunks.extend(queue.drain());
        if let Some(reader) = shared.reader.take() {
            reader.wake();
        }
        Poll::Ready(Ok(()))
    }

    fn poll_final(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        let mut shared = self.shared.lock().unwrap();
        shared.ended = true;
        if let Some(reader) = shared.reader.take() {
            reader.wake();
        }
        Poll::Ready(Ok(()))
    }
}

struct ProbeSource<T> {
    readable: Bound,
    shared: Arc<Mutex<HandOver<T>>>,
}

impl<T: Chunk> ReadSource<T> for ProbeSource<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, T>,
    ) -> Poll<Result<()>> {
        let mut shared = self.shared.lock().unwrap();
        let mut moved = false;
        while out.has_room() {
            let Some(chunk) = shared.chunks.pop_front() else {
                break;
            };
            out.push(chunk);
            self.readable.check(out.buffered(), out.high_water_mark());
            moved = true;
        }
        if shared.chunks.is_empty() {
            if let Some(writer) = shared.writer.take() {
                writer.wake();
            }
            if shared.ended {
                out.end();
                return Poll::Ready(Ok(()));
            }
        }
        if moved {
            return Poll::Ready(Ok(()));
        }
        shared.reader = Some(cx.waker().clone());
        Poll::Pending
    }
}
