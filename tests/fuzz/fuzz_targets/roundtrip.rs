//! `Compress` then `Decompress`, over arbitrary data in arbitrary chunks:
//! whatever the codec, level and chunking, decompressing gives the data
//! back, with the codec named or detected by its magic number.
//!
//! The settings byte: bits 0-2 the codec (`Codec::ALL[n % 7]`), bits 3-4
//! the level (the codec's lowest plus 0-3), bit 5 compresses the two halves
//! of the data separately and joins them (for the codecs whose members may
//! follow one another), bit 6 compresses zstd on two threads, bit 7 gives
//! the decoder a readable highWaterMark of 1 byte.

#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use smerge::Duplex;
use smerge::transforms::{Codec, Compress, Decompress};
use smerge_fuzz::{Case, rechunk, run};

fuzz_target!(|input: &[u8]| {
    let Some(case) = Case::parse(input) else {
        return;
    };
    let codec = Codec::ALL[usize::from(case.settings & 7) % Codec::ALL.len()];
    let level =
        (codec.levels().start() + u32::from((case.settings >> 3) & 3)).min(*codec.levels().end());
    let threads = if case.settings & 0x40 == 0 { 1 } else { 2 };
    let concatenable = matches!(codec, Codec::Gzip | Codec::Zstd | Codec::Bzip2 | Codec::Xz);
    let compress = |chunks: Vec<Bytes>| {
        let compress = Compress::with_level(codec, level)
            .unwrap()
            .with_threads(threads);
        let run = run(chunks, Duplex::transform(compress), usize::MAX);
        if let Some(Err(error)) = run.end {
            panic!("{codec} compression failed: {error}");
        }
        run.output
    };
    let compressed = if case.settings & 0x20 != 0 && concatenable {
        let (first, second) = case.data.split_at(case.data.len() / 2);
        [
            compress(rechunk(first, &[])),
            compress(rechunk(second, &[])),
        ]
        .concat()
    } else {
        compress(case.chunks.clone())
    };

    let sizes: Vec<usize> = case.chunks.iter().map(Bytes::len).collect();
    let high_water_mark = if case.settings & 0x80 == 0 {
        16 << 10
    } else {
        1
    };
    let mut decoders = vec![Decompress::new(codec)];
    if Codec::detect(&compressed[..compressed.len().min(Codec::MAX_MAGIC_LEN)]) == Some(codec) {
        decoders.push(Decompress::detect());
    }
    for decoder in decoders {
        let stage = Duplex::transform(decoder).with_readable_high_water_mark(high_water_mark);
        let run = run(rechunk(&compressed, &sizes), stage, usize::MAX);
        if let Some(Err(error)) = run.end {
            panic!("{codec} level {level}: decompression failed: {error}");
        }
        assert!(
            run.output == case.data,
            "{codec} level {level}: the data changed"
        );
    }
});
