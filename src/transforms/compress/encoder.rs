//! [`Compress`]: the compressing transforms (`gzip`, `zstd`, `xz`, ...).

use std::fmt;
use std::io;
use std::num::NonZeroUsize;
use std::task::{Context, Poll};

use async_compression::Level;
#[cfg(feature = "brotli")]
use async_compression::brotli;
#[cfg(feature = "brotli")]
use async_compression::codecs::BrotliEncoder;
#[cfg(feature = "bzip2")]
use async_compression::codecs::BzEncoder;
use async_compression::codecs::EncodeV2;
#[cfg(feature = "xz")]
use async_compression::codecs::XzEncoder;
#[cfg(feature = "zstd")]
use async_compression::codecs::ZstdEncoder;
#[cfg(feature = "gzip")]
use async_compression::codecs::{DeflateEncoder, GzipEncoder, ZlibEncoder};
use async_compression::core::util::PartialBuffer;
#[cfg(feature = "zstd")]
use async_compression::zstd;
use bytes::Bytes;

use super::Codec;
#[cfg(feature = "gzip")]
use super::parallel_gzip::ParallelGzipEncoder;
use super::pump::{Pump, Step};
use crate::Push;
use crate::Transform;
use crate::{Error, Result};

/// The window of brotli's command-line tool: 2^24 bytes (16 MiB), where
/// brotli's library defaults to 2^22.
#[cfg(feature = "brotli")]
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
/// gzip and zstd compress on every core by default, in threads of their
/// own, and their output then comes in bursts as each thread finishes a
/// block: 128 KiB of input for gzip, which stays one gzip member (as `pigz`
/// writes it, about 0.1 % larger than on one thread), several megabytes for
/// zstd (as `zstd -T0`); [`with_threads`](Compress::with_threads) changes
/// that. While every thread is busy, the stream's thread waits for the
/// oldest block, about a millisecond for gzip.
/// The other codecs compress on the thread that drives the stream. Like
/// their tools, some need much memory: about 100 MB for xz at level 6, and a
/// 16 MiB window for brotli.
///
/// Not promised: the same bytes as the command-line tools write (header
/// fields such as gzip's operating system byte differ, a different number
/// of threads gives different zstd output, and one thread different gzip
/// output than several); a gzip header with a file name or modification
/// time.
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::{Readable, ReadableExt};
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
    pump: Pump,
    /// The end of the compressed data was written.
    finished: bool,
}

impl Compress {
    /// Compresses with `codec` at its [default level](Codec::default_level).
    pub fn new(codec: Codec) -> Compress {
        Compress {
            codec,
            level: codec.default_level(),
            threads: default_threads(codec),
            encoder: None,
            pump: Pump::default(),
            finished: false,
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

    /// Sets how many threads compress: gzip and zstd use `threads` threads
    /// of their own when it is 2 or more, and compress on the stream's
    /// thread when it is 0 or 1. The other codecs always compress on the
    /// stream's thread.
    ///
    /// The default is every core for gzip and zstd
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
        let (codec, level, threads) = (self.codec, self.level, self.threads);
        let encoder = match &mut self.encoder {
            Some(encoder) => encoder,
            empty => empty.insert(new_encoder(codec, level, threads)?),
        };
        let finished = &mut self.finished;
        self.pump.run(out, |pump, _| {
            if *finished {
                return Ok(Step::Wait);
            }
            let chunk = pump.input.front();
            if !chunk.is_empty() {
                let mut input = PartialBuffer::new(chunk);
                let (result, written) = pump.output.write(|space| {
                    let result = encoder.encode(&mut input, space);
                    (result, space.written_len())
                });
                result.map_err(|err| encoder_error(codec, err))?;
                let consumed = input.written_len();
                if consumed == 0 && written == 0 && !pump.output.is_full() {
                    let stuck = io::Error::other("the encoder made no progress");
                    return Err(encoder_error(codec, stuck));
                }
                pump.input.advance(consumed);
                return Ok(Step::Continue);
            }
            if !pump.input_ended {
                return Ok(Step::Wait);
            }
            let result = pump.output.write(|space| encoder.finish(space));
            *finished = result.map_err(|err| encoder_error(codec, err))?;
            Ok(Step::Continue)
        })
    }
}

impl Transform for Compress {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
        self.pump.write(chunk);
        self.run(out)
    }

    fn flush(&mut self, out: &mut Push<'_, Bytes>) -> Result<()> {
        self.pump.end();
        self.run(out)
    }

    fn poll_ready(&mut self, _cx: &mut Context<'_>, out: &mut Push<'_, Bytes>) -> Poll<Result<()>> {
        // Output held back for want of room goes on once there is room;
        // the duplex polls again when its consumer has read.
        while self.pump.is_blocked() {
            if !out.has_room() {
                return Poll::Pending;
            }
            self.run(out)?;
        }
        Poll::Ready(Ok(()))
    }
}

impl fmt::Debug for Compress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compress")
            .field("codec", &self.codec)
            .field("level", &self.level)
            .field("threads", &self.threads)
            .field("consumed", &self.pump.input.consumed())
            .field("input_ended", &self.pump.input_ended)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

/// Every core for gzip and zstd, one thread for the others.
fn default_threads(codec: Codec) -> usize {
    match codec {
        Codec::Gzip | Codec::Zstd => {
            std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
        }
        _ => 1,
    }
}

/// The encoder of `codec`, or an error if this build left the codec out.
fn new_encoder(codec: Codec, level: u32, threads: usize) -> Result<Box<dyn EncodeV2 + Send>> {
    #[cfg(feature = "gzip")]
    if codec == Codec::Gzip && threads >= 2 {
        return Ok(Box::new(ParallelGzipEncoder::new(level, threads)));
    }
    // Levels were checked against `Codec::levels`, which all fit an i32.
    codec_encoder(codec, Level::Precise(level as i32), threads).ok_or_else(|| codec.unavailable())
}

/// The codec's encoder on the stream's thread (zstd's with workers of its
/// own), or `None` if this build left the codec out.
#[cfg_attr(not(feature = "codecs"), allow(unused_variables))]
fn codec_encoder(codec: Codec, level: Level, threads: usize) -> Option<Box<dyn EncodeV2 + Send>> {
    match codec {
        #[cfg(feature = "gzip")]
        Codec::Gzip => Some(Box::new(GzipEncoder::new(level.into()))),
        #[cfg(feature = "gzip")]
        Codec::Zlib => Some(Box::new(ZlibEncoder::new(level.into()))),
        #[cfg(feature = "gzip")]
        Codec::Deflate => Some(Box::new(DeflateEncoder::new(level.into()))),
        #[cfg(feature = "zstd")]
        Codec::Zstd => {
            // One worker thread would only add a hand-off: 0 compresses here.
            let workers = if threads >= 2 { threads as u32 } else { 0 };
            let params = [
                zstd::CParameter::nb_workers(workers),
                zstd::CParameter::checksum_flag(true),
            ];
            Some(Box::new(ZstdEncoder::new_with_params(
                zstd::CParameter::quality(level),
                &params,
            )))
        }
        #[cfg(feature = "brotli")]
        Codec::Brotli => Some(Box::new(BrotliEncoder::new(
            brotli::EncoderParams::default()
                .quality(level)
                .window_size(BROTLI_WINDOW_LOG),
        ))),
        #[cfg(feature = "bzip2")]
        Codec::Bzip2 => Some(Box::new(BzEncoder::new(level.into(), 0))),
        #[cfg(feature = "xz")]
        Codec::Xz => Some(Box::new(XzEncoder::new(level))),
        #[allow(unreachable_patterns)] // every codec built in
        _ => None,
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
