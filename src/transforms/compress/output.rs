//! [`OutputBuffer`]: where a codec writes, handed on in chunks of at most
//! [`OUTPUT_CHUNK_LEN`] bytes without a copy.
//!
//! Invariants: `buffer` is zeroed memory, the first `filled` bytes of it
//! written by the codec since the last [`take`](OutputBuffer::take); its
//! length is at most [`OUTPUT_CHUNK_LEN`], and the chunk is full when
//! `filled` reaches it. Memory is zeroed once, when it is allocated, however
//! many calls fill it.

use async_compression::core::util::WriteBuffer;
use bytes::{Bytes, BytesMut};

/// The size of the output chunks a codec pushes: 64 KiB, the default
/// highWaterMark of byte streams, so one chunk fills a readable side.
pub(super) const OUTPUT_CHUNK_LEN: usize = 64 * 1024;

/// A codec's output: filled through a [`WriteBuffer`], taken as [`Bytes`].
#[derive(Debug, Default)]
pub(super) struct OutputBuffer {
    buffer: BytesMut,
    filled: usize,
}

impl OutputBuffer {
    /// Lets `write` fill the rest of the current chunk; returns what it
    /// returns. The chunk must not be full.
    ///
    /// After a [`take`](OutputBuffer::take) of part of an allocation the
    /// next chunk uses the rest of it; a new allocation is made only when
    /// none is left.
    pub(super) fn write<R>(&mut self, write: impl FnOnce(&mut WriteBuffer<'_>) -> R) -> R {
        debug_assert!(
            self.filled == 0 || !self.is_full(),
            "take a full chunk first"
        );
        if self.buffer.is_empty() {
            self.buffer = BytesMut::zeroed(OUTPUT_CHUNK_LEN);
        }
        let mut space = WriteBuffer::new_initialized(&mut self.buffer[self.filled..]);
        let result = write(&mut space);
        self.filled += space.written_len();
        result
    }

    /// True when the current chunk has no room left.
    pub(super) fn is_full(&self) -> bool {
        self.filled == self.buffer.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.filled == 0
    }

    /// Takes what was written since the last call.
    pub(super) fn take(&mut self) -> Bytes {
        let chunk = self.buffer.split_to(self.filled).freeze();
        self.filled = 0;
        chunk
    }
}

#[cfg(test)]
mod tests {
    use async_compression::core::util::PartialBuffer;

    use super::*;

    #[test]
    fn chunks_never_exceed_the_chunk_length() {
        let mut output = OutputBuffer::default();
        for _ in 0..3 {
            let room = output.write(|space| {
                let room = space.capacity();
                space.advance(room);
                room
            });
            assert_eq!(room, OUTPUT_CHUNK_LEN);
            assert!(output.is_full());
            assert_eq!(output.take().len(), OUTPUT_CHUNK_LEN);
        }
        assert!(output.is_empty());
    }

    #[test]
    fn a_partial_take_leaves_the_rest_of_the_allocation() {
        let mut output = OutputBuffer::default();
        output.write(|space| space.copy_unwritten_from(&mut PartialBuffer::new(b"abc")));
        output.write(|space| space.copy_unwritten_from(&mut PartialBuffer::new(b"de")));
        assert!(!output.is_full());
        assert_eq!(output.take(), "abcde");
        let room = output.write(|space| space.capacity());
        assert_eq!(room, OUTPUT_CHUNK_LEN - 5);
    }
}
