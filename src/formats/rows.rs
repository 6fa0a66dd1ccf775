//! [`check_rows`]: the rows of plain CSV checked 64 bytes at a time, so
//! that an input whose header matches can be copied as it is at the speed
//! of a copy.
//!
//! Each block of 64 bytes becomes bit masks of its quotes, delimiters, LFs
//! and CRs (16 bytes per SSE2 comparison on x86-64). Which bytes are
//! inside quotes follows from the quotes' prefix XOR; the fields of a row
//! are the delimiters outside quotes between two LFs outside quotes,
//! counted with `popcount`. Anything whose meaning `csv-core` decides
//! otherwise than this model — a quote inside an unquoted field or text
//! after a closing quote, a CR that does not end a line with its LF, a
//! blank line — stops the check, as does a row of the wrong width: the
//! caller reads the rest of the input with `csv-core`, which reports the
//! row with its line.

/// What [`check_rows`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Checked {
    /// Where the last row ending with LF whose every row before it is
    /// plain and of the right width ends: the bytes before are safe to copy.
    pub(crate) clean: usize,
    /// The LFs in `data[..clean]` (quoted ones included): its lines.
    pub(crate) lines: u64,
    /// Whether the check stopped at something it leaves to `csv-core`
    /// (just after `clean`); otherwise the data ended inside a row.
    pub(crate) stopped: bool,
}

/// Where the fields of the rows [`split_rows`] checked are.
#[derive(Debug, Default)]
pub(crate) struct RowFields {
    /// The delimiters between fields, `width - 1` per row, row after row.
    delimiters: Vec<usize>,
    /// Where each row ends: the position of its LF.
    ends: Vec<usize>,
}

impl RowFields {
    /// The raw fields of each row, as they are in the data (quotes
    /// included), without the row's line ending.
    pub(crate) fn rows<'a>(
        &'a self,
        data: &'a [u8],
        width: usize,
    ) -> impl Iterator<Item = RawRow<'a>> + 'a {
        let per_row = width - 1;
        self.ends.iter().enumerate().map(move |(i, &end)| {
            let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
            let end = if end > start && data[end - 1] == b'\r' {
                end - 1
            } else {
                end
            };
            RawRow {
                data,
                start,
                end,
                delimiters: &self.delimiters[i * per_row..(i + 1) * per_row],
            }
        })
    }
}

/// One row found by [`split_rows`].
pub(crate) struct RawRow<'a> {
    data: &'a [u8],
    start: usize,
    end: usize,
    delimiters: &'a [usize],
}

impl<'a> RawRow<'a> {
    /// Its `i`th field as it is in the data, quotes included.
    pub(crate) fn field(&self, i: usize) -> &'a [u8] {
        let start = if i == 0 {
            self.start
        } else {
            self.delimiters[i - 1] + 1
        };
        let end = self.delimiters.get(i).copied().unwrap_or(self.end);
        &self.data[start..end]
    }
}

/// Checks the rows of `data`, which starts at the start of a row: each
/// must have `width` fields separated by `delimiter` (which is not a
/// quote, CR or LF).
pub(crate) fn check_rows(data: &[u8], delimiter: u8, width: usize) -> Checked {
    scan(data, delimiter, width, None)
}

/// [`check_rows`], recording in `fields` (cleared first) where the fields
/// of the rows in `data[..clean]` are.
pub(crate) fn split_rows(
    data: &[u8],
    delimiter: u8,
    width: usize,
    fields: &mut RowFields,
) -> Checked {
    fields.delimiters.clear();
    fields.ends.clear();
    scan(data, delimiter, width, Some(fields))
}

#[inline(always)]
fn scan(
    data: &[u8],
    delimiter: u8,
    width: usize,
    mut positions: Option<&mut RowFields>,
) -> Checked {
    let mut checked = Checked {
        clean: 0,
        lines: 0,
        stopped: false,
    };
    // Delimiters outside quotes in the row so far.
    let mut fields = 0usize;
    // Whether the previous block ended inside quotes.
    let mut inside = 0u64;
    // Bit 63 of the previous block's masks, carried into bit 0 of the
    // next one: the row starts (a LF before, or the start of the data),
    // a closing quote, and a CR outside quotes.
    let mut carry_row_start = 1u64;
    let mut carry_close = 0u64;
    let mut carry_cr = 0u64;
    let mut carry_open_ok = 1u64;
    let mut lines_before = 0u64;
    let mut padded = [0u8; 64];
    for (index, block) in data.chunks(64).enumerate() {
        let base = index * 64;
        let (block, valid) = if block.len() == 64 {
            (block, !0u64)
        } else {
            padded[..block.len()].copy_from_slice(block);
            padded[block.len()..].fill(0);
            (&padded[..], (1u64 << block.len()) - 1)
        };
        let masks = Masks::of(block.try_into().expect("64 bytes"), delimiter);
        let within = prefix_xor(masks.quote) ^ inside;
        let outside = !within;
        let opens = masks.quote & within;
        let closes = masks.quote & outside;
        let delimiters = masks.delimiter & outside;
        let lfs = masks.lf & outside;
        let crs = masks.cr & outside;
        let row_starts = (lfs << 1) | carry_row_start;
        // An opening quote starts a field (or doubles a closing one).
        let open_ok = ((delimiters | lfs | closes) << 1) | carry_open_ok;
        // A closing quote ends its field, or is doubled.
        let after_close = (closes << 1) | carry_close;
        let after_cr = (crs << 1) | carry_cr;
        let irregular = ((opens & !open_ok)
            | (after_close & !(delimiters | lfs | crs | opens))
            | (after_cr & !lfs)
            | (row_starts & (lfs | crs)))
            & valid;
        // The rows that end in this block before anything irregular.
        let mut ends = lfs & valid;
        if irregular != 0 {
            ends &= below(irregular.trailing_zeros());
        }
        let mut delims = delimiters & valid;
        while ends != 0 {
            let at = ends.trailing_zeros();
            let before = below(at);
            fields += (delims & before).count_ones() as usize;
            if fields + 1 != width {
                checked.stopped = true;
                return checked;
            }
            if let Some(positions) = positions.as_deref_mut() {
                push_bits(&mut positions.delimiters, delims & before, base);
                positions.ends.push(base + at as usize);
            }
            delims &= !before;
            fields = 0;
            checked.clean = base + at as usize + 1;
            checked.lines = lines_before + (masks.lf & (before | 1 << at)).count_ones() as u64;
            ends &= ends - 1;
        }
        if irregular != 0 {
            checked.stopped = true;
            return checked;
        }
        fields += delims.count_ones() as usize;
        if fields >= width {
            // Too many fields already: the row is left to csv-core.
            checked.stopped = true;
            return checked;
        }
        if let Some(positions) = positions.as_deref_mut() {
            push_bits(&mut positions.delimiters, delims, base);
        }
        lines_before += (masks.lf & valid).count_ones() as u64;
        inside = if within >> 63 == 1 { !0 } else { 0 };
        carry_row_start = lfs >> 63;
        carry_close = closes >> 63;
        carry_cr = crs >> 63;
        carry_open_ok = (delimiters | lfs | closes) >> 63;
    }
    checked
}

/// Pushes `base` plus the position of each bit of `bits`.
#[inline(always)]
fn push_bits(to: &mut Vec<usize>, mut bits: u64, base: usize) {
    while bits != 0 {
        to.push(base + bits.trailing_zeros() as usize);
        bits &= bits - 1;
    }
}

/// The bits below bit `at`.
fn below(at: u32) -> u64 {
    (1u64 << at) - 1
}

/// Bit `i` set when an odd number of bits `0..=i` of `x` are.
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// The bytes of a block that matter, one bit per byte.
#[derive(Debug, PartialEq, Eq)]
struct Masks {
    quote: u64,
    delimiter: u64,
    lf: u64,
    cr: u64,
}

impl Masks {
    #[cfg(target_arch = "x86_64")]
    fn of(block: &[u8; 64], delimiter: u8) -> Masks {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
        };
        let mut masks = Masks {
            quote: 0,
            delimiter: 0,
            lf: 0,
            cr: 0,
        };
        // SAFETY: SSE2 is part of every x86-64 processor, and each load
        // reads 16 bytes inside the 64 of `block`.
        unsafe {
            let quote = _mm_set1_epi8(b'"' as i8);
            let delim = _mm_set1_epi8(delimiter as i8);
            let lf = _mm_set1_epi8(b'\n' as i8);
            let cr = _mm_set1_epi8(b'\r' as i8);
            for i in 0..4 {
                let bytes = _mm_loadu_si128(block.as_ptr().add(16 * i).cast::<__m128i>());
                let bits = |x| u64::from(_mm_movemask_epi8(x) as u16) << (16 * i);
                masks.quote |= bits(_mm_cmpeq_epi8(bytes, quote));
                masks.delimiter |= bits(_mm_cmpeq_epi8(bytes, delim));
                masks.lf |= bits(_mm_cmpeq_epi8(bytes, lf));
                masks.cr |= bits(_mm_cmpeq_epi8(bytes, cr));
            }
        }
        masks
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn of(block: &[u8; 64], delimiter: u8) -> Masks {
        Masks::bytewise(block, delimiter)
    }

    /// The masks, a byte at a time.
    #[cfg_attr(target_arch = "x86_64", allow(dead_code))]
    fn bytewise(block: &[u8; 64], delimiter: u8) -> Masks {
        let mask = |byte: u8| {
            block
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b == byte)
                .fold(0u64, |mask, (i, _)| mask | 1 << i)
        };
        Masks {
            quote: mask(b'"'),
            delimiter: mask(delimiter),
            lf: mask(b'\n'),
            cr: mask(b'\r'),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::records::Records;

    /// What csv-core says of the same rows: the end of the last row, ended
    /// by LF or CRLF, before the first row that is blank, of the wrong
    /// width or ended otherwise.
    fn by_csv_core(data: &[u8], width: usize) -> usize {
        let mut records = Records::new(data, b',');
        let (mut at, mut clean) = (0, 0);
        while let Some(record) = records.next_record().unwrap() {
            let mut raw = record.raw();
            at += raw.len();
            // csv-core ends a row at the CR of its CRLF: the LF starts the
            // next row's bytes.
            if at - raw.len() + 1 == clean && raw.first() == Some(&b'\n') {
                raw = &raw[1..];
            }
            // A record the end of the data ended may leave a quote open.
            if record.len() != width
                || record.ended_by_eof()
                || matches!(raw.first(), Some(b'\n' | b'\r'))
            {
                break;
            }
            match raw.last() {
                Some(b'\n') => clean = at,
                Some(b'\r') if data.get(at) == Some(&b'\n') => clean = at + 1,
                _ => break,
            }
        }
        clean
    }

    #[test]
    fn plain_rows_are_counted() {
        let data = b"1,2,3\n\"a,b\",\"c\nd\",\"say \"\"hi\"\"\"\r\n,,\nx,y";
        let checked = check_rows(data, b',', 3);
        assert_eq!(
            checked,
            Checked {
                clean: data.len() - 3,
                lines: 4,
                stopped: false
            }
        );
    }

    #[test]
    fn a_row_the_data_ends_inside_quotes_is_not_clean() {
        let checked = check_rows(b"1,2\n,\"\n", b',', 2);
        assert_eq!((checked.clean, checked.stopped), (4, false));
        assert_eq!(by_csv_core(b"1,2\n,\"\n", 2), 4);
    }

    #[test]
    fn what_csv_core_reads_otherwise_stops_the_check() {
        for (data, clean) in [
            (&b"1,2\n1,2,3\n"[..], 4),
            (b"1,2\n1\n", 4),
            (b"1,2\n1,a\"b\n", 4),
            (b"1,2\n1,\"a\"b\n", 4),
            (b"1,2\n1,2\r3,4\n", 4),
            (b"1,2\n\n3,4\n", 4),
            (b"1,2\n\r\n3,4\n", 4),
        ] {
            let checked = check_rows(data, b',', 2);
            assert_eq!((checked.clean, checked.stopped), (clean, true), "{data:?}");
        }
    }

    #[test]
    fn blocks_carry_quotes_and_rows_across() {
        // Rows and quoted fields of every length across block boundaries.
        let mut data = Vec::new();
        for i in 0..200 {
            let quoted = "\"".to_string() + &"x".repeat(i % 70) + "\"\"\n,\"";
            data.extend_from_slice(format!("{i},{quoted},{}\r\n", "y".repeat(i % 9)).as_bytes());
        }
        let checked = check_rows(&data, b',', 3);
        assert_eq!((checked.clean, checked.stopped), (data.len(), false));
        assert_eq!(checked.lines, 400);
        for cut in [1, 63, 64, 65, 127, 128, 1000, data.len() - 1] {
            let checked = check_rows(&data[..cut], b',', 3);
            assert_eq!(checked.clean, by_csv_core(&data[..cut], 3), "cut at {cut}");
        }
    }

    #[test]
    fn the_masks_agree_with_bytewise_ones() {
        let block: Vec<u8> = (0..64u8).map(|i| b"a,\"\r\n;x"[i as usize % 7]).collect();
        let block: &[u8; 64] = block[..].try_into().unwrap();
        assert_eq!(Masks::of(block, b';'), Masks::bytewise(block, b';'));
    }

    /// A raw field unquoted, as csv-core reads it.
    fn unquote(raw: &[u8]) -> Vec<u8> {
        match raw.strip_prefix(b"\"").and_then(|r| r.strip_suffix(b"\"")) {
            Some(inner) => String::from_utf8_lossy(inner)
                .replace("\"\"", "\"")
                .into_bytes(),
            None => raw.to_vec(),
        }
    }

    #[test]
    fn fields_are_found_across_blocks() {
        let mut data = Vec::new();
        for i in 0..100 {
            let quoted = "\"".to_string() + &"q,".repeat(i % 40) + "\"\"\r\n\"";
            data.extend_from_slice(format!("{i},{quoted},{}\r\n", "z".repeat(i % 70)).as_bytes());
        }
        let mut fields = RowFields::default();
        let checked = split_rows(&data, b',', 3, &mut fields);
        assert_eq!((checked.clean, checked.stopped), (data.len(), false));
        let rows: Vec<_> = fields.rows(&data, 3).collect();
        assert_eq!(rows.len(), 100);
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row.field(0), i.to_string().as_bytes());
            assert_eq!(
                unquote(row.field(1)),
                format!("{}\"\r\n", "q,".repeat(i % 40)).as_bytes()
            );
            assert_eq!(row.field(2), "z".repeat(i % 70).as_bytes());
        }
    }

    proptest::proptest! {
        #[test]
        fn split_fields_are_csv_cores(
            data in proptest::collection::vec(
                proptest::sample::select(&b"a,,\"\"\n\r"[..]), 0..300
            ),
            width in 1usize..4,
        ) {
            let mut fields = RowFields::default();
            let checked = split_rows(&data, b',', width, &mut fields);
            let mut records = Records::new(&data[..checked.clean], b',');
            let mut rows = fields.rows(&data[..checked.clean], width);
            while let Some(record) = records.next_record().unwrap() {
                let row = rows.next().expect("as many rows as csv-core reads");
                for i in 0..width {
                    proptest::prop_assert_eq!(unquote(row.field(i)), record.field(i));
                }
            }
            proptest::prop_assert!(rows.next().is_none());
        }

        #[test]
        fn the_check_agrees_with_csv_core(
            data in proptest::collection::vec(
                proptest::sample::select(&b"a,,\"\"\n\r"[..]), 0..300
            ),
            width in 1usize..4,
        ) {
            let checked = check_rows(&data, b',', width);
            let expected = by_csv_core(&data, width);
            // The check may stop early (it leaves more to csv-core), never
            // pass a row csv-core reads otherwise.
            proptest::prop_assert!(checked.clean <= expected);
            if !checked.stopped {
                proptest::prop_assert_eq!(checked.clean, expected);
            }
            let lines = data[..checked.clean].iter().filter(|&&b| b == b'\n').count() as u64;
            proptest::prop_assert_eq!(checked.lines, lines);
        }
    }
}
