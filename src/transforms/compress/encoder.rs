//! [`Compress`]: the compressing transforms (`gzip`, `zstd`, `xz`, ...).

use std::fmt;
use std::io;
use std::num::NonZeroUsize;

use async_compression::Level;
use async_compression::codecs::{
    BrotliEncoder, BzEncoder, DeflateEncoder, EncodeV2, GzipEncoder, XzEncoder, ZlibEncoder,
    ZstdEncoder,
};
use async_compression::core::util::PartialBuffer;
use async_compression::{brotli, zstd};
use bytes::Bytes;

use super::Codec;
use super::input::InputQueue;
use super::output::OutputBuffer;
use crate::buffer::Push;
use crate::error::{Error, Result};
use crate::transform::Transform;

/// The window of brotli's command-line tool: 2^24 bytes (16 MiB), where
/// brotli's library defaults to 2^22.
const BROTLI_WINDOW_LOG: i32 = 24;

/// Compresses a byte stream (`smerge pipe -t gzip`, `-t zstd:19`, ...); the
/// inverse of [`Decompress`](super::Decompress).
///
/// The output is one gzip member, zstd frame, or stream of the codec's
/// format, which the codec's command-line tool decompresses. zstd frames
/// carry a checksum of their content, as the `zstd` tool writes them; xz
/// streams a CRC-64, as `xz` writes them.
///
/// Output comes in chunks of at most 64 KiB. When the readable side is full
/// the transform stops and keeps the rest of its input until there is room,
/// so a large written chunk does not become a large buffered output.
///
/// zstd compresses on every core by default (as `zstd -T0`), in threads of
/// its own, and its output then comes in bursts as each thread finishes a
/// job of several megabytes; [`with_threads`](Compress::with_threads)
/// changes that.
/// The other codecs compress on the thread that drives the stream. Like
/// their tools, some need much memory: about 100 MB for xz at level 6, and a
/// 16 MiB window for brotli.
///
/// Not promised: the same bytes as the command-line tools write (header
/// fields such as gzip's operating system byte differ, and a different
/// number of threads gives different zstd output); a gzip header with a file
/// name or modification time.
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::Readable;
/// use smerge::transforms::{Codec, Compress, Decompress};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let text = Bytes::from("hello, hello, hello, hello");
/// let gzip = Readable::from_iter([text.clone()])
///     .pipe(Compress::with_level(Codec::Gzip, 9)?)
///     .to_bytes()
///     .await?;
/// assert_eq!(&gzip[..2], b"\x1f\x8b");
///
/// let back = Readable::from_iter([gzip])
///     .pipe(Decompress::new(Codec::Gzip))
///     .to_bytes()
///     .await?;
/// assert_eq!(back, text);
/// # Ok(())
/// # }
/// ```
pub struct Compress {
    codec: Codec,
    level: u32,
    threads: usize,
    /// Made on first use, so that an unused transform holds no codec memory.
    encoder: Option<Box<dyn EncodeV2 + Send>>,
    input: InputQueue,
    output: OutputBuffer,
    state: State,
    /// The last run stopped because the readable side was full.
    blocked: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Compressing written chunks.
    Encoding,
    /// The input ended: writing the end of the compressed data.
    Finishing,
    /// Everything was written.
    Finished,
}

impl Compress {
    /// Compresses with `codec` at its [default level](Codec::default_level).
    pub fn new(codec: Codec) -> Compress {
        Compress {
            codec,
            level: codec.default_level(),
            threads: default_threads(codec),
            encoder: None,
            input: InputQueue::default(),
            output: OutputBuffer::default(),
            state: State::Encoding,
            blocked: false,
        }
    }

    /// Compresses with `codec` at `level`, or fails with
    /// [`InvalidArgument`](crate::ErrorKind::InvalidArgument) if the codec has no
    /// such level (see [`Codec::levels`]).
    pub fn with_level(codec: Codec, level: u32) -> Result<Compress> {
        Ok(Compress {
            level: codec.check_level(level)?,
            ..Compress::new(codec)
        })
    }

    /// Sets how many threads compress: zstd uses `threads` threads of its
    /// own when it is 2 or more, and compresses on the stream's thread when
    /// it is 0 or 1. The other codecs always compress on the stream's thread.
    ///
    /// The default is every core for zstd
    /// ([`available_parallelism`](std::thread::available_parallelism)), and
    /// 1 for the other codecs.
    pub fn with_threads(mut self, threads: usize) -> Compress {
        self.threads = threads;
        self
    }

    /// The codec.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// The compression level.
    pub fn level(&self) -> u32 {
        self.level
    }

    /// The number of threads; see [`with_threads`](Compress::with_threads).
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Compresses input and writes the end of the data once the input has
    /// ended, until everything is pushed or the readable side is full.
    fn run(&mut self, out: &mut Push<'_, Bytes>) -> Result<()> {
        self.blocked = false;
        let (codec, level, threads) = (self.codec, self.level, self.threads);
        let encoder = self
            .encoder
            .get_or_insert_with(|| new_encoder(codec, level, threads));
        loop {
            match self.state {
                State::Encoding => {
                    let chunk = self.input.front();
                    if chunk.is_empty() {
                        break;
                    }
                    let mut input = PartialBuffer::new(chunk);
                    let (result, written) = self.output.write(|space| {
                        let result = encoder.encode(&mut input, space);
                        (result, space.written_len())
                    });
                    result.map_err(|err| encoder_error(codec, err))?;
                    let consumed = input.written_len();
                    if consumed == 0 && written == 0 && !self.output.is_full() {
                        let stuck = io::Error::other("the encoder made no progress");
                        return Err(encoder_error(codec, stuck));
                    }
                    self.input.advance(consumed);
                }
                State::Finishing => {
                    let result = self.output.write(|space| encoder.finish(space));
                    if result.map_err(|err| encoder_error(codec, err))? {
                        self.state = State::Finished;
                    }
                }
                State::Finished => break,
            }
            if self.output.is_full() && !out.push(self.output.take()) {
                self.blocked = true;
                return Ok(());
            }
        }
        if !self.output.is_empty() {
            out.push(self.output.take());
        }
        Ok(())
    }
}

impl Transform for Compress {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
        self.input.push(chunk);
        self.run(out)
    }

    fn flush(&mut self, out: &mut Push<'_, Bytes>) -> Result<()> {
        self.state = State::Finishing;
        self.run(out)
    }

    fn has_pending(&self) -> bool {
        self.blocked
    }

    fn resume(&mut self, out: &mut Push<'_, Bytes>) -> Result<()> {
        self.run(out)
    }
}

impl fmt::Debug for Compress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compress")
            .field("codec", &self.codec)
            .field("level", &self.level)
            .field("threads", &self.threads)
            .field("state", &self.state)
            .field("consumed", &self.input.consumed())
            .finish_non_exhaustive()
    }
}

/// Every core for zstd, one thread for the others.
fn default_threads(codec: Codec) -> usize {
    match codec {
        Codec::Zstd => std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
        _ => 1,
    }
}

fn new_encoder(codec: Codec, level: u32, threads: usize) -> Box<dyn EncodeV2 + Send> {
    // Levels were checked against `Codec::levels`, which all fit an i32.
    let level = Level::Precise(level as i32);
    match codec {
        Codec::Gzip => Box::new(GzipEncoder::new(level.into())),
        Codec::Zlib => Box::new(ZlibEncoder::new(level.into())),
        Codec::Deflate => Box::new(DeflateEncoder::new(level.into())),
        Codec::Zstd => {
            // One worker thread would only add a hand-off: 0 compresses here.
            let workers = if threads >= 2 { threads as u32 } else { 0 };
            let params = [
                zstd::CParameter::nb_workers(workers),
                zstd::CParameter::checksum_flag(true),
            ];
            Box::new(ZstdEncoder::new_with_params(
                zstd::CParameter::quality(level),
                &params,
            ))
        }
        Codec::Brotli => Box::new(BrotliEncoder::new(
            brotli::EncoderParams::default()
                .quality(level)
                .window_size(BROTLI_WINDOW_LOG),
        )),
        Codec::Bzip2 => Box::new(BzEncoder::new(level.into(), 0)),
        Codec::Xz => Box::new(XzEncoder::new(level)),
    }
}

/// A failure of the compression library (out of memory, most likely): an
/// [`Io`](crate::ErrorKind::Io) error naming the codec.
fn encoder_error(codec: Codec, cause: io::Error) -> Error {
    Error::io(io::Error::new(
        cause.kind(),
        format!("{codec} compression failed: {cause}"),
    ))
}
