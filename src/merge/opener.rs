//! [`InputOpener`]: how a merge opens inputs it cannot open itself — the
//! objects of an object store, read ahead by a client made once per merge.

use std::fmt;

use bytes::Bytes;

use crate::Readable;
use crate::Result;
use crate::fs::Entry;

/// Opens some of a merge's inputs in its own way. A
/// [`Merge`](crate::merge::Merge) asks it first for every input it reads on
/// the stream path; `None` lets the merge open the input itself (a file,
/// standard input, a FIFO). One opener serves the whole merge, so it can
/// hold what is costly to make: a client, its connections, a read-ahead
/// that fetches the next inputs while one is merged.
///
/// The readable's bytes then go through the merge's stages like a file's:
/// decompression, byte order marks, line endings, [`InputStage`]s.
///
/// [`InputStage`]: crate::merge::InputStage
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::fs::{Entry, Listing};
/// use smerge::merge::{InputOpener, Merge, Output};
/// use smerge::{Readable, Result};
///
/// /// Serves `-` from memory instead of standard input.
/// #[derive(Debug)]
/// struct Canned;
///
/// impl InputOpener for Canned {
///     fn open(&self, entry: &Entry<'_>) -> Result<Option<Readable<Bytes>>> {
///         Ok((entry.path().as_os_str() == "-").then(|| Readable::from_iter([Bytes::from("canned\n")])))
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// # let dir = tempfile::tempdir()?;
/// # let out = dir.path().join("out.txt");
/// let mut listing = Listing::builder();
/// listing.input("-");
/// Merge::new(Output::path(&out)).listing(listing).input_opener(Canned).run().await?;
/// assert_eq!(std::fs::read_to_string(&out)?, "canned\n");
/// # Ok(())
/// # }
/// ```
pub trait InputOpener: fmt::Debug + Send + Sync {
    /// The readable for `entry`, or `None` for the merge to open it.
    ///
    /// # Errors
    ///
    /// An input that cannot be opened: under `keep_going` it is skipped,
    /// otherwise the merge fails.
    fn open(&self, entry: &Entry<'_>) -> Result<Option<Readable<Bytes>>>;
}
