//! [`Decompress`]: the decompressing transforms (`gunzip`, `unzstd`, ...,
//! and `decompress`, which detects the codec).

use std::fmt;
use std::task::{Context, Poll};

#[cfg(feature = "brotli")]
use async_compression::codecs::BrotliDecoder;
#[cfg(feature = "bzip2")]
use async_compression::codecs::BzDecoder;
use async_compression::codecs::DecodeV2;
#[cfg(feature = "xz")]
use async_compression::codecs::XzDecoder;
#[cfg(feature = "zstd")]
use async_compression::codecs::ZstdDecoder;
#[cfg(feature = "gzip")]
use async_compression::codecs::{DeflateDecoder, GzipDecoder, ZlibDecoder};
use async_compression::core::util::PartialBuffer;
#[cfg(feature = "zstd")]
use async_compression::zstd::DParameter;
use bytes::Bytes;

use super::Codec;
use super::detect::{Detection, Sniff, detect_prefix};
use super::input::InputQueue;
use super::output::OutputBuffer;
use super::pump::{Pump, Step};
use crate::Push;
use crate::Transform;
use crate::{Error, ErrorKind, Result};

/// Decompresses a byte stream (`smerge pipe -t gunzip`, `-t unzstd`, ...),
/// or, made with [`detect`](Decompress::detect), whatever compressed data
/// it recognises (`-t decompress`); the inverse of
/// [`Compress`](super::Compress).
///
/// Every member, frame or stream is decoded: gzip members, zstd frames
/// (skippable frames are skipped), bzip2 streams and xz streams (with their
/// padding) may follow one another, as `cat a.gz b.gz` makes them, and the
/// output is their contents one after the other. zlib, raw deflate and
/// brotli data are one stream each.
///
/// Output comes in chunks of at most 64 KiB, and the decoder stops whenever
/// the readable side is full, keeping the rest of its input until there is
/// room: one written chunk that expands to gigabytes is produced piece by
/// piece as the consumer reads, and memory stays bounded by the
/// highWaterMarks.
///
/// The stream fails with [`InvalidData`](ErrorKind::InvalidData), naming the
/// codec and an input byte offset:
///
/// - when the data is corrupt (a checksum does not match, a header is
///   invalid), or does not start with the codec's magic number;
/// - when the input ends inside a member, frame or stream, or is empty;
/// - when anything but another member, frame or stream follows the end of
///   one. `gzip -d` and `bzip2 -d` warn about such "trailing garbage" and
///   ignore it; smerge refuses it, as `zstd -d` and `xz -d` do, because it
///   is more often a damaged file than a harmless one. Zero bytes after the
///   last gzip member, which `gzip -d` accepts silently (tape padding), are
///   accepted; so is xz stream padding, a multiple of 4 zero bytes.
///
/// Output decoded before an error has been pushed.
///
/// # Detecting the codec
///
/// [`Decompress::detect`] looks at the first bytes of the stream (up to
/// [`Codec::MAX_MAGIC_LEN`], waiting for them if they arrive
/// in small chunks) and decodes gzip, zstd, xz or bzip2 data by its magic
/// number, as [`Codec::detect`] does. Anything else, including empty input,
/// passes through untouched, chunk for chunk. The decision is made once, at
/// the start: gzip data followed by plain text is an error, not gzip then
/// text.
///
/// # Memory
///
/// What a decoder may allocate is bounded by a memory limit,
/// [`DEFAULT_MEMORY_LIMIT`] (256 MiB) unless
/// [`with_memory_limit`](Decompress::with_memory_limit) says otherwise, as
/// `xz --memlimit-decompress` and `zstd -d --memory` bound theirs: data
/// that asks for more (an xz dictionary, a zstd or brotli window) fails with
/// [`InvalidData`](ErrorKind::InvalidData) before the memory is taken, so a
/// small file cannot make smerge allocate gigabytes. zstd windows are
/// checked against the limit from the frame header; a frame without a
/// window size in its header (a single-segment frame, which gives its
/// content size instead) is held to the smallest power of two at or above
/// the limit. gzip, zlib, raw deflate and bzip2 need a few MiB at most, and
/// are not limited.
///
/// Not promised: the byte offset of corrupt data is where the decoder was
/// given the input that it found corrupt, so the damage is at or after it.
/// Legacy `.lzma` files are not read by `unxz`.
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
/// let a = Readable::from_iter([Bytes::from("first ")])
///     .pipe(Compress::new(Codec::Zstd))
///     .to_bytes()
///     .await?;
/// let b = Readable::from_iter([Bytes::from("second")])
///     .pipe(Compress::new(Codec::Zstd))
///     .to_bytes()
///     .await?;
///
/// // Two frames, as `cat a.zst b.zst` gives them.
/// let both = Readable::from_iter([a, b])
///     .pipe(Decompress::new(Codec::Zstd))
///     .to_bytes()
///     .await?;
/// assert_eq!(both, "first second");
///
/// // Plain text passes through `decompress`.
/// let text = Readable::from_iter([Bytes::from("not compressed")])
///     .pipe(Decompress::detect())
///     .to_bytes()
///     .await?;
/// assert_eq!(text, "not compressed");
/// # Ok(())
/// # }
/// ```
pub struct Decompress {
    mode: Mode,
    pump: Pump,
    memory_limit: u64,
    /// The data broke off: the error waits until what was decoded before
    /// it has been read, so that none of it is lost (as `zcat` prints it).
    failed: Option<Error>,
}

/// The memory a decoder may use unless told otherwise: 256 MiB, enough for
/// every xz preset (`xz -9` needs 65 MiB) and zstd's largest default
/// window (128 MiB), far less than a hostile header can ask for.
pub const DEFAULT_MEMORY_LIMIT: u64 = 256 << 20;

enum Mode {
    /// Waiting for enough bytes to recognise a magic number.
    Detecting,
    /// No known magic number: every chunk passes through.
    PassThrough,
    /// Decoding one codec's data.
    Decoding(StreamDecoder),
    /// The codec is not built in: the first step fails.
    Unavailable(Codec),
}

impl Mode {
    /// Decoding `codec`, if it is built in.
    fn decoding(codec: Codec, memory_limit: u64) -> Mode {
        match StreamDecoder::new(codec, memory_limit) {
            Some(decoder) => Mode::Decoding(decoder),
            None => Mode::Unavailable(codec),
        }
    }
}

impl Decompress {
    /// Decompresses `codec` data.
    pub fn new(codec: Codec) -> Decompress {
        Decompress::with_mode(Mode::decoding(codec, DEFAULT_MEMORY_LIMIT))
    }

    /// Sets the memory the decoder may use, in bytes (default
    /// [`DEFAULT_MEMORY_LIMIT`]); see [Memory](Decompress#memory).
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::Bytes;
    /// use smerge::{Readable, ReadableExt};
    /// use smerge::transforms::{Codec, Decompress};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> smerge::Result<()> {
    /// // A zstd frame whose header asks for a 512 MiB window, holding
    /// // `hello` in one raw block.
    /// let frame = Bytes::from_static(b"\x28\xb5\x2f\xfd\x00\x98\x29\x00\x00hello");
    /// let refused = Readable::from_iter([frame.clone()])
    ///     .pipe(Decompress::new(Codec::Zstd))
    ///     .to_bytes()
    ///     .await
    ///     .unwrap_err();
    /// assert!(format!("{refused:#}").contains("a window of 512 MiB"));
    ///
    /// let hello = Readable::from_iter([frame])
    ///     .pipe(Decompress::new(Codec::Zstd).with_memory_limit(1 << 30))
    ///     .to_bytes()
    ///     .await?;
    /// assert_eq!(hello, "hello");
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_memory_limit(mut self, bytes: u64) -> Decompress {
        self.memory_limit = bytes;
        if let Mode::Decoding(decoder) = &self.mode {
            self.mode = Mode::decoding(decoder.codec, bytes);
        }
        self
    }

    /// The memory the decoder may use, in bytes.
    pub fn memory_limit(&self) -> u64 {
        self.memory_limit
    }

    /// Decompresses gzip, zstd, xz or bzip2 data recognised by its magic
    /// number, and passes anything else through (`-t decompress`); see
    /// [Detecting the codec](Decompress#detecting-the-codec).
    pub fn detect() -> Decompress {
        Decompress::with_mode(Mode::Detecting)
    }

    fn with_mode(mode: Mode) -> Decompress {
        Decompress {
            mode,
            pump: Pump::default(),
            memory_limit: DEFAULT_MEMORY_LIMIT,
            failed: None,
        }
    }

    /// The codec being decoded: the one given to [`new`](Decompress::new),
    /// or the one [`detect`](Decompress::detect) recognised; `None` while
    /// detecting, and when the data passes through.
    pub fn codec(&self) -> Option<Codec> {
        match &self.mode {
            Mode::Decoding(decoder) => Some(decoder.codec),
            Mode::Unavailable(codec) => Some(*codec),
            Mode::Detecting | Mode::PassThrough => None,
        }
    }

    /// Works through the input until it needs more, or everything is done,
    /// or the readable side is full.
    /// Runs the codec, keeping its error for [`poll_ready`](Transform::poll_ready).
    fn run_until_failed(&mut self, out: &mut Push<'_, Bytes>) {
        if let Err(error) = self.run(out) {
            self.failed = Some(error);
        }
    }

    fn run(&mut self, out: &mut Push<'_, Bytes>) -> Result<()> {
        let mode = &mut self.mode;
        let memory_limit = self.memory_limit;
        self.pump.run(out, |pump, out| match mode {
            Mode::Detecting => Ok(match detect_mode(pump, memory_limit) {
                Some(detected) => {
                    *mode = detected;
                    Step::Continue
                }
                None => Step::Wait,
            }),
            Mode::PassThrough => Ok(match pump.input.pop() {
                Some(chunk) => {
                    if out.push(chunk) {
                        Step::Continue
                    } else {
                        Step::Blocked
                    }
                }
                None => Step::Wait,
            }),
            Mode::Decoding(decoder) => {
                decoder.step(&mut pump.input, &mut pump.output, pump.input_ended)
            }
            Mode::Unavailable(codec) => Err(codec.unavailable()),
        })
    }
}

/// The mode the first bytes of the input call for, or `None` while more
/// are needed to tell.
fn detect_mode(pump: &Pump, memory_limit: u64) -> Option<Mode> {
    let mut prefix = [0; Codec::MAX_MAGIC_LEN];
    let len = pump.input.peek(&mut prefix);
    match detect_prefix(&prefix[..len]) {
        Detection::NeedMore if !pump.input_ended => None,
        Detection::Found(codec) => Some(Mode::decoding(codec, memory_limit)),
        Detection::NeedMore | Detection::NotFound => Some(Mode::PassThrough),
    }
}

impl Transform for Decompress {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
        self.pump.write(chunk);
        self.run_until_failed(out);
        Ok(())
    }

    fn flush(&mut self, out: &mut Push<'_, Bytes>) -> Result<()> {
        self.pump.end();
        self.run_until_failed(out);
        Ok(())
    }

    fn poll_ready(&mut self, _cx: &mut Context<'_>, out: &mut Push<'_, Bytes>) -> Poll<Result<()>> {
        // Output held back for want of room goes on once there is room;
        // the duplex polls again when its consumer has read.
        while self.failed.is_none() && self.pump.is_blocked() {
            if !out.has_room() {
                return Poll::Pending;
            }
            self.run_until_failed(out);
        }
        match self.failed.take() {
            // The error ends the stream and drops what it buffered: it
            // waits until the consumer has read everything before it.
            Some(error) if out.buffered() > 0 => {
                self.failed = Some(error);
                Poll::Pending
            }
            Some(error) => Poll::Ready(Err(error)),
            None => Poll::Ready(Ok(())),
        }
    }
}

impl fmt::Debug for Decompress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match &self.mode {
            Mode::Detecting => "detecting",
            Mode::PassThrough => "passing through",
            Mode::Decoding(_) => "decoding",
            Mode::Unavailable(_) => "not built in",
        };
        f.debug_struct("Decompress")
            .field("codec", &self.codec())
            .field("mode", &mode)
            .field("consumed", &self.pump.input.consumed())
            .field("input_ended", &self.pump.input_ended)
            .finish_non_exhaustive()
    }
}

/// Decodes the members, frames or streams of one codec, one after the other.
struct StreamDecoder {
    codec: Codec,
    memory_limit: u64,
    decoder: Box<dyn DecodeV2 + Send>,
    position: Position,
    /// The last call filled the output, so the codec may hold more.
    holds_output: bool,
}

#[derive(Clone, Copy, Debug)]
enum Position {
    /// Where a member may start; `first` if none was decoded yet. `padding`
    /// counts the zero bytes skipped since the last xz stream.
    BeforeMember {
        first: bool,
        padding: u64,
    },
    InMember,
    /// Zero bytes after the last gzip member, from input byte `start`.
    TrailingZeros {
        start: u64,
    },
    /// After data that nothing may follow (zlib, deflate, brotli).
    AfterEnd,
}

impl StreamDecoder {
    /// A decoder of `codec`, or `None` if this build left the codec out.
    fn new(codec: Codec, memory_limit: u64) -> Option<StreamDecoder> {
        let decoder = codec_decoder(codec, memory_limit)?;
        Some(StreamDecoder {
            codec,
            memory_limit,
            decoder,
            position: Position::BeforeMember {
                first: true,
                padding: 0,
            },
            holds_output: false,
        })
    }

    fn step(
        &mut self,
        input: &mut InputQueue,
        output: &mut OutputBuffer,
        input_ended: bool,
    ) -> Result<Step> {
        match self.position {
            Position::BeforeMember { first, padding } => {
                self.start_member(first, padding, input, input_ended)
            }
            Position::InMember => self.decode(input, output, input_ended),
            Position::TrailingZeros { start } => {
                input.skip_zeros();
                if input.is_empty() {
                    Ok(Step::Wait)
                } else {
                    Err(self.trailing_data(start))
                }
            }
            Position::AfterEnd => {
                if input.is_empty() {
                    Ok(Step::Wait)
                } else {
                    Err(self.trailing_data(input.consumed()))
                }
            }
        }
    }

    /// Checks that the input goes on with a member of the codec.
    fn start_member(
        &mut self,
        first: bool,
        padding: u64,
        input: &mut InputQueue,
        input_ended: bool,
    ) -> Result<Step> {
        let offset = input.consumed();
        if !first && input.front().first() == Some(&0) {
            match self.codec {
                Codec::Xz => {
                    self.position = Position::BeforeMember {
                        first,
                        padding: padding + input.skip_zeros(),
                    };
                    return Ok(Step::Continue);
                }
                Codec::Gzip => {
                    self.position = Position::TrailingZeros { start: offset };
                    return Ok(Step::Continue);
                }
                _ => {}
            }
        }
        let mut prefix = [0; Codec::MAX_MAGIC_LEN];
        let len = input.peek(&mut prefix);
        let prefix = &prefix[..len];
        match self.codec.sniff(prefix) {
            Sniff::NeedMore if !input_ended => return Ok(Step::Wait),
            // A zstd frame's window descriptor follows its magic number.
            Sniff::Match if self.codec == Codec::Zstd && len < ZSTD_WINDOW_END && !input_ended => {
                return Ok(Step::Wait);
            }
            Sniff::Match => {
                if let Some(window) = window_size(self.codec, prefix)
                    && window > self.memory_limit
                {
                    return Err(self.over_memory_limit(Some(window)));
                }
            }
            Sniff::NeedMore | Sniff::NoMatch if !first && prefix.is_empty() => {
                // The input ended after a complete member.
                self.check_padding(padding, offset)?;
                return Ok(Step::Wait);
            }
            Sniff::NeedMore | Sniff::NoMatch => {
                let codec = self.codec;
                return Err(if !first {
                    self.trailing_data(offset)
                } else if prefix.is_empty() {
                    invalid_data(format!(
                        "unexpected end of {codec} data: the input is empty"
                    ))
                } else {
                    invalid_data(format!("not {codec} data: it starts with {}", hex(prefix)))
                });
            }
        }
        self.check_padding(padding, offset)?;
        if !first {
            self.decoder
                .reinit()
                .map_err(|err| self.corrupt(&err, offset))?;
        }
        self.position = Position::InMember;
        Ok(Step::Continue)
    }

    /// Decodes the input, or drains output the codec holds.
    fn decode(
        &mut self,
        input: &mut InputQueue,
        output: &mut OutputBuffer,
        input_ended: bool,
    ) -> Result<Step> {
        let chunk = input.front();
        if chunk.is_empty() && !self.holds_output {
            if !input_ended {
                return Ok(Step::Wait);
            }
            return if self.probe_end(output) {
                self.end_member();
                Ok(Step::Continue)
            } else {
                Err(self.truncated(input.consumed()))
            };
        }
        let offset = input.consumed();
        let draining = chunk.is_empty();
        let drain_by_flushing = draining && self.drains_by_flushing();
        let decoder = &mut self.decoder;
        let mut source = PartialBuffer::new(chunk);
        let (result, written, filled) = output.write(|space| {
            let result = if drain_by_flushing {
                decoder.flush(space).map(|_| false)
            } else {
                decoder.decode(&mut source, space)
            };
            (result, space.written_len(), space.has_no_spare_space())
        });
        let consumed = source.written_len();
        input.advance(consumed);
        let done = result.map_err(|err| self.corrupt(&err, offset))?;
        self.holds_output = filled && !done;
        if done {
            self.end_member();
        } else if !draining && consumed == 0 && written == 0 && !filled {
            return Err(self.corrupt(&"the decoder made no progress", offset));
        }
        Ok(Step::Continue)
    }

    /// Whether the codec's data is complete once the input has ended and
    /// all its output was drained. This asks the codec once more with no
    /// input, which also notices an end reached while draining by flushing.
    fn probe_end(&mut self, output: &mut OutputBuffer) -> bool {
        let decoder = &mut self.decoder;
        output
            .write(|space| decoder.decode(&mut PartialBuffer::new(&[][..]), space))
            .unwrap_or(false)
    }

    /// The flate decoders fail when asked to decode without input and
    /// nothing to do, so their held output is drained with `flush`, which
    /// does not.
    fn drains_by_flushing(&self) -> bool {
        matches!(self.codec, Codec::Gzip | Codec::Zlib | Codec::Deflate)
    }

    fn end_member(&mut self) {
        self.holds_output = false;
        self.position = if self.codec.is_concatenable() {
            Position::BeforeMember {
                first: false,
                padding: 0,
            }
        } else {
            Position::AfterEnd
        };
    }

    /// xz streams may be separated or followed by zero bytes, a multiple of
    /// 4 of them.
    fn check_padding(&self, padding: u64, offset: u64) -> Result<()> {
        if padding.is_multiple_of(4) {
            return Ok(());
        }
        Err(invalid_data(format!(
            "invalid xz data: the {padding} bytes of stream padding before input byte {offset} \
             are not a multiple of 4"
        )))
    }

    fn corrupt(&self, cause: &dyn fmt::Display, offset: u64) -> Error {
        let cause = cause.to_string();
        // What liblzma and zstd say when a header asks for more memory
        // than they were allowed.
        if cause.contains("memory limit reached")
            || cause.contains("Frame requires too much memory")
        {
            return self.over_memory_limit(None);
        }
        invalid_data(format!(
            "invalid {} data at or after input byte {offset}: {cause}",
            self.codec
        ))
    }

    /// The error for data that needs more memory than the limit: `window`
    /// bytes of it when the header says.
    fn over_memory_limit(&self, window: Option<u64>) -> Error {
        let needs = match window {
            Some(window) => format!("a window of {}", show_size(window)),
            None => "more memory".to_owned(),
        };
        invalid_data(format!(
            "{} data needs {needs} to decode, over the memory limit of {} (--memlimit raises it)",
            self.codec,
            show_size(self.memory_limit)
        ))
    }

    fn truncated(&self, offset: u64) -> Error {
        invalid_data(format!(
            "unexpected end of {} data: the input ends inside a {} (after {offset} bytes)",
            self.codec,
            self.codec.unit_name()
        ))
    }

    fn trailing_data(&self, offset: u64) -> Error {
        invalid_data(format!(
            "unexpected data after the end of the {} data, at input byte {offset}",
            self.codec
        ))
    }
}

/// The codec's decoder, or `None` if this build left the codec out.
#[cfg_attr(not(feature = "codecs"), allow(unused_variables))]
fn codec_decoder(codec: Codec, memory_limit: u64) -> Option<Box<dyn DecodeV2 + Send>> {
    match codec {
        #[cfg(feature = "gzip")]
        Codec::Gzip => Some(Box::new(GzipDecoder::new())),
        #[cfg(feature = "gzip")]
        Codec::Zlib => Some(Box::new(ZlibDecoder::new())),
        #[cfg(feature = "gzip")]
        Codec::Deflate => Some(Box::new(DeflateDecoder::new())),
        #[cfg(feature = "zstd")]
        Codec::Zstd => Some(Box::new(ZstdDecoder::new_with_params(&[
            DParameter::window_log_max(zstd_window_log_max(memory_limit)),
        ]))),
        #[cfg(feature = "brotli")]
        Codec::Brotli => Some(Box::new(BrotliDecoder::new())),
        #[cfg(feature = "bzip2")]
        Codec::Bzip2 => Some(Box::new(BzDecoder::new())),
        #[cfg(feature = "xz")]
        Codec::Xz => Some(Box::new(XzDecoder::with_memlimit(memory_limit))),
        #[allow(unreachable_patterns)] // every codec built in
        _ => None,
    }
}

/// How many bytes of a zstd frame hold its magic number, frame header
/// descriptor and window descriptor.
const ZSTD_WINDOW_END: usize = 6;

/// The window a member starting with `prefix` asks for, when its header
/// says: a zstd frame's window descriptor, a brotli stream's window bits.
fn window_size(codec: Codec, prefix: &[u8]) -> Option<u64> {
    match codec {
        Codec::Zstd => {
            let (magic, header) = prefix.split_at_checked(4)?;
            let single_segment = header.first()? & 0x20 != 0;
            if magic != [0x28, 0xb5, 0x2f, 0xfd] || single_segment {
                return None;
            }
            let descriptor = header.get(1)?;
            let log = 10 + u32::from(descriptor >> 3);
            let base = 1u64 << log;
            Some(base + base / 8 * u64::from(descriptor & 7))
        }
        Codec::Brotli => {
            // RFC 7932, 9.1: WBITS in the first 1, 4 or 7 bits.
            let first = *prefix.first()?;
            let bits = if first & 1 == 0 {
                16
            } else {
                match (first >> 1) & 7 {
                    0 => match (first >> 4) & 7 {
                        0 => 17,
                        // Large windows: refused by the decoder anyway.
                        1 => return None,
                        n => 8 + u32::from(n),
                    },
                    n => 17 + u32::from(n),
                }
            };
            // 16 bytes less than this, with a ring buffer as large.
            Some(1 << bits)
        }
        _ => None,
    }
}

/// The largest zstd window log a decoder with `memory_limit` may accept:
/// the smallest power of two at or above the limit (frame headers are
/// checked against the limit itself), within what zstd accepts.
#[cfg(feature = "zstd")]
pub(super) fn zstd_window_log_max(memory_limit: u64) -> u32 {
    let log = 64 - memory_limit.saturating_sub(1).leading_zeros();
    log.clamp(10, 31)
}

/// `bytes` in the largest binary unit that shows it whole, or in MiB with
/// a fraction: `256 MiB`, `1 GiB`, `1536 KiB`.
fn show_size(bytes: u64) -> String {
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
    } else {
        format!("{bytes} bytes")
    }
}

fn invalid_data(message: String) -> Error {
    Error::new(ErrorKind::InvalidData, message)
}

/// `bytes` as lowercase hexadecimal pairs: `1f 8b 08`.
fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}
