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
//! - Include and exclude patterns are one ordered list each, and the last
//!   pattern that matches decides; a leading `!` negates a pattern
//!   (`--exclude '*.min.js' --exclude '!vendor.min.js'`), `\!` is a literal
//!   `!`. Patterns may be case-insensitive (`--iinclude`, `--iexclude`).
//!
//! Exclude patterns also apply to directories, which are then not entered
//! (and a file in an excluded directory cannot be taken back by a negated
//! pattern, as in `.gitignore`); include, first and last patterns select
//! files.

use std::path::Path;

use globset::{Candidate, GlobBuilder, GlobSet, GlobSetBuilder};

use crate::{Error, ErrorKind, Result};

/// A pattern as the builder was given it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct PatternText {
    pub(super) text: String,
    pub(super) case_insensitive: bool,
}

impl PatternText {
    pub(super) fn new(text: impl Into<String>, case_insensitive: bool) -> PatternText {
        PatternText {
            text: text.into(),
            case_insensitive,
        }
    }
}

/// One pattern, rewritten into a glob over the relative path.
struct Pattern {
    /// The glob over the path of the file or directory itself.
    glob: String,
    /// The pattern ended in `/`: it only matches directories.
    dir_only: bool,
    /// The pattern started with `!`: a match takes the path back.
    negated: bool,
    case_insensitive: bool,
}

impl Pattern {
    fn parse(role: &str, pattern: &PatternText, negation: bool) -> Result<Pattern> {
        let text = pattern.text.as_str();
        let invalid = |why: &str| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("invalid {role} pattern `{text}`: {why}"),
            )
        };
        let (body, negated) = match text.strip_prefix('!') {
            Some(body) if negation => (body, true),
            _ => (text, false),
        };
        let (body, dir_only) = match body.strip_suffix('/') {
            Some(body) => (body, true),
            None => (body, false),
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
        compile(&glob, pattern.case_insensitive).map_err(|e| invalid(&e.kind().to_string()))?;
        Ok(Pattern {
            glob,
            dir_only,
            negated,
            case_insensitive: pattern.case_insensitive,
        })
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

fn compile(glob: &str, case_insensitive: bool) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(glob)
        .literal_separator(true)
        .backslash_escape(true)
        .case_insensitive(case_insensitive)
        .build()
}

/// Compiles globs that [`Pattern::parse`] made into one set; `role` names
/// them in errors.
fn glob_set<'a>(role: &str, globs: impl IntoIterator<Item = (&'a str, bool)>) -> Result<GlobSet> {
    let invalid =
        |e: globset::Error| Error::new(ErrorKind::InvalidArgument, format!("{role} patterns: {e}"));
    let mut set = GlobSetBuilder::new();
    for (glob, case_insensitive) in globs {
        set.add(compile(glob, case_insensitive).map_err(invalid)?);
    }
    set.build().map_err(invalid)
}

/// Patterns that pin files: first, last. No negation: a leading `!` is
/// part of the name.
#[derive(Debug)]
pub(super) struct FilePatterns {
    set: GlobSet,
}

impl FilePatterns {
    /// Compiles `patterns`; `role` names them in errors (`"first"`).
    pub(super) fn new(role: &str, patterns: &[PatternText]) -> Result<FilePatterns> {
        let patterns = patterns
            .iter()
            .map(|pattern| Pattern::parse(role, pattern, false))
            .collect::<Result<Vec<_>>>()?;
        let globs: Vec<(String, bool)> = patterns
            .iter()
            .map(|p| (p.file_glob(), p.case_insensitive))
            .collect();
        Ok(FilePatterns {
            set: glob_set(role, globs.iter().map(|(g, ci)| (g.as_str(), *ci)))?,
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

/// An ordered list of patterns, some negated, where the last one that
/// matches a path decides: include and exclude.
#[derive(Debug)]
struct Decisive {
    set: GlobSet,
    /// For each pattern of `set`: negated, and only for directories.
    flags: Vec<(bool, bool)>,
}

impl Decisive {
    fn new(role: &str, patterns: &[PatternText], files_only: bool) -> Result<Decisive> {
        let patterns = patterns
            .iter()
            .map(|pattern| Pattern::parse(role, pattern, true))
            .collect::<Result<Vec<_>>>()?;
        let globs: Vec<(String, bool)> = patterns
            .iter()
            .map(|p| {
                let glob = if files_only {
                    p.file_glob()
                } else {
                    p.glob.clone()
                };
                (glob, p.case_insensitive)
            })
            .collect();
        Ok(Decisive {
            set: glob_set(role, globs.iter().map(|(g, ci)| (g.as_str(), *ci)))?,
            flags: patterns
                .iter()
                .map(|p| (p.negated, p.dir_only && !files_only))
                .collect(),
        })
    }

    /// `Some(true)` if the last pattern matching `relative` is a plain one,
    /// `Some(false)` if it is negated, `None` if none matches.
    fn decide(&self, relative: &Path, is_dir: bool) -> Option<bool> {
        if self.set.is_empty() {
            return None;
        }
        self.set
            .matches_candidate(&Candidate::new(relative))
            .into_iter()
            .filter(|&i| is_dir || !self.flags[i].1)
            .max()
            .map(|i| !self.flags[i].0)
    }
}

/// Include patterns: which files a walk takes.
#[derive(Debug)]
pub(super) struct IncludePatterns {
    patterns: Decisive,
    /// Whether some pattern is not negated: then a file no pattern matches
    /// is left out; with only negated patterns, it is taken.
    any_plain: bool,
}

impl IncludePatterns {
    pub(super) fn new(patterns: &[PatternText]) -> Result<IncludePatterns> {
        let patterns = Decisive::new("include", patterns, true)?;
        let any_plain = patterns.flags.iter().any(|&(negated, _)| !negated);
        Ok(IncludePatterns {
            patterns,
            any_plain,
        })
    }

    /// True if the file at `relative` is taken.
    pub(super) fn includes(&self, relative: &Path) -> bool {
        self.patterns
            .decide(relative, false)
            .unwrap_or(!self.any_plain)
    }
}

/// Exclude patterns: they drop files, and directories with all they hold.
#[derive(Debug)]
pub(super) struct ExcludePatterns {
    patterns: Decisive,
}

impl ExcludePatterns {
    /// Compiles `patterns`.
    pub(super) fn new(patterns: &[PatternText]) -> Result<ExcludePatterns> {
        Ok(ExcludePatterns {
            patterns: Decisive::new("exclude", patterns, false)?,
        })
    }

    /// True if the file or directory at `relative` is excluded.
    pub(super) fn excludes(&self, relative: &Path, is_dir: bool) -> bool {
        self.patterns.decide(relative, is_dir) == Some(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(patterns: &[&str]) -> Vec<PatternText> {
        patterns
            .iter()
            .map(|p| PatternText::new(*p, false))
            .collect()
    }

    fn files(patterns: &[&str]) -> IncludePatterns {
        IncludePatterns::new(&texts(patterns)).unwrap()
    }

    fn pins(patterns: &[&str]) -> FilePatterns {
        FilePatterns::new("first", &texts(patterns)).unwrap()
    }

    fn exclude(patterns: &[&str]) -> ExcludePatterns {
        ExcludePatterns::new(&texts(patterns)).unwrap()
    }

    fn matches(set: &IncludePatterns, path: &str) -> bool {
        set.includes(Path::new(path))
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
        let set = pins(&["*.css", "a*", "*.js"]);
        assert_eq!(set.first_match(Path::new("a.js")), Some(1));
        assert_eq!(set.first_match(Path::new("b.js")), Some(2));
        assert_eq!(set.first_match(Path::new("b.txt")), None);
        assert_eq!(pins(&[]).first_match(Path::new("b.txt")), None);
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
        assert!(!exclude(&[]).excludes(Path::new("a"), false));
    }

    #[test]
    fn the_last_matching_pattern_decides_and_bang_negates() {
        let set = exclude(&["*.min.js", "!vendor.min.js", "lib/"]);
        assert!(set.excludes(Path::new("a.min.js"), false));
        assert!(!set.excludes(Path::new("x/vendor.min.js"), false));
        assert!(set.excludes(Path::new("lib"), true));
        let set = exclude(&["!keep.js", "*.js"]);
        assert!(set.excludes(Path::new("keep.js"), false), "later wins");

        let set = files(&["*.js", "!*.test.js"]);
        assert!(matches(&set, "a.js"));
        assert!(!matches(&set, "a.test.js"));
        assert!(!matches(&set, "a.css"));
        let set = files(&["!*.md"]);
        assert!(
            matches(&set, "a.js"),
            "only negated patterns: the rest is taken"
        );
        assert!(!matches(&set, "README.md"));
        let set = files(&["\\!bang"]);
        assert!(matches(&set, "!bang"), "a backslash makes ! literal");
    }

    #[test]
    fn case_insensitive_patterns() {
        let set = IncludePatterns::new(&[PatternText::new("*.js", true)]).unwrap();
        assert!(matches(&set, "A.JS"));
        assert!(!matches(&files(&["*.js"]), "A.JS"));
        let set = ExcludePatterns::new(&[
            PatternText::new("Build/", true),
            PatternText::new("!*.KEEP", false),
        ])
        .unwrap();
        assert!(set.excludes(Path::new("build"), true));
        assert!(!set.excludes(Path::new("x.KEEP"), false));
    }

    #[test]
    fn invalid_patterns_are_errors_naming_them() {
        for pattern in ["", "/", "a[", "//"] {
            let err = FilePatterns::new("first", &texts(&[pattern])).unwrap_err();
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
        assert!(set.includes(Path::new(std::ffi::OsStr::from_bytes(b"caf\xe9.txt"))));
    }
}
