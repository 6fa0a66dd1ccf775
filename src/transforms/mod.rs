//! Ready-made transforms for smerge streams, each also usable on its own.
//!
//! | `smerge pipe -t` | Transform |
//! | --- | --- |
//! | `frame[:MAX]` | [`Frame::new`], [`Frame::with_max`] |
//! | `unframe` | [`Unframe::new`] |
//! | `frame32[:MAX]` | [`Frame::wide`], [`Frame::wide_with_max`] |
//! | `unframe32` | [`Unframe::wide`] |
//! | `gzip[:LEVEL]`, `zstd[:LEVEL]`, ... (every [`Codec`]) | [`Compress::new`], [`Compress::with_level`] |
//! | `gunzip`, `unzstd`, ... (every [`Codec`]) | [`Decompress::new`] |
//! | `decompress` (by magic number) | [`Decompress::detect`] |
//!
//! The packet codec behind `frame` and `unframe`, [`FrameCodec`], is a
//! tokio-util codec, so the same packets can be read from and written to a
//! socket with `FramedRead` and `FramedWrite`.

mod compress;
mod frame;

pub use compress::{Codec, Compress, Decompress};
pub use frame::{Frame, FrameCodec, Unframe};
