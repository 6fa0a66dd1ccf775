//! [`StepSource`]: a [`ReadSource`] that reads another stream and hands
//! each chunk to a closure: the source of [`ReadableExt`](crate::ReadableExt)'s
//! `map`, `filter`, `flat_map`, `take` and `skip`.

use std::pin::Pin;
use std::task::{Context, Poll};

use super::chunk::Chunk;
use super::error::{Error, Result};
use super::push::Push;
use super::read_source::ReadSource;
use super::readable_stream::ReadableStream;

/// Reads `upstream` while the buffer has room, calling `step` with each
/// chunk; `step` pushes what it makes of it and returns `Ok(false)` to stop
/// early, which drops (and so destroys) the upstream and ends the output,
/// as Node's `take` does.
pub(crate) struct StepSource<S, F> {
    upstream: Option<S>,
    step: F,
}

impl<S, F> StepSource<S, F> {
    pub(crate) fn new(upstream: S, step: F) -> Self {
        StepSource {
            upstream: Some(upstream),
            step,
        }
    }
}

// Neither the upstream nor the closure is ever pinned.
impl<S, F> Unpin for StepSource<S, F> {}

impl<S, F, U> ReadSource<U> for StepSource<S, F>
where
    S: ReadableStream,
    F: FnMut(S::Output, &mut Push<'_, U>) -> Result<bool> + Send,
    U: Chunk,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, U>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        let before = out.pushes();
        loop {
            let Some(upstream) = this.upstream.as_mut() else {
                out.end();
                return Poll::Ready(Ok(()));
            };
            if out.pushes() > before && !out.has_room() {
                return Poll::Ready(Ok(()));
            }
            match upstream.poll_next_chunk(cx) {
                Poll::Pending if out.pushes() > before => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => this.upstream = None,
                Poll::Ready(Some(Err(error))) => {
                    this.upstream = None;
                    return Poll::Ready(Err(error));
                }
                Poll::Ready(Some(Ok(chunk))) => match (this.step)(chunk, out) {
                    Ok(true) => {}
                    Ok(false) => this.upstream = None,
                    Err(error) => {
                        if let Some(mut upstream) = this.upstream.take() {
                            upstream.destroy(Some(error.clone()));
                        }
                        return Poll::Ready(Err(error));
                    }
                },
            }
        }
    }

    fn destroy(self: Pin<&mut Self>, error: Option<&Error>) {
        if let Some(mut upstream) = self.get_mut().upstream.take() {
            upstream.destroy(error.cloned());
        }
    }
}
