//! `decompress` (the codec detected by magic number) and each explicit
//! decoder (`gunzip`, `unzstd`, ...) over arbitrary bytes in arbitrary
//! chunks.
//!
//! The settings byte: bits 0-2 pick `Decompress::detect()` (0) or
//! `Decompress::new(Codec::ALL[n - 1])`, bits 3-5 the decoder's readable
//! highWaterMark, from 1 byte to 16 KiB, so that it stops and resumes
//! often. At most `OUTPUT_CAP` bytes are read from each run, so a
//! decompression bomb costs time, not memory.
//!
//! Checked: errors are `InvalidData` or `Io`; the chunked run ends as the
//! run over the whole input in one chunk does (both succeed with the same
//! output, or both fail, one's output a prefix of the other's); and data
//! without a magic number passes through `decompress` untouched.

#![no_main]

use libfuzzer_sys::fuzz_target;
use smerge::transforms::{Codec, Decompress};
use smerge::{Duplex, ErrorKind};
use smerge_fuzz::{Case, Run, rechunk, run};

/// The most output read from one run.
const OUTPUT_CAP: usize = 4 << 20;

fuzz_target!(|input: &[u8]| {
    let Some(case) = Case::parse(input) else {
        return;
    };
    let codec = match case.settings & 7 {
        0 => None,
        n => Some(Codec::ALL[usize::from(n) - 1]),
    };
    let high_water_mark = 1 << (2 * ((case.settings >> 3) & 7));
    let decoder = || codec.map_or_else(Decompress::detect, Decompress::new);

    let chunked = run(
        case.chunks,
        Duplex::transform(decoder()).with_readable_high_water_mark(high_water_mark),
        OUTPUT_CAP,
    );
    let whole = run(
        rechunk(case.data, &[]),
        Duplex::transform(decoder()),
        OUTPUT_CAP,
    );
    for run in [&chunked, &whole] {
        if let Some(Err(error)) = &run.end {
            assert!(
                matches!(error.kind(), ErrorKind::InvalidData | ErrorKind::Io),
                "{error:?}"
            );
        }
    }
    compare(&chunked, &whole);

    let prefix = &case.data[..case.data.len().min(Codec::MAX_MAGIC_LEN)];
    if codec.is_none() && Codec::detect(prefix).is_none() {
        assert!(
            case.data.starts_with(&chunked.output),
            "pass-through changed the data"
        );
        if let Some(end) = &chunked.end {
            assert!(end.is_ok(), "pass-through failed: {end:?}");
            assert!(
                chunked.output.len() == case.data.len(),
                "pass-through lost data"
            );
        }
    }
});

/// Two runs over the same data must agree, up to the cap.
fn compare(chunked: &Run, whole: &Run) {
    let common = chunked.output.len().min(whole.output.len());
    assert!(
        chunked.output[..common] == whole.output[..common],
        "the chunked output differs from the whole one"
    );
    let (Some(chunked_end), Some(whole_end)) = (&chunked.end, &whole.end) else {
        return;
    };
    assert_eq!(
        chunked_end.is_ok(),
        whole_end.is_ok(),
        "chunked: {chunked_end:?}; whole: {whole_end:?}"
    );
    if chunked_end.is_ok() {
        assert!(
            chunked.output.len() == whole.output.len(),
            "chunked: {} bytes, whole: {} bytes",
            chunked.output.len(),
            whole.output.len()
        );
    }
}
