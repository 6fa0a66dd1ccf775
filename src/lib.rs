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
pub mod fs;
mod queue;
pub mod sink;
pub mod source;
mod transform;

pub use buffer::Push;
pub use chunk::{
    Chunk, DEFAULT_FILE_HIGH_WATER_MARK, DEFAULT_HIGH_WATER_MARK, DEFAULT_OBJECT_HIGH_WATER_MARK,
};
pub use duplex::DuplexHandler;
pub use error::{Error, ErrorKind, Result};
pub use queue::WriteQueue;
pub use sink::Sink;
pub use source::Source;
pub use transform::{PassThrough, Transform};
