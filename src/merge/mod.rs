//! Merging files into one output: what `smerge merge` does, as a library.
//!
//! A [`Listing`](crate::fs::Listing) says which files, in which order;
//! [`MergeOptions`] say what goes around and between them; [`merge`] writes
//! them into a [`Writable`](crate::Writable) — usually an
//! [`AtomicFileSink`](crate::fs::AtomicFileSink), possibly behind a
//! compressing [`TransformSink`](crate::TransformSink).
//!
//! # Examples
//!
//! ```
//! use smerge::fs::{AtomicFileSink, Listing};
//! use smerge::merge::{merge, MergeOptions};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> smerge::Result<()> {
//! # let dir = tempfile::tempdir()?;
//! # std::fs::create_dir(dir.path().join("scripts"))?;
//! # std::fs::write(dir.path().join("scripts/b.js"), "b();\n")?;
//! # std::fs::write(dir.path().join("scripts/a.js"), "a();")?;
//! # let scripts = dir.path().join("scripts");
//! # let bundle = dir.path().join("bundle.js");
//! let listing = Listing::builder().input(&scripts).build()?;
//! let mut options = MergeOptions::default();
//! options.ensure_newline = true;
//! let mut output = AtomicFileSink::create(&bundle)?.into_writable();
//! merge(&listing, &options, &mut output, None).await?;
//! assert_eq!(std::fs::read_to_string(&bundle)?, "a();\nb();\n");
//! # Ok(())
//! # }
//! ```

mod fast;
mod header;
mod options;
mod record;
mod run;

pub use fast::{PlainOutput, can_merge_plain, merge_plain};
pub use header::{HeaderFields, HeaderTemplate};
pub use options::{BomMode, DEFAULT_MERGE_CHUNK_SIZE, MergeOptions};
pub use record::{PartKind, PartRecord};
pub use run::{MergeCallback, MergeEvent, MergeReport, merge};
