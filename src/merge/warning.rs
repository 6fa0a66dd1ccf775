//! [`Warning`]s: what a merge says without failing, and [`Warnings`], the
//! channel every part of a merge says it through.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::{Error, ErrorKind, Result};

/// What a [`Warning`] is about; it decides whether
/// [`strict`](crate::merge::Merge::strict) turns it into an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum WarningKind {
    /// Something found while listing the inputs was left out on purpose: a
    /// FIFO in a directory, the output itself, subdirectories of a walk
    /// that is not recursive.
    Listing,
    /// An input could not be read and was skipped
    /// ([`keep_going`](crate::merge::MergeOptions::keep_going)); the merge
    /// reports failure at the end.
    Skipped,
    /// The content of an input is not what the merge expected: compressed
    /// data about to be compressed again, an input map that cannot be
    /// read, a CSV row of the wrong width, a log out of time order. Under
    /// [`strict`](crate::merge::Merge::strict), an error.
    Content,
    /// An option has no effect on this merge (`--level` when the inputs
    /// are concatenated as they are).
    Option,
    /// Not a problem: what the merge chose to do, worth saying once
    /// (`every input is gzip-compressed already: concatenating them`).
    Note,
}

impl WarningKind {
    /// The kind's name: `listing`, `skipped`, `content`, `option`, `note`.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::Listing => "listing",
            WarningKind::Skipped => "skipped",
            WarningKind::Content => "content",
            WarningKind::Option => "option",
            WarningKind::Note => "note",
        }
    }
}

/// One thing a merge has to say that is not an error: one line (which
/// names the input it is about, if any), and that input as a path.
///
/// # Examples
///
/// ```
/// use smerge::merge::{Warning, WarningKind};
///
/// let warning = Warning::content("logs/a.gz", "it is gzip-compressed: use --decompress");
/// assert_eq!(warning.kind(), WarningKind::Content);
/// assert_eq!(warning.to_string(), "logs/a.gz: it is gzip-compressed: use --decompress");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    kind: WarningKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<PathBuf>,
    message: String,
}

impl Warning {
    /// A warning of `kind`: `message` is the whole line.
    pub fn new(kind: WarningKind, message: impl Into<String>) -> Warning {
        Warning {
            kind,
            path: None,
            message: message.into(),
        }
    }

    /// A [`WarningKind::Content`] warning about the input at `path`: the
    /// line is `PATH: MESSAGE`.
    pub fn content(path: impl Into<PathBuf>, message: impl AsRef<str>) -> Warning {
        let path = path.into();
        let line = format!("{}: {}", crate::quote(&path), message.as_ref());
        Warning::new(WarningKind::Content, line).about(path)
    }

    /// The same warning, about the input at `path` (the line is unchanged).
    pub fn about(mut self, path: impl Into<PathBuf>) -> Warning {
        self.path = Some(path.into());
        self
    }

    /// What the warning is about.
    pub fn kind(&self) -> WarningKind {
        self.kind
    }

    /// The input it is about, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The line.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether this is a [`WarningKind::Note`], which tells rather than warns.
    pub fn is_note(&self) -> bool {
        self.kind == WarningKind::Note
    }

    /// The error this warning becomes under
    /// [`strict`](crate::merge::Merge::strict): [`ErrorKind::InvalidData`]
    /// with the same line.
    pub fn into_error(self) -> Error {
        Error::new(ErrorKind::InvalidData, self.message)
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A callback receiving each [`Warning`] as it is said; it runs on the
/// merge's task (or a copying thread), so it must be quick.
pub type WarningCallback = Arc<dyn Fn(&Warning) + Send + Sync>;

/// The channel a merge's warnings go through: kept for the report, handed
/// to the callback as they come, and turned into errors under `strict`.
///
/// Every part of a merge that has something to say gets a clone: the
/// listing, the path choice, the per-input stages of
/// [`InputStage`](crate::merge::InputStage) (through
/// [`InputContext::warnings`](crate::merge::InputContext::warnings)). A
/// stage reports a problem with its input's content with
/// [`warn`](Warnings::warn) and returns the error it gives under `strict`:
///
/// ```
/// use smerge::merge::{Warning, Warnings};
///
/// let lenient = Warnings::new(false, None);
/// assert!(lenient.warn(Warning::content("a.csv", "row 3 has 2 fields, not 3")).is_ok());
/// assert_eq!(lenient.take().len(), 1);
///
/// let strict = Warnings::new(true, None);
/// let error = strict.warn(Warning::content("a.csv", "row 3 has 2 fields, not 3")).unwrap_err();
/// assert_eq!(format!("{error:#}"), "a.csv: row 3 has 2 fields, not 3");
/// ```
#[derive(Clone)]
pub struct Warnings {
    strict: bool,
    said: Arc<Mutex<Vec<Warning>>>,
    callback: Option<WarningCallback>,
}

impl Warnings {
    /// A channel; with `strict`, content warnings are errors; `callback`
    /// hears every warning as it is said.
    pub fn new(strict: bool, callback: Option<WarningCallback>) -> Warnings {
        Warnings {
            strict,
            said: Arc::default(),
            callback,
        }
    }

    /// Whether content warnings are errors.
    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// Says `warning`.
    ///
    /// # Errors
    ///
    /// Under `strict`, a [`WarningKind::Content`] warning is not said but
    /// returned as an error ([`Warning::into_error`]), for the caller to
    /// fail with.
    pub fn warn(&self, warning: Warning) -> Result<()> {
        if self.strict && warning.kind() == WarningKind::Content {
            return Err(warning.into_error());
        }
        if let Some(callback) = &self.callback {
            callback(&warning);
        }
        self.said.lock().expect("warnings poisoned").push(warning);
        Ok(())
    }

    /// The warnings said so far.
    pub fn said(&self) -> Vec<Warning> {
        self.said.lock().expect("warnings poisoned").clone()
    }

    /// Takes the warnings said so far.
    pub fn take(&self) -> Vec<Warning> {
        std::mem::take(&mut *self.said.lock().expect("warnings poisoned"))
    }
}

impl fmt::Debug for Warnings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Warnings")
            .field("strict", &self.strict)
            .field("said", &self.said.lock().map(|w| w.len()).unwrap_or(0))
            .finish_non_exhaustive()
    }
}
