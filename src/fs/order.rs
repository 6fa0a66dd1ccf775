//! The order of the files of one input directory: a sort key, an optional
//! reversal, and the files pinned to the front or the back.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::entry::Entry;
use super::patterns::FilePatterns;
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

    fn compare(self, a: &Entry, b: &Entry) -> Ordering {
        match self {
            SortOrder::Name => by_name(a, b),
            SortOrder::Natural => alphanumeric_sort::compare_str(
                a.relative.to_string_lossy(),
                b.relative.to_string_lossy(),
            )
            .then_with(|| by_name(a, b)),
            SortOrder::Mtime => a.modified.cmp(&b.modified).then_with(|| by_name(a, b)),
            SortOrder::Size => a.size.cmp(&b.size).then_with(|| by_name(a, b)),
        }
    }
}

fn by_name(a: &Entry, b: &Entry) -> Ordering {
    let a = a.relative.as_os_str().as_encoded_bytes();
    a.cmp(b.relative.as_os_str().as_encoded_bytes())
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
    pub(super) fn new(first: &[String], last: &[String]) -> Result<Pins> {
        Ok(Pins {
            first: FilePatterns::new("first", first)?,
            last: FilePatterns::new("last", last)?,
        })
    }

    /// Which group a file goes in: one per first pattern, then the files no
    /// pattern matches, then one per last pattern. A file that several
    /// patterns match goes with the first of them, first patterns before
    /// last ones.
    fn group(&self, entry: &Entry) -> usize {
        let unpinned = self.first.len();
        if let Some(i) = self.first.first_match(&entry.relative) {
            i
        } else if let Some(i) = self.last.first_match(&entry.relative) {
            unpinned + 1 + i
        } else {
            unpinned
        }
    }
}

/// Sorts the files of one input directory: by pin group, then by `order`
/// (reversed if `reverse`) within each group.
pub(super) fn sort_entries(entries: &mut Vec<Entry>, order: SortOrder, reverse: bool, pins: &Pins) {
    let compare = |a: &Entry, b: &Entry| {
        let ordering = order.compare(a, b);
        if reverse {
            ordering.reverse()
        } else {
            ordering
        }
    };
    if pins.first.is_empty() && pins.last.is_empty() {
        entries.sort_unstable_by(compare);
        return;
    }
    let mut grouped: Vec<(usize, Entry)> = entries.drain(..).map(|e| (pins.group(&e), e)).collect();
    grouped.sort_unstable_by(|(ga, a), (gb, b)| ga.cmp(gb).then_with(|| compare(a, b)));
    entries.extend(grouped.into_iter().map(|(_, e)| e));
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::{Duration, SystemTime};

    use proptest::prelude::*;

    use super::*;
    use crate::fs::entry::EntryKind;

    fn entry(relative: &str, size: u64, age: u64) -> Entry {
        Entry {
            path: PathBuf::from(relative),
            relative: PathBuf::from(relative),
            kind: EntryKind::File,
            size: Some(size),
            modified: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 - age)),
            id: None,
            index: 0,
            etag: None,
        }
    }

    fn no_pins() -> Pins {
        Pins::new(&[], &[]).unwrap()
    }

    fn sorted(
        mut entries: Vec<Entry>,
        order: SortOrder,
        reverse: bool,
        pins: &Pins,
    ) -> Vec<String> {
        sort_entries(&mut entries, order, reverse, pins);
        entries
            .iter()
            .map(|e| e.relative.to_string_lossy().into_owned())
            .collect()
    }

    fn names(names: &[&str]) -> Vec<Entry> {
        names.iter().map(|n| entry(n, 0, 0)).collect()
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
        let entries = vec![entry("c", 5, 10), entry("a", 5, 30), entry("b", 1, 10)];
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
            &["README*".to_string(), "*.css".to_string()],
            &["*.min.js".to_string(), "z*".to_string()],
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
        let pins = Pins::new(&["a*".to_string()], &["*.js".to_string()]).unwrap();
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
            let [a, b, c] = [a, b, c].map(|n| entry(&n, 0, 0));
            let cmp = |x: &Entry, y: &Entry| SortOrder::Natural.compare(x, y);
            prop_assert_eq!(cmp(&a, &b), cmp(&b, &a).reverse());
            if cmp(&a, &b) != Ordering::Greater && cmp(&b, &c) != Ordering::Greater {
                prop_assert_ne!(cmp(&a, &c), Ordering::Greater);
            }
        }
    }
}
