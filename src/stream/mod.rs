//! The stream engine: Node.js's Readable, Writable, Duplex and Transform,
//! `pipe` and `pipeline`, on Rust's poll model. The crate documentation
//! gives the overview and the rules (what a tick is); each state machine
//! has its states written above it, in `read_half`, `write_half`,
//! `transform_handler` and `pump`.

mod async_fn_transform;
mod async_iter_source;
#[cfg(test)]
mod busy_sink;
mod chunk;
mod collect_sink;
mod compose;
mod duplex;
mod duplex_handler;
mod error;
mod event;
#[cfg(test)]
pub(crate) mod event_log;
mod events;
mod finished;
mod flushed;
mod fn_transform;
mod iter_source;
mod lifecycle;
mod link;
mod map_async_source;
mod null_sink;
mod ordered;
mod pair_handler;
mod pass_through;
mod pipe;
mod pipe_options;
mod pipe_target;
mod pipeline;
mod pipeline_future;
mod pump;
mod push;
mod pusher;
mod read_buffer;
mod read_half;
mod read_source;
mod readable;
mod readable_ext;
mod readable_stream;
mod sealed;
mod shared;
mod sink_adapter;
mod step_source;
mod stream_source;
mod text_source;
mod ticks;
mod transform;
mod transform_handler;
mod transform_sink;
mod utf8_decoder;
mod writable;
mod writable_stream;
mod write_half;
mod write_queue;
mod write_sink;
mod writer_sink;

pub use async_fn_transform::AsyncFnTransform;
pub use async_iter_source::AsyncIterSource;
#[cfg(test)]
pub(crate) use busy_sink::{Busy, Kept};
pub use chunk::{
    Chunk, DEFAULT_FILE_HIGH_WATER_MARK, DEFAULT_HIGH_WATER_MARK, DEFAULT_OBJECT_HIGH_WATER_MARK,
};
pub use collect_sink::{CollectSink, Collected};
pub use compose::{Compose, compose};
pub use duplex::Duplex;
#[cfg(feature = "transforms")]
pub(crate) use duplex_handler::DuplexHandler;
pub use error::{Error, ErrorKind, Result};
pub use event::Event;
pub use finished::{Finish, Finished, finished};
pub use flushed::Flushed;
pub use fn_transform::FnTransform;
pub use iter_source::IterSource;
pub use null_sink::NullSink;
pub use pass_through::PassThrough;
pub use pipe::{Pipe, pipe, pipe_all};
pub use pipe_options::PipeOptions;
pub use pipe_target::PipeTarget;
pub use pipeline::{Pipeline, pipeline};
pub use pipeline_future::PipelineFuture;
pub use push::Push;
pub use pusher::Pusher;
#[cfg(all(test, feature = "transforms"))]
pub(crate) use read_buffer::ReadBuffer;
pub use read_source::ReadSource;
pub use readable::Readable;
pub use readable_ext::ReadableExt;
pub use readable_stream::ReadableStream;
pub use shared::Shared;
pub use sink_adapter::SinkAdapter;
pub use stream_source::StreamSource;
pub use transform::Transform;
pub use transform_sink::TransformSink;
pub use utf8_decoder::Utf8Decoder;
pub use writable::Writable;
pub use writable_stream::WritableStream;
pub use write_queue::WriteQueue;
pub use write_sink::WriteSink;
pub use writer_sink::WriterSink;
