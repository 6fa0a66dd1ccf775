//! A decompression bomb through a whole pipeline: memory stays bounded by
//! the highWaterMarks, whatever one input chunk expands to.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use smerge::transforms::{Codec, Compress, Decompress};
use smerge::{
    Duplex, Push, Readable, ReadableExt, Transform, Writable, WriteQueue, WriteSink, pipeline,
};

use super::compress;

/// Runs a transform and records the most output ever buffered after one of
/// its calls.
struct Watch<X> {
    inner: X,
    max_buffered: Arc<AtomicUsize>,
}

impl<X: Transform<Input = Bytes, Output = Bytes>> Watch<X> {
    fn record(&self, out: &Push<'_, Bytes>) {
        self.max_buffered
            .fetch_max(out.buffered(), Ordering::Relaxed);
    }
}

impl<X: Transform<Input = Bytes, Output = Bytes>> Transform for Watch<X> {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) -> smerge::Result<()> {
        self.inner.transform(chunk, out)?;
        self.record(out);
        Ok(())
    }

    fn flush(&mut self, out: &mut Push<'_, Bytes>) -> smerge::Result<()> {
        self.inner.flush(out)?;
        self.record(out);
        Ok(())
    }

    fn poll_ready(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut Push<'_, Bytes>,
    ) -> Poll<smerge::Result<()>> {
        let polled = self.inner.poll_ready(cx, out);
        self.record(out);
        polled
    }
}

/// Counts the bytes written to it, taking one chunk per call.
struct CountingSink(Arc<AtomicU64>);

impl WriteSink<Bytes> for CountingSink {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        queue: &mut WriteQueue<Bytes>,
    ) -> Poll<smerge::Result<()>> {
        if let Some(chunk) = queue.pop() {
            assert!(chunk.iter().all(|byte| *byte == 0));
            self.0.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        }
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn one_small_chunk_expanding_to_256_mib_stays_within_the_high_water_mark() {
    const FRAME_LEN: usize = 16 << 20;
    const FRAMES: usize = 16;
    let frame = compress(Compress::new(Codec::Zstd), &vec![0; FRAME_LEN]).await;
    // 16 frames of 16 MiB of zeros: one written chunk of a few KiB.
    let bomb = Bytes::from(frame.repeat(FRAMES));
    assert!(bomb.len() < 64 << 10, "{} bytes", bomb.len());

    let high_water_mark = 16 << 10;
    let max_buffered = Arc::new(AtomicUsize::new(0));
    let written = Arc::new(AtomicU64::new(0));
    let decoder = Watch {
        inner: Decompress::detect(),
        max_buffered: Arc::clone(&max_buffered),
    };
    pipeline(Readable::from_iter([bomb]))
        .pipe(Duplex::transform(decoder).with_readable_high_water_mark(high_water_mark))
        .pipe(
            Writable::new(CountingSink(Arc::clone(&written))).with_high_water_mark(high_water_mark),
        )
        .await
        .unwrap();

    assert_eq!(written.load(Ordering::Relaxed), (FRAME_LEN * FRAMES) as u64);
    let max_buffered = max_buffered.load(Ordering::Relaxed);
    assert!(max_buffered > 0);
    // Below the mark before the last push, plus at most one 64 KiB chunk.
    assert!(
        max_buffered < high_water_mark + (64 << 10),
        "{max_buffered} bytes buffered"
    );
}
