//! The stream engine: Node.js's Readable, Writable, Duplex and Transform,
//! `pipe` and `pipeline`, on Rust's poll model.

mod buffer;
mod chunk;
mod duplex;
mod error;
mod event;
mod io;
mod lifecycle;
mod pipe;
mod pipeline;
mod queue;
mod readable;
mod sides;
pub mod sink;
pub mod source;
mod text;
mod transform;
mod transform_sink;
mod writable;

pub use buffer::Push;
pub use chunk::{
    Chunk, DEFAULT_FILE_HIGH_WATER_MARK, DEFAULT_HIGH_WATER_MARK, DEFAULT_OBJECT_HIGH_WATER_MARK,
};
pub use duplex::{Duplex, DuplexHandler};
pub use error::{Error, ErrorKind, Result};
pub use event::Event;
pub use io::{SinkAdapter, WriterSink};
pub use pipe::{Pipe, PipeOptions, pipe, pipe_all};
pub use pipeline::{Finish, PipeTarget, Pipeline, PipelineFuture, finished, pipeline};
pub use queue::WriteQueue;
pub use readable::Readable;
pub use sides::{ReadableStream, WritableStream};
pub use sink::Sink;
pub use source::Source;
pub use text::Utf8Decoder;
pub use transform::{PassThrough, Transform};
pub use transform_sink::TransformSink;
pub use writable::Writable;
#[cfg(test)]
pub(crate) use buffer::ReadBuffer;
pub use sink::{CollectSink, Collected, NullSink};
pub use source::{IterSource, StreamSource};
