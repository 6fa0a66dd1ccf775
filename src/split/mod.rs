//! Taking a merged output apart again: [`split`] recreates the files a
//! merge put into an output from the output and its [`Manifest`].
//!
//! # Examples
//!
//! ```
//! use smerge::merge::Manifest;
//! use smerge::split::{SplitOptions, split};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> smerge::Result<()> {
//! # let dir = tempfile::tempdir()?;
//! # let all = dir.path().join("all.txt");
//! std::fs::write(&all, "one\ntwo\n")?;
//! let manifest = Manifest::from_reader(&br#"{"version": 1, "output": "all.txt", "parts": [
//!   {"kind": "file", "path": "a.txt", "offset": 0, "length": 4,
//!    "sha256": "2c8b08da5ce60398e1f19af0e5dccc744df274b826abe585eaba68c525434806"},
//!   {"kind": "file", "path": "sub/b.txt", "offset": 4, "length": 4,
//!    "sha256": "27dd8ed44a83ff94d557f9fd0412ed5a8cbca69ea04922d88c01184a07300a5a"}]}"#[..])?;
//! let report = split(&manifest, &all, &dir.path().join("out"), &SplitOptions::default()).await?;
//! assert_eq!(report.files, 2);
//! assert_eq!(std::fs::read_to_string(dir.path().join("out/sub/b.txt"))?, "two\n");
//! # Ok(())
//! # }
//! ```

mod cutter;
mod place;

use std::fmt;
use std::path::Path;

use crate::Result;
use crate::fs::FileSource;
use crate::merge::PartKind;
use crate::pipeline;
use crate::transforms::Decompress;
use crate::{ReadableExt, Writable};

use crate::merge::manifest::Manifest;

use self::cutter::{Cutter, Mode};
use self::place::Targets;

/// How [`split`] treats files that exist already.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct SplitOptions {
    /// Replace existing files (never a symlink, nor a directory).
    pub force: bool,
}

/// What [`split`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SplitReport {
    /// How many files it recreated.
    pub files: usize,
    /// How many bytes they hold.
    pub bytes: u64,
}

/// Recreates under `dir` (created if needed) every file part of `manifest`, read from
/// `output` (decompressed first when it starts with a gzip, zstd, xz or
/// bzip2 magic number), at the part's path.
///
/// Every part's length and SHA-256 are checked against the whole output
/// before the first file is written; each file is then written to a
/// temporary file, checked again, and put in place whole. A path that
/// would leave `dir` through a symlink is refused, and so is an existing
/// file, unless [`SplitOptions::force`].
///
/// # Errors
///
/// [`ErrorKind::InvalidData`](crate::ErrorKind::InvalidData) naming the
/// part: a SHA-256 that differs, an output shorter than a part's end; a
/// path that exists or leads through a symlink
/// ([`ErrorKind::Conflict`](crate::ErrorKind::Conflict)); failing to read
/// the output or to write a file, naming it.
pub async fn split(
    manifest: &Manifest,
    output: &Path,
    dir: &Path,
    options: &SplitOptions,
) -> Result<SplitReport> {
    let targets = Targets::plan(manifest, dir, options.force)?;
    // Every part checked first: nothing is written from a tampered output.
    read_through(output, Cutter::new(manifest, Mode::Verify)?).await?;
    std::fs::create_dir_all(dir).map_err(|e| crate::Error::io(e).writing(dir))?;
    read_through(output, Cutter::new(manifest, Mode::Write(targets))?).await?;
    let files: Vec<_> = manifest
        .parts
        .iter()
        .filter(|p| p.kind == PartKind::File)
        .collect();
    Ok(SplitReport {
        files: files.len(),
        bytes: files.iter().map(|p| p.length).sum(),
    })
}

/// Streams the output, decompressed, through `cutter`.
async fn read_through(output: &Path, cutter: Cutter) -> Result<()> {
    let source = FileSource::open(output)?.into_readable();
    pipeline(source)
        .pipe(Decompress::detect())
        .pipe(Writable::new(cutter))
        .await
        .map_err(|e| {
            if e.has_context() {
                e
            } else {
                e.reading(output)
            }
        })
}

/// A path in a message: quoted as every message quotes names.
pub(crate) fn shown(path: &Path) -> impl fmt::Display + '_ {
    crate::quote(path)
}
