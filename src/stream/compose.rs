//! [`Compose`]: two transforms run as one (Node's `stream.compose`).

use std::fmt;
use std::task::{Context, Poll, ready};

use super::chunk::Chunk;
use super::error::Result;
use super::push::Push;
use super::read_buffer::ReadBuffer;
use super::transform::Transform;

/// Two transforms as one: what is written goes through `first`, then
/// `second`, and one stage comes out — Node's `stream.compose(a, b)`, or a
/// reusable piece of a pipeline.
///
/// Made by [`compose`]; a [`Transform`] itself, so it pipes like any other
/// and composes again (`compose(compose(a, b), c)`), and
/// [`Duplex::transform`](crate::Duplex::transform) makes it a stream with
/// a writable and a readable side, as Node's `compose` gives a Duplex.
/// Backpressure crosses it: `second` is handed a chunk only while the
/// readable side has room, and `first` is asked for more only once
/// `second` took all it made.
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::{FnTransform, Push, Readable, ReadableExt, compose};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let upper = FnTransform::new(|chunk: Bytes, out: &mut Push<'_, Bytes>| {
///     out.push(chunk.to_ascii_uppercase().into());
///     Ok(())
/// });
/// let exclaim = FnTransform::new(|chunk: Bytes, out: &mut Push<'_, Bytes>| {
///     out.push(chunk);
///     Ok(())
/// })
/// .with_flush(|out| {
///     out.push(Bytes::from("!"));
///     Ok(())
/// });
/// // Node: const shout = compose(upper, exclaim);
/// let shout = compose(upper, exclaim);
/// let text = Readable::from_iter([Bytes::from("hey")]).pipe(shout);
/// assert_eq!(text.to_bytes().await?, "HEY!");
/// # Ok(())
/// # }
/// ```
pub struct Compose<A: Transform, B> {
    first: A,
    second: B,
    /// What `first` made and `second` has not taken yet.
    between: ReadBuffer<A::Output>,
    first_busy: bool,
    second_busy: bool,
    flushing: bool,
    first_flushed: bool,
    second_flushed: bool,
}

/// Runs `first` then `second` as one transform (Node's
/// `stream.compose(first, second)`); see [`Compose`].
pub fn compose<A, B>(first: A, second: B) -> Compose<A, B>
where
    A: Transform,
    B: Transform<Input = A::Output>,
{
    Compose {
        first,
        second,
        between: ReadBuffer::new(<A::Output as Chunk>::DEFAULT_HIGH_WATER_MARK),
        first_busy: false,
        second_busy: false,
        flushing: false,
        first_flushed: false,
        second_flushed: false,
    }
}

// The buffer between the two only moves its chunks; neither transform is
// ever pinned.
impl<A: Transform + Unpin, B: Unpin> Unpin for Compose<A, B> {}

impl<A, B> Transform for Compose<A, B>
where
    A: Transform,
    B: Transform<Input = A::Output>,
{
    type Input = A::Input;
    type Output = B::Output;

    fn transform(&mut self, chunk: A::Input, _out: &mut Push<'_, B::Output>) -> Result<()> {
        self.first_busy = true;
        self.first
            .transform(chunk, &mut Push::new(&mut self.between))
    }

    fn flush(&mut self, _out: &mut Push<'_, B::Output>) -> Result<()> {
        self.flushing = true;
        Ok(())
    }

    fn poll_ready(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut Push<'_, B::Output>,
    ) -> Poll<Result<()>> {
        loop {
            if self.second_busy {
                ready!(self.second.poll_ready(cx, out))?;
                self.second_busy = false;
            }
            if !self.between.is_empty() {
                if !out.has_room() {
                    // The duplex polls again once its consumer has read.
                    return Poll::Pending;
                }
                let chunk = self.between.pop_front().expect("not empty");
                self.second_busy = true;
                self.second.transform(chunk, out)?;
                continue;
            }
            if self.first_busy {
                ready!(self.first.poll_ready(cx, &mut Push::new(&mut self.between)))?;
                self.first_busy = false;
                continue;
            }
            if self.flushing && !self.first_flushed {
                self.first_flushed = true;
                self.first_busy = true;
                self.first.flush(&mut Push::new(&mut self.between))?;
                continue;
            }
            if self.flushing && !self.second_flushed {
                self.second_flushed = true;
                self.second_busy = true;
                self.second.flush(out)?;
                continue;
            }
            return Poll::Ready(Ok(()));
        }
    }
}

impl<A: Transform + fmt::Debug, B: fmt::Debug> fmt::Debug for Compose<A, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compose")
            .field("first", &self.first)
            .field("second", &self.second)
            .field("between", &self.between.chunk_count())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{AsyncFnTransform, Duplex, FnTransform, Readable, ReadableExt};

    fn split_words() -> impl Transform<Input = String, Output = String> + Unpin {
        FnTransform::new(|line: String, out: &mut Push<'_, String>| {
            for word in line.split(' ') {
                out.push(word.to_owned());
            }
            Ok(())
        })
        .with_flush(|out| {
            out.push("<end>".to_owned());
            Ok(())
        })
    }

    fn lengths() -> impl Transform<Input = String, Output = usize> + Unpin {
        FnTransform::new(|word: String, out: &mut Push<'_, usize>| {
            out.push(word.len());
            Ok(())
        })
        .with_flush(|out| {
            out.push(0);
            Ok(())
        })
    }

    #[tokio::test]
    async fn flushes_run_in_order_and_reach_the_second() {
        let lines = Readable::from_iter(["a bb".to_owned(), "ccc".to_owned()]);
        let out = lines.pipe(compose(split_words(), lengths()));
        assert_eq!(out.collect_vec().await.unwrap(), [1, 2, 3, 5, 0]);
    }

    #[tokio::test]
    async fn async_stages_compose() {
        let slow = AsyncFnTransform::new(|n: u32| async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            Ok(Some(n + 1))
        });
        let double = FnTransform::new(|n: u32, out: &mut Push<'_, u32>| {
            out.push(n * 2);
            Ok(())
        });
        let both = compose(
            compose(slow, double),
            FnTransform::new(|n: u32, out: &mut Push<'_, u32>| {
                out.push(n);
                Ok(())
            }),
        );
        let out = Readable::from_iter(1u32..=3).pipe(both).collect_vec().await;
        assert_eq!(out.unwrap(), [4, 6, 8]);
    }

    /// The composite is a duplex, written and read as one.
    #[tokio::test]
    async fn as_a_duplex_backpressure_crosses_both() {
        let mut duplex =
            Duplex::transform(compose(split_words(), lengths())).with_high_water_mark(2);
        // The lengths fill the readable side: the chunk stays counted (11
        // bytes, text counts its bytes) until they are read.
        assert!(!duplex.write("a b c d e f".to_owned()).unwrap());
        assert_eq!(duplex.writable_length(), 11);
        assert!(!duplex.write("g".to_owned()).unwrap());
        duplex.end().unwrap();
        assert_eq!(
            duplex.collect_vec().await.unwrap(),
            [1, 1, 1, 1, 1, 1, 1, 5, 0]
        );
    }
}
