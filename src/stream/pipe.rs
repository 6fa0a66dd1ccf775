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
//! the pipe the same way, with [`ErrorKind::PrematureClose`]. A destination
//! error unpipes that destination. Use [`pipeline`](crate::pipeline) to
//! have every stage destroyed on the first error.
//!
//! Each destination gets `pipe` when the pipe is made and `unpipe` when it
//! is detached: after it finished, failed, or was given back with
//! [`Pipe::unpipe`], when the source ended with `end: false`, or when the
//! pipe is dropped before it completed (which also pauses the source, as
//! Node's `unpipe()` does).

use std::future::Future;
use std::ops::DerefMut;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::chunk::Chunk;
use super::error::{Error, ErrorKind, Result};
use super::sides::{ReadableStream, WritableStream};

/// Options of [`pipe`] (Node's `pipe(dest, options)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PipeOptions {
    /// End the destinations when the source ends (default `true`).
    pub end: bool,
}

impl Default for PipeOptions {
    fn default() -> Self {
        PipeOptions { end: true }
    }
}

impl PipeOptions {
    /// Leave the destinations open when the source ends (`{end: false}`).
    pub fn keep_open() -> Self {
        PipeOptions { end: false }
    }
}

/// What happens to the other stages when one fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnError {
    /// Node's `pipe`: stop, leave the others as they are.
    Stop,
    /// Node's `pipeline`: destroy every stage that has not finished.
    DestroyAll,
}

/// The state of moving chunks from one source to its destinations; shared
/// by [`Pipe`] and the last link of a pipeline.
#[derive(Debug)]
pub(crate) struct Pump<T> {
    options: PipeOptions,
    on_error: OnError,
    /// Copies a chunk for every destination but the last.
    fanout: Option<fn(&T) -> T>,
    /// What to call the source in its errors that do not say where they
    /// happened (a pipeline stage).
    source_name: Option<String>,
    started: bool,
    source_done: bool,
    ended: bool,
    /// Per destination: waiting for `drain`.
    awaiting: Awaiting,
    /// Per destination: still attached (not unpiped after an error).
    attached: Vec<bool>,
    first_error: Option<Error>,
}

impl<T: Chunk> Pump<T> {
    pub(crate) fn new(
        destinations: usize,
        options: PipeOptions,
        on_error: OnError,
        fanout: Option<fn(&T) -> T>,
    ) -> Self {
        Pump {
            options,
            on_error,
            fanout,
            started: false,
            source_done: false,
            ended: false,
            awaiting: Awaiting::new(destinations),
            attached: vec![true; destinations],
            first_error: None,
            source_name: None,
        }
    }

    /// Names the source in its errors that do not say where they happened.
    pub(crate) fn naming_source(mut self, name: String) -> Self {
        self.source_name = Some(name);
        self
    }

    /// Moves chunks until the source ended and the destinations finished
    /// (or, with `end: false`, took the last chunk).
    pub(crate) fn poll<S, D>(
        &mut self,
        cx: &mut Context<'_>,
        source: &mut S,
        destinations: &mut [D],
    ) -> Poll<Result<()>>
    where
        S: ReadableStream<T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<T>,
    {
        if !self.started {
            self.start(source, destinations);
        }
        loop {
            if !self.attached.contains(&true) {
                // Every destination was unpiped: nothing more is read.
                return Poll::Ready(self.first_error.take().map_or(Ok(()), Err));
            }
            let mut source_pending = false;
            while !self.source_done && !self.awaiting.any() {
                match source.poll_next_chunk(cx) {
                    Poll::Ready(Some(Ok(chunk))) => self.write(chunk, source, destinations),
                    Poll::Ready(Some(Err(error))) => {
                        return Poll::Ready(Err(self.source_failed(error, destinations)));
                    }
                    Poll::Ready(None) if source.is_ended() => self.source_done = true,
                    Poll::Ready(None) => {
                        let error = Error::from_kind(ErrorKind::PrematureClose);
                        return Poll::Ready(Err(self.source_failed(error, destinations)));
                    }
                    Poll::Pending => {
                        source_pending = true;
                        break;
                    }
                }
            }
            let was_waiting = self.awaiting.any();
            self.drive(cx, destinations);
            if let Some(error) = self.settle_errors(source, destinations) {
                return Poll::Ready(Err(error));
            }
            if was_waiting && !self.awaiting.any() {
                source.resume();
            }
            if self.source_done {
                return self.poll_end(cx, source, destinations);
            }
            if source_pending || self.awaiting.any() {
                return Poll::Pending;
            }
        }
    }

    /// Attaches the destinations: `pipe` on each, and the source starts
    /// paused if one of them already waits for `drain` (Node's `pipe()`).
    pub(crate) fn start<S, D>(&mut self, source: &mut S, destinations: &mut [D])
    where
        S: ReadableStream<T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<T>,
    {
        self.started = true;
        for (index, destination) in destinations.iter_mut().enumerate() {
            destination.piped(true);
            self.awaiting.set(index, destination.needs_drain());
        }
        if self.awaiting.any() {
            source.pause();
        } else {
            source.resume();
        }
    }

    fn write<S, D>(&mut self, chunk: T, source: &mut S, destinations: &mut [D])
    where
        S: ReadableStream<T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<T>,
    {
        let last = self.attached.iter().rposition(|&a| a);
        let Some(last) = last else { return };
        let mut chunk = Some(chunk);
        for (index, destination) in destinations.iter_mut().enumerate() {
            if !self.attached[index] {
                continue;
            }
            let piece = if index == last {
                chunk.take().expect("the last destination takes the chunk")
            } else {
                let copy = self
                    .fanout
                    .expect("several destinations need a way to copy");
                copy(chunk.as_ref().expect("the chunk is kept for the last"))
            };
            match destination.write(piece) {
                Ok(true) => {}
                Ok(false) => self.awaiting.set(index, true),
                Err(error) => self.destination_failed(index, error, &mut **destination),
            }
        }
        if self.awaiting.any() {
            source.pause();
        }
    }

    fn drive<D>(&mut self, cx: &mut Context<'_>, destinations: &mut [D])
    where
        D: DerefMut,
        D::Target: WritableStream<T>,
    {
        for (index, destination) in destinations.iter_mut().enumerate() {
            if !self.attached[index] {
                continue;
            }
            match destination.poll_drain(cx) {
                Poll::Ready(Ok(())) => self.awaiting.set(index, false),
                Poll::Ready(Err(error)) => {
                    self.destination_failed(index, error, &mut **destination)
                }
                Poll::Pending => {}
            }
        }
    }

    fn poll_end<S, D>(
        &mut self,
        cx: &mut Context<'_>,
        source: &mut S,
        destinations: &mut [D],
    ) -> Poll<Result<()>>
    where
        S: ReadableStream<T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<T>,
    {
        if !self.options.end {
            self.detach_all(destinations);
            return Poll::Ready(self.first_error.take().map_or(Ok(()), Err));
        }
        if !self.ended {
            self.ended = true;
            for (index, destination) in destinations.iter_mut().enumerate() {
                if self.attached[index]
                    && let Err(error) = destination.end()
                {
                    self.destination_failed(index, error, &mut **destination);
                }
            }
        }
        let mut pending = false;
        for (index, destination) in destinations.iter_mut().enumerate() {
            if !self.attached[index] {
                continue;
            }
            match destination.poll_finish(cx) {
                Poll::Ready(Ok(())) => {
                    self.attached[index] = false;
                    destination.piped(false);
                }
                Poll::Ready(Err(error)) => {
                    self.destination_failed(index, error, &mut **destination)
                }
                Poll::Pending => pending = true,
            }
        }
        if let Some(error) = self.settle_errors(source, destinations) {
            return Poll::Ready(Err(error));
        }
        if pending {
            return Poll::Pending;
        }
        Poll::Ready(self.first_error.take().map_or(Ok(()), Err))
    }

    /// Detaches destination `index` (Node's `unpipe(dest)`): `unpipe` on
    /// it; the source resumes if it only waited for this one, and pauses
    /// if no destination is left. Returns false if it was not attached.
    pub(crate) fn unpipe<S, D>(
        &mut self,
        index: usize,
        source: &mut S,
        destinations: &mut [D],
    ) -> bool
    where
        S: ReadableStream<T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<T>,
    {
        if !self.attached.get(index).copied().unwrap_or(false) {
            return false;
        }
        let was_waiting = self.awaiting.any();
        self.attached[index] = false;
        self.awaiting.set(index, false);
        if !self.attached.contains(&true) {
            source.pause();
        } else if was_waiting && !self.awaiting.any() {
            source.resume();
        }
        destinations[index].piped(false);
        true
    }

    /// Detaches what is still attached when the pipe is dropped: `unpipe`
    /// on each, and the source pauses unless it already ended.
    pub(crate) fn abandon<S, D>(&mut self, source: &mut S, destinations: &mut [D])
    where
        S: ReadableStream<T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<T>,
    {
        if !self.started || !self.attached.contains(&true) {
            return;
        }
        if !self.source_done {
            source.pause();
        }
        self.detach_all(destinations);
    }

    fn detach_all<D>(&mut self, destinations: &mut [D])
    where
        D: DerefMut,
        D::Target: WritableStream<T>,
    {
        for (index, destination) in destinations.iter_mut().enumerate() {
            if self.attached[index] {
                self.attached[index] = false;
                destination.piped(false);
            }
        }
    }

    fn destination_failed<W>(&mut self, index: usize, error: Error, destination: &mut W)
    where
        W: WritableStream<T> + ?Sized,
    {
        self.attached[index] = false;
        self.awaiting.set(index, false);
        destination.piped(false);
        let error = error.or_context(|| destination.label().map(str::to_owned));
        if self.first_error.is_none() {
            self.first_error = Some(error);
        }
    }

    /// After a destination failed: with `DestroyAll`, destroys everything
    /// and returns the error; with `Stop`, returns it once no destination
    /// is left.
    #[inline]
    fn settle_errors<S, D>(&mut self, source: &mut S, destinations: &mut [D]) -> Option<Error>
    where
        S: ReadableStream<T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<T>,
    {
        if self.first_error.is_some() {
            self.settle_first_error(source, destinations)
        } else {
            None
        }
    }

    /// [`settle_errors`](Pump::settle_errors) once a destination failed;
    /// out of line, off the path of every chunk.
    #[cold]
    fn settle_first_error<S, D>(&mut self, source: &mut S, destinations: &mut [D]) -> Option<Error>
    where
        S: ReadableStream<T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<T>,
    {
        match self.on_error {
            OnError::DestroyAll => {
                let error = self.first_error.take()?;
                source.destroy(Some(error.clone()));
                for (index, destination) in destinations.iter_mut().enumerate() {
                    if self.attached[index] {
                        destination.destroy(Some(error.clone()));
                    }
                }
                Some(error)
            }
            OnError::Stop if !self.attached.contains(&true) => self.first_error.take(),
            OnError::Stop => None,
        }
    }

    fn source_failed<D>(&mut self, error: Error, destinations: &mut [D]) -> Error
    where
        D: DerefMut,
        D::Target: WritableStream<T>,
    {
        let error = error.or_context(|| self.source_name.clone());
        if self.on_error == OnError::DestroyAll {
            for (index, destination) in destinations.iter_mut().enumerate() {
                if self.attached[index] && !destination.is_finished() {
                    destination.destroy(Some(error.clone()));
                }
            }
        }
        error
    }
}

/// Which destinations wait for `drain`, counted, so that asking whether
/// any does costs one comparison on every chunk.
#[derive(Debug)]
struct Awaiting {
    flags: Vec<bool>,
    count: usize,
}

impl Awaiting {
    fn new(destinations: usize) -> Self {
        Awaiting {
            flags: vec![false; destinations],
            count: 0,
        }
    }

    fn set(&mut self, index: usize, waiting: bool) {
        if self.flags[index] != waiting {
            self.flags[index] = waiting;
            if waiting {
                self.count += 1;
            } else {
                self.count -= 1;
            }
        }
    }

    fn any(&self) -> bool {
        self.count > 0
    }
}

/// The future of [`pipe`] and [`pipe_all`]: resolves once the source ended
/// and the destinations finished (with `end: false`, once the last chunk
/// was written into them).
#[must_use = "a pipe does nothing unless awaited"]
pub struct Pipe<'a, T: Chunk> {
    source: &'a mut (dyn ReadableStream<T> + 'a),
    destinations: Vec<&'a mut (dyn WritableStream<T> + 'a)>,
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
    S: ReadableStream<T> + 'a,
    D: WritableStream<T> + 'a,
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
    source: &'a mut (dyn ReadableStream<T> + 'a),
    destinations: Vec<&'a mut (dyn WritableStream<T> + 'a)>,
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
