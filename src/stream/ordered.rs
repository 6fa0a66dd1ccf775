//! [`Ordered`]: futures run together, their results taken in the order the
//! futures were started (Node's `map(fn, { concurrency })`).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::error::Result;

enum Slot<F: Future> {
    Running(Pin<Box<F>>),
    Done(F::Output),
}

/// Futures in flight, polled together; results leave in start order.
pub(crate) struct Ordered<F: Future> {
    slots: VecDeque<Slot<F>>,
}

// Futures are boxed, results are never pinned.
impl<F: Future> Unpin for Ordered<F> {}

impl<F, X> Ordered<F>
where
    F: Future<Output = Result<X>>,
{
    pub(crate) fn new() -> Self {
        Ordered {
            slots: VecDeque::new(),
        }
    }

    /// How many futures were started and not yet taken.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub(crate) fn start(&mut self, future: F) {
        self.slots.push_back(Slot::Running(Box::pin(future)));
    }

    /// Polls every running future; gives the oldest one's result once it is
    /// done, `Pending` while it is not, `Ready(None)` when none is left.
    /// An error is given in its place in the order.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<X>>> {
        for slot in &mut self.slots {
            if let Slot::Running(future) = slot
                && let Poll::Ready(output) = future.as_mut().poll(cx)
            {
                *slot = Slot::Done(output);
            }
        }
        match self.slots.front() {
            None => Poll::Ready(None),
            Some(Slot::Running(_)) => Poll::Pending,
            Some(Slot::Done(_)) => match self.slots.pop_front() {
                Some(Slot::Done(output)) => Poll::Ready(Some(output)),
                _ => unreachable!("the front slot is done"),
            },
        }
    }

    pub(crate) fn clear(&mut self) {
        self.slots.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use super::*;
    use crate::{Error, ErrorKind};

    #[test]
    fn results_leave_in_start_order_whatever_order_they_finish_in() {
        let (tx1, rx1) = tokio::sync::oneshot::channel::<u32>();
        let (tx2, rx2) = tokio::sync::oneshot::channel::<u32>();
        let mut ordered = Ordered::new();
        ordered.start(Box::pin(async move { Ok(rx1.await.unwrap()) })
            as Pin<Box<dyn Future<Output = Result<u32>> + Send>>);
        ordered.start(Box::pin(async move { Ok(rx2.await.unwrap()) }));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(ordered.poll_next(&mut cx).is_pending());
        tx2.send(2).unwrap();
        assert!(
            ordered.poll_next(&mut cx).is_pending(),
            "the first is not done"
        );
        tx1.send(1).unwrap();
        assert!(matches!(
            ordered.poll_next(&mut cx),
            Poll::Ready(Some(Ok(1)))
        ));
        assert!(matches!(
            ordered.poll_next(&mut cx),
            Poll::Ready(Some(Ok(2)))
        ));
        assert!(matches!(ordered.poll_next(&mut cx), Poll::Ready(None)));
    }

    #[test]
    fn an_error_keeps_its_place() {
        let mut ordered = Ordered::new();
        ordered.start(std::future::ready(Err::<u32, _>(Error::from_kind(
            ErrorKind::InvalidData,
        ))));
        ordered.start(std::future::ready(Ok(2)));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(
            ordered.poll_next(&mut cx),
            Poll::Ready(Some(Err(_)))
        ));
        assert_eq!(ordered.len(), 1);
    }
}
