//! The glob patterns of a listing's include, exclude, first and last
//! options, matched against paths relative to the input directory the way
//! `.gitignore` matches them.
//!
//! - A pattern without `/` matches a name at any depth (`*.js`, `vendor`).
//! - A pattern with `/` matches the whole relative path (`lib/*.js`,
//!   `docs/**/*.md`); a leading `/` or `./` only anchors it.
//! - `*` and `?` never match `/`; `**` matches any number of directories.
//! - A trailing `/` means a directory: `vendor/` matches every file under a
//!   directory named `vendor`.
//!
//! Exclude patterns also apply to directories, which are then not entered;
//! include, first and last patterns select files.

use std::path::Path;

use globset::{Candidate, GlobBuilder, GlobSet, GlobSetBuilder};

use crate::{Error, ErrorKind, Result};

/// One pattern, rewritten into a glob over the relative path.
struct Pattern {
    /// The glob over the path of the file or directory itself.
    glob: String,
    /// The pattern ended in `/`: it only matches directories.
    dir_only: bool,
}

impl Pattern {
    fn parse(role: &str, pattern: &str) -> Result<Pattern> {
        let invalid = |why: &str| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("invalid {role} pattern `{pattern}`: {why}"),
            )
        };
        let (body, dir_only) = match pattern.strip_suffix('/') {
            Some(body) => (body, true),
            None => (pattern, false),
        };
        let (body, anchored) = match body.strip_prefix('/').or(body.strip_prefix("./")) {
            Some(body) => (body, true),
            None => (body, body.contains('/')),
        };
        if body.is_empty() {
            return Err(invalid("it matches nothing"));
        }
        let glob = if anchored {
            body.to_owned()
        } else {
            format!("**/{body}")
        };
        compile(&glob).map_err(|e| invalid(&e.kind().to_string()))?;
        Ok(Pattern { glob, dir_only })
    }

    /// The glob that matches the files this pattern selects: the files
    /// under the directory, for a directory pattern.
    fn file_glob(&self) -> String {
        if self.dir_only {
            format!("{}/**", self.glob)
        } else {
            self.glob.clone()
        }
    }
}

fn compile(glob: &str) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(glob)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
}

/// Compiles globs that [`Pattern::parse`] made into one set; `role` names
/// them in errors.
fn glob_set<'a>(role: &str, globs: impl IntoIterator<Item = &'a str>) -> Result<GlobSet> {
    let invalid =
        |e: globset::Error| Error::new(ErrorKind::InvalidArgument, format!("{role} patterns: {e}"));
    let mut set = GlobSetBuilder::new();
    for glob in globs {
        set.add(compile(glob).map_err(invalid)?);
    }
    set.build().map_err(invalid)
}

/// Patterns that select files: include, first, last.
#[derive(Debug)]
pub(super) struct FilePatterns {
    set: GlobSet,
}

impl FilePatterns {
    /// Compiles `patterns`; `role` names them in errors (`"include"`).
    pub(super) fn new(role: &str, patterns: &[String]) -> Result<FilePatterns> {
        let globs = patterns
            .iter()
            .map(|pattern| Pattern::parse(role, pattern).map(|p| p.file_glob()))
            .collect::<Result<Vec<_>>>()?;
        Ok(FilePatterns {
            set: glob_set(role, globs.iter().map(String::as_str))?,
        })
    }

    /// True if there are no patterns.
    pub(super) fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// How many patterns there are.
    pub(super) fn len(&self) -> usize {
        self.set.len()
    }

    /// True if some pattern matches the file at `relative`.
    pub(super) fn is_match(&self, relative: &Path) -> bool {
        self.set.is_match(relative)
    }

    /// The position of the first pattern that matches the file at
    /// `relative`.
    pub(super) fn first_match(&self, relative: &Path) -> Option<usize> {
        if self.set.is_empty() {
            return None;
        }
        self.set
            .matches_candidate(&Candidate::new(relative))
            .into_iter()
            .min()
    }
}

/// Exclude patterns: they drop files, and directories with all they hold.
#[derive(Debug)]
pub(super) struct ExcludePatterns {
    /// Patterns that match files and directories alike.
    any: GlobSet,
    /// Patterns that ended in `/`.
    dirs: GlobSet,
}

impl ExcludePatterns {
    /// Compiles `patterns`.
    pub(super) fn new(patterns: &[String]) -> Result<ExcludePatterns> {
        let patterns = patterns
            .iter()
            .map(|pattern| Pattern::parse("exclude", pattern))
            .collect::<Result<Vec<_>>>()?;
        let of = |dir_only: bool| {
            glob_set(
                "exclude",
                patterns
                    .iter()
                    .filter(|p| p.dir_only == dir_only)
                    .map(|p| p.glob.as_str()),
            )
        };
        Ok(ExcludePatterns {
            any: of(false)?,
            dirs: of(true)?,
        })
    }

    /// True if there are no patterns.
    pub(super) fn is_empty(&self) -> bool {
        self.any.is_empty() && self.dirs.is_empty()
    }

    /// True if the file or directory at `relative` is excluded.
    pub(super) fn excludes(&self, relative: &Path, is_dir: bool) -> bool {
        let candidate = Candidate::new(relative);
        self.any.is_match_candidate(&candidate)
            || (is_dir && self.dirs.is_match_candidate(&candidate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(patterns: &[&str]) -> FilePatterns {
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        FilePatterns::new("include", &patterns).unwrap()
    }

    fn exclude(patterns: &[&str]) -> ExcludePatterns {
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        ExcludePatterns::new(&patterns).unwrap()
    }

    fn matches(set: &FilePatterns, path: &str) -> bool {
        set.is_match(Path::new(path))
    }

    #[test]
    fn a_pattern_without_slash_matches_the_name_at_any_depth() {
        let set = files(&["*.js"]);
        assert!(matches(&set, "a.js"));
        assert!(matches(&set, "lib/deep/a.js"));
        assert!(!matches(&set, "a.jsx"));
        assert!(!matches(&set, "a.js/b.css"));
    }

    #[test]
    fn a_pattern_with_slash_matches_the_relative_path() {
        let set = files(&["lib/*.js"]);
        assert!(matches(&set, "lib/a.js"));
        assert!(!matches(&set, "lib/deep/a.js"), "* does not cross /");
        assert!(!matches(&set, "src/lib/a.js"), "anchored at the input dir");

        let set = files(&["docs/**/*.md"]);
        assert!(matches(&set, "docs/a.md"));
        assert!(matches(&set, "docs/x/y/a.md"));
    }

    #[test]
    fn a_leading_slash_or_dot_slash_anchors() {
        for pattern in ["/a.js", "./a.js"] {
            let set = files(&[pattern]);
            assert!(matches(&set, "a.js"), "{pattern}");
            assert!(!matches(&set, "lib/a.js"), "{pattern}");
        }
    }

    #[test]
    fn a_trailing_slash_selects_the_files_under_a_directory() {
        let set = files(&["vendor/"]);
        assert!(matches(&set, "vendor/a.js"));
        assert!(matches(&set, "x/vendor/y/a.js"));
        assert!(!matches(&set, "vendor"), "a file named vendor");
    }

    #[test]
    fn first_match_reports_the_earliest_pattern() {
        let set = files(&["*.css", "a*", "*.js"]);
        assert_eq!(set.first_match(Path::new("a.js")), Some(1));
        assert_eq!(set.first_match(Path::new("b.js")), Some(2));
        assert_eq!(set.first_match(Path::new("b.txt")), None);
        assert_eq!(files(&[]).first_match(Path::new("b.txt")), None);
    }

    #[test]
    fn exclude_matches_directories_too() {
        let set = exclude(&["node_modules", "build/", "*.min.js"]);
        assert!(set.excludes(Path::new("node_modules"), true));
        assert!(set.excludes(Path::new("x/node_modules"), true));
        assert!(set.excludes(Path::new("node_modules"), false));
        assert!(set.excludes(Path::new("build"), true));
        assert!(
            !set.excludes(Path::new("build"), false),
            "build/ is for directories"
        );
        assert!(set.excludes(Path::new("lib/a.min.js"), false));
        assert!(!set.excludes(Path::new("lib/a.js"), false));
        assert!(exclude(&[]).is_empty());
    }

    #[test]
    fn invalid_patterns_are_errors_naming_them() {
        for pattern in ["", "/", "a[", "//"] {
            let err = FilePatterns::new("first", &[pattern.to_string()]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
            let text = format!("{err:#}");
            assert!(
                text.starts_with(&format!("invalid first pattern `{pattern}`: ")),
                "{text}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn matches_paths_that_are_not_utf8() {
        use std::os::unix::ffi::OsStrExt;
        let set = files(&["*.txt"]);
        assert!(set.is_match(Path::new(std::ffi::OsStr::from_bytes(b"caf\xe9.txt"))));
    }
}
