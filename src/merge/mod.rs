//! Merging files into one output: what `smerge merge` does, as a library.
//!
//! [`Merge`] is the entry point: it takes the inputs (a
//! [`ListingBuilder`](crate::fs::ListingBuilder) or entries already
//! listed), the [`MergeOptions`] (what goes around and between the files)
//! and an [`Output`] (a file replaced atomically, a file written in place
//! or appended to, standard output, any [`Writable`](crate::Writable), or
//! an [`OutputBackend`]), and decides the rest: the kernel's copy or the
//! stream engine ([`MergePath`]), the codec by the output's extension,
//! inputs already compressed with it, what standard output is, the output
//! never read as an input. It returns a [`MergeReport`], the same on every
//! path; [`Warning`]s go to a callback as they are said and into the
//! report. [`Merge::plan`] stops before writing, for a dry run.
//!
//! Around it: [`InputStage`] puts a stage of your own on every input's
//! stream; [`InputOpener`] opens inputs the merge cannot open itself; the [`manifest`] records every part (written as the merge goes,
//! and read back by [`Manifest::from_reader`]); [`merge`] and
//! [`merge_plain`] are the two paths on their own.
//!
//! # Examples
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use smerge::fs::Listing;
//! use smerge::merge::{Merge, MergeOptions, Output, WarningKind};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> smerge::Result<()> {
//! # let dir = tempfile::tempdir()?;
//! # std::fs::create_dir(dir.path().join("scripts"))?;
//! # std::fs::write(dir.path().join("scripts/b.js"), "b();\n")?;
//! # std::fs::write(dir.path().join("scripts/a.js"), "a();")?;
//! # std::fs::create_dir(dir.path().join("scripts/lib"))?;
//! # let scripts = dir.path().join("scripts");
//! # let bundle = dir.path().join("bundle.js");
//! let mut listing = Listing::builder();
//! listing.input(&scripts);
//! let mut options = MergeOptions::default();
//! options.ensure_newline = true;
//!
//! let heard = Arc::new(Mutex::new(Vec::new()));
//! let log = Arc::clone(&heard);
//! let report = Merge::new(Output::path(&bundle))
//!     .listing(listing)
//!     .options(options)
//!     .on_warning(Arc::new(move |w| log.lock().unwrap().push(w.to_string())))
//!     .run()
//!     .await?;
//!
//! assert_eq!(std::fs::read_to_string(&bundle)?, "a();\nb();\n");
//! assert_eq!(report.inputs, 2);
//! // Not recursive: the subdirectory was left out, with a warning.
//! assert_eq!(report.warnings[0].kind(), WarningKind::Listing);
//! assert!(heard.lock().unwrap()[0].contains("use -r to include them"));
//! # Ok(())
//! # }
//! ```

mod builder;
mod fast;
mod header;
pub mod manifest;
mod opener;
mod options;
mod output;
mod record;
mod report;
mod run;
mod sniff;
mod stage;
mod warning;

#[cfg(feature = "data")]
pub use crate::data::{DataMerge, DataReport};
pub use builder::{Compression, ManifestOutput, Merge, MergePlan};
#[cfg(feature = "source-map")]
pub(crate) use fast::Closing;
pub use fast::{PlainOutput, can_merge_plain, merge_plain};
pub use header::{HeaderFields, HeaderTemplate};
pub use manifest::{MANIFEST_VERSION, Manifest, ManifestPart, ManifestWriter, SkippedInput};
pub use opener::InputOpener;
pub use options::{BomMode, DEFAULT_MERGE_CHUNK_SIZE, MergeOptions};
pub use output::{Output, OutputBackend, PlainMergeFuture};
pub use record::{PartKind, PartRecord};
pub use report::{MergePath, MergeReport, PlanSummary, PlannedInput};
pub use run::{MergeCallback, MergeEvent, merge};
pub use stage::{InputContext, InputStage};
pub use warning::{Warning, WarningCallback, WarningKind, Warnings};
