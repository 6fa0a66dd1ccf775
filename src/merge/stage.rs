//! [`InputStage`]: a stage of its own that a merge puts on every input's
//! stream — how format-aware merges and content trackers plug in.

use std::fmt;

use bytes::Bytes;

use crate::Duplex;
use crate::Result;
use crate::fs::Entry;
use crate::merge::warning::Warnings;

/// A stage a [`Merge`](crate::merge::Merge) puts on each input's stream,
/// after decompression and the byte order mark and line ending fixes, and
/// before the bytes are counted, hashed and written: a CSV join dropping
/// every header but the first, an NDJSON check, a tracker of the lines each
/// input adds for a source map.
///
/// The stage is asked once per input, in order, with an [`InputContext`];
/// it returns the transform for that input (or `None` to leave it as it
/// is). Warnings about an input's content go through
/// [`InputContext::warnings`], which turns them into errors under
/// `strict`.
///
/// A merge with a stage that [changes content](InputStage::changes_content)
/// takes the stream path.
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::merge::{InputContext, InputStage, Merge, Output};
/// use smerge::transforms::Exec;
/// use smerge::{Duplex, Result};
///
/// /// Every input but the first loses its first line (a CSV header).
/// #[derive(Debug)]
/// struct DropHeaders;
///
/// impl InputStage for DropHeaders {
///     fn stage(&self, input: &InputContext<'_>) -> Result<Option<Duplex<Bytes, Bytes>>> {
///         if input.position() == 0 {
///             return Ok(None);
///         }
///         Ok(Some(Exec::parse("sed 1d")?.spawn()?))
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// # let dir = tempfile::tempdir()?;
/// # std::fs::create_dir(dir.path().join("csv"))?;
/// # std::fs::write(dir.path().join("csv/1.csv"), "a,b\n1,2\n")?;
/// # std::fs::write(dir.path().join("csv/2.csv"), "a,b\n3,4\n")?;
/// # let (csv, all) = (dir.path().join("csv"), dir.path().join("all.csv"));
/// let mut listing = smerge::fs::Listing::builder();
/// listing.input(&csv);
/// Merge::new(Output::path(&all))
///     .listing(listing)
///     .input_stage(DropHeaders)
///     .run()
///     .await?;
/// assert_eq!(std::fs::read_to_string(&all)?, "a,b\n1,2\n3,4\n");
/// # Ok(())
/// # }
/// ```
pub trait InputStage: fmt::Debug + Send + Sync {
    /// The transform for one input, or `None`.
    ///
    /// # Errors
    ///
    /// An error stops the merge (or, under `keep_going`, skips the input).
    fn stage(&self, input: &InputContext<'_>) -> Result<Option<Duplex<Bytes, Bytes>>>;

    /// Whether the stage may change the bytes, which rules out the kernel's
    /// copy. The default is `true`.
    fn changes_content(&self) -> bool {
        true
    }
}

/// What an [`InputStage`] knows about the input it is asked about.
#[derive(Debug)]
pub struct InputContext<'a> {
    pub(crate) entry: &'a Entry<'a>,
    pub(crate) position: usize,
    pub(crate) count: usize,
    pub(crate) warnings: &'a Warnings,
}

impl<'a> InputContext<'a> {
    /// The input.
    pub fn entry(&self) -> &'a Entry<'a> {
        self.entry
    }

    /// How many inputs were merged before this one (skipped ones do not
    /// count): 0 for the first input written.
    pub fn position(&self) -> usize {
        self.position
    }

    /// How many inputs the merge has in all.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The merge's warnings: say problems with this input's content here.
    pub fn warnings(&self) -> &'a Warnings {
        self.warnings
    }
}
