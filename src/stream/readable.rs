//! [`Readable`]: a buffered stream of chunks in front of a [`ReadSource`], with
//! Node's highWaterMark, paused and flowing modes, and `end` only after the
//! last chunk was consumed.

use std::borrow::Cow;
use std::fmt;
use std::future::poll_fn;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};

use bytes::Bytes;
use futures_core::Stream;
use tokio::io::AsyncRead;
use tokio_util::io::{ReaderStream, StreamReader};

use super::async_iter_source::AsyncIterSource;
use super::chunk::{Chunk, DEFAULT_HIGH_WATER_MARK};
use super::error::{Error, Result};
use super::event::Event;
use super::iter_source::IterSource;
use super::lifecycle::Lifecycle;
use super::push::Push;
use super::read_half::{ReadHalf, Taking};
use super::read_source::{BoxSource, ReadSource};
use super::readable_stream::ReadableStream;
use super::sealed;
use super::stream_source::StreamSource;
use super::text_source::TextSource;
use super::ticks::Tick;
use super::utf8_decoder::Utf8Decoder;
use super::write_queue::WriteQueue;

/// A readable stream: Node's `Readable`.
///
/// A `Readable` holds a buffer counted against its highWaterMark in front of
/// a [`ReadSource`]. The engine asks the source for data while the buffer is
/// below the highWaterMark, and stops when it is full until the consumer
/// reads. The consumer reads with [`read`](Readable::read) and
/// [`readable`](Readable::readable) (paused mode), by iterating it as a
/// [`Stream`] of `Result<T>`, or by piping it (flowing mode).
/// `end` is emitted only after the last chunk was consumed; then `close`.
///
/// A `Readable` makes progress only while it is polled. Dropping one before
/// its end destroys it (`close`, and the source's
/// [`destroy`](ReadSource::destroy) hook).
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::{Readable, ReadableExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let words = Readable::from_iter(["stream", "merge"]);
/// assert_eq!(words.collect_vec().await?, ["stream", "merge"]);
///
/// let file = Readable::from_reader(&b"bytes from any AsyncRead"[..]);
/// assert_eq!(file.to_bytes().await?, Bytes::from_static(b"bytes from any AsyncRead"));
/// # Ok(())
/// # }
/// ```
///
/// The inverse is [`Writable`](crate::Writable).
pub struct Readable<T> {
    half: ReadHalf<T>,
    source: Option<BoxSource<T>>,
    life: Lifecycle,
    /// The file the data comes from, if known.
    origin: Option<PathBuf>,
    /// The source's last answer was `Pending`: its data may come later
    /// (Node's `reading`).
    source_pending: bool,
    /// The source ended outside a read while the stream flows: Node's
    /// `onEofChunk` runs `flow()` at once; a [`tick`](Readable::tick) does.
    flow_due: bool,
    /// A destroyed stream's reader takes what is buffered before the
    /// destroy's `error` and `close`: Node's `flow()` at a `resume_` or
    /// `emitReadable_` queued before them.
    flow_before_close: bool,
}

// Chunks are never pinned: the buffer only moves them.
impl<T> Unpin for Readable<T> {}

impl<T: Chunk> Readable<T> {
    /// A readable whose data comes from `source`, with the chunk type's
    /// default highWaterMark.
    pub fn new(source: impl ReadSource<T> + 'static) -> Self {
        Readable {
            half: ReadHalf::new(T::DEFAULT_HIGH_WATER_MARK),
            source: Some(Box::pin(source)),
            life: Lifecycle::default(),
            origin: None,
            source_pending: false,
            flow_due: false,
            flow_before_close: false,
        }
    }

    /// Takes the stream apart, to rebuild it around chunks of another type
    /// with [`from_parts`](Readable::from_parts): its observers, label and
    /// state go with the parts, and what is left is dropped as a closed
    /// stream, without events or hooks.
    pub(crate) fn into_parts(mut self) -> (ReadHalf<T>, Option<BoxSource<T>>, Lifecycle) {
        let half = std::mem::replace(&mut self.half, ReadHalf::new(0));
        let source = self.source.take();
        let life = std::mem::take(&mut self.life);
        self.life.close();
        (half, source, life)
    }

    /// Puts a stream together from the parts [`into_parts`](Readable::into_parts) gave.
    pub(crate) fn from_parts(
        half: ReadHalf<T>,
        source: Option<BoxSource<T>>,
        life: Lifecycle,
    ) -> Self {
        Readable {
            half,
            source,
            life,
            origin: None,
            source_pending: false,
            flow_due: false,
            flow_before_close: false,
        }
    }

    /// A readable of the items of `stream`, which yields `Result`s.
    pub fn from_stream<S, E>(stream: S) -> Self
    where
        S: Stream<Item = std::result::Result<T, E>> + Send + 'static,
        E: Into<Error> + 'static,
    {
        Readable::new(StreamSource::new(stream))
    }

    /// A readable of the items of `stream`, an async iterator whose items
    /// cannot fail (Node's `Readable.from(asyncIterable)`), polled while
    /// the buffer has room. For a stream of `Result`s, see
    /// [`from_stream`](Readable::from_stream).
    ///
    /// ```
    /// use smerge::{Readable, ReadableExt};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> smerge::Result<()> {
    /// // Node: Readable.from(async function* () { for (const n of [1, 2, 3]) { await tick(); yield n * n; } }())
    /// let squares = futures_util::stream::unfold(1u32, |n| async move {
    ///     tokio::task::yield_now().await;
    ///     (n <= 3).then(|| (n * n, n + 1))
    /// });
    /// assert_eq!(Readable::from_async_iter(squares).collect_vec().await?, [1, 4, 9]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_async_iter<S>(stream: S) -> Self
    where
        S: Stream<Item = T> + Send + 'static,
    {
        Readable::new(AsyncIterSource::new(stream))
    }

    /// A readable of the items of `items`, produced lazily as the buffer
    /// has room (Node's `Readable.from`).
    #[allow(clippy::should_implement_trait)] // lazy, unlike FromIterator, which collects first
    pub fn from_iter<I>(items: I) -> Self
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: Send + 'static,
    {
        Readable::new(IterSource::new(items.into_iter()))
    }

    /// A readable that ends at once.
    pub fn empty() -> Self {
        Readable::from_iter(Vec::new())
    }

    /// A readable whose source never produces (Node's
    /// `new Readable({ read() {} })`): its data is pushed from outside by a
    /// [`Pusher`](crate::Pusher) (see there for an example).
    pub fn external() -> Self {
        Readable::new(super::pusher::External)
    }

    /// Sets the highWaterMark, in the chunk type's units (0 is allowed:
    /// the source is then asked for data only when a consumer waits).
    pub fn with_high_water_mark(mut self, high_water_mark: usize) -> Self {
        self.half.buffer.set_high_water_mark(high_water_mark);
        self
    }

    /// Node's `autoDestroy` (on by default): with `false`, the stream is not
    /// destroyed when it ended, so `close` is not emitted then and
    /// [`is_destroyed`](Readable::is_destroyed) stays false until
    /// [`destroy`](Readable::destroy) (or a drop, which destroys). An error
    /// still destroys the stream, unlike Node's, where it only marks it
    /// errored: an errored smerge stream does nothing more either way.
    pub fn auto_destroy(mut self, on: bool) -> Self {
        self.life.set_auto_destroy(on);
        self
    }

    /// Node's `emitClose` (on by default): with `false`, `close` is never
    /// emitted; the stream still closes (after its end, or when destroyed).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use smerge::{Event, Readable};
    ///
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// let seen = Arc::clone(&log);
    /// // Node: new Readable({ autoDestroy: false, ... })
    /// let mut r = Readable::from_iter([1u32]).auto_destroy(false);
    /// r.observe(move |e: &Event| seen.lock().unwrap().push(e.name()));
    /// assert_eq!(r.read(), Some(1));
    /// assert_eq!(r.read(), None);
    /// r.tick(); // `end`, and no `close`
    /// assert!(r.is_ended() && !r.is_destroyed());
    /// r.destroy(None);
    /// drop(r);
    /// assert_eq!(*log.lock().unwrap(), ["data", "end", "close"]);
    /// ```
    pub fn emit_close(mut self, on: bool) -> Self {
        self.life.set_emit_close(on);
        self
    }

    /// Names the stream; errors from it then say where they happened.
    pub fn named(mut self, label: impl Into<Cow<'static, str>>) -> Self {
        self.life.set_label(label.into());
        self
    }

    /// Says which file the data comes from: a pipeline starting at this
    /// stream names it (`"reading a.gz"`) in its errors that name no file,
    /// such as a decoder's further down.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::Bytes;
    /// use smerge::{ErrorKind, Push, Readable, ReadableExt, Result, Transform, pipeline};
    ///
    /// struct Refuse;
    /// impl Transform for Refuse {
    ///     type Input = Bytes;
    ///     type Output = Bytes;
    ///     fn transform(&mut self, _: Bytes, _: &mut Push<'_, Bytes>) -> Result<()> {
    ///         Err(smerge::Error::new(ErrorKind::InvalidData, "not gzip data"))
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let source = Readable::from_iter([Bytes::from("x")]).with_origin("a.gz");
    /// let error = pipeline(source).pipe(Refuse).collect_vec().await.unwrap_err();
    /// assert_eq!(error.path().unwrap().to_str(), Some("a.gz"));
    /// assert_eq!(format!("{error:#}"), "reading a.gz: stage 1: not gzip data");
    /// # }
    /// ```
    pub fn with_origin(mut self, path: impl Into<PathBuf>) -> Self {
        self.origin = Some(path.into());
        self
    }

    /// Registers an observer of this stream's events.
    pub fn observe(&mut self, observer: impl FnMut(&Event) + Send + 'static) {
        self.life.events.observe(observer);
    }

    /// The highWaterMark.
    pub fn high_water_mark(&self) -> usize {
        self.half.buffer.high_water_mark()
    }

    /// How much is buffered (Node's `readableLength`).
    pub fn readable_length(&self) -> usize {
        self.half.buffer.len()
    }

    /// True once `end` was emitted (Node's `readableEnded`).
    pub fn is_ended(&self) -> bool {
        self.half.is_ended()
    }

    /// Node's `readableFlowing`: `None` before anyone consumed, then whether
    /// the stream is flowing.
    pub fn flowing(&self) -> Option<bool> {
        self.half.flowing()
    }

    /// True once destroyed, or closed after its end.
    pub fn is_destroyed(&self) -> bool {
        self.life.is_destroyed()
    }

    /// The error the stream failed with, if it did.
    pub fn errored(&self) -> Option<&Error> {
        self.life.errored()
    }

    /// Stops the flow: emits `pause` if the stream was flowing (or had no
    /// consumer yet).
    pub fn pause(&mut self) {
        self.half.pause(&mut self.life.events);
    }

    /// Starts the flow at once; if it was not flowing, `resume` is
    /// emitted on the next tick, as in Node: from the stream's next poll,
    /// after it asked the source for data and before the first `data`. On
    /// a stream that no pipe and no poll has read, a [`tick`](Readable::tick)
    /// then flows as Node's does with no `data` listener: the chunks are
    /// emitted as `data` and dropped. To read them, pipe or poll the
    /// stream; it needs no `resume()`.
    pub fn resume(&mut self) {
        // On a destroyed stream too: `resume` comes on the next tick all
        // the same, after the destroy's `close`, as in Node.
        self.half.resume();
    }

    /// Destroys the stream: the source's [`destroy`](ReadSource::destroy)
    /// runs, and `error` (if any) then `close` follow on the next tick.
    /// Later calls do nothing. What is buffered stays, and counts in
    /// [`readable_length`](Readable::readable_length), as in Node; it is
    /// freed with the stream.
    pub fn destroy(&mut self, error: Option<Error>) {
        if !self.life.is_destroyed() {
            // Its `error` and `close` come on the next tick, after what
            // was queued before (a scheduled `resume` and its flow).
            self.half.ticks.schedule_once(Tick::Deferred);
        }
        if self.life.destroy(error)
            && let Some(mut source) = self.source.take()
        {
            source.as_mut().destroy(self.life.errored());
        }
    }

    /// Puts `chunk` back at the front of the buffer (Node's `unshift`);
    /// returns whether the buffer is still below its highWaterMark. On a
    /// destroyed stream (which a stream is after its end, unless
    /// [`auto_destroy`](Readable::auto_destroy) is off) the chunk is dropped
    /// and the answer is `false`, as in Node.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::UnshiftAfterEnd`](crate::ErrorKind::UnshiftAfterEnd)
    /// after `end` was emitted on a stream that stays undestroyed.
    pub fn unshift(&mut self, chunk: T) -> Result<bool> {
        if T::EMPTY_IS_NOTHING && chunk.size() == 0 {
            // Node takes an empty byte chunk as nothing, whatever the
            // stream's state, and answers whether there is room.
            return Ok(self.half.buffer.has_room());
        }
        if self.life.is_destroyed() {
            return Ok(false);
        }
        let room = self.half.unshift(chunk)?;
        // Node's `addChunk`, at the front.
        self.half.pushed(true, true, false, true);
        Ok(room)
    }

    /// Takes what is buffered without waiting (Node's `read()`): for bytes
    /// everything buffered, joined into one chunk; for objects (and
    /// `String`s, which smerge streams as lines and records as often as
    /// text), and on a flowing stream, the oldest chunk. As Node's `read()`, it first
    /// asks the source once if the buffer is empty or what this read
    /// leaves would be below the highWaterMark, so a source that produces
    /// data synchronously fills it right away; the rest is asked for by
    /// later reads. At the end, returns `None`; once a read left
    /// nothing before the end, `end` follows on the next tick (the stream's
    /// next poll, or [`tick`](Readable::tick)), as in Node. On a piped
    /// stream, a copy of the chunk ([`Chunk::copy_for_pipe`]) goes to the
    /// pipe too, which writes it into its destinations at its next poll,
    /// as Node's pipe writes what `read()` emits as `data`.
    pub fn read(&mut self) -> Option<T> {
        let mut cx = Context::from_waker(Waker::noop());
        let taking = if self.half.reads_joined() {
            Taking::All
        } else {
            Taking::Front
        };
        self.half.ticks.emitted_readable = false;
        if let Poll::Ready(Err(_)) = self.poll_ask(&mut cx, taking) {
            // The `_read` failed: the stream's reader (a pipe) still
            // learns of it, at its next poll, as Node's `error` comes.
            self.life.hand_error_later();
        }
        let chunk = self.half.take_for_read(&mut self.life.events);
        self.schedule_end_if_drained();
        self.half.after_read(chunk.is_some());
        chunk
    }

    /// Lets a tick pass for a stream that nothing polls, doing what Node
    /// does on its own between two calls: delivers the events deferred to
    /// the next tick (`error` and `close` after a destroy, `end` after a
    /// read that reached it, `resume` after `resume()`), takes in what a source that was waiting has
    /// produced since, and, after anything was pushed, asks the source for
    /// more while the buffer is below its highWaterMark (Node's
    /// `maybeReadMore`), in the order Node queued these. A stream that is
    /// read, piped or awaited does all this at each of its polls; `tick` is
    /// for one held paused, to keep its buffer filled and its events coming
    /// without reading from it. On a stream [`resume`](Readable::resume)d
    /// that no pipe reads and no poll has read, a tick flows as Node's does
    /// with no `data` listener: the chunks are emitted as `data` and
    /// dropped; a stream a pipe or a poll reads keeps its chunks for its
    /// reader (a pipe until it is undone).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use smerge::{Event, Readable};
    ///
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// let seen = Arc::clone(&log);
    /// let mut numbers = Readable::from_iter([1u32, 2, 3]).with_high_water_mark(2);
    /// numbers.observe(move |e: &Event| seen.lock().unwrap().push(e.name()));
    /// assert_eq!(numbers.read(), Some(1)); // asked the source once
    /// numbers.tick(); // Node's next tick: reads ahead to the mark
    /// assert_eq!(numbers.readable_length(), 2);
    /// numbers.destroy(None);
    /// assert_eq!(*log.lock().unwrap(), ["data"]); // `close` waits for the tick
    /// numbers.tick();
    /// assert_eq!(*log.lock().unwrap(), ["data", "close"]);
    /// ```
    pub fn tick(&mut self) {
        let mut cx = Context::from_waker(Waker::noop());
        self.run_ticks(&mut cx, u64::MAX);
    }

    /// A tick as Node runs it for a stream nobody reads (no `data`
    /// listener): the answer of a read the source left waiting, then what
    /// was queued for this tick, in order — `emitReadable_` and `resume_`
    /// call `flow()`, which, while the stream flows, reads chunk after
    /// chunk (each emitted as `data`, and dropped) until a read finds
    /// nothing; `maybeReadMore_` reads ahead; `end`; the events of a
    /// destroy. Only the ticks queued before the tick stamped `before`.
    fn run_ticks(&mut self, cx: &mut Context<'_>, before: u64) {
        if std::mem::take(&mut self.flow_due) {
            self.flow(cx);
        }
        if self.source_pending && self.source.is_some() && !self.life.is_destroyed() {
            let _ = self.poll_source(cx, false);
            if std::mem::take(&mut self.flow_due) {
                self.flow(cx);
            }
        }
        while let Some(tick) = self.half.ticks.pop_before(before) {
            match tick {
                Tick::Readable => {
                    self.half.readable_tick(self.life.is_destroyed());
                    self.flow(cx);
                }
                Tick::ReadMore => self.read_ahead(cx),
                Tick::Resume => self.resume_tick(cx),
                // A readable has no `finish`.
                Tick::Finish => {}
                Tick::End => {
                    if self.life.errored().is_some() {
                        self.half.cancel_scheduled_end();
                    } else if self.half.emit_scheduled_end(&mut self.life.events) {
                        self.life.close();
                        self.half.ticks.schedule_once(Tick::Deferred);
                    }
                }
                Tick::Deferred => {
                    if std::mem::take(&mut self.flow_before_close)
                        && self.half.flowing() != Some(false)
                    {
                        // The flow whose read failed takes the rest before
                        // the `error` and `close` (`take_before_close`).
                        self.half.flow_to_reader(&mut self.life.events);
                    }
                    self.life.events.flush();
                }
            }
        }
        self.life.events.flush();
    }

    /// Node's `flow()`: `read()` while the stream flows and a read returns
    /// a chunk; the chunks are emitted as `data` and dropped. Never on a
    /// stream a pipe or a poll has read: its chunks are its reader's,
    /// unless the stream was destroyed and its `close` came: its reads
    /// then take what is buffered without `data` (readable.js:784).
    fn flow(&mut self, cx: &mut Context<'_>) {
        if self.half.ticks.consumed
            && (!self.life.is_destroyed() || self.half.ticks.contains(Tick::Deferred))
        {
            return;
        }
        while self.half.flowing() == Some(true) && self.read_as_node(cx, true).is_some() {}
    }

    /// Node's `resume_` (if no `pause()` or read since undid it):
    /// `read(0)` unless a read is pending, `resume`, `flow()`, and another
    /// `read(0)` while it flows.
    fn resume_tick(&mut self, cx: &mut Context<'_>) {
        if !self.half.resume_scheduled() {
            return;
        }
        if !self.source_pending {
            self.read_as_node(cx, false);
        }
        self.half.emit_scheduled_resume(&mut self.life.events);
        self.flow(cx);
        if self.half.flowing() == Some(true) && !self.source_pending {
            self.read_as_node(cx, false);
        }
    }

    /// Node's `maybeReadMore_`: `read(0)` while nothing is pending, the
    /// end was not pushed, and the buffer is below the highWaterMark (or
    /// empty while flowing), until a read adds nothing.
    fn read_ahead(&mut self, cx: &mut Context<'_>) {
        loop {
            let buffer = &self.half.buffer;
            let flowing_empty = self.half.flowing() == Some(true) && buffer.is_empty();
            if self.source_pending
                || buffer.is_eof()
                || !(buffer.len() < buffer.high_water_mark() || flowing_empty)
            {
                break;
            }
            let before = buffer.len();
            self.read_as_node(cx, false);
            if self.half.buffer.len() == before {
                break;
            }
        }
        self.half.ticks.reading_more = false;
    }

    /// Node's `read()` (`front`: the oldest chunk, as a flowing read takes
    /// it) or `read(0)`, with every flag it keeps: it asks the source once
    /// if a read wants data (nothing buffered, below the mark after this
    /// read, or `needReadable`) and nothing is pending, ended or
    /// destroyed; then takes, emitting `data`.
    fn read_as_node(&mut self, cx: &mut Context<'_>, front: bool) -> Option<T> {
        let mark = self.half.buffer.high_water_mark();
        let (len, ended) = (self.half.buffer.len(), self.half.buffer.is_eof());
        if front {
            self.half.ticks.emitted_readable = false;
        } else if self.half.ticks.need_readable
            && (ended || if mark != 0 { len >= mark } else { len > 0 })
        {
            if len == 0 && ended {
                self.schedule_end_if_drained();
            } else {
                self.half.ticks.emit_readable();
            }
            return None;
        }
        if ended && (!front || len == 0) {
            if len == 0 {
                self.schedule_end_if_drained();
            }
            return None;
        }
        let taking = if front {
            self.half.buffer.front().map_or(0, Chunk::size)
        } else {
            0
        };
        let asks = self.half.ticks.need_readable || len == 0 || len - taking < mark;
        if asks
            && !ended
            && !self.source_pending
            && self.source.is_some()
            && !self.life.is_destroyed()
            && self.life.errored().is_none()
        {
            let _ = self.poll_source(cx, true);
        }
        let chunk = if front {
            self.half.take(&mut self.life.events)
        } else {
            None
        };
        let (len, ended) = (self.half.buffer.len(), self.half.buffer.is_eof());
        if chunk.is_none() && len <= mark {
            self.half.ticks.need_readable = true;
        }
        if len == 0 {
            if !ended {
                self.half.ticks.need_readable = true;
            } else if front {
                self.schedule_end_if_drained();
            }
        }
        chunk
    }

    /// A read outside a poll found the end: `end` on the next tick, unless
    /// the stream was destroyed first (its `close` then comes first, and
    /// Node emits no `end` after `close`). True if ended or ending.
    fn schedule_end_if_drained(&mut self) -> bool {
        if self.life.is_destroyed() {
            return self.half.is_ended();
        }
        self.half.schedule_end_if_drained()
    }

    /// What every poll does first, as a new tick: delivers the deferred
    /// events, then an `end` a read outside a poll scheduled.
    #[inline]
    fn start_tick(&mut self) {
        if !self.half.resume_or_end_scheduled()
            && !self.flow_before_close
            && !self.life.is_destroyed()
        {
            // No `resume` or `end` due and no destroy: only the events a
            // call deferred (every poll of a stream that flows).
            self.life.events.flush();
            return;
        }
        self.start_queued_tick();
    }

    /// [`start_tick`](Readable::start_tick) with something queued.
    #[inline(never)]
    fn start_queued_tick(&mut self) {
        if self.half.resume_scheduled()
            && self.half.ticks.contains(Tick::End)
            && self.half.ticks.comes_before(Tick::Resume, Tick::End)
        {
            // Node's `resume_` was queued before the read that found the
            // end: its `resume` comes first (its `read(0)` finds nothing).
            self.half.emit_scheduled_resume(&mut self.life.events);
        }
        let flow_first = self.half.flowing() == Some(true)
            && !self.half.buffer.is_empty()
            && self.half.ticks.comes_before(Tick::Readable, Tick::End);
        if self.life.errored().is_some() {
            // Node's `endReadableNT`: no `end` once the stream failed.
            self.half.cancel_scheduled_end();
        } else if flow_first {
            // An `emitReadable_` queued before it flows what an `unshift`
            // put back first: the reader takes it, and the `end` comes at
            // the poll after.
        } else if self.half.emit_scheduled_end(&mut self.life.events) {
            // Scheduled before anything a later call deferred (a destroy's
            // `close`), so delivered first; the auto-destroy's own `close`
            // comes on the tick after `end` (what the `end` listeners do
            // comes first: a pipe's `unpipe` and `pause`).
            let destroyed = self.life.is_destroyed();
            self.half.flush_events(&mut self.life.events, destroyed);
            self.life.close();
            return;
        }
        let destroyed = self.life.is_destroyed();
        if destroyed
            && self.half.ticks.consumed
            && self.half.ticks.contains(Tick::Deferred)
            && !self.half.buffer.is_empty()
        {
            self.flow_before_close |= self.flows_before_close();
        }
        if self.flow_before_close {
            if self.half.flowing() != Some(false)
                && self.half.ticks.contains(Tick::Deferred)
                && !self.half.buffer.is_empty()
            {
                // The reader takes the chunks first (`take_before_close`).
                return;
            }
            self.flow_before_close = false;
        }
        let flows_after = destroyed && self.half.ticks.consumed && self.flows_at_next_tick();
        self.half.flush_events(&mut self.life.events, destroyed);
        if flows_after && self.half.flowing() == Some(true) {
            // Node's `flow()` after the destroy's `close`: `read()` still
            // empties the buffer, but emits no `data` (readable.js:784),
            // so a pipe never sees those chunks.
            self.half.buffer.clear();
        }
    }

    /// On a destroyed stream whose `error` and `close` are still to come:
    /// a flow Node queued before them (`resume_`, or `emitReadable_`)
    /// finds the stream flowing with chunks buffered. Its `resume` comes
    /// now, unless an `emitReadable_` queued before it flows first.
    fn flows_before_close(&mut self) -> bool {
        if self.half.flowing() != Some(true) {
            return false;
        }
        let ticks = &self.half.ticks;
        let resume_first = self.half.resume_scheduled()
            && ticks.comes_before(Tick::Resume, Tick::Deferred)
            && ticks.comes_before(Tick::Resume, Tick::Readable);
        if resume_first {
            self.half.emit_scheduled_resume(&mut self.life.events);
            return true;
        }
        ticks.comes_before(Tick::Readable, Tick::Deferred)
    }

    /// Whether a flow (`resume_` or `emitReadable_`) is queued.
    fn flows_at_next_tick(&self) -> bool {
        self.half.resume_scheduled() || self.half.ticks.contains(Tick::Readable)
    }

    /// A read whose source failed: what was buffered before still goes
    /// into `queue`, and `error` comes at the next poll (Node's `read()`
    /// takes what is buffered whatever the state).
    #[cold]
    fn hand_out_before(
        &mut self,
        error: Error,
        queue: &mut WriteQueue<T>,
    ) -> Poll<Option<Result<()>>> {
        if self.half.buffer.is_empty() {
            return Poll::Ready(Some(Err(error)));
        }
        while let Some(chunk) = self.half.take(&mut self.life.events) {
            queue.push_back(chunk);
        }
        self.life.hand_error_later();
        Poll::Ready(Some(Ok(())))
    }

    /// A reader's read on a destroyed stream: the chunks a flow queued
    /// before the destroy's `error` and `close` (or the flow whose read
    /// failed) takes, emitted as `data` (Node's `read()` takes what is
    /// buffered whatever the state; only `_read` is stopped,
    /// readable.js:727). Once there are none left, or the stream was
    /// paused, the deferred events come.
    fn take_before_close(&mut self) -> Option<T> {
        if !self.flow_before_close {
            return None;
        }
        self.half.take(&mut self.life.events)
    }

    /// A flowing read whose `_read` failed: Node's `read()` whose `_read`
    /// destroyed the stream still takes what is buffered and emits it as
    /// `data`: only the `_read` is stopped by `destroyed`, and `data` only
    /// once `error` or `close` was emitted (readable.js:727, 784). The
    /// error comes once the flow took the rest (`take_before_close`).
    #[cold]
    fn take_before_error(&mut self) -> Option<T> {
        let chunk = self.half.take(&mut self.life.events)?;
        self.life.hand_error_later();
        self.flow_before_close = true;
        Some(chunk)
    }

    /// Waits until a chunk is buffered or the end is reached (Node's
    /// `'readable'` event), asking the source for data; emits `readable`.
    /// A stream read this way is paused: [`flowing`](Readable::flowing)
    /// becomes `Some(false)` if it was `None`.
    pub async fn readable(&mut self) -> Result<()> {
        poll_fn(|cx| self.poll_readable(cx)).await
    }

    /// The poll form of [`readable`](Readable::readable).
    pub fn poll_readable(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.start_tick();
        self.half.listen_readable();
        if let Some(error) = self.life.take_error() {
            return Poll::Ready(Err(error));
        }
        if let Poll::Ready(Err(error)) = self.poll_fill(cx, true) {
            return Poll::Ready(Err(error));
        }
        self.half.emit_scheduled_resume(&mut self.life.events);
        if !self.half.is_readable() {
            return Poll::Pending;
        }
        self.half.readable_emitted();
        self.life.events.emit(Event::Readable);
        Poll::Ready(Ok(()))
    }

    /// Node's `read()` asking the source: once, and only if the buffer is
    /// empty or what this read takes leaves it below the highWaterMark.
    /// `Ready(Ok(true))` when the source answered (with data or not),
    /// `Ready(Ok(false))` when it was not asked, `Pending` when it has
    /// nothing yet. An answer to a read the source had left waiting is
    /// that read's `push`, not this read's: the source is then asked anew,
    /// as Node's `read()` after the push does.
    fn poll_ask(&mut self, cx: &mut Context<'_>, taking: Taking) -> Poll<Result<bool>> {
        if let Some(misuse) = self.half.buffer.take_misuse() {
            return Poll::Ready(Err(self.fail(misuse)));
        }
        if !self.wants_asking(taking) {
            return Poll::Ready(Ok(false));
        }
        let was_pending = self.source_pending;
        let was_empty = self.half.buffer.is_empty();
        ready!(self.poll_source(cx, !was_pending))?;
        // A flowing stream's consumer takes a chunk pushed into its empty
        // buffer at once (Node's `addChunk` emits it as `data`), before
        // the source is asked again.
        let handed_over = matches!(taking, Taking::Front)
            && was_empty
            && self.half.flowing() == Some(true)
            && !self.half.buffer.is_empty();
        if was_pending
            && !handed_over
            && self.wants_asking(taking)
            && let Poll::Ready(Err(error)) = self.poll_source(cx, true)
        {
            return Poll::Ready(Err(error));
        }
        Poll::Ready(Ok(true))
    }

    /// Whether a read taking `taking` asks the source first.
    fn wants_asking(&self, taking: Taking) -> bool {
        self.source.is_some() && self.half.asks_before_taking(taking)
    }

    /// Asks the source once; `Ready(Ok)` when it answered, with data or not.
    /// `sync` when this is a read's `_read` (Node's `state.sync`), not the
    /// later answer of a read the source left waiting.
    fn poll_source(&mut self, cx: &mut Context<'_>, sync: bool) -> Poll<Result<()>> {
        let Some(source) = self.source.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        if sync && self.half.buffer.is_empty() {
            // Node's `read()` before its `_read`: the push answers a read.
            self.half.ticks.need_readable = true;
        }
        let (chunks, ended) = (self.half.buffer.chunk_count(), self.half.buffer.is_eof());
        let mut push = Push::new(&mut self.half.buffer);
        let answer = source.as_mut().poll_read(cx, &mut push);
        let pushes = push.pushes();
        self.source_pending = answer.is_pending();
        if pushes > 0 {
            let added = self.half.buffer.chunk_count() > chunks;
            let ended = !ended && self.half.buffer.is_eof();
            if self.half.pushed(added, true, ended, sync) {
                self.half.readable_tick(self.life.is_destroyed());
                self.flow_due = self.half.flowing() == Some(true);
            }
        }
        self.half.ticks.asked_once = true;
        match answer {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(error)) => Poll::Ready(Err(self.fail(error))),
            Poll::Ready(Ok(())) => {
                if let Some(misuse) = self.half.buffer.take_misuse() {
                    return Poll::Ready(Err(self.fail(misuse)));
                }
                if self.half.buffer.is_eof() {
                    self.source = None;
                }
                Poll::Ready(Ok(()))
            }
        }
    }

    /// The tick after `resume()`: Node's `resume_` reads with `read(0)`,
    /// which asks the source if the buffer is below its mark, then emits
    /// `resume`.
    /// Checked on every poll: one flag unless a `resume` is due.
    #[inline]
    fn poll_scheduled_resume(&mut self, cx: &mut Context<'_>) -> Result<()> {
        if self.half.resume_scheduled() {
            self.run_scheduled_resume(cx)
        } else {
            Ok(())
        }
    }

    /// [`poll_scheduled_resume`](Readable::poll_scheduled_resume) for a
    /// poll that reads on: pending (and woken) when the read of a piped
    /// stream's `flow()` found the end, whose `end` comes at its own tick
    /// (see [`ReadHalf::queue_end_found_by_flow`]).
    #[inline]
    fn poll_resume_to_end(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if !self.half.resume_scheduled() {
            return Poll::Ready(Ok(()));
        }
        if let Err(error) = self.run_scheduled_resume(cx) {
            return Poll::Ready(Err(error));
        }
        if self.half.queue_end_found_by_flow() {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(Ok(()))
    }

    fn run_scheduled_resume(&mut self, cx: &mut Context<'_>) -> Result<()> {
        self.read_ahead_before_resume(cx);
        let ended = self.half.buffer.is_eof();
        if let Poll::Ready(Err(error)) = self.poll_ask(cx, Taking::Nothing) {
            return Err(error);
        }
        self.half.emit_scheduled_resume(&mut self.life.events);
        if ended && self.half.paused_while_piped() {
            // Node's `read(0)` in `resume_` found the end (pushed
            // before it, not by its `_read`): `end` comes although
            // the stream is paused.
            self.half.schedule_end_if_drained();
        }
        Ok(())
    }

    /// A `maybeReadMore_` queued before the `resume_` (a push or an
    /// `unshift` before `resume()` or `pipe()`) runs first: its `read(0)`
    /// asks the source while the buffer is below the mark, before
    /// `resume_`'s own `read(0)` (readable.js:864-905, 1254-1258).
    fn read_ahead_before_resume(&mut self, cx: &mut Context<'_>) {
        if let Some(resume) = self.half.queued_resume()
            && self.half.ticks.queued_before_stamp(Tick::ReadMore, resume)
        {
            self.half.ticks.remove(Tick::ReadMore);
            self.read_ahead(cx);
        }
    }

    /// The flow queued before the `resume` found nothing more: now Node's
    /// `resume_` (`read(0)`, then `resume`).
    fn resume_after_flow(&mut self, cx: &mut Context<'_>) -> Result<()> {
        self.half.ticks.remove(Tick::Readable);
        self.poll_scheduled_resume(cx)
    }

    /// Asks the source for data while the buffer wants more. `Ready(Ok)`
    /// means the buffer is full or the source ended; `Pending` means the
    /// source has nothing now (the buffer may still hold data).
    fn poll_fill(&mut self, cx: &mut Context<'_>, consumer_waiting: bool) -> Poll<Result<()>> {
        loop {
            if let Some(misuse) = self.half.buffer.take_misuse() {
                return Poll::Ready(Err(self.fail(misuse)));
            }
            let Some(source) = self.source.as_mut() else {
                return Poll::Ready(Ok(()));
            };
            if !self.half.buffer.wants_more(consumer_waiting) {
                return Poll::Ready(Ok(()));
            }
            let mut push = Push::new(&mut self.half.buffer);
            let answer = source.as_mut().poll_read(cx, &mut push);
            self.source_pending = answer.is_pending();
            match answer {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(self.fail(error))),
                Poll::Ready(Ok(())) => {
                    if self.half.buffer.is_eof() {
                        // Release the source (a file handle) as soon as it ended.
                        self.source = None;
                    }
                }
            }
        }
    }

    fn fail(&mut self, error: Error) -> Error {
        let error = self.life.locate(error);
        self.destroy(Some(error.clone()));
        self.life.take_error();
        error
    }

    /// A [`Pusher`](crate::Pusher)'s `push`: Node's `readable.push(chunk)`
    /// from outside. Dropped after a destroy (Node ignores it too).
    pub(crate) fn push_from_outside(&mut self, chunk: T) -> bool {
        if T::EMPTY_IS_NOTHING && chunk.size() == 0 {
            // Node takes an empty byte chunk as nothing, even after the end
            // or a destroy, and answers whether there is room; it still
            // answers a waiting read, and reads more on the next tick.
            self.source_pending = false;
            self.half.pushed(false, true, false, false);
            return self.half.buffer.has_room();
        }
        if self.life.is_destroyed() {
            return false;
        }
        // The push answers a read the source left waiting (Node's `push`
        // clears `reading`): the next read asks the source again.
        self.source_pending = false;
        let chunks = self.half.buffer.chunk_count();
        let room = self.half.buffer.push_from_producer(chunk);
        let added = self.half.buffer.chunk_count() > chunks;
        self.half.pushed(added, true, false, false);
        // Node fails the stream inside `push` (`ERR_STREAM_PUSH_AFTER_EOF`).
        if let Some(misuse) = self.half.buffer.take_misuse() {
            let error = self.life.locate(misuse);
            self.destroy(Some(error));
        }
        room
    }

    /// A [`Pusher`](crate::Pusher)'s `end`: Node's `readable.push(null)`,
    /// which marks the end even on a destroyed stream.
    pub(crate) fn end_from_outside(&mut self) {
        self.source_pending = false;
        let ended = self.half.buffer.is_eof();
        self.half.buffer.end();
        // Node's `onEofChunk` outside a read runs `flow()` at once: with
        // nothing buffered, that only schedules `end`; chunks wait for the
        // next tick, which flows first (a consumer may be polling for them).
        if !ended && self.half.pushed(false, true, true, false) {
            self.half.readable_tick(self.life.is_destroyed());
            // Nobody polls a stream no pipe or poll has read: Node's
            // `flow()` emits its chunks as `data` inside the push.
            if self.half.flowing() == Some(true)
                && (self.half.buffer.is_empty() || !self.half.ticks.consumed)
            {
                self.flow(&mut Context::from_waker(Waker::noop()));
            } else {
                self.flow_due = self.half.flowing() == Some(true);
            }
        }
    }
}

impl Readable<Bytes> {
    /// A readable of the bytes of any [`AsyncRead`] (a file, a socket,
    /// standard input, a child's stdout), read up to one highWaterMark at a
    /// time (64 KiB).
    pub fn from_reader<R: AsyncRead + Send + 'static>(reader: R) -> Self {
        Readable::from_stream(ReaderStream::with_capacity(reader, DEFAULT_HIGH_WATER_MARK))
    }

    /// Node's `read(n)` on a byte stream: exactly `n` bytes, joining or
    /// splitting chunks, or the rest at the end; `None` while fewer than
    /// `n` bytes are buffered.
    ///
    /// Asking for more than the highWaterMark raises it to the next power
    /// of two, as Node does, so that the buffer can hold what is asked. A
    /// `None` means [`readable`](Readable::readable) waits for new data.
    pub fn read_bytes(&mut self, n: usize) -> Option<Bytes> {
        if n > self.half.buffer.high_water_mark() {
            let raised = n.checked_next_power_of_two().unwrap_or(n);
            self.half.buffer.set_high_water_mark(raised);
        }
        let mut cx = Context::from_waker(Waker::noop());
        let ended_before = self.half.buffer.is_eof();
        let (len, mark) = (self.half.buffer.len(), self.half.buffer.high_water_mark());
        if n != 0 {
            self.half.ticks.emitted_readable = false;
        } else if self.half.ticks.need_readable && (if mark != 0 { len >= mark } else { len > 0 }) {
            // Node's `read(0)` with enough buffered: `emitReadable`.
            self.half.ticks.emit_readable();
        }
        // Node's `read(n)` asks once, before it takes, when what it would
        // take leaves the buffer below the highWaterMark.
        if let Poll::Ready(Err(_)) = self.poll_ask(&mut cx, Taking::Bytes(n)) {
            self.life.hand_error_later();
        }
        let bytes = self.half.take_bytes(n, &mut self.life.events);
        match &bytes {
            // The rest, cut short by the end: `end` follows on the next tick.
            Some(rest) if rest.len() < n => {
                self.schedule_end_if_drained();
            }
            Some(_) => {}
            // `read(0)` finds the end only if it was there before the call
            // (Node's `read(0)` after its `_read` ended the stream is not
            // cut short, and schedules nothing).
            None if n == 0 && !ended_before => {}
            None if self.schedule_end_if_drained() => {}
            None => self.half.need_more(),
        }
        self.half.after_read(bytes.is_some());
        bytes
    }

    /// This stream as an [`AsyncRead`] (and `AsyncBufRead`), through
    /// tokio-util's [`StreamReader`]; the inverse of
    /// [`Readable::from_reader`].
    pub fn into_async_read(self) -> StreamReader<Readable<Bytes>, Bytes> {
        StreamReader::new(self)
    }

    /// This stream as text (Node's `setEncoding('utf8')`): the same
    /// stream — observers, name, flow and end state carry over — whose
    /// chunks are [`String`]s that never split a character; see
    /// [`Utf8Decoder`] for how bytes are decoded.
    ///
    /// Bytes already buffered are decoded at once into one chunk, as Node
    /// does; a character they leave incomplete is completed by the bytes
    /// that follow. The highWaterMark keeps its value, still counted in
    /// bytes of UTF-8 (Node counts characters once an encoding is set).
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::Bytes;
    /// use smerge::{Readable, ReadableExt};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> smerge::Result<()> {
    /// let bytes = Readable::from_iter([
    ///     Bytes::from_static(b"caf\xc3"),
    ///     Bytes::from_static(b"\xa9 cr\xc3"),
    ///     Bytes::from_static(b"\xa8me"),
    /// ]);
    /// assert_eq!(bytes.into_text().collect_vec().await?, ["caf", "é cr", "ème"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_text(self) -> Readable<String> {
        let origin = self.origin.clone();
        let (half, source, life) = self.into_parts();
        let mut decoder = Utf8Decoder::new();
        let half = half.convert(|chunks, eof| {
            let mut text = String::new();
            for chunk in chunks {
                text.push_str(&decoder.decode(&chunk));
            }
            if eof {
                text.push_str(&decoder.finish());
            }
            if text.is_empty() {
                Vec::new()
            } else {
                vec![text]
            }
        });
        let source =
            source.map(|source| Box::pin(TextSource::new(source, decoder)) as BoxSource<String>);
        let mut text = Readable::from_parts(half, source, life);
        text.origin = origin;
        text
    }
}

impl Readable<String> {
    /// Node's `read(n)` on a stream with `setEncoding('utf8')`: exactly `n`
    /// characters, joining or splitting chunks, or the rest at the end;
    /// `None` while fewer are buffered (then
    /// [`readable`](Readable::readable) waits for new data).
    ///
    /// Node counts UTF-16 code units, so a character outside the Basic
    /// Multilingual Plane (an emoji) counts 2 there and `read(1)` can
    /// return half of it; here every character (`char`) counts 1 and is
    /// never split. The highWaterMark and
    /// [`readable_length`](Readable::readable_length) count bytes of
    /// UTF-8 (see [`Readable::into_text`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::Bytes;
    /// use smerge::Readable;
    ///
    /// // Node: r.setEncoding('utf8'); r.read(4)
    /// let mut text = Readable::from_iter([Bytes::from("caf\u{e9} cr"), Bytes::from("\u{e8}me")]).into_text();
    /// assert_eq!(text.read_text(4).as_deref(), Some("café"));
    /// assert_eq!(text.read_text(4).as_deref(), Some(" crè"));
    /// assert_eq!(text.read_text(4).as_deref(), Some("me"), "the rest, at the end");
    /// assert_eq!(text.read_text(4), None);
    /// ```
    pub fn read_text(&mut self, n: usize) -> Option<String> {
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            let _ = self.poll_fill(&mut cx, true);
            let text = self.half.take_text(n, &mut self.life.events);
            let buffered = self.half.buffer.len();
            let mark = self.half.buffer.high_water_mark();
            match text {
                Some(_) => {
                    let _ = self.poll_fill(&mut cx, false);
                }
                None if self.schedule_end_if_drained() => {}
                // A full buffer holds fewer characters than asked: make
                // room, as Node raises the mark for a large `read(n)`.
                None if buffered > 0 && buffered >= mark && !self.half.buffer.is_eof() => {
                    let raised = (buffered + 1)
                        .checked_next_power_of_two()
                        .unwrap_or(usize::MAX);
                    self.half.buffer.set_high_water_mark(raised);
                    continue;
                }
                None => self.half.need_more(),
            }
            return text;
        }
    }
}

impl<T: Chunk> Readable<T> {
    /// [`poll_read_into`](ReadableStream::poll_read_into) when someone
    /// observes the events: chunk by chunk, as Node's `flow()` calls
    /// `read()`, each asking the source first if what it leaves is below
    /// the mark.
    #[inline(never)]
    fn poll_read_into_observed(
        &mut self,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<T>,
        limit: usize,
    ) -> Poll<Option<Result<()>>> {
        let mut moved = false;
        let mut flow_first = self.half.resume_waits_for_flow();
        if !flow_first {
            match self.poll_resume_to_end(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(error)) => return Poll::Ready(Some(Err(error))),
                Poll::Pending => return Poll::Pending,
            }
        }
        if self.half.paused_while_piped() {
            // Node's `flow()` reads nothing while paused; the stream lives
            // its ticks (`maybeReadMore_`, `end`) as Node's does.
            if let Err(error) = ReadableStream::poll_ahead(self, cx) {
                return Poll::Ready(Some(Err(error)));
            }
            return Poll::Pending;
        }
        loop {
            let asked = self.poll_ask(cx, Taking::Front);
            if let Poll::Ready(Err(error)) = asked {
                if let Some(chunk) = self.take_before_error() {
                    queue.push_back(chunk);
                    return Poll::Ready(Some(Ok(())));
                }
                return Poll::Ready(Some(Err(error)));
            }
            if let Some(chunk) = self.half.take(&mut self.life.events) {
                queue.push_back(chunk);
                moved = true;
                if queue.size() >= limit {
                    break;
                }
                continue;
            }
            if moved {
                self.half.schedule_end_if_drained();
                break;
            }
            if std::mem::take(&mut flow_first) {
                if let Err(error) = self.resume_after_flow(cx) {
                    return Poll::Ready(Some(Err(error)));
                }
                continue;
            }
            if self.half.end_if_drained(&mut self.life.events) {
                self.life.close();
                return Poll::Ready(None);
            }
            if !matches!(asked, Poll::Ready(Ok(true))) {
                return Poll::Pending;
            }
        }
        Poll::Ready(Some(Ok(())))
    }
}

impl<T> sealed::Stream for Readable<T> {}

impl<T: Chunk> ReadableStream for Readable<T> {
    type Output = T;

    fn poll_next_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        self.half.ticks.consumed = true;
        self.start_tick();
        if let Some(chunk) = self.half.take_read_by_hand() {
            return Poll::Ready(Some(Ok(chunk)));
        }
        if let Some(chunk) = self.take_before_close() {
            return Poll::Ready(Some(Ok(chunk)));
        }
        if let Some(error) = self.life.take_error() {
            return Poll::Ready(Some(Err(error)));
        }
        if self.life.is_destroyed() {
            return Poll::Ready(None);
        }
        let mut flow_first = self.half.resume_waits_for_flow();
        if !flow_first {
            match self.poll_resume_to_end(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(error)) => return Poll::Ready(Some(Err(error))),
                Poll::Pending => return Poll::Pending,
            }
        }
        if self.half.paused_while_piped() {
            // Node's `flow()` reads nothing while paused; the stream lives
            // its ticks (`maybeReadMore_`, `end`) as Node's does.
            if let Err(error) = ReadableStream::poll_ahead(self, cx) {
                return Poll::Ready(Some(Err(error)));
            }
            return Poll::Pending;
        }
        // Node's flowing `read()`: ask once if what this read leaves is
        // below the mark, then take one chunk; a source that answered
        // without data is asked again.
        loop {
            let asked = self.poll_ask(cx, Taking::Front);
            if let Poll::Ready(Err(error)) = asked {
                if let Some(chunk) = self.take_before_error() {
                    return Poll::Ready(Some(Ok(chunk)));
                }
                return Poll::Ready(Some(Err(error)));
            }
            if let Some(chunk) = self.half.take(&mut self.life.events) {
                // Node's `read()` that takes the last chunk after the end
                // queues `end` (readable.js:769-777): it comes at the next
                // tick, even if a pipe pauses the stream meanwhile.
                self.half.schedule_end_if_drained();
                return Poll::Ready(Some(Ok(chunk)));
            }
            if std::mem::take(&mut flow_first) {
                if let Err(error) = self.resume_after_flow(cx) {
                    return Poll::Ready(Some(Err(error)));
                }
                continue;
            }
            if self.half.end_if_drained(&mut self.life.events) {
                self.life.close();
                return Poll::Ready(None);
            }
            if !matches!(asked, Poll::Ready(Ok(true))) {
                return Poll::Pending;
            }
        }
    }

    #[inline]
    fn poll_read_into(
        &mut self,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<T>,
        limit: usize,
    ) -> Poll<Option<Result<()>>> {
        self.half.ticks.consumed = true;
        self.start_tick();
        if let Some(chunk) = self.half.take_read_by_hand() {
            queue.push_back(chunk);
            return Poll::Ready(Some(Ok(())));
        }
        if let Some(chunk) = self.take_before_close() {
            queue.push_back(chunk);
            return Poll::Ready(Some(Ok(())));
        }
        if let Some(error) = self.life.take_error() {
            return Poll::Ready(Some(Err(error)));
        }
        if self.life.is_destroyed() {
            return Poll::Ready(None);
        }
        if self.life.events.is_observed() {
            return self.poll_read_into_observed(cx, queue, limit);
        }
        if let Err(error) = self.poll_scheduled_resume(cx) {
            return Poll::Ready(Some(Err(error)));
        }
        if let Poll::Ready(Err(error)) = self.poll_fill(cx, true) {
            return self.hand_out_before(error, queue);
        }
        let mut moved = self.half.take_all_into(queue, limit, &self.life.events);
        while let Some(chunk) = self.half.take(&mut self.life.events) {
            queue.push_back(chunk);
            moved = true;
            if queue.size() >= limit {
                break;
            }
        }
        if moved {
            self.half.schedule_end_if_drained();
            return Poll::Ready(Some(Ok(())));
        }
        if self.half.end_if_drained(&mut self.life.events) {
            self.life.close();
            return Poll::Ready(None);
        }
        Poll::Pending
    }

    fn pause(&mut self) {
        Readable::pause(self);
    }

    fn resume(&mut self) {
        Readable::resume(self);
    }

    fn ticks_before_end_first(&mut self) {
        self.half.emit_scheduled_resume(&mut self.life.events);
    }

    fn oldest_tick(&self) -> Option<u64> {
        self.half.ticks.oldest_for_reader()
    }

    fn destroy_tick(&self) -> Option<u64> {
        self.half.ticks.stamp_of(Tick::Deferred)
    }

    /// A destroyed stream's `error` and `close` when queued before the
    /// tick stamped `stamp`, with a `resume` queued before them; one
    /// queued after that tick comes after it.
    fn run_ticks_before(&mut self, stamp: u64) {
        let ticks = &self.half.ticks;
        if !self.life.is_destroyed()
            || self.flow_before_close
            || !ticks.queued_before_stamp(Tick::Deferred, stamp)
        {
            return;
        }
        if !self.half.resume_scheduled() || ticks.queued_before_stamp(Tick::Resume, stamp) {
            self.half.flush_events(&mut self.life.events, true);
            return;
        }
        self.life.events.flush();
        if !self.life.events.holds_deferred() {
            self.half.ticks.remove(Tick::Deferred);
        }
    }

    fn end_emitted(&self) -> bool {
        self.half.is_ended()
    }

    fn resume_queued(&self) -> bool {
        self.half.resume_scheduled()
    }

    fn queued_resume(&self) -> Option<u64> {
        self.half.queued_resume()
    }

    fn queued_flow(&self) -> Option<u64> {
        self.half.queued_flow()
    }

    fn listen_data(&mut self) {
        self.half.ticks.consumed = true;
        if self.half.flowing() != Some(false) {
            Readable::resume(self);
        }
    }

    fn flush_events(&mut self) {
        let destroyed = self.life.is_destroyed();
        self.half.flush_events(&mut self.life.events, destroyed);
    }

    /// While a pipe waits for `drain`, a paused source lives its ticks as
    /// Node's does: `maybeReadMore_` reads ahead to its mark. (A flowing
    /// one is left alone: its chunks are the pipe's.)
    fn poll_ahead(&mut self, cx: &mut Context<'_>) -> Result<()> {
        self.poll_ahead_before(cx, u64::MAX)
    }

    fn run_reads_before(&mut self, cx: &mut Context<'_>, stamp: u64) {
        if self.life.is_destroyed() {
            return;
        }
        let before = self
            .half
            .ticks
            .oldest_besides_reads()
            .map_or(stamp, |other| other.min(stamp));
        while let Some(tick) = self.half.ticks.pop_before(before) {
            match tick {
                Tick::ReadMore => self.read_ahead(cx),
                Tick::Resume => self.resume_tick(cx),
                _ => unreachable!("only reads come before {before}"),
            }
        }
    }

    fn poll_ahead_before(&mut self, cx: &mut Context<'_>, stamp: u64) -> Result<()> {
        if self.half.flowing() == Some(true) {
            return Ok(());
        }
        // A failure counts once its `error` came: in this tick, or
        // deferred by a destroy before it (Node's pipeline learns of it
        // from that event, and destroys the other streams then).
        let failed = self.life.errored().is_some() && !self.half.ticks.contains(Tick::Deferred);
        self.run_ticks(cx, stamp);
        self.life
            .failure_heard(failed, ReadableStream::drained_at_end(self))
    }

    fn piping(&mut self, attached: bool) {
        self.half.piping(attached);
    }

    fn destroy(&mut self, error: Option<Error>) {
        Readable::destroy(self, error);
    }

    fn is_ended(&self) -> bool {
        self.half.is_ended()
    }

    fn drained_at_end(&self) -> bool {
        self.half.buffer.is_eof() && self.half.buffer.is_empty()
    }

    fn flows(&self) -> bool {
        self.half.flowing() == Some(true)
    }

    fn queued_end(&self) -> Option<u64> {
        self.half.queued_end()
    }

    fn label(&self) -> Option<&str> {
        self.life.label()
    }

    fn failure(&self) -> Option<Error> {
        self.life.errored().cloned()
    }

    fn origin(&self) -> Option<&Path> {
        self.origin.as_deref()
    }
}

impl<T: Chunk> Stream for Readable<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_chunk(cx)
    }
}

impl<T> Drop for Readable<T> {
    fn drop(&mut self) {
        // An `end` a read scheduled comes before the `close` of the drop.
        if self.life.errored().is_none()
            && self.half.emit_scheduled_end_on_drop(&mut self.life.events)
        {
            self.life.close();
        }
        if !self.life.is_closed()
            && self.life.destroy(None)
            && let Some(mut source) = self.source.take()
        {
            source.as_mut().destroy(None);
        }
        self.life.events.flush();
    }
}

impl<T: Chunk> fmt::Debug for Readable<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Readable")
            .field("label", &self.life.label())
            .field("buffered_chunks", &self.half.buffer.chunk_count())
            .field("flowing", &self.half.flowing())
            .field("ended", &self.half.is_ended())
            .field("destroyed", &self.life.is_destroyed())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn a_tick_never_drops_the_chunks_of_a_stream_a_poll_reads() {
        let chunks = [b"a", b"b", b"c"].map(|c| Bytes::from_static(c));
        let mut r = Readable::from_iter(chunks.clone()).with_high_water_mark(1);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(
            r.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Ok(chunk))) if chunk == chunks[0]
        ));
        r.resume();
        r.tick();
        r.tick();
        let mut cx = Context::from_waker(Waker::noop());
        let rest: Vec<Bytes> = std::iter::from_fn(|| match r.poll_next_chunk(&mut cx) {
            Poll::Ready(Some(Ok(chunk))) => Some(chunk),
            _ => None,
        })
        .collect();
        assert_eq!(rest, chunks[1..]);
    }

    /// Hands over what the test queued; `Pending` while nothing is.
    struct Queued(Arc<Mutex<Vec<Bytes>>>);

    impl ReadSource<Bytes> for Queued {
        fn poll_read(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            out: &mut crate::Push<'_, Bytes>,
        ) -> Poll<Result<()>> {
            let mut queue = self.0.lock().unwrap();
            if queue.is_empty() {
                return Poll::Pending;
            }
            for chunk in queue.drain(..) {
                out.push(chunk);
            }
            Poll::Ready(Ok(()))
        }
    }

    #[test]
    fn readable_waits_for_new_data_after_a_short_read_bytes() {
        let queue = Arc::new(Mutex::new(vec![Bytes::from_static(b"abc")]));
        let mut r = Readable::new(Queued(Arc::clone(&queue)));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(r.poll_readable(&mut cx).is_ready());
        assert_eq!(r.read_bytes(5), None);
        assert!(r.poll_readable(&mut cx).is_pending(), "nothing new yet");
        queue.lock().unwrap().push(Bytes::from_static(b"de"));
        assert!(r.poll_readable(&mut cx).is_ready());
        assert_eq!(r.read_bytes(5).unwrap(), "abcde");
    }

    /// Paused while piped, a readable gives the pipe nothing: Node's
    /// `resume_` reads with `read(0)` and emits `resume`, then `flow()`
    /// reads only while flowing (Node 20, `pipe pause | settle`: `_read
    /// resume`, one chunk left buffered).
    #[test]
    fn a_paused_piped_readable_gives_the_pipe_nothing() {
        let mut r = Readable::from_iter([1u32]).with_high_water_mark(0);
        ReadableStream::piping(&mut r, true);
        ReadableStream::listen_data(&mut r);
        r.pause();
        let mut cx = Context::from_waker(Waker::noop());
        assert!(r.poll_next_chunk(&mut cx).is_pending());
        assert_eq!(r.readable_length(), 1);
        r.resume();
        assert!(matches!(
            r.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Ok(1)))
        ));
    }

    /// Paused while piped, a readable still reads ahead to its mark at
    /// its ticks (Node's `maybeReadMore_`; Node 20, hwm 2, `pipe pause |
    /// settle`: `_read resume _read`, two chunks buffered).
    /// Pushes one chunk per read, counting the reads.
    struct OneByOne(Arc<Mutex<u32>>);

    impl ReadSource<u32> for OneByOne {
        fn poll_read(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            out: &mut crate::Push<'_, u32>,
        ) -> Poll<Result<()>> {
            let mut reads = self.0.lock().unwrap();
            *reads += 1;
            out.push(*reads);
            Poll::Ready(Ok(()))
        }
    }

    #[test]
    fn a_paused_piped_readable_reads_ahead_to_its_mark() {
        let reads = Arc::new(Mutex::new(0));
        let mut r = Readable::new(OneByOne(Arc::clone(&reads))).with_high_water_mark(2);
        ReadableStream::piping(&mut r, true);
        ReadableStream::listen_data(&mut r);
        r.pause();
        let mut cx = Context::from_waker(Waker::noop());
        assert!(r.poll_next_chunk(&mut cx).is_pending());
        assert_eq!((*reads.lock().unwrap(), r.readable_length()), (2, 2));
    }

    /// The `read(0)` of the `resume` a pipe scheduled finds the end of a
    /// stream paused by hand: `end` comes although nothing flows (Node 20,
    /// `pipe pause push(null) | tick`: `resume end close`; readable.js,
    /// `resume_` calls `read(0)`, which calls `endReadable`).
    #[test]
    fn a_paused_piped_readable_ends_at_the_read_of_its_resume() {
        let (pusher, readable) =
            crate::Pusher::<u32>::attach(Readable::external().with_high_water_mark(0));
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        let mut r = readable.lock();
        r.observe(move |event: &Event| seen.lock().unwrap().push(event.name()));
        ReadableStream::piping(&mut *r, true);
        ReadableStream::listen_data(&mut *r);
        r.pause();
        drop(r);
        pusher.end();
        let mut cx = Context::from_waker(Waker::noop());
        let mut r = readable.lock();
        assert!(matches!(r.poll_next_chunk(&mut cx), Poll::Ready(None)));
        assert_eq!(log.lock().unwrap()[..3], ["pause", "resume", "end"]);
    }

    #[test]
    fn read_bytes_above_the_high_water_mark_raises_it() {
        let chunks = (0..10).map(|_| Bytes::from_static(b"ab"));
        let mut r = Readable::from_iter(chunks).with_high_water_mark(4);
        assert_eq!(r.read_bytes(10).unwrap().len(), 10);
        assert_eq!(r.high_water_mark(), 16);
    }

    /// Node's `read(n)`: the buffer is full (4 of 4) before the read, and
    /// what the read leaves (2) is below the mark, so the source is asked
    /// for more before the call returns.
    #[test]
    fn read_n_tops_the_buffer_up_below_the_high_water_mark() {
        let queue = Arc::new(Mutex::new(vec![Bytes::from_static(b"abcd")]));
        let mut r = Readable::new(Queued(Arc::clone(&queue))).with_high_water_mark(4);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(r.poll_readable(&mut cx).is_ready());
        assert_eq!(r.readable_length(), 4);
        queue.lock().unwrap().push(Bytes::from_static(b"efgh"));
        assert_eq!(r.read_bytes(2).unwrap(), "ab");
        assert_eq!(
            r.readable_length(),
            2 + 4,
            "2 left, below 4: more was asked for"
        );
    }

    /// Node's `read()` on a paused byte stream: everything buffered, as
    /// one chunk, after asking the source once.
    #[test]
    fn read_takes_everything_buffered_joined() {
        let queue = Arc::new(Mutex::new(vec![Bytes::from_static(b"ab"); 3]));
        let mut r = Readable::new(Queued(Arc::clone(&queue))).with_high_water_mark(4);
        assert_eq!(r.read().unwrap(), "ababab");
        assert_eq!(r.readable_length(), 0);
        queue.lock().unwrap().push(Bytes::from_static(b"cd"));
        assert_eq!(r.read().unwrap(), "cd", "the buffer was empty: asked first");
    }

    /// Objects are read one at a time.
    #[test]
    fn read_takes_one_object() {
        let mut r = Readable::from_iter([1u32, 2, 3]);
        assert_eq!(r.read(), Some(1));
        assert_eq!(r.read(), Some(2));
    }

    /// Node's `maybeReadMore`: after a push, the next tick reads ahead to
    /// the highWaterMark; a stream nothing was pushed into is left alone.
    #[test]
    fn a_tick_reads_ahead_after_a_push_only() {
        let mut r = Readable::from_iter([1u32, 2, 3, 4]).with_high_water_mark(3);
        r.tick();
        assert_eq!(r.readable_length(), 0, "nothing asked yet");
        assert_eq!(r.read(), Some(1));
        let after_read = r.readable_length();
        r.tick();
        assert_eq!(
            r.readable_length(),
            3,
            "{after_read} and more, up to the mark"
        );
    }

    #[test]
    fn read_text_counts_characters_and_never_splits_one() {
        let mut text = Readable::from_iter(["h\u{e9}\u{1f600}".to_owned(), "!".to_owned()]);
        assert_eq!(text.read_text(2).as_deref(), Some("h\u{e9}"));
        assert_eq!(text.read_text(1).as_deref(), Some("\u{1f600}"));
        assert_eq!(text.read_text(5).as_deref(), Some("!"));
        assert_eq!(text.read_text(5), None);
        text.tick();
        assert!(text.is_ended());
    }

    /// Node's `endReadable`: a read that finds the end leaves `end` to
    /// the next tick.
    #[test]
    fn end_comes_on_the_tick_after_the_read_that_found_it() {
        let (mut r, log) = logged(&["a"]);
        assert_eq!(r.read().unwrap(), "a");
        assert_eq!(r.read(), None);
        assert!(!r.is_ended());
        assert_eq!(*log.lock().unwrap(), ["_read", "data", "_read"]);
        r.tick();
        assert!(r.is_ended());
        assert_eq!(
            *log.lock().unwrap(),
            ["_read", "data", "_read", "end", "close"]
        );
    }

    #[test]
    fn read_text_waits_for_enough_characters() {
        let (pusher, text) = crate::Pusher::<String>::new();
        pusher.push("ab".to_owned());
        assert_eq!(text.lock().read_text(3), None);
        assert_eq!(text.lock().readable_length(), 2, "put back as it was");
        pusher.push("cd".to_owned());
        assert_eq!(text.lock().read_text(3).as_deref(), Some("abc"));
        assert_eq!(text.lock().read_text(3), None);
        pusher.end();
        assert_eq!(text.lock().read_text(3).as_deref(), Some("d"));
    }

    /// Node raises the highWaterMark for a `read(n)` the buffer cannot hold.
    #[test]
    fn read_text_beyond_a_full_buffer_raises_the_mark() {
        let chunks = (0..4).map(|_| "\u{e9}\u{e9}".to_owned());
        let mut text = Readable::from_iter(chunks).with_high_water_mark(4);
        assert_eq!(text.read_text(3).as_deref(), Some("\u{e9}\u{e9}\u{e9}"));
        assert!(text.high_water_mark() > 4);
    }

    /// One chunk per call of the source, logging each call as `_read`.
    struct Logged {
        chunks: Vec<Bytes>,
        log: Arc<Mutex<Vec<&'static str>>>,
    }

    impl ReadSource<Bytes> for Logged {
        fn poll_read(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            out: &mut crate::Push<'_, Bytes>,
        ) -> Poll<Result<()>> {
            let this = self.get_mut();
            this.log.lock().unwrap().push("_read");
            if this.chunks.first().is_some_and(|c| c == "!") {
                // A chunk `!` stands for a read that fails.
                this.chunks.remove(0);
                return Poll::Ready(Err(Error::new(crate::ErrorKind::InvalidData, "boom")));
            }
            if this.chunks.is_empty() {
                out.end();
            } else {
                out.push(this.chunks.remove(0));
            }
            Poll::Ready(Ok(()))
        }
    }

    fn logged(chunks: &[&'static str]) -> (Readable<Bytes>, Arc<Mutex<Vec<&'static str>>>) {
        let log = Arc::new(Mutex::new(Vec::new()));
        let source = Logged {
            chunks: chunks
                .iter()
                .map(|c| Bytes::from_static(c.as_bytes()))
                .collect(),
            log: Arc::clone(&log),
        };
        let mut r = Readable::new(source).with_high_water_mark(1);
        let seen = Arc::clone(&log);
        r.observe(move |event| seen.lock().unwrap().push(event.name()));
        (r, log)
    }

    /// Node's `resume()` flows at once and emits `resume` on the next tick,
    /// after `read(0)` asked the source and before the first `data`.
    #[test]
    fn resume_is_emitted_on_the_next_poll_after_the_source_was_asked() {
        let (mut r, log) = logged(&["a"]);
        r.resume();
        assert_eq!(r.flowing(), Some(true));
        assert!(log.lock().unwrap().is_empty(), "not inside resume()");
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(
            r.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Ok(_)))
        ));
        // Node 20: `_read resume _read data` (`flow()`'s `read()` asks
        // again before it takes: what it leaves is below the mark).
        assert_eq!(*log.lock().unwrap(), ["_read", "resume", "_read", "data"]);
    }

    /// A stream resumed with nobody reading it moves at Node's ticks: the
    /// `emitReadable_` a read queued before `resume()` runs first, and its
    /// `flow()` emits (and drops) the chunks before `resume`.
    #[test]
    fn a_flowing_stream_nobody_reads_flows_at_the_ticks_node_queued() {
        let (mut r, log) = logged(&["a", "b", "c"]);
        r.read();
        r.read();
        r.resume();
        log.lock().unwrap().push("|");
        r.tick();
        // Node 20: `_read data _read data | _read data _read resume end close`.
        assert_eq!(
            *log.lock().unwrap(),
            [
                "_read", "data", "_read", "data", "|", "_read", "data", "_read", "resume", "end",
                "close"
            ]
        );
        assert!(r.is_ended() && r.is_destroyed());
    }

    /// A read whose own `_read` pushed the chunk leaves `emittedReadable`
    /// set, and the `emitReadable_` it queued finds nothing (the read took
    /// the chunk): an `unshift` then queues no flow of its own, and after
    /// `resume()` the `resume` comes before the unshifted chunk's `data`
    /// (readable.js:663-664 clears the flag before `_read`, 823-826 sets it).
    #[test]
    fn an_unshift_after_a_read_that_took_its_push_flows_after_resume() {
        let (r, log) = logged(&["g"]);
        let mut r = r.with_high_water_mark(0);
        assert_eq!(r.read().as_deref(), Some(&b"g"[..]));
        r.tick();
        log.lock().unwrap().push("|");
        r.unshift(Bytes::from_static(b"l")).unwrap();
        r.resume();
        r.tick();
        // Node 20: `_read data | resume data _read end close`.
        assert_eq!(
            *log.lock().unwrap(),
            [
                "_read", "data", "|", "resume", "data", "_read", "end", "close"
            ]
        );
    }

    /// An `unshift` before `pipe()` queues `maybeReadMore_` ahead of the
    /// pipe's `resume_`: its `read(0)` asks the source (below the mark)
    /// before `resume_`'s own `read(0)` asks again (Node 20, hwm 2, `[""]`,
    /// `unshift pipe | tick`: `_read _read resume data end`).
    #[test]
    fn a_read_ahead_queued_before_the_pipes_resume_asks_first() {
        let (r, log) = logged(&[""]);
        let mut r = r.with_high_water_mark(2);
        r.unshift(Bytes::from_static(b"c")).unwrap();
        ReadableStream::piping(&mut r, true);
        ReadableStream::listen_data(&mut r);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(
            r.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Ok(c))) if c == "c"
        ));
        assert_eq!(*log.lock().unwrap(), ["_read", "_read", "resume", "data"]);
    }

    /// A pipe that ended (its destination had finished) no longer reads
    /// the stream: resumed, it flows as one nobody reads, its chunks
    /// emitted as `data` and dropped (Node 20, its pipe's `data` listener
    /// removed at `unpipe`: `pause _read resume | resume _read data _read
    /// data end close`).
    #[test]
    fn a_stream_its_pipe_left_flows_as_one_nobody_reads() {
        let (mut r, log) = logged(&["a", "b"]);
        let mut dest = crate::Writable::new(crate::NullSink).with_high_water_mark(1);
        dest.end().unwrap();
        let mut piping = crate::pipe(&mut r, &mut dest, crate::PipeOptions::default());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(
            std::pin::Pin::new(&mut piping).poll(&mut cx),
            Poll::Ready(Ok(()))
        ));
        drop(piping);
        r.tick();
        log.lock().unwrap().push("|");
        r.resume();
        r.tick();
        assert_eq!(
            *log.lock().unwrap(),
            [
                "pause", "_read", "resume", "|", "resume", "_read", "data", "_read", "data", "end",
                "close"
            ]
        );
        assert_eq!(r.readable_length(), 0);
    }

    /// A pipe whose only destination refused a chunk (written after its
    /// end) is undone at once: it reads no more from the source (Node 20,
    /// `pipe | unshift | resume data pause`, no `_read`).
    #[test]
    fn a_pipe_undone_by_a_refused_write_reads_no_more() {
        let (r, log) = logged(&[]);
        let r = crate::Shared::new(r.with_high_water_mark(0));
        let dest =
            crate::Shared::new(crate::Writable::new(crate::NullSink).with_high_water_mark(0));
        let (mut source, mut writer) = (r.clone(), dest.clone());
        let mut piping = crate::pipe(&mut source, &mut writer, crate::PipeOptions::default());
        dest.lock().end().unwrap();
        assert!(!r.lock().unshift(Bytes::from_static(b"x")).unwrap());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(
            std::pin::Pin::new(&mut piping).poll(&mut cx),
            Poll::Ready(Err(_))
        ));
        drop(piping);
        assert_eq!(*log.lock().unwrap(), ["resume", "data", "pause"]);
    }

    /// `resume()`, then a `read()` that found the end: Node's `resume_`
    /// was queued first, so `resume` comes before `end` (Node 20: `_read |
    /// resume end close`).
    #[test]
    fn a_resume_queued_before_the_end_comes_first() {
        let (r, log) = logged(&[]);
        let mut r = r.with_high_water_mark(0);
        r.resume();
        assert_eq!(r.read(), None);
        log.lock().unwrap().push("|");
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(r.poll_next_chunk(&mut cx), Poll::Ready(None)));
        r.tick();
        assert_eq!(
            *log.lock().unwrap(),
            ["_read", "|", "resume", "end", "close"]
        );
    }

    /// The auto-destroy's `close` comes on the tick after `end`, after what
    /// the `end` listeners did: a pipeline's pipe pauses its source there
    /// (Node 20, `pipeline | _read | resume end pause close`).
    #[test]
    fn close_comes_after_what_the_end_listeners_did() {
        let (r, log) = logged(&[]);
        let r = crate::Shared::new(r.with_high_water_mark(0));
        let dest = crate::Writable::new(crate::NullSink).with_high_water_mark(0);
        let mut future = crate::ReadableExt::pipe(crate::pipeline(r.clone()), dest);
        assert_eq!(r.lock().read(), None);
        log.lock().unwrap().push("|");
        let mut cx = Context::from_waker(Waker::noop());
        let mut polls = 0;
        while std::pin::Pin::new(&mut future).poll(&mut cx).is_pending() {
            polls += 1;
            assert!(polls < 5, "the pipeline does not complete");
        }
        assert_eq!(
            *log.lock().unwrap(),
            ["_read", "|", "resume", "end", "pause", "close"]
        );
    }

    /// `read(0)` then `resume()`: the chunk it buffered flows before
    /// `resume` (Node 20: `_read | _read data resume end close`).
    #[test]
    fn a_chunk_buffered_before_resume_flows_before_the_resume_event() {
        let (mut r, log) = logged(&["a"]);
        assert_eq!(r.read_bytes(0), None);
        r.resume();
        log.lock().unwrap().push("|");
        r.tick();
        assert_eq!(
            *log.lock().unwrap(),
            ["_read", "|", "_read", "data", "resume", "end", "close"]
        );
    }

    /// Destroyed after `resume()`: the ticks queued before the destroy
    /// still run, and flow what is buffered (Node 20: `_read | data resume
    /// close`, nothing left buffered).
    #[test]
    fn ticks_queued_before_a_destroy_still_flow() {
        let (mut r, log) = logged(&["a", "b"]);
        assert_eq!(r.read_bytes(0), None);
        r.resume();
        r.destroy(None);
        log.lock().unwrap().push("|");
        r.tick();
        assert_eq!(
            *log.lock().unwrap(),
            ["_read", "|", "data", "resume", "close"]
        );
        assert_eq!(r.readable_length(), 0);
    }

    /// A flowing read whose `_read` fails still takes the chunk buffered
    /// before it and emits it as `data`; `error` and `close` follow
    /// (Node 20, piped, hwm 1: `_read resume _read data error close`).
    #[test]
    fn a_read_whose_source_fails_still_takes_what_is_buffered() {
        let (mut r, log) = logged(&["a", "!"]);
        ReadableStream::listen_data(&mut r);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(
            r.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Ok(chunk))) if chunk == "a"
        ));
        assert_eq!(r.readable_length(), 0);
        assert!(matches!(
            r.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Err(error))) if error.kind() == crate::ErrorKind::InvalidData
        ));
        assert_eq!(
            *log.lock().unwrap(),
            ["_read", "resume", "_read", "data", "error", "close"]
        );
    }

    /// Its first read pushes two chunks, its second fails.
    struct Failing(bool);

    impl ReadSource<u32> for Failing {
        fn poll_read(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            out: &mut crate::Push<'_, u32>,
        ) -> Poll<Result<()>> {
            let this = self.get_mut();
            if std::mem::replace(&mut this.0, true) {
                return Poll::Ready(Err(Error::new(crate::ErrorKind::InvalidData, "boom")));
            }
            out.push(1);
            out.push(2);
            Poll::Ready(Ok(()))
        }
    }

    /// A stream of [`Failing`] (mark 2) read as a pipe or poll reads it,
    /// and the names of its events.
    fn failing_and_read() -> (Readable<u32>, Arc<Mutex<Vec<&'static str>>>) {
        let mut r = Readable::new(Failing(false)).with_high_water_mark(2);
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        r.observe(move |event| seen.lock().unwrap().push(event.name()));
        ReadableStream::listen_data(&mut r);
        (r, log)
    }

    /// The flow whose read failed goes on taking what is buffered (Node's
    /// `flow()` loops on `read()`, which stops only `_read` on a destroyed
    /// stream): both chunks, then `error` and `close`.
    #[test]
    fn the_flow_whose_read_failed_takes_all_that_is_buffered() {
        let (mut r, log) = failing_and_read();
        let mut cx = Context::from_waker(Waker::noop());
        let mut taken = Vec::new();
        while let Poll::Ready(Some(Ok(chunk))) = r.poll_next_chunk(&mut cx) {
            taken.push(chunk);
        }
        assert_eq!(taken, [1, 2]);
        assert_eq!(
            *log.lock().unwrap(),
            ["resume", "data", "data", "error", "close"]
        );
    }

    /// A tick between the failing flow's polls changes nothing: the
    /// reader still takes every buffered chunk before `error` and `close`
    /// (Node's `flow()` takes them in one go: `resume data data error
    /// close`, readableLength 0).
    #[test]
    fn a_tick_after_a_failed_read_leaves_the_buffer_to_the_reader() {
        let (mut r, log) = failing_and_read();
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(
            r.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Ok(1)))
        ));
        r.tick();
        let mut taken = Vec::new();
        let failed = loop {
            match r.poll_next_chunk(&mut cx) {
                Poll::Ready(Some(Ok(chunk))) => taken.push(chunk),
                Poll::Ready(Some(Err(error))) => break Some(error.kind()),
                _ => break None,
            }
        };
        assert_eq!(taken, [2]);
        assert_eq!(failed, Some(crate::ErrorKind::InvalidData));
        assert_eq!(r.readable_length(), 0);
        assert_eq!(
            *log.lock().unwrap(),
            ["resume", "data", "data", "error", "close"]
        );
    }

    /// A `read()` whose source fails returns nothing; the stream's reader
    /// still gets the error at its next poll (Node's `error` event), not
    /// an end.
    #[test]
    fn a_failure_found_by_read_reaches_the_next_poll() {
        let boom = Error::new(crate::ErrorKind::InvalidData, "boom");
        let mut r = Readable::<u32>::from_stream(futures_util::stream::iter([Err(boom)]));
        assert_eq!(r.read(), None);
        assert!(r.is_destroyed());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(
            r.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Err(error))) if error.kind() == crate::ErrorKind::InvalidData
        ));
    }

    /// A pushed chunk, then a pipe's `resume`, then `destroy()`: Node's
    /// `resume_` runs before the destroy's `close`, and its `flow()` hands
    /// the chunk to the pipe (Node 20: `resume data close`, nothing left).
    #[test]
    fn a_flow_queued_before_a_destroy_hands_its_chunks_to_the_reader() {
        let (pusher, shared) = crate::Pusher::<u32>::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        let mut r = shared.lock();
        r.observe(move |event| seen.lock().unwrap().push(event.name()));
        drop(r);
        pusher.push(7);
        let mut r = shared.lock();
        ReadableStream::listen_data(&mut *r);
        r.destroy(None);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(
            r.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Ok(7)))
        ));
        assert!(matches!(r.poll_next_chunk(&mut cx), Poll::Ready(None)));
        assert_eq!(*log.lock().unwrap(), ["resume", "data", "close"]);
        assert_eq!(r.readable_length(), 0);
    }

    /// Destroyed before the pipe's `resume`: `close` comes first, and the
    /// `flow()` after it empties the buffer without `data` (Node 20:
    /// `close resume`, readableLength 0), so the pipe gets nothing.
    #[test]
    fn a_flow_after_the_close_takes_the_chunks_without_data() {
        let (pusher, shared) = crate::Pusher::<u32>::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        let mut r = shared.lock();
        r.observe(move |event| seen.lock().unwrap().push(event.name()));
        drop(r);
        pusher.push(7);
        let mut r = shared.lock();
        r.destroy(None);
        ReadableStream::listen_data(&mut *r);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(r.poll_next_chunk(&mut cx), Poll::Ready(None)));
        assert_eq!(*log.lock().unwrap(), ["close", "resume"]);
        assert_eq!(r.readable_length(), 0);
    }

    /// A read stream paused, destroyed, then resumed after its `close`:
    /// the `flow()` of that `resume` takes what is buffered without `data`
    /// (Node 20: `pause resume close | resume`, readableLength 0).
    #[test]
    fn a_flow_after_the_close_empties_a_read_stream() {
        let (pusher, shared) = crate::Pusher::<u32>::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        let mut r = shared.lock();
        r.observe(move |event| seen.lock().unwrap().push(event.name()));
        drop(r);
        pusher.push(7);
        let mut r = shared.lock();
        ReadableStream::listen_data(&mut *r);
        r.pause();
        r.destroy(None);
        r.tick();
        log.lock().unwrap().push("|");
        assert_eq!(r.readable_length(), 1);
        r.resume();
        r.tick();
        assert_eq!(
            *log.lock().unwrap(),
            ["pause", "resume", "close", "|", "resume"]
        );
        assert_eq!(r.readable_length(), 0);
    }

    /// A pipe's reader attaches before the pipe pauses the source for a
    /// destination that waits for `drain` (Node's `on('data')` resumes):
    /// the `resume` still comes on the next tick (Node 20: `pause | _read
    /// resume`).
    #[test]
    fn a_reader_attaching_resumes_even_if_paused_at_once() {
        let (mut r, log) = logged(&["a"]);
        ReadableStream::listen_data(&mut r);
        r.pause();
        log.lock().unwrap().push("|");
        r.tick();
        assert_eq!(*log.lock().unwrap(), ["pause", "|", "_read", "resume"]);
        assert_eq!(r.readable_length(), 1);
    }

    /// The `emitReadable_` a read queued comes before the `resume` a pipe
    /// scheduled later: the pipe's reads take what the source has first,
    /// and `resume` comes when they find nothing (Node 20, piped: `_read
    /// data | _read data _read resume end`).
    #[test]
    fn a_flow_queued_before_resume_reads_first() {
        let (r, log) = logged(&["d", "e"]);
        let mut r = r.with_high_water_mark(0);
        assert_eq!(r.read().as_deref(), Some(&b"d"[..]));
        ReadableStream::resume(&mut r);
        log.lock().unwrap().push("|");
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(
            r.poll_next_chunk(&mut cx),
            Poll::Ready(Some(Ok(_)))
        ));
        assert!(matches!(r.poll_next_chunk(&mut cx), Poll::Ready(None)));
        assert_eq!(
            *log.lock().unwrap(),
            [
                "_read", "data", "|", "_read", "data", "_read", "resume", "end"
            ]
        );
    }

    /// Pipes `r` through a pipeline into a destination of highWaterMark
    /// 0 until the pipeline completes; returns the shared stream.
    fn pipeline_to_its_end(r: Readable<Bytes>) -> crate::Shared<Readable<Bytes>> {
        let r = crate::Shared::new(r);
        let dest = crate::Writable::new(crate::NullSink).with_high_water_mark(0);
        let mut future = crate::ReadableExt::pipe(crate::pipeline(r.clone()), dest);
        let mut cx = Context::from_waker(Waker::noop());
        let mut polls = 0;
        while std::pin::Pin::new(&mut future).poll(&mut cx).is_pending() {
            polls += 1;
            assert!(polls < 5, "the pipeline does not complete");
        }
        r
    }

    /// Piped after its `close`, a destroyed stream still flows at the
    /// `resume` its pipe scheduled: Node's `read()` takes what is
    /// buffered, with no `data` after `close`, so nothing reaches the
    /// destination (Node 20, `pipeline` after `_read close`: `resume
    /// pause`, nothing left buffered).
    #[test]
    fn a_stream_piped_after_its_close_gives_up_its_buffer() {
        let (mut r, log) = logged(&["a"]);
        assert_eq!(r.read_bytes(0), None);
        r.destroy(None);
        r.tick();
        assert_eq!(r.readable_length(), 1);
        log.lock().unwrap().push("|");
        let r = pipeline_to_its_end(r);
        assert_eq!(
            *log.lock().unwrap(),
            ["_read", "close", "|", "resume", "pause"]
        );
        assert_eq!(r.lock().readable_length(), 0);
    }

    /// A `resume` still scheduled when the stream is destroyed or paused
    /// comes before the destroy's `close`, and after the `pause`.
    #[test]
    fn a_scheduled_resume_survives_pause_and_destroy() {
        let (mut r, log) = logged(&[]);
        r.resume();
        r.pause();
        assert_eq!(*log.lock().unwrap(), ["pause"]);
        r.resume();
        r.destroy(None);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(r.poll_next_chunk(&mut cx), Poll::Ready(None)));
        assert_eq!(*log.lock().unwrap(), ["pause", "resume", "close"]);
    }

    /// Destroyed with a chunk buffered, a stream whose `resume_` was
    /// queued before the `emitReadable_` a `read(0)` queued flows at the
    /// `resume_`: `resume` comes before the chunk's `data`, then `close`
    /// (Node 20, `resume(); read(0); pipeline(r, w); destroy()`: `_read |
    /// resume data _write close pause`).
    #[test]
    fn a_resume_queued_before_a_read_flows_first_on_a_destroyed_stream() {
        let (r, log) = logged(&["a"]);
        let mut r = r.with_high_water_mark(0);
        r.resume();
        assert_eq!(r.read_bytes(0), None);
        r.destroy(None);
        log.lock().unwrap().push("|");
        pipeline_to_its_end(r);
        assert_eq!(
            *log.lock().unwrap(),
            ["_read", "|", "resume", "data", "close", "pause"]
        );
    }

    /// Node's `unshift()` on a destroyed stream (one that ended is, by
    /// auto-destroy) adds nothing and answers `false`.
    #[test]
    fn unshift_on_a_destroyed_stream_adds_nothing() {
        let (mut r, _) = logged(&[]);
        r.destroy(None);
        assert!(!r.unshift(Bytes::from_static(b"x")).unwrap());
        assert_eq!(r.readable_length(), 0);
        let (mut ended, _) = logged(&[]);
        assert_eq!(ended.read(), None);
        ended.tick();
        assert!(ended.is_ended());
        assert!(!ended.unshift(Bytes::from_static(b"x")).unwrap());
        assert_eq!(ended.readable_length(), 0);
    }

    /// Node's `read()` asks the source once, before it takes: with the
    /// buffer empty, one `_read`, then `data` (not a second `_read` to
    /// fill the buffer to its mark).
    #[test]
    fn read_asks_the_source_once_before_it_takes() {
        let (mut r, log) = logged(&["a", "b"]);
        r.half.buffer.set_high_water_mark(2);
        assert_eq!(r.read().unwrap(), "a");
        assert_eq!(*log.lock().unwrap(), ["_read", "data"]);
    }

    /// Node's `read(n)` with fewer than `n` bytes and no end yet returns
    /// nothing, even when the one `_read` it made brought some.
    #[test]
    fn read_n_short_of_n_before_the_end_returns_nothing() {
        let (mut r, log) = logged(&["a"]);
        assert_eq!(r.read_bytes(2), None);
        assert_eq!(r.readable_length(), 1);
        assert_eq!(*log.lock().unwrap(), ["_read"]);
    }
}
