//! [`DuplexHandler`]: the implementation behind a [`Duplex`](crate::Duplex),
//! its two sides in one object.

use std::pin::Pin;
use std::task::{Context, Poll};

use super::error::{Error, Result};
use super::push::Push;
use super::write_queue::WriteQueue;

/// The implementation behind a [`Duplex`]: Node's `_write`, `_final` and
/// `_read` of a duplex stream, in one object so the two sides can share
/// state.
///
/// The three poll hooks follow the rules of
/// [`WriteSink::poll_write`](crate::WriteSink::poll_write) and
/// [`ReadSource::poll_read`](crate::ReadSource::poll_read): `Ready(Ok(()))` after progress, `Pending` after
/// arranging a wake-up, `Ready(Err(_))` on failure. One exception: a hook
/// may return `Pending` without a wake-up when it waits only for room in
/// `out`; the duplex polls it again once its consumer has read.
///
/// Users build a duplex from a [`Transform`](crate::Transform) or from two
/// independent halves; this trait is what those become inside, and what a
/// stage whose two halves share state (a child process) implements.
pub(crate) trait DuplexHandler<I, O>: Send {
    /// Takes written chunks from `input`, pushing any output into `out`.
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        input: &mut WriteQueue<I>,
        out: &mut Push<'_, O>,
    ) -> Poll<Result<()>>;

    /// Finishes the writable side after its last chunk was taken (Node's
    /// `_final`; a transform flushes here and ends its output).
    fn poll_final(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, O>,
    ) -> Poll<Result<()>>;

    /// Pushes output that does not come from writes (Node's `_read`).
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, O>,
    ) -> Poll<Result<()>>;

    /// Node's `Transform._read` calling the write callback it held: the
    /// chunk whose output filled the readable side is finished now,
    /// whatever the readable side holds; the duplex then stops counting it.
    /// True if a chunk was held. Holds nothing by default.
    fn release_held(self: Pin<&mut Self>) -> bool {
        false
    }

    /// Node's `Transform._write` holding the callback of the chunk the
    /// handler finished last after all (its output, which seemed emitted
    /// at once, was buffered). True if the handler holds it now; false,
    /// by default, or when it has another chunk in work.
    fn hold_again(self: Pin<&mut Self>) -> bool {
        false
    }

    /// The writable side was ended: Node's `Transform._write` holds no
    /// callback after that, whatever the readable side holds. Does nothing
    /// by default.
    fn writable_ended(self: Pin<&mut Self>) {}

    /// Whether `write()`, `uncork()` and `end()` may call the write and
    /// final hooks at once, in the caller's context; see
    /// [`WriteSink::starts_at_once`](crate::WriteSink::starts_at_once).
    fn starts_at_once(&self) -> bool {
        true
    }

    /// Releases resources when the duplex is destroyed before it closed
    /// (Node's `_destroy`). `error` is why, if there was an error. Does
    /// nothing by default.
    fn destroy(self: Pin<&mut Self>, error: Option<&Error>) {
        let _ = error;
    }

    /// True when the handler passes every chunk on as it is and has none
    /// in hand: the duplex may hand a batch straight through.
    fn is_idle_pass_through(&self) -> bool {
        false
    }
}
