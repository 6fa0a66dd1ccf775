//! [`FnTransform`]: a [`Transform`] made of a closure (Node's
//! `new Transform({ transform(chunk, encoding, callback) { … } })`).

use std::fmt;
use std::marker::PhantomData;

use super::chunk::Chunk;
use super::error::Result;
use super::push::Push;
use super::transform::Transform;

type Flush<O> = Box<dyn FnMut(&mut Push<'_, O>) -> Result<()> + Send>;

/// A [`Transform`] made of a closure that pushes zero or more outputs per
/// input, with an optional flush at the end: Node's
/// `new Transform({ transform, flush })` for work done at once. For work
/// that waits (a lookup, a request), see
/// [`AsyncFnTransform`](crate::AsyncFnTransform).
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::{FnTransform, Push, Readable, ReadableExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// // Node: new Transform({ transform(chunk, _, cb) { cb(null, chunk.toString().toUpperCase()) },
/// //                       flush(cb) { cb(null, '!') } })
/// let shout = FnTransform::new(|chunk: Bytes, out: &mut Push<'_, Bytes>| {
///     out.push(chunk.to_ascii_uppercase().into());
///     Ok(())
/// })
/// .with_flush(|out| {
///     out.push(Bytes::from("!"));
///     Ok(())
/// });
/// let text = Readable::from_iter([Bytes::from("hi "), Bytes::from("there")]).pipe(shout);
/// assert_eq!(text.to_bytes().await?, "HI THERE!");
///
/// // Objects in, objects out, some dropped: lengths of the non-empty words.
/// let lengths = FnTransform::new(|word: String, out: &mut Push<'_, usize>| {
///     if !word.is_empty() {
///         out.push(word.len());
///     }
///     Ok(())
/// });
/// let words = Readable::from_iter(["stream".to_owned(), String::new(), "merge".to_owned()]);
/// assert_eq!(words.pipe(lengths).collect_vec().await?, [6, 5]);
/// # Ok(())
/// # }
/// ```
///
/// An `Err` from the closure fails the stream, as `callback(err)` does in Node.
pub struct FnTransform<I, O, F> {
    transform: F,
    flush: Option<Flush<O>>,
    _input: PhantomData<fn(I)>,
}

impl<I, O, F> FnTransform<I, O, F>
where
    I: Chunk,
    O: Chunk,
    F: FnMut(I, &mut Push<'_, O>) -> Result<()> + Send + 'static,
{
    /// A transform that calls `transform` with each chunk and the handle to
    /// push its outputs into.
    pub fn new(transform: F) -> Self {
        FnTransform {
            transform,
            flush: None,
            _input: PhantomData,
        }
    }

    /// Calls `flush` once the writable side has ended, before the readable
    /// side ends (Node's `flush`).
    pub fn with_flush(
        mut self,
        flush: impl FnMut(&mut Push<'_, O>) -> Result<()> + Send + 'static,
    ) -> Self {
        self.flush = Some(Box::new(flush));
        self
    }
}

// The closures are only called through `&mut`, never pinned.
impl<I, O, F> Unpin for FnTransform<I, O, F> {}

impl<I, O, F> Transform for FnTransform<I, O, F>
where
    I: Chunk,
    O: Chunk,
    F: FnMut(I, &mut Push<'_, O>) -> Result<()> + Send + 'static,
{
    type Input = I;
    type Output = O;

    fn transform(&mut self, chunk: I, out: &mut Push<'_, O>) -> Result<()> {
        (self.transform)(chunk, out)
    }

    fn flush(&mut self, out: &mut Push<'_, O>) -> Result<()> {
        match self.flush.as_mut() {
            Some(flush) => flush(out),
            None => Ok(()),
        }
    }
}

impl<I, O, F> fmt::Debug for FnTransform<I, O, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnTransform")
            .field("flush", &self.flush.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::{Duplex, ErrorKind, Event, Readable, ReadableExt};
    use std::sync::{Arc, Mutex};

    #[tokio::test]
    async fn an_error_from_the_closure_fails_the_pipeline() {
        let refuse = FnTransform::new(|n: u32, out: &mut Push<'_, u32>| {
            if n == 2 {
                return Err(crate::Error::new(ErrorKind::InvalidData, "two"));
            }
            out.push(n);
            Ok(())
        });
        let error = crate::pipeline(Readable::from_iter([1u32, 2, 3]))
            .pipe(refuse)
            .collect_vec()
            .await
            .unwrap_err();
        assert_eq!(format!("{error:#}"), "stage 1: two");
    }

    /// Node 20 gives the same order when the output is read after `end()`:
    /// `prefinish finish data data end close`.
    #[tokio::test]
    async fn flush_output_is_read_before_the_end() {
        let mut duplex = Duplex::transform(
            FnTransform::new(|chunk: Bytes, out: &mut Push<'_, Bytes>| {
                out.push(chunk);
                Ok(())
            })
            .with_flush(|out| {
                out.push(Bytes::from_static(b"tail"));
                Ok(())
            }),
        );
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        duplex.observe(move |event: &Event| seen.lock().unwrap().push(event.name()));
        duplex.write(Bytes::from_static(b"body")).unwrap();
        duplex.end().unwrap();
        assert_eq!(duplex.to_bytes().await.unwrap(), "bodytail");
        assert_eq!(
            *log.lock().unwrap(),
            ["prefinish", "finish", "data", "data", "end", "close"]
        );
    }
}
