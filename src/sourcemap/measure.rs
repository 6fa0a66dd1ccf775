//! The transforms a merge with a source map puts on each input:
//! [`Truncate`] drops its `sourceMappingURL` comment, [`MeasureShape`]
//! measures what is written of it.

use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::Push;
use crate::Result;
use crate::Transform;
use crate::sourcemap::shape::TextShape;

/// Passes the first `keep` bytes and drops the rest.
#[derive(Debug)]
pub(crate) struct Truncate {
    keep: u64,
}

impl Truncate {
    pub(crate) fn new(keep: u64) -> Truncate {
        Truncate { keep }
    }
}

impl Transform for Truncate {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, mut chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
        if self.keep == 0 {
            return Ok(());
        }
        if chunk.len() as u64 > self.keep {
            chunk.truncate(self.keep as usize);
        }
        self.keep -= chunk.len() as u64;
        out.push(chunk);
        Ok(())
    }
}

/// The shape of what passed, and whether it started with a UTF-8 BOM.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Measured {
    pub(crate) shape: TextShape,
    pub(crate) bom: bool,
}

/// A pass-through transform that measures the [`TextShape`] of the bytes
/// going by; the measure, shared with whoever made it, is kept up to date
/// chunk by chunk, so that it tells what passed even when the stream fails.
#[derive(Debug)]
pub(crate) struct MeasureShape {
    shape: TextShape,
    head: Vec<u8>,
    shared: Arc<Mutex<Measured>>,
}

impl MeasureShape {
    pub(crate) fn new() -> (MeasureShape, Arc<Mutex<Measured>>) {
        let shared = Arc::new(Mutex::new(Measured::default()));
        let measure = MeasureShape {
            shape: TextShape::default(),
            head: Vec::with_capacity(3),
            shared: Arc::clone(&shared),
        };
        (measure, shared)
    }
}

impl Transform for MeasureShape {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
        if self.head.len() < 3 {
            let take = (3 - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.shape.push(&chunk);
        *self.shared.lock().expect("measure poisoned") = Measured {
            shape: self.shape,
            bom: self.head == b"\xEF\xBB\xBF",
        };
        out.push(chunk);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Push;
    use crate::stream::ReadBuffer;

    /// Runs `transform` over `data` cut in chunks of `size`.
    fn run_chunked(
        mut transform: impl Transform<Input = Bytes, Output = Bytes>,
        data: &[u8],
        size: usize,
    ) -> Vec<u8> {
        let mut buffer: ReadBuffer<Bytes> = ReadBuffer::new(usize::MAX);
        for chunk in data.chunks(size) {
            transform
                .transform(Bytes::copy_from_slice(chunk), &mut Push::new(&mut buffer))
                .unwrap();
        }
        transform.flush(&mut Push::new(&mut buffer)).unwrap();
        let mut out = Vec::new();
        while let Some(chunk) = buffer.pop_front() {
            out.extend_from_slice(&chunk);
        }
        out
    }

    #[test]
    fn truncate_keeps_the_first_bytes_in_any_chunking() {
        for size in 1..12 {
            let out = run_chunked(Truncate::new(7), b"0123456789ab", size);
            assert_eq!(out, b"0123456", "chunks of {size}");
            assert!(run_chunked(Truncate::new(0), b"0123", size).is_empty());
        }
    }

    #[test]
    fn measure_sees_the_bom_and_the_shape() {
        for size in 1..8 {
            let (measure, measured) = MeasureShape::new();
            let out = run_chunked(measure, "\u{feff}a\nbé".as_bytes(), size);
            assert_eq!(out, "\u{feff}a\nbé".as_bytes());
            let measured = *measured.lock().unwrap();
            assert!(measured.bom);
            assert_eq!((measured.shape.newlines, measured.shape.last_width), (1, 2));
        }
    }
}
