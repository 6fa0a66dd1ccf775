//! [`KeyReader`]: the time at the start of a log record, as nanoseconds
//! since the Unix epoch.
//!
//! The forms recognised without being told: ISO 8601 / RFC 3339
//! (`2024-03-01T12:00:00.123Z`, `2024-03-01 12:00:00,123 +0100`, with or
//! without a zone, optionally in `[…]`, optionally after an RFC 5424
//! syslog priority `<34>1 `), BSD syslog (`Mar  1 12:00:00`, which has
//! no year: see below), and the web-server access-log form
//! (`host - user [01/Mar/2024:12:00:00 +0000] "GET …`). A time without a
//! zone is taken as UTC. With a regular expression, the time is the text
//! of its capture named `ts` (or its first group, or the whole match),
//! read with a strftime-style format (`%d/%b/%Y:%H:%M:%S %z`), as Unix
//! seconds (`unix`), or in the forms above.
//!
//! A BSD syslog time is given a year as a reader of the log would: the
//! current year, unless that puts the first time of the input more than a
//! day in the future (a log of December read in January), then the year
//! before; after that, each time is put in the year, of the one before it
//! and the two beside that, that brings it nearest to the time before it
//! in the same input: January 1 after December 31 starts the next year.
//!
//! The calendar arithmetic is jiff's; a time is converted once per
//! second of log: the seconds of the previous record are remembered.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::Offset;
use regex::bytes::Regex;

use crate::{Error, ErrorKind, Result};

/// A point in time: nanoseconds since 1970-01-01T00:00:00Z.
pub type Key = i128;

const NANOS: i128 = 1_000_000_000;

/// How far from the time before it a syslog time must be for the year
/// before or after to be tried.
const HALF_YEAR_SECONDS: i128 = 183 * 24 * 3600;

/// How far in the future the first syslog time of an input may be (a
/// local time read as UTC) before it is taken as last year's.
const FUTURE_SECONDS: i128 = 24 * 3600;

/// How a [`KeyReader`] finds the time in a line.
#[derive(Clone, Debug)]
enum Finder {
    /// The forms listed in the module documentation.
    Auto,
    /// A regular expression and how to read what it captures.
    Regex {
        regex: Regex,
        group: usize,
        format: KeyFormat,
    },
}

#[derive(Clone, Debug)]
enum KeyFormat {
    /// The forms of [`Finder::Auto`].
    Auto,
    /// Unix seconds, with an optional fraction.
    Unix,
    /// A strftime-style format.
    Strftime(String),
}

/// Reads the time at the start of a line.
///
/// A reader keeps what it needs to read one input's times in order (the
/// year of syslog times, which have none): give each input a clone.
///
/// # Examples
///
/// ```
/// use smerge::interleave::KeyReader;
///
/// let mut keys = KeyReader::auto();
/// let a = keys.read(b"2024-03-01T12:00:00Z GET /").unwrap();
/// let b = keys.read(b"2024-03-01 13:00:00.5+01:00 GET /").unwrap();
/// assert_eq!(b - a, 500_000_000);
/// assert_eq!(keys.read(b"    at Foo.bar(Foo.java:12)"), None);
///
/// let mut custom = KeyReader::regex(r"ts=(?<ts>\S+)", Some("%Y%m%d%H%M%S")).unwrap();
/// assert_eq!(custom.read(b"level=info ts=20240301120000"), Some(a));
/// ```
#[derive(Clone, Debug)]
pub struct KeyReader {
    finder: Finder,
    /// The year of syslog times, which have none: the current year until
    /// the first syslog time says otherwise.
    syslog_year: i16,
    /// The last syslog time read, in seconds: a time far earlier than it
    /// starts the next year.
    syslog_last: Option<i128>,
    /// Now, in seconds since the epoch: the first syslog time of an input
    /// is not in the future.
    now: i128,
    /// The last conversion: the text up to the seconds and the zone, and
    /// its time in whole seconds.
    cache: Option<(Vec<u8>, i128)>,
}

impl KeyReader {
    /// A reader of the forms recognised without being told.
    pub fn auto() -> KeyReader {
        KeyReader {
            finder: Finder::Auto,
            syslog_year: current_year(),
            syslog_last: None,
            now: now_seconds(),
            cache: None,
        }
    }

    /// A reader that finds the time with `regex`: the text of its capture
    /// named `ts`, or of its first group, or the whole match; read with
    /// `format` (strftime-style, or `unix` for Unix seconds), or in the
    /// automatic forms when `format` is `None`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`] for a regular expression that does
    /// not compile.
    pub fn regex(regex: &str, format: Option<&str>) -> Result<KeyReader> {
        let regex = Regex::new(regex)
            .map_err(|error| Error::new(ErrorKind::InvalidArgument, format!("--key: {error}")))?;
        let group = regex
            .capture_names()
            .position(|name| name == Some("ts"))
            .unwrap_or(if regex.captures_len() > 1 { 1 } else { 0 });
        let format = match format {
            None => KeyFormat::Auto,
            Some("unix") => KeyFormat::Unix,
            Some(format) => KeyFormat::Strftime(format.to_string()),
        };
        Ok(KeyReader {
            finder: Finder::Regex {
                regex,
                group,
                format,
            },
            syslog_year: current_year(),
            syslog_last: None,
            now: now_seconds(),
            cache: None,
        })
    }

    /// The time at the start of `line`, or `None` when it has none.
    pub fn read(&mut self, line: &[u8]) -> Option<Key> {
        match &self.finder {
            Finder::Auto => self.auto_key(line),
            Finder::Regex {
                regex,
                group,
                format,
            } => {
                let captures = regex.captures(line)?;
                let text = captures.get(*group)?.as_bytes();
                match format {
                    KeyFormat::Auto => {
                        let text = text.to_vec();
                        self.auto_key(&text)
                    }
                    KeyFormat::Unix => unix_seconds(text),
                    KeyFormat::Strftime(format) => strftime(format, text),
                }
            }
        }
    }

    fn auto_key(&mut self, line: &[u8]) -> Option<Key> {
        let start = skip_prefix(line);
        let text = &line[start..];
        match text.first()? {
            b'0'..=b'9' => self.iso(text),
            b'A'..=b'Z' => self.syslog(text),
            _ => None,
        }
        .or_else(|| self.access_log(line))
    }

    /// `YYYY-MM-DD[T ]HH:MM[:SS[.,fraction]][Z|±HH[:MM]]`.
    fn iso(&mut self, text: &[u8]) -> Option<Key> {
        let year = digits(text, 0, 4)?;
        if text.get(4) != Some(&b'-') || text.get(7) != Some(&b'-') {
            return None;
        }
        let month = digits(text, 5, 2)?;
        let day = digits(text, 8, 2)?;
        if !matches!(text.get(10), Some(b'T' | b't' | b' ')) {
            return None;
        }
        let hour = digits(text, 11, 2)?;
        if text.get(13) != Some(&b':') {
            return None;
        }
        let minute = digits(text, 14, 2)?;
        let (second, mut at) = if text.get(16) == Some(&b':') {
            (digits(text, 17, 2)?, 19)
        } else {
            (0, 16)
        };
        // In 64 bits: a division of 128 is slow, and this is every line.
        let mut nanos = 0i64;
        if matches!(text.get(at), Some(b'.' | b','))
            && text.get(at + 1).is_some_and(u8::is_ascii_digit)
        {
            at += 1;
            let mut scale = 100_000_000i64;
            while let Some(&digit) = text.get(at).filter(|d| d.is_ascii_digit()) {
                nanos += i64::from(digit - b'0') * scale;
                scale /= 10;
                at += 1;
            }
        }
        let nanos = i128::from(nanos);
        let zone_start = at;
        if text.get(at) == Some(&b' ') && matches!(text.get(at + 1), Some(b'+' | b'-' | b'Z')) {
            at += 1;
        }
        let (offset, zone_end) = zone(text, at).unwrap_or((0, zone_start));
        let cache_key = [&text[..19.min(zone_start)], &text[zone_start..zone_end]];
        let seconds = self.cached(&cache_key, || {
            civil_seconds(
                year as i16,
                month as i8,
                day as i8,
                hour as i8,
                minute as i8,
                second as i8,
                offset,
            )
        })?;
        Some(seconds * NANOS + nanos)
    }

    /// `Mmm dd HH:MM:SS`, as UTC, in the year the times before it say.
    fn syslog(&mut self, text: &[u8]) -> Option<Key> {
        let month = month(text.get(..3)?)?;
        if text.get(3) != Some(&b' ') {
            return None;
        }
        let day = match (text.get(4)?, text.get(5)?) {
            (b' ', d) if d.is_ascii_digit() => i64::from(d - b'0'),
            _ => digits(text, 4, 2)?,
        };
        if text.get(6) != Some(&b' ') || text.get(9) != Some(&b':') || text.get(12) != Some(&b':') {
            return None;
        }
        let hour = digits(text, 7, 2)?;
        let minute = digits(text, 10, 2)?;
        let second = digits(text, 13, 2)?;
        let in_year = |year: i16| {
            civil_seconds(
                year,
                month,
                day as i8,
                hour as i8,
                minute as i8,
                second as i8,
                0,
            )
        };
        let year = self.syslog_year;
        let mut seconds = self.cached(&[&text[..15]], || in_year(year))?;
        // The year before or after, when it puts the time nearer.
        let moved = match self.syslog_last {
            None if seconds > self.now + FUTURE_SECONDS => Some(-1),
            Some(last) if (seconds - last).abs() > HALF_YEAR_SECONDS => {
                Some(if seconds < last { 1 } else { -1 })
            }
            _ => None,
        };
        // February 29 may not exist in the other year: the time is then
        // read in the year it was.
        if let Some((by, moved)) = moved.and_then(|by| {
            let moved = in_year(self.syslog_year.checked_add(by)?)?;
            Some((by, moved))
        }) && self
            .syslog_last
            .is_none_or(|last| (moved - last).abs() < (seconds - last).abs())
        {
            self.syslog_year += by;
            seconds = moved;
            if let Some((_, cached)) = &mut self.cache {
                *cached = seconds;
            }
        }
        self.syslog_last = Some(seconds);
        Some(seconds * NANOS)
    }

    /// `[dd/Mon/yyyy:HH:MM:SS ±zzzz]` among the first fields of the line.
    fn access_log(&mut self, line: &[u8]) -> Option<Key> {
        let head = &line[..line.len().min(512)];
        let open = memchr::memchr(b'[', head)?;
        let text = &line[open + 1..];
        let day = digits(text, 0, 2)?;
        if text.get(2) != Some(&b'/') || text.get(6) != Some(&b'/') || text.get(11) != Some(&b':') {
            return None;
        }
        let month = month(text.get(3..6)?)?;
        let year = digits(text, 7, 4)?;
        let hour = digits(text, 12, 2)?;
        let minute = digits(text, 15, 2)?;
        let second = digits(text, 18, 2)?;
        if text.get(14) != Some(&b':') || text.get(17) != Some(&b':') {
            return None;
        }
        let (offset, end) = match text.get(20) {
            Some(b' ') => zone(text, 21)?,
            _ => (0, 20),
        };
        if text.get(end) != Some(&b']') {
            return None;
        }
        let seconds = self.cached(&[&text[..end]], || {
            civil_seconds(
                year as i16,
                month,
                day as i8,
                hour as i8,
                minute as i8,
                second as i8,
                offset,
            )
        })?;
        Some(seconds * NANOS)
    }

    /// The seconds of the text `parts`, converted by `convert` unless the
    /// last conversion was of the same text.
    fn cached(&mut self, parts: &[&[u8]], convert: impl FnOnce() -> Option<i128>) -> Option<i128> {
        if let Some((text, seconds)) = &self.cache {
            let mut rest = text.as_slice();
            let same = parts.iter().all(|part| match rest.strip_prefix(*part) {
                Some(after) => {
                    rest = after;
                    true
                }
                None => false,
            }) && rest.is_empty();
            if same {
                return Some(*seconds);
            }
        }
        let seconds = convert()?;
        let (text, _) = self.cache.get_or_insert_with(|| (Vec::new(), 0));
        text.clear();
        for part in parts {
            text.extend_from_slice(part);
        }
        self.cache.as_mut().expect("just set").1 = seconds;
        Some(seconds)
    }
}

impl Default for KeyReader {
    fn default() -> Self {
        KeyReader::auto()
    }
}

/// Where the time may start: after a `[`, or an RFC 5424 `<PRI>VERSION `.
fn skip_prefix(line: &[u8]) -> usize {
    let mut at = 0;
    if line.first() == Some(&b'<') {
        let close = line.iter().take(5).position(|&b| b == b'>');
        if let Some(close) = close {
            at = close + 1;
            while line.get(at).is_some_and(u8::is_ascii_digit) {
                at += 1;
            }
            while line.get(at) == Some(&b' ') {
                at += 1;
            }
        }
    }
    if line.get(at) == Some(&b'[') {
        at += 1;
    }
    at
}

/// The number written with `len` ASCII digits at `at`.
fn digits(text: &[u8], at: usize, len: usize) -> Option<i64> {
    let digits = text.get(at..at + len)?;
    digits.iter().try_fold(0i64, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
    })
}

/// `Z`, `±HH`, `±HHMM` or `±HH:MM` at `at`: the offset in seconds and
/// where it ends.
fn zone(text: &[u8], at: usize) -> Option<(i32, usize)> {
    match text.get(at)? {
        b'Z' | b'z' => Some((0, at + 1)),
        sign @ (b'+' | b'-') => {
            let hours = digits(text, at + 1, 2)?;
            let (minutes, end) = if text.get(at + 3) == Some(&b':') {
                (digits(text, at + 4, 2)?, at + 6)
            } else if let Some(minutes) = digits(text, at + 3, 2) {
                (minutes, at + 5)
            } else {
                (0, at + 3)
            };
            let seconds = (hours * 3600 + minutes * 60) as i32;
            Some((if *sign == b'-' { -seconds } else { seconds }, end))
        }
        _ => None,
    }
}

/// `Jan` … `Dec`.
fn month(name: &[u8]) -> Option<i8> {
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    MONTHS.iter().position(|m| *m == name).map(|i| i as i8 + 1)
}

/// Seconds since the epoch of a civil time at `offset` seconds east of
/// UTC; `None` for a date or time that does not exist.
fn civil_seconds(
    year: i16,
    month: i8,
    day: i8,
    hour: i8,
    minute: i8,
    second: i8,
    offset: i32,
) -> Option<i128> {
    let date = Date::new(year, month, day).ok()?;
    // A leap second is read as the last second of its minute.
    let time = Time::new(hour, minute, second.min(59), 0).ok()?;
    let offset = Offset::from_seconds(offset).ok()?;
    let timestamp = offset.to_timestamp(DateTime::from_parts(date, time)).ok()?;
    Some(i128::from(timestamp.as_second()))
}

/// Unix seconds with an optional fraction.
fn unix_seconds(text: &[u8]) -> Option<Key> {
    let text = std::str::from_utf8(text).ok()?.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let seconds: i128 = whole.parse().ok()?;
    let mut nanos = 0i128;
    let mut scale = NANOS / 10;
    for digit in fraction.bytes() {
        if !digit.is_ascii_digit() {
            return None;
        }
        nanos += i128::from(digit - b'0') * scale;
        scale /= 10;
    }
    let nanos = if seconds < 0 { -nanos } else { nanos };
    // A number too large for a time is no time.
    seconds.checked_mul(NANOS)?.checked_add(nanos)
}

/// Text read with a strftime-style `format`; without a zone, UTC.
fn strftime(format: &str, text: &[u8]) -> Option<Key> {
    let (time, _) = jiff::fmt::strtime::BrokenDownTime::parse_prefix(format, text).ok()?;
    let timestamp = match time.to_timestamp() {
        Ok(timestamp) => timestamp,
        Err(_) => {
            let datetime = time.to_datetime().ok()?;
            Offset::UTC.to_timestamp(datetime).ok()?
        }
    };
    Some(timestamp.as_nanosecond())
}

fn current_year() -> i16 {
    Offset::UTC.to_datetime(jiff::Timestamp::now()).year()
}

fn now_seconds() -> i128 {
    i128::from(jiff::Timestamp::now().as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(line: &str) -> Option<Key> {
        KeyReader::auto().read(line.as_bytes())
    }

    const T: Key = 1_709_294_400 * NANOS; // 2024-03-01T12:00:00Z

    #[test]
    fn iso_forms() {
        assert_eq!(key("2024-03-01T12:00:00Z x"), Some(T));
        assert_eq!(key("2024-03-01 12:00:00 x"), Some(T));
        assert_eq!(key("2024-03-01T13:00:00+01:00"), Some(T));
        assert_eq!(key("2024-03-01T13:00:00+0100"), Some(T));
        assert_eq!(key("2024-03-01 07:00:00 -05:00 x"), Some(T));
        assert_eq!(key("2024-03-01T12:00Z"), Some(T));
        assert_eq!(key("2024-03-01T12:00:00.25Z"), Some(T + NANOS / 4));
        assert_eq!(key("2024-03-01 12:00:00,123 INFO"), Some(T + 123_000_000));
        assert_eq!(key("[2024-03-01 12:00:00] x"), Some(T));
        assert_eq!(
            key("<34>1 2024-03-01T12:00:00.003Z host app"),
            Some(T + 3_000_000)
        );
        assert_eq!(key("2024-02-30T12:00:00Z"), None);
        assert_eq!(key("2024-03-01T25:00:00Z"), None);
        assert_eq!(key("2024-03-01"), None);
    }

    /// A reader of the automatic forms for which now is `now`.
    fn auto_at(now: &str) -> KeyReader {
        let now: jiff::Timestamp = now.parse().unwrap();
        KeyReader {
            syslog_year: Offset::UTC.to_datetime(now).year(),
            now: i128::from(now.as_second()),
            ..KeyReader::auto()
        }
    }

    fn at(year: i16, month: i8, day: i8, hour: i8, minute: i8, second: i8) -> Key {
        civil_seconds(year, month, day, hour, minute, second, 0).unwrap() * NANOS
    }

    #[test]
    fn syslog_and_access_log_forms() {
        let mut keys = auto_at("2024-07-01T00:00:00Z");
        let march = keys.read(b"Mar  1 12:00:00 host sshd[1]: x").unwrap();
        assert_eq!(march, at(2024, 3, 1, 12, 0, 0));
        assert_eq!(keys.read(b"Mar 01 12:00:01 host"), Some(march + NANOS));
        assert_eq!(
            key(r#"127.0.0.1 - frank [01/Mar/2024:13:00:00 +0100] "GET / HTTP/1.1" 200"#),
            Some(T)
        );
        assert_eq!(key("Foo  1 12:00:00"), None);
    }

    #[test]
    fn syslog_times_roll_over_into_the_next_year() {
        let mut keys = auto_at("2025-01-05T00:00:00Z");
        // December, read in January: last year's.
        assert_eq!(
            keys.read(b"Dec 31 23:59:58 a"),
            Some(at(2024, 12, 31, 23, 59, 58))
        );
        assert_eq!(
            keys.read(b"Dec 31 23:59:59 a"),
            Some(at(2024, 12, 31, 23, 59, 59))
        );
        assert_eq!(
            keys.read(b"Jan  1 00:00:00 a"),
            Some(at(2025, 1, 1, 0, 0, 0))
        );
        // Going back a little is out of order, not a new year.
        assert_eq!(
            keys.read(b"Dec 31 23:00:00 a"),
            Some(at(2024, 12, 31, 23, 0, 0))
        );
        // Another input that starts in January agrees on the year.
        let mut other = auto_at("2025-01-05T00:00:00Z");
        assert_eq!(
            other.read(b"Jan  1 00:00:00 b"),
            Some(at(2025, 1, 1, 0, 0, 0))
        );
        // A log read the same year stays in it.
        let mut same = auto_at("2024-12-31T23:59:59Z");
        assert_eq!(
            same.read(b"Dec 31 10:00:00 c"),
            Some(at(2024, 12, 31, 10, 0, 0))
        );
    }

    #[test]
    fn a_leap_day_stays_in_its_year() {
        // After December 30, February 29 would be nearer in the next
        // year, which has none: it is out of order in its own year.
        let mut keys = auto_at("2025-01-05T00:00:00Z");
        assert_eq!(
            keys.read(b"Dec 30 00:00:00 a"),
            Some(at(2024, 12, 30, 0, 0, 0))
        );
        assert_eq!(
            keys.read(b"Feb 29 00:00:00 a"),
            Some(at(2024, 2, 29, 0, 0, 0))
        );
    }

    #[test]
    fn continuation_lines_have_no_key() {
        assert_eq!(key("    at com.example.Main(Main.java:3)"), None);
        assert_eq!(key("Traceback (most recent call last):"), None);
        assert_eq!(key(""), None);
    }

    #[test]
    fn the_cache_does_not_mix_zones() {
        let mut keys = KeyReader::auto();
        assert_eq!(keys.read(b"2024-03-01T12:00:00Z"), Some(T));
        assert_eq!(
            keys.read(b"2024-03-01T12:00:00+01:00"),
            Some(T - 3600 * NANOS)
        );
        assert_eq!(
            keys.read(b"2024-03-01T12:00:00.5+01:00"),
            Some(T - 3600 * NANOS + NANOS / 2)
        );
    }

    #[test]
    fn regex_keys() {
        let mut keys = KeyReader::regex(r"t=(\d+(\.\d+)?)", Some("unix")).unwrap();
        assert_eq!(keys.read(b"a t=1709294400.5 b"), Some(T + NANOS / 2));
        let mut keys =
            KeyReader::regex(r"\[(?<ts>[^\]]+)\]", Some("%d/%b/%Y:%H:%M:%S %z")).unwrap();
        assert_eq!(keys.read(b"x [01/Mar/2024:12:00:00 +0000] y"), Some(T));
        let mut keys = KeyReader::regex(r"when: (.*)", None).unwrap();
        assert_eq!(keys.read(b"when: 2024-03-01T12:00:00Z"), Some(T));
        assert!(KeyReader::regex("(", None).is_err());
        let mut keys = KeyReader::regex(r"(.*)", Some("unix")).unwrap();
        assert_eq!(
            keys.read(b"-111111111110711111111111111111109111116731"),
            None
        );
    }
}
