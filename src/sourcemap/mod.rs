//! Source maps for merged bundles: the map of `smerge --source-map`.
//!
//! A merge given [`SourceMapOptions`] (in
//! [`MergeOptions::source_map`](crate::merge::MergeOptions::source_map))
//! writes a source map (version 3) beside its bundle, or inline at its end,
//! while it writes the bundle:
//!
//! - an input that ends with its own `sourceMappingURL` comment (a map file
//!   beside it, or a `data:` URL; JavaScript and CSS forms) is *composed*:
//!   its positions map to the sources of its own map ([`InputMap`], index
//!   maps included), and the comment itself is left out of the bundle
//!   ([`MapComment`]);
//! - any other input maps line by line to itself;
//! - banner, headers, separators, added newlines and footer map to nothing.
//!
//! Columns count UTF-16 code units and lines end at `\n` ([`TextShape`]),
//! as the format does. An input map that cannot be read or decoded is a
//! [`WarningKind::Content`](crate::merge::WarningKind::Content) warning of
//! the merge (the input is then mapped to itself), or an error under
//! [`Merge::strict`](crate::merge::Merge::strict).
//!
//! A plain merge (no other content option) keeps the kernel's copy for the
//! bundle: the inputs' bytes before their own comments are copied as they
//! are, while the map's thread measures them.
//!
//! Memory stays bounded by the largest input map: `mappings` are written as
//! they are made, `sourcesContent` and `names` wait in unnamed temporary
//! files until the end.
//!
//! # Examples
//!
//! ```
//! use smerge::fs::{AtomicFileSink, Listing};
//! use smerge::merge::{merge, MergeOptions};
//! use smerge::sourcemap::{MapTarget, SourceMapOptions};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> smerge::Result<()> {
//! # let dir = tempfile::tempdir()?;
//! # std::fs::create_dir(dir.path().join("src"))?;
//! # std::fs::write(dir.path().join("src/a.js"), "a();\n")?;
//! # std::fs::write(dir.path().join("src/b.js"), "b();\n")?;
//! # let src = dir.path().join("src");
//! # let bundle = dir.path().join("bundle.js");
//! let listing = Listing::builder().input(&src).build()?;
//! let mut options = MergeOptions::default();
//! options.source_map = Some(SourceMapOptions::for_output(&bundle, MapTarget::Beside));
//! let mut output = AtomicFileSink::create(&bundle)?.into_writable();
//! merge(&listing, &options, &mut output, None).await?;
//!
//! assert_eq!(
//!     std::fs::read_to_string(&bundle)?,
//!     "a();\nb();\n//# sourceMappingURL=bundle.js.map\n"
//! );
//! let map = std::fs::read_to_string(dir.path().join("bundle.js.map"))?;
//! assert!(map.contains(r#""sources":["src/a.js","src/b.js"]"#));
//! assert!(map.contains(r#""mappings":"AAAA;ACAA;""#));
//! # Ok(())
//! # }
//! ```

mod bundle;
mod cache;
mod comment;
mod input;
mod measure;
mod options;
mod paths;
mod shape;
mod writer;

pub(crate) use bundle::{BundleMap, Prepared, plain_closing};
pub use cache::MapCache;
pub use comment::MapComment;
pub(crate) use comment::StripComment;
pub use input::InputMap;
pub(crate) use measure::{MeasureShape, Measured, Truncate};
pub use options::{CommentStyle, MapTarget, SourceMapOptions};
pub use shape::TextShape;
