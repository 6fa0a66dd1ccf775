//! A log of several streams' events for tests: each observer writes
//! `"name event"`, and [`entries`] reads back one stream's events in order.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

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

/// A source that logs each ask as `"source _read"` and answers it at
/// once: one chunk (`left`, counting down) while `left` lasts, then the
/// end.
pub(crate) struct Counted {
    pub(crate) log: Log,
    pub(crate) left: u32,
}

impl crate::ReadSource<u32> for Counted {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        out: &mut crate::Push<'_, u32>,
    ) -> Poll<crate::Result<()>> {
        let this = self.get_mut();
        this.log.lock().unwrap().push("source _read".to_owned());
        if this.left == 0 {
            out.end();
        } else {
            out.push(this.left);
            this.left -= 1;
        }
        Poll::Ready(Ok(()))
    }
}
