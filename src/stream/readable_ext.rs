//! [`ReadableExt`]: the consuming methods every readable stream shares.

use std::future::{Future, poll_fn};

use bytes::{Bytes, BytesMut};

use super::error::Result;
use super::pipe_target::PipeTarget;
use super::pipeline::Pipeline;
use super::readable_stream::ReadableStream;

/// The methods every [`ReadableStream`] gets: reading it to the end, and
/// piping it on by value (as futures-util's `StreamExt` adds methods to
/// every `Stream`).
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::{Duplex, Readable, ReadableExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let words = Readable::from_iter(["stream", "merge"]);
/// assert_eq!(words.collect_vec().await?, ["stream", "merge"]);
///
/// let chain = Readable::from_iter([Bytes::from("a"), Bytes::from("b")]).pipe(Duplex::pass_through());
/// assert_eq!(chain.to_bytes().await?, "ab");
/// # Ok(())
/// # }
/// ```
pub trait ReadableExt: ReadableStream + Sized {
    /// Reads every chunk into a vector.
    fn collect_vec(mut self) -> impl Future<Output = Result<Vec<Self::Output>>> + Send {
        async move {
            let mut items = Vec::new();
            while let Some(item) = poll_fn(|cx| self.poll_next_chunk(cx)).await {
                items.push(item?);
            }
            Ok(items)
        }
    }

    /// Reads everything into one [`Bytes`], without a copy when the stream
    /// gave one chunk.
    fn to_bytes(self) -> impl Future<Output = Result<Bytes>> + Send
    where
        Self: ReadableStream<Output = Bytes>,
    {
        async move {
            let chunks = self.collect_vec().await?;
            if chunks.len() == 1 {
                return Ok(chunks.into_iter().next().expect("one chunk"));
            }
            let mut all = BytesMut::with_capacity(chunks.iter().map(Bytes::len).sum());
            for chunk in chunks {
                all.extend_from_slice(&chunk);
            }
            Ok(all.freeze())
        }
    }

    /// Pipes this stream into `target` (Node's `readable.pipe(dest)`),
    /// taking ownership so calls chain: `source.pipe(gzip).pipe(file).await`.
    /// A transform or duplex extends the chain, a writable completes it
    /// into a future.
    ///
    /// On a [`Pipeline`] this adds a stage with the pipeline's semantics
    /// (the first error destroys every stage). On anything else, as with
    /// Node's `pipe`, an error stops the chain without destroying the other
    /// stages (they are dropped with the chain, which closes them); start
    /// with [`pipeline`](crate::pipeline) to have each one destroyed with the
    /// error.
    fn pipe<P: PipeTarget<Self::Output>>(self, target: P) -> P::Output
    where
        Self: 'static,
    {
        target.attach(Pipeline::piped(self))
    }
}

impl<S: ReadableStream> ReadableExt for S {}
