//! Node.js streams for Rust, and the engine of the `smerge` file merger.
//!
//! # Brief overview
//!
//! A [`Readable`] is a buffer counted against a highWaterMark in front of a
//! [`Source`] (Node's `_read`/`push`): the engine asks the source for data
//! while the buffer is below the mark, and stops when it is full until the
//! consumer reads. A [`Writable`] is a queue counted against its own mark in
//! front of a [`Sink`] (Node's `_write`/`_writev`/`_final`): `write` returns
//! `false` once the queue reached the mark, and `drain` follows when it
//! emptied. A [`Duplex`] has both sides; a [`Transform`] is the usual middle
//! stage, turned into a duplex by [`Duplex::transform`] — its writable side
//! waits while its readable side is full, so backpressure crosses it.
//!
//! Streams are connected two ways, as in Node:
//!
//! - [`pipe`] borrows a source and its destinations: it pauses the source
//!   when a destination's `write` returns `false` and resumes it on
//!   `drain`, ends the destinations when the source ends (or leaves them
//!   open with [`PipeOptions::keep_open`], how files are merged into one
//!   writer), and leaves everything as it is on an error.
//! - [`pipeline`] (and [`Readable::pipe`], which chains by value) owns every
//!   stage and runs them as one future: the first error destroys every stage
//!   and is returned, naming the stage that failed.
//!
//! Chunks are [`Bytes`](bytes::Bytes) for byte streams and any [`Chunk`]
//! for object streams; every stream reports its lifecycle as [`Event`]s, in
//! Node's order, to the observers registered with `observe`.
//!
//! Around the engine: [`fs`] has file streams, the atomic output file and
//! the ordered listing of a merge's inputs; [`merge`] is `smerge merge` as a
//! library; [`transforms`] holds the ready-made stages (compression, packet
//! framing, child processes, text fixes); [`net`] turns TCP connections
//! into duplex streams.
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use smerge::{pipe, pipeline, Duplex, PassThrough, PipeOptions, Readable, Writable};
//! use smerge::sink::CollectSink;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> smerge::Result<()> {
//! // pipeline: the stages are owned, and the first error destroys them all.
//! let (sink, got) = CollectSink::new();
//! pipeline(Readable::from_iter([Bytes::from("a"), Bytes::from("b")]))
//!     .pipe(PassThrough::new())
//!     .pipe(Writable::new(sink))
//!     .await?;
//! assert_eq!(got.take().concat(), b"ab");
//!
//! // The Node-shaped chain: `src.pipe(transform).pipe(dest)`.
//! let (sink, got) = CollectSink::new();
//! Readable::from_iter([Bytes::from("c")])
//!     .pipe(Duplex::pass_through())
//!     .pipe(Writable::new(sink))
//!     .await?;
//! assert_eq!(got.take().concat(), b"c");
//!
//! // pipe with `end: false`: two sources into one writer, which stays open.
//! let (sink, got) = CollectSink::new();
//! let mut out = Writable::new(sink);
//! for part in ["d", "e"] {
//!     let mut source = Readable::from_iter([Bytes::from(part)]);
//!     pipe(&mut source, &mut out, PipeOptions::keep_open()).await?;
//! }
//! out.close().await?;
//! assert_eq!(got.take().concat(), b"de");
//! # Ok(())
//! # }
//! ```

#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]

#[cfg(feature = "data")]
mod blocking;
mod buffer;
mod chunk;
#[cfg(feature = "data")]
mod data;
mod duplex;
mod error;
mod event;
#[cfg(feature = "formats")]
pub mod formats;
pub mod fs;
#[cfg(feature = "interleave")]
pub mod interleave;
mod io;
mod lifecycle;
pub mod merge;
pub mod net;
pub mod object;
mod pipe;
mod pipeline;
mod queue;
mod quote;
mod readable;
#[cfg(feature = "seekable")]
pub mod seekable;
pub mod sink;
pub mod source;
#[cfg(feature = "source-map")]
pub mod sourcemap;
pub mod split;
mod stream;
mod text;
mod transform;
mod transform_sink;
pub mod transforms;
mod writable;

pub use buffer::Push;
pub use chunk::{
    Chunk, DEFAULT_FILE_HIGH_WATER_MARK, DEFAULT_HIGH_WATER_MARK, DEFAULT_OBJECT_HIGH_WATER_MARK,
};
pub use duplex::{Duplex, DuplexHandler};
pub use error::{Error, ErrorKind, Result};
pub use event::Event;
pub use io::{SinkAdapter, WriterSink};
pub use pipe::{Pipe, PipeOptions, pipe, pipe_all};
pub use pipeline::{Finish, PipeTarget, Pipeline, PipelineFuture, finished, pipeline};
pub use queue::WriteQueue;
pub use quote::{Quoted, quote};
pub use readable::Readable;
pub use sink::Sink;
pub use source::Source;
pub use stream::{ReadableStream, WritableStream};
pub use text::Utf8Decoder;
pub use transform::{PassThrough, Transform};
pub use transform_sink::TransformSink;
pub use writable::Writable;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
