//! [`PairHandler`]: the handler of [`Duplex::from_parts`](crate::Duplex::from_parts),
//! a source and a sink side by side.

use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project::pin_project;

use super::duplex_handler::DuplexHandler;
use super::error::{Error, Result};
use super::push::Push;
use super::read_source::ReadSource;
use super::write_queue::WriteQueue;
use super::write_sink::WriteSink;

/// The handler of [`Duplex::from_parts`](crate::Duplex::from_parts): a
/// source and a sink side by side.
#[pin_project]
pub(crate) struct PairHandler<R, W> {
    #[pin]
    source: R,
    #[pin]
    sink: W,
}

impl<I, O, R, W> DuplexHandler<I, O> for PairHandler<R, W>
where
    R: ReadSource<O>,
    W: WriteSink<I>,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        input: &mut WriteQueue<I>,
        _out: &mut Push<'_, O>,
    ) -> Poll<Result<()>> {
        self.project().sink.poll_write(cx, input)
    }

    fn poll_final(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        _out: &mut Push<'_, O>,
    ) -> Poll<Result<()>> {
        self.project().sink.poll_final(cx)
    }

    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, O>,
    ) -> Poll<Result<()>> {
        self.project().source.poll_read(cx, out)
    }

    fn starts_at_once(&self) -> bool {
        self.sink.starts_at_once()
    }

    fn destroy(self: Pin<&mut Self>, error: Option<&Error>) {
        let this = self.project();
        this.sink.destroy(error);
        this.source.destroy(error);
    }
}

impl<R, W> PairHandler<R, W> {
    pub(crate) fn new(source: R, sink: W) -> Self {
        PairHandler { source, sink }
    }
}
