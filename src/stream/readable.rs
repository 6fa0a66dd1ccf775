//! [`Readable`]: a buffered stream of chunks in front of a [`Source`], with
//! Node's highWaterMark, paused and flowing modes, and `end` only after the
//! last chunk was consumed.

use std::borrow::Cow;
use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use tokio::io::AsyncRead;
use tokio_util::io::ReaderStream;

use super::buffer::ReadBuffer;
use super::chunk::Chunk;
use super::error::{Error, ErrorKind, Result};
use super::event::{Event, Events};
use super::lifecycle::Lifecycle;
use super::source::{IterSource, Source, StreamSource};
use super::sides::{ReadableStream, collect_chunks, concat_bytes};

/// The producer of a [`Readable`], boxed.
pub(crate) type BoxSource<T> = Pin<Box<dyn Source<T>>>;

/// The readable half of a stream: buffer, flowing mode, end. Shared by
/// [`Readable`] and [`Duplex`](crate::Duplex).
#[derive(Debug)]
pub(crate) struct ReadHalf<T> {
    pub(crate) buffer: ReadBuffer<T>,
    /// Node's `readableFlowing`: `None` until someone consumes.
    flowing: Option<bool>,
    end_emitted: bool,
    /// A read found too little buffered, this much: `readable` waits for
    /// more than that (Node's `needReadable`).
    readable_after: Option<usize>,
}

impl<T: Chunk> ReadHalf<T> {
    pub(crate) fn new(high_water_mark: usize) -> Self {
        ReadHalf {
            buffer: ReadBuffer::new(high_water_mark),
            flowing: None,
            end_emitted: false,
            readable_after: None,
        }
    }

    /// Hands the oldest chunk to the consumer.
    pub(crate) fn take(&mut self, events: &mut Events) -> Option<T> {
        let chunk = self.buffer.pop_front()?;
        self.readable_after = None;
        events.emit(Event::Data { size: chunk.size() });
        Some(chunk)
    }

    /// A read wanted more than is buffered: `readable` waits for new data.
    pub(crate) fn need_more(&mut self) {
        self.readable_after = Some(self.buffer.len());
    }

    /// True when a consumer waiting for `readable` can go on: data it has
    /// not seen yet is buffered, or the end was reached.
    pub(crate) fn is_readable(&self) -> bool {
        self.buffer.is_eof()
            || match self.readable_after {
                Some(seen) => self.buffer.len() > seen,
                None => !self.buffer.is_empty(),
            }
    }

    /// `readable` is being emitted: the next one needs new data again only
    /// after another read comes back empty-handed.
    fn readable_emitted(&mut self) {
        self.readable_after = None;
    }

    /// Emits `end` once the producer ended and every chunk was consumed.
    /// Returns true if the readable half is ended (now or before).
    pub(crate) fn end_if_drained(&mut self, events: &mut Events) -> bool {
        if self.end_emitted {
            return true;
        }
        if self.buffer.is_eof() && self.buffer.is_empty() {
            self.end_emitted = true;
            events.emit(Event::End);
            return true;
        }
        false
    }

    pub(crate) fn is_ended(&self) -> bool {
        self.end_emitted
    }

    pub(crate) fn flowing(&self) -> Option<bool> {
        self.flowing
    }

    pub(crate) fn pause(&mut self, events: &mut Events) {
        if self.flowing != Some(false) {
            self.flowing = Some(false);
            events.emit(Event::Pause);
        }
    }

    /// A consumer waits for `readable`: the stream does not flow by itself
    /// any more (Node sets `readableFlowing` to `false` when a `'readable'`
    /// listener is added, without a `pause` event).
    pub(crate) fn listen_readable(&mut self) {
        if self.flowing.is_none() {
            self.flowing = Some(false);
        }
    }

    pub(crate) fn resume(&mut self, events: &mut Events) {
        if self.flowing != Some(true) {
            self.flowing = Some(true);
            events.emit(Event::Resume);
        }
    }

    /// The same readable half holding chunks of another type; see
    /// [`ReadBuffer::convert`].
    pub(crate) fn convert<U: Chunk>(
        self,
        convert: impl FnOnce(Vec<T>, bool) -> Vec<U>,
    ) -> ReadHalf<U> {
        ReadHalf {
            buffer: self.buffer.convert(convert),
            flowing: self.flowing,
            end_emitted: self.end_emitted,
            readable_after: None,
        }
    }

    pub(crate) fn unshift(&mut self, chunk: T) -> Result<bool> {
        if self.end_emitted {
            return Err(Error::from_kind(ErrorKind::UnshiftAfterEnd));
        }
        self.buffer.unshift(chunk);
        Ok(self.buffer.has_room())
    }
}

impl ReadHalf<Bytes> {
    /// Node's `read(n)` on a byte stream: exactly `n` bytes, or what is
    /// left at the end, or nothing yet.
    pub(crate) fn take_bytes(&mut self, n: usize, events: &mut Events) -> Option<Bytes> {
        let buffered = self.buffer.len();
        if n == 0 || buffered == 0 || (buffered < n && !self.buffer.is_eof()) {
            return None;
        }
        let want = n.min(buffered);
        let first = self.buffer.front().expect("buffer holds data");
        let bytes = if first.len() >= want {
            let mut first = self.buffer.pop_front().expect("buffer holds data");
            let bytes = first.split_to(want);
            if !first.is_empty() {
                self.buffer.unshift(first);
            }
            bytes
        } else {
            let mut joined = BytesMut::with_capacity(want);
            while joined.len() < want {
                let mut chunk = self.buffer.pop_front().expect("buffer holds enough");
                let missing = want - joined.len();
                if chunk.len() > missing {
                    joined.extend_from_slice(&chunk.split_to(missing));
                    self.buffer.unshift(chunk);
                } else {
                    joined.extend_from_slice(&chunk);
                }
            }
            joined.freeze()
        };
        self.readable_after = None;
        events.emit(Event::Data { size: bytes.len() });
        Some(bytes)
    }
}

/// A readable stream: Node's `Readable`.
///
/// A `Readable` holds a buffer counted against its highWaterMark in front of
/// a [`Source`]. The engine asks the source for data while the buffer is
/// below the highWaterMark, and stops when it is full until the consumer
/// reads. The consumer reads with [`read`](Readable::read) and
/// [`readable`](Readable::readable) (paused mode), by iterating it as a
/// [`Stream`] of `Result<T>`, or by piping it (flowing mode).
/// `end` is emitted only after the last chunk was consumed; then `close`.
///
/// A `Readable` makes progress only while it is polled. Dropping one before
/// its end destroys it (`close`, and the source's
/// [`destroy`](Source::destroy) hook).
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::Readable;
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
}

// Chunks are never pinned: the buffer only moves them.
impl<T> Unpin for Readable<T> {}

impl<T: Chunk> Readable<T> {
    /// A readable whose data comes from `source`, with the chunk type's
    /// default highWaterMark.
    pub fn new(source: impl Source<T> + 'static) -> Self {
        Readable {
            half: ReadHalf::new(T::DEFAULT_HIGH_WATER_MARK),
            source: Some(Box::pin(source)),
            life: Lifecycle::default(),
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
        Readable { half, source, life }
    }

    /// A readable of the items of `stream`, which yields `Result`s.
    pub fn from_stream<S, E>(stream: S) -> Self
    where
        S: Stream<Item = std::result::Result<T, E>> + Send + 'static,
        E: Into<Error> + 'static,
    {
        Readable::new(StreamSource::new(stream))
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

    /// Sets the highWaterMark, in the chunk type's units (0 is allowed:
    /// the source is then asked for data only when a consumer waits).
    pub fn with_high_water_mark(mut self, high_water_mark: usize) -> Self {
        self.half.buffer.set_high_water_mark(high_water_mark);
        self
    }

    /// Names the stream; errors from it then say where they happened.
    pub fn named(mut self, label: impl Into<Cow<'static, str>>) -> Self {
        self.life.set_label(label.into());
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

    /// Starts the flow: emits `resume` if it was not flowing.
    pub fn resume(&mut self) {
        self.half.resume(&mut self.life.events);
    }

    /// Destroys the stream: buffered data is dropped, the source's
    /// [`destroy`](Source::destroy) runs, and `error` (if any) then `close`
    /// follow on the next tick. Later calls do nothing.
    pub fn destroy(&mut self, error: Option<Error>) {
        if self.life.destroy(error) {
            self.half.buffer.clear();
            if let Some(mut source) = self.source.take() {
                source.as_mut().destroy(self.life.errored());
            }
        }
    }

    /// Puts `chunk` back at the front of the buffer (Node's `unshift`);
    /// returns whether the buffer is still below its highWaterMark.
    /// An error after `end` was emitted.
    pub fn unshift(&mut self, chunk: T) -> Result<bool> {
        self.half.unshift(chunk)
    }

    /// Takes the oldest buffered chunk, if any, without waiting (Node's
    /// `read()` in paused mode, one chunk at a time). An empty buffer asks
    /// the source first, so a source that produces data synchronously
    /// fills it right away; after taking a chunk, the source is asked for
    /// more if what is left is below the highWaterMark, as Node's `read()`
    /// does. At the end, returns `None` and emits `end`.
    pub fn read(&mut self) -> Option<T> {
        let mut cx = Context::from_waker(Waker::noop());
        if self.half.buffer.is_empty() {
            let _ = self.poll_fill(&mut cx, true);
        }
        let chunk = self.half.take(&mut self.life.events);
        if chunk.is_some() {
            let _ = self.poll_fill(&mut cx, false);
        } else if self.half.end_if_drained(&mut self.life.events) {
            self.life.close();
        }
        chunk
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
        self.life.events.flush();
        self.half.listen_readable();
        if let Some(error) = self.life.take_error() {
            return Poll::Ready(Err(error));
        }
        if let Poll::Ready(Err(error)) = self.poll_fill(cx, true) {
            return Poll::Ready(Err(error));
        }
        if !self.half.is_readable() {
            return Poll::Pending;
        }
        self.half.readable_emitted();
        self.life.events.emit(Event::Readable);
        Poll::Ready(Ok(()))
    }

    /// Reads every chunk into a vector.
    pub async fn collect_vec(mut self) -> Result<Vec<T>> {
        collect_chunks(&mut self).await
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
            let mut push = self.half.buffer.push_handle();
            match source.as_mut().poll_read(cx, &mut push) {
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
}

impl Readable<Bytes> {
    /// A readable of the bytes of any [`AsyncRead`] (a file, a socket,
    /// standard input, a child's stdout), read up to one highWaterMark at a
    /// time (64 KiB).
    pub fn from_reader<R: AsyncRead + Send + 'static>(reader: R) -> Self {
        Readable::from_stream(ReaderStream::with_capacity(
            reader,
            super::chunk::DEFAULT_HIGH_WATER_MARK,
        ))
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
        let _ = self.poll_fill(&mut cx, true);
        let bytes = self.half.take_bytes(n, &mut self.life.events);
        if bytes.is_none() {
            if self.half.end_if_drained(&mut self.life.events) {
                self.life.close();
            } else {
                self.half.need_more();
            }
        }
        bytes
    }

    /// Reads everything into one [`Bytes`].
    pub async fn to_bytes(self) -> Result<Bytes> {
        Ok(concat_bytes(self.collect_vec().await?))
    }
}

impl<T: Chunk> ReadableStream<T> for Readable<T> {
    fn poll_next_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        self.life.events.flush();
        if let Some(error) = self.life.take_error() {
            return Poll::Ready(Some(Err(error)));
        }
        if self.life.is_destroyed() {
            return Poll::Ready(None);
        }
        if let Poll::Ready(Err(error)) = self.poll_fill(cx, true) {
            return Poll::Ready(Some(Err(error)));
        }
        if let Some(chunk) = self.half.take(&mut self.life.events) {
            return Poll::Ready(Some(Ok(chunk)));
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

    fn destroy(&mut self, error: Option<Error>) {
        Readable::destroy(self, error);
    }

    fn is_ended(&self) -> bool {
        self.half.is_ended()
    }

    fn label(&self) -> Option<&str> {
        self.life.label()
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

    /// Hands over what the test queued; `Pending` while nothing is.
    struct Queued(Arc<Mutex<Vec<Bytes>>>);

    impl Source<Bytes> for Queued {
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

    #[test]
    fn read_bytes_above_the_high_water_mark_raises_it() {
        let chunks = (0..10).map(|_| Bytes::from_static(b"ab"));
        let mut r = Readable::from_iter(chunks).with_high_water_mark(4);
        assert_eq!(r.read_bytes(10).unwrap().len(), 10);
        assert_eq!(r.high_water_mark(), 16);
    }

    #[test]
    fn read_asks_for_more_once_what_is_left_is_below_the_mark() {
        let queue = Arc::new(Mutex::new(vec![Bytes::from_static(b"ab"); 3]));
        let mut r = Readable::new(Queued(Arc::clone(&queue))).with_high_water_mark(4);
        assert_eq!(r.read().unwrap(), "ab");
        queue.lock().unwrap().push(Bytes::from_static(b"cd"));
        assert_eq!(r.read().unwrap(), "ab", "4 bytes were left: not below 4");
        assert_eq!(
            r.readable_length(),
            2 + 2,
            "2 left, below 4: more was asked for"
        );
    }
}
