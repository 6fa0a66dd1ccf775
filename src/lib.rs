//! Node.js streams for Rust, and the engine of the `smerge` file merger.
//!
//! # Brief overview
//!
//! A [`Readable`] is a buffer counted against a highWaterMark in front of a
//! [`ReadSource`] (Node's `_read`/`push`): the engine asks the source for
//! data while the buffer is below the mark, and stops when it is full until
//! the consumer reads. A [`Writable`] is a queue counted against its own
//! mark in front of a [`WriteSink`] (Node's `_write`/`_writev`/`_final`):
//! `write` returns `false` once the queue reached the mark, and `drain`
//! follows when it emptied. A [`Duplex`] has both sides; a [`Transform`] is
//! the usual middle stage, turned into a duplex by [`Duplex::transform`] —
//! its writable side waits while its readable side is full, so
//! backpressure crosses it. Those four traits — [`ReadSource`],
//! [`WriteSink`], [`Transform`] and [`Chunk`], the rule of how a chunk
//! counts — are all a user implements; the rest are concrete types and
//! sealed traits.
//!
//! Streams are connected two ways, as in Node:
//!
//! - [`pipe`] borrows a source and its destinations: it pauses the source
//!   when a destination's `write` returns `false` and resumes it on
//!   `drain`, ends the destinations when the source ends (or leaves them
//!   open with [`PipeOptions::keep_open`], how files are merged into one
//!   writer), and leaves everything as it is on an error.
//! - [`pipeline`] (and [`ReadableExt::pipe`], which chains by value) owns
//!   every stage and runs them as one future: the first error destroys
//!   every stage and is returned, naming the stage that failed
//!   ([`Error::stage`]).
//!
//! Chunks are [`Bytes`](bytes::Bytes) for byte streams and any [`Chunk`]
//! for object streams; every stream reports its lifecycle as [`Event`]s, in
//! Node's order, to the observers registered with `observe`. Errors are
//! values: an [`Error`] shows one layer with `Display` and the next with
//! `source()`, and `{:#}` prints the whole chain on one line.
//!
//! With the default features the crate is also the `smerge` tool's
//! library, each module behind the feature of its name: `fs` has file
//! streams, the atomic output file and the ordered listing of a merge's
//! inputs; `merge` is `smerge merge` as a library; `transforms` holds the
//! ready-made stages (compression, packet framing, child processes, text
//! fixes); `net` turns TCP connections into duplex streams.
//! `default-features = false, features = ["stream"]` gives the engine
//! alone.
//!
//! # Events and ticks
//!
//! Node delivers some events on "the next tick" (`process.nextTick`) rather
//! than inside the call that caused them: `error` and `close` after
//! `destroy()`, `close` after `end` or `finish`, and `resume` after
//! `resume()` (or `pipe()`), so the caller's own handling runs first.
//! (`resume` comes after the poll asked the source for data, before the
//! first `data`, as Node's `resume_` calls `read(0)` first.) smerge streams are driven by polling, and a tick is
//! one poll of the stream: an event that Node defers is queued by the call
//! that causes it and delivered, in order, at the start of the stream's
//! next poll — or when the stream is dropped, whichever comes first. Events
//! that happen inside a poll (`data`, `drain`, `end`, `finish`) are
//! delivered at once, after the queued ones the poll delivered first;
//! events of a call between two polls (`pause()` after `destroy()`) come
//! at once, before them, so the relative order is always Node's. Work that
//! Node defers to the next tick is deferred the same way: the chunks a
//! `destroy()` (or a write after `end`) drops still count in `writable_length` until the next poll,
//! and the `end` a `read()` finds comes at the next poll. A paused
//! [`Readable`] that nothing reads from is polled by nobody: its
//! [`tick`](Readable::tick) does what Node does for it between two calls
//! (deferred events, and reading ahead to the highWaterMark after a push).
//!
//! What Node does inside a call happens inside the call. As Node's
//! `write()` calls `_write` when nothing is being written, `write()`,
//! `uncork()` and `end()` hand queued chunks to an idle, uncorked sink at
//! once — a transform runs inside `write()`, and its output is readable
//! when the call returns — so a sink that takes chunks at once never fills.
//! `end()` with nothing left to write runs the final hook (a transform
//! flushes) and emits `prefinish` inside the call; `finish` is Node's next
//! tick, the next poll. A sink that fails inside `write()` leaves the
//! stream errored (`write()` returns `false`), destroyed at the next poll.
//! A sink that needs a tokio runtime is asked inside the call only within
//! one ([`WriteSink::starts_at_once`]); otherwise, like a sink that is busy,
//! it is asked at the next poll.
//!
//! `pipe` and `unpipe` are delivered at once, ahead of any queued events, as
//! Node emits them from inside `pipe()` and from the handlers of the
//! source's `end` and the destination's `finish`; an `unpipe` on a
//! destination whose `error` is queued comes just before it, as Node emits
//! it from the `error` handler. A destination that failed shows `unpipe`,
//! `error`, `close`; one destroyed without an error `close`, `unpipe`; one
//! a pipe ended `finish`, `unpipe`, `close`; one a pipeline ended `unpipe`,
//! `finish`, `close`. A [`finished`] future made before a pipe resolves at
//! the destination's `close` before that pipe's `unpipe` comes, as Node
//! runs `close` listeners in the order they were added. `pause` is delivered at
//! once too: an `end` then `pause` come before the `close` queued after
//! `end`. As in Node, no `error`, `data`, `end` or second `close` comes
//! after `close`; what a call on a closed stream does (`pause`, `resume`,
//! `pipe`) is still emitted.
//!
//! Node keeps one `nextTick` queue for every stream; smerge keeps each
//! stream's queued ticks in that stream, each with its place in one
//! process-wide order. A pipe, and a pipeline's link, use that order where
//! one stream acts on another: before they write what a source's tick gave
//! into a destination, the destination's own ticks queued before it run
//! (a transform's `resume` comes before the `_transform` of a chunk its
//! source flowed after it), and before a destination's `finish`, `close`
//! or `error` pauses or unpipes the source, the source's own older `error`
//! and `close` come. Two streams no pipe joins deliver their ticks at their
//! own polls.
//!
//! A transform's callback is [`Transform::poll_ready`]: the chunk handed to
//! it counts in the writable side's length until then, and, as in Node's
//! `Transform._write`, until its output no longer fills the readable side.
//!
//! Streams deliver events only to observers registered with `observe`; with
//! none registered, emitting an event is a single branch, and a stage hands
//! its whole buffer to the next in one move.
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use smerge::{Duplex, PassThrough, PipeOptions, Readable, ReadableExt, Writable, pipe, pipeline};
//! use smerge::CollectSink;
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
#[cfg(feature = "data")]
mod data;
#[cfg(feature = "formats")]
pub mod formats;
#[cfg(feature = "fs")]
pub mod fs;
#[cfg(feature = "interleave")]
pub mod interleave;
#[cfg(feature = "merge")]
pub mod merge;
#[cfg(feature = "net")]
pub mod net;
#[cfg(feature = "fs")]
pub mod object;
mod quote;
#[cfg(feature = "seekable")]
pub mod seekable;
#[cfg(feature = "source-map")]
pub mod sourcemap;
#[cfg(feature = "merge")]
pub mod split;
#[cfg(feature = "stream")]
mod stream;
#[cfg(feature = "transforms")]
pub mod transforms;

pub use bytes;
pub use quote::{Quoted, quote};
#[cfg(feature = "stream")]
pub use stream::*;

/// The README's examples, compiled and run as doctests.
#[cfg(all(doctest, feature = "cli"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
