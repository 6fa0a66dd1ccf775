//! The readable side's buffer, and [`Push`], the handle producers fill it with.
//!
//! Invariants: `length` is the sum of [`Chunk::size`] over the buffered chunks;
//! once `eof` is set, nothing more is added (an [`unshift`](ReadBuffer::unshift)
//! before `end` excepted, as in Node). Chunks of size 0 carry no data and are
//! not buffered (Node: pushing an empty buffer "adds no data").

use std::collections::VecDeque;

use super::chunk::Chunk;
use super::error::{Error, ErrorKind};

/// The buffer in front of a readable side, counted against its highWaterMark.
#[derive(Debug)]
pub(crate) struct ReadBuffer<T> {
    chunks: VecDeque<T>,
    length: usize,
    high_water_mark: usize,
    eof: bool,
    /// An error a producer caused by misusing [`Push`] (pushing after EOF).
    misuse: Option<Error>,
}

impl<T: Chunk> ReadBuffer<T> {
    pub(crate) fn new(high_water_mark: usize) -> Self {
        ReadBuffer {
            chunks: VecDeque::new(),
            length: 0,
            high_water_mark,
            eof: false,
            misuse: None,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.length
    }

    pub(crate) fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    pub(crate) fn high_water_mark(&self) -> usize {
        self.high_water_mark
    }

    pub(crate) fn set_high_water_mark(&mut self, high_water_mark: usize) {
        self.high_water_mark = high_water_mark;
    }

    pub(crate) fn is_eof(&self) -> bool {
        self.eof
    }

    /// Node's `canPushMore`: not ended, and below the highWaterMark or empty
    /// (the empty case lets a highWaterMark of 0 make progress at all).
    pub(crate) fn has_room(&self) -> bool {
        !self.eof && (self.length < self.high_water_mark || self.length == 0)
    }

    /// Whether the producer should be asked for more, as Node's
    /// `maybeReadMore`: below the highWaterMark, or empty while someone is
    /// waiting for data.
    pub(crate) fn wants_more(&self, consumer_waiting: bool) -> bool {
        !self.eof && (self.length < self.high_water_mark || (consumer_waiting && self.length == 0))
    }

    pub(crate) fn push_back(&mut self, chunk: T) {
        let size = chunk.size();
        if size == 0 {
            return;
        }
        self.length += size;
        self.chunks.push_back(chunk);
    }

    pub(crate) fn unshift(&mut self, chunk: T) {
        let size = chunk.size();
        if size == 0 {
            return;
        }
        self.length += size;
        self.chunks.push_front(chunk);
    }

    pub(crate) fn pop_front(&mut self) -> Option<T> {
        let chunk = self.chunks.pop_front()?;
        self.length -= chunk.size();
        Some(chunk)
    }

    pub(crate) fn front(&self) -> Option<&T> {
        self.chunks.front()
    }

    /// Records a push after the end; out of line, off the path of every chunk.
    #[cold]
    fn pushed_after_eof(&mut self) {
        if self.misuse.is_none() {
            self.misuse = Some(Error::from_kind(ErrorKind::PushAfterEof));
        }
    }

    pub(crate) fn take_misuse(&mut self) -> Option<Error> {
        self.misuse.take()
    }

    /// The same buffer holding chunks of another type: `convert` gets the
    /// buffered chunks, oldest first, and whether the end was pushed, and
    /// returns what the new buffer holds. The highWaterMark, the end and a
    /// pending misuse carry over.
    pub(crate) fn convert<U: Chunk>(
        self,
        convert: impl FnOnce(Vec<T>, bool) -> Vec<U>,
    ) -> ReadBuffer<U> {
        let mut buffer = ReadBuffer::new(self.high_water_mark);
        for chunk in convert(self.chunks.into(), self.eof) {
            buffer.push_back(chunk);
        }
        buffer.eof = self.eof;
        buffer.misuse = self.misuse;
        buffer
    }

    pub(crate) fn clear(&mut self) {
        self.chunks.clear();
        self.length = 0;
    }

    pub(crate) fn push_handle(&mut self) -> Push<'_, T> {
        Push {
            buffer: self,
            pushed: 0,
        }
    }
}

/// How a producer hands data to a readable side: Node's `readable.push()`.
///
/// A [`Source`](crate::Source), a [`Transform`](crate::Transform) or a
/// [`DuplexHandler`](crate::DuplexHandler) receives a `Push` whenever the
/// engine wants data. [`push`](Push::push) returns `false` once the buffer
/// has reached its highWaterMark: the producer should stop and return, and it
/// will be asked again when the consumer has made room.
///
/// # Examples
///
/// ```
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
/// use smerge::{Push, Readable, Result, Source};
///
/// /// Counts from 1 to 5, pushing as many numbers per call as fit.
/// struct Counter(u32);
///
/// impl Source<u32> for Counter {
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

impl<T: Chunk> Push<'_, T> {
    /// Adds `chunk` to the end of the buffer. Returns `true` while more data
    /// is welcome, `false` once the buffer has reached its highWaterMark or
    /// the stream has ended.
    ///
    /// Pushing after [`end`](Push::end) is an error (Node:
    /// `ERR_STREAM_PUSH_AFTER_EOF`): the chunk is dropped and the stream fails.
    #[inline]
    pub fn push(&mut self, chunk: T) -> bool {
        if self.buffer.eof {
            self.buffer.pushed_after_eof();
            return false;
        }
        self.pushed += 1;
        self.buffer.push_back(chunk);
        self.buffer.has_room()
    }

    /// Marks the end of the data (Node: `push(null)`).
    pub fn end(&mut self) {
        self.pushed += 1;
        self.buffer.eof = true;
    }

    /// True while the buffer is below its highWaterMark (or empty) and not ended.
    pub fn has_room(&self) -> bool {
        self.buffer.has_room()
    }

    /// True once [`end`](Push::end) was called.
    pub fn is_ended(&self) -> bool {
        self.buffer.eof
    }

    /// How much is buffered now, in the chunk type's units.
    pub fn buffered(&self) -> usize {
        self.buffer.length
    }

    /// The highWaterMark of the buffer being filled.
    pub fn high_water_mark(&self) -> usize {
        self.buffer.high_water_mark
    }

    /// How many times `push` or `end` were called through this handle.
    pub(crate) fn pushes(&self) -> usize {
        self.pushed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn push_reports_room_until_the_high_water_mark() {
        let mut buffer = ReadBuffer::<Bytes>::new(4);
        let mut push = buffer.push_handle();
        assert!(push.push(Bytes::from_static(b"ab")));
        assert!(!push.push(Bytes::from_static(b"cd")));
        assert_eq!(push.buffered(), 4);
    }

    #[test]
    fn zero_high_water_mark_accepts_into_an_empty_buffer() {
        let buffer = ReadBuffer::<u32>::new(0);
        assert!(buffer.has_room());
    }

    #[test]
    fn push_after_end_is_recorded_and_dropped() {
        let mut buffer = ReadBuffer::<u32>::new(16);
        let mut push = buffer.push_handle();
        push.end();
        assert!(!push.push(1));
        assert!(buffer.is_empty());
        assert_eq!(
            buffer.take_misuse().unwrap().kind(),
            ErrorKind::PushAfterEof
        );
    }

    #[test]
    fn empty_byte_chunks_are_not_buffered() {
        let mut buffer = ReadBuffer::<Bytes>::new(4);
        buffer.push_back(Bytes::new());
        assert!(buffer.is_empty());
    }
}
