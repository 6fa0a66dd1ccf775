//! [`IterSource`]: an iterator as a [`ReadSource`].

use std::pin::Pin;
use std::task::{Context, Poll};

use super::chunk::Chunk;
use super::error::{Error, Result};
use super::push::Push;
use super::read_source::ReadSource;

/// A [`ReadSource`] that pushes the items of an iterator, as many per call
/// as the buffer takes: the source of
/// [`Readable::from_iter`](crate::Readable::from_iter) (Node's
/// `Readable.from`).
///
/// # Examples
///
/// ```
/// use smerge::{IterSource, Readable, ReadableExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let readable = Readable::new(IterSource::new(1u32..=3));
/// assert_eq!(readable.collect_vec().await?, [1, 2, 3]);
/// # Ok(())
/// # }
/// ```
///
/// The iterator runs on the task that polls the readable: it must not block.
#[derive(Debug)]
pub struct IterSource<I> {
    iter: Option<I>,
}

impl<I> IterSource<I> {
    /// Wraps `iter`.
    pub fn new(iter: I) -> Self {
        IterSource { iter: Some(iter) }
    }
}

// The iterator is only ever used through `&mut`, never pinned.
impl<I> Unpin for IterSource<I> {}

impl<I> ReadSource<I::Item> for IterSource<I>
where
    I: Iterator + Send,
    I::Item: Chunk,
{
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        out: &mut Push<'_, I::Item>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        let Some(iter) = this.iter.as_mut() else {
            out.end();
            return Poll::Ready(Ok(()));
        };
        loop {
            match iter.next() {
                Some(item) => {
                    if !out.push(item) {
                        return Poll::Ready(Ok(()));
                    }
                }
                None => {
                    this.iter = None;
                    out.end();
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }

    fn destroy(self: Pin<&mut Self>, _error: Option<&Error>) {
        self.get_mut().iter = None;
    }
}
