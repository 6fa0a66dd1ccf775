//! Compression and decompression through smerge's public API: byte
//! compatibility with the command-line tools, bounded memory, throughput.

mod bounded;
mod parallel_gzip;
mod throughput;
mod tools;

use bytes::Bytes;
use smerge::transforms::{Codec, Compress, Decompress};
use smerge::{Readable, ReadableExt, Transform};

/// Runs `transform` over `data`, written in chunks of `chunk_len` bytes.
async fn apply(
    transform: impl Transform<Input = Bytes, Output = Bytes> + Unpin,
    data: &[u8],
    chunk_len: usize,
) -> smerge::Result<Vec<u8>> {
    let chunks: Vec<Bytes> = data.chunks(chunk_len).map(Bytes::copy_from_slice).collect();
    let output = Readable::from_iter(chunks)
        .pipe(transform)
        .to_bytes()
        .await?;
    Ok(output.to_vec())
}

async fn compress(compress: Compress, data: &[u8]) -> Vec<u8> {
    let codec = compress.codec();
    apply(compress, data, 64 * 1024)
        .await
        .unwrap_or_else(|err| panic!("{codec} compression failed: {err}"))
}

async fn decompress(decompress: Decompress, data: &[u8]) -> Vec<u8> {
    apply(decompress, data, 64 * 1024)
        .await
        .unwrap_or_else(|err| panic!("decompression failed: {err}"))
}

/// Text-like data: words of a few thousand made-up ones, used with a
/// skewed frequency as in prose and code, with punctuation, numbers and
/// line breaks; deterministic for a given `seed`.
fn text(len: usize, seed: u64) -> Vec<u8> {
    let mut random = Random(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let vocabulary: Vec<Vec<u8>> = (0..4000)
        .map(|_| {
            let word_len = 2 + random.below(9) as usize;
            (0..word_len)
                .map(|_| b'a' + random.below(26) as u8)
                .collect()
        })
        .collect();
    let mut out = Vec::with_capacity(len + 64);
    while out.len() < len {
        // Squaring a uniform index favours the first words, like Zipf's law.
        let pick = random.below(vocabulary.len() as u64);
        let index = (pick * pick / vocabulary.len() as u64) as usize;
        out.extend_from_slice(&vocabulary[index]);
        match random.below(40) {
            0 => out.extend_from_slice(b".\n"),
            1 => out.extend_from_slice(b", "),
            2 => out.extend_from_slice(format!(" {} ", random.below(100_000)).as_bytes()),
            3 => out.extend_from_slice(b"();\n    "),
            _ => out.push(b' '),
        }
    }
    out.truncate(len);
    out
}

/// Bytes that do not compress; deterministic for a given `seed`.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut random = Random(seed | 1);
    (0..len).map(|_| random.below(256) as u8).collect()
}

/// A xorshift generator, enough for test data.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

/// Every codec that has a command-line tool, with the tool's name.
const TOOLS: [(Codec, &str); 5] = [
    (Codec::Gzip, "gzip"),
    (Codec::Zstd, "zstd"),
    (Codec::Xz, "xz"),
    (Codec::Bzip2, "bzip2"),
    (Codec::Brotli, "brotli"),
];
