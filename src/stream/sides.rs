//! The two sides every stream type offers to [`pipe`](crate::pipe) and
//! [`pipeline`](crate::pipeline): [`ReadableStream`] and [`WritableStream`].
//!
//! [`Readable`](crate::Readable) has a readable side, [`Writable`](crate::Writable)
//! a writable side, [`Duplex`](crate::Duplex) both. The traits are what lets
//! one `pipe` accept any of them; most programs use the types' own methods.

use std::future::poll_fn;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};

use super::chunk::Chunk;
use super::error::{Error, Result};

/// A stream whose chunks can be read: the readable side of a
/// [`Readable`](crate::Readable) or a [`Duplex`](crate::Duplex).
pub trait ReadableStream<T: Chunk>: Send {
    /// The next chunk; `Ready(None)` after the end (and `end` was emitted);
    /// an error is returned once, then `Ready(None)`.
    fn poll_next_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T>>>;

    /// Stops the flow (Node's `pause()`): emits `pause` if it was flowing.
    fn pause(&mut self);

    /// Starts the flow (Node's `resume()`): emits `resume` if it was not flowing.
    fn resume(&mut self);

    /// Destroys the stream (Node's `destroy(err)`): buffered data is dropped,
    /// `error` (if any) and `close` are emitted; a no-op if already destroyed.
    fn destroy(&mut self, error: Option<Error>);

    /// True once the readable side delivered its end.
    fn is_ended(&self) -> bool;

    /// The stream's label, used to say where an error happened.
    fn label(&self) -> Option<&str>;
}

/// A stream chunks can be written to: the writable side of a
/// [`Writable`](crate::Writable) or a [`Duplex`](crate::Duplex).
pub trait WritableStream<T: Chunk>: Send {
    /// Queues `chunk`; `Ok(false)` once the queue reached the highWaterMark
    /// (the chunk is queued all the same). See [`Writable::write`](crate::Writable::write).
    fn write(&mut self, chunk: T) -> Result<bool>;

    /// Writes queued chunks; `Ready(Ok(()))` once the queue is empty,
    /// emitting `drain` if a `write` had returned `false`.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>>;

    /// Ends the writable side: no more writes; it finishes once everything
    /// queued is written.
    fn end(&mut self) -> Result<()>;

    /// Drives the writable side until it finished (after [`end`](WritableStream::end)).
    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>>;

    /// Destroys the stream: queued chunks are dropped, `error` (if any) and
    /// `close` are emitted; a no-op if already destroyed.
    fn destroy(&mut self, error: Option<Error>);

    /// True after a `write` returned `false` and before the queue emptied.
    fn needs_drain(&self) -> bool;

    /// True once the writable side finished.
    fn is_finished(&self) -> bool;

    /// Called by pipes: emits `pipe` (`true`) or `unpipe` (`false`).
    fn piped(&mut self, attached: bool);

    /// The stream's label, used to say where an error happened.
    fn label(&self) -> Option<&str>;
}

/// Reads every chunk of `stream` into a vector: the `collect_vec` of
/// [`Readable`](crate::Readable), [`Duplex`](crate::Duplex) and
/// [`Pipeline`](crate::Pipeline).
pub(crate) async fn collect_chunks<T, S>(stream: &mut S) -> Result<Vec<T>>
where
    T: Chunk,
    S: ReadableStream<T> + ?Sized,
{
    let mut items = Vec::new();
    while let Some(item) = poll_fn(|cx| stream.poll_next_chunk(cx)).await {
        items.push(item?);
    }
    Ok(items)
}

/// Joins byte chunks into one, without a copy when there is only one: the
/// `to_bytes` of the byte streams.
pub(crate) fn concat_bytes(chunks: Vec<Bytes>) -> Bytes {
    if chunks.len() == 1 {
        return chunks.into_iter().next().expect("one chunk");
    }
    let mut all = BytesMut::with_capacity(chunks.iter().map(Bytes::len).sum());
    for chunk in chunks {
        all.extend_from_slice(&chunk);
    }
    all.freeze()
}
