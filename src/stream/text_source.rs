//! [`TextSource`]: the source of a readable made by
//! [`Readable::into_text`](crate::Readable::into_text).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;

use super::error::{Error, Result};
use super::push::Push;
use super::read_buffer::ReadBuffer;
use super::read_source::{BoxSource, ReadSource};
use super::transform::Transform;
use super::utf8_decoder::Utf8Decoder;

/// The source of a readable made by [`Readable::into_text`]: asks the byte
/// source for data and decodes it.
pub(crate) struct TextSource {
    source: BoxSource<Bytes>,
    decoder: Utf8Decoder,
    /// Where the byte source pushes, emptied after every call.
    scratch: ReadBuffer<Bytes>,
}

impl TextSource {
    /// Decodes what `source` produces, with `decoder`'s state.
    pub(crate) fn new(source: BoxSource<Bytes>, decoder: Utf8Decoder) -> Self {
        TextSource {
            source,
            decoder,
            scratch: ReadBuffer::new(0),
        }
    }
}

impl ReadSource<String> for TextSource {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, String>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        // The byte source sees the room the text buffer has left.
        let room = out.high_water_mark().saturating_sub(out.buffered());
        this.scratch.set_high_water_mark(room);
        let polled = this
            .source
            .as_mut()
            .poll_read(cx, &mut Push::new(&mut this.scratch));
        while let Some(bytes) = this.scratch.pop_front() {
            this.decoder.transform(bytes, out)?;
        }
        if let Some(misuse) = this.scratch.take_misuse() {
            return Poll::Ready(Err(misuse));
        }
        if this.scratch.is_eof() && !out.is_ended() {
            this.decoder.flush(out)?;
            out.end();
        }
        polled
    }

    fn destroy(mut self: Pin<&mut Self>, error: Option<&Error>) {
        self.source.as_mut().destroy(error);
    }
}
