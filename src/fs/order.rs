//! The order of the files of one input directory: a sort key, an optional
//! reversal, and the files pinned to the front or the back.

use std::cmp::Ordering;
use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::str::FromStr;

use super::entry::Record;
use super::patterns::{FilePatterns, PatternText};
use crate::{Error, ErrorKind, Result};

/// How the files of an input directory are ordered.
///
/// Every order is total and does not depend on the file system: files that
/// tie on modification time or size are put in [`SortOrder::Name`] order.
///
/// # Examples
///
/// ```
/// use smerge::fs::SortOrder;
///
/// assert_eq!("natural".parse::<SortOrder>().unwrap(), SortOrder::Natural);
/// assert_eq!(SortOrder::default(), SortOrder::Name);
/// assert_eq!(SortOrder::Mtime.to_string(), "mtime");
/// assert!("date".parse::<SortOrder>().is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SortOrder {
    /// Byte by byte on the path relative to the input directory, as
    /// `find . -type f | LC_ALL=C sort` lists them: `a.js` comes before
    /// `a/b.js` (`.` is byte 0x2E, `/` is 0x2F), and `B` before `a`.
    #[default]
    Name,
    /// Like [`SortOrder::Name`], but runs of digits compare as numbers:
    /// `part2` before `part10` (the `alphanumeric-sort` crate's order, on
    /// the relative path).
    Natural,
    /// Oldest modification time first.
    Mtime,
    /// Smallest file first.
    Size,
}

impl SortOrder {
    /// The name of the order, as [`FromStr`] reads it: `name`, `natural`,
    /// `mtime` or `size`.
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Name => "name",
            SortOrder::Natural => "natural",
            SortOrder::Mtime => "mtime",
            SortOrder::Size => "size",
        }
    }

    fn compare(self, a: &Record, b: &Record, paths: &[u8]) -> Ordering {
        let by_name = || a.relative_path(paths).cmp(b.relative_path(paths));
        match self {
            SortOrder::Name => by_name(),
            SortOrder::Natural => alphanumeric_sort::compare_str(
                String::from_utf8_lossy(a.relative_path(paths)),
                String::from_utf8_lossy(b.relative_path(paths)),
            )
            .then_with(by_name),
            SortOrder::Mtime => a.modified_key().cmp(&b.modified_key()).then_with(by_name),
            SortOrder::Size => a.size().cmp(&b.size()).then_with(by_name),
        }
    }
}

impl fmt::Display for SortOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SortOrder {
    type Err = Error;

    fn from_str(s: &str) -> Result<SortOrder> {
        match s {
            "name" => Ok(SortOrder::Name),
            "natural" => Ok(SortOrder::Natural),
            "mtime" => Ok(SortOrder::Mtime),
            "size" => Ok(SortOrder::Size),
            _ => Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("unknown sort order `{s}`: expected name, natural, mtime or size"),
            )),
        }
    }
}

/// The files pinned to the front (first patterns) and the back (last
/// patterns) of a directory's files.
#[derive(Debug)]
pub(super) struct Pins {
    first: FilePatterns,
    last: FilePatterns,
}

impl Pins {
    /// Compiles the first and last patterns.
    pub(super) fn new(first: &[PatternText], last: &[PatternText]) -> Result<Pins> {
        Ok(Pins {
            first: FilePatterns::new("first", first)?,
            last: FilePatterns::new("last", last)?,
        })
    }

    /// Which group a file goes in: one per first pattern, then the files no
    /// pattern matches, then one per last pattern. A file that several
    /// patterns match goes with the first of them, first patterns before
    /// last ones.
    fn group(&self, relative: &Path) -> usize {
        let unpinned = self.first.len();
        if let Some(i) = self.first.first_match(relative) {
            i
        } else if let Some(i) = self.last.first_match(relative) {
            unpinned + 1 + i
        } else {
            unpinned
        }
    }
}

/// Sorts the files of one input directory, whose paths are in `paths`: by
/// pin group, then by `order` (reversed if `reverse`) within each group.
pub(super) fn sort_records(
    records: &mut [Record],
    paths: &[u8],
    order: SortOrder,
    reverse: bool,
    pins: &Pins,
) {
    records.sort_unstable_by(|a, b| {
        let ordering = order.compare(a, b, paths);
        if reverse {
            ordering.reverse()
        } else {
            ordering
        }
    });
    if !(pins.first.is_empty() && pins.last.is_empty()) {
        // Stable: each group keeps the order just made.
        records.sort_by_cached_key(|record| {
            pins.group(Path::new(OsStr::from_bytes(record.relative_path(paths))))
        });
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::fs::entry::{EntryKind, Reached};

    /// Records of files, with the paths they point into.
    #[derive(Clone)]
    struct Files {
        paths: Vec<u8>,
        records: Vec<Record>,
    }

    fn files(specs: &[(&str, u64, u64)]) -> Files {
        let mut paths = Vec::new();
        let mut records = Vec::new();
        for &(relative, size, age) in specs {
            let start = paths.len();
            paths.extend_from_slice(relative.as_bytes());
            let mut record = Record::new(
                start,
                relative.len(),
                0,
                EntryKind::File,
                Reached::Walked,
                None,
            );
            record.size = size;
            record.mtime_secs = 1_000_000 - age as i64;
            record.mtime_nanos = 0;
            records.push(record);
        }
        Files { paths, records }
    }

    fn no_pins() -> Pins {
        Pins::new(&[], &[]).unwrap()
    }

    fn pin_texts(patterns: &[&str]) -> Vec<PatternText> {
        patterns
            .iter()
            .map(|p| PatternText::new(*p, false))
            .collect()
    }

    fn sorted(mut files: Files, order: SortOrder, reverse: bool, pins: &Pins) -> Vec<String> {
        sort_records(&mut files.records, &files.paths, order, reverse, pins);
        files
            .records
            .iter()
            .map(|r| String::from_utf8_lossy(r.relative_path(&files.paths)).into_owned())
            .collect()
    }

    fn names(names: &[&str]) -> Files {
        files(&names.iter().map(|n| (*n, 0, 0)).collect::<Vec<_>>())
    }

    #[test]
    fn name_order_compares_bytes_of_the_whole_path() {
        let got = sorted(
            names(&["a/b.js", "b", "a.js", "B", "a-b", "a0"]),
            SortOrder::Name,
            false,
            &no_pins(),
        );
        assert_eq!(got, ["B", "a-b", "a.js", "a/b.js", "a0", "b"]);
    }

    #[test]
    fn natural_order_compares_numbers() {
        let got = sorted(
            names(&["part10.sql", "part9.sql", "part1.sql", "part01.sql"]),
            SortOrder::Natural,
            false,
            &no_pins(),
        );
        assert_eq!(got, ["part1.sql", "part01.sql", "part9.sql", "part10.sql"]);
    }

    #[test]
    fn mtime_and_size_break_ties_by_name() {
        let entries = files(&[("c", 5, 10), ("a", 5, 30), ("b", 1, 10)]);
        assert_eq!(
            sorted(entries.clone(), SortOrder::Mtime, false, &no_pins()),
            ["a", "b", "c"]
        );
        assert_eq!(
            sorted(entries.clone(), SortOrder::Size, false, &no_pins()),
            ["b", "a", "c"]
        );
        assert_eq!(
            sorted(entries, SortOrder::Size, true, &no_pins()),
            ["c", "a", "b"]
        );
    }

    #[test]
    fn pins_put_groups_in_pattern_order() {
        let pins = Pins::new(
            &pin_texts(&["README*", "*.css"]),
            &pin_texts(&["*.min.js", "z*"]),
        )
        .unwrap();
        let entries = names(&[
            "zeta.js",
            "b.css",
            "a.min.js",
            "a.css",
            "m.js",
            "README.md",
            "z.min.js",
            "c.js",
        ]);
        assert_eq!(
            sorted(entries.clone(), SortOrder::Name, false, &pins),
            [
                "README.md",
                "a.css",
                "b.css",
                "c.js",
                "m.js",
                "a.min.js",
                "z.min.js",
                "zeta.js"
            ]
        );
        assert_eq!(
            sorted(entries, SortOrder::Name, true, &pins),
            [
                "README.md",
                "b.css",
                "a.css",
                "m.js",
                "c.js",
                "z.min.js",
                "a.min.js",
                "zeta.js"
            ],
            "reverse orders within groups, not the groups"
        );
    }

    #[test]
    fn a_file_matching_first_and_last_goes_first() {
        let pins = Pins::new(&pin_texts(&["a*"]), &pin_texts(&["*.js"])).unwrap();
        assert_eq!(
            sorted(
                names(&["b.js", "a.js", "c.txt"]),
                SortOrder::Name,
                false,
                &pins
            ),
            ["a.js", "c.txt", "b.js"]
        );
    }

    #[test]
    fn parses_and_prints_every_order() {
        for order in [
            SortOrder::Name,
            SortOrder::Natural,
            SortOrder::Mtime,
            SortOrder::Size,
        ] {
            assert_eq!(order.to_string().parse::<SortOrder>().unwrap(), order);
        }
        let err = "Name".parse::<SortOrder>().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(format!("{err:#}").contains("`Name`"));
    }

    proptest! {
        /// Sorting panics on an order that is not total, so check the
        /// natural order's consistency on names made of the characters
        /// that exercise it.
        #[test]
        fn natural_order_is_a_total_order(
            a in "[0a.\\-/19é]{0,6}",
            b in "[0a.\\-/19é]{0,6}",
            c in "[0a.\\-/19é]{0,6}",
        ) {
            let all = files(&[(&a, 0, 0), (&b, 0, 0), (&c, 0, 0)]);
            let [a, b, c] = [0, 1, 2].map(|i| &all.records[i]);
            let cmp = |x: &Record, y: &Record| SortOrder::Natural.compare(x, y, &all.paths);
            prop_assert_eq!(cmp(a, b), cmp(b, a).reverse());
            if cmp(a, b) != Ordering::Greater && cmp(b, c) != Ordering::Greater {
                prop_assert_ne!(cmp(a, c), Ordering::Greater);
            }
        }
    }
}
