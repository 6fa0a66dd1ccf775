//! [`PassThrough`]: the identity [`Transform`] (Node's `PassThrough`).

use std::marker::PhantomData;

use super::chunk::Chunk;
use super::error::Result;
use super::push::Push;
use super::transform::Transform;

/// The identity transform: every chunk passes unchanged (Node's `PassThrough`).
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::{PassThrough, Readable, ReadableExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let same = Readable::from_iter([Bytes::from("a"), Bytes::from("b")])
///     .pipe(PassThrough::<Bytes>::new());
/// assert_eq!(same.to_bytes().await?, "ab");
/// # Ok(())
/// # }
/// ```
///
/// [`Duplex::pass_through`](crate::Duplex::pass_through) is the same stage
/// as a stream of its own.
#[derive(Debug)]
pub struct PassThrough<T> {
    _chunks: PhantomData<fn(T) -> T>,
}

impl<T> PassThrough<T> {
    /// A pass-through for chunks of type `T`.
    pub fn new() -> Self {
        PassThrough {
            _chunks: PhantomData,
        }
    }
}

impl<T> Default for PassThrough<T> {
    fn default() -> Self {
        PassThrough::new()
    }
}

impl<T: Chunk> Transform for PassThrough<T> {
    type Input = T;
    type Output = T;

    #[inline]
    fn transform(&mut self, chunk: T, out: &mut Push<'_, T>) -> Result<()> {
        out.push(chunk);
        Ok(())
    }
}
