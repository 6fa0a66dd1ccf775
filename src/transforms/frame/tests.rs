//! Frame and Unframe together: the Node.js fixtures, awkward chunkings, and
//! properties over random data.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;
use tokio_util::codec::{Decoder, Encoder};

use super::{Frame, FrameCodec, Unframe};
use crate::Transform;
use crate::transforms::testing::{drive, rechunk};
use crate::{ErrorKind, Result};

/// Packets written by Node's `Transcoder` (`fixtures/frame/encode.js`).
const SEED_PACKETS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/frame/seed-packets.bin"
));

/// The bodies of `SEED_PACKETS`, concatenated.
const SEED_BODIES: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/frame/seed-bodies.bin"
));

/// Writes `chunks` into `transform` and ends it; returns everything it
/// pushed, joined, and how it ended.
fn run(
    transform: &mut impl Transform<Input = Bytes, Output = Bytes>,
    chunks: impl IntoIterator<Item = Bytes>,
) -> (Vec<u8>, Result<()>) {
    let run = drive(transform, chunks, usize::MAX);
    (run.output, run.result)
}

/// Encodes each body as one packet; returns the packets and the offset where
/// each one starts, plus the total length at the end.
pub(super) fn encode_packets(
    codec: &mut FrameCodec,
    bodies: &[impl AsRef<[u8]>],
) -> (Vec<u8>, Vec<usize>) {
    let mut wire = BytesMut::new();
    let mut starts = vec![0];
    for body in bodies {
        codec
            .encode(Bytes::copy_from_slice(body.as_ref()), &mut wire)
            .unwrap();
        starts.push(wire.len());
    }
    (wire.to_vec(), starts)
}

/// Decodes every packet of `wire`, which must end with the last one.
pub(super) fn decode_packets(codec: &mut FrameCodec, wire: &[u8]) -> Result<Vec<Bytes>> {
    let mut src = BytesMut::from(wire);
    let mut bodies = Vec::new();
    while let Some(body) = codec.decode_eof(&mut src)? {
        bodies.push(body);
    }
    Ok(bodies)
}

#[test]
fn unframe_reads_the_node_packets_in_any_chunking() {
    for size in [1, 31, 4096, SEED_PACKETS.len()] {
        let (output, result) = run(&mut Unframe::new(), rechunk(SEED_PACKETS, &[size]));
        result.unwrap();
        assert!(output == SEED_BODIES, "chunks of {size} bytes");
    }
}

#[test]
fn the_codec_writes_the_node_packets_byte_for_byte() {
    let bodies = decode_packets(&mut FrameCodec::new(), SEED_PACKETS).unwrap();
    assert!(bodies.len() > 65536, "the fixture wraps the serial number");
    assert_eq!(bodies.concat(), SEED_BODIES);
    let bodies: Vec<Vec<u8>> = bodies.iter().map(|body| body.to_vec()).collect();
    let (wire, _) = encode_packets(&mut FrameCodec::new(), &bodies);
    assert!(wire == SEED_PACKETS);
}

#[test]
fn frame_writes_one_packet_per_chunk_like_node() {
    // Node's encoder writes a packet for each message, empty ones included;
    // `frame` writes none for an empty chunk, so its serial numbers run on
    // without them. Build that expectation from the Node packets directly.
    let mut expected = Vec::new();
    let mut chunks = Vec::new();
    let mut rest = SEED_PACKETS;
    let mut serial = 0u16;
    while !rest.is_empty() {
        let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
        let body = &rest[4..4 + len];
        if !body.is_empty() {
            expected.extend_from_slice(&serial.to_be_bytes());
            expected.extend_from_slice(&rest[2..4]);
            expected.extend_from_slice(body);
            serial = serial.wrapping_add(1);
            chunks.push(Bytes::copy_from_slice(body));
        }
        rest = &rest[4 + len..];
    }
    let (output, result) = run(&mut Frame::new(), chunks);
    result.unwrap();
    assert!(output == expected);
}

#[test]
fn frame_cuts_long_chunks_at_its_limit() {
    let (output, result) = run(
        &mut Frame::with_max(3).unwrap(),
        [Bytes::from("abcdefg"), Bytes::new(), Bytes::from("h")],
    );
    result.unwrap();
    assert_eq!(
        output,
        b"\0\0\0\x03abc\0\x01\0\x03def\0\x02\0\x01g\0\x03\0\x01h".as_slice()
    );
}

#[test]
fn frame32_round_trips_bodies_above_64_kib() {
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let mut frame = Frame::wide_with_max(70_000).unwrap();
    let (packets, result) = run(&mut frame, [Bytes::from(data.clone())]);
    result.unwrap();
    assert_eq!(packets.len(), data.len() + 3 * 8);
    assert_eq!(&packets[..8], &[0, 0, 0, 0, 0, 1, 0x11, 0x70]);
    let (output, result) = run(&mut Unframe::wide(), rechunk(&packets, &[31, 4096]));
    result.unwrap();
    assert!(output == data);
}

#[test]
fn unframe32_refuses_bodies_above_its_limit() {
    let (packets, _) = run(&mut Frame::wide(), [Bytes::from(vec![1; 1000])]);
    let (output, result) = run(&mut Unframe::wide_with_max(999).unwrap(), [packets.into()]);
    assert!(output.is_empty());
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(
        format!("{err:#}").contains("above the limit of 999"),
        "{err}"
    );
}

#[test]
fn errors_give_absolute_offsets_across_chunks() {
    let bodies = [b"first".to_vec(), b"second".to_vec(), b"third".to_vec()];
    let (mut wire, starts) = encode_packets(&mut FrameCodec::new(), &bodies);
    wire[starts[2] + 1] = 9;
    let (output, result) = run(&mut Unframe::new(), rechunk(&wire, &[3]));
    assert_eq!(output, b"firstsecond");
    assert_eq!(
        format!("{:#}", result.unwrap_err()),
        "packet at byte 19 is out of sequence: expected serial 2, got 9"
    );
}

/// A limit for a codec of either width; small limits cut data into many
/// packets.
fn max_body_len() -> impl Strategy<Value = usize> {
    prop_oneof![1..=8usize, 1..=65535usize]
}

fn chunk_sizes() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1..=300usize, 1..16)
}

fn bodies() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..60), 0..24)
}

fn codec(wide: bool) -> FrameCodec {
    if wide {
        FrameCodec::wide()
    } else {
        FrameCodec::new()
    }
}

fn unframe(wide: bool) -> Unframe {
    if wide {
        Unframe::wide()
    } else {
        Unframe::new()
    }
}

proptest! {
    #[test]
    fn unframe_undoes_frame_whatever_the_chunks(
        data in prop::collection::vec(any::<u8>(), 0..3000),
        in_sizes in chunk_sizes(),
        wire_sizes in chunk_sizes(),
        max in max_body_len(),
        wide in any::<bool>(),
    ) {
        let mut frame = if wide { Frame::wide_with_max(max) } else { Frame::with_max(max) }.unwrap();
        let (packets, result) = run(&mut frame, rechunk(&data, &in_sizes));
        prop_assert!(result.is_ok());
        let (output, result) = run(&mut unframe(wide), rechunk(&packets, &wire_sizes));
        prop_assert!(result.is_ok(), "{:?}", result);
        prop_assert_eq!(output, data);
    }

    #[test]
    fn a_truncated_stream_fails_unless_cut_between_packets(
        bodies in bodies(),
        cut in any::<Index>(),
        sizes in chunk_sizes(),
        wide in any::<bool>(),
    ) {
        let (wire, starts) = encode_packets(&mut codec(wide), &bodies);
        let cut = cut.index(wire.len() + 1);
        let complete = starts.iter().filter(|&&start| start <= cut).count() - 1;
        let (output, result) = run(&mut unframe(wide), rechunk(&wire[..cut], &sizes));
        prop_assert_eq!(output, bodies[..complete].concat());
        if starts.contains(&cut) {
            prop_assert!(result.is_ok(), "{:?}", result);
        } else {
            let Err(err) = result else {
                return Err(TestCaseError::fail("a truncated stream was accepted"));
            };
            prop_assert_eq!(err.kind(), ErrorKind::InvalidData);
            let expected = format!("truncated packet at byte {}: ", starts[complete]);
            prop_assert!(format!("{err:#}").starts_with(&expected), "{}", err);
        }
    }

    #[test]
    fn a_packet_out_of_sequence_is_refused(
        bodies in bodies().prop_filter("a packet", |bodies| !bodies.is_empty()),
        which in any::<Index>(),
        serial in any::<u16>(),
        sizes in chunk_sizes(),
    ) {
        let (mut wire, starts) = encode_packets(&mut FrameCodec::new(), &bodies);
        let which = which.index(bodies.len());
        prop_assume!(usize::from(serial) != which);
        wire[starts[which]..starts[which] + 2].copy_from_slice(&serial.to_be_bytes());
        let (output, result) = run(&mut Unframe::new(), rechunk(&wire, &sizes));
        prop_assert_eq!(output, bodies[..which].concat());
        let Err(err) = result else {
            return Err(TestCaseError::fail("a packet out of sequence was accepted"));
        };
        prop_assert_eq!(err.kind(), ErrorKind::InvalidData);
        prop_assert_eq!(
            format!("{err:#}"),
            format!(
                "packet at byte {} is out of sequence: expected serial {which}, got {serial}",
                starts[which]
            )
        );
    }

    #[test]
    fn garbage_fails_cleanly(
        garbage in prop::collection::vec(any::<u8>(), 0..2000),
        sizes in chunk_sizes(),
        max in max_body_len(),
        wide in any::<bool>(),
    ) {
        let mut unframe = if wide { Unframe::wide_with_max(max) } else { Unframe::with_max(max) }.unwrap();
        let (output, result) = run(&mut unframe, rechunk(&garbage, &sizes));
        prop_assert!(output.len() <= garbage.len());
        if let Err(err) = result {
            prop_assert_eq!(err.kind(), ErrorKind::InvalidData);
        }
    }

    #[test]
    fn corrupted_packets_fail_cleanly(
        bodies in bodies(),
        flips in prop::collection::vec((any::<Index>(), any::<u8>()), 1..4),
        sizes in chunk_sizes(),
        wide in any::<bool>(),
    ) {
        let (mut wire, _) = encode_packets(&mut codec(wide), &bodies);
        prop_assume!(!wire.is_empty());
        for (at, byte) in flips {
            let at = at.index(wire.len());
            wire[at] = byte;
        }
        let (output, result) = run(&mut unframe(wide), rechunk(&wire, &sizes));
        prop_assert!(output.len() <= wire.len());
        if let Err(err) = result {
            prop_assert_eq!(err.kind(), ErrorKind::InvalidData);
        }
    }
}
