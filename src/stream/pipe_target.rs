//! [`PipeTarget`]: what a [`Pipeline`] can pipe into.

use super::chunk::Chunk;
use super::duplex::Duplex;
use super::pipeline::Pipeline;
use super::pipeline_future::PipelineFuture;
use super::sealed;
use super::shared::Shared;
use super::transform::Transform;
use super::writable::Writable;
use super::writable_stream::WritableStream;

/// Something a [`Pipeline`] (or [`ReadableExt::pipe`](crate::ReadableExt::pipe)) can pipe into.
///
/// Implemented by [`Duplex`] and every [`Transform`] (the chain goes on), by
/// [`Writable`] (the chain is complete: a [`PipelineFuture`]), by a
/// `Vec<Writable<T>>` (several destinations, each getting every chunk), and
/// by a [`Shared`] duplex or writable (a stage you still reach while the
/// pipeline runs). The trait is sealed.
pub trait PipeTarget<T: Chunk>: sealed::Target {
    /// What piping into this gives.
    type Output;

    /// Attaches this target to the end of `pipeline`.
    fn attach(self, pipeline: Pipeline<T>) -> Self::Output;
}

impl<I, O> sealed::Target for Duplex<I, O> {}
impl<X: Transform> sealed::Target for X {}
impl<T> sealed::Target for Writable<T> {}
impl<T> sealed::Target for Vec<Writable<T>> {}
impl<I, O> sealed::Target for Shared<Duplex<I, O>> {}
impl<T> sealed::Target for Shared<Writable<T>> {}

impl<I: Chunk, O: Chunk> PipeTarget<I> for Duplex<I, O> {
    type Output = Pipeline<O>;

    fn attach(self, pipeline: Pipeline<I>) -> Pipeline<O> {
        pipeline.extend(self)
    }
}

impl<X: Transform + Unpin> PipeTarget<X::Input> for X {
    type Output = Pipeline<X::Output>;

    fn attach(self, pipeline: Pipeline<X::Input>) -> Pipeline<X::Output> {
        pipeline.extend(Duplex::transform(self))
    }
}

impl<T: Chunk> PipeTarget<T> for Writable<T> {
    type Output = PipelineFuture<T>;

    fn attach(self, pipeline: Pipeline<T>) -> PipelineFuture<T> {
        pipeline.complete(vec![Box::new(self)], None)
    }
}

impl<T: Chunk + Clone> PipeTarget<T> for Vec<Writable<T>> {
    type Output = PipelineFuture<T>;

    fn attach(self, pipeline: Pipeline<T>) -> PipelineFuture<T> {
        let destinations = self
            .into_iter()
            .map(|w| Box::new(w) as Box<dyn WritableStream<Input = T>>)
            .collect();
        pipeline.complete(destinations, Some(T::clone))
    }
}

impl<I: Chunk, O: Chunk> PipeTarget<I> for Shared<Duplex<I, O>> {
    type Output = Pipeline<O>;

    fn attach(self, pipeline: Pipeline<I>) -> Pipeline<O> {
        pipeline.extend(self)
    }
}

impl<T: Chunk> PipeTarget<T> for Shared<Writable<T>> {
    type Output = PipelineFuture<T>;

    fn attach(self, pipeline: Pipeline<T>) -> PipelineFuture<T> {
        pipeline.complete(vec![Box::new(self)], None)
    }
}
