//! Compression and decompression: [`Compress`], [`Decompress`], and the
//! [`Codec`]s they speak.
//!
//! | `smerge pipe -t` | Transform |
//! | --- | --- |
//! | `gzip[:LEVEL]`, `zlib[:LEVEL]`, `deflate[:LEVEL]`, `zstd[:LEVEL]`, `brotli[:LEVEL]`, `bzip2[:LEVEL]`, `xz[:LEVEL]` | [`Compress::new`], [`Compress::with_level`] |
//! | `gunzip`, `unzlib`, `inflate`, `unzstd`, `unbrotli`, `bunzip2`, `unxz` | [`Decompress::new`] |
//! | `decompress` | [`Decompress::detect`] |
//!
//! The codecs are those of async-compression, driven synchronously inside
//! the transform: no thread hop, and no copy beyond the codec's own (gzip
//! and zstd compress on threads of their own, to use every core; gzip cuts
//! its input into blocks the way pigz does). gzip, zlib and deflate use the
//! zlib-rs implementation of zlib.
//!
//! Each codec is a cargo feature: `gzip` (with zlib and raw deflate),
//! `zstd`, `brotli`, `bzip2`, `xz`, all on by default; see
//! [`Codec::is_available`].

mod codec;
mod decoder;
mod detect;
mod encoder;
mod input;
mod output;
#[cfg(feature = "gzip")]
mod parallel_gzip;
mod pump;

#[cfg(all(test, feature = "codecs"))]
mod tests;

pub use codec::Codec;
pub use decoder::{DEFAULT_MEMORY_LIMIT, Decompress};
pub use encoder::Compress;
