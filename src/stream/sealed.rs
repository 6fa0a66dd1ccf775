//! The supertraits that keep smerge's own traits implemented by smerge's
//! types only: public, in a module no one outside the crate can name.

/// Implemented by the stream types: [`Readable`](crate::Readable),
/// [`Writable`](crate::Writable), [`Duplex`](crate::Duplex) and
/// [`Pipeline`](crate::Pipeline).
#[allow(unreachable_pub)] // the point: public, and unreachable
pub trait Stream {}

/// Implemented by what a pipeline can pipe into.
#[allow(unreachable_pub)]
pub trait Target {}
