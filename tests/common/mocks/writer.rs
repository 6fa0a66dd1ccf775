//! [`MockWriter`]: an `AsyncWrite` that takes a few bytes per call, stalls
//! or fails on request.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::AsyncWrite;

use super::{Hiccups, Shared, Stall};

/// Where a [`MockWriter`] fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriterFailure {
    /// Once this many bytes were written (earlier calls are cut short to
    /// end there).
    AtByte(usize),
    /// On this call of `poll_write` (1 is the first).
    OnCall(usize),
    /// In `poll_flush`.
    OnFlush,
    /// In `poll_shutdown`.
    OnShutdown,
}

impl WriterFailure {
    pub fn message(self) -> String {
        format!("mock writer failed: {self:?}")
    }

    fn error(self) -> io::Error {
        io::Error::other(self.message())
    }
}

/// Keeps what is written in a [`Shared`] vector, taking at most `max_write`
/// bytes per call.
#[derive(Debug)]
pub struct MockWriter {
    written: Shared<u8>,
    max_write: usize,
    vectored: bool,
    failure: Option<WriterFailure>,
    calls: usize,
    stall: Stall,
    hiccups: Hiccups,
}

impl MockWriter {
    /// A writer, and the handle that reads what it was given.
    pub fn new() -> (Self, Shared<u8>) {
        let written = Shared::default();
        let writer = MockWriter {
            written: written.clone(),
            max_write: usize::MAX,
            vectored: false,
            failure: None,
            calls: 0,
            stall: Stall::default(),
            hiccups: Hiccups::none(),
        };
        (writer, written)
    }

    pub fn max_write(mut self, max_write: usize) -> Self {
        assert!(max_write > 0);
        self.max_write = max_write;
        self
    }

    /// Offers vectored writes (the writer then takes from several chunks).
    pub fn vectored(mut self, vectored: bool) -> Self {
        self.vectored = vectored;
        self
    }

    pub fn fail(mut self, failure: WriterFailure) -> Self {
        self.failure = Some(failure);
        self
    }

    pub fn stall(mut self, stall: Stall) -> Self {
        self.stall = stall;
        self
    }

    pub fn hiccups(mut self, hiccups: Hiccups) -> Self {
        self.hiccups = hiccups;
        self
    }

    /// The next call's allowance, or its failure.
    fn admit(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        ready!(self.stall.poll(cx));
        ready!(self.hiccups.poll(cx));
        self.calls += 1;
        let written = self.written.len();
        match self.failure {
            Some(failure @ WriterFailure::OnCall(call)) if call == self.calls => {
                Poll::Ready(Err(failure.error()))
            }
            Some(failure @ WriterFailure::AtByte(position)) if written >= position => {
                Poll::Ready(Err(failure.error()))
            }
            Some(WriterFailure::AtByte(position)) => {
                Poll::Ready(Ok(self.max_write.min(position - written)))
            }
            _ => Poll::Ready(Ok(self.max_write)),
        }
    }

    fn finish_call(
        &mut self,
        cx: &mut Context<'_>,
        failure: WriterFailure,
    ) -> Poll<io::Result<()>> {
        ready!(self.stall.poll(cx));
        ready!(self.hiccups.poll(cx));
        if self.failure == Some(failure) {
            return Poll::Ready(Err(failure.error()));
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for MockWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let allowance = ready!(this.admit(cx))?;
        let n = allowance.min(buf.len());
        this.written.extend(buf[..n].iter().copied());
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let mut allowance = ready!(this.admit(cx))?;
        let mut total = 0;
        for buf in bufs {
            let n = allowance.min(buf.len());
            this.written.extend(buf[..n].iter().copied());
            allowance -= n;
            total += n;
            if allowance == 0 {
                break;
            }
        }
        Poll::Ready(Ok(total))
    }

    fn is_write_vectored(&self) -> bool {
        self.vectored
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().finish_call(cx, WriterFailure::OnFlush)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().finish_call(cx, WriterFailure::OnShutdown)
    }
}
