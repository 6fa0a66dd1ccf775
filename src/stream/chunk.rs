//! What a chunk is, and how it counts toward a highWaterMark.
//!
//! Byte streams carry [`Bytes`]: a chunk counts its length, and the default
//! highWaterMark is [`DEFAULT_HIGH_WATER_MARK`] (64 KiB, as in Node 22 and
//! later). Object streams carry any other type: each item counts one, and the
//! default highWaterMark is [`DEFAULT_OBJECT_HIGH_WATER_MARK`] (16 items).
//! Text streams carry [`String`], counted in bytes of UTF-8.

use bytes::Bytes;

/// The default highWaterMark of byte streams, in bytes (Node 22 and later:
/// 64 KiB; Node 21 and earlier used 16 KiB).
pub const DEFAULT_HIGH_WATER_MARK: usize = 64 * 1024;

/// The default highWaterMark of object streams, in items.
pub const DEFAULT_OBJECT_HIGH_WATER_MARK: usize = 16;

/// The default highWaterMark of file streams, in bytes (Node's
/// `fs.createReadStream` uses 64 KiB on every platform).
pub const DEFAULT_FILE_HIGH_WATER_MARK: usize = 64 * 1024;

/// A unit of data that moves through a stream.
///
/// The trait says how much a chunk counts toward a highWaterMark. Both items
/// have defaults that make a type an object-mode chunk, so a type of your own
/// becomes one with a single line:
///
/// ```
/// use smerge::Chunk;
///
/// struct LogLine { level: u8, text: String }
/// impl Chunk for LogLine {}
///
/// let line = LogLine { level: 3, text: "disk full".into() };
/// assert_eq!(line.size(), 1);
/// assert_eq!(LogLine::DEFAULT_HIGH_WATER_MARK, 16);
/// ```
///
/// A chunk's size is read when it enters a buffer and when it leaves, so it
/// must not change in between.
pub trait Chunk: Send + 'static {
    /// The highWaterMark a stream of this chunk type gets when none is given.
    const DEFAULT_HIGH_WATER_MARK: usize = DEFAULT_OBJECT_HIGH_WATER_MARK;

    /// Whether a chunk of size 0 carries nothing and is skipped when
    /// pushed, as Node skips an empty buffer in byte mode. True for
    /// [`Bytes`] only: an item of any other type counts whatever its value,
    /// as in Node's object mode (an empty `String` is an item).
    const EMPTY_IS_NOTHING: bool = false;

    /// How much this chunk counts toward a highWaterMark: one per item in
    /// object mode, the length in bytes for byte and text chunks.
    fn size(&self) -> usize {
        1
    }

    /// Joins chunks into one, for [`Readable::read`](crate::Readable::read),
    /// which hands out everything buffered at once as Node's `read()` does
    /// on a paused byte stream; `None` where items are never joined, the
    /// default: object streams, and streams of `String`s (lines, records
    /// or text alike), are read one item at a time.
    fn concat(chunks: &[Self]) -> Option<Self>
    where
        Self: Sized,
    {
        let _ = chunks;
        None
    }

    /// A copy of the chunk for a pipe, where the type has a cheap one. Node's
    /// `read()` on a piped stream hands the chunk to its caller and, through
    /// `data`, to every pipe: smerge gives the pipe this copy. `None`, the
    /// default, where there is none: a chunk taken by `read()` then does not
    /// reach the pipe's destinations.
    ///
    /// # Examples
    ///
    /// ```
    /// use smerge::Chunk;
    ///
    /// #[derive(Clone)]
    /// struct Line(String);
    /// impl Chunk for Line {
    ///     fn copy_for_pipe(&self) -> Option<Self> {
    ///         Some(self.clone())
    ///     }
    /// }
    ///
    /// assert!(Line("x".into()).copy_for_pipe().is_some());
    /// assert!(vec![1u8].copy_for_pipe().is_none());
    /// ```
    fn copy_for_pipe(&self) -> Option<Self>
    where
        Self: Sized,
    {
        None
    }
}

impl Chunk for Bytes {
    const DEFAULT_HIGH_WATER_MARK: usize = DEFAULT_HIGH_WATER_MARK;
    const EMPTY_IS_NOTHING: bool = true;

    fn size(&self) -> usize {
        self.len()
    }

    fn concat(chunks: &[Self]) -> Option<Self> {
        Some(Bytes::from(chunks.concat()))
    }

    fn copy_for_pipe(&self) -> Option<Self> {
        Some(self.clone())
    }
}

impl Chunk for String {
    const DEFAULT_HIGH_WATER_MARK: usize = DEFAULT_HIGH_WATER_MARK;

    fn size(&self) -> usize {
        self.len()
    }

    fn copy_for_pipe(&self) -> Option<Self> {
        Some(self.clone())
    }
}

/// Object chunks whose copy is cheap: [`Chunk::copy_for_pipe`] copies them.
macro_rules! copied_chunk {
    ($($t:ty),*) => {
        $(impl Chunk for $t {
            fn copy_for_pipe(&self) -> Option<Self> {
                Some(*self)
            }
        })*
    };
}

copied_chunk!(u8, u16, u32, u64, usize, i32, i64, char, bool, &'static str);

impl Chunk for std::path::PathBuf {
    fn copy_for_pipe(&self) -> Option<Self> {
        Some(self.clone())
    }
}
impl<T: Send + 'static> Chunk for Vec<T> {}
impl<T: Send + 'static> Chunk for Box<T> {}
impl<A: Send + 'static, B: Send + 'static> Chunk for (A, B) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_count_their_length() {
        assert_eq!(Bytes::from_static(b"hello").size(), 5);
        assert_eq!(Bytes::new().size(), 0);
        assert_eq!(<Bytes as Chunk>::DEFAULT_HIGH_WATER_MARK, 65536);
    }

    #[test]
    fn objects_count_one() {
        assert_eq!(vec![1u8, 2, 3].size(), 1);
        assert_eq!("abc".size(), 1);
        assert_eq!(<u32 as Chunk>::DEFAULT_HIGH_WATER_MARK, 16);
    }

    #[test]
    fn text_counts_bytes() {
        assert_eq!(String::from("é").size(), 2);
    }
}
