//! [`finished`]: waiting for a stream to end, finish, fail or close early
//! (Node's `stream.finished`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::chunk::Chunk;
use super::duplex::Duplex;
use super::error::{Error, ErrorKind, Result};
use super::readable::Readable;
use super::readable_stream::ReadableStream;
use super::sealed;
use super::writable::Writable;
use super::writable_stream::WritableStream;

/// Something [`finished`] can wait for: a [`Readable`], a [`Writable`] or a
/// [`Duplex`]. The trait is sealed.
pub trait Finish: sealed::Stream {
    /// Drives the stream until it ended, finished, failed or closed early.
    fn poll_finished(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>>;

    /// A [`Finished`] future starts (`true`) or stops waiting: the events
    /// after an `error` wait until every waiting future saw it.
    #[doc(hidden)]
    fn watch_finished(&mut self, watching: bool) {
        let _ = watching;
    }
}

impl<T: Chunk> Finish for Readable<T> {
    fn poll_finished(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        discard_until_end(self, cx)
    }
}

impl<T: Chunk> Finish for Writable<T> {
    fn poll_finished(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let outcome = if self.is_destroyed() && !self.is_finished() {
            // Node counts a stream ended with nothing left to write as
            // finished when it closes (`isWritableFinished`, not strict).
            if WritableStream::finished_loosely(self) {
                Ok(())
            } else {
                Err(premature_or(self.errored()))
            }
        } else {
            ready!(self.poll_finish(cx))
        };
        // Node's `finished` calls back from `error`, or after `close`.
        self.flush_events_for_finished();
        Poll::Ready(outcome)
    }

    fn watch_finished(&mut self, watching: bool) {
        Writable::watch_finished(self, watching);
    }
}

impl<I: Chunk, O: Chunk> Finish for Duplex<I, O> {
    fn poll_finished(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let outcome = ready!(self.poll_duplex_finished(cx));
        // Node's `finished` calls back from `error`, or after `close`.
        self.flush_events_for_finished();
        Poll::Ready(outcome)
    }

    fn watch_finished(&mut self, watching: bool) {
        Duplex::watch_finished(self, watching);
    }
}

impl<I: Chunk, O: Chunk> Duplex<I, O> {
    fn poll_duplex_finished(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if self.is_destroyed() && !(self.is_finished() && self.is_ended()) {
            return Poll::Ready(Err(premature_or(self.errored())));
        }
        let readable = discard_until_end(self, cx)?;
        let writable = if self.is_finished() {
            Poll::Ready(())
        } else {
            self.poll_finish(cx)?
        };
        match (readable, writable) {
            (Poll::Ready(()), Poll::Ready(())) => Poll::Ready(Ok(())),
            _ => Poll::Pending,
        }
    }
}

/// Waits until `stream` ended (readable), finished (writable) or both
/// (duplex), failed, or was destroyed before that (Node's `finished`).
///
/// A readable side is consumed and its data dropped, as Node's `resume()`
/// does; a writable side must be ended by the caller first, as in Node.
/// As Node's `finished` calls back, a writable side's failure is reported
/// after its `error` event and before its `close`, and a success after
/// its `close`; a writable side destroyed after `end()` with nothing left
/// to write counts as finished. It listens from the call on: a failing
/// stream's `close` waits until the returned future saw the `error`, even
/// when a pipe or pipeline delivers it, and the `unpipe` of a pipe made
/// after the call comes after the future saw `close`, as Node runs a
/// stream's `close` listeners in the order they were added.
///
/// # Errors
///
/// The stream's error, or [`ErrorKind::PrematureClose`](crate::ErrorKind::PrematureClose) if it was destroyed
/// without one before it ended or finished.
pub fn finished<S: Finish + ?Sized>(stream: &mut S) -> Finished<'_, S> {
    // Node's `finished` listens from the call on.
    stream.watch_finished(true);
    Finished {
        stream,
        watching: true,
    }
}

/// The future [`finished`] returns.
///
/// From the call on, until it resolves or is dropped, a failing stream's
/// `close` comes only after this future saw the `error`, as Node's
/// `finished` calls back from `error`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use smerge::{ErrorKind, NullSink, Writable, finished};
///
/// let mut w = Writable::<u32>::new(NullSink);
/// w.destroy(None);
/// let error = finished(&mut w).await.unwrap_err();
/// assert_eq!(error.kind(), ErrorKind::PrematureClose);
/// # }
/// ```
#[must_use = "a finished future does nothing unless awaited"]
#[derive(Debug)]
pub struct Finished<'a, S: Finish + ?Sized> {
    stream: &'a mut S,
    /// Counted among the stream's waiting `finished` futures.
    watching: bool,
}

impl<S: Finish + ?Sized> Future for Finished<'_, S> {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        let polled = this.stream.poll_finished(cx);
        if polled.is_pending() != this.watching {
            this.watching = polled.is_pending();
            this.stream.watch_finished(this.watching);
        }
        polled
    }
}

impl<S: Finish + ?Sized> Drop for Finished<'_, S> {
    fn drop(&mut self) {
        if self.watching {
            self.stream.watch_finished(false);
        }
    }
}

fn discard_until_end<S: ReadableStream + ?Sized>(
    stream: &mut S,
    cx: &mut Context<'_>,
) -> Poll<Result<()>> {
    loop {
        match stream.poll_next_chunk(cx) {
            Poll::Ready(Some(Ok(_))) => {}
            Poll::Ready(Some(Err(error))) => return Poll::Ready(Err(error)),
            Poll::Ready(None) if stream.is_ended() => return Poll::Ready(Ok(())),
            Poll::Ready(None) => {
                return Poll::Ready(Err(Error::from_kind(ErrorKind::PrematureClose)));
            }
            Poll::Pending => return Poll::Pending,
        }
    }
}

fn premature_or(error: Option<&Error>) -> Error {
    error
        .cloned()
        .unwrap_or_else(|| Error::from_kind(ErrorKind::PrematureClose))
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::Waker;

    use super::*;
    use crate::{Busy, NullSink, ReadableExt, Shared, pipeline};

    fn logged<T: Chunk>(w: &mut Writable<T>) -> Arc<Mutex<Vec<&'static str>>> {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&log);
        w.observe(move |event| sink.lock().unwrap().push(event.name()));
        log
    }

    /// Node's `finished` calls back from `error`: after it, before `close`.
    #[test]
    fn a_failure_is_reported_after_error_and_before_close() {
        let mut cx = Context::from_waker(Waker::noop());
        let mut w = Writable::<u32>::new(NullSink);
        let log = logged(&mut w);
        w.destroy(Some(Error::new(ErrorKind::InvalidData, "boom")));
        let Poll::Ready(Err(error)) = w.poll_finished(&mut cx) else {
            panic!("finished reports the error");
        };
        assert_eq!(error.kind(), ErrorKind::InvalidData);
        assert_eq!(*log.lock().unwrap(), ["error"]);
        let _ = w.poll_finish(&mut cx);
        assert_eq!(*log.lock().unwrap(), ["error", "close"]);
    }

    /// Destroyed after `end()` with nothing left to write: finished, as
    /// Node's non-strict `isWritableFinished` counts it, after `close`.
    #[test]
    fn ended_with_nothing_queued_then_destroyed_counts_as_finished() {
        let mut cx = Context::from_waker(Waker::noop());
        let mut w = Writable::<u32>::new(NullSink);
        let log = logged(&mut w);
        w.end().unwrap();
        w.destroy(None);
        assert!(matches!(w.poll_finished(&mut cx), Poll::Ready(Ok(()))));
        assert_eq!(log.lock().unwrap().last(), Some(&"close"));

        let mut w = Writable::new(Busy);
        w.write(1).unwrap();
        w.end().unwrap();
        w.destroy(None);
        let Poll::Ready(Err(error)) = w.poll_finished(&mut cx) else {
            panic!("a write was lost");
        };
        assert_eq!(error.kind(), ErrorKind::PrematureClose);
    }

    /// Node's `finished` on a writable corked, written, destroyed, then
    /// ended: the corked chunk is dropped before `close` (`errorBuffer`,
    /// queued by `destroy()`), so at `close` it counts as finished.
    #[test]
    fn destroyed_then_ended_with_only_corked_chunks_counts_as_finished() {
        let mut cx = Context::from_waker(Waker::noop());
        let mut corked = Writable::<u32>::new(NullSink).with_high_water_mark(0);
        let log = logged(&mut corked);
        corked.cork();
        assert!(!corked.write(1).unwrap());
        corked.destroy(None);
        corked.end().unwrap();
        assert!(matches!(corked.poll_finished(&mut cx), Poll::Ready(Ok(()))));
        assert_eq!(*log.lock().unwrap(), ["close"]);
    }

    /// A finished writable resolves after its `close`, as Node's
    /// `finished` waits for `close` when the stream emits one.
    #[test]
    fn a_finished_writable_resolves_after_close() {
        let mut cx = Context::from_waker(Waker::noop());
        let mut w = Writable::<u32>::new(NullSink);
        let log = logged(&mut w);
        w.end().unwrap();
        assert!(matches!(w.poll_finished(&mut cx), Poll::Ready(Ok(()))));
        assert_eq!(log.lock().unwrap().last(), Some(&"close"));
    }

    /// Node's `finished` calls back from `error` even when a pipeline
    /// delivers it: `finished(dest)`, then `pipeline(source, dest)` and
    /// `source.destroy()`. The destination's `close` waits until the
    /// `finished` future saw the `error`.
    #[test]
    fn a_close_waits_for_a_finished_future_to_see_the_error() {
        let mut cx = Context::from_waker(Waker::noop());
        let dest = Shared::new(Writable::<u32>::new(NullSink));
        let log = logged(&mut dest.lock());
        let source = Shared::new(Readable::from_iter([1u32]));
        let mut handle = dest.clone();
        let mut finishing = finished(&mut handle);
        let mut piping = pipeline(source.clone()).pipe(dest.clone());
        assert!(Pin::new(&mut finishing).poll(&mut cx).is_pending());
        source.lock().destroy(None);
        assert!(Pin::new(&mut piping).poll(&mut cx).is_pending());
        let _ = dest.lock().poll_finish(&mut cx);
        assert_eq!(*log.lock().unwrap(), ["pipe", "unpipe", "error"]);
        let Poll::Ready(Err(error)) = Pin::new(&mut finishing).poll(&mut cx) else {
            panic!("finished reports the error");
        };
        assert_eq!(error.kind(), ErrorKind::PrematureClose);
        assert!(Pin::new(&mut piping).poll(&mut cx).is_ready());
        assert_eq!(*log.lock().unwrap(), ["pipe", "unpipe", "error", "close"]);
    }

    /// Node runs a stream's `close` listeners in the order they were
    /// added: `finished(dest)`, then `source.pipe(dest)` and
    /// `dest.destroy()`: `finished` calls back at `close`, before the
    /// pipe's `unpipe`.
    #[test]
    fn a_finished_future_made_before_a_pipe_calls_back_before_its_unpipe() {
        let mut cx = Context::from_waker(Waker::noop());
        let dest = Shared::new(Writable::<u32>::new(NullSink));
        let log = logged(&mut dest.lock());
        let (_pusher, mut source) = crate::Pusher::<u32>::new();
        let mut handle = dest.clone();
        let mut finishing = finished(&mut handle);
        let mut out = dest.clone();
        let mut piping = crate::pipe(&mut source, &mut out, crate::PipeOptions::default());
        dest.lock().destroy(None);
        let Poll::Ready(Err(error)) = Pin::new(&mut finishing).poll(&mut cx) else {
            panic!("finished reports the premature close");
        };
        assert_eq!(error.kind(), ErrorKind::PrematureClose);
        log.lock().unwrap().push("finished");
        drop(finishing);
        assert!(Pin::new(&mut piping).poll(&mut cx).is_ready());
        assert_eq!(
            *log.lock().unwrap(),
            ["pipe", "close", "finished", "unpipe"]
        );
    }

    /// A `finished` future dropped before it resolved holds nothing back.
    #[test]
    fn a_dropped_finished_future_holds_nothing_back() {
        let mut cx = Context::from_waker(Waker::noop());
        let mut w = Writable::new(Busy);
        let log = logged(&mut w);
        w.write(1).unwrap();
        drop(finished(&mut w));
        w.destroy(Some(Error::new(ErrorKind::InvalidData, "boom")));
        let _ = w.poll_finish(&mut cx);
        assert_eq!(*log.lock().unwrap(), ["error", "close"]);
    }
}
