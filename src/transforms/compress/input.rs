//! [`InputQueue`]: the written chunks a codec has not consumed yet.
//!
//! Invariants: no queued chunk is empty; `consumed` counts every byte
//! removed from the front, so it is the stream offset of the first queued
//! byte.

use std::collections::VecDeque;

use bytes::{Buf, Bytes};

/// The input of a codec: written chunks, consumed from the front.
#[derive(Debug, Default)]
pub(super) struct InputQueue {
    chunks: VecDeque<Bytes>,
    consumed: u64,
}

impl InputQueue {
    /// Queues `chunk` behind the others.
    pub(super) fn push(&mut self, chunk: Bytes) {
        if !chunk.is_empty() {
            self.chunks.push_back(chunk);
        }
    }

    /// The first queued chunk, or an empty slice.
    pub(super) fn front(&self) -> &[u8] {
        self.chunks.front().map_or(&[], |chunk| chunk)
    }

    /// The first queued chunk, whole.
    pub(super) fn pop(&mut self) -> Option<Bytes> {
        let chunk = self.chunks.pop_front()?;
        self.consumed += chunk.len() as u64;
        Some(chunk)
    }

    /// Removes `n` bytes from the front of the first chunk.
    pub(super) fn advance(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        let front = self
            .chunks
            .front_mut()
            .expect("advance within the queued bytes");
        front.advance(n);
        if front.is_empty() {
            self.chunks.pop_front();
        }
        self.consumed += n as u64;
    }

    /// Removes the zero bytes at the front of the queue, across chunks;
    /// returns how many there were.
    pub(super) fn skip_zeros(&mut self) -> u64 {
        let start = self.consumed;
        loop {
            let zeros = self.front().iter().take_while(|byte| **byte == 0).count();
            if zeros == 0 {
                return self.consumed - start;
            }
            self.advance(zeros);
        }
    }

    /// Copies the first queued bytes into `prefix`, across chunks; returns
    /// how many there were (at most `prefix.len()`).
    pub(super) fn peek(&self, prefix: &mut [u8]) -> usize {
        let mut filled = 0;
        for chunk in &self.chunks {
            let n = chunk.len().min(prefix.len() - filled);
            prefix[filled..filled + n].copy_from_slice(&chunk[..n]);
            filled += n;
            if filled == prefix.len() {
                break;
            }
        }
        filled
    }

    pub(super) fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// How many bytes were consumed: the stream offset of the next byte.
    pub(super) fn consumed(&self) -> u64 {
        self.consumed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peek_looks_across_chunks_without_consuming() {
        let mut input = InputQueue::default();
        input.push(Bytes::from_static(b"ab"));
        input.push(Bytes::new());
        input.push(Bytes::from_static(b"cdef"));
        let mut prefix = [0; 3];
        assert_eq!(input.peek(&mut prefix), 3);
        assert_eq!(&prefix, b"abc");
        let mut long = [0; 8];
        assert_eq!(input.peek(&mut long), 6);
        assert_eq!(input.consumed(), 0);
    }

    #[test]
    fn skip_zeros_stops_at_the_first_other_byte_across_chunks() {
        let mut input = InputQueue::default();
        input.push(Bytes::from_static(b"\0\0"));
        input.push(Bytes::from_static(b"\0x\0"));
        assert_eq!(input.skip_zeros(), 3);
        assert_eq!(input.front(), b"x\0");
        assert_eq!(input.skip_zeros(), 0);
        assert_eq!(input.consumed(), 3);
    }

    #[test]
    fn advance_and_pop_count_the_offset() {
        let mut input = InputQueue::default();
        input.push(Bytes::from_static(b"ab"));
        input.push(Bytes::from_static(b"cdef"));
        input.advance(1);
        assert_eq!(input.front(), b"b");
        input.advance(1);
        assert_eq!(input.front(), b"cdef");
        assert_eq!(input.consumed(), 2);
        assert_eq!(input.pop().unwrap(), "cdef");
        assert_eq!(input.consumed(), 6);
        assert!(input.is_empty());
        assert_eq!(input.front(), b"");
    }
}
