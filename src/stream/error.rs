//! The one error type of smerge's library: what went wrong, and where.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A failure in a stream, a pipeline, or a file operation.
///
/// An `Error` says what kind of failure it was ([`ErrorKind`]), where it
/// happened — the file ([`path`](Error::path)), the pipeline stage
/// ([`stage`](Error::stage)), or what smerge was doing — and carries the
/// underlying cause, such as the operating system's [`io::Error`].
///
/// It is a chain, as errors are in Rust: [`Display`](fmt::Display) shows
/// one layer (`"reading logs/app.3.log"`), and
/// [`source`](std::error::Error::source) gives the next one, down to the
/// failure itself, so no message is printed twice. The alternate form
/// (`{:#}`) prints the whole chain on one line, as anyhow's does:
/// `"stage 2 (gzip): reading a.js: Permission denied (os error 13)"`.
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
/// assert_eq!(err.to_string(), "reading logs/app.3.log");
/// assert_eq!(format!("{err:#}"), "reading logs/app.3.log: entity not found");
/// ```
#[derive(Clone)]
pub struct Error {
    inner: Arc<Inner>,
}

/// One layer of an [`Error`].
enum Inner {
    /// The failure itself.
    Failure {
        kind: ErrorKind,
        /// What went wrong, in smerge's words; without one the cause (or
        /// the kind) speaks.
        message: Option<String>,
        cause: Option<Arc<dyn std::error::Error + Send + Sync>>,
    },
    /// Where `error` happened.
    Context { context: Context, error: Error },
}

/// Where an error happened: one layer of context.
enum Context {
    /// Doing `verb` to a file: `"reading a.js"`.
    Path { verb: String, path: PathBuf },
    /// A pipeline stage, counted from 0 (the source): `"stage 2 (gzip)"`.
    Stage { index: usize, name: Option<String> },
    /// Anything else smerge was doing, or a stream's name.
    Doing(String),
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Context::Path { verb, path } => write!(f, "{verb} {}", crate::quote(path)),
            Context::Stage {
                index,
                name: Some(name),
            } => write!(f, "stage {index} ({name})"),
            Context::Stage { index, name: None } => write!(f, "stage {index}"),
            Context::Doing(what) => f.write_str(what),
        }
    }
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

impl ErrorKind {
    /// What an error of this kind says when it has no message of its own.
    fn message(self) -> &'static str {
        match self {
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

impl Error {
    /// An error of `kind` with a message of its own.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error::failure(kind, Some(message.into()), None)
    }

    /// An error of `kind` with no further message.
    pub fn from_kind(kind: ErrorKind) -> Error {
        Error::failure(kind, None, None)
    }

    /// Node's `ERR_STREAM_DESTROYED` for a call on a stream that failed
    /// with `cause`: of kind [`ErrorKind::Destroyed`], and `{:#}` names
    /// the cause after it.
    pub(crate) fn destroyed_by(cause: Error) -> Error {
        let message = ErrorKind::Destroyed.message().to_owned();
        Error::failure(ErrorKind::Destroyed, Some(message), Some(Arc::new(cause)))
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
        Error::failure(ErrorKind::Io, None, Some(Arc::new(err)))
    }

    /// An error of `kind` caused by `source`; it speaks with the cause's words.
    pub fn with_source(
        kind: ErrorKind,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        Error::failure(kind, None, Some(Arc::new(source)))
    }

    fn failure(
        kind: ErrorKind,
        message: Option<String>,
        cause: Option<Arc<dyn std::error::Error + Send + Sync>>,
    ) -> Error {
        Error {
            inner: Arc::new(Inner::Failure {
                kind,
                message,
                cause,
            }),
        }
    }

    fn wrap(self, context: Context) -> Error {
        Error {
            inner: Arc::new(Inner::Context {
                context,
                error: self,
            }),
        }
    }

    /// The layers, outermost first, down to the failure.
    fn layers(&self) -> impl Iterator<Item = &Error> {
        std::iter::successors(Some(self), |error| match &*error.inner {
            Inner::Context { error, .. } => Some(error),
            Inner::Failure { .. } => None,
        })
    }

    fn contexts(&self) -> impl Iterator<Item = &Context> {
        self.layers().filter_map(|error| match &*error.inner {
            Inner::Context { context, .. } => Some(context),
            Inner::Failure { .. } => None,
        })
    }

    /// The failure under every context.
    fn root(
        &self,
    ) -> (
        &ErrorKind,
        &Option<String>,
        &Option<Arc<dyn std::error::Error + Send + Sync>>,
    ) {
        match &*self.layers().last().expect("an error has a failure").inner {
            Inner::Failure {
                kind,
                message,
                cause,
            } => (kind, message, cause),
            Inner::Context { .. } => unreachable!("the last layer is the failure"),
        }
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        *self.root().0
    }

    /// The file this error is about, if it is about one (the outermost
    /// named, when several are).
    pub fn path(&self) -> Option<&Path> {
        self.contexts().find_map(|context| match context {
            Context::Path { path, .. } => Some(path.as_path()),
            _ => None,
        })
    }

    /// The pipeline stage the error happened in, if it happened in one:
    /// its index (0 for the source) and its name, if it has one.
    pub fn stage(&self) -> Option<(usize, Option<&str>)> {
        self.contexts().find_map(|context| match context {
            Context::Stage { index, name } => Some((*index, name.as_deref())),
            _ => None,
        })
    }

    /// The operating system's error, if this is one.
    pub fn io_error(&self) -> Option<&io::Error> {
        self.root().2.as_ref()?.downcast_ref::<io::Error>()
    }

    /// True when writing failed because the reader of a pipe or socket went
    /// away (`EPIPE`).
    pub fn is_broken_pipe(&self) -> bool {
        self.io_error()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    }

    /// Adds what smerge was doing when the error happened, such as
    /// `"starting gzip"`: a new outermost layer.
    pub fn context(self, what: impl Into<String>) -> Error {
        self.wrap(Context::Doing(what.into()))
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
    pub fn about_path(self, verb: &str, path: &Path) -> Error {
        self.wrap(Context::Path {
            verb: verb.to_owned(),
            path: path.to_path_buf(),
        })
    }

    /// Marks the error as happening in pipeline stage `index` (0 for the
    /// source), named `name` if it has a name; see [`Error::stage`].
    pub fn in_stage(self, index: usize, name: Option<&str>) -> Error {
        self.wrap(Context::Stage {
            index,
            name: name.map(str::to_owned),
        })
    }

    /// True if the error already says which file, stage or operation it is about.
    pub fn has_context(&self) -> bool {
        matches!(&*self.inner, Inner::Context { .. })
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

    /// [`in_stage`](Error::in_stage), for an error that does not say where
    /// it happened yet.
    pub(crate) fn or_stage(self, index: usize, name: Option<&str>) -> Error {
        if self.has_context() {
            return self;
        }
        self.in_stage(index, name)
    }

    /// An error from data that came from `origin`: it says it happened
    /// reading that file, unless it names a file already.
    pub(crate) fn or_reading(self, origin: Option<&Path>) -> Error {
        match origin {
            Some(origin) if self.path().is_none() => self.reading(origin),
            _ => self,
        }
    }

    /// Wraps this error in an [`io::Error`], for `AsyncRead`/`AsyncWrite`
    /// adapters; [`Error::io`] unwraps it again.
    pub fn into_io(self) -> io::Error {
        match self.io_error() {
            Some(e) if !self.has_context() => io::Error::new(e.kind(), self),
            _ => io::Error::other(self),
        }
    }
}

impl Error {
    /// This layer alone.
    fn fmt_layer(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.inner {
            Inner::Context { context, .. } => write!(f, "{context}"),
            Inner::Failure {
                message: Some(message),
                ..
            } => f.write_str(message),
            // Without a message of its own, the cause speaks for it.
            Inner::Failure {
                cause: Some(cause), ..
            } => write!(f, "{cause}"),
            Inner::Failure { kind, .. } => f.write_str(kind.message()),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_layer(f)?;
        if f.alternate() {
            // The whole chain on one line, as anyhow's `{:#}`.
            let mut cause = std::error::Error::source(self);
            while let Some(error) = cause {
                write!(f, ": {error}")?;
                cause = error.source();
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let contexts: Vec<String> = self.contexts().map(ToString::to_string).collect();
        let (kind, message, cause) = self.root();
        f.debug_struct("Error")
            .field("kind", kind)
            .field("context", &contexts)
            .field("message", message)
            .field("cause", cause)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.inner {
            Inner::Context { error, .. } => Some(error),
            Inner::Failure {
                message: Some(_),
                cause: Some(cause),
                ..
            } => Some(&**cause as &(dyn std::error::Error + 'static)),
            // The cause is what was displayed: its own source comes next.
            Inner::Failure {
                message: None,
                cause: Some(cause),
                ..
            } => cause.source(),
            Inner::Failure { cause: None, .. } => None,
        }
    }
}

impl From<Error> for io::Error {
    fn from(error: Error) -> io::Error {
        error.into_io()
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
    fn display_shows_one_layer_and_the_alternate_form_the_chain() {
        let err = Error::io(io::Error::from(io::ErrorKind::PermissionDenied))
            .reading("a.js")
            .in_stage(1, Some("gzip"));
        assert_eq!(err.to_string(), "stage 1 (gzip)");
        assert_eq!(
            format!("{err:#}"),
            "stage 1 (gzip): reading a.js: permission denied"
        );
        assert_eq!(err.path(), Some(Path::new("a.js")));
        assert_eq!(err.stage(), Some((1, Some("gzip"))));
        assert_eq!(err.kind(), ErrorKind::Io);
    }

    #[test]
    fn no_message_is_printed_twice_down_the_chain() {
        let err = Error::new(ErrorKind::InvalidData, "bad frame")
            .reading("a.bin")
            .context("unframe");
        let mut layers = Vec::new();
        let mut next: Option<&dyn std::error::Error> = Some(&err);
        while let Some(layer) = next {
            layers.push(layer.to_string());
            next = layer.source();
        }
        assert_eq!(layers, ["unframe", "reading a.bin", "bad frame"]);
        let io = Error::io(io::Error::other("disk on fire")).writing("out");
        assert_eq!(format!("{io:#}"), "writing out: disk on fire");
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
