//! [`FrameCodec`]: the packet layout of `frame`/`unframe` as a tokio-util
//! codec.
//!
//! Decoder invariants: `consumed` is the number of input bytes the decoder
//! has removed from its buffer, so it is the stream offset of the buffer's
//! first byte; `pending` is set exactly while a header has been consumed and
//! its body has not; `decode_serial` is the serial the next header must carry.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::{Error, ErrorKind, Result};

/// The largest body a 16-bit packet can carry, and the default limit of
/// [`FrameCodec::new`].
const NARROW_MAX_BODY_LEN: usize = u16::MAX as usize;

/// The default limit of [`FrameCodec::wide`]: 16 MiB.
const WIDE_DEFAULT_MAX_BODY_LEN: usize = 16 << 20;

/// Encodes and decodes length-prefixed packets: a serial number, a body
/// length, then the body; both header fields big-endian and unsigned.
///
/// [`FrameCodec::new`] makes 16-bit packets (a 2-byte serial and a 2-byte
/// length, as in Node's `writeUInt16BE`), [`FrameCodec::wide`] 32-bit ones
/// (4 and 4 bytes). Serial numbers count up from 0 in each direction and
/// wrap at 2^16 or 2^32.
///
/// As an [`Encoder<Bytes>`], it writes each item as one packet, or as several
/// if the item is longer than [`max_body_len`](FrameCodec::max_body_len); an
/// empty item becomes one packet with an empty body. As a [`Decoder`], it
/// yields the body of each packet once the whole packet has arrived, however
/// the input was split or glued, without copying it out of the buffer. It
/// fails with [`ErrorKind::InvalidData`] when a packet's serial number is not
/// the next one, when a header declares a body longer than
/// `max_body_len` (before buffering any of it), and, at the end of the input,
/// when the last packet is incomplete. Each error gives the byte offset of
/// the packet in the decoded stream.
///
/// The same codec works on a socket with
/// [`FramedRead`](tokio_util::codec::FramedRead) and
/// [`FramedWrite`](tokio_util::codec::FramedWrite). The
/// [`Frame`](super::Frame) and [`Unframe`](super::Unframe) transforms use it
/// on smerge streams.
///
/// Not promised: the codec checks the order of packets, not their contents
/// (there is no checksum); and an item longer than `max_body_len` arrives as
/// several items on the other side.
///
/// # Examples
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use smerge::transforms::FrameCodec;
/// use tokio_util::codec::{Decoder, Encoder};
///
/// # fn main() -> smerge::Result<()> {
/// let mut codec = FrameCodec::new();
/// let mut wire = BytesMut::new();
/// codec.encode(Bytes::from("hi"), &mut wire)?;
/// codec.encode(Bytes::from("!"), &mut wire)?;
/// assert_eq!(&wire[..], b"\x00\x00\x00\x02hi\x00\x01\x00\x01!");
///
/// // The decoder waits for whole packets, whatever the split.
/// let mut input = BytesMut::from(&wire[..5]);
/// assert_eq!(codec.decode(&mut input)?, None);
/// input.extend_from_slice(&wire[5..]);
/// assert_eq!(codec.decode(&mut input)?, Some(Bytes::from("hi")));
/// assert_eq!(codec.decode(&mut input)?, Some(Bytes::from("!")));
/// assert_eq!(codec.decode_eof(&mut input)?, None);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct FrameCodec {
    width: Width,
    max_body_len: usize,
    encode_serial: u32,
    decode_serial: u32,
    consumed: u64,
    pending: Option<PendingBody>,
}

/// The size of both header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Width {
    /// 2-byte serial, 2-byte length.
    Narrow,
    /// 4-byte serial, 4-byte length.
    Wide,
}

impl Width {
    fn field_len(self) -> usize {
        match self {
            Width::Narrow => 2,
            Width::Wide => 4,
        }
    }

    fn header_len(self) -> usize {
        2 * self.field_len()
    }

    /// The largest value a header field holds: the largest possible body
    /// length, and the serial number before the wrap to 0.
    fn field_max(self) -> u32 {
        match self {
            Width::Narrow => u16::MAX.into(),
            Width::Wide => u32::MAX,
        }
    }

    fn next_serial(self, serial: u32) -> u32 {
        serial.wrapping_add(1) & self.field_max()
    }

    fn put_field(self, dst: &mut BytesMut, value: u32) {
        match self {
            // The value fits: serials are masked and lengths bounded by `field_max`.
            Width::Narrow => dst.put_u16(value as u16),
            Width::Wide => dst.put_u32(value),
        }
    }

    /// Reads one field from the front of `src`, which holds at least one.
    fn get_field(self, src: &mut &[u8]) -> u32 {
        match self {
            Width::Narrow => src.get_u16().into(),
            Width::Wide => src.get_u32(),
        }
    }
}

/// A packet whose header has been consumed and whose body has not.
#[derive(Debug, Clone, Copy)]
struct PendingBody {
    len: usize,
    /// The stream offset of the packet's header.
    packet_start: u64,
}

impl FrameCodec {
    /// A codec for 16-bit packets (2-byte serial, 2-byte length), with the
    /// largest body limit they allow: 65535 bytes.
    pub fn new() -> FrameCodec {
        FrameCodec::with_width(Width::Narrow, NARROW_MAX_BODY_LEN)
    }

    /// A codec for 32-bit packets (4-byte serial, 4-byte length), with a
    /// body limit of 16 MiB: longer items are encoded as several packets, and
    /// packets declaring longer bodies are rejected when decoded.
    pub fn wide() -> FrameCodec {
        FrameCodec::with_width(Width::Wide, WIDE_DEFAULT_MAX_BODY_LEN)
    }

    fn with_width(width: Width, max_body_len: usize) -> FrameCodec {
        FrameCodec {
            width,
            max_body_len,
            encode_serial: 0,
            decode_serial: 0,
            consumed: 0,
            pending: None,
        }
    }

    /// The same codec with a body limit of `max` bytes: the encoder cuts
    /// items into packets of at most `max` body bytes, and the decoder
    /// rejects packets that declare more.
    ///
    /// `max` must be at least 1 and fit the length field: at most 65535 for
    /// 16-bit packets, 2^32 - 1 for 32-bit ones. Otherwise the error is
    /// [`ErrorKind::InvalidArgument`].
    ///
    /// # Examples
    ///
    /// ```
    /// use smerge::ErrorKind;
    /// use smerge::transforms::FrameCodec;
    ///
    /// let codec = FrameCodec::new().with_max_body_len(1024).unwrap();
    /// assert_eq!(codec.max_body_len(), 1024);
    /// let err = FrameCodec::new().with_max_body_len(65536).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    /// ```
    pub fn with_max_body_len(mut self, max: usize) -> Result<FrameCodec> {
        let limit = self.width.field_max();
        if max == 0 || max as u64 > u64::from(limit) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("the packet body limit must be between 1 and {limit} bytes, not {max}"),
            ));
        }
        self.max_body_len = max;
        Ok(self)
    }

    /// The largest body a packet may carry, in bytes.
    pub fn max_body_len(&self) -> usize {
        self.max_body_len
    }

    /// The size of a packet header in bytes: 4 for 16-bit packets, 8 for
    /// 32-bit ones.
    pub fn header_len(&self) -> usize {
        self.width.header_len()
    }

    /// True for 32-bit packets ([`FrameCodec::wide`]).
    pub fn is_wide(&self) -> bool {
        self.width == Width::Wide
    }

    /// Consumes the header at the front of `src`, if it has arrived and is
    /// valid; an invalid header is left in place.
    fn decode_header(&mut self, src: &mut BytesMut) -> Result<Option<PendingBody>> {
        let header_len = self.width.header_len();
        if src.len() < header_len {
            return Ok(None);
        }
        let mut fields = &src[..header_len];
        let serial = self.width.get_field(&mut fields);
        let len = self.width.get_field(&mut fields);
        let packet_start = self.consumed;
        if serial != self.decode_serial {
            return Err(Error::new(
                ErrorKind::InvalidData,
                format!(
                    "packet at byte {packet_start} is out of sequence: expected serial {}, got {serial}",
                    self.decode_serial
                ),
            ));
        }
        if u64::from(len) > self.max_body_len as u64 {
            return Err(Error::new(
                ErrorKind::InvalidData,
                format!(
                    "packet at byte {packet_start} declares a body of {len} bytes, above the limit of {} bytes",
                    self.max_body_len
                ),
            ));
        }
        src.advance(header_len);
        self.consumed += header_len as u64;
        self.decode_serial = self.width.next_serial(serial);
        Ok(Some(PendingBody {
            // No larger than `max_body_len`, a usize.
            len: len as usize,
            packet_start,
        }))
    }

    fn truncated(&self, src: &BytesMut) -> Error {
        let message = match self.pending {
            Some(body) => format!(
                "truncated packet at byte {}: the input ends {} bytes short of its {}-byte body ({} present)",
                body.packet_start,
                body.len - src.len(),
                body.len,
                src.len()
            ),
            None => format!(
                "truncated packet at byte {}: the input ends after {} of its {} header bytes",
                self.consumed,
                src.len(),
                self.width.header_len()
            ),
        };
        Error::new(ErrorKind::InvalidData, message)
    }
}

impl Default for FrameCodec {
    fn default() -> FrameCodec {
        FrameCodec::new()
    }
}

impl Encoder<Bytes> for FrameCodec {
    type Error = Error;

    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<()> {
        let packets = item.len().div_ceil(self.max_body_len).max(1);
        dst.reserve(packets * self.width.header_len() + item.len());
        // One packet at least: an empty item is an empty packet.
        let mut rest = &item[..];
        loop {
            let (body, tail) = rest.split_at(rest.len().min(self.max_body_len));
            self.width.put_field(dst, self.encode_serial);
            // At most `max_body_len`, which fits the field.
            self.width.put_field(dst, body.len() as u32);
            dst.extend_from_slice(body);
            self.encode_serial = self.width.next_serial(self.encode_serial);
            rest = tail;
            if rest.is_empty() {
                return Ok(());
            }
        }
    }
}

/// How much room the decoder reserves ahead for an unfinished body.
const RESERVE_STEP: usize = 1 << 20;

impl Decoder for FrameCodec {
    type Item = Bytes;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>> {
        let body = match self.pending.take() {
            Some(body) => body,
            None => match self.decode_header(src)? {
                Some(body) => body,
                None => return Ok(None),
            },
        };
        if src.len() < body.len {
            // Room for the body as it arrives, a step at a time: a header
            // alone must not make the decoder allocate what it announces.
            src.reserve((body.len - src.len()).min(RESERVE_STEP));
            self.pending = Some(body);
            return Ok(None);
        }
        self.consumed += body.len as u64;
        Ok(Some(src.split_to(body.len).freeze()))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>> {
        match self.decode(src)? {
            Some(body) => Ok(Some(body)),
            None if src.is_empty() && self.pending.is_none() => Ok(None),
            None => Err(self.truncated(src)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::frame::tests::{decode_packets, encode_packets};

    /// Encodes `items`, one packet each (more if one is over the limit).
    fn encode_all(codec: &mut FrameCodec, items: &[&[u8]]) -> Vec<u8> {
        encode_packets(codec, items).0
    }

    #[test]
    fn narrow_header_is_unsigned_big_endian() {
        let body = vec![7u8; 40000];
        let wire = encode_all(&mut FrameCodec::new(), &[b"", &body]);
        assert_eq!(&wire[..4], &[0, 0, 0, 0]);
        assert_eq!(&wire[4..8], &[0, 1, 0x9c, 0x40]);
        assert_eq!(wire.len(), 8 + 40000);
    }

    #[test]
    fn wide_header_has_four_byte_fields() {
        let wire = encode_all(&mut FrameCodec::wide(), &[b"abc"]);
        assert_eq!(&wire[..], b"\0\0\0\0\0\0\0\x03abc");
    }

    #[test]
    fn long_items_are_cut_at_the_limit() {
        let mut codec = FrameCodec::new().with_max_body_len(2).unwrap();
        let wire = encode_all(&mut codec, &[b"abcde"]);
        assert_eq!(
            &wire[..],
            b"\0\0\0\x02ab\0\x01\0\x02cd\0\x02\0\x01e".as_slice()
        );
        let bodies = decode_packets(&mut codec, &wire).unwrap();
        assert_eq!(bodies, ["ab", "cd", "e"]);
    }

    #[test]
    fn limits_outside_the_field_are_invalid_arguments() {
        for (codec, max) in [
            (FrameCodec::new(), 0),
            (FrameCodec::new(), 65536),
            (FrameCodec::wide(), 0),
        ] {
            let err = codec.with_max_body_len(max).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        }
        assert!(FrameCodec::new().with_max_body_len(65535).is_ok());
        assert!(
            FrameCodec::wide()
                .with_max_body_len(u32::MAX as usize)
                .is_ok()
        );
        #[cfg(target_pointer_width = "64")]
        assert!(
            FrameCodec::wide()
                .with_max_body_len(u32::MAX as usize + 1)
                .is_err()
        );
    }

    #[test]
    fn serials_wrap_at_the_field_size() {
        let mut narrow = FrameCodec::new();
        narrow.encode_serial = u16::MAX.into();
        let wire = encode_all(&mut narrow, &[b"x", b"y"]);
        assert_eq!(&wire[..2], &[0xff, 0xff]);
        assert_eq!(&wire[5..7], &[0, 0]);
        narrow.decode_serial = u16::MAX.into();
        assert_eq!(decode_packets(&mut narrow, &wire).unwrap(), ["x", "y"]);

        let mut wide = FrameCodec::wide();
        wide.encode_serial = u32::MAX;
        let wire = encode_all(&mut wide, &[b"x", b"y"]);
        assert_eq!(&wire[..4], &[0xff; 4]);
        assert_eq!(&wire[9..13], &[0; 4]);
        wide.decode_serial = u32::MAX;
        assert_eq!(decode_packets(&mut wide, &wire).unwrap(), ["x", "y"]);
    }

    #[test]
    fn out_of_sequence_packets_name_their_offset() {
        let mut wire = encode_all(&mut FrameCodec::new(), &[b"ab", b"cd", b"ef"]);
        wire[12..14].copy_from_slice(&[0, 7]);
        let err = decode_packets(&mut FrameCodec::new(), &wire).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        assert_eq!(
            err.to_string(),
            "packet at byte 12 is out of sequence: expected serial 2, got 7"
        );
    }

    #[test]
    fn an_oversized_length_is_rejected_before_buffering() {
        let mut codec = FrameCodec::wide();
        let mut src = BytesMut::from(&b"\0\0\0\0\x01\0\0\x01"[..]);
        let err = codec.decode(&mut src).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        assert_eq!(
            err.to_string(),
            "packet at byte 0 declares a body of 16777217 bytes, above the limit of 16777216 bytes"
        );
        assert!(src.capacity() < 1024);
        // The error repeats: the bad header stays where it is.
        assert!(codec.decode(&mut src).is_err());
    }

    #[test]
    fn truncation_reports_where_the_packet_started() {
        let wire = encode_all(&mut FrameCodec::new(), &[b"abc", b"defgh"]);
        let err = decode_packets(&mut FrameCodec::new(), &wire[..9]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "truncated packet at byte 7: the input ends after 2 of its 4 header bytes"
        );
        let err = decode_packets(&mut FrameCodec::new(), &wire[..13]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "truncated packet at byte 7: the input ends 3 bytes short of its 5-byte body (2 present)"
        );
        let err = decode_packets(&mut FrameCodec::new(), &wire[..11]).unwrap_err();
        assert!(err.to_string().contains("5 bytes short"), "{err}");
    }

    #[test]
    fn empty_bodies_decode_as_empty_items() {
        let wire = encode_all(&mut FrameCodec::new(), &[b"", b"a", b""]);
        assert_eq!(wire.len(), 13);
        assert_eq!(
            decode_packets(&mut FrameCodec::new(), &wire).unwrap(),
            ["", "a", ""]
        );
    }

    #[test]
    fn decoded_bodies_share_the_input_buffer() {
        let wire = encode_all(&mut FrameCodec::new(), &[b"hello"]);
        let mut src = BytesMut::from(&wire[..]);
        let start = src.as_ptr();
        let body = FrameCodec::new().decode(&mut src).unwrap().unwrap();
        assert_eq!(body.as_ptr(), start.wrapping_add(4));
    }

    #[test]
    fn a_header_alone_does_not_allocate_the_body_it_announces() {
        let mut codec = FrameCodec::wide()
            .with_max_body_len(u32::MAX as usize)
            .unwrap();
        let mut src = BytesMut::from(&[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf0][..]);
        assert!(codec.decode(&mut src).unwrap().is_none());
        assert!(
            src.capacity() <= 2 * RESERVE_STEP,
            "reserved {} bytes",
            src.capacity()
        );
    }
}
