//! [`Listing`]: the ordered list of files a merge reads, made from its
//! inputs by a [`ListingBuilder`].

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fmt;
use std::iter::FusedIterator;
use std::ops::Range;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, CWD, FileType};

use super::dir_scan::{DirContents, ScanOptions, Sink, scan_dir};
use super::entry::{Entry, EntryKind, FileId, Reached, Record};
use super::listed_dir::{RemoteEntry, RemoteInput, select_listed};
use super::open::stat_at;
use super::order::{Pins, SortOrder, sort_records};
use super::path_list::PathList;
use super::patterns::{ExcludePatterns, IncludePatterns, PatternText};
use crate::quote;
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
/// a walk that is not recursive, symbolic links not followed, a file found
/// twice) are one-line [`warnings`](Listing::warnings).
///
/// A listing keeps every path in one buffer and a small fixed-size record
/// per file, so a listing of millions of files costs little more than
/// their names. Its [`Entry`]s are views into it.
///
/// A listing does not watch the files: they may change after it was made;
/// [`Entry::open`] refuses a file that is no longer the one listed.
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
/// let names: Vec<_> = listing.entries().map(|e| e.relative_path()).collect();
/// assert_eq!(names, ["a.js", "b.js", "lib/util.js"].map(std::path::Path::new));
/// assert_eq!(listing.total_size(), 18);
/// assert!(listing.problems().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct Listing {
    /// Every path, one after the other.
    paths: Vec<u8>,
    records: Vec<Record>,
    problems: Vec<Error>,
    warnings: Vec<String>,
}

impl Listing {
    /// A builder with the defaults: not recursive, no hidden files, no
    /// ignore files, symbolic links in directories not followed, sorted by
    /// [`SortOrder::Name`].
    pub fn builder() -> ListingBuilder {
        ListingBuilder::default()
    }

    /// The inputs to merge, in order; [`Entry::index`] is the position here.
    pub fn entries(&self) -> Entries<'_> {
        Entries {
            listing: self,
            range: 0..self.records.len(),
        }
    }

    /// The entry at `index`, from 0.
    pub fn get(&self, index: usize) -> Option<Entry<'_>> {
        Some(Entry {
            record: self.records.get(index)?,
            paths: &self.paths,
            index,
        })
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
        self.records.len()
    }

    /// True if there is nothing to merge.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The sum of the sizes of the entries whose size is known (standard
    /// input and streams count as 0).
    pub fn total_size(&self) -> u64 {
        self.records
            .iter()
            .filter_map(Record::size)
            .fold(0, u64::saturating_add)
    }

    /// Keeps only the entries `keep` says yes to, in order; the others are
    /// left out (their indices given to those after them).
    ///
    /// # Examples
    ///
    /// ```
    /// use smerge::fs::{EntryKind, Listing};
    ///
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("a.txt"), "a")?;
    /// let mut listing = Listing::builder().input("-").input(dir.path()).build()?;
    /// listing.retain(|entry| entry.kind() == EntryKind::File);
    /// assert_eq!(listing.len(), 1);
    /// assert_eq!(listing.get(0).unwrap().index(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retain(&mut self, mut keep: impl FnMut(&Entry<'_>) -> bool) {
        let mut kept = 0;
        for index in 0..self.records.len() {
            let entry = Entry {
                record: &self.records[index],
                paths: &self.paths,
                index,
            };
            if keep(&entry) {
                self.records.swap(kept, index);
                kept += 1;
            }
        }
        self.records.truncate(kept);
    }

    /// Appends `path` to the buffer and returns where it starts.
    fn push_path(&mut self, path: &[u8]) -> usize {
        let start = self.paths.len();
        self.paths.extend_from_slice(path);
        start
    }
}

impl fmt::Debug for Listing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listing")
            .field("entries", &self.entries().collect::<Vec<_>>())
            .field("problems", &self.problems)
            .field("warnings", &self.warnings)
            .finish()
    }
}

impl<'a> IntoIterator for &'a Listing {
    type Item = Entry<'a>;
    type IntoIter = Entries<'a>;

    fn into_iter(self) -> Entries<'a> {
        self.entries()
    }
}

/// The entries of a [`Listing`], in order: made by [`Listing::entries`].
#[derive(Clone, Debug)]
pub struct Entries<'a> {
    listing: &'a Listing,
    range: Range<usize>,
}

impl<'a> Iterator for Entries<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        let index = self.range.next()?;
        self.listing.get(index)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.range.size_hint()
    }

    fn nth(&mut self, n: usize) -> Option<Entry<'a>> {
        let index = self.range.nth(n)?;
        self.listing.get(index)
    }
}

impl DoubleEndedIterator for Entries<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let index = self.range.next_back()?;
        self.listing.get(index)
    }
}

impl ExactSizeIterator for Entries<'_> {}

impl FusedIterator for Entries<'_> {}

/// Makes a [`Listing`] from a merge's inputs and options.
///
/// Each option of `smerge merge` that shapes the listing has a setter here
/// of the same name; `--files0-from` is [`read_files0`](super::read_files0)
/// followed by [`input_list`](ListingBuilder::input_list). The
/// patterns of [`include`](ListingBuilder::include),
/// [`exclude`](ListingBuilder::exclude), [`first`](ListingBuilder::first) and
/// [`last`](ListingBuilder::last) are matched against the path relative to
/// the input directory, as `.gitignore` matches: a pattern without `/`
/// matches the file name at any depth (`*.min.js`), one with `/` the whole
/// relative path (`lib/*.js`, `docs/**/*.md`), and a trailing `/` means a
/// directory (`vendor/`). Among the include patterns, and among the exclude
/// patterns, the last one that matches decides, and a leading `!` negates
/// one (`\!` is a literal `!`). Exclude patterns also keep the walk out of
/// the directories they match. Patterns, hidden files, ignore files and
/// symbolic links only matter for the files found in directories: a file
/// given as an input is always listed (through its symbolic links).
///
/// A directory named `.git` is never entered, whatever the options.
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
/// for name in ["part10.sql", "part9.sql", "init.sql", "notes.txt", "draft.sql"] {
///     std::fs::write(dir.path().join(name), name)?;
/// }
/// let listing = Listing::builder()
///     .sort(SortOrder::Natural)
///     .include("*.sql")
///     .include("!draft.*")
///     .first("init.sql")
///     .input(dir.path())
///     .build()?;
/// let names: Vec<_> = listing.entries().map(|e| e.name()).collect();
/// assert_eq!(names, ["init.sql", "part9.sql", "part10.sql"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ListingBuilder {
    inputs: PathList,
    recursive: bool,
    hidden: bool,
    gitignore: bool,
    follow_links: bool,
    include: Vec<PatternText>,
    exclude: Vec<PatternText>,
    first: Vec<PatternText>,
    last: Vec<PatternText>,
    sort: SortOrder,
    reverse: bool,
    allow_empty: bool,
    output: Option<PathBuf>,
}

impl ListingBuilder {
    /// Adds an input: a directory, a file, or `-` for standard input. Inputs
    /// are merged in the order they are added.
    pub fn input(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.inputs.push(path);
        self
    }

    /// Adds several inputs, in order.
    pub fn inputs<I>(&mut self, paths: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: AsRef<Path>,
    {
        self.inputs.extend(paths);
        self
    }

    /// Adds every input of `list`, in order (for example those of
    /// [`read_files0`](super::read_files0)), without a copy per name.
    pub fn input_list(&mut self, list: PathList) -> &mut Self {
        if self.inputs.is_empty() {
            self.inputs = list;
        } else {
            self.inputs.append(&list);
        }
        self
    }

    /// Lists the files of subdirectories too (default: no; the number of
    /// subdirectories skipped is a warning).
    pub fn recursive(&mut self, yes: bool) -> &mut Self {
        self.recursive = yes;
        self
    }

    /// Lists files and enters directories whose names start with `.`
    /// (default: no). `.git` is never entered.
    pub fn hidden(&mut self, yes: bool) -> &mut Self {
        self.hidden = yes;
        self
    }

    /// Skips what ignore files ignore (default: no), as ripgrep and fd do:
    /// `.gitignore` and `.ignore` files (`.ignore` wins where both have a
    /// say), and `.git/info/exclude`. Those in an input directory and below
    /// count even outside a git repository; inside one, those of the
    /// directories above it up to the top of the work tree count too. The
    /// user's global excludes file does not.
    pub fn gitignore(&mut self, yes: bool) -> &mut Self {
        self.gitignore = yes;
        self
    }

    /// Follows symbolic links found in directories (default: no, with one
    /// warning per directory counting them), to files and directories
    /// alike. A link back to a directory being walked is reported as a
    /// problem instead of being entered again. Inputs given by name are
    /// always followed, as `cat` follows them.
    pub fn follow_links(&mut self, yes: bool) -> &mut Self {
        self.follow_links = yes;
        self
    }

    /// Lists only the files the include patterns take (repeatable; by
    /// default every file): those whose last matching pattern is not
    /// negated. With only negated patterns, every file they do not match.
    pub fn include(&mut self, pattern: impl Into<String>) -> &mut Self {
        self.include.push(PatternText::new(pattern, false));
        self
    }

    /// [`include`](ListingBuilder::include) with a pattern that ignores
    /// case (`*.js` takes `A.JS`), as ripgrep's `--iglob`.
    pub fn include_ignoring_case(&mut self, pattern: impl Into<String>) -> &mut Self {
        self.include.push(PatternText::new(pattern, true));
        self
    }

    /// Skips the files and directories an exclude pattern matches
    /// (repeatable; a later negated pattern takes a file back).
    pub fn exclude(&mut self, pattern: impl Into<String>) -> &mut Self {
        self.exclude.push(PatternText::new(pattern, false));
        self
    }

    /// [`exclude`](ListingBuilder::exclude) with a pattern that ignores
    /// case.
    pub fn exclude_ignoring_case(&mut self, pattern: impl Into<String>) -> &mut Self {
        self.exclude.push(PatternText::new(pattern, true));
        self
    }

    /// Puts the files this pattern matches at the front of their
    /// directory's files (repeatable: one group per pattern, in the order
    /// given, each sorted by the chosen order).
    pub fn first(&mut self, pattern: impl Into<String>) -> &mut Self {
        self.first.push(PatternText::new(pattern, false));
        self
    }

    /// Puts the files this pattern matches at the back of their directory's
    /// files (repeatable: one group per pattern, in the order given, each
    /// sorted by the chosen order). A file matched by a first pattern stays
    /// in front.
    pub fn last(&mut self, pattern: impl Into<String>) -> &mut Self {
        self.last.push(PatternText::new(pattern, false));
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
    /// A file reached twice in one directory walk (a symbolic link and its
    /// target with [`follow_links`](ListingBuilder::follow_links), two hard
    /// links) is listed once, where it comes first, with a warning; an
    /// input named twice is listed twice, as `cat` reads it twice.
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
    pub(crate) fn input_paths(&self) -> &PathList {
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
        let include = IncludePatterns::new(&self.include)?;
        let exclude = ExcludePatterns::new(&self.exclude)?;
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
        listing.records.reserve_exact(self.inputs.len());
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
            let bytes = input.as_os_str().as_bytes();
            if bytes == b"-" {
                let start = listing.push_path(bytes);
                listing.records.push(Record::new(
                    start,
                    1,
                    0,
                    EntryKind::Stdin,
                    Reached::Named,
                    None,
                ));
                continue;
            }
            let stat = match stat_at(CWD, bytes, AtFlags::empty()) {
                Ok(stat) => stat,
                Err(err) => {
                    listing.problems.push(Error::io(err).reading(input));
                    continue;
                }
            };
            match FileType::from_raw_mode(stat.st_mode) {
                FileType::Directory => {
                    let first = listing.records.len();
                    let mut sink = Sink {
                        paths: &mut listing.paths,
                        records: &mut listing.records,
                    };
                    let contents = scan_dir(input, &options, &mut sink);
                    if contents.files == 0 && contents.problems.is_empty() && !self.allow_empty {
                        return Err(empty_dir_error(input, &contents));
                    }
                    sort_records(
                        &mut listing.records[first..],
                        &listing.paths,
                        self.sort,
                        self.reverse,
                        &pins,
                    );
                    listing.drop_duplicates(first);
                    let output = output.as_ref().map(|o| o.path.as_path());
                    listing.add_dir(input, contents, output);
                }
                FileType::RegularFile => {
                    if let Some(output) = &output
                        && FileId::of_stat(&stat) == output.id
                    {
                        return Err(output.conflict(input));
                    }
                    let start = listing.push_path(bytes);
                    listing.records.push(Record::new(
                        start,
                        bytes.len(),
                        0,
                        EntryKind::File,
                        Reached::Named,
                        Some(&stat),
                    ));
                }
                _ => {
                    let start = listing.push_path(bytes);
                    listing.records.push(Record::new(
                        start,
                        bytes.len(),
                        0,
                        EntryKind::Stream,
                        Reached::Named,
                        Some(&stat),
                    ));
                }
            }
        }
        listing.records.shrink_to_fit();
        listing.paths.shrink_to_fit();
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
                if output == Some(entry.path.as_path()) {
                    return Err(Error::new(ErrorKind::Conflict, "it is also the output")
                        .reading(&entry.path));
                }
                listing.push_remote(&entry, 0);
            }
            RemoteInput::Dir(listed) => {
                let dir = listed.dir.clone();
                let selected = select_listed(listed, options, output);
                if selected.files.is_empty() && !self.allow_empty {
                    let contents = DirContents {
                        subdirs: selected.subdirs,
                        ..DirContents::default()
                    };
                    return Err(empty_dir_error(&dir, &contents));
                }
                let first = listing.records.len();
                for entry in &selected.files {
                    // The key below the prefix ends the URL.
                    let (path, key) = (entry.path.as_os_str(), entry.relative.as_os_str());
                    let relative = if path.as_bytes().ends_with(key.as_bytes()) {
                        path.len() - key.len()
                    } else {
                        0
                    };
                    listing.push_remote(entry, relative);
                }
                sort_records(
                    &mut listing.records[first..],
                    &listing.paths,
                    self.sort,
                    self.reverse,
                    pins,
                );
                let contents = DirContents {
                    files: selected.files.len(),
                    outputs: selected.outputs,
                    subdirs: selected.subdirs,
                    ..DirContents::default()
                };
                listing.add_dir(&dir, contents, output);
            }
        }
        Ok(())
    }
}

impl Listing {
    /// Appends an object listed by its backend; its relative path starts
    /// `relative` bytes into its URL.
    fn push_remote(&mut self, entry: &RemoteEntry, relative: usize) {
        let path = entry.path.as_os_str().as_bytes();
        let start = self.push_path(path);
        let etag = entry.etag.as_ref().map(|etag| {
            let at = self.push_path(etag.as_bytes());
            at..at + etag.len()
        });
        self.records.push(Record::object(
            start,
            path.len(),
            relative,
            entry.size,
            entry.modified,
            etag,
        ));
    }

    /// Removes, from the records of one walk (from `first` on, sorted), the
    /// files met before, with a warning naming both.
    fn drop_duplicates(&mut self, first: usize) {
        let mut seen: HashMap<FileId, usize> = HashMap::new();
        let mut kept = first;
        for index in first..self.records.len() {
            let record = &self.records[index];
            if let Some(id) = record.id() {
                if let Some(&original) = seen.get(&id) {
                    let path = |r: &Record| Path::new(OsStr::from_bytes(r.path(&self.paths)));
                    self.warnings.push(format!(
                        "skipping {}: it is the same file as {}",
                        quote(path(record)),
                        quote(path(&self.records[original]))
                    ));
                    continue;
                }
                seen.insert(id, kept);
            }
            self.records.swap(kept, index);
            kept += 1;
        }
        self.records.truncate(kept);
    }

    /// Adds what walking the input directory `dir` found besides its files;
    /// problems and warnings are put in path order, so they do not depend on
    /// how the walk went.
    fn add_dir(&mut self, dir: &Path, contents: DirContents, output: Option<&Path>) {
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
                quote(&path)
            ));
        }

        if let Some(output) = output {
            let mut outputs = contents.outputs;
            outputs.sort_by(|a, b| path_bytes(Some(a)).cmp(path_bytes(Some(b))));
            for path in outputs {
                self.warnings.push(format!(
                    "skipping {}: it is the output {}",
                    quote(&path),
                    quote(output)
                ));
            }
        }

        if contents.subdirs > 0 {
            self.warnings.push(format!(
                "skipping {}: use -r to include them",
                subdirectories_of(dir, contents.subdirs)
            ));
        }
        if contents.links > 0 {
            let (links, them) = match contents.links {
                1 => ("1 symbolic link".to_owned(), "it"),
                n => (format!("{n} symbolic links"), "them"),
            };
            self.warnings.push(format!(
                "skipping {links} in {}: use --follow-links to follow {them}",
                quote(dir)
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
    format!("{count} {noun} of {}", quote(dir))
}

fn path_bytes(path: Option<&Path>) -> &[u8] {
    path.map_or(&[], |p| p.as_os_str().as_bytes())
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
    /// The output at `path`, if it exists; a symbolic link counts as its
    /// target.
    fn find(path: &Path) -> Option<Output> {
        let metadata = std::fs::metadata(path).ok()?;
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
                quote(&self.path)
            ),
        )
        .about_path("reading", input)
    }
}

#[cfg(test)]
mod tests;
