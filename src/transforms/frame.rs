//! Length-prefixed packets: [`Frame`] cuts a byte stream into packets,
//! [`Unframe`] joins them back, [`FrameCodec`] does the work for both.
//!
//! A packet is a header and a body. The header holds the packet's serial
//! number, then the body's length in bytes, both unsigned big-endian
//! integers of 2 bytes (`frame`, `unframe`) or 4 bytes (`frame32`,
//! `unframe32`):
//!
//! ```text
//! +---------------+---------------+-------------------+
//! | serial number | body length N | body              |
//! | 2 or 4 bytes  | 2 or 4 bytes  | N bytes           |
//! +---------------+---------------+-------------------+
//! ```
//!
//! Serial numbers count up from 0 and wrap to 0 after 65535 (or 2^32 - 1).
//! This is the layout of the Node.js `Transcoder` that splits a TCP byte
//! stream into messages (Node's `buf.writeUInt16BE(serial)`,
//! `buf.writeUInt16BE(body.length, 2)`), so smerge reads its packets and
//! writes packets it reads.

mod codec;
mod unframe;

#[cfg(test)]
mod tests;

use bytes::{Bytes, BytesMut};
use tokio_util::codec::Encoder;

pub use codec::FrameCodec;
pub use unframe::Unframe;

use crate::Push;
use crate::Result;
use crate::Transform;

/// The default body limit of [`Frame::wide`]: 1 MiB.
const WIDE_DEFAULT_MAX_BODY_LEN: usize = 1 << 20;

/// Cuts a byte stream into length-prefixed packets (`smerge pipe -t frame`);
/// the inverse of [`Unframe`].
///
/// Each written chunk is framed as it comes: it becomes one packet, or
/// several if it is longer than the body limit, and they are pushed as one
/// output chunk. Empty chunks produce nothing. Serial numbers run on across
/// chunks. The packet layout is described in [`FrameCodec`].
///
/// Not promised: packet boundaries follow the chunks written in, so the
/// same bytes written in other chunks give other packets; only the bodies,
/// read back in order, are the same.
///
/// # Examples
///
/// ```
/// use smerge::ErrorKind;
/// use smerge::transforms::Frame;
///
/// # fn main() -> smerge::Result<()> {
/// // `frame:1024`: 16-bit packets of at most 1024 body bytes.
/// let frame = Frame::with_max(1024)?;
/// assert_eq!(frame.codec().max_body_len(), 1024);
/// assert_eq!(frame.codec().header_len(), 4);
///
/// // `frame32`: 32-bit packets of at most 1 MiB.
/// assert_eq!(Frame::wide().codec().max_body_len(), 1 << 20);
///
/// assert_eq!(Frame::with_max(0).unwrap_err().kind(), ErrorKind::InvalidArgument);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Frame {
    codec: FrameCodec,
}

impl Frame {
    /// 16-bit packets (`frame`) of at most 65535 body bytes, the largest
    /// the 2-byte length field holds.
    pub fn new() -> Frame {
        Frame {
            codec: FrameCodec::new(),
        }
    }

    /// 16-bit packets (`frame:MAX`) of at most `max` body bytes. `max` must
    /// be between 1 and 65535, or the error is
    /// [`InvalidArgument`](crate::ErrorKind::InvalidArgument).
    pub fn with_max(max: usize) -> Result<Frame> {
        Ok(Frame {
            codec: FrameCodec::new().with_max_body_len(max)?,
        })
    }

    /// 32-bit packets (`frame32`) of at most 1 MiB body bytes each: small
    /// enough that a receiver never holds much of an unfinished packet, and
    /// well below the 16 MiB that [`Unframe::wide`] accepts.
    pub fn wide() -> Frame {
        Frame {
            codec: FrameCodec::wide()
                .with_max_body_len(WIDE_DEFAULT_MAX_BODY_LEN)
                .expect("1 MiB fits a 32-bit length"),
        }
    }

    /// 32-bit packets (`frame32:MAX`) of at most `max` body bytes. `max` must
    /// be between 1 and 2^32 - 1, or the error is
    /// [`InvalidArgument`](crate::ErrorKind::InvalidArgument). The receiver
    /// must accept packets that large (see [`Unframe::wide_with_max`]).
    pub fn wide_with_max(max: usize) -> Result<Frame> {
        Ok(Frame {
            codec: FrameCodec::wide().with_max_body_len(max)?,
        })
    }

    /// The codec that writes the packets, for its settings.
    pub fn codec(&self) -> &FrameCodec {
        &self.codec
    }
}

impl Default for Frame {
    fn default() -> Frame {
        Frame::new()
    }
}

impl Transform for Frame {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
        if chunk.is_empty() {
            return Ok(());
        }
        let mut packets = BytesMut::new();
        self.codec.encode(chunk, &mut packets)?;
        out.push(packets.freeze());
        Ok(())
    }
}
