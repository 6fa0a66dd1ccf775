//! gzip on several threads: one gzip member that smerge and `gzip -d`
//! decode, whatever the chunking, about as small as `gzip -6` makes it.
//!
//! These tests need `gzip` installed.

use std::io::Read;

use proptest::prelude::*;
use smerge::transforms::{Codec, Compress, Decompress};

use super::tools::run_tool;
use super::{apply, text};

/// The block length of parallel gzip: pigz's 128 KiB.
const BLOCK_LEN: usize = 128 * 1024;

fn parallel_gzip(threads: usize) -> Compress {
    Compress::new(Codec::Gzip).with_threads(threads)
}

/// Decodes the first gzip member of `gzip`, checking its CRC-32 and length,
/// and checks that nothing follows it.
fn gunzip_one_member(gzip: &[u8]) -> Vec<u8> {
    let mut decoder = flate2::bufread::GzDecoder::new(gzip);
    let mut data = Vec::new();
    decoder.read_to_end(&mut data).expect("a valid gzip member");
    assert!(
        decoder.into_inner().is_empty(),
        "bytes after the first member"
    );
    data
}

async fn gunzip(gzip: &[u8]) -> Vec<u8> {
    apply(Decompress::new(Codec::Gzip), gzip, 64 * 1024)
        .await
        .expect("smerge gunzip")
}

#[tokio::test]
async fn one_member_that_smerge_and_gzip_decode_at_awkward_chunkings() {
    let data = text(3 * BLOCK_LEN + 1000, 21);
    for chunk_len in [
        31,
        4096,
        BLOCK_LEN - 1,
        BLOCK_LEN,
        BLOCK_LEN + 1,
        data.len(),
    ] {
        for threads in [2, 3] {
            let gzip = apply(parallel_gzip(threads), &data, chunk_len)
                .await
                .unwrap();
            let what = format!("chunks of {chunk_len}, {threads} threads");
            assert!(gunzip_one_member(&gzip) == data, "{what}: one member");
            assert!(gunzip(&gzip).await == data, "{what}: smerge gunzip");
            assert!(
                run_tool("gzip", &["-d", "-c"], &gzip) == data,
                "{what}: gzip -d"
            );
        }
    }
}

#[tokio::test]
async fn one_byte_at_a_time_across_a_block_boundary() {
    let data = text(BLOCK_LEN + 5000, 22);
    let gzip = apply(parallel_gzip(2), &data, 1).await.unwrap();
    assert!(gunzip_one_member(&gzip) == data);
    assert!(run_tool("gzip", &["-d", "-c"], &gzip) == data);
}

#[tokio::test]
async fn input_of_exactly_one_block_and_of_none() {
    for len in [BLOCK_LEN, 2 * BLOCK_LEN, 0] {
        let data = text(len, 23);
        let gzip = apply(parallel_gzip(2), &data, 64 * 1024).await.unwrap();
        assert!(gunzip_one_member(&gzip) == data, "{len} bytes");
        assert!(gunzip(&gzip).await == data, "{len} bytes: smerge gunzip");
        assert!(
            run_tool("gzip", &["-d", "-c"], &gzip) == data,
            "{len} bytes: gzip -d"
        );
    }
}

#[tokio::test]
async fn gzip_lists_one_member_with_the_input_length() {
    let data = text(2 * BLOCK_LEN + 77, 24);
    let gzip = apply(parallel_gzip(2), &data, 64 * 1024).await.unwrap();
    // gzip -l reads the length from the last trailer; -t checks every member.
    run_tool("gzip", &["-t"], &gzip);
    let listing = String::from_utf8(run_tool("gzip", &["-l"], &gzip)).unwrap();
    let uncompressed: Vec<&str> = listing.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(uncompressed[0], gzip.len().to_string(), "{listing}");
    assert_eq!(uncompressed[1], data.len().to_string(), "{listing}");
}

#[tokio::test]
async fn about_as_small_as_gzip_6() {
    let data = text(4 << 20, 25);
    let parallel = apply(parallel_gzip(2), &data, 64 * 1024).await.unwrap();
    let single = apply(parallel_gzip(1), &data, 64 * 1024).await.unwrap();
    let tool = run_tool("gzip", &["-6", "-c"], &data);
    let ratio = parallel.len() as f64 / tool.len() as f64;
    let sizes = format!(
        "parallel gzip {} bytes, one thread {}, gzip -6 {} ({ratio:.4})",
        parallel.len(),
        single.len(),
        tool.len()
    );
    println!("{sizes}");
    assert!(ratio < 1.02, "{sizes}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn parallel_gzip_round_trips(
        len in 0usize..(3 * BLOCK_LEN),
        seed in any::<u64>(),
        chunk_len in 1usize..(2 * BLOCK_LEN),
        threads in 2usize..5,
        noise in any::<bool>(),
    ) {
        let data = if noise {
            super::noise(len, seed)
        } else {
            text(len, seed)
        };
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let gzip = runtime.block_on(apply(parallel_gzip(threads), &data, chunk_len)).unwrap();
        prop_assert!(gunzip_one_member(&gzip) == data);
        prop_assert!(runtime.block_on(gunzip(&gzip)) == data);
    }
}
