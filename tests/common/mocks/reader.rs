//! [`ChunkyReader`]: an `AsyncRead` that hands out a few bytes per read.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, ReadBuf};

use super::{Hiccups, Meter};

/// Hands out `data` at most `max_read` bytes per read (31 by default, so
/// every chunk boundary gets hit), with optional hiccups, and optionally
/// fails once it handed out `fail_at` bytes instead of reaching the end.
#[derive(Debug)]
pub struct ChunkyReader {
    data: Vec<u8>,
    position: usize,
    max_read: usize,
    fail_at: Option<usize>,
    hiccups: Hiccups,
    meter: Meter,
}

impl ChunkyReader {
    pub fn new(data: Vec<u8>) -> Self {
        ChunkyReader {
            data,
            position: 0,
            max_read: 31,
            fail_at: None,
            hiccups: Hiccups::none(),
            meter: Meter::default(),
        }
    }

    pub fn max_read(mut self, max_read: usize) -> Self {
        assert!(max_read > 0);
        self.max_read = max_read;
        self
    }

    /// Fails with [`ChunkyReader::error_message`] once `position` bytes were
    /// read (at the end, in place of it, when `position` is the length).
    pub fn fail_at(mut self, position: usize) -> Self {
        self.fail_at = Some(position);
        self
    }

    pub fn hiccups(mut self, hiccups: Hiccups) -> Self {
        self.hiccups = hiccups;
        self
    }

    pub fn meter(mut self, meter: Meter) -> Self {
        self.meter = meter;
        self
    }

    pub fn error_message(position: usize) -> String {
        format!("mock reader failed at byte {position}")
    }
}

impl AsyncRead for ChunkyReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.meter.polled();
        ready!(this.hiccups.poll(cx));
        let end = this.fail_at.unwrap_or(this.data.len()).min(this.data.len());
        if Some(this.position) == this.fail_at {
            return Poll::Ready(Err(io::Error::other(ChunkyReader::error_message(
                this.position,
            ))));
        }
        let n = (end - this.position)
            .min(this.max_read)
            .min(buf.remaining());
        buf.put_slice(&this.data[this.position..this.position + n]);
        this.position += n;
        this.meter.produced(n);
        Poll::Ready(Ok(()))
    }
}
