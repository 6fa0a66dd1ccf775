//! [`Pump`]: what [`Compress`](super::Compress) and
//! [`Decompress`](super::Decompress) share: the input their codec has not
//! consumed, its output, and the loop that runs the codec until it needs
//! more input or the readable side is full.
//!
//! Invariant: `blocked` is true exactly when the last run stopped because a
//! push found the readable side full, so that the transform has pending
//! work to resume.

use bytes::Bytes;

use super::input::InputQueue;
use super::output::OutputBuffer;
use crate::Push;
use crate::Result;

/// Whether a step of work can be followed by another now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// Something changed: step again.
    Continue,
    /// Nothing more to do until more input comes, or the input ended and
    /// everything is done.
    Wait,
    /// The step pushed a chunk and the readable side is now full.
    Blocked,
}

/// A codec's input and output, and whether it waits for room.
#[derive(Debug, Default)]
pub(super) struct Pump {
    pub(super) input: InputQueue,
    pub(super) output: OutputBuffer,
    /// The writable side ended: no more input will come.
    pub(super) input_ended: bool,
    blocked: bool,
}

impl Pump {
    /// Queues a written chunk.
    pub(super) fn write(&mut self, chunk: Bytes) {
        self.input.push(chunk);
    }

    /// Notes that no more input will come.
    pub(super) fn end(&mut self) {
        self.input_ended = true;
    }

    /// True while the last run stopped for want of room.
    pub(super) fn is_blocked(&self) -> bool {
        self.blocked
    }

    /// Calls `step` until it waits or the readable side is full, pushing
    /// each output chunk as soon as it is full, and what is left of one at
    /// the end — also when `step` fails, before the error.
    pub(super) fn run(
        &mut self,
        out: &mut Push<'_, Bytes>,
        mut step: impl FnMut(&mut Pump, &mut Push<'_, Bytes>) -> Result<Step>,
    ) -> Result<()> {
        self.blocked = false;
        loop {
            let step = match step(self, out) {
                Ok(step) => step,
                Err(error) => {
                    // What the codec made before the data broke off goes
                    // on ahead of the error, as `zcat` prints it.
                    if !self.output.is_empty() {
                        out.push(self.output.take());
                    }
                    return Err(error);
                }
            };
            if step == Step::Blocked || (self.output.is_full() && !out.push(self.output.take())) {
                self.blocked = true;
                return Ok(());
            }
            if step == Step::Wait {
                break;
            }
        }
        if !self.output.is_empty() {
            out.push(self.output.take());
        }
        Ok(())
    }
}
