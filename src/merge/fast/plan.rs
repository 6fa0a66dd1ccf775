//! [`Plan`]: where every input goes in a plain merge's output, and how the
//! output is cut into pieces of work.

use std::ops::Range;

use crate::fs::Listing;
use crate::{Error, ErrorKind, Result};

/// The size of one piece of work: the output is copied in windows of this
/// many bytes, each mapped, filled and unmapped by one thread. Small enough
/// that two windows in flight keep the memory a merge touches low, large
/// enough that mapping one costs nothing next to filling it; a multiple of
/// every page size.
pub(super) const WINDOW: u64 = 4 << 20;

/// Each input's offset in the output, from the sizes the listing saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Plan {
    /// `starts[i]` is where input `i` begins; the last element is the total.
    starts: Vec<u64>,
}

/// The part of one input that falls into one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Piece {
    /// The input, by its index in the listing.
    pub(super) index: usize,
    /// The bytes of the input to copy.
    pub(super) source: Range<u64>,
    /// Where they go in the output.
    pub(super) output: u64,
    /// Whether the piece ends the input, so the copy must check that
    /// nothing follows.
    pub(super) ends_input: bool,
}

impl Plan {
    /// Lays out `entries` one after the other.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`] for an entry of unknown size, or a
    /// total that does not fit in 64 bits.
    pub(super) fn new(listing: &Listing) -> Result<Plan> {
        let mut starts = Vec::with_capacity(listing.len() + 1);
        let mut offset = 0u64;
        starts.push(0);
        for entry in listing {
            let size = entry.size().ok_or_else(|| {
                Error::new(ErrorKind::InvalidArgument, "its size is not known")
                    .reading(entry.path())
            })?;
            offset = offset.checked_add(size).ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidArgument,
                    "the inputs add up to more than 2^64 bytes",
                )
            })?;
            starts.push(offset);
        }
        Ok(Plan { starts })
    }

    /// How many inputs there are.
    pub(super) fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// The size of the output.
    pub(super) fn total(&self) -> u64 {
        self.starts[self.len()]
    }

    /// Where input `index` goes in the output.
    pub(super) fn range(&self, index: usize) -> Range<u64> {
        self.starts[index]..self.starts[index + 1]
    }

    /// How many windows the output is cut into: at least one, so that a
    /// merge of empty files still checks them.
    pub(super) fn windows(&self) -> u64 {
        self.total().div_ceil(WINDOW).max(1)
    }

    /// The bytes of the output window `window` covers.
    pub(super) fn window(&self, window: u64) -> Range<u64> {
        let start = window * WINDOW;
        start..(start + WINDOW).min(self.total())
    }

    /// The pieces of window `window`, in output order: every input
    /// overlapping it, and the empty inputs whose offset falls into it (those
    /// at the very end of the output into the last window).
    pub(super) fn pieces(&self, window: u64) -> impl Iterator<Item = Piece> + '_ {
        let bytes = self.window(window);
        let last = window + 1 == self.windows();
        (self.first_piece(bytes.start)..self.len())
            .take_while(move |&i| {
                let start = self.starts[i];
                start < bytes.end || (last && start == bytes.end)
            })
            .map(move |index| {
                let range = self.range(index);
                let output = range.start.max(bytes.start);
                let end = range.end.min(bytes.end);
                Piece {
                    index,
                    source: output - range.start..end - range.start,
                    output,
                    ends_input: range.end <= bytes.end,
                }
            })
    }

    /// The first input with bytes at or after `offset`, or that is empty and
    /// sits at `offset`: a binary search, since inputs before it end before
    /// `offset` (or at it, and are not empty).
    fn first_piece(&self, offset: u64) -> usize {
        let before = |i: usize| {
            let range = self.range(i);
            range.end < offset || (range.end == offset && !range.is_empty())
        };
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let middle = low + (high - low) / 2;
            if before(middle) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(sizes: &[u64]) -> Plan {
        let mut starts = vec![0];
        for size in sizes {
            starts.push(starts.last().unwrap() + size);
        }
        Plan { starts }
    }

    /// Every piece of every window, as (index, source, output, ends_input).
    fn all_pieces(plan: &Plan) -> Vec<(usize, Range<u64>, u64, bool)> {
        (0..plan.windows())
            .flat_map(|w| plan.pieces(w).collect::<Vec<_>>())
            .map(|p| (p.index, p.source, p.output, p.ends_input))
            .collect()
    }

    #[test]
    fn small_files_share_a_window() {
        let plan = plan(&[3, 0, 5]);
        assert_eq!(plan.total(), 8);
        assert_eq!(plan.windows(), 1);
        assert_eq!(
            all_pieces(&plan),
            [(0, 0..3, 0, true), (1, 0..0, 3, true), (2, 0..5, 3, true)]
        );
    }

    #[test]
    fn nothing_but_empty_files_is_one_empty_window() {
        let plan = plan(&[0, 0]);
        assert_eq!(plan.windows(), 1);
        assert_eq!(plan.window(0), 0..0);
        assert_eq!(all_pieces(&plan), [(0, 0..0, 0, true), (1, 0..0, 0, true)]);
        let none = Plan::new(&Listing::default()).unwrap();
        assert_eq!(none.windows(), 1);
        assert!(all_pieces(&none).is_empty());
    }

    #[test]
    fn a_file_spanning_windows_is_cut_at_their_edges() {
        let plan = plan(&[10, WINDOW * 2, 0, 1, 0]);
        assert_eq!(plan.windows(), 3);
        assert_eq!(
            all_pieces(&plan),
            [
                (0, 0..10, 0, true),
                (1, 0..WINDOW - 10, 10, false),
                (1, WINDOW - 10..2 * WINDOW - 10, WINDOW, false),
                (1, 2 * WINDOW - 10..2 * WINDOW, 2 * WINDOW, true),
                (2, 0..0, 2 * WINDOW + 10, true),
                (3, 0..1, 2 * WINDOW + 10, true),
                (4, 0..0, 2 * WINDOW + 11, true),
            ]
        );
    }

    #[test]
    fn empty_files_on_a_window_edge_go_to_the_next_window() {
        let plan = plan(&[WINDOW, 0, WINDOW, 0]);
        assert_eq!(plan.windows(), 2);
        assert_eq!(
            all_pieces(&plan),
            [
                (0, 0..WINDOW, 0, true),
                (1, 0..0, WINDOW, true),
                (2, 0..WINDOW, WINDOW, true),
                (3, 0..0, 2 * WINDOW, true),
            ]
        );
    }

    #[test]
    fn every_byte_is_in_exactly_one_piece() {
        let sizes = [WINDOW - 1, 1, 0, WINDOW + 1, 7, 0, 3 * WINDOW, WINDOW];
        let plan = plan(&sizes);
        let mut next = 0;
        let mut ends = 0;
        for (index, source, output, ends_input) in all_pieces(&plan) {
            assert_eq!(output, next);
            assert_eq!(plan.range(index).start + source.start, output);
            next += source.end - source.start;
            ends += usize::from(ends_input);
        }
        assert_eq!(next, plan.total());
        assert_eq!(ends, sizes.len());
    }
}
