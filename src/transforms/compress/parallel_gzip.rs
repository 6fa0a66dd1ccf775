//! [`ParallelGzipEncoder`]: gzip on several threads, as one gzip member,
//! the way pigz compresses.
//!
//! The input is cut into blocks of [`BLOCK_LEN`] bytes, and worker threads
//! compress each block as raw deflate, primed with the last 32 KiB of the
//! block before it as a dictionary, so that matches reach back across the
//! cut as they would in one stream. Every block but the last ends with a
//! sync flush (an empty stored block ending on a byte boundary) and the last
//! one ends the deflate data, so the blocks joined in order are one deflate
//! stream. Their CRC-32s, combined in order, give the gzip trailer. The
//! output costs about 0.1 % more than one thread's.
//!
//! Invariants: `ready` holds output bytes in stream order, and it is empty
//! whenever input is taken, so it never holds more than the header, the
//! blocks of the window and the trailer; at most `window` blocks (two per
//! thread) are in flight, oldest first; `block` holds at most `block_len`
//! bytes, and a full block is sent only once more input comes, so that the
//! last block, sent at the end, holds the end of the input (it is empty only
//! if the whole input is).
//!
//! Waiting: when the window is full and more input comes, the calling thread
//! waits for the oldest block, which is the one compressing longest: at most
//! about the time one block takes (a millisecond or two at 128 KiB). A
//! stream's thread thus waits only while every core is compressing; the
//! output, by contrast, is never waited for: when the consumer is slow, the
//! transform keeps its input (see `Compress`) and the compressed blocks wait
//! here.

mod workers;

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::mem;

use async_compression::codecs::EncodeV2;
use async_compression::core::util::{PartialBuffer, WriteBuffer};
use bytes::{Buf, Bytes};
use flate2::{Compression, Crc};

use workers::{Block, CompressedBlock, PendingBlock, Workers, compress_block};

/// The size of the input blocks compressed on their own: pigz's.
pub(super) const BLOCK_LEN: usize = 128 * 1024;

/// How much of the previous block primes the next one: deflate's window.
const DICTIONARY_LEN: usize = 32 * 1024;

/// Blocks in flight per thread: one being compressed, one queued behind it,
/// so a thread finds work the moment it finishes a block.
const BLOCKS_PER_THREAD: usize = 2;

/// A gzip encoder that compresses on up to `threads` threads of its own.
pub(super) struct ParallelGzipEncoder {
    level: Compression,
    workers: Workers,
    block_len: usize,
    window: usize,
    /// The input not sent yet.
    block: Vec<u8>,
    /// The end of the last block sent: the next one's dictionary.
    dictionary: Bytes,
    in_flight: VecDeque<PendingBlock>,
    /// Output not written yet, in order.
    ready: VecDeque<Bytes>,
    /// The CRC-32 and length of the input of the blocks taken back.
    crc: Crc,
    state: State,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Taking input.
    Encoding,
    /// The last block was sent: waiting for the blocks in flight.
    Draining,
    /// The trailer is in `ready`.
    Done,
}

impl ParallelGzipEncoder {
    /// An encoder at `level` (1–9) on up to `threads` threads.
    pub(super) fn new(level: u32, threads: usize) -> ParallelGzipEncoder {
        ParallelGzipEncoder::with_block_len(level, threads, BLOCK_LEN)
    }

    fn with_block_len(level: u32, threads: usize, block_len: usize) -> ParallelGzipEncoder {
        let threads = threads.max(1);
        ParallelGzipEncoder {
            level: Compression::new(level),
            workers: Workers::new(Compression::new(level), threads),
            block_len,
            window: threads * BLOCKS_PER_THREAD,
            block: Vec::new(),
            dictionary: Bytes::new(),
            in_flight: VecDeque::new(),
            ready: VecDeque::from([Bytes::copy_from_slice(&header(level))]),
            crc: Crc::new(),
            state: State::Encoding,
        }
    }

    /// Writes ready output into `output`; true when all of it fitted.
    fn write_ready(&mut self, output: &mut WriteBuffer<'_>) -> bool {
        while let Some(front) = self.ready.front_mut() {
            let written = output.copy_unwritten_from(&mut PartialBuffer::new(&front[..]));
            front.advance(written);
            if !front.is_empty() {
                return false;
            }
            self.ready.pop_front();
        }
        true
    }

    /// Sends the input gathered so far as one block; its end becomes the
    /// next block's dictionary. A last block with none in flight before it
    /// (all of a short input) is compressed here: waiting for a thread
    /// would take as long, and starting one longer.
    fn send_block(&mut self, last: bool) -> io::Result<()> {
        let input = Bytes::from(mem::take(&mut self.block));
        let dictionary_start = input.len().saturating_sub(DICTIONARY_LEN);
        let dictionary = mem::replace(&mut self.dictionary, input.slice(dictionary_start..));
        let block = Block {
            input,
            dictionary,
            last,
        };
        if last && self.in_flight.is_empty() {
            let compressed = compress_block(self.level, &mut Vec::new(), &block)?;
            self.accept(compressed);
        } else {
            let pending = self.workers.submit(block, self.in_flight.len())?;
            self.in_flight.push_back(pending);
        }
        Ok(())
    }

    /// Takes back the finished blocks at the front of the window, without
    /// waiting.
    fn take_finished(&mut self) -> io::Result<()> {
        while let Some(pending) = self.in_flight.front() {
            let Some(block) = pending.try_take()? else {
                break;
            };
            self.in_flight.pop_front();
            self.accept(block);
        }
        Ok(())
    }

    /// Waits for the oldest block in flight and takes it back.
    fn wait_oldest(&mut self) -> io::Result<()> {
        if let Some(pending) = self.in_flight.pop_front() {
            self.accept(pending.wait()?);
        }
        Ok(())
    }

    fn accept(&mut self, block: CompressedBlock) {
        self.crc.combine(&block.crc);
        self.ready.push_back(block.deflate);
    }

    fn window_is_full(&self) -> bool {
        self.in_flight.len() >= self.window
    }

    fn trailer(&self) -> Bytes {
        let mut trailer = Vec::with_capacity(8);
        trailer.extend_from_slice(&self.crc.sum().to_le_bytes());
        trailer.extend_from_slice(&self.crc.amount().to_le_bytes());
        Bytes::from(trailer)
    }
}

impl EncodeV2 for ParallelGzipEncoder {
    fn encode(
        &mut self,
        input: &mut PartialBuffer<&[u8]>,
        output: &mut WriteBuffer<'_>,
    ) -> io::Result<()> {
        if self.state != State::Encoding {
            return Err(io::Error::other("encode after the end of the gzip data"));
        }
        loop {
            if !self.write_ready(output) || input.unwritten().is_empty() {
                return Ok(());
            }
            if self.block.len() == self.block_len {
                // More input follows, so this block is not the last.
                if self.window_is_full() {
                    self.wait_oldest()?;
                    continue;
                }
                self.send_block(false)?;
            }
            if self.block.capacity() == 0 {
                self.block.reserve_exact(self.block_len);
            }
            let taken = input
                .unwritten()
                .len()
                .min(self.block_len - self.block.len());
            self.block.extend_from_slice(&input.unwritten()[..taken]);
            input.advance(taken);
            self.take_finished()?;
        }
    }

    fn flush(&mut self, output: &mut WriteBuffer<'_>) -> io::Result<bool> {
        loop {
            if !self.write_ready(output) {
                return Ok(false);
            }
            if self.state != State::Encoding {
                return Ok(true);
            }
            if self.window_is_full() {
                self.wait_oldest()?;
            } else if !self.block.is_empty() {
                self.send_block(false)?;
            } else if self.in_flight.is_empty() {
                return Ok(true);
            } else {
                self.wait_oldest()?;
            }
        }
    }

    fn finish(&mut self, output: &mut WriteBuffer<'_>) -> io::Result<bool> {
        loop {
            if !self.write_ready(output) {
                return Ok(false);
            }
            match self.state {
                State::Encoding if self.window_is_full() => self.wait_oldest()?,
                State::Encoding => {
                    self.send_block(true)?;
                    self.state = State::Draining;
                }
                State::Draining if self.in_flight.is_empty() => {
                    self.ready.push_back(self.trailer());
                    self.state = State::Done;
                }
                State::Draining => self.wait_oldest()?,
                State::Done => return Ok(true),
            }
        }
    }
}

impl fmt::Debug for ParallelGzipEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParallelGzipEncoder")
            .field("block_len", &self.block_len)
            .field("in_flight", &self.in_flight.len())
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// A gzip header with no name and no time (the input is a stream), the
/// extra flags saying whether the level is the best or the fastest, as gzip
/// writes them, and Unix as the operating system.
fn header(level: u32) -> [u8; 10] {
    let extra_flags = match level {
        9 => 2,
        1 => 4,
        _ => 0,
    };
    [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, extra_flags, 3]
}

#[cfg(test)]
mod tests;
