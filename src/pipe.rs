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
//! the caller to end or destroy. A destination error unpipes that
//! destination. Use [`pipeline`](crate::pipeline) to have every stage
//! destroyed on the first error.

use std::future::Future;
use std::ops::DerefMut;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::chunk::Chunk;
use crate::error::{Error, Result};
use crate::stream::{ReadableStream, WritableStream};

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
    started: bool,
    source_done: bool,
    ended: bool,
    /// Per destination: waiting for `drain`.
    awaiting: Vec<bool>,
    /// Per destination: still attached (not unpiped after an error).
    attached: Vec<bool>,
    first_error: Option<Error>,
    /// The error returned came from the source, not a destination.
    source_failed: bool,
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
            awaiting: vec![false; destinations],
            attached: vec![true; destinations],
            first_error: None,
            source_failed: false,
        }
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
            let mut source_pending = false;
            while !self.source_done && !self.awaiting.contains(&true) {
                match source.poll_next_chunk(cx) {
                    Poll::Ready(Some(Ok(chunk))) => self.write(chunk, source, destinations),
                    Poll::Ready(Some(Err(error))) => {
                        return Poll::Ready(Err(self.source_failed(error, destinations)));
                    }
                    Poll::Ready(None) => self.source_done = true,
                    Poll::Pending => {
                        source_pending = true;
                        break;
                    }
                }
            }
            let was_waiting = self.awaiting.contains(&true);
            self.drive(cx, destinations);
            if let Some(error) = self.settle_errors(source, destinations) {
                return Poll::Ready(Err(error));
            }
            if was_waiting && !self.awaiting.contains(&true) {
                source.resume();
            }
            if self.source_done {
                return self.poll_end(cx, source, destinations);
            }
            if source_pending || self.awaiting.contains(&true) {
                return Poll::Pending;
            }
        }
    }

    fn start<S, D>(&mut self, source: &mut S, destinations: &mut [D])
    where
        S: ReadableStream<T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<T>,
    {
        self.started = true;
        for (index, destination) in destinations.iter_mut().enumerate() {
            destination.piped(true);
            self.awaiting[index] = destination.needs_drain();
        }
        if self.awaiting.contains(&true) {
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
                Ok(false) => self.awaiting[index] = true,
                Err(error) => self.destination_failed(index, error, &mut **destination),
            }
        }
        if self.awaiting.contains(&true) {
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
                Poll::Ready(Ok(())) => self.awaiting[index] = false,
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
        self.awaiting[index] = false;
        destination.piped(false);
        let error = match destination.label() {
            Some(label) if !error.has_context() => error.context(label.to_string()),
            _ => error,
        };
        if self.first_error.is_none() {
            self.first_error = Some(error);
        }
    }

    /// After a destination failed: with `DestroyAll`, destroys everything
    /// and returns the error; with `Stop`, returns it once no destination
    /// is left.
    fn settle_errors<S, D>(&mut self, source: &mut S, destinations: &mut [D]) -> Option<Error>
    where
        S: ReadableStream<T> + ?Sized,
        D: DerefMut,
        D::Target: WritableStream<T>,
    {
        let error = self.first_error.as_ref()?;
        match self.on_error {
            OnError::DestroyAll => {
                let error = self.first_error.take().expect("checked above");
                source.destroy(Some(error.clone()));
                for (index, destination) in destinations.iter_mut().enumerate() {
                    if self.attached[index] {
                        destination.destroy(Some(error.clone()));
                    }
                }
                Some(error)
            }
            OnError::Stop if !self.attached.contains(&true) => {
                let _ = error;
                self.first_error.take()
            }
            OnError::Stop => None,
        }
    }

    /// True if the error [`poll`](Pump::poll) returned came from the source.
    pub(crate) fn failed_at_source(&self) -> bool {
        self.source_failed
    }

    fn source_failed<D>(&mut self, error: Error, destinations: &mut [D]) -> Error
    where
        D: DerefMut,
        D::Target: WritableStream<T>,
    {
        self.source_failed = true;
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

/// The future of [`pipe`] and [`pipe_all`]: resolves once the source ended
/// and the destinations finished (with `end: false`, once the last chunk
/// was written into them).
#[must_use = "a pipe does nothing unless awaited"]
pub struct Pipe<'a, T> {
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

impl<T> std::fmt::Debug for Pipe<'_, T> {
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
    Pipe {
        source,
        destinations: vec![destination],
        pump: Pump::new(1, options, OnError::Stop, None),
    }
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
    Pipe {
        source,
        destinations,
        pump: Pump::new(count, options, OnError::Stop, Some(T::clone)),
    }
}
