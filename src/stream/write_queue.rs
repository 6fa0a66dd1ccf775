//! [`WriteQueue`]: the chunks written to a writable side and not yet taken by
//! its [`WriteSink`](crate::WriteSink).
//!
//! Invariant: `length` is the sum of [`Chunk::size`] over the queued chunks,
//! counting a partly written byte chunk by what is left of it, plus
//! `in_flight`: the size of a chunk a transform took and has not finished
//! with. A chunk stays counted until the sink has taken it (or the
//! transform finished it), as Node counts the chunk inside `_write` until
//! its callback.

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, Bytes};

use super::chunk::Chunk;

/// The queue of a writable side, handed to its [`WriteSink`](crate::WriteSink) so it
/// can take one chunk, or several at once (Node's `_writev`).
///
/// # Examples
///
/// ```
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
/// use smerge::{Result, WriteQueue, WriteSink};
///
/// /// Keeps every chunk in memory.
/// struct Keep(Vec<u32>);
///
/// impl WriteSink<u32> for Keep {
///     fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, queue: &mut WriteQueue<u32>) -> Poll<Result<()>> {
///         // Take everything at once: a vectored write.
///         self.get_mut().0.extend(queue.drain());
///         Poll::Ready(Ok(()))
///     }
/// }
/// ```
#[derive(Debug)]
pub struct WriteQueue<T> {
    chunks: VecDeque<T>,
    length: usize,
    in_flight: Option<usize>,
}

impl<T: Chunk> WriteQueue<T> {
    pub(crate) fn new() -> Self {
        WriteQueue {
            chunks: VecDeque::new(),
            length: 0,
            in_flight: None,
        }
    }

    pub(crate) fn push_back(&mut self, chunk: T) {
        self.length += chunk.size();
        self.chunks.push_back(chunk);
    }

    /// How much is queued, in the chunk type's units (bytes, or items).
    pub fn size(&self) -> usize {
        self.length
    }

    /// Appends `chunks`, which count `length`, emptying them: a swap of
    /// the two deques when the queue is empty, so a hand-over costs
    /// nothing per chunk.
    #[inline]
    pub(crate) fn append(&mut self, chunks: &mut VecDeque<T>, length: usize) {
        if self.chunks.is_empty() {
            std::mem::swap(&mut self.chunks, chunks);
        } else {
            self.chunks.append(chunks);
        }
        self.length += length;
    }

    /// Takes the oldest queued chunk for a transform: it stays counted
    /// until [`finish_in_flight`](WriteQueue::finish_in_flight).
    #[inline]
    pub(crate) fn take_in_flight(&mut self) -> Option<T> {
        let chunk = self.chunks.pop_front()?;
        self.in_flight = Some(chunk.size());
        Some(chunk)
    }

    /// The transform finished the chunk it took: it stops counting.
    /// Returns whether there was one.
    #[inline]
    pub(crate) fn finish_in_flight(&mut self) -> bool {
        match self.in_flight.take() {
            Some(size) => {
                self.length -= size;
                true
            }
            None => false,
        }
    }

    /// True while nothing is queued and no chunk is in a transform's hands.
    #[inline]
    pub(crate) fn is_settled(&self) -> bool {
        self.chunks.is_empty() && self.in_flight.is_none()
    }

    /// How many chunks are queued.
    pub fn len(&self) -> usize {
        self.chunks.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// The oldest queued chunk.
    pub fn front(&self) -> Option<&T> {
        self.chunks.front()
    }

    /// Takes the oldest queued chunk.
    pub fn pop(&mut self) -> Option<T> {
        let chunk = self.chunks.pop_front()?;
        self.length -= chunk.size();
        Some(chunk)
    }

    /// Takes every queued chunk, oldest first.
    pub fn drain(&mut self) -> impl Iterator<Item = T> + '_ {
        self.length = 0;
        self.chunks.drain(..)
    }

    /// The queued chunks, oldest first, without taking them.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.chunks.iter()
    }

    pub(crate) fn clear(&mut self) {
        self.chunks.clear();
        self.length = 0;
        self.in_flight = None;
    }
}

impl WriteQueue<Bytes> {
    /// Fills `slices` with the queued bytes, for a vectored write; returns
    /// how many slices were filled.
    pub fn io_slices<'a>(&'a self, slices: &mut [IoSlice<'a>]) -> usize {
        let mut filled = 0;
        for (slot, chunk) in slices.iter_mut().zip(self.chunks.iter()) {
            *slot = IoSlice::new(chunk);
            filled += 1;
        }
        filled
    }

    /// Marks the first `n` queued bytes as written: whole chunks are removed,
    /// a partly written one keeps its unwritten tail.
    ///
    /// # Panics
    ///
    /// If fewer than `n` bytes are queued.
    pub fn advance(&mut self, mut n: usize) {
        assert!(n <= self.length, "advance past the end of the write queue");
        self.length -= n;
        while n > 0 {
            let front = self.chunks.front_mut().expect("length counts the chunks");
            if front.len() <= n {
                n -= front.len();
                self.chunks.pop_front();
            } else {
                front.advance(n);
                n = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_splits_a_chunk() {
        let mut queue = WriteQueue::new();
        queue.push_back(Bytes::from_static(b"abc"));
        queue.push_back(Bytes::from_static(b"de"));
        queue.advance(4);
        assert_eq!(queue.size(), 1);
        assert_eq!(queue.front().unwrap(), &Bytes::from_static(b"e"));
    }

    #[test]
    fn io_slices_cover_the_queue() {
        let mut queue = WriteQueue::new();
        queue.push_back(Bytes::from_static(b"ab"));
        queue.push_back(Bytes::from_static(b"c"));
        let mut slices = [IoSlice::new(&[]); 4];
        assert_eq!(queue.io_slices(&mut slices), 2);
        assert_eq!(&*slices[1], b"c");
    }

    #[test]
    fn pop_keeps_the_count() {
        let mut queue = WriteQueue::new();
        queue.push_back(7u32);
        queue.push_back(8u32);
        assert_eq!(queue.size(), 2);
        assert_eq!(queue.pop(), Some(7));
        assert_eq!(queue.size(), 1);
    }
}
