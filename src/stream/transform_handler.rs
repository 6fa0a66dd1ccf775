//! [`TransformHandler`]: runs a [`Transform`] as the handler of a
//! [`Duplex`](crate::Duplex), and for a [`TransformSink`](crate::TransformSink).
//!
//! # States
//!
//! | phase | meaning | left when |
//! |---|---|---|
//! | [`Phase::Ready`] | the next chunk may be handed over | a chunk is handed to `transform` → working; the input ended → flushing |
//! | [`Phase::Working`] | `transform` ran, `poll_ready` has not finished it (Node: its callback is not called yet) | `poll_ready` is ready → ready, or held if the chunk's output filled the readable side |
//! | [`Phase::Held`] | finished, but its output filled the readable side: Node holds the write callback until the next `_read` | a read asks for more (`release_held`), or the consumer read the readable side below its highWaterMark → ready |
//! | [`Phase::Flushing`] | `flush` ran, `poll_ready` has not finished it | `poll_ready` is ready → flushed |
//! | [`Phase::Flushed`] | everything was pushed | never |
//!
//! The chunk handed to `transform` stays counted in the writable side's
//! length (Node's `writableLength`) until the phase is ready again, so
//! `write()` returns `false` and `drain` comes at Node's moments.

use std::any::{Any, TypeId};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::duplex_handler::DuplexHandler;
use super::error::Result;
use super::pass_through::PassThrough;
use super::push::Push;
use super::transform::Transform;
use super::write_queue::{Passed, WriteQueue};

/// Where a transform is in its work; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Ready,
    Working,
    Held,
    Flushing,
    Flushed,
}

/// A [`Transform`] and its [`Phase`].
#[derive(Debug)]
pub(crate) struct TransformHandler<X> {
    transform: X,
    phase: Phase,
    /// How much the readable side held when the chunk in work was handed
    /// over: if its output added to it, the callback may be held.
    buffered_before: usize,
    /// The writable side of the duplex was ended: no callback is held any
    /// more (Node's `Transform._write` checks `writableEnded` first).
    input_ended: bool,
    /// A held chunk is released once its output was all taken, even at a
    /// highWaterMark of 0: in a [`TransformSink`](crate::TransformSink),
    /// whose forwarding empties the output. Not in a duplex, where at 0
    /// only a read that asks releases it (Node's `maybeReadMore` never
    /// reads ahead of a stream whose mark is 0 and that does not flow).
    released_when_emptied: bool,
}

impl<X: Transform> TransformHandler<X> {
    /// The handler of a [`TransformSink`](crate::TransformSink).
    pub(crate) fn new(transform: X) -> Self {
        TransformHandler {
            transform,
            phase: Phase::Ready,
            buffered_before: 0,
            input_ended: false,
            released_when_emptied: true,
        }
    }

    /// The handler of a [`Duplex`](crate::Duplex), whose reads release a
    /// held chunk.
    pub(crate) fn for_duplex(transform: X) -> Self {
        TransformHandler {
            released_when_emptied: false,
            ..TransformHandler::new(transform)
        }
    }

    /// Finishes the work in progress, if any. `Pending` while the
    /// transform is not ready.
    #[inline]
    fn poll_settle(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut Push<'_, X::Output>,
    ) -> Poll<Result<()>> {
        let next = match self.phase {
            Phase::Working => Phase::Ready,
            Phase::Flushing => Phase::Flushed,
            Phase::Held
                if out.readable_length() < out.high_water_mark()
                    || (self.released_when_emptied && out.readable_length() == 0) =>
            {
                self.phase = Phase::Ready;
                return Poll::Ready(Ok(()));
            }
            Phase::Held => return Poll::Pending,
            Phase::Ready | Phase::Flushed => return Poll::Ready(Ok(())),
        };
        match self.transform.poll_ready(cx, out) {
            Poll::Ready(Ok(())) => {
                // Node's `Transform._write`: the callback is held while
                // the chunk's output left the readable side full.
                let added = out.readable_length() != self.buffered_before;
                self.phase = if next == Phase::Ready
                    && !self.input_ended
                    && added
                    && out.readable_length() >= out.high_water_mark()
                    && !out.is_ended()
                {
                    Phase::Held
                } else {
                    next
                };
                if self.phase == Phase::Held {
                    return Poll::Pending;
                }
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }

    /// Feeds queued chunks to the transform until one is held (its output
    /// filled `out`) or none is left, whatever `out` held before: Node's
    /// `clearBuffer` hands every buffered chunk to `_transform` until one's
    /// callback is held. Ready with whether anything was consumed or
    /// produced once it stopped for want of input; `Pending` while the
    /// transform is not ready or holds a chunk.
    #[inline]
    pub(crate) fn poll_pump(
        &mut self,
        cx: &mut Context<'_>,
        input: &mut WriteQueue<X::Input>,
        out: &mut Push<'_, X::Output>,
    ) -> Poll<Result<bool>> {
        let mut progressed = false;
        loop {
            match self.poll_settle(cx, out) {
                Poll::Ready(Ok(())) => progressed |= input.finish_in_flight(),
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending if progressed => return Poll::Ready(Ok(true)),
                Poll::Pending => return Poll::Pending,
            }
            let Some(chunk) = input.take_in_flight() else {
                return Poll::Ready(Ok(progressed));
            };
            self.phase = Phase::Working;
            self.buffered_before = out.readable_length();
            self.transform.transform(chunk, out)?;
            progressed = true;
        }
    }

    /// [`poll_pump`](TransformHandler::poll_pump) for a [`PassThrough`]
    /// between chunks (ready, or held): each chunk is pushed as it is, so
    /// they move together with the phases a chunk at a time gives. Ready
    /// once every chunk was passed on and none is held.
    #[inline(always)]
    fn poll_pass(
        &mut self,
        input: &mut WriteQueue<X::Output>,
        out: &mut Push<'_, X::Output>,
    ) -> Poll<Result<()>> {
        if self.phase == Phase::Held {
            if out.readable_length() >= out.high_water_mark() {
                return Poll::Pending;
            }
            self.phase = Phase::Ready;
            input.finish_in_flight();
        }
        while input.pass_into(out) == Passed::Held {
            if !self.input_ended {
                self.phase = Phase::Held;
                return Poll::Pending;
            }
            input.finish_in_flight();
        }
        if input.is_settled() {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }

    /// The input queue, as a queue of output chunks, when the transform is
    /// a [`PassThrough`] (whose input and output types are one); decided
    /// when the handler is compiled.
    #[inline(always)]
    fn identity_queue(input: &mut WriteQueue<X::Input>) -> Option<&mut WriteQueue<X::Output>> {
        if TypeId::of::<X>() != TypeId::of::<PassThrough<X::Input>>() {
            return None;
        }
        (input as &mut dyn Any).downcast_mut()
    }

    /// Finishes the work in progress, then flushes; ready once everything
    /// was pushed.
    pub(crate) fn poll_flush(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut Push<'_, X::Output>,
    ) -> Poll<Result<()>> {
        loop {
            match self.phase {
                Phase::Flushed => return Poll::Ready(Ok(())),
                Phase::Ready => {
                    self.phase = Phase::Flushing;
                    self.transform.flush(out)?;
                }
                Phase::Working | Phase::Held | Phase::Flushing => {
                    if let Poll::Ready(Err(error)) = self.poll_settle(cx, out) {
                        return Poll::Ready(Err(error));
                    }
                    if matches!(self.phase, Phase::Working | Phase::Held | Phase::Flushing) {
                        return Poll::Pending;
                    }
                }
            }
        }
    }
}

impl<X: Transform + Unpin> DuplexHandler<X::Input, X::Output> for TransformHandler<X> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        input: &mut WriteQueue<X::Input>,
        out: &mut Push<'_, X::Output>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        if matches!(this.phase, Phase::Ready | Phase::Held)
            && let Some(input) = Self::identity_queue(input)
        {
            return this.poll_pass(input, out);
        }
        // Input left means a chunk is held until the consumer reads: the
        // duplex polls again then.
        match this.poll_pump(cx, input, out) {
            Poll::Ready(Ok(true)) if input.is_settled() => Poll::Ready(Ok(())),
            Poll::Ready(Ok(_)) | Poll::Pending => Poll::Pending,
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
        }
    }

    fn release_held(self: Pin<&mut Self>) -> bool {
        let this = self.get_mut();
        let held = this.phase == Phase::Held;
        if held {
            this.phase = Phase::Ready;
        }
        held
    }

    fn hold_again(self: Pin<&mut Self>) -> bool {
        let this = self.get_mut();
        let holds = this.phase == Phase::Ready && !this.input_ended;
        if holds {
            this.phase = Phase::Held;
        }
        holds
    }

    fn writable_ended(self: Pin<&mut Self>) {
        self.get_mut().input_ended = true;
    }

    #[inline]
    fn is_idle_pass_through(&self) -> bool {
        TypeId::of::<X>() == TypeId::of::<PassThrough<X::Input>>() && self.phase == Phase::Ready
    }

    fn poll_final(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, X::Output>,
    ) -> Poll<Result<()>> {
        let polled = self.get_mut().poll_flush(cx, out);
        if let Poll::Ready(Ok(())) = polled {
            out.end();
        }
        polled
    }

    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, X::Output>,
    ) -> Poll<Result<()>> {
        // A transform's output comes only from what is written to it, but
        // work waiting for room goes on as soon as there is room, not only
        // when more input comes (Node's `Transform._read`).
        let this = self.get_mut();
        if this.phase == Phase::Working {
            return match this.poll_settle(cx, out) {
                Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
                _ if out.pushes() > 0 => Poll::Ready(Ok(())),
                _ => Poll::Pending,
            };
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::task::Waker;

    use bytes::Bytes;
    use proptest::prelude::*;

    use super::*;
    use crate::{Duplex, ReadableStream, WritableStream};

    /// Pushes every chunk as it is, as [`PassThrough`] does, but through
    /// the chunk-at-a-time path.
    struct Identity;

    impl Transform for Identity {
        type Input = Bytes;
        type Output = Bytes;

        fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
            out.push(chunk);
            Ok(())
        }
    }

    #[derive(Clone, Debug)]
    enum Step {
        Write(usize),
        Read,
        Poll,
        ReadInto(usize),
        Drain,
        End,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (0usize..12).prop_map(Step::Write),
            2 => Just(Step::Read),
            2 => Just(Step::Poll),
            2 => (0usize..24).prop_map(Step::ReadInto),
            1 => Just(Step::Drain),
            1 => Just(Step::End),
        ]
    }

    /// What `steps` show of `duplex`: every call's result, both lengths and
    /// the events, after each step.
    fn run(mut duplex: Duplex<Bytes, Bytes>, steps: &[Step]) -> Vec<String> {
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        duplex.observe(move |event| seen.lock().unwrap().push(event.name()));
        let mut cx = Context::from_waker(Waker::noop());
        let mut queue = WriteQueue::new();
        let mut shown = Vec::new();
        for (index, step) in steps.iter().enumerate() {
            let result = match step {
                Step::Write(size) => {
                    let chunk = Bytes::from(vec![index as u8; *size]);
                    format!("{:?}", duplex.write(chunk).map_err(|e| e.kind()))
                }
                Step::Read => format!("{:?}", duplex.read()),
                Step::Poll => format!("{:?}", duplex.poll_next_chunk(&mut cx)),
                Step::ReadInto(limit) => {
                    let polled = duplex.poll_read_into(&mut cx, &mut queue, *limit);
                    let taken: Vec<Bytes> = queue.drain().collect();
                    format!("{polled:?} {taken:?}")
                }
                Step::Drain => format!("{:?}", WritableStream::poll_drain(&mut duplex, &mut cx)),
                Step::End => format!("{:?}", duplex.end().map_err(|e| e.kind())),
            };
            shown.push(format!(
                "{result} w={} r={} drain={} events={:?}",
                duplex.writable_length(),
                duplex.readable_length(),
                WritableStream::needs_drain(&duplex),
                std::mem::take(&mut *log.lock().unwrap()),
            ));
        }
        shown
    }

    proptest! {
        /// The pass-through's moves of many chunks at once show the same
        /// lengths, verdicts, chunks and events as pushing them one by one.
        #[test]
        fn pass_through_moves_as_chunk_at_a_time_does(
            high_water_mark in 0usize..20,
            steps in proptest::collection::vec(step(), 1..60),
        ) {
            let fast = run(Duplex::pass_through().with_high_water_mark(high_water_mark), &steps);
            let reference = run(Duplex::transform(Identity).with_high_water_mark(high_water_mark), &steps);
            prop_assert_eq!(fast, reference);
        }
    }
}
