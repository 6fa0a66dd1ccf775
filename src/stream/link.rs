//! [`Link`]: a stage of a pipeline with the chain before it.

use std::path::Path;
use std::task::{Context, Poll};

use super::chunk::Chunk;
use super::error::{Error, ErrorKind, Result};
use super::pump::{OnError, closed_early};
use super::readable_stream::ReadableStream;
use super::sealed;
use super::writable_stream::WritableStream;
use super::write_queue::WriteQueue;

/// A stage of a pipeline with the chain before it: pulls from `upstream`
/// into `stage` while the stage takes chunks, and hands on its output.
pub(crate) struct Link<I, D> {
    upstream: Box<dyn ReadableStream<Output = I>>,
    /// A [`Duplex`](crate::Duplex), or a [`Shared`](crate::Shared) one.
    stage: D,
    /// Position in the pipeline, for errors from unnamed stages.
    index: usize,
    upstream_done: bool,
    on_error: OnError,
}

impl<I: Chunk, D: ReadableStream + WritableStream<Input = I>> Link<I, D> {
    /// Pipes `upstream` into `stage` at once, as Node's `pipe()` does:
    /// `pipe` on the stage, and upstream flows unless the stage already
    /// waits for `drain`.
    pub(crate) fn new(
        mut upstream: Box<dyn ReadableStream<Output = I>>,
        mut stage: D,
        index: usize,
        on_error: OnError,
    ) -> Self {
        stage.piped(true);
        if WritableStream::needs_drain(&stage) {
            upstream.pause();
        } else {
            upstream.resume();
        }
        Link {
            upstream,
            stage,
            index,
            upstream_done: false,
            on_error,
        }
    }

    /// Moves chunks from upstream into the stage until it is full or
    /// upstream has nothing. Returns whether anything moved.
    fn feed(&mut self, cx: &mut Context<'_>) -> Result<bool> {
        let mut fed = false;
        while !self.upstream_done && !WritableStream::needs_drain(&self.stage) {
            if let Some((queue, high_water_mark)) = self.stage.batch_target() {
                // Many chunks at once, each `write` but the last returning true.
                match self.upstream.poll_read_into(cx, queue, high_water_mark) {
                    Poll::Ready(Some(Ok(()))) => {
                        fed = true;
                        self.stage.after_batch();
                        continue;
                    }
                    Poll::Ready(Some(Err(error))) => return Err(self.upstream_failed(error)),
                    Poll::Ready(None) => {
                        // Here, before another read delivers the `close`
                        // queued after `end`.
                        self.upstream_ended()?;
                        return Ok(true);
                    }
                    Poll::Pending => break,
                }
            }
            match self.upstream.poll_next_chunk(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    fed = true;
                    match self.stage.write(chunk) {
                        Ok(true) => {}
                        // Full: it waits for `drain`.
                        Ok(false) => break,
                        // Destroyed: its next poll reports its own error.
                        Err(error) if error.kind() == ErrorKind::Destroyed => break,
                        Err(error) => return Err(self.stage_failed(error)),
                    }
                }
                Poll::Ready(Some(Err(error))) => return Err(self.upstream_failed(error)),
                Poll::Ready(None) => {
                    self.upstream_ended()?;
                    return Ok(true);
                }
                Poll::Pending => break,
            }
        }
        Ok(fed)
    }

    /// Upstream has nothing more: the stage is ended if upstream ended, and
    /// fails with a premature close if it was destroyed before its end.
    fn upstream_ended(&mut self) -> Result<()> {
        if !self.upstream.is_ended() {
            // Destroyed before its end: the stage must not end as if
            // everything had arrived.
            let error = Error::from_kind(ErrorKind::PrematureClose);
            return Err(self.upstream_failed(error));
        }
        self.upstream_done = true;
        if self.on_error == OnError::DestroyAll {
            // Node's `pipeline` pipes with `end: false` and ends the stage
            // from upstream's `end`: the pipe is undone first (upstream
            // pauses, `unpipe`).
            self.upstream.pause();
            self.stage.piped(false);
        }
        // A destroyed stage refuses `end`; its next poll reports its own
        // error.
        if let Err(error) = self.stage.end()
            && error.kind() != ErrorKind::Destroyed
        {
            return Err(self.stage_failed(error));
        }
        Ok(())
    }

    /// Upstream failed or closed before its end: nothing more is read from
    /// it, the error names the stage before this one if it does not say
    /// where it happened (the first stage's, or a premature close), and
    /// with `pipeline` semantics this stage is destroyed with it.
    fn upstream_failed(&mut self, error: Error) -> Error {
        let piped = !self.upstream_done;
        self.upstream_done = true;
        let error = closed_early(error).or_stage(self.index - 1, self.upstream.label());
        if self.on_error == OnError::DestroyAll {
            WritableStream::destroy(&mut self.stage, Some(error.clone()));
            if piped {
                // Node's pipe detaches a destination from its `error`
                // listener: `unpipe` comes just before that `error`.
                self.stage.piped(false);
            }
        }
        error
    }

    fn stage_failed(&mut self, error: Error) -> Error {
        let error = closed_early(error).or_stage(self.index, ReadableStream::label(&self.stage));
        if self.on_error == OnError::DestroyAll {
            WritableStream::destroy(&mut self.stage, Some(error.clone()));
            if !self.upstream_done {
                self.upstream_done = true;
                self.stage.piped(false);
            }
            self.upstream.destroy(Some(error.clone()));
        }
        error
    }
}

impl<I, D> sealed::Stream for Link<I, D> {}

impl<I: Chunk, O: Chunk, D> ReadableStream for Link<I, D>
where
    D: ReadableStream<Output = O> + WritableStream<Input = I>,
{
    type Output = O;

    fn poll_next_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<O>>> {
        loop {
            let was_blocked = WritableStream::needs_drain(&self.stage);
            let fed = match self.feed(cx) {
                Ok(fed) => fed,
                Err(error) => return Poll::Ready(Some(Err(error))),
            };
            match self.stage.poll_next_chunk(cx) {
                Poll::Ready(Some(Err(error))) => {
                    return Poll::Ready(Some(Err(self.stage_failed(error))));
                }
                Poll::Ready(other) => return Poll::Ready(other),
                Poll::Pending => {
                    let unblocked = was_blocked && !WritableStream::needs_drain(&self.stage);
                    if self.upstream_done || !(fed || unblocked) {
                        return Poll::Pending;
                    }
                }
            }
        }
    }

    fn poll_read_into(
        &mut self,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<O>,
        limit: usize,
    ) -> Poll<Option<Result<()>>> {
        loop {
            let was_blocked = WritableStream::needs_drain(&self.stage);
            let fed = match self.feed(cx) {
                Ok(fed) => fed,
                Err(error) => return Poll::Ready(Some(Err(error))),
            };
            match self.stage.poll_read_into(cx, queue, limit) {
                Poll::Ready(Some(Err(error))) => {
                    return Poll::Ready(Some(Err(self.stage_failed(error))));
                }
                Poll::Ready(other) => return Poll::Ready(other),
                Poll::Pending => {
                    let unblocked = was_blocked && !WritableStream::needs_drain(&self.stage);
                    if self.upstream_done || !(fed || unblocked) {
                        return Poll::Pending;
                    }
                }
            }
        }
    }

    fn pause(&mut self) {
        self.stage.pause();
    }

    fn resume(&mut self) {
        self.stage.resume();
    }

    fn flush_events(&mut self) {
        self.upstream.flush_events();
        ReadableStream::flush_events(&mut self.stage);
    }

    /// The stage takes what upstream has until it is full, and works on it
    /// (its output fills its readable side up to the mark); then the
    /// stages before it run ahead the same way.
    fn poll_ahead(&mut self, cx: &mut Context<'_>) -> Result<()> {
        loop {
            let fed = self.feed(cx)?;
            if let Poll::Ready(Err(error)) = WritableStream::poll_drain(&mut self.stage, cx) {
                return Err(self.stage_failed(error));
            }
            if !fed {
                break;
            }
        }
        if self.upstream_done {
            return Ok(());
        }
        self.upstream.poll_ahead(cx)
    }

    fn destroy(&mut self, error: Option<Error>) {
        ReadableStream::destroy(&mut self.stage, error.clone());
        self.upstream.destroy(error);
    }

    fn is_ended(&self) -> bool {
        self.stage.is_ended()
    }

    fn label(&self) -> Option<&str> {
        ReadableStream::label(&self.stage)
    }

    fn origin(&self) -> Option<&Path> {
        self.upstream.origin()
    }
}
