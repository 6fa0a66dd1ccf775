//! [`TakeSink`]: a [`WriteSink`](smerge::WriteSink) that takes a few chunks per call, stalls or
//! fails on request; [`Shared`]: what it (or a writer) received.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};

use smerge::{Chunk, Error, ErrorKind, Result, WriteQueue, WriteSink};

use super::{Bound, Hiccups, Stall};

/// A vector shared between a mock and the test that reads it.
#[derive(Debug)]
pub struct Shared<T>(Arc<Mutex<Vec<T>>>);

impl<T> Default for Shared<T> {
    fn default() -> Self {
        Shared(Arc::new(Mutex::new(Vec::new())))
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

impl<T> Shared<T> {
    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    pub fn extend(&self, items: impl IntoIterator<Item = T>) {
        self.0.lock().unwrap().extend(items);
    }

    pub fn take(&self) -> Vec<T> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// Where a [`TakeSink`] fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SinkFailure {
    /// On this call of `poll_write` (1 is the first).
    OnCall(usize),
    /// In `poll_final`.
    InFinal,
}

impl SinkFailure {
    pub fn message(self) -> String {
        format!("mock sink failed: {self:?}")
    }
}

/// Takes at most `per_call` chunks per call into a [`Shared`] vector.
#[derive(Debug)]
pub struct TakeSink<T> {
    taken: Shared<T>,
    per_call: usize,
    calls: usize,
    failure: Option<SinkFailure>,
    stall: Stall,
    hiccups: Hiccups,
    bound: Option<(Bound, usize)>,
}

impl<T: Chunk> TakeSink<T> {
    /// A sink, and the handle that reads what it took.
    pub fn new(per_call: usize) -> (Self, Shared<T>) {
        assert!(per_call > 0);
        let taken = Shared::default();
        let sink = TakeSink {
            taken: taken.clone(),
            per_call,
            calls: 0,
            failure: None,
            stall: Stall::default(),
            hiccups: Hiccups::none(),
            bound: None,
        };
        (sink, taken)
    }

    pub fn fail(mut self, failure: SinkFailure) -> Self {
        self.failure = Some(failure);
        self
    }

    pub fn stall(mut self, stall: Stall) -> Self {
        self.stall = stall;
        self
    }

    pub fn hiccups(mut self, hiccups: Hiccups) -> Self {
        self.hiccups = hiccups;
        self
    }

    /// Checks the writable's queue, whose highWaterMark is `high_water_mark`,
    /// on every call.
    pub fn bound(mut self, bound: Bound, high_water_mark: usize) -> Self {
        self.bound = Some((bound, high_water_mark));
        self
    }
}

// The chunks are only moved, never pinned.
impl<T> Unpin for TakeSink<T> {}

impl<T: Chunk> WriteSink<T> for TakeSink<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<T>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        if let Some((bound, high_water_mark)) = &this.bound {
            bound.check(queue.size(), *high_water_mark);
        }
        ready!(this.stall.poll(cx));
        ready!(this.hiccups.poll(cx));
        this.calls += 1;
        if let Some(failure @ SinkFailure::OnCall(call)) = this.failure
            && call == this.calls
        {
            return Poll::Ready(Err(Error::new(ErrorKind::Io, failure.message())));
        }
        let take = this.per_call.min(queue.len());
        this.taken.extend((0..take).map_while(|_| queue.pop()));
        Poll::Ready(Ok(()))
    }

    fn poll_final(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        ready!(this.stall.poll(cx));
        ready!(this.hiccups.poll(cx));
        if this.failure == Some(SinkFailure::InFinal) {
            let message = SinkFailure::InFinal.message();
            return Poll::Ready(Err(Error::new(ErrorKind::Io, message)));
        }
        Poll::Ready(Ok(()))
    }
}
