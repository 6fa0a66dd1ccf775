//! [`ReadBuffer`]: the buffer in front of a readable side.
//!
//! Invariants: `length` is the sum of [`Chunk::size`] over the buffered chunks;
//! once `eof` is set, nothing more is added (an [`unshift`](ReadBuffer::unshift)
//! before `end` excepted, as in Node). Empty byte chunks carry no data and
//! are not buffered (Node: pushing an empty buffer "adds no data"); every
//! other item is, whatever its size ([`Chunk::EMPTY_IS_NOTHING`]).

use std::collections::VecDeque;

use super::chunk::Chunk;
use super::error::{Error, ErrorKind};
use super::write_queue::WriteQueue;

/// The buffer in front of a readable side, counted against its highWaterMark.
#[derive(Debug)]
pub(crate) struct ReadBuffer<T> {
    chunks: VecDeque<T>,
    length: usize,
    high_water_mark: usize,
    eof: bool,
    /// The end came with chunks still buffered: the read that takes the
    /// last of them sees it (Node's `read()` calls `endReadable` then).
    eof_behind_chunks: bool,
    /// An error a producer caused by misusing [`Push`] (pushing after EOF).
    misuse: Option<Error>,
    /// Pushes now come where Node's `addChunk` emits a chunk at once as
    /// `data` when nothing is buffered (a stream flowing to a `data`
    /// listener, outside `_read`).
    pub(crate) emit_now: bool,
    /// The front chunk is one Node emitted so, unbuffered: not in its
    /// `readableLength`, and due to the reader before anything else.
    /// (Only a push into an empty buffer is, so there is one at most.)
    front_emitted: bool,
}

impl<T: Chunk> ReadBuffer<T> {
    pub(crate) fn new(high_water_mark: usize) -> Self {
        ReadBuffer {
            chunks: VecDeque::new(),
            length: 0,
            high_water_mark,
            eof: false,
            eof_behind_chunks: false,
            misuse: None,
            emit_now: false,
            front_emitted: false,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.length
    }

    /// True while the front chunk is one Node emitted at once (see
    /// `emit_now`).
    #[inline]
    pub(crate) fn front_emitted(&self) -> bool {
        self.front_emitted
    }

    /// How much of the buffer Node emitted at once: not in its length.
    #[inline]
    pub(crate) fn emitted(&self) -> usize {
        if self.front_emitted {
            self.chunks.front().map_or(0, Chunk::size)
        } else {
            0
        }
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
        if size == 0 && T::EMPTY_IS_NOTHING {
            return;
        }
        self.length += size;
        self.chunks.push_back(chunk);
    }

    pub(crate) fn unshift(&mut self, chunk: T) {
        let size = chunk.size();
        if size == 0 && T::EMPTY_IS_NOTHING {
            return;
        }
        self.length += size;
        self.front_emitted = false;
        self.chunks.push_front(chunk);
    }

    pub(crate) fn pop_front(&mut self) -> Option<T> {
        let chunk = self.chunks.pop_front()?;
        self.length -= chunk.size();
        self.front_emitted = false;
        Some(chunk)
    }

    /// Takes everything buffered as one chunk where the chunk type joins
    /// ([`Chunk::concat`]), else the oldest chunk.
    pub(crate) fn pop_joined(&mut self) -> Option<T> {
        if self.chunks.len() > 1
            && let Some(joined) = T::concat(self.chunks.make_contiguous())
        {
            self.clear();
            self.length = joined.size();
            self.chunks.push_back(joined);
        }
        self.pop_front()
    }

    pub(crate) fn front(&self) -> Option<&T> {
        self.chunks.front()
    }

    pub(crate) fn back(&self) -> Option<&T> {
        self.chunks.back()
    }

    /// Moves every buffered chunk to the end of `queue`, in one move.
    #[inline]
    pub(crate) fn move_into(&mut self, queue: &mut WriteQueue<T>) {
        queue.append(&mut self.chunks, self.length);
        self.length = 0;
        self.front_emitted = false;
    }

    /// Appends the first `count` of `chunks`, which count `length`: a
    /// swap of the two deques when this buffer is empty and every chunk
    /// moves.
    #[inline]
    pub(crate) fn append(&mut self, chunks: &mut VecDeque<T>, count: usize, length: usize) {
        if count == chunks.len() {
            if self.chunks.is_empty() {
                std::mem::swap(&mut self.chunks, chunks);
            } else {
                self.chunks.append(chunks);
            }
        } else {
            self.chunks.extend(chunks.drain(..count));
        }
        self.length += length;
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
        buffer.eof_behind_chunks = self.eof_behind_chunks;
        buffer.misuse = self.misuse;
        buffer
    }

    pub(crate) fn clear(&mut self) {
        self.chunks.clear();
        self.length = 0;
        self.front_emitted = false;
    }

    /// What [`Push::push`](crate::Push::push) does: buffers `chunk` unless the end was pushed
    /// (a misuse, recorded); returns whether there is room for more.
    #[inline]
    pub(crate) fn push_from_producer(&mut self, chunk: T) -> bool {
        if self.eof {
            self.pushed_after_eof();
            return false;
        }
        if self.emit_now && self.chunks.is_empty() {
            // Node's `readableLength` stays 0: `push` returns true. (A
            // second push waits: whether Node emits it too depends on the
            // `write()` the first one's `data` made, which comes later.)
            self.push_back(chunk);
            self.front_emitted = !self.chunks.is_empty();
            return true;
        }
        self.push_back(chunk);
        self.has_room()
    }

    /// Marks the end of the data: nothing more is added.
    pub(crate) fn end(&mut self) {
        if !self.eof {
            self.eof_behind_chunks = !self.chunks.is_empty();
        }
        self.eof = true;
    }

    /// True when the end was pushed behind chunks a read has since taken
    /// all of: that read saw the end, and Node's `endReadable` emits `end`
    /// whether the stream flows or not. An end pushed on an empty buffer
    /// waits for a read (a paused stream's pipe calls none).
    pub(crate) fn drained_by_a_read(&self) -> bool {
        self.eof && self.eof_behind_chunks && self.chunks.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn zero_high_water_mark_accepts_into_an_empty_buffer() {
        let buffer = ReadBuffer::<u32>::new(0);
        assert!(buffer.has_room());
    }

    #[test]
    fn empty_byte_chunks_are_not_buffered() {
        let mut buffer = ReadBuffer::<Bytes>::new(4);
        buffer.push_back(Bytes::new());
        assert!(buffer.is_empty());
    }

    /// Node's object mode: every item counts, whatever its value.
    #[test]
    fn an_empty_string_item_is_buffered() {
        let mut buffer = ReadBuffer::<String>::new(4);
        buffer.push_back(String::new());
        assert_eq!(buffer.chunk_count(), 1);
    }
}
