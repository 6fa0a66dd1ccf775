//! `unframe` and `unframe32` over arbitrary bytes in arbitrary chunks.
//!
//! The settings byte: bit 0 picks 32-bit packets, bits 1-3 the body limit
//! (the default, or 1, 7, 255 or 65535 bytes). The transform's result is
//! checked against the codec decoding the whole input at once:
//!
//! - valid packets: the same bodies, which framed again give the input
//!   back byte for byte;
//! - anything else: an `InvalidData` error carrying the same message (the
//!   byte offsets do not depend on the chunking), after at most the bodies
//!   of the packets before it.

#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use smerge::transforms::{FrameCodec, Unframe};
use smerge::{Duplex, ErrorKind, Result};
use smerge_fuzz::{Case, run};
use tokio_util::codec::{Decoder, Encoder};

fuzz_target!(|input: &[u8]| {
    let Some(case) = Case::parse(input) else {
        return;
    };
    let codec = codec(case.settings);
    let (bodies, expected) = decode_at_once(codec.clone(), case.data);
    if expected.is_ok() {
        let mut framed = BytesMut::new();
        let mut encoder = codec.clone();
        for body in &bodies {
            encoder.encode(body.clone(), &mut framed).unwrap();
        }
        assert!(
            framed == case.data,
            "the bodies framed again differ from the input"
        );
    }

    let unframe = if codec.is_wide() {
        Unframe::wide_with_max(codec.max_body_len())
    } else {
        Unframe::with_max(codec.max_body_len())
    }
    .unwrap();
    let run = run(case.chunks, Duplex::transform(unframe), usize::MAX);
    let joined = bodies.concat();
    let end = run.end.expect("no cap");
    match (expected, end) {
        (Ok(()), Ok(())) => assert!(run.output == joined, "unframe's output differs"),
        (Err(expected), Err(got)) => {
            assert_eq!(got.kind(), ErrorKind::InvalidData, "{got}");
            assert!(
                got.to_string().contains(&expected.to_string()),
                "unframe failed with {got:?}, the codec with {expected:?}"
            );
            assert!(joined.starts_with(&run.output), "output beyond the error");
        }
        (expected, got) => panic!("unframe ended with {got:?}, the codec with {expected:?}"),
    }
});

fn codec(settings: u8) -> FrameCodec {
    let codec = if settings & 1 == 0 {
        FrameCodec::new()
    } else {
        FrameCodec::wide()
    };
    match (settings >> 1) & 7 {
        4 => codec.with_max_body_len(1),
        5 => codec.with_max_body_len(7),
        6 => codec.with_max_body_len(255),
        7 => codec.with_max_body_len(65535),
        _ => Ok(codec),
    }
    .unwrap()
}

/// Decodes `data` given whole; returns the bodies before the end or the
/// error.
fn decode_at_once(mut codec: FrameCodec, data: &[u8]) -> (Vec<Bytes>, Result<()>) {
    let mut src = BytesMut::from(data);
    let mut bodies = Vec::new();
    loop {
        match codec.decode_eof(&mut src) {
            Ok(Some(body)) => bodies.push(body),
            Ok(None) => return (bodies, Ok(())),
            Err(error) => return (bodies, Err(error)),
        }
    }
}
