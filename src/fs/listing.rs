//! [`Listing`]: the ordered list of files a merge reads, made from its
//! inputs by a [`ListingBuilder`].

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::dir_scan::{DirContents, ScanOptions, scan_dir};
use super::entry::{Entry, FileId};
use super::listed_dir::{RemoteInput, select_listed};
use super::order::{Pins, SortOrder, sort_entries};
use super::patterns::{ExcludePatterns, FilePatterns};
use crate::{Error, ErrorKind, Result};

/// The files a merge reads, in the order it reads them, with what could not
/// be read and what was skipped.
///
/// A listing is made once, before any data moves, by a [`ListingBuilder`]
/// from the merge's inputs: directories (their regular files, sorted), files,
/// and `-` for standard input, in the order given.
///
/// Unreadable inputs (a missing file, a dangling symbolic link, a directory
/// without permission, a symbolic link loop) do not stop the listing: they
/// are [`problems`](Listing::problems), and the caller
/// decides whether to stop at the first or warn and go on. Things skipped on
/// purpose (FIFOs found in a directory, the output itself, subdirectories of
/// a walk that is not recursive) are one-line [`warnings`](Listing::warnings).
///
/// A listing does not watch the files: they may change after it was made.
///
/// # Examples
///
/// ```
/// use smerge::fs::Listing;
///
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("b.js"), "b();\n")?;
/// std::fs::write(dir.path().join("a.js"), "a();\n")?;
/// std::fs::create_dir(dir.path().join("lib"))?;
/// std::fs::write(dir.path().join("lib/util.js"), "util();\n")?;
///
/// let listing = Listing::builder().recursive(true).input(dir.path()).build()?;
/// let names: Vec<_> = listing.entries().iter().map(|e| e.relative_path()).collect();
/// assert_eq!(names, ["a.js", "b.js", "lib/util.js"].map(std::path::Path::new));
/// assert_eq!(listing.total_size(), 18);
/// assert!(listing.problems().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Listing {
    entries: Vec<Entry>,
    problems: Vec<Error>,
    warnings: Vec<String>,
}

impl Listing {
    /// A builder with the defaults: not recursive, no hidden files, no
    /// `.gitignore`, symbolic links to directories not entered, sorted by
    /// [`SortOrder::Name`].
    pub fn builder() -> ListingBuilder {
        ListingBuilder::default()
    }

    /// The inputs to merge, in order; [`Entry::index`] is the position here.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// What could not be read, in the order of the inputs (and of the paths,
    /// within a directory): each error names the path and the cause
    /// (`reading logs/x: No such file or directory (os error 2)`).
    pub fn problems(&self) -> &[Error] {
        &self.problems
    }

    /// One-line messages about what was skipped on purpose, in the order of
    /// the inputs.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if there is nothing to merge.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The sum of the sizes of the entries whose size is known (standard
    /// input and streams count as 0).
    pub fn total_size(&self) -> u64 {
        self.entries
            .iter()
            .filter_map(Entry::size)
            .fold(0, u64::saturating_add)
    }

    /// The entries, problems and warnings, taken apart.
    pub fn into_parts(self) -> (Vec<Entry>, Vec<Error>, Vec<String>) {
        (self.entries, self.problems, self.warnings)
    }
}

/// Makes a [`Listing`] from a merge's inputs and options.
///
/// Each option of `smerge merge` that shapes the listing has a setter here
/// of the same name; `--files0-from` is [`read_files0`](super::read_files0)
/// followed by [`inputs`](ListingBuilder::inputs). The
/// patterns of [`include`](ListingBuilder::include),
/// [`exclude`](ListingBuilder::exclude), [`first`](ListingBuilder::first) and
/// [`last`](ListingBuilder::last) are matched against the path relative to
/// the input directory, as `.gitignore` matches: a pattern without `/`
/// matches the file name at any depth (`*.min.js`), one with `/` the whole
/// relative path (`lib/*.js`, `docs/**/*.md`), and a trailing `/` means a
/// directory (`vendor/`). Exclude patterns also keep the walk out of the
/// directories they match. Patterns, hidden files and `.gitignore` only
/// apply to the files found in directories: a file given as an input is
/// always listed.
///
/// [`build`](ListingBuilder::build) checks the patterns and reads the file
/// system; the builder can be used again afterwards.
///
/// # Examples
///
/// ```
/// use smerge::fs::{Listing, SortOrder};
///
/// let dir = tempfile::tempdir()?;
/// for name in ["part10.sql", "part9.sql", "init.sql", "notes.txt"] {
///     std::fs::write(dir.path().join(name), name)?;
/// }
/// let listing = Listing::builder()
///     .sort(SortOrder::Natural)
///     .include("*.sql")
///     .first("init.sql")
///     .input(dir.path())
///     .build()?;
/// let names: Vec<_> = listing.entries().iter().map(|e| e.name()).collect();
/// assert_eq!(names, ["init.sql", "part9.sql", "part10.sql"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ListingBuilder {
    inputs: Vec<PathBuf>,
    recursive: bool,
    hidden: bool,
    gitignore: bool,
    follow_links: bool,
    include: Vec<String>,
    exclude: Vec<String>,
    first: Vec<String>,
    last: Vec<String>,
    sort: SortOrder,
    reverse: bool,
    allow_empty: bool,
    output: Option<PathBuf>,
}

impl ListingBuilder {
    /// Adds an input: a directory, a file, or `-` for standard input. Inputs
    /// are merged in the order they are added.
    pub fn input(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.inputs.push(path.into());
        self
    }

    /// Adds several inputs, in order (for example those of
    /// [`read_files0`](super::read_files0)).
    pub fn inputs<I>(&mut self, paths: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: Into<PathBuf>,
    {
        self.inputs.extend(paths.into_iter().map(Into::into));
        self
    }

    /// Lists the files of subdirectories too (default: no; the number of
    /// subdirectories skipped is a warning).
    pub fn recursive(&mut self, yes: bool) -> &mut Self {
        self.recursive = yes;
        self
    }

    /// Lists files and enters directories whose names start with `.`
    /// (default: no).
    pub fn hidden(&mut self, yes: bool) -> &mut Self {
        self.hidden = yes;
        self
    }

    /// Skips what `.gitignore` files ignore (default: no). The `.gitignore`
    /// files in an input directory and below count even outside a git
    /// repository; inside one, those of the directories above it up to the
    /// top of the work tree, and `.git/info/exclude`, count too. The user's
    /// global excludes file does not.
    pub fn gitignore(&mut self, yes: bool) -> &mut Self {
        self.gitignore = yes;
        self
    }

    /// Enters symbolic links to directories (default: no, with a warning).
    /// A link back to a directory being walked is reported as a problem
    /// instead of being entered again. Symbolic links to files are always
    /// followed.
    pub fn follow_links(&mut self, yes: bool) -> &mut Self {
        self.follow_links = yes;
        self
    }

    /// Lists only the files some include pattern matches (repeatable; by
    /// default every file).
    pub fn include(&mut self, pattern: impl Into<String>) -> &mut Self {
        self.include.push(pattern.into());
        self
    }

    /// Skips the files and directories an exclude pattern matches
    /// (repeatable).
    pub fn exclude(&mut self, pattern: impl Into<String>) -> &mut Self {
        self.exclude.push(pattern.into());
        self
    }

    /// Puts the files this pattern matches at the front of their
    /// directory's files (repeatable: one group per pattern, in the order
    /// given, each sorted by the chosen order).
    pub fn first(&mut self, pattern: impl Into<String>) -> &mut Self {
        self.first.push(pattern.into());
        self
    }

    /// Puts the files this pattern matches at the back of their directory's
    /// files (repeatable: one group per pattern, in the order given, each
    /// sorted by the chosen order). A file matched by a first pattern stays
    /// in front.
    pub fn last(&mut self, pattern: impl Into<String>) -> &mut Self {
        self.last.push(pattern.into());
        self
    }

    /// How each directory's files are sorted (default [`SortOrder::Name`]).
    pub fn sort(&mut self, order: SortOrder) -> &mut Self {
        self.sort = order;
        self
    }

    /// Reverses the sort order within each group of files; the first and
    /// last groups stay where they are, and the inputs stay in the order
    /// given.
    pub fn reverse(&mut self, yes: bool) -> &mut Self {
        self.reverse = yes;
        self
    }

    /// Accepts an input directory with no file to merge, and no inputs at
    /// all (default: both are errors).
    pub fn allow_empty(&mut self, yes: bool) -> &mut Self {
        self.allow_empty = yes;
        self
    }

    /// The output the merge writes, so that it is never read: a file with
    /// the same device and inode found in a directory is skipped with a
    /// warning, and an input file that is the output is an
    /// [`ErrorKind::Conflict`] error. An output that does not exist yet
    /// cannot be an input. (smerge's temporary files, named as
    /// [`is_smerge_temp_name`](super::is_smerge_temp_name) says, are
    /// skipped whatever the output.)
    pub fn exclude_output(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.output = Some(path.into());
        self
    }

    /// Reads the file system and makes the listing.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::InvalidArgument`]: an invalid pattern; an input
    ///   directory with no file to merge (and no problem to explain why), or
    ///   no inputs at all, unless [`allow_empty`](ListingBuilder::allow_empty).
    /// - [`ErrorKind::Conflict`]: an input file is the output.
    ///
    /// Inputs that cannot be read are not errors here: see
    /// [`Listing::problems`]. Object URLs (`s3://BUCKET/PREFIX/`) are
    /// listed by `build_async` (with an object storage feature), not here.
    pub fn build(&self) -> Result<Listing> {
        self.build_with(Vec::new())
    }

    /// The inputs, in order.
    #[cfg(feature = "object-store")]
    pub(crate) fn input_paths(&self) -> &[PathBuf] {
        &self.inputs
    }

    /// Whether directories are listed recursively.
    #[cfg(feature = "object-store")]
    pub(crate) fn is_recursive(&self) -> bool {
        self.recursive
    }

    /// [`build`](ListingBuilder::build), with the inputs at the same
    /// positions in `remote` already listed by their own backend.
    pub(crate) fn build_with(&self, mut remote: Vec<Option<RemoteInput>>) -> Result<Listing> {
        let include = FilePatterns::new("include", &self.include)?;
        let exclude = Arc::new(ExcludePatterns::new(&self.exclude)?);
        let pins = Pins::new(&self.first, &self.last)?;
        if self.inputs.is_empty() && !self.allow_empty {
            return Err(Error::new(ErrorKind::InvalidArgument, "no inputs to merge"));
        }
        let output = self.output.as_deref().and_then(Output::find);
        let options = ScanOptions {
            recursive: self.recursive,
            hidden: self.hidden,
            gitignore: self.gitignore,
            follow_links: self.follow_links,
            include,
            exclude,
            output: output.as_ref().map(|o| o.id),
        };
        let mut listing = Listing::default();
        for (position, input) in self.inputs.iter().enumerate() {
            if let Some(remote) = remote.get_mut(position).and_then(Option::take) {
                self.add_remote(&mut listing, remote, &options, &pins)?;
                continue;
            }
            if crate::object::ObjectUrl::is_url_path(input) {
                listing.problems.push(
                    Error::new(
                        ErrorKind::InvalidArgument,
                        "object URLs are listed by ListingBuilder::build_async, \
                         in a build with object storage",
                    )
                    .reading(input),
                );
                continue;
            }
            if input.as_os_str() == "-" {
                listing.entries.push(Entry::stdin());
                continue;
            }
            let metadata = match fs::metadata(input) {
                Ok(metadata) => metadata,
                Err(err) => {
                    listing.problems.push(Error::io(err).reading(input));
                    continue;
                }
            };
            if metadata.is_dir() {
                let mut contents = scan_dir(input, &options);
                if contents.files.is_empty() && contents.problems.is_empty() && !self.allow_empty {
                    return Err(empty_dir_error(input, &contents));
                }
                sort_entries(&mut contents.files, self.sort, self.reverse, &pins);
                listing.add_dir(input, contents, output.as_ref().map(|o| o.path.as_path()));
            } else if metadata.is_file() {
                if let Some(output) = &output
                    && FileId::of(&metadata) == Some(output.id)
                {
                    return Err(output.conflict(input));
                }
                listing
                    .entries
                    .push(Entry::file(input.clone(), input.clone(), &metadata));
            } else {
                listing
                    .entries
                    .push(Entry::stream(input.clone(), &metadata));
            }
        }
        for (index, entry) in listing.entries.iter_mut().enumerate() {
            entry.index = index;
        }
        Ok(listing)
    }
}

impl ListingBuilder {
    /// Adds an input that its own backend listed: an object as an explicit
    /// file, a prefix as a directory, with the same filters and order.
    fn add_remote(
        &self,
        listing: &mut Listing,
        remote: RemoteInput,
        options: &ScanOptions,
        pins: &Pins,
    ) -> Result<()> {
        let output = self.output.as_deref();
        match remote {
            RemoteInput::Problem(error) => listing.problems.push(error),
            RemoteInput::Entry(entry) => {
                if output == Some(entry.path()) {
                    return Err(Error::new(ErrorKind::Conflict, "it is also the output")
                        .reading(entry.path()));
                }
                listing.entries.push(entry);
            }
            RemoteInput::Dir(listed) => {
                let dir = listed.dir.clone();
                let mut contents = select_listed(listed, options, output);
                if contents.files.is_empty() && !self.allow_empty {
                    return Err(empty_dir_error(&dir, &contents));
                }
                sort_entries(&mut contents.files, self.sort, self.reverse, pins);
                listing.add_dir(&dir, contents, output);
            }
        }
        Ok(())
    }
}

impl Listing {
    /// Appends what walking the input directory `dir` found, its files
    /// already sorted; problems and warnings are put in path order, so they
    /// do not depend on how the walk went.
    fn add_dir(&mut self, dir: &Path, mut contents: DirContents, output: Option<&Path>) {
        self.entries.append(&mut contents.files);

        let mut problems = contents.problems;
        problems.sort_by(|a, b| path_bytes(a.path()).cmp(path_bytes(b.path())));
        self.problems.append(&mut problems);

        let mut ignore_file_warnings = contents.ignore_file_warnings;
        ignore_file_warnings.sort();
        self.warnings.append(&mut ignore_file_warnings);

        let mut special = contents.special;
        special.sort_by(|(a, _), (b, _)| path_bytes(Some(a)).cmp(path_bytes(Some(b))));
        for (path, kind) in special {
            self.warnings.push(format!(
                "skipping {}: it is {kind}, not a regular file",
                path.display()
            ));
        }

        if let Some(output) = output {
            let mut outputs = contents.outputs;
            outputs.sort_by(|a, b| path_bytes(Some(a)).cmp(path_bytes(Some(b))));
            for path in outputs {
                self.warnings.push(format!(
                    "skipping {}: it is the output {}",
                    path.display(),
                    output.display()
                ));
            }
        }

        if contents.subdirs > 0 {
            self.warnings.push(format!(
                "skipping {}: use -r to include them",
                subdirectories_of(dir, contents.subdirs)
            ));
        }
        if contents.linked_dirs > 0 {
            let links = match contents.linked_dirs {
                1 => "1 symbolic link".to_owned(),
                n => format!("{n} symbolic links"),
            };
            self.warnings.push(format!(
                "skipping {links} to directories in {}: use --follow-links to enter them",
                dir.display()
            ));
        }
    }
}

/// `"3 subdirectories of src"`.
fn subdirectories_of(dir: &Path, count: usize) -> String {
    let noun = if count == 1 {
        "subdirectory"
    } else {
        "subdirectories"
    };
    format!("{count} {noun} of {}", dir.display())
}

fn path_bytes(path: Option<&Path>) -> &[u8] {
    path.map_or(&[], |p| p.as_os_str().as_encoded_bytes())
}

fn empty_dir_error(dir: &Path, contents: &DirContents) -> Error {
    let message = if contents.subdirs > 0 {
        format!(
            "no files to merge (skipped {}: use -r to include them)",
            subdirectories_of(dir, contents.subdirs)
        )
    } else {
        "no files to merge".to_owned()
    };
    Error::new(ErrorKind::InvalidArgument, message).about_path("listing", dir)
}

/// The output file, when it exists.
#[derive(Debug)]
struct Output {
    path: PathBuf,
    id: FileId,
}

impl Output {
    /// The output at `path`, if it exists and the platform tells files
    /// apart; a symbolic link counts as its target.
    fn find(path: &Path) -> Option<Output> {
        let metadata = fs::metadata(path).ok()?;
        Some(Output {
            path: path.to_path_buf(),
            id: FileId::of(&metadata)?,
        })
    }

    fn conflict(&self, input: &Path) -> Error {
        Error::new(
            ErrorKind::Conflict,
            format!(
                "it is also the output {} (the same file)",
                self.path.display()
            ),
        )
        .about_path("reading", input)
    }
}

#[cfg(test)]
mod tests;
