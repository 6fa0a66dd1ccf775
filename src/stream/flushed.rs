//! [`Flushed`]: the future of one write's completion (Node's
//! `write(chunk, callback)`), and the writable's record of them.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use super::error::{Error, ErrorKind, Result};

#[derive(Debug, Default)]
struct Slot {
    outcome: Option<Result<()>>,
    waker: Option<Waker>,
}

fn complete(slot: &Mutex<Slot>, outcome: Result<()>) {
    let waker = {
        let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
        slot.outcome.get_or_insert(outcome);
        slot.waker.take()
    };
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// Resolves once the sink took one particular chunk: Node's
/// `writable.write(chunk, callback)`, with the callback as a future. Made
/// by [`Writable::write_flushed`](crate::Writable::write_flushed).
///
/// `Ok(())` once the [`WriteSink`](crate::WriteSink) took the chunk (and
/// every chunk before it) off the queue; the stream's error if it was
/// destroyed first, as Node calls the callback with the error. Like
/// everything a writable does, this happens while the writable is driven
/// (by [`drained`](crate::Writable::drained), a pipe, `close`): await it
/// after, or beside, what drives the writable.
#[must_use = "a Flushed does nothing unless awaited"]
pub struct Flushed {
    slot: Arc<Mutex<Slot>>,
}

impl Future for Flushed {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.outcome.take() {
            Some(outcome) => Poll::Ready(outcome),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl fmt::Debug for Flushed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Flushed")
            .field("done", &slot.outcome.is_some())
            .finish()
    }
}

/// The writes a writable was asked to report on. A write's position is
/// the count of chunks queued up to and including it; the chunks taken
/// are those queued minus those still in the queue.
#[derive(Debug)]
pub(crate) struct Receipts {
    queued: u64,
    /// The queue's length when a hand-over of many chunks began.
    batch_start: usize,
    waiting: VecDeque<(u64, Arc<Mutex<Slot>>)>,
}

impl Receipts {
    /// Starts counting, with `in_queue` chunks queued already.
    pub(crate) fn new(in_queue: usize) -> Self {
        Receipts {
            queued: in_queue as u64,
            batch_start: 0,
            waiting: VecDeque::new(),
        }
    }

    /// A chunk was queued.
    #[inline]
    pub(crate) fn queued_one(&mut self) {
        self.queued += 1;
    }

    pub(crate) fn batch_begins(&mut self, in_queue: usize) {
        self.batch_start = in_queue;
    }

    pub(crate) fn batch_ended(&mut self, in_queue: usize) {
        self.queued += in_queue.saturating_sub(self.batch_start) as u64;
    }

    /// A future for the chunk queued last.
    pub(crate) fn last_write(&mut self) -> Flushed {
        let slot = Arc::new(Mutex::new(Slot::default()));
        self.waiting.push_back((self.queued, Arc::clone(&slot)));
        Flushed { slot }
    }

    /// Completes the futures of the chunks taken off the queue, which holds
    /// `in_queue` chunks now.
    pub(crate) fn settle(&mut self, in_queue: usize) {
        let taken = self.queued.saturating_sub(in_queue as u64);
        while let Some((position, _)) = self.waiting.front()
            && *position <= taken
        {
            let (_, slot) = self.waiting.pop_front().expect("a front");
            complete(&slot, Ok(()));
        }
    }

    /// Fails every future still waiting with `error`.
    pub(crate) fn fail(&mut self, error: &Error) {
        for (_, slot) in self.waiting.drain(..) {
            complete(&slot, Err(error.clone()));
        }
    }
}

impl Drop for Receipts {
    fn drop(&mut self) {
        self.fail(&Error::from_kind(ErrorKind::Destroyed));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_completes_once_every_chunk_up_to_it_was_taken() {
        let mut cx = Context::from_waker(Waker::noop());
        let mut receipts = Receipts::new(2);
        receipts.queued_one();
        let mut third = receipts.last_write();
        receipts.queued_one();
        receipts.settle(3);
        assert!(
            Pin::new(&mut third).poll(&mut cx).is_pending(),
            "1 of 4 taken"
        );
        receipts.settle(1);
        assert!(matches!(
            Pin::new(&mut third).poll(&mut cx),
            Poll::Ready(Ok(()))
        ));
    }

    #[test]
    fn batches_count_what_they_queued() {
        let mut cx = Context::from_waker(Waker::noop());
        let mut receipts = Receipts::new(0);
        receipts.batch_begins(0);
        receipts.batch_ended(5);
        receipts.queued_one();
        let mut sixth = receipts.last_write();
        receipts.settle(1);
        assert!(Pin::new(&mut sixth).poll(&mut cx).is_pending());
        receipts.settle(0);
        assert!(Pin::new(&mut sixth).poll(&mut cx).is_ready());
    }

    #[test]
    fn dropping_fails_what_waits() {
        let mut cx = Context::from_waker(Waker::noop());
        let mut receipts = Receipts::new(0);
        receipts.queued_one();
        let mut first = receipts.last_write();
        drop(receipts);
        match Pin::new(&mut first).poll(&mut cx) {
            Poll::Ready(Err(error)) => assert_eq!(error.kind(), ErrorKind::Destroyed),
            other => panic!("{other:?}"),
        }
    }
}
