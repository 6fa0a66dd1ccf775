//! A log of several streams' events for tests: each observer writes
//! `"name event"`, and [`entries`] reads back one stream's events in order.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use super::event::Event;

/// The events of every observed stream, in the order they came.
pub(crate) type Log = Arc<Mutex<Vec<String>>>;

/// An observer that logs each event of the stream `name` into `log`.
pub(crate) fn observer(log: &Log, name: &'static str) -> impl FnMut(&Event) + Send + 'static {
    let log = Arc::clone(log);
    move |event| log.lock().unwrap().push(format!("{name} {event}"))
}

/// The events of the stream `name`, in order.
pub(crate) fn entries(log: &Log, name: &str) -> Vec<String> {
    let prefix = format!("{name} ");
    let log = log.lock().unwrap();
    let of = log.iter().filter_map(|entry| entry.strip_prefix(&prefix));
    of.map(str::to_owned).collect()
}

/// Runs `scenario` twice, its streams observed (it is given a log) and
/// unobserved (`None`), and asserts both come out the same: the engine
/// decides nothing by whether anyone listens. Returns the outcome.
pub(crate) fn same_observed_or_not<R: PartialEq + std::fmt::Debug>(
    scenario: impl Fn(Option<&Log>) -> R,
) -> R {
    let observed = scenario(Some(&Log::default()));
    assert_eq!(scenario(None), observed, "unobserved, then observed");
    observed
}

/// Polls `future` once, with a waker that does nothing.
pub(crate) fn poll<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(Waker::noop()))
}

/// Polls `future` until it is ready, at most `limit` times.
pub(crate) fn poll_until_ready<F: Future + Unpin>(future: &mut F, limit: usize) -> F::Output {
    for _ in 0..limit {
        if let Poll::Ready(output) = poll(future) {
            return output;
        }
    }
    panic!("not ready after {limit} polls");
}

/// Polls `future` as an executor does: again only once it woke the
/// waker of its last poll, at most `limit` times. Panics if it stays
/// pending with no wake to come (an executor would wait forever).
pub(crate) fn poll_while_woken<F: Future + Unpin>(future: &mut F, limit: usize) -> F::Output {
    struct Woken(AtomicBool);
    impl Wake for Woken {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let woken = Arc::new(Woken(AtomicBool::new(false)));
    let waker = Waker::from(Arc::clone(&woken));
    for _ in 0..limit {
        woken.0.store(false, Ordering::SeqCst);
        if let Poll::Ready(output) = Pin::new(&mut *future).poll(&mut Context::from_waker(&waker)) {
            return output;
        }
        assert!(
            woken.0.load(Ordering::SeqCst),
            "pending with no wake to come"
        );
    }
    panic!("not ready after {limit} polls");
}

/// A source that logs each ask as `"source _read"` and answers it (at
/// once, or at the next poll if `deferred`, as a deferred `_read`): one
/// chunk (`left`, counting down) while `left` lasts, then the end.
pub(crate) struct Counted {
    pub(crate) log: Log,
    pub(crate) left: u32,
    pub(crate) deferred: bool,
    /// A deferred ask is waiting for its answer.
    asked: bool,
}

impl Counted {
    /// Answers at once, `left` chunks then the end.
    pub(crate) fn new(log: &Log, left: u32) -> Counted {
        Counted {
            log: Log::clone(log),
            left,
            deferred: false,
            asked: false,
        }
    }

    /// Answers each ask at the next poll.
    pub(crate) fn deferred(log: &Log, left: u32) -> Counted {
        Counted {
            deferred: true,
            ..Counted::new(log, left)
        }
    }
}

impl crate::ReadSource<u32> for Counted {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut crate::Push<'_, u32>,
    ) -> Poll<crate::Result<()>> {
        let this = self.get_mut();
        if !this.asked {
            this.log.lock().unwrap().push("source _read".to_owned());
            if this.deferred {
                this.asked = true;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        }
        this.asked = false;
        if this.left == 0 {
            out.end();
        } else {
            out.push(this.left);
            this.left -= 1;
        }
        Poll::Ready(Ok(()))
    }
}

/// Logs each ask as `"source _read"` and answers with the next chunk,
/// then the end (an empty chunk is a push that adds nothing).
pub(crate) struct Chunks(pub(crate) Log, pub(crate) std::vec::IntoIter<&'static str>);

impl crate::ReadSource<bytes::Bytes> for Chunks {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        out: &mut crate::Push<'_, bytes::Bytes>,
    ) -> Poll<crate::Result<()>> {
        let this = self.get_mut();
        this.0.lock().unwrap().push("source _read".to_owned());
        match this.1.next() {
            Some(chunk) => {
                out.push(bytes::Bytes::from_static(chunk.as_bytes()));
            }
            None => out.end(),
        }
        Poll::Ready(Ok(()))
    }
}
