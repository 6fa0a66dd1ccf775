//! Helpers for the transforms' unit tests: driving a transform as a duplex
//! does, cutting input into chunks, and data that does not compress.

use std::task::{Context, Poll, Waker};

use bytes::Bytes;

use crate::Push;
use crate::Transform;
use crate::stream::ReadBuffer;
use crate::{Error, Result};

/// What a transform did with some input.
pub(super) struct Run {
    /// Everything pushed, joined, including what was pushed before an error.
    pub(super) output: Vec<u8>,
    pub(super) result: Result<()>,
    /// The most output that was buffered at once.
    pub(super) max_buffered: usize,
    /// The longest output chunk.
    pub(super) max_chunk: usize,
    /// How many output chunks there were.
    pub(super) chunks: usize,
}

impl Run {
    pub(super) fn unwrap(self) -> Vec<u8> {
        if let Err(err) = self.result {
            panic!("the transform failed: {err}");
        }
        self.output
    }

    pub(super) fn unwrap_err(self) -> Error {
        match self.result {
            Ok(()) => panic!("the transform succeeded with {} bytes", self.output.len()),
            Err(err) => err,
        }
    }

    /// Reads everything buffered.
    fn collect(&mut self, buffer: &mut ReadBuffer<Bytes>) {
        self.max_buffered = self.max_buffered.max(buffer.len());
        while let Some(chunk) = buffer.pop_front() {
            self.max_chunk = self.max_chunk.max(chunk.len());
            self.chunks += 1;
            self.output.extend_from_slice(&chunk);
        }
    }
}

/// Writes `chunks` into `transform` and ends it, as a duplex does: a chunk
/// is handed over only once the transform is ready again. The consumer reads everything between
/// calls; the readable side's highWaterMark is `high_water_mark`. The first
/// error ends the run.
pub(super) fn drive<X: Transform<Input = Bytes, Output = Bytes>>(
    transform: &mut X,
    chunks: impl IntoIterator<Item = Bytes>,
    high_water_mark: usize,
) -> Run {
    let mut buffer = ReadBuffer::new(high_water_mark);
    let mut run = Run {
        output: Vec::new(),
        result: Ok(()),
        max_buffered: 0,
        max_chunk: 0,
        chunks: 0,
    };
    let result = (|| {
        for chunk in chunks {
            transform.transform(chunk, &mut Push::new(&mut buffer))?;
            settle(transform, &mut buffer, &mut run)?;
        }
        transform.flush(&mut Push::new(&mut buffer))?;
        settle(transform, &mut buffer, &mut run)
    })();
    run.collect(&mut buffer);
    run.result = result;
    run
}

/// Reads what `transform` pushed, and polls it until it is ready (a
/// transform holding output back pushes more whenever there is room).
fn settle<X: Transform<Input = Bytes, Output = Bytes>>(
    transform: &mut X,
    buffer: &mut ReadBuffer<Bytes>,
    run: &mut Run,
) -> Result<()> {
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        let polled = transform.poll_ready(&mut cx, &mut Push::new(buffer));
        run.collect(buffer);
        if let Poll::Ready(result) = polled {
            return result;
        }
    }
}

/// Cuts `data` into pieces whose sizes cycle through `sizes`.
pub(super) fn rechunk(data: &[u8], sizes: &[usize]) -> Vec<Bytes> {
    let mut pieces = Vec::new();
    let mut rest = data;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (piece, tail) = rest.split_at(size.clamp(1, rest.len()));
        pieces.push(Bytes::copy_from_slice(piece));
        rest = tail;
    }
    pieces
}

/// Bytes that do not compress; deterministic for a given `seed`.
pub(super) fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}
