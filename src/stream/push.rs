//! [`Push`]: the handle producers fill a readable side's buffer with
//! (Node's `readable.push()`).

use std::collections::VecDeque;

use super::chunk::Chunk;
use super::read_buffer::ReadBuffer;

/// How a producer hands data to a readable side: Node's `readable.push()`.
///
/// A [`ReadSource`](crate::ReadSource) or a [`Transform`](crate::Transform)
/// receives a `Push` whenever the engine wants data. [`push`](Push::push)
/// returns `false` once the buffer has reached its highWaterMark: the
/// producer should stop and return, and it will be asked again when the
/// consumer has made room. Nothing stops a producer from pushing more (Node
/// does not either): the highWaterMark is a threshold, not a limit.
///
/// # Examples
///
/// ```
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
/// use smerge::{Push, ReadSource, Readable, ReadableExt, Result};
///
/// /// Counts from 1 to 5, pushing as many numbers per call as fit.
/// struct Counter(u32);
///
/// impl ReadSource<u32> for Counter {
///     fn poll_read(self: Pin<&mut Self>, _: &mut Context<'_>, out: &mut Push<'_, u32>) -> Poll<Result<()>> {
///         let this = self.get_mut();
///         loop {
///             if this.0 == 5 {
///                 out.end();
///                 return Poll::Ready(Ok(()));
///             }
///             this.0 += 1;
///             if !out.push(this.0) {
///                 return Poll::Ready(Ok(()));
///             }
///         }
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let numbers = Readable::new(Counter(0)).with_high_water_mark(2);
/// assert_eq!(numbers.collect_vec().await?, vec![1, 2, 3, 4, 5]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Push<'a, T> {
    buffer: &'a mut ReadBuffer<T>,
    pushed: usize,
}

impl<'a, T: Chunk> Push<'a, T> {
    pub(crate) fn new(buffer: &'a mut ReadBuffer<T>) -> Self {
        Push { buffer, pushed: 0 }
    }

    /// Adds `chunk` to the end of the buffer. Returns `true` while more data
    /// is welcome, `false` once the buffer has reached its highWaterMark or
    /// the stream has ended.
    ///
    /// Pushing after [`end`](Push::end) is an error (Node:
    /// `ERR_STREAM_PUSH_AFTER_EOF`): the chunk is dropped and the stream fails.
    #[inline]
    pub fn push(&mut self, chunk: T) -> bool {
        self.pushed += 1;
        self.buffer.push_from_producer(chunk)
    }

    /// Marks the end of the data (Node: `push(null)`).
    pub fn end(&mut self) {
        self.pushed += 1;
        self.buffer.end();
    }

    /// True while the buffer is below its highWaterMark (or empty) and not ended.
    #[inline]
    pub fn has_room(&self) -> bool {
        self.buffer.has_room()
    }

    /// True once [`end`](Push::end) was called.
    pub fn is_ended(&self) -> bool {
        self.buffer.is_eof()
    }

    /// How much is buffered now, in the chunk type's units: everything the
    /// reader has yet to take. (Node's `readableLength` leaves out what a
    /// transform flowing to its reader pushed into its empty readable
    /// side, which Node emits at once as `data`; smerge holds it until the
    /// reader's next poll.)
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// How much is buffered as Node's `readableLength` counts it: not the
    /// chunks pushed into the side of a transform flowing to its reader
    /// that Node emits at once as `data` (smerge hands them to the reader
    /// first).
    #[inline]
    pub(crate) fn readable_length(&self) -> usize {
        self.buffer.len() - self.buffer.emitted()
    }

    /// True when the next push is one Node emits at once as `data`,
    /// unbuffered (see [`ReadBuffer`]'s `emit_now`).
    #[inline]
    pub(crate) fn emits_next(&self) -> bool {
        self.buffer.emits_next()
    }

    /// The highWaterMark of the buffer being filled.
    pub fn high_water_mark(&self) -> usize {
        self.buffer.high_water_mark()
    }

    /// Pushes the first `count` of `chunks`, which add `length` to the
    /// buffer, in one move: what `count` calls of [`push`](Push::push)
    /// would do when none of them is an empty byte chunk.
    #[inline]
    pub(crate) fn append(&mut self, chunks: &mut VecDeque<T>, count: usize, length: usize) {
        self.pushed += count;
        self.buffer.append(chunks, count, length);
    }

    /// How many times `push` or `end` were called through this handle.
    pub(crate) fn pushes(&self) -> usize {
        self.pushed
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::ErrorKind;

    #[test]
    fn push_reports_room_until_the_high_water_mark() {
        let mut buffer = ReadBuffer::<Bytes>::new(4);
        let mut push = Push::new(&mut buffer);
        assert!(push.push(Bytes::from_static(b"ab")));
        assert!(!push.push(Bytes::from_static(b"cd")));
        assert_eq!(push.buffered(), 4);
    }

    #[test]
    fn push_after_end_is_recorded_and_dropped() {
        let mut buffer = ReadBuffer::<u32>::new(16);
        let mut push = Push::new(&mut buffer);
        push.end();
        assert!(!push.push(1));
        assert!(buffer.is_empty());
        assert_eq!(
            buffer.take_misuse().unwrap().kind(),
            ErrorKind::PushAfterEof
        );
    }
}
