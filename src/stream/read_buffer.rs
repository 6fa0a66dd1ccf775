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
    /// How many of the front chunks Node emitted so, unbuffered: not in
    /// its `readableLength`, and due to the reader before anything else.
    /// Each push into a buffer holding only such chunks is one (Node's
    /// `length` is still 0 then), until the reader pauses the stream
    /// ([`buffer_emitted`](ReadBuffer::buffer_emitted)).
    emitted_chunks: usize,
    /// The size of the `emitted_chunks`.
    emitted_size: usize,
    /// The front chunk's `data` was emitted inside its push.
    front_announced: bool,
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
            emitted_chunks: 0,
            emitted_size: 0,
            front_announced: false,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.length
    }

    /// True while the front chunk is one Node emitted at once (see
    /// `emit_now`).
    #[inline]
    pub(crate) fn front_emitted(&self) -> bool {
        self.emitted_chunks > 0
    }

    /// The size of the front chunk, pushed into an empty buffer and
    /// emitted at once, whose `data` is emitted now: from now on it is
    /// [`front_announced`](ReadBuffer::front_announced).
    pub(crate) fn announce_front(&mut self) -> Option<usize> {
        if self.emitted_chunks == 0 || self.front_announced {
            return None;
        }
        self.front_announced = true;
        self.chunks.front().map(Chunk::size)
    }

    /// True while the front chunk's `data` was emitted inside its push.
    #[inline]
    pub(crate) fn front_announced(&self) -> bool {
        self.front_announced
    }

    /// How much of the buffer Node emitted at once: not in its length.
    #[inline]
    pub(crate) fn emitted(&self) -> usize {
        self.emitted_size
    }

    /// True when the next push is one Node emits at once as `data`,
    /// unbuffered: under `emit_now`, with nothing but such chunks buffered
    /// (Node's `length` is 0).
    #[inline(always)]
    pub(crate) fn emits_next(&self) -> bool {
        self.emit_now && self.chunks.len() == self.emitted_chunks
    }

    /// Every chunk buffered is one Node emitted at once, due to the
    /// reader before anything else: an end pushed outside a read into a
    /// flowing stream runs `emitReadable_` at once, whose `flow()` emits
    /// them all (readable.js:788-813 `onEofChunk`), until the reader
    /// pauses.
    #[cold]
    pub(crate) fn emit_buffered(&mut self) {
        self.emitted_chunks = self.chunks.len();
        self.emitted_size = self.length;
    }

    /// The chunks Node emitted at once count as buffered from now on:
    /// the reader paused the stream for `drain` after it wrote one of
    /// them (in Node, those pushed after it found the stream paused, the
    /// pipe's `pause()` running inside the `data` of the push before
    /// them, and were buffered).
    #[inline]
    pub(crate) fn buffer_emitted(&mut self) {
        self.emitted_chunks = 0;
        self.emitted_size = 0;
    }

    /// The front chunks are none Node emitted at once (they are gone, or
    /// one came before them).
    fn no_emitted(&mut self) {
        self.buffer_emitted();
        self.front_announced = false;
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
        self.no_emitted();
        self.chunks.push_front(chunk);
    }

    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        let chunk = self.chunks.pop_front()?;
        self.length -= chunk.size();
        self.front_announced = false;
        if self.emitted_chunks > 0 {
            self.emitted_chunks -= 1;
            self.emitted_size -= chunk.size();
        }
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
        self.no_emitted();
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
        self.no_emitted();
    }

    /// What [`Push::push`](crate::Push::push) does: buffers `chunk` unless the end was pushed
    /// (a misuse, recorded); returns whether there is room for more.
    #[inline(always)]
    pub(crate) fn push_from_producer(&mut self, chunk: T) -> bool {
        if self.eof {
            self.pushed_after_eof();
            return false;
        }
        if self.emits_next() {
            // Node's `readableLength` stays 0. (So for every push while
            // the reader's `write()`s return true; one that returns false
            // pauses the stream, and what came after is buffered then:
            // `buffer_emitted`.) They wait in this buffer for the reader,
            // so `push` answers by what it holds, which keeps a producer
            // that heeds it within the highWaterMark.
            let size = chunk.size();
            let before = self.chunks.len();
            self.push_back(chunk);
            if self.chunks.len() > before {
                self.emitted_chunks += 1;
                self.emitted_size += size;
            }
            return self.has_room();
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

    /// Node's `addChunk` emits every push into a flowing stream whose
    /// `length` is 0: pushes behind chunks it emitted so are emitted too,
    /// until the reader pauses the stream; what is left then counts.
    #[test]
    fn pushes_behind_emitted_chunks_are_emitted_until_a_pause() {
        let mut buffer = ReadBuffer::<u32>::new(2);
        buffer.emit_now = true;
        // `push` answers by what waits in the buffer for the reader.
        assert!(buffer.push_from_producer(1));
        assert!(!buffer.push_from_producer(2));
        assert_eq!((buffer.emitted_chunks, buffer.emitted()), (2, 2));
        assert_eq!(buffer.announce_front(), Some(1));
        assert_eq!(buffer.announce_front(), None);
        assert_eq!(buffer.pop_front(), Some(1));
        assert!(buffer.front_emitted() && !buffer.front_announced());
        buffer.buffer_emitted();
        assert_eq!((buffer.emitted(), buffer.len()), (0, 1));
        assert!(!buffer.push_from_producer(3));
    }

    /// Node's object mode: every item counts, whatever its value.
    #[test]
    fn an_empty_string_item_is_buffered() {
        let mut buffer = ReadBuffer::<String>::new(4);
        buffer.push_back(String::new());
        assert_eq!(buffer.chunk_count(), 1);
    }
}
