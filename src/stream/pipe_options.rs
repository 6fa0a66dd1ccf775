//! [`PipeOptions`]: the options of [`pipe`](crate::pipe) (Node's
//! `pipe(dest, options)`).

/// Options of [`pipe`](crate::pipe) (Node's `pipe(dest, options)`).
///
/// # Examples
///
/// ```
/// use smerge::PipeOptions;
///
/// assert!(PipeOptions::default().end);
/// assert!(!PipeOptions::keep_open().end);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PipeOptions {
    /// End the destinations when the source ends (default `true`).
    pub end: bool,
}

impl Default for PipeOptions {
    fn default() -> Self {
        PipeOptions { end: true }
    }
}

impl PipeOptions {
    /// Leave the destinations open when the source ends (`{end: false}`).
    pub fn keep_open() -> Self {
        PipeOptions { end: false }
    }
}
