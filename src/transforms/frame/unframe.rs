//! [`Unframe`]: the decoding transform of `unframe` and `unframe32`.

use bytes::{Bytes, BytesMut};
use tokio_util::codec::Decoder;

use super::FrameCodec;
use crate::Push;
use crate::Result;
use crate::Transform;

/// Joins length-prefixed packets back into the byte stream they carry
/// (`smerge pipe -t unframe`); the inverse of [`Frame`](super::Frame).
///
/// Packets may arrive split across chunks or glued together in one; the
/// unfinished tail of a chunk waits for the next. Each body is pushed as
/// soon as its packet is complete, without being copied again; empty
/// bodies push nothing. The packet layout is described in [`FrameCodec`].
///
/// The stream fails with [`InvalidData`](crate::ErrorKind::InvalidData),
/// naming the packet's byte offset in the input, when a serial number is not
/// the one after the previous packet's (the first is 0), when a header
/// declares a body above the limit (checked before any of it is buffered,
/// so memory stays bounded by the limit), or when the input ends inside a
/// packet. Bodies of the packets before the error have been pushed.
///
/// Not promised: the packets' contents are not checked (there is no
/// checksum), and a stream that ends exactly between two packets is
/// complete, even if the writer meant to send more.
///
/// # Examples
///
/// ```
/// use smerge::transforms::Unframe;
///
/// // `unframe`: 16-bit packets, bodies up to 65535 bytes.
/// assert_eq!(Unframe::new().codec().max_body_len(), 65535);
///
/// // `unframe32`: 32-bit packets, bodies up to 16 MiB.
/// let unframe = Unframe::wide();
/// assert_eq!(unframe.codec().header_len(), 8);
/// assert_eq!(unframe.codec().max_body_len(), 16 << 20);
/// ```
#[derive(Debug)]
pub struct Unframe {
    codec: FrameCodec,
    /// Input not yet decoded: at most one unfinished packet.
    buffer: BytesMut,
}

impl Unframe {
    /// Reads 16-bit packets (`unframe`), with bodies of up to 65535 bytes.
    pub fn new() -> Unframe {
        Unframe::with_codec(FrameCodec::new())
    }

    /// Reads 16-bit packets, rejecting bodies longer than `max` bytes. `max`
    /// must be between 1 and 65535, or the error is
    /// [`InvalidArgument`](crate::ErrorKind::InvalidArgument).
    pub fn with_max(max: usize) -> Result<Unframe> {
        Ok(Unframe::with_codec(
            FrameCodec::new().with_max_body_len(max)?,
        ))
    }

    /// Reads 32-bit packets (`unframe32`), rejecting bodies longer than
    /// 16 MiB.
    pub fn wide() -> Unframe {
        Unframe::with_codec(FrameCodec::wide())
    }

    /// Reads 32-bit packets, rejecting bodies longer than `max` bytes. `max`
    /// must be between 1 and 2^32 - 1, or the error is
    /// [`InvalidArgument`](crate::ErrorKind::InvalidArgument). A packet is
    /// held in memory until it is complete, so `max` bounds the memory used.
    pub fn wide_with_max(max: usize) -> Result<Unframe> {
        Ok(Unframe::with_codec(
            FrameCodec::wide().with_max_body_len(max)?,
        ))
    }

    fn with_codec(codec: FrameCodec) -> Unframe {
        Unframe {
            codec,
            buffer: BytesMut::new(),
        }
    }

    /// The codec that reads the packets, for its settings.
    pub fn codec(&self) -> &FrameCodec {
        &self.codec
    }
}

impl Default for Unframe {
    fn default() -> Unframe {
        Unframe::new()
    }
}

impl Transform for Unframe {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
        if self.buffer.is_empty() {
            // Takes the chunk's memory over when nothing else shares it.
            self.buffer = BytesMut::from(chunk);
        } else {
            self.buffer.extend_from_slice(&chunk);
        }
        while let Some(body) = self.codec.decode(&mut self.buffer)? {
            if !body.is_empty() {
                out.push(body);
            }
        }
        Ok(())
    }

    fn flush(&mut self, out: &mut Push<'_, Bytes>) -> Result<()> {
        while let Some(body) = self.codec.decode_eof(&mut self.buffer)? {
            if !body.is_empty() {
                out.push(body);
            }
        }
        Ok(())
    }
}
