//! [`Workers`]: the threads that compress the blocks of a
//! [`ParallelGzipEncoder`](super::ParallelGzipEncoder), and
//! [`compress_block`], what each of them does with a block.
//!
//! Invariants: at most `max` threads, started one at a time as blocks wait
//! for one; every thread takes blocks from the one shared queue, oldest
//! first, and sends each result on the block's own channel. Dropping the
//! workers tells the threads to stop, drops the blocks still queued, and
//! joins the threads, each of which finishes at most the block it is
//! compressing.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};

use bytes::Bytes;
use flate2::{Compression, Crc, FlushCompress, Status};

/// Input for one deflate block of the stream.
#[derive(Debug)]
pub(super) struct Block {
    /// The bytes to compress.
    pub(super) input: Bytes,
    /// The bytes just before `input` (up to 32 KiB), which matches may refer to.
    pub(super) dictionary: Bytes,
    /// True for the end of the stream: the block ends the deflate data.
    /// Other blocks end with a sync flush, on a byte boundary.
    pub(super) last: bool,
}

/// A compressed [`Block`]: raw deflate data, and the CRC-32 of its input.
#[derive(Debug)]
pub(super) struct CompressedBlock {
    pub(super) deflate: Bytes,
    pub(super) crc: Crc,
}

/// A block handed to the workers, whose result comes later.
#[derive(Debug)]
pub(super) struct PendingBlock(Receiver<io::Result<CompressedBlock>>);

impl PendingBlock {
    /// The compressed block if it is ready, without waiting.
    pub(super) fn try_take(&self) -> io::Result<Option<CompressedBlock>> {
        match self.0.try_recv() {
            Ok(result) => result.map(Some),
            Err(TryRecvError::Empty) => Ok(None),
            Err(TryRecvError::Disconnected) => Err(worker_lost()),
        }
    }

    /// Waits for the compressed block.
    pub(super) fn wait(self) -> io::Result<CompressedBlock> {
        self.0.recv().map_err(|_| worker_lost())?
    }
}

/// A block with the channel its result goes back on.
pub(super) struct Job {
    block: Block,
    done: Sender<io::Result<CompressedBlock>>,
}

/// A pool of up to `max` compressing threads.
#[derive(Debug)]
pub(super) struct Workers {
    level: Compression,
    max: usize,
    /// `None` only while the workers are dropped.
    jobs: Option<Sender<Job>>,
    queue: Arc<Mutex<Receiver<Job>>>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Workers {
    /// A pool that compresses at `level` on up to `max` threads; no thread
    /// starts before the first block.
    pub(super) fn new(level: Compression, max: usize) -> Workers {
        let (jobs, queue) = mpsc::channel();
        Workers {
            level,
            max: max.max(1),
            jobs: Some(jobs),
            queue: Arc::new(Mutex::new(queue)),
            stop: Arc::new(AtomicBool::new(false)),
            threads: Vec::new(),
        }
    }

    /// Queues `block` for compression, behind `in_flight` blocks not yet
    /// taken back; starts a thread if every running one has a block. If no
    /// more threads can start, those running do the work; it is an error
    /// only if none can.
    pub(super) fn submit(&mut self, block: Block, in_flight: usize) -> io::Result<PendingBlock> {
        if self.threads.len() <= in_flight
            && self.threads.len() < self.max
            && let Err(err) = self.start_thread()
        {
            if self.threads.is_empty() {
                return Err(err);
            }
            self.max = self.threads.len();
        }
        let (done, result) = mpsc::channel();
        let jobs = self.jobs.as_ref().expect("the workers are not dropped");
        jobs.send(Job { block, done }).map_err(|_| worker_lost())?;
        Ok(PendingBlock(result))
    }

    fn start_thread(&mut self) -> io::Result<()> {
        let queue = Arc::clone(&self.queue);
        let stop = Arc::clone(&self.stop);
        let level = self.level;
        let thread = thread::Builder::new()
            .name("smerge-gzip".into())
            .spawn(move || work(&queue, &stop, level))
            .map_err(|err| io::Error::new(err.kind(), format!("cannot start a thread: {err}")))?;
        self.threads.push(thread);
        Ok(())
    }

    /// A handle that lives as long as some thread of the pool does.
    #[cfg(test)]
    pub(super) fn liveness(&self) -> std::sync::Weak<Mutex<Receiver<Job>>> {
        Arc::downgrade(&self.queue)
    }

    #[cfg(test)]
    pub(super) fn thread_count(&self) -> usize {
        self.threads.len()
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.jobs = None;
        for thread in self.threads.drain(..) {
            // A thread that panicked dropped its block's channel, which
            // `PendingBlock` reports as an error to whoever waits for it.
            let _ = thread.join();
        }
    }
}

/// A worker thread: compresses queued blocks until the pool is dropped.
fn work(queue: &Mutex<Receiver<Job>>, stop: &AtomicBool, level: Compression) {
    let mut scratch = Vec::new();
    loop {
        let job = {
            let queue = queue.lock().unwrap_or_else(PoisonError::into_inner);
            queue.recv()
        };
        let Ok(job) = job else { return };
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let result = compress_block(level, &mut scratch, &job.block);
        // The encoder may be gone, and nobody wants the result.
        let _ = job.done.send(result);
    }
}

/// Compresses `block` as raw deflate at `level`, using `scratch` as room
/// for the output.
///
/// Each block gets a new compressor: zlib-rs's reset keeps some of the
/// match-finding state of the data compressed before, so a reused one
/// would make the output depend on which thread compressed which block.
pub(super) fn compress_block(
    level: Compression,
    scratch: &mut Vec<u8>,
    block: &Block,
) -> io::Result<CompressedBlock> {
    let mut deflate = flate2::Compress::new(level, false);
    if !block.dictionary.is_empty() {
        deflate
            .set_dictionary(&block.dictionary)
            .map_err(deflate_error)?;
    }
    let flush = if block.last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    scratch.clear();
    scratch.reserve(block.input.len() / 2 + 1024);
    loop {
        let consumed = deflate.total_in() as usize;
        let status = deflate
            .compress_vec(&block.input[consumed..], scratch, flush)
            .map_err(deflate_error)?;
        // A flush is complete once the compressor leaves output room unused.
        let done = match status {
            Status::StreamEnd => true,
            Status::Ok | Status::BufError => {
                !block.last
                    && deflate.total_in() as usize == block.input.len()
                    && scratch.len() < scratch.capacity()
            }
        };
        if done {
            break;
        }
        scratch.reserve(scratch.capacity());
    }
    let mut crc = Crc::new();
    crc.update(&block.input);
    Ok(CompressedBlock {
        deflate: Bytes::copy_from_slice(scratch),
        crc,
    })
}

fn deflate_error(err: flate2::CompressError) -> io::Error {
    io::Error::other(err)
}

fn worker_lost() -> io::Error {
    io::Error::other("a compressing thread stopped unexpectedly")
}

#[cfg(test)]
impl PendingBlock {
    /// A block whose thread stopped before sending a result.
    pub(super) fn lost() -> PendingBlock {
        let (_, result) = mpsc::channel();
        PendingBlock(result)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::transforms::testing::noise;

    #[test]
    fn a_block_whose_thread_stopped_is_an_error() {
        let lost = "a compressing thread stopped unexpectedly";
        assert_eq!(
            PendingBlock::lost().try_take().unwrap_err().to_string(),
            lost
        );
        assert_eq!(PendingBlock::lost().wait().unwrap_err().to_string(), lost);
    }

    #[test]
    fn blocks_but_the_last_end_with_a_sync_flush() {
        let mut scratch = Vec::new();
        let input = Bytes::from(b"hello, hello, hello".repeat(100));
        for (last, end) in [(false, [0, 0, 0xff, 0xff]), (true, [0; 4])] {
            let block = Block {
                input: input.clone(),
                dictionary: Bytes::from_static(b"hello, "),
                last,
            };
            let compressed = compress_block(Compression::new(6), &mut scratch, &block).unwrap();
            let tail = &compressed.deflate[compressed.deflate.len() - 4..];
            assert_eq!(tail == end, !last, "last: {last}");
            assert_eq!(compressed.crc.amount() as usize, input.len());
            let mut inflate = flate2::Decompress::new(false);
            inflate.set_dictionary(b"hello, ").unwrap();
            let mut back = Vec::with_capacity(input.len());
            inflate
                .decompress_vec(
                    &compressed.deflate,
                    &mut back,
                    flate2::FlushDecompress::Sync,
                )
                .unwrap();
            assert_eq!(back, input);
        }
    }

    #[test]
    fn incompressible_blocks_grow_the_output_room() {
        let mut scratch = Vec::new();
        let noise = noise(100_000, 1);
        let block = Block {
            input: Bytes::from(noise.clone()),
            dictionary: Bytes::new(),
            last: true,
        };
        let compressed = compress_block(Compression::new(6), &mut scratch, &block).unwrap();
        assert!(compressed.deflate.len() > noise.len());
        let mut back = Vec::new();
        flate2::read::DeflateDecoder::new(&compressed.deflate[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, noise);
    }
}
