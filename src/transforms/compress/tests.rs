//! Compress and Decompress together: every codec at awkward chunkings,
//! concatenated members, damaged input, detection, and bounded output.

use bytes::Bytes;
use proptest::prelude::*;

use super::output::OUTPUT_CHUNK_LEN;
use super::{Codec, Compress, Decompress};
use crate::Push;
use crate::Transform;
use crate::stream::ReadBuffer;
use crate::transforms::testing::{Run, drive, noise, rechunk};
use crate::{ErrorKind, Result};

/// Runs `transform` over `data` cut into pieces whose sizes cycle through
/// `sizes`, with an unbounded readable side.
fn apply(
    mut transform: impl Transform<Input = Bytes, Output = Bytes>,
    data: &[u8],
    sizes: &[usize],
) -> Run {
    drive(&mut transform, rechunk(data, sizes), usize::MAX)
}

/// Text-like data: words from a small vocabulary, in a deterministic
/// pseudo-random order, with a line break now and then.
fn text(len: usize, seed: u64) -> Vec<u8> {
    const WORDS: [&str; 12] = [
        "stream",
        "merge",
        "the",
        "of",
        "chunk",
        "buffer",
        "highWaterMark",
        "pipe",
        "and",
        "error",
        "zstd",
        "gzip",
    ];
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.extend_from_slice(WORDS[(state >> 33) as usize % WORDS.len()].as_bytes());
        out.push(if (state >> 20).is_multiple_of(11) {
            b'\n'
        } else {
            b' '
        });
    }
    out.truncate(len);
    out
}

/// The fastest level of `codec`, so that the tests stay quick.
fn fast(codec: Codec) -> Compress {
    Compress::with_level(codec, *codec.levels().start().max(&1)).unwrap()
}

fn compress(codec: Codec, data: &[u8]) -> Vec<u8> {
    apply(fast(codec), data, &[64 * 1024]).unwrap()
}

fn decompress(codec: Codec, data: &[u8]) -> Result<Vec<u8>> {
    let run = apply(Decompress::new(codec), data, &[64 * 1024]);
    run.result.map(|()| run.output)
}

/// The sample every codec round-trips: text, then noise, then text again.
fn sample() -> Vec<u8> {
    let mut data = text(50_000, 1);
    data.extend(noise(20_000, 2));
    data.extend(text(30_000, 3));
    data
}

#[test]
fn every_codec_round_trips_at_awkward_chunkings() {
    let data = sample();
    for codec in Codec::ALL {
        for sizes in [
            &[31][..],
            &[7, 65_539],
            &[1_000_000],
            &[1, 2, 3, 5, 8, 13, 4096],
        ] {
            let packed = apply(fast(codec), &data, sizes).unwrap();
            for unpack_sizes in [&[31][..], &[1_000_000], &[3, 17, 65_536]] {
                let back = apply(Decompress::new(codec), &packed, unpack_sizes).unwrap();
                assert!(back == data, "{codec} {sizes:?} {unpack_sizes:?}");
            }
        }
    }
}

#[test]
fn every_codec_round_trips_one_byte_at_a_time() {
    let data = text(3_000, 4);
    for codec in Codec::ALL {
        let packed = apply(fast(codec), &data, &[1]).unwrap();
        let back = apply(Decompress::new(codec), &packed, &[1]).unwrap();
        assert!(back == data, "{codec}");
        let detected = apply(Decompress::detect(), &packed, &[1]);
        if codec.has_magic() {
            assert!(detected.unwrap() == data, "{codec}");
        } else {
            assert!(detected.unwrap() == packed, "{codec} passes through");
        }
    }
}

#[test]
fn output_ending_exactly_at_a_chunk_boundary_is_drained() {
    for codec in Codec::ALL {
        for len in [1, 2, 3]
            .map(|k| k * OUTPUT_CHUNK_LEN)
            .into_iter()
            .flat_map(|n| n - 2..=n + 2)
        {
            // Repetitive data, so that little input makes much output.
            let mut data = text(100, len as u64);
            data.resize(len, b'=');
            let packed = compress(codec, &data);
            for sizes in [&[1 << 20][..], &[1], &[2, 3]] {
                let back = apply(Decompress::new(codec), &packed, sizes).unwrap();
                assert!(back == data, "{codec} {len} {sizes:?}");
            }
        }
    }
}

#[test]
fn small_input_chunks_expanding_to_many_output_chunks() {
    let data = text(400_000, 12);
    for codec in Codec::ALL {
        let packed = compress(codec, &data);
        assert!(
            apply(Decompress::new(codec), &packed, &[1]).unwrap() == data,
            "{codec}"
        );
    }
}

#[test]
fn default_levels_round_trip() {
    let data = text(20_000, 5);
    for codec in Codec::ALL {
        let packed = apply(Compress::new(codec), &data, &[8192]).unwrap();
        assert!(
            packed.len() < data.len() / 2,
            "{codec}: {} bytes",
            packed.len()
        );
        assert_eq!(decompress(codec, &packed).unwrap(), data, "{codec}");
    }
}

#[test]
fn empty_input_compresses_to_valid_empty_data() {
    for codec in Codec::ALL {
        let packed = apply(Compress::new(codec), b"", &[1]).unwrap();
        assert!(!packed.is_empty(), "{codec}");
        assert_eq!(decompress(codec, &packed).unwrap(), b"", "{codec}");
    }
}

#[test]
fn empty_input_is_not_valid_compressed_data() {
    for codec in Codec::ALL {
        let err = decompress(codec, b"").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        assert_eq!(
            format!("{err:#}"),
            format!("unexpected end of {codec} data: the input is empty")
        );
    }
}

#[test]
fn output_chunks_are_at_most_64_kib_and_wait_for_room() {
    let data = text(400_000, 6);
    for codec in [Codec::Gzip, Codec::Zstd, Codec::Xz, Codec::Bzip2] {
        let packed = compress(codec, &data);
        // One big written chunk, a consumer that reads after every push.
        let mut decoder = Decompress::new(codec);
        let run = drive(&mut decoder, [Bytes::from(packed)], 1);
        assert_eq!(run.max_chunk, OUTPUT_CHUNK_LEN, "{codec}");
        assert!(
            run.max_buffered <= OUTPUT_CHUNK_LEN,
            "{codec}: {}",
            run.max_buffered
        );
        assert!(run.unwrap() == data, "{codec}");
    }
    // A compressor given one huge chunk of noise also pushes 64 KiB pieces.
    let noisy = noise(600_000, 7);
    let mut encoder = Compress::new(Codec::Gzip);
    let run = drive(&mut encoder, [Bytes::from(noisy.clone())], 100);
    assert!(run.max_chunk <= OUTPUT_CHUNK_LEN);
    assert!(run.max_buffered < 100 + OUTPUT_CHUNK_LEN);
    assert!(run.chunks >= 9);
    assert!(decompress(Codec::Gzip, &run.unwrap()).unwrap() == noisy);
}

#[test]
fn a_decompression_bomb_is_produced_piece_by_piece() {
    let zeros = vec![0; 64 << 20];
    let packed = compress(Codec::Zstd, &zeros);
    assert!(packed.len() < 8 << 10, "{} bytes", packed.len());
    let high_water_mark = 16 * 1024;
    let mut decoder = Decompress::new(Codec::Zstd);
    let run = drive(&mut decoder, [Bytes::from(packed)], high_water_mark);
    assert!(run.max_buffered < high_water_mark + OUTPUT_CHUNK_LEN);
    assert_eq!(run.chunks, (64 << 20) / OUTPUT_CHUNK_LEN);
    assert!(run.unwrap() == zeros);
}

#[test]
fn concatenated_members_decode_in_full() {
    for codec in [Codec::Gzip, Codec::Zstd, Codec::Bzip2, Codec::Xz] {
        let mut packed = compress(codec, b"first member, ");
        packed.extend(compress(codec, b""));
        packed.extend(compress(codec, &text(70_000, 8)));
        let mut expected = b"first member, ".to_vec();
        expected.extend(text(70_000, 8));
        for sizes in [&[1][..], &[13], &[1 << 20]] {
            let back = apply(Decompress::new(codec), &packed, sizes).unwrap();
            assert!(back == expected, "{codec} {sizes:?}");
            let detected = apply(Decompress::detect(), &packed, sizes).unwrap();
            assert!(detected == expected, "{codec} {sizes:?}");
        }
    }
}

/// A zstd skippable frame with `payload`.
fn skippable_frame(payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x53, 0x2a, 0x4d, 0x18];
    frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    frame.extend_from_slice(payload);
    frame
}

#[test]
fn zstd_skippable_frames_are_skipped() {
    let mut packed = skippable_frame(b"an index, say");
    packed.extend(compress(Codec::Zstd, b"hello "));
    packed.extend(skippable_frame(b""));
    packed.extend(compress(Codec::Zstd, b"world"));
    packed.extend(skippable_frame(b"trailer"));
    for sizes in [&[1][..], &[5], &[1000]] {
        assert_eq!(
            apply(Decompress::detect(), &packed, sizes).unwrap(),
            b"hello world"
        );
    }
    assert_eq!(
        decompress(Codec::Zstd, &skippable_frame(b"only")).unwrap(),
        b""
    );
}

#[test]
fn truncated_input_is_invalid_data_for_every_codec() {
    let data = text(2_000, 9);
    for codec in Codec::ALL {
        let packed = compress(codec, &data);
        for len in 1..packed.len() {
            for sizes in [&[1 << 20][..], &[7]] {
                let err = apply(Decompress::new(codec), &packed[..len], sizes).unwrap_err();
                assert_eq!(err.kind(), ErrorKind::InvalidData, "{codec} {len}: {err}");
                let message = format!("{err:#}");
                assert!(message.contains(codec.name()), "{codec} {len}: {message}");
            }
        }
        let err = decompress(codec, &packed[..packed.len() - 1]).unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            format!(
                "unexpected end of {codec} data: the input ends inside a {} (after {} bytes)",
                codec.unit_name(),
                packed.len() - 1
            )
        );
    }
}

#[test]
fn what_decodes_before_damaged_data_comes_out_ahead_of_the_error() {
    use std::io::Read;

    let data = text(400_000, 4);
    let packed = compress(Codec::Gzip, &data);
    let mut corrupt = packed.clone();
    let middle = corrupt.len() / 2;
    corrupt[middle..middle + 64].fill(0xff);
    let damaged = [
        &packed[..packed.len() / 3],
        &packed[..packed.len() / 2],
        &packed[..packed.len() - 9],
        &corrupt,
    ];
    for (case, input) in damaged.into_iter().enumerate() {
        // What a reader of the data gets from flate2 before its error.
        let mut expected = Vec::new();
        flate2::read::GzDecoder::new(input)
            .read_to_end(&mut expected)
            .unwrap_err();
        assert!(!expected.is_empty());
        for sizes in [&[1 << 20][..], &[64 * 1024], &[1000]] {
            let run = apply(Decompress::new(Codec::Gzip), input, sizes);
            let err = run.result.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidData, "{case}: {err}");
            // A prefix of the data, at least what flate2 gives (which
            // drops what its last read decoded when that read fails).
            assert!(data.starts_with(&run.output), "{case} {sizes:?}");
            assert!(
                run.output.len() >= expected.len(),
                "{case} {sizes:?}: {} < {}",
                run.output.len(),
                expected.len()
            );
        }
    }
}

/// Through a real stream, read slowly: the error waits until everything
/// decoded before it was read, so a reader gets what `zcat` prints.
#[tokio::test]
async fn a_reader_gets_everything_decoded_before_the_error() {
    use crate::{Readable, ReadableExt, ReadableStream};

    let data = text(400_000, 4);
    let packed = compress(Codec::Gzip, &data);
    let truncated = &packed[..packed.len() * 2 / 3];
    let whole = apply(Decompress::new(Codec::Gzip), truncated, &[64 * 1024]);
    assert!(whole.result.is_err());
    let mut decoded =
        Readable::from_iter(rechunk(truncated, &[64 * 1024])).pipe(Decompress::new(Codec::Gzip));
    let mut got = Vec::new();
    let err = loop {
        match std::future::poll_fn(|cx| decoded.poll_next_chunk(cx)).await {
            Some(Ok(chunk)) => {
                got.extend_from_slice(&chunk);
                tokio::task::yield_now().await;
            }
            Some(Err(err)) => break err,
            None => panic!("the damaged data ended without an error"),
        }
    };
    assert_eq!(err.kind(), ErrorKind::InvalidData, "{err:#}");
    assert_eq!(got.len(), whole.output.len());
    assert!(data.starts_with(&got));
}

#[test]
fn corrupt_input_is_invalid_data_and_never_a_panic() {
    let data = text(2_000, 10);
    for codec in Codec::ALL {
        let packed = compress(codec, &data);
        // Every header byte, then a sample of the rest.
        for position in (0..packed.len()).filter(|at| *at < 64 || at % 7 == 0) {
            for flip in [0x01, 0xff] {
                let mut damaged = packed.clone();
                damaged[position] ^= flip;
                let run = apply(Decompress::new(codec), &damaged, &[97]);
                if let Err(err) = run.result {
                    assert_eq!(err.kind(), ErrorKind::InvalidData, "{codec} {position}");
                    assert!(format!("{err:#}").contains(codec.name()), "{err}");
                }
            }
        }
        // Past the headers, the checksums catch a damaged byte.
        let mut damaged = packed.clone();
        damaged[packed.len() / 2] ^= 0x10;
        let run = apply(Decompress::new(codec), &damaged, &[97]);
        if ![Codec::Deflate, Codec::Brotli].contains(&codec) {
            assert_eq!(run.unwrap_err().kind(), ErrorKind::InvalidData, "{codec}");
        }
    }
}

#[test]
fn data_of_another_format_names_its_first_bytes() {
    let zstd = compress(Codec::Zstd, b"x");
    let err = decompress(Codec::Gzip, &zstd).unwrap_err();
    assert_eq!(
        format!("{err:#}"),
        "not gzip data: it starts with 28 b5 2f fd 04 48"
    );
    let err = decompress(Codec::Xz, b"PK").unwrap_err();
    assert_eq!(format!("{err:#}"), "not xz data: it starts with 50 4b");
    let err = decompress(Codec::Zlib, b"plain text").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(
        format!("{err:#}").starts_with("invalid zlib data at or after input byte 0: "),
        "{err}"
    );
}

#[test]
fn trailing_data_is_refused_with_its_offset() {
    for codec in Codec::ALL {
        let mut packed = compress(codec, b"payload");
        let end = packed.len();
        packed.extend_from_slice(b"garbage");
        for sizes in [&[1][..], &[1 << 20]] {
            let err = apply(Decompress::new(codec), &packed, sizes).unwrap_err();
            assert_eq!(
                format!("{err:#}"),
                format!("unexpected data after the end of the {codec} data, at input byte {end}"),
                "{sizes:?}"
            );
        }
    }
}

#[test]
fn zeros_after_gzip_are_padding_but_not_before_garbage() {
    let mut packed = compress(Codec::Gzip, b"payload");
    let end = packed.len();
    packed.extend_from_slice(&[0; 1000]);
    assert_eq!(
        apply(Decompress::new(Codec::Gzip), &packed, &[3]).unwrap(),
        b"payload"
    );
    packed.push(1);
    let err = apply(Decompress::new(Codec::Gzip), &packed, &[3]).unwrap_err();
    assert_eq!(
        format!("{err:#}"),
        format!("unexpected data after the end of the gzip data, at input byte {end}")
    );
    // zstd has no padding: zeros are trailing data.
    let mut zstd = compress(Codec::Zstd, b"payload");
    zstd.extend_from_slice(&[0; 4]);
    assert_eq!(
        decompress(Codec::Zstd, &zstd).unwrap_err().kind(),
        ErrorKind::InvalidData
    );
}

#[test]
fn xz_stream_padding_is_a_multiple_of_four_zeros() {
    let first = compress(Codec::Xz, b"one ");
    let second = compress(Codec::Xz, b"two");
    let padded = [&first[..], &[0; 8], &second, &[0; 4]].concat();
    for sizes in [&[1][..], &[3], &[1 << 20]] {
        assert_eq!(
            apply(Decompress::new(Codec::Xz), &padded, sizes).unwrap(),
            b"one two"
        );
    }
    let misaligned = [&first[..], &[0; 3], &second].concat();
    let err = decompress(Codec::Xz, &misaligned).unwrap_err();
    assert_eq!(
        format!("{err:#}"),
        format!(
            "invalid xz data: the 3 bytes of stream padding before input byte {} are not a \
             multiple of 4",
            first.len() + 3
        )
    );
    let err = decompress(Codec::Xz, &[&first[..], &[0; 5]].concat()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
}

#[test]
fn detection_passes_unknown_data_through_chunk_for_chunk() {
    let chunks = [
        Bytes::from_static(b"B"),
        Bytes::from_static(b"Z"),
        Bytes::from_static(b"x, not bzip2"),
    ];
    let mut detect = Decompress::detect();
    let mut buffer = ReadBuffer::new(usize::MAX);
    for chunk in chunks.clone() {
        detect
            .transform(chunk, &mut Push::new(&mut buffer))
            .unwrap();
    }
    assert_eq!(detect.codec(), None);
    detect.flush(&mut Push::new(&mut buffer)).unwrap();
    for chunk in chunks {
        let out = buffer.pop_front().unwrap();
        assert_eq!(out, chunk);
        assert_eq!(out.as_ptr(), chunk.as_ptr(), "passed on without a copy");
    }
    assert!(buffer.pop_front().is_none());
}

#[test]
fn detection_of_short_or_empty_input() {
    for data in [&b""[..], b"\x1f", b"\xfd7zXZ", b"BZh"] {
        assert_eq!(apply(Decompress::detect(), data, &[1]).unwrap(), data);
    }
    let err = apply(Decompress::detect(), b"\x1f\x8b", &[1]).unwrap_err();
    assert_eq!(
        format!("{err:#}"),
        "unexpected end of gzip data: the input ends inside a member (after 2 bytes)"
    );
}

#[test]
fn detection_reports_the_codec() {
    let packed = compress(Codec::Bzip2, b"data");
    let mut detect = Decompress::detect();
    let mut buffer = ReadBuffer::new(usize::MAX);
    detect
        .transform(Bytes::from(packed), &mut Push::new(&mut buffer))
        .unwrap();
    assert_eq!(detect.codec(), Some(Codec::Bzip2));
    assert_eq!(Decompress::new(Codec::Brotli).codec(), Some(Codec::Brotli));
}

#[test]
fn gzip_after_detection_refuses_plain_text_after_it() {
    let mut packed = compress(Codec::Gzip, b"compressed ");
    let end = packed.len();
    packed.extend_from_slice(b"then plain");
    let err = apply(Decompress::detect(), &packed, &[4]).unwrap_err();
    assert_eq!(
        format!("{err:#}"),
        format!("unexpected data after the end of the gzip data, at input byte {end}")
    );
}

#[test]
fn settings_are_reported() {
    let zstd = Compress::with_level(Codec::Zstd, 19)
        .unwrap()
        .with_threads(0);
    assert_eq!(
        (zstd.codec(), zstd.level(), zstd.threads()),
        (Codec::Zstd, 19, 0)
    );
    assert_eq!(Compress::new(Codec::Xz).threads(), 1);
    assert_eq!(Compress::new(Codec::Brotli).level(), 11);
    let err = Compress::with_level(Codec::Bzip2, 0).unwrap_err();
    assert_eq!(format!("{err:#}"), "bzip2 level must be 1-9, got 0");
}

#[test]
fn zstd_round_trips_whatever_the_threads() {
    let data = text(3_000_000, 11);
    for threads in [0, 1, 2, 3] {
        let zstd = Compress::new(Codec::Zstd).with_threads(threads);
        let packed = apply(zstd, &data, &[65_536]).unwrap();
        assert!(
            decompress(Codec::Zstd, &packed).unwrap() == data,
            "{threads}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn gzip_and_zstd_round_trip_any_data_at_any_chunking(
        data in prop::collection::vec(any::<u8>(), 0..20_000),
        repeats in 1usize..4,
        sizes in prop::collection::vec(1usize..5_000, 1..6),
        unpack_sizes in prop::collection::vec(1usize..3_000, 1..6),
    ) {
        let data = data.repeat(repeats);
        for codec in [Codec::Gzip, Codec::Zstd] {
            let packed = apply(Compress::new(codec), &data, &sizes).unwrap();
            let back = apply(Decompress::new(codec), &packed, &unpack_sizes).unwrap();
            prop_assert!(back == data);
            let detected = apply(Decompress::detect(), &packed, &unpack_sizes).unwrap();
            prop_assert!(detected == data);
        }
    }

    #[test]
    fn garbage_never_panics_a_decoder(
        data in prop::collection::vec(any::<u8>(), 0..2_000),
        sizes in prop::collection::vec(1usize..300, 1..4),
    ) {
        for codec in Codec::ALL {
            if let Err(err) = apply(Decompress::new(codec), &data, &sizes).result {
                prop_assert_eq!(err.kind(), ErrorKind::InvalidData);
            }
        }
        let _ = apply(Decompress::detect(), &data, &sizes);
    }
}

// The decoders' memory limit.

/// `xz -0` data whose block header now asks for a dictionary of `dict`
/// (one of the sizes the format can say: 2 or 3 times a power of two),
/// with the header's CRC32 made right: the data itself still decodes.
fn xz_with_dictionary(data: &[u8], dict: u64) -> Vec<u8> {
    let mut xz = compress(Codec::Xz, data);
    // The dictionary size code: (2 | (code & 1)) << (code / 2 + 11).
    let code = (0..=40u8)
        .find(|&code| (2 | u64::from(code & 1)) << (code / 2 + 11) == dict)
        .expect("a size xz can say");
    // Stream header (12 bytes), then the block header: its size, its
    // flags, the sizes the flags announce, then the LZMA2 filter (id 0x21,
    // 1 byte of properties: the dictionary code).
    let header_len = (usize::from(xz[12]) + 1) * 4;
    let flags = xz[13];
    let mut at = 14;
    for present in [flags & 0x40 != 0, flags & 0x80 != 0] {
        if present {
            while xz[at] & 0x80 != 0 {
                at += 1;
            }
            at += 1;
        }
    }
    assert_eq!(&xz[at..at + 2], [0x21, 0x01], "an LZMA2 filter");
    xz[at + 2] = code;
    let mut crc = flate2::Crc::new();
    crc.update(&xz[12..12 + header_len - 4]);
    xz[12 + header_len - 4..12 + header_len].copy_from_slice(&crc.sum().to_le_bytes());
    xz
}

/// A zstd frame whose header asks for a window of 2^`log` bytes, holding
/// `hello` in one raw block.
fn zstd_with_window(log: u8) -> Vec<u8> {
    let mut frame = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, (log - 10) << 3];
    // Last block, raw, 5 bytes.
    frame.extend_from_slice(&[0x29, 0x00, 0x00]);
    frame.extend_from_slice(b"hello");
    frame
}

#[test]
fn an_xz_dictionary_over_the_limit_is_refused_before_it_is_allocated() {
    let data = text(10_000, 9);
    let big = xz_with_dictionary(&data, 3 << 29);
    let err = decompress(Codec::Xz, &big).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert_eq!(
        err.to_string(),
        "xz data needs more memory to decode, over the memory limit of 256 MiB \
         (--memlimit raises it)"
    );
    // Within a limit raised for it, the same data decodes.
    let fits = xz_with_dictionary(&data, 3 << 27);
    assert!(decompress(Codec::Xz, &fits).is_err());
    let raised = apply(
        Decompress::new(Codec::Xz).with_memory_limit(512 << 20),
        &fits,
        &[4096],
    );
    assert_eq!(raised.output, data);
    assert!(raised.result.is_ok(), "{:?}", raised.result);
}

#[test]
fn a_zstd_window_over_the_limit_is_refused_from_the_frame_header() {
    let err = decompress(Codec::Zstd, &zstd_with_window(29)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "zstd data needs a window of 512 MiB to decode, over the memory limit of 256 MiB \
         (--memlimit raises it)"
    );
    // Detected, too; and a header split over chunks is read whole.
    let detected = apply(Decompress::detect(), &zstd_with_window(29), &[1]);
    assert!(detected.result.unwrap_err().to_string().contains("512 MiB"));
    assert_eq!(
        decompress(Codec::Zstd, &zstd_with_window(28)).unwrap(),
        b"hello"
    );
    let raised = apply(
        Decompress::new(Codec::Zstd).with_memory_limit(1 << 30),
        &zstd_with_window(29),
        &[3],
    );
    assert_eq!(raised.output, b"hello");
    let lowered = apply(
        Decompress::new(Codec::Zstd).with_memory_limit(1 << 20),
        &compress(Codec::Zstd, &text(100, 1)),
        &[64 * 1024],
    );
    assert!(lowered.result.is_ok(), "{:?}", lowered.result);
}

#[test]
fn a_brotli_window_over_a_lowered_limit_is_refused() {
    // Bit 0 set, then 3 bits of 7: WBITS = 24, a 16 MiB window.
    let header = [0b0000_1111u8];
    let err = apply(
        Decompress::new(Codec::Brotli).with_memory_limit(1 << 20),
        &header,
        &[64 * 1024],
    )
    .result
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "brotli data needs a window of 16 MiB to decode, over the memory limit of 1 MiB \
         (--memlimit raises it)"
    );
    let data = text(1000, 3);
    let brotli = compress(Codec::Brotli, &data);
    assert_eq!(decompress(Codec::Brotli, &brotli).unwrap(), data);
}

#[test]
fn memory_limits_are_reported() {
    assert_eq!(Decompress::detect().memory_limit(), 256 << 20);
    assert_eq!(
        Decompress::new(Codec::Gzip)
            .with_memory_limit(1 << 30)
            .memory_limit(),
        1 << 30
    );
    assert_eq!(super::decoder::zstd_window_log_max(256 << 20), 28);
    assert_eq!(super::decoder::zstd_window_log_max(300 << 20), 29);
    assert_eq!(super::decoder::zstd_window_log_max(1), 10);
    assert_eq!(super::decoder::zstd_window_log_max(u64::MAX), 31);
}
