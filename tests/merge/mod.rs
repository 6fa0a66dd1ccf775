//! The merge as a library: the [`Merge`](smerge::merge::Merge) builder and
//! the manifest.

mod builder;
mod manifest;
