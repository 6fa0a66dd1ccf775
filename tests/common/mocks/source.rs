//! [`ScriptedSource`]: a [`ReadSource`](smerge::ReadSource) that pushes given chunks, a random
//! number per call, with random hiccups.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use smerge::{Chunk, Error, ErrorKind, Push, ReadSource, Result};

use super::{Bound, Hiccups, Meter, Rng};

/// Pushes its chunks in order, between one and `max_per_call` per call (as
/// long as `push` says there is room), then the end; optionally fails in
/// place of the chunk at `fail_at` (or of the end).
#[derive(Debug)]
pub struct ScriptedSource<T> {
    chunks: VecDeque<T>,
    next: usize,
    fail_at: Option<usize>,
    max_per_call: usize,
    rng: Rng,
    hiccups: Hiccups,
    meter: Meter,
    bound: Option<Bound>,
}

impl<T: Chunk> ScriptedSource<T> {
    pub fn new(chunks: impl IntoIterator<Item = T>, seed: u64) -> Self {
        ScriptedSource {
            chunks: chunks.into_iter().collect(),
            next: 0,
            fail_at: None,
            max_per_call: 1 << 20,
            rng: Rng::new(seed),
            hiccups: Hiccups::none(),
            meter: Meter::default(),
            bound: None,
        }
    }

    pub fn max_per_call(mut self, max_per_call: usize) -> Self {
        assert!(max_per_call > 0);
        self.max_per_call = max_per_call;
        self
    }

    /// Fails with [`ScriptedSource::error_message`] in place of chunk
    /// `index` (in place of the end when `index` is the number of chunks).
    pub fn fail_at(mut self, index: usize) -> Self {
        self.fail_at = Some(index);
        self
    }

    pub fn hiccups(mut self, hiccups: Hiccups) -> Self {
        self.hiccups = hiccups;
        self
    }

    pub fn meter(mut self, meter: Meter) -> Self {
        self.meter = meter;
        self
    }

    /// Checks the readable's buffer after every push.
    pub fn bound(mut self, bound: Bound) -> Self {
        self.bound = Some(bound);
        self
    }

    pub fn error_message(index: usize) -> String {
        format!("mock source failed at chunk {index}")
    }
}

// The chunks are only moved, never pinned.
impl<T> Unpin for ScriptedSource<T> {}

impl<T: Chunk> ReadSource<T> for ScriptedSource<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, T>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        this.meter.polled();
        ready!(this.hiccups.poll(cx));
        for _ in 0..this.rng.between(1, this.max_per_call) {
            if this.fail_at == Some(this.next) {
                let message = ScriptedSource::<T>::error_message(this.next);
                return Poll::Ready(Err(Error::new(ErrorKind::InvalidData, message)));
            }
            let Some(chunk) = this.chunks.pop_front() else {
                out.end();
                break;
            };
            this.next += 1;
            this.meter.produced(chunk.size());
            let more = out.push(chunk);
            if let Some(bound) = &this.bound {
                bound.check(out.buffered(), out.high_water_mark());
            }
            if !more {
                break;
            }
        }
        Poll::Ready(Ok(()))
    }
}
