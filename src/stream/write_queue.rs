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
use super::push::Push;

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

/// How [`WriteQueue::pass_into`] stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Passed {
    /// The last chunk pushed filled the readable side: it stays in flight.
    Held,
    /// The queue is empty; `moved` if a chunk was pushed.
    Stopped { moved: bool },
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

    /// A chunk of `size` the transform finished is held after all: it
    /// counts again, in flight, until
    /// [`finish_in_flight`](WriteQueue::finish_in_flight). Call with no
    /// chunk in flight.
    pub(crate) fn hold_again(&mut self, size: usize) {
        self.in_flight = Some(size);
        self.length += size;
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

    /// What a [`PassThrough`](crate::PassThrough) does to the queued
    /// chunks, a chunk at a time, whatever `out` held before: each is
    /// pushed as it is and stops counting here, until one whose push
    /// filled `out`, which stays in flight (its callback is held, as in
    /// Node's `Transform`). Call with no chunk in flight.
    #[inline]
    pub(crate) fn pass_into(&mut self, out: &mut Push<'_, T>) -> Passed {
        while out.emits_next() {
            // Node emits it inside its push: never held.
            let Some(chunk) = self.chunks.pop_front() else {
                return Passed::Stopped { moved: false };
            };
            self.pass_one(chunk, out);
            if self.chunks.is_empty() {
                return Passed::Stopped { moved: true };
            }
        }
        if self.chunks.len() > 1 {
            return self.pass_many(out);
        }
        match self.chunks.pop_front() {
            Some(chunk) => self.pass_one(chunk, out),
            None => Passed::Stopped { moved: false },
        }
    }

    /// Pushes `chunk`, taken from the front of the queue; see
    /// [`pass_into`](WriteQueue::pass_into).
    #[inline]
    fn pass_one(&mut self, chunk: T, out: &mut Push<'_, T>) -> Passed {
        let size = chunk.size();
        let before = out.readable_length();
        out.push(chunk);
        if out.readable_length() != before && out.readable_length() >= out.high_water_mark() {
            self.in_flight = Some(size);
            return Passed::Held;
        }
        self.length -= size;
        Passed::Stopped { moved: true }
    }

    /// [`pass_into`](WriteQueue::pass_into) for several chunks: where a
    /// chunk-at-a-time loop would stop is counted first, then the chunks
    /// move together.
    fn pass_many(&mut self, out: &mut Push<'_, T>) -> Passed {
        let high_water_mark = out.high_water_mark();
        let start = out.readable_length();
        let mut buffered = start;
        let mut count = 0;
        let mut held = None;
        let mut counts_nothing = false;
        let (front, back) = self.chunks.as_slices();
        'count: for slice in [front, back] {
            // Each chunk is pushed until one fills the buffer.
            for chunk in slice {
                count += 1;
                let size = chunk.size();
                if size == 0 && T::EMPTY_IS_NOTHING {
                    // Pushing it adds nothing: it must not be buffered.
                    counts_nothing = true;
                    break 'count;
                }
                buffered += size;
                if size != 0 && buffered >= high_water_mark {
                    held = Some(size);
                    break 'count;
                }
            }
        }
        if counts_nothing {
            return self.pass_one_by_one(out);
        }
        // The held chunk keeps counting here.
        let passed = buffered - start - held.unwrap_or(0);
        out.append(&mut self.chunks, count, buffered - start);
        self.length -= passed;
        match held {
            Some(size) => {
                self.in_flight = Some(size);
                Passed::Held
            }
            None => Passed::Stopped { moved: true },
        }
    }

    /// Whether [`pass_into`](WriteQueue::pass_into) into an empty
    /// readable side of `high_water_mark` would push every queued chunk:
    /// only the last one may fill it (and be held), and none counts nothing.
    #[inline]
    pub(crate) fn passes_whole(&self, high_water_mark: usize) -> bool {
        if let [chunk] = self.chunks.as_slices().0
            && self.chunks.len() == 1
        {
            // What every chunk over the highWaterMark meets.
            return chunk.size() != 0 || !T::EMPTY_IS_NOTHING;
        }
        let last = self.chunks.len().saturating_sub(1);
        let mut buffered = 0;
        for (index, chunk) in self.chunks.iter().enumerate() {
            let size = chunk.size();
            if size == 0 && T::EMPTY_IS_NOTHING {
                return false;
            }
            buffered += size;
            if size != 0 && buffered >= high_water_mark && index != last {
                return false;
            }
        }
        true
    }

    /// [`pass_into`](WriteQueue::pass_into) a chunk at a time, for a queue
    /// holding chunks that count nothing.
    #[cold]
    fn pass_one_by_one(&mut self, out: &mut Push<'_, T>) -> Passed {
        let mut moved = false;
        while let Some(chunk) = self.chunks.pop_front() {
            moved = true;
            if let Passed::Held = self.pass_one(chunk, out) {
                return Passed::Held;
            }
        }
        Passed::Stopped { moved }
    }

    /// True while a transform has a chunk in its hands.
    #[inline]
    pub(crate) fn has_in_flight(&self) -> bool {
        self.in_flight.is_some()
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

    /// Runs `f` on this queue with only its `count` oldest chunks in it,
    /// the others set aside (and not counted) meanwhile: a corked stream's
    /// sink finishes the write it started (with the chunk at the front, or
    /// a transform's in its hands) without taking the corked chunks.
    pub(crate) fn with_first_only<R>(
        &mut self,
        count: usize,
        f: impl FnOnce(&mut WriteQueue<T>) -> R,
    ) -> R {
        let rest = self.chunks.split_off(self.chunks.len().min(count));
        let set_aside: usize = rest.iter().map(Chunk::size).sum();
        self.length -= set_aside;
        let result = f(self);
        self.chunks.extend(rest);
        self.length += set_aside;
        result
    }

    /// The newest queued chunk.
    pub(crate) fn back(&self) -> Option<&T> {
        self.chunks.back()
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

    /// What Node's `errorBuffer` does on the tick after `destroy()`: the
    /// queued chunks stop counting, unless a transform has one in hand.
    /// Node's `errorBuffer` does nothing while a write is in progress,
    /// and a destroyed transform never calls back the write whose
    /// callback it holds (its `_read` is not called any more), so that
    /// chunk and every one behind it count for good.
    pub(crate) fn drop_after_destroy(&mut self) {
        if self.in_flight.is_none() {
            self.clear();
        }
    }

    pub(crate) fn clear(&mut self) {
        if self.chunks.len() == 1 {
            // What a sink that drops every chunk meets most: cheaper than
            // the general clear.
            self.chunks.pop_front();
        } else {
            self.chunks.clear();
        }
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
