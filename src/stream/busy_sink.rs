//! [`Busy`]: a sink for tests that never finishes a write.

use std::pin::Pin;
use std::task::{Context, Poll};

use super::error::Result;
use super::write_queue::WriteQueue;
use super::write_sink::WriteSink;

/// Takes nothing and never calls back: what is written stays queued, and
/// a stream writing into it stays busy with its first chunk.
pub(crate) struct Busy;

impl<T> WriteSink<T> for Busy {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        _queue: &mut WriteQueue<T>,
    ) -> Poll<Result<()>> {
        Poll::Pending
    }
}
