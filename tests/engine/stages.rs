//! Transforms and duplex handlers the engine tests put between a source
//! and a sink: they re-chunk the data, check the buffers they can see, and
//! fail on request.

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use smerge::{Chunk, DuplexHandler, Error, ErrorKind, Push, Result, Transform, WriteQueue};

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
/// ([`Transform::has_pending`]) and handing out the tail after `flush`.
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

    fn has_pending(&self) -> bool {
        self.held.len() >= self.limit || (self.flushing && !self.held.is_empty())
    }

    fn resume(&mut self, out: &mut Push<'_, Bytes>) -> Result<()> {
        while self.has_pending() {
            let piece = self.held.split_to(self.limit.min(self.held.len()));
            let more = out.push(piece.freeze());
            self.bound.check(out.buffered(), out.high_water_mark());
            if !more {
                break;
            }
        }
        Ok(())
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

/// A pass-through duplex handler that sees both of its duplex's buffers:
/// it checks the writable queue (whose highWaterMark it is told) on every
/// call, and the readable buffer after every push.
#[derive(Debug)]
pub struct Probe<T> {
    writable_high_water_mark: usize,
    writable: Bound,
    readable: Bound,
    _chunks: PhantomData<fn(T) -> T>,
}

impl<T> Probe<T> {
    pub fn new(writable_high_water_mark: usize, writable: Bound, readable: Bound) -> Self {
        Probe {
            writable_high_water_mark,
            writable,
            readable,
            _chunks: PhantomData,
        }
    }
}

impl<T: Chunk> DuplexHandler<T, T> for Probe<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        input: &mut WriteQueue<T>,
        out: &mut Push<'_, T>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        this.writable
            .check(input.size(), this.writable_high_water_mark);
        let mut moved = false;
        while out.has_room() {
            let Some(chunk) = input.pop() else { break };
            out.push(chunk);
            this.readable.check(out.buffered(), out.high_water_mark());
            moved = true;
        }
        // Without room the duplex polls again once its consumer has read.
        if moved {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }

    fn poll_final(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        out: &mut Push<'_, T>,
    ) -> Poll<Result<()>> {
        out.end();
        Poll::Ready(Ok(()))
    }

    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        _out: &mut Push<'_, T>,
    ) -> Poll<Result<()>> {
        Poll::Pending
    }
}
