//! The one error type of smerge's library: what went wrong, and where.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A failure in a stream, a pipeline, or a file operation.
///
/// An `Error` says what kind of failure it was ([`ErrorKind`]), what smerge
/// was doing (`"reading logs/app.3.log"`, `"stage 2 (gzip)"`), and carries the
/// underlying cause, such as the operating system's [`io::Error`].
///
/// Errors are cheap to clone (the inside is shared), because one failure in a
/// pipeline is handed to every stage it destroys.
///
/// # Examples
///
/// ```
/// use smerge::{Error, ErrorKind};
///
/// let err = Error::io(std::io::Error::from(std::io::ErrorKind::NotFound))
///     .reading("logs/app.3.log");
/// assert_eq!(err.kind(), ErrorKind::Io);
/// assert_eq!(err.path().unwrap().to_str(), Some("logs/app.3.log"));
/// assert!(err.to_string().starts_with("reading logs/app.3.log: "));
/// ```
#[derive(Clone)]
pub struct Error {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    /// What smerge was doing, outermost first: `["stage 2 (gzip)", "reading a.js"]`.
    context: Vec<String>,
    path: Option<PathBuf>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    message: Option<String>,
}

/// The kinds of [`Error`], named after the Node.js error codes they mirror
/// where one exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The operating system reported an error; [`Error::io_error`] has it.
    Io,
    /// `write()` was called after `end()` (Node: `ERR_STREAM_WRITE_AFTER_END`).
    WriteAfterEnd,
    /// The stream was destroyed before the operation could happen
    /// (Node: `ERR_STREAM_DESTROYED`).
    Destroyed,
    /// `end()` was called on a stream that already finished
    /// (Node: `ERR_STREAM_ALREADY_FINISHED`).
    AlreadyFinished,
    /// Data was pushed after the end of the stream (Node: `ERR_STREAM_PUSH_AFTER_EOF`).
    PushAfterEof,
    /// `unshift()` was called after `end` was emitted
    /// (Node: `ERR_STREAM_UNSHIFT_AFTER_END_EVENT`).
    UnshiftAfterEnd,
    /// A stream closed before it ended or finished (Node: `ERR_STREAM_PREMATURE_CLOSE`).
    PrematureClose,
    /// The operation was cancelled (Node: `AbortError`).
    Aborted,
    /// An argument was out of its allowed range (Node: `ERR_INVALID_ARG_VALUE`,
    /// `ERR_OUT_OF_RANGE`).
    InvalidArgument,
    /// The data is not what it claims to be: corrupt compressed input, a
    /// truncated or out-of-sequence frame, a file that changed size while it
    /// was read.
    InvalidData,
    /// A child process failed: it exited with a non-zero status, was killed by
    /// a signal, or stopped reading its input.
    ChildProcess,
    /// An input is the output, or the output cannot be written where asked.
    Conflict,
}

impl Error {
    /// An error of `kind` with a message of its own.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error::build(kind, Some(message.into()), None)
    }

    /// An error of `kind` with no further message.
    pub fn from_kind(kind: ErrorKind) -> Error {
        Error::build(kind, None, None)
    }

    /// An [`ErrorKind::Io`] error wrapping `err`.
    ///
    /// An `io::Error` that itself wraps an [`Error`] (as [`Error::into_io`]
    /// makes) is unwrapped rather than nested.
    pub fn io(err: io::Error) -> Error {
        if err
            .get_ref()
            .is_some_and(|inner| inner.downcast_ref::<Error>().is_some())
        {
            let inner = err.into_inner().expect("checked above");
            return *inner.downcast::<Error>().expect("checked above");
        }
        Error::build(ErrorKind::Io, None, Some(Arc::new(err)))
    }

    /// An error of `kind` caused by `source`.
    pub fn with_source(
        kind: ErrorKind,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        Error::build(kind, None, Some(Arc::new(source)))
    }

    fn build(
        kind: ErrorKind,
        message: Option<String>,
        source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    ) -> Error {
        Error {
            inner: Arc::new(Inner {
                kind,
                context: Vec::new(),
                path: None,
                source,
                message,
            }),
        }
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The file this error is about, if it is about one.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// The operating system's error, if this is one.
    pub fn io_error(&self) -> Option<&io::Error> {
        self.inner.source.as_ref()?.downcast_ref::<io::Error>()
    }

    /// True when writing failed because the reader of a pipe or socket went
    /// away (`EPIPE`).
    pub fn is_broken_pipe(&self) -> bool {
        self.io_error()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    }

    /// Adds what smerge was doing when the error happened, such as
    /// `"stage 2 (gzip)"`. The outermost context is shown first.
    pub fn context(mut self, what: impl Into<String>) -> Error {
        Arc::make_mut(&mut self.inner)
            .context
            .insert(0, what.into());
        self
    }

    /// Marks the error as happening while reading `path`.
    pub fn reading(self, path: impl AsRef<Path>) -> Error {
        self.about_path("reading", path.as_ref())
    }

    /// Marks the error as happening while writing `path`.
    pub fn writing(self, path: impl AsRef<Path>) -> Error {
        self.about_path("writing", path.as_ref())
    }

    /// Marks the error as happening while doing `verb` to `path`, as in
    /// `"opening a.js"`; the path is kept for [`Error::path`] and shown
    /// [quoted](crate::quote) (`reading 'my file.js'`).
    pub fn about_path(mut self, verb: &str, path: &Path) -> Error {
        let inner = Arc::make_mut(&mut self.inner);
        inner
            .context
            .insert(0, format!("{verb} {}", crate::quote(path)));
        if inner.path.is_none() {
            inner.path = Some(path.to_path_buf());
        }
        self
    }

    /// True if the error already says which file or stage it is about.
    pub fn has_context(&self) -> bool {
        !self.inner.context.is_empty()
    }

    /// Adds the context `what` gives, if any, to an error that does not say
    /// where it happened yet; an error that does is returned as it is, so
    /// the innermost place a failure was reported from is the one named.
    pub(crate) fn or_context<W: Into<Option<String>>>(self, what: impl FnOnce() -> W) -> Error {
        if self.has_context() {
            return self;
        }
        match what().into() {
            Some(what) => self.context(what),
            None => self,
        }
    }

    /// Wraps this error in an [`io::Error`], for `AsyncRead`/`AsyncWrite`
    /// adapters; [`Error::io`] unwraps it again.
    pub fn into_io(self) -> io::Error {
        match self.io_error() {
            Some(e) if self.inner.context.is_empty() => io::Error::new(e.kind(), self),
            _ => io::Error::other(self),
        }
    }

    fn kind_message(&self) -> &'static str {
        match self.inner.kind {
            ErrorKind::Io => "input/output error",
            ErrorKind::WriteAfterEnd => "write after end",
            ErrorKind::Destroyed => "the stream was destroyed",
            ErrorKind::AlreadyFinished => "the stream already finished",
            ErrorKind::PushAfterEof => "push after end of stream",
            ErrorKind::UnshiftAfterEnd => "unshift after the end event",
            ErrorKind::PrematureClose => "premature close",
            ErrorKind::Aborted => "the operation was aborted",
            ErrorKind::InvalidArgument => "invalid argument",
            ErrorKind::InvalidData => "invalid data",
            ErrorKind::ChildProcess => "child process failed",
            ErrorKind::Conflict => "conflicting input and output",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for what in &self.inner.context {
            write!(f, "{what}: ")?;
        }
        match (&self.inner.message, &self.inner.source) {
            (Some(message), Some(source)) => write!(f, "{message}: {source}"),
            (Some(message), None) => f.write_str(message),
            (None, Some(source)) => write!(f, "{source}"),
            (None, None) => f.write_str(self.kind_message()),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("context", &self.inner.context)
            .field("path", &self.inner.path)
            .field("message", &self.inner.message)
            .field("source", &self.inner.source)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Error {
        Error::io(err)
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error::from_kind(kind)
    }
}

/// The result of smerge's library operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_puts_outer_context_first() {
        let err = Error::io(io::Error::from(io::ErrorKind::PermissionDenied))
            .reading("a.js")
            .context("stage 1 (gzip)");
        let text = err.to_string();
        assert!(text.starts_with("stage 1 (gzip): reading a.js: "), "{text}");
        assert_eq!(err.path(), Some(Path::new("a.js")));
    }

    #[test]
    fn io_round_trip_keeps_the_error() {
        let err = Error::new(ErrorKind::InvalidData, "bad frame at byte 7");
        let back = Error::io(err.clone().into_io());
        assert_eq!(back.kind(), ErrorKind::InvalidData);
        assert_eq!(back.to_string(), "bad frame at byte 7");
    }

    #[test]
    fn broken_pipe_is_recognised_through_context() {
        let err = Error::io(io::Error::from(io::ErrorKind::BrokenPipe)).writing("-");
        assert!(err.is_broken_pipe());
    }

    #[test]
    fn kind_alone_has_a_message() {
        assert_eq!(
            Error::from_kind(ErrorKind::WriteAfterEnd).to_string(),
            "write after end"
        );
    }
}
