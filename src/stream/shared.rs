//! [`Shared`]: one stream reached from several places, as Node code reaches
//! a stream that a pipe holds.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll};

use super::error::{Error, Result};
use super::finished::Finish;
use super::readable_stream::ReadableStream;
use super::sealed;
use super::writable_stream::WritableStream;
use super::write_queue::WriteQueue;

/// A stream behind a shared handle: every clone reaches the same stream.
///
/// In Node a piped stream is still yours: you can write to it, pause it,
/// read its counters or destroy it while the pipe moves data. In Rust a
/// [`pipe`](crate::pipe) borrows its streams; give it a `Shared` clone
/// instead, and keep another. A `Shared` of a readable stream is a
/// [`ReadableStream`], of a writable stream a [`WritableStream`], so it goes
/// wherever those go (`pipe`, `pipe_all`, [`pipeline`](crate::pipeline)'s
/// first stage, [`finished`](crate::finished)).
///
/// Each call locks the stream for its duration; [`lock`](Shared::lock)
/// gives the stream itself for anything else (its counters, `read`,
/// `cork`). Do not hold the guard across an `.await`, and do not lock the
/// stream from inside one of its own observers.
///
/// # Examples
///
/// Writing into a destination a pipe is also writing into:
///
/// ```
/// use bytes::Bytes;
/// use smerge::{CollectSink, PipeOptions, Readable, Shared, Writable, pipe};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let (sink, got) = CollectSink::new();
/// let out = Shared::new(Writable::new(sink));
/// let mut source = Readable::from_iter([Bytes::from("piped ")]);
/// pipe(&mut source, &mut out.clone(), PipeOptions::keep_open()).await?;
/// out.lock().write(Bytes::from("and written"))?;
/// let mut out = out.into_inner().expect("the pipe let go of it");
/// out.close().await?;
/// assert_eq!(got.take().concat(), b"piped and written");
/// # Ok(())
/// # }
/// ```
pub struct Shared<S> {
    stream: Arc<Mutex<S>>,
    /// The stream's label and origin, read once: the traits lend them out,
    /// which a lock cannot.
    label: Arc<OnceLock<Option<Box<str>>>>,
    origin: Arc<OnceLock<Option<PathBuf>>>,
}

impl<S> Shared<S> {
    /// Puts `stream` behind a shared handle.
    pub fn new(stream: S) -> Self {
        Shared {
            stream: Arc::new(Mutex::new(stream)),
            label: Arc::new(OnceLock::new()),
            origin: Arc::new(OnceLock::new()),
        }
    }

    /// The stream, locked until the guard is dropped.
    pub fn lock(&self) -> MutexGuard<'_, S> {
        self.stream.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The stream back, if this is the last handle to it.
    pub fn into_inner(self) -> std::result::Result<S, Self> {
        let Shared {
            stream,
            label,
            origin,
        } = self;
        match Arc::try_unwrap(stream) {
            Ok(mutex) => Ok(mutex.into_inner().unwrap_or_else(PoisonError::into_inner)),
            Err(stream) => Err(Shared {
                stream,
                label,
                origin,
            }),
        }
    }
}

impl<S> Clone for Shared<S> {
    fn clone(&self) -> Self {
        Shared {
            stream: Arc::clone(&self.stream),
            label: Arc::clone(&self.label),
            origin: Arc::clone(&self.origin),
        }
    }
}

impl<S> fmt::Debug for Shared<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("handles", &Arc::strong_count(&self.stream))
            .finish_non_exhaustive()
    }
}

impl<S> sealed::Stream for Shared<S> {}

impl<S: ReadableStream> ReadableStream for Shared<S> {
    type Output = S::Output;

    fn poll_next_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<S::Output>>> {
        self.lock().poll_next_chunk(cx)
    }

    fn poll_read_into(
        &mut self,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<S::Output>,
        limit: usize,
    ) -> Poll<Option<Result<()>>> {
        self.lock().poll_read_into(cx, queue, limit)
    }

    fn pause(&mut self) {
        self.lock().pause();
    }

    fn resume(&mut self) {
        self.lock().resume();
    }

    fn ticks_before_end_first(&mut self) {
        self.lock().ticks_before_end_first();
    }

    fn oldest_tick(&self) -> Option<u64> {
        self.lock().oldest_tick()
    }

    fn destroy_tick(&self) -> Option<u64> {
        self.lock().destroy_tick()
    }

    fn fails_later(&self) -> bool {
        self.lock().fails_later()
    }

    fn ending_tick(&self) -> Option<u64> {
        self.lock().ending_tick()
    }

    fn run_ticks_before(&mut self, stamp: u64) {
        self.lock().run_ticks_before(stamp);
    }

    fn end_emitted(&self) -> bool {
        self.lock().end_emitted()
    }

    fn finished_at_end(&self) -> bool {
        self.lock().finished_at_end()
    }

    fn resume_queued(&self) -> bool {
        self.lock().resume_queued()
    }

    fn queued_resume(&self) -> Option<u64> {
        self.lock().queued_resume()
    }

    fn queued_flow(&self) -> Option<u64> {
        self.lock().queued_flow()
    }

    fn listen_data(&mut self) {
        self.lock().listen_data();
    }

    fn flush_events(&mut self) {
        ReadableStream::flush_events(&mut *self.lock());
    }

    fn piping(&mut self, attached: bool) {
        self.lock().piping(attached);
    }

    fn poll_ahead(&mut self, cx: &mut Context<'_>) -> Result<()> {
        self.lock().poll_ahead(cx)
    }

    fn poll_ahead_before(&mut self, cx: &mut Context<'_>, stamp: u64) -> Result<()> {
        self.lock().poll_ahead_before(cx, stamp)
    }

    fn run_reads_before(&mut self, cx: &mut Context<'_>, stamp: u64) {
        self.lock().run_reads_before(cx, stamp);
    }

    fn destroy(&mut self, error: Option<Error>) {
        ReadableStream::destroy(&mut *self.lock(), error);
    }

    fn is_ended(&self) -> bool {
        self.lock().is_ended()
    }

    fn drained_at_end(&self) -> bool {
        self.lock().drained_at_end()
    }

    fn flows(&self) -> bool {
        self.lock().flows()
    }

    fn queued_end(&self) -> Option<u64> {
        self.lock().queued_end()
    }

    fn data_due(&self) -> bool {
        self.lock().data_due()
    }

    fn flows_buffered(&self) -> bool {
        self.lock().flows_buffered()
    }

    fn run_due_finish(&mut self) {
        self.lock().run_due_finish();
    }

    fn failure(&self) -> Option<Error> {
        ReadableStream::failure(&*self.lock())
    }

    fn label(&self) -> Option<&str> {
        self.label
            .get_or_init(|| ReadableStream::label(&*self.lock()).map(Into::into))
            .as_deref()
    }

    fn origin(&self) -> Option<&Path> {
        self.origin
            .get_or_init(|| self.lock().origin().map(Path::to_path_buf))
            .as_deref()
    }
}

impl<S: WritableStream> WritableStream for Shared<S> {
    type Input = S::Input;

    fn oldest_tick(&self) -> Option<u64> {
        WritableStream::oldest_tick(&*self.lock())
    }

    fn destroy_tick(&self) -> Option<u64> {
        WritableStream::destroy_tick(&*self.lock())
    }

    fn failed_write_tick(&self) -> Option<u64> {
        self.lock().failed_write_tick()
    }

    fn after_write_tick(&self) -> Option<u64> {
        self.lock().after_write_tick()
    }

    fn run_ticks_before(&mut self, stamp: u64) {
        WritableStream::run_ticks_before(&mut *self.lock(), stamp);
    }

    fn refuse_pipes_after(&mut self, stamp: u64) {
        self.lock().refuse_pipes_after(stamp);
    }

    fn source_tick_queued(&mut self, stamp: u64) {
        self.lock().source_tick_queued(stamp);
    }

    fn source_tick_ran(&mut self, stamp: u64) {
        self.lock().source_tick_ran(stamp);
    }

    fn write(&mut self, chunk: S::Input) -> Result<bool> {
        self.lock().write(chunk)
    }

    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.lock().poll_drain(cx)
    }

    fn end(&mut self) -> Result<()> {
        self.lock().end()
    }

    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.lock().poll_finish(cx)
    }

    fn destroy(&mut self, error: Option<Error>) {
        WritableStream::destroy(&mut *self.lock(), error);
    }

    fn needs_drain(&self) -> bool {
        self.lock().needs_drain()
    }

    fn take_refused_write(&mut self) -> bool {
        self.lock().take_refused_write()
    }

    fn is_finished(&self) -> bool {
        self.lock().is_finished()
    }

    fn failure(&self) -> Option<Error> {
        WritableStream::failure(&*self.lock())
    }

    fn is_ending(&self) -> bool {
        self.lock().is_ending()
    }

    fn finished_loosely(&self) -> bool {
        self.lock().finished_loosely()
    }

    fn write_cancelled(&self) -> bool {
        self.lock().write_cancelled()
    }

    fn is_destroyed(&self) -> bool {
        WritableStream::is_destroyed(&*self.lock())
    }

    fn finish_due(&self) -> bool {
        self.lock().finish_due()
    }

    fn is_closed(&self) -> bool {
        self.lock().is_closed()
    }

    fn piped(&mut self, attached: bool) {
        self.lock().piped(attached);
    }

    fn unpiped_now(&mut self) {
        self.lock().unpiped_now();
    }

    fn source_ending(&mut self) -> bool {
        self.lock().source_ending()
    }

    fn flush_events(&mut self) {
        WritableStream::flush_events(&mut *self.lock());
    }

    fn label(&self) -> Option<&str> {
        self.label
            .get_or_init(|| WritableStream::label(&*self.lock()).map(Into::into))
            .as_deref()
    }
}

impl<S: Finish> Finish for Shared<S> {
    fn poll_finished(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.lock().poll_finished(cx)
    }

    fn watch_finished(&mut self, watching: bool) {
        self.lock().watch_finished(watching);
    }
}
