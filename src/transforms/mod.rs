//! Ready-made transforms for smerge streams, each also usable on its own.
//!
//! | `smerge pipe -t` | Transform |
//! | --- | --- |
//! | `frame[:MAX]` | [`Frame::new`], [`Frame::with_max`] |
//! | `unframe` | [`Unframe::new`] |
//! | `frame32[:MAX]` | [`Frame::wide`], [`Frame::wide_with_max`] |
//! | `unframe32` | [`Unframe::wide`] |
//! | `strip-bom` | [`StripBom::new`] |
//! | `eol:lf`, `eol:crlf` | [`Eol::new`] |
//! | `ensure-newline` | [`EnsureNewline::new`] |
//! | `exec:CMD ARGS…` | [`Exec::parse`], then [`Exec::spawn`] |
//! | `gzip[:LEVEL]`, `zstd[:LEVEL]`, ... (every [`Codec`]) | [`Compress::new`], [`Compress::with_level`] |
//! | `gunzip`, `unzstd`, ... (every [`Codec`]) | [`Decompress::new`] |
//! | `decompress` (by magic number) | [`Decompress::detect`] |
//!
//! The packet codec behind `frame` and `unframe`, [`FrameCodec`], is a
//! tokio-util codec, so the same packets can be read from and written to a
//! socket with `FramedRead` and `FramedWrite`.

mod compress;
mod exec;
mod frame;
mod text;

#[cfg(test)]
mod testing;

pub use compress::{Codec, Compress, DEFAULT_MEMORY_LIMIT, Decompress};
pub use exec::Exec;
pub use frame::{Frame, FrameCodec, Unframe};
pub use text::{EnsureNewline, Eol, LineEnding, StripBom};
