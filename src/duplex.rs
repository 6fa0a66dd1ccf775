//! [`Duplex`]: a stream with a writable side and a readable side.

use std::pin::Pin;
use std::task::{Context, Poll};

use crate::buffer::Push;
use crate::error::{Error, Result};
use crate::queue::WriteQueue;

/// The implementation behind a duplex stream: Node's `_write`, `_final` and
/// `_read` of a `Duplex`, sharing one object.
pub trait DuplexHandler<I, O>: Send {
    /// Takes written chunks from `input`, possibly pushing output.
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        input: &mut WriteQueue<I>,
        out: &mut Push<'_, O>,
    ) -> Poll<Result<()>>;

    /// Finishes the writable side after its last chunk.
    fn poll_final(self: Pin<&mut Self>, cx: &mut Context<'_>, out: &mut Push<'_, O>)
    -> Poll<Result<()>>;

    /// Pushes output that does not come from writes.
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, out: &mut Push<'_, O>)
    -> Poll<Result<()>>;

    /// Releases resources when destroyed.
    fn destroy(self: Pin<&mut Self>, error: Option<&Error>);
}
