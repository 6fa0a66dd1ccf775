//! `-t SPEC`: the transforms of `smerge pipe`, by name, each mapped onto a
//! library type.

use anyhow::{Context, bail};
use bytes::Bytes;
use smerge::Duplex;
use smerge::transforms::{
    Codec, Compress, Decompress, EnsureNewline, Eol, Exec, Frame, LineEnding, StripBom, Unframe,
};

/// One line of help per transform, for `--list-transforms`.
pub(crate) const CATALOGUE: &[(&str, &str)] = &[
    (
        "gzip[:LEVEL]",
        "gzip-compress on every core, one member (level 1-9, default 6)",
    ),
    (
        "gunzip",
        "gzip-decompress, every member of concatenated gzip data",
    ),
    ("zlib[:LEVEL]", "zlib-compress (level 0-9, default 6)"),
    ("unzlib", "zlib-decompress"),
    (
        "deflate[:LEVEL]",
        "raw deflate-compress (level 0-9, default 6)",
    ),
    ("inflate", "raw deflate-decompress"),
    (
        "zstd[:LEVEL]",
        "zstd-compress on every core (level 1-22, default 3)",
    ),
    ("unzstd", "zstd-decompress, every frame"),
    (
        "brotli[:LEVEL]",
        "brotli-compress (level 0-11, default 11: slow, use 5-6 for speed)",
    ),
    ("unbrotli", "brotli-decompress"),
    ("bzip2[:LEVEL]", "bzip2-compress (level 1-9, default 9)"),
    ("bunzip2", "bzip2-decompress, every stream"),
    ("xz[:LEVEL]", "xz-compress (level 0-9, default 6)"),
    ("unxz", "xz-decompress, every stream"),
    (
        "decompress",
        "decompress gzip, zstd, xz or bzip2 data by its magic bytes; other data passes",
    ),
    (
        "frame[:MAX]",
        "cut into packets: 2-byte serial, 2-byte length, body of at most MAX (65535) bytes",
    ),
    (
        "unframe",
        "reassemble frame packets and emit their bodies; checks sequence and truncation",
    ),
    (
        "frame32[:MAX]",
        "as frame, with a 4-byte serial and a 4-byte length (MAX default 1 MiB)",
    ),
    ("unframe32", "reassemble frame32 packets"),
    (
        "exec:CMD ARGS...",
        "run a program (no shell): input to its stdin, its stdout onwards",
    ),
    ("strip-bom", "remove a UTF-8 byte order mark at the start"),
    ("eol:lf", "convert CRLF line endings to LF"),
    ("eol:crlf", "convert LF line endings to CRLF"),
    (
        "ensure-newline",
        "add a final newline if the data does not end with one",
    ),
];

/// A parsed `-t` spec, ready to become a stage.
#[derive(Debug)]
pub(crate) enum Stage {
    Compress(Compress),
    Decompress(Decompress),
    Frame(Frame),
    Unframe(Unframe),
    Exec(Exec),
    StripBom,
    Eol(LineEnding),
    EnsureNewline,
}

impl Stage {
    /// Parses `spec`: `NAME` or `NAME:ARGUMENT`.
    pub(crate) fn parse(spec: &str) -> anyhow::Result<Stage> {
        let (name, argument) = match spec.split_once(':') {
            Some((name, argument)) => (name, Some(argument)),
            None => (spec, None),
        };
        if let Some(codec) = Codec::from_name(name) {
            return Ok(Stage::Compress(match argument {
                None => Compress::new(codec),
                Some(level) => Compress::with_level(codec, number(spec, level)?)?,
            }));
        }
        if argument.is_none() {
            if let Some(codec) = Codec::from_decompress_name(name) {
                return Ok(Stage::Decompress(Decompress::new(codec)));
            }
            if name == "decompress" {
                return Ok(Stage::Decompress(Decompress::detect()));
            }
        }
        let stage = match (name, argument) {
            ("exec", Some(command)) => Stage::Exec(Exec::parse(command)?),
            ("frame", None) => Stage::Frame(Frame::new()),
            ("frame", Some(max)) => Stage::Frame(Frame::with_max(number(spec, max)?)?),
            ("frame32", None) => Stage::Frame(Frame::wide()),
            ("frame32", Some(max)) => Stage::Frame(Frame::wide_with_max(number(spec, max)?)?),
            ("unframe", None) => Stage::Unframe(Unframe::new()),
            ("unframe32", None) => Stage::Unframe(Unframe::wide()),
            ("strip-bom", None) => Stage::StripBom,
            ("eol", Some("lf")) => Stage::Eol(LineEnding::Lf),
            ("eol", Some("crlf")) => Stage::Eol(LineEnding::CrLf),
            ("ensure-newline", None) => Stage::EnsureNewline,
            _ => match suggestion(spec) {
                Some(close) => bail!(
                    "unknown transform {spec:?}: did you mean {close:?}? (see smerge pipe --list-transforms)"
                ),
                None => bail!("unknown transform {spec:?} (see smerge pipe --list-transforms)"),
            },
        };
        Ok(stage)
    }

    /// The stage with `limit` bytes of memory for its decoder, when it
    /// decompresses.
    pub(crate) fn with_memory_limit(self, limit: u64) -> Stage {
        match self {
            Stage::Decompress(decompress) => Stage::Decompress(decompress.with_memory_limit(limit)),
            other => other,
        }
    }

    /// The stage as a duplex stream, named after `spec`, with `hwm` on
    /// both sides if given. Starts the program of an `exec:` stage.
    pub(crate) fn into_duplex(
        self,
        spec: &str,
        hwm: Option<usize>,
    ) -> anyhow::Result<Duplex<Bytes, Bytes>> {
        let duplex = match self {
            Stage::Compress(compress) => Duplex::transform(compress),
            Stage::Decompress(decompress) => Duplex::transform(decompress),
            Stage::Frame(frame) => Duplex::transform(frame),
            Stage::Unframe(unframe) => Duplex::transform(unframe),
            Stage::Exec(exec) => exec.spawn()?,
            Stage::StripBom => Duplex::transform(StripBom::new()),
            Stage::Eol(ending) => Duplex::transform(Eol::new(ending)),
            Stage::EnsureNewline => Duplex::transform(EnsureNewline::new()),
        };
        let duplex = duplex.named(spec.to_string());
        Ok(match hwm {
            Some(hwm) => duplex.with_high_water_mark(hwm),
            None => duplex,
        })
    }
}

/// The transform name closest to `spec`, if one is close enough to be
/// what was meant (`gzipp` → `gzip`, `eol:cr` → `eol:crlf`).
fn suggestion(spec: &str) -> Option<&'static str> {
    let name = spec.split(':').next().unwrap_or(spec);
    CATALOGUE
        .iter()
        .map(|(entry, _)| {
            let end = entry.find(['[', ' ']).unwrap_or(entry.len());
            let candidate = entry[..end].trim_end_matches("CMD");
            // Names that hold their argument (`eol:lf`, `exec:`) are compared
            // with as much of the spec; the others with its name alone
            // (`zstd:19` is `zstd`).
            let typed = if candidate.contains(':') {
                spec.get(..candidate.len()).unwrap_or(spec)
            } else {
                name
            };
            (strsim::jaro_winkler(typed, candidate), candidate)
        })
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

fn number<N: std::str::FromStr>(spec: &str, text: &str) -> anyhow::Result<N> {
    text.parse()
        .ok()
        .with_context(|| format!("{spec}: {text:?} is not a number"))
}

/// Parses a duration: a number with a unit, `500ms`, `1s`, `2m`, `1h`, or
/// a bare number of seconds; fractions are allowed (`1.5s`). `0` means
/// none: `None`.
pub(crate) fn parse_duration(text: &str) -> anyhow::Result<Option<std::time::Duration>> {
    let invalid = || format!("{text:?} is not a duration (examples: 500ms, 1s, 2m)");
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let seconds_per_unit = match unit.trim() {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => bail!(invalid()),
    };
    let number: f64 = number.parse().ok().with_context(invalid)?;
    let duration = std::time::Duration::try_from_secs_f64(number * seconds_per_unit)
        .ok()
        .with_context(invalid)?;
    Ok((!duration.is_zero()).then_some(duration))
}

/// Parses a size such as `65536`, `64K`, `1M` or `1G` (powers of 1024;
/// `KiB`-style suffixes are accepted too).
pub(crate) fn parse_size(text: &str) -> anyhow::Result<usize> {
    let upper = text.trim().to_ascii_uppercase();
    let digits_end = upper
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(upper.len());
    let (digits, suffix) = upper.split_at(digits_end);
    let multiplier: usize = match suffix.trim_end_matches("IB").trim_end_matches('B') {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        _ => bail!("{text:?} is not a size (examples: 65536, 64K, 1M)"),
    };
    let value: usize = digits
        .parse()
        .with_context(|| format!("{text:?} is not a size (examples: 65536, 64K, 1M)"))?;
    value
        .checked_mul(multiplier)
        .with_context(|| format!("{text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("65536").unwrap(), 65536);
        assert_eq!(parse_size("64K").unwrap(), 65536);
        assert_eq!(parse_size("1m").unwrap(), 1 << 20);
        assert_eq!(parse_size("2MiB").unwrap(), 2 << 20);
        assert!(parse_size("12X").is_err());
        assert!(parse_size("K").is_err());
    }

    #[test]
    fn durations() {
        use std::time::Duration;
        let parse = |text| parse_duration(text).unwrap();
        assert_eq!(parse("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse("1s"), Some(Duration::from_secs(1)));
        assert_eq!(parse("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse("0"), None);
        for bad in ["", "s", "1x", "-1s", "1e9999", "1.2.3s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn specs() {
        assert!(matches!(
            Stage::parse("frame:100").unwrap(),
            Stage::Frame(_)
        ));
        assert!(matches!(
            Stage::parse("exec:sed -n 1p").unwrap(),
            Stage::Exec(_)
        ));
        assert!(Stage::parse("frame:0").is_err());
        assert!(Stage::parse("gzipp").is_err());
        assert!(Stage::parse("eol:cr").is_err());
    }

    #[test]
    fn unknown_names_get_a_suggestion_when_one_is_close() {
        let message = |spec: &str| Stage::parse(spec).unwrap_err().to_string();
        assert!(message("gzipp").contains("did you mean \"gzip\"?"));
        assert!(message("gunzp").contains("did you mean \"gunzip\"?"));
        assert!(message("eol:cr").contains("did you mean \"eol:crlf\"?"));
        assert!(message("strip-bon").contains("did you mean \"strip-bom\"?"));
        assert!(message("unframe64").contains("did you mean \"unframe\""));
        assert!(!message("tar").contains("did you mean"));
    }

    #[test]
    fn every_catalogue_entry_parses() {
        for (name, _) in CATALOGUE {
            let example = name
                .replace("[:MAX]", ":100")
                .replace("[:LEVEL]", ":1")
                .replace("CMD ARGS...", "cat");
            Stage::parse(&example).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
