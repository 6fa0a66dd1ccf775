//! [`Warnings`]: where a merge reports problems in its inputs' content that
//! it can step over — a CSV row skipped under `keep_going`, a log record
//! out of time order — and how `strict` turns them into errors.

use std::sync::Arc;

use crate::Error;
use crate::error::Result;

type Callback = Arc<dyn Fn(&Error) + Send + Sync>;

/// Receives the warnings of a merge, or turns them into errors.
///
/// A warning is an [`Error`] that did not stop the merge: it names the
/// file and the line. With [`strict`](Warnings::strict), the first one
/// stops the merge instead.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use smerge::{Error, ErrorKind, Warnings};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = Arc::clone(&seen);
/// let warnings = Warnings::new(move |w: &Error| log.lock().unwrap().push(w.to_string()));
/// warnings.warn(Error::new(ErrorKind::InvalidData, "line 3 is out of order")).unwrap();
/// assert_eq!(seen.lock().unwrap().len(), 1);
///
/// let strict = Warnings::ignore().strict(true);
/// assert!(strict.warn(Error::new(ErrorKind::InvalidData, "out of order")).is_err());
/// ```
#[derive(Clone)]
pub struct Warnings {
    callback: Option<Callback>,
    strict: bool,
}

impl Warnings {
    /// Warnings handed to `callback`, which runs on the merge's thread.
    pub fn new(callback: impl Fn(&Error) + Send + Sync + 'static) -> Warnings {
        Warnings {
            callback: Some(Arc::new(callback)),
            strict: false,
        }
    }

    /// Warnings that go nowhere.
    pub fn ignore() -> Warnings {
        Warnings {
            callback: None,
            strict: false,
        }
    }

    /// With `strict`, every warning is an error that stops the merge.
    pub fn strict(mut self, strict: bool) -> Warnings {
        self.strict = strict;
        self
    }

    /// Whether warnings are errors.
    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// Reports `warning`.
    ///
    /// # Errors
    ///
    /// `warning` itself, when strict.
    pub fn warn(&self, warning: Error) -> Result<()> {
        if self.strict {
            return Err(warning);
        }
        if let Some(callback) = &self.callback {
            callback(&warning);
        }
        Ok(())
    }
}

impl Default for Warnings {
    fn default() -> Self {
        Warnings::ignore()
    }
}

impl std::fmt::Debug for Warnings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Warnings")
            .field("strict", &self.strict)
            .finish_non_exhaustive()
    }
}
