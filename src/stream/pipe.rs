//! [`pipe`]: Node's `readable.pipe(dest, {end})` — backpressure, the `end`
//! option, several destinations — as a future.
//!
//! The pipe moves chunks from the source to every destination. When a
//! destination's `write` returns `false`, the source is paused (`pause`)
//! until every such destination has drained, then resumed (`resume`): the
//! slowest destination sets the pace. When the source ends, each
//! destination is ended (`end: true`, the default) or left open (`end:
//! false`, how files are merged one after the other into one writer).
//!
//! As in Node, a source error does not end or destroy the destinations:
//! the pipe stops and returns the error, and the destinations stay open for
//! the caller to end or destroy. A source destroyed before its end stops
//! the pipe the same way, with [`ErrorKind::PrematureClose`](crate::ErrorKind::PrematureClose). A destination
//! error unpipes that destination. Use [`pipeline`](crate::pipeline) to
//! have every stage destroyed on the first error.
//!
//! Each destination gets `pipe` when the pipe is made and `unpipe` when it
//! is detached: after it finished, failed, or was given back with
//! [`Pipe::unpipe`], when the source ended with `end: false`, or when the
//! pipe is dropped before it completed (which also pauses the source, as
//! Node's `unpipe()` does). A source's failure completes the pipe without
//! `unpipe` or `pause`: Node's pipe leaves its destinations attached then,
//! and [`Pipe::unpipe`] still detaches one (and pauses the source).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::chunk::Chunk;
use super::error::Result;
use super::pipe_options::PipeOptions;
use super::pump::{OnError, Pump};
use super::readable_stream::ReadableStream;
use super::writable_stream::WritableStream;

/// The future of [`pipe`] and [`pipe_all`]: resolves once the source ended
/// and the destinations finished (with `end: false`, once the last chunk
/// was written into them).
#[must_use = "a pipe does nothing unless awaited"]
pub struct Pipe<'a, T: Chunk> {
    source: &'a mut (dyn ReadableStream<Output = T> + 'a),
    destinations: Vec<&'a mut (dyn WritableStream<Input = T> + 'a)>,
    pump: Pump<T>,
}

impl<T: Chunk> Future for Pipe<'_, T> {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        this.pump.poll(cx, this.source, &mut this.destinations)
    }
}

impl<T: Chunk> Pipe<'_, T> {
    /// Detaches destination `index` (in the order given to [`pipe_all`];
    /// 0 for [`pipe`]), as Node's `source.unpipe(dest)`: it gets `unpipe`
    /// and no further chunks; the pipe goes on with the others, and
    /// resolves at once when none is left (the source is then paused).
    /// Returns false if that destination was not attached.
    pub fn unpipe(&mut self, index: usize) -> bool {
        self.pump.unpipe(index, self.source, &mut self.destinations)
    }
}

impl<T: Chunk> Pipe<'_, T> {
    /// After the pipe failed because its source did: Node's pipe leaves
    /// its destinations attached then, and undoes each one when it
    /// finishes, fails or closes, the last one pausing the source (even a
    /// destroyed one). This undoes those that did since (each gets
    /// `unpipe`) and returns true once none is attached (at once if the
    /// pipe did not fail that way). After the pipe failed because a
    /// destination had closed before it, which Node's pipe still holds,
    /// this passes the source's later `end` on to it: ended (`end: true`)
    /// or unpiped (`end: false`).
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::Bytes;
    /// use smerge::{pipe, Error, ErrorKind, PipeOptions, Readable, Writable};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut source = Readable::from_iter([Bytes::from("never read")]);
    /// source.destroy(Some(Error::new(ErrorKind::InvalidData, "boom")));
    /// let mut out = Writable::from_writer(Vec::new());
    /// let mut piped = pipe(&mut source, &mut out, PipeOptions::default());
    /// assert!((&mut piped).await.is_err());
    /// assert!(!piped.unpipe_done()); // `out` is still attached
    /// # }
    /// ```
    pub fn unpipe_done(&mut self) -> bool {
        self.pump.unpipe_done(self.source, &mut self.destinations)
    }
}

impl<T: Chunk> Drop for Pipe<'_, T> {
    fn drop(&mut self) {
        self.pump.abandon(self.source, &mut self.destinations);
    }
}

impl<T: Chunk> std::fmt::Debug for Pipe<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipe")
            .field("destinations", &self.destinations.len())
            .finish_non_exhaustive()
    }
}

/// Pipes `source` into `destination` (Node's `source.pipe(destination, options)`).
///
/// # Examples
///
/// Merging two sources into one writer, as `pipe(dest, {end: false})` does in Node:
///
/// ```
/// use bytes::Bytes;
/// use smerge::{pipe, PipeOptions, Readable, Writable};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let mut out = Writable::from_writer(Vec::new());
/// for part in ["one, ", "two"] {
///     let mut source = Readable::from_iter([Bytes::from(part)]);
///     pipe(&mut source, &mut out, PipeOptions::keep_open()).await?;
/// }
/// out.close().await?;
/// # Ok(())
/// # }
/// ```
pub fn pipe<'a, T, S, D>(
    source: &'a mut S,
    destination: &'a mut D,
    options: PipeOptions,
) -> Pipe<'a, T>
where
    T: Chunk,
    S: ReadableStream<Output = T> + 'a,
    D: WritableStream<Input = T> + 'a,
{
    let mut pipe = Pipe {
        source,
        destinations: vec![destination],
        pump: Pump::new(1, options, OnError::Stop, None),
    };
    pipe.pump.start(pipe.source, &mut pipe.destinations);
    pipe
}

/// Pipes `source` into several destinations at once: each gets every chunk,
/// and the source waits for the slowest.
pub fn pipe_all<'a, T>(
    source: &'a mut (dyn ReadableStream<Output = T> + 'a),
    destinations: Vec<&'a mut (dyn WritableStream<Input = T> + 'a)>,
    options: PipeOptions,
) -> Pipe<'a, T>
where
    T: Chunk + Clone,
{
    let count = destinations.len();
    let mut pipe = Pipe {
        source,
        destinations,
        pump: Pump::new(count, options, OnError::Stop, Some(T::clone)),
    };
    pipe.pump.start(pipe.source, &mut pipe.destinations);
    pipe
}
