//! [`Event`]: a lifecycle event of a stream, in Node's names.
//!
//! When each event is delivered, and what a tick is, is written once, in
//! the [module documentation](crate#events-and-ticks).

use std::fmt;

use super::error::Error;

/// A lifecycle event of a stream.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Event {
    /// Data is buffered and can be read, or the end was reached (`'readable'`).
    Readable,
    /// A chunk was handed to the consumer (`'data'`); `size` is what it counts
    /// toward the highWaterMark.
    Data {
        /// The chunk's [`Chunk::size`](crate::Chunk::size).
        size: usize,
    },
    /// The readable side stopped flowing (`'pause'`).
    Pause,
    /// The readable side started flowing (`'resume'`).
    Resume,
    /// The writable side's queue emptied after `write()` returned `false` (`'drain'`).
    Drain,
    /// The readable side delivered its last chunk (`'end'`).
    End,
    /// The writable side wrote its last chunk and ran its final hook (`'prefinish'`).
    Prefinish,
    /// The writable side finished (`'finish'`).
    Finish,
    /// The stream closed; no event follows (`'close'`).
    Close,
    /// The stream failed (`'error'`); `close` follows.
    Error(Error),
    /// A source started piping into this stream (`'pipe'`).
    Pipe,
    /// A source stopped piping into this stream (`'unpipe'`).
    Unpipe,
}

impl Event {
    /// Node's name for the event: `"data"`, `"end"`, `"finish"`, …
    pub fn name(&self) -> &'static str {
        match self {
            Event::Readable => "readable",
            Event::Data { .. } => "data",
            Event::Pause => "pause",
            Event::Resume => "resume",
            Event::Drain => "drain",
            Event::End => "end",
            Event::Prefinish => "prefinish",
            Event::Finish => "finish",
            Event::Close => "close",
            Event::Error(_) => "error",
            Event::Pipe => "pipe",
            Event::Unpipe => "unpipe",
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
