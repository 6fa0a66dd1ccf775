//! [`NullSink`]: a [`WriteSink`] that drops everything, like `/dev/null`.

use std::pin::Pin;
use std::task::{Context, Poll};

use super::chunk::Chunk;
use super::error::Result;
use super::write_queue::WriteQueue;
use super::write_sink::WriteSink;

/// A [`WriteSink`] that drops everything written to it, like `/dev/null`.
///
/// # Examples
///
/// ```
/// use smerge::{NullSink, Readable, ReadableExt, Writable};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// Readable::from_iter([1u32, 2, 3]).pipe(Writable::new(NullSink)).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl<T: Chunk> WriteSink<T> for NullSink {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        queue: &mut WriteQueue<T>,
    ) -> Poll<Result<()>> {
        queue.clear();
        Poll::Ready(Ok(()))
    }
}
