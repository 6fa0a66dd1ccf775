//! smerge: Node.js streams for Rust.

#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]

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
pub mod sink;
pub mod source;
mod stream;
mod text;
mod transform;
pub mod transforms;
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
pub use sink::Sink;
pub use source::Source;
pub use stream::{ReadableStream, WritableStream};
pub use text::Utf8Decoder;
pub use transform::{PassThrough, Transform};
pub use writable::Writable;
