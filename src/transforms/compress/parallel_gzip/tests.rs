//! The parallel gzip encoder driven directly: one member whatever the
//! chunking, the block length or the output room; the header; the end of
//! its threads.

use std::io::Read;

use super::*;

/// Log-like lines: compressible, and different from block to block.
fn lines(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 64);
    let mut i: u64 = 0;
    while out.len() < len {
        let line = format!(
            "{:06} merge chunk {} of stream {}: buffered {} bytes\n",
            i,
            i % 97,
            i.wrapping_mul(7919) % 1000,
            i.wrapping_mul(104_729) % 65_536
        );
        out.extend_from_slice(line.as_bytes());
        i += 1;
    }
    out.truncate(len);
    out
}

/// Encodes `data` written in pieces of `chunk_len` bytes, into output room
/// of `room` bytes at a time.
fn encode(
    encoder: &mut ParallelGzipEncoder,
    data: &[u8],
    chunk_len: usize,
    room: usize,
) -> io::Result<Vec<u8>> {
    let mut gzip = Vec::new();
    let mut space = vec![0; room];
    for chunk in data.chunks(chunk_len) {
        let mut input = PartialBuffer::new(chunk);
        while !input.unwritten().is_empty() {
            let mut output = WriteBuffer::new_initialized(&mut space);
            encoder.encode(&mut input, &mut output)?;
            gzip.extend_from_slice(output.written());
        }
    }
    loop {
        let mut output = WriteBuffer::new_initialized(&mut space);
        let done = encoder.finish(&mut output)?;
        gzip.extend_from_slice(output.written());
        if done {
            return Ok(gzip);
        }
    }
}

/// Decodes the first gzip member of `gzip` (checking its CRC and length),
/// and checks that nothing follows it.
fn gunzip_one_member(gzip: &[u8]) -> Vec<u8> {
    let mut decoder = flate2::bufread::GzDecoder::new(gzip);
    let mut data = Vec::new();
    decoder.read_to_end(&mut data).expect("a valid gzip member");
    assert!(decoder.into_inner().is_empty(), "bytes after the member");
    data
}

#[test]
fn blocks_join_into_one_member_at_any_chunking() {
    let data = lines(300_000);
    for block_len in [1_000, 40_000, BLOCK_LEN] {
        for chunk_len in [1, 31, 4096, block_len - 1, block_len, block_len + 1] {
            if chunk_len == 1 && block_len == BLOCK_LEN {
                continue; // The same as with smaller blocks, only slower.
            }
            let mut encoder = ParallelGzipEncoder::with_block_len(6, 2, block_len);
            let gzip = encode(&mut encoder, &data, chunk_len, 64 * 1024).unwrap();
            assert!(
                gunzip_one_member(&gzip) == data,
                "blocks of {block_len}, chunks of {chunk_len}"
            );
        }
    }
}

#[test]
fn little_output_room_at_a_time_loses_nothing() {
    let data = lines(100_000);
    for room in [1, 7, 100] {
        let mut encoder = ParallelGzipEncoder::with_block_len(6, 3, 10_000);
        let gzip = encode(&mut encoder, &data, 8192, room).unwrap();
        assert!(gunzip_one_member(&gzip) == data, "room of {room}");
    }
}

#[test]
fn input_of_exactly_whole_blocks_ends_in_a_block_with_data() {
    let data = lines(3 * 10_000);
    let mut encoder = ParallelGzipEncoder::with_block_len(6, 2, 10_000);
    let gzip = encode(&mut encoder, &data, 10_000, 64 * 1024).unwrap();
    assert_eq!(gunzip_one_member(&gzip), data);
}

#[test]
fn empty_input_is_a_valid_empty_member() {
    let mut encoder = ParallelGzipEncoder::new(6, 2);
    let gzip = encode(&mut encoder, b"", 1, 64).unwrap();
    // Header, an empty final block, CRC-32 and length 0.
    assert_eq!(gzip.len(), 10 + 2 + 8);
    assert_eq!(gunzip_one_member(&gzip), b"");
}

#[test]
fn the_header_is_gzips_for_the_level() {
    for (level, extra_flags) in [(1, 4), (6, 0), (9, 2)] {
        let mut encoder = ParallelGzipEncoder::new(level, 2);
        let gzip = encode(&mut encoder, b"abc", 3, 64).unwrap();
        assert_eq!(
            gzip[..10],
            [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, extra_flags, 3],
            "level {level}"
        );
        assert_eq!(gunzip_one_member(&gzip), b"abc");
    }
}

#[test]
fn the_output_does_not_depend_on_the_threads() {
    let data = lines(200_000);
    let outputs: Vec<Vec<u8>> = [2, 3, 5]
        .into_iter()
        .map(|threads| {
            let mut encoder = ParallelGzipEncoder::with_block_len(6, threads, 20_000);
            encode(&mut encoder, &data, 5000, 4096).unwrap()
        })
        .collect();
    assert!(outputs.iter().all(|gzip| *gzip == outputs[0]));
}

#[test]
fn threads_start_only_as_blocks_need_them() {
    // One block: compressed on the calling thread.
    let mut encoder = ParallelGzipEncoder::with_block_len(6, 4, 10_000);
    let gzip = encode(&mut encoder, &lines(10_000), 5_000, 64 * 1024).unwrap();
    assert_eq!(encoder.workers.thread_count(), 0);
    assert_eq!(gunzip_one_member(&gzip), lines(10_000));
    // Two blocks: the first on a thread, the last here or on another one
    // if the first is still in flight.
    let mut encoder = ParallelGzipEncoder::with_block_len(6, 4, 10_000);
    encode(&mut encoder, &lines(10_001), 5_000, 64 * 1024).unwrap();
    assert!((1..=2).contains(&encoder.workers.thread_count()));
    let mut encoder = ParallelGzipEncoder::with_block_len(6, 4, 10_000);
    encode(&mut encoder, &lines(200_000), 10_000, 64 * 1024).unwrap();
    assert!((1..=4).contains(&encoder.workers.thread_count()));
}

#[test]
fn dropping_the_encoder_mid_stream_ends_its_threads() {
    let data = lines(400_000);
    let mut encoder = ParallelGzipEncoder::with_block_len(6, 3, 10_000);
    let mut input = PartialBuffer::new(&data[..]);
    let mut space = vec![0; 1 << 20];
    let mut output = WriteBuffer::new_initialized(&mut space);
    encoder.encode(&mut input, &mut output).unwrap();
    // Blocks may still be in flight; the threads wait for more either way.
    assert!(encoder.workers.thread_count() > 0);
    let threads = encoder.workers.liveness();
    assert!(threads.upgrade().is_some());
    drop(encoder);
    assert!(threads.upgrade().is_none(), "a thread outlived the encoder");
}

#[test]
fn encoding_after_the_end_is_an_error() {
    let mut encoder = ParallelGzipEncoder::new(6, 2);
    encode(&mut encoder, b"abc", 3, 64).unwrap();
    let mut space = [0; 64];
    let mut output = WriteBuffer::new_initialized(&mut space);
    let err = encoder
        .encode(&mut PartialBuffer::new(&b"more"[..]), &mut output)
        .unwrap_err();
    assert_eq!(err.to_string(), "encode after the end of the gzip data");
}

#[test]
fn flush_ends_a_block_and_writes_everything_taken_so_far() {
    let data = lines(50_000);
    let mut encoder = ParallelGzipEncoder::with_block_len(6, 2, 20_000);
    let mut gzip = Vec::new();
    let mut space = vec![0; 1 << 20];
    let mut output = WriteBuffer::new_initialized(&mut space);
    encoder
        .encode(&mut PartialBuffer::new(&data[..]), &mut output)
        .unwrap();
    assert!(encoder.flush(&mut output).unwrap());
    gzip.extend_from_slice(output.written());
    // Whatever was taken can be decoded already, up to the sync flush's marker.
    assert_eq!(gzip[gzip.len() - 4..], [0, 0, 0xff, 0xff]);
    let mut inflate = flate2::Decompress::new(false);
    let mut flushed = Vec::with_capacity(data.len());
    inflate
        .decompress_vec(&gzip[10..], &mut flushed, flate2::FlushDecompress::Sync)
        .unwrap();
    assert!(flushed == data);
    gzip.extend(encode(&mut encoder, b"", 1, 64).unwrap());
    assert!(gunzip_one_member(&gzip) == data);
}

#[test]
fn a_lost_block_is_an_error_not_a_hang() {
    let mut encoder = ParallelGzipEncoder::new(6, 2);
    encoder.in_flight.push_back(PendingBlock::lost());
    let mut space = [0; 64];
    let mut output = WriteBuffer::new_initialized(&mut space);
    let err = encoder.finish(&mut output).unwrap_err();
    assert_eq!(err.to_string(), "a compressing thread stopped unexpectedly");
}
