//! The merges that read their inputs' content: `--format` (CSV, TSV,
//! NDJSON, JSON), `--interleave` (logs in time order) and `--seekable`
//! (compressed bundles `smerge extract` reads), each a library stage the
//! flags configure.

use std::path::Path;

use anyhow::{anyhow, bail};
use clap::{Args, ValueEnum};
use smerge::formats::{Columns, Format, FormatMerge};
use smerge::interleave::{Interleave, KeyReader};
use smerge::merge::{DataMerge, MergePath, MergeReport, WarningKind};
use smerge::seekable::SeekableBundle;
use smerge::transforms::Codec;

use crate::args::MergeArgs;

/// The flags of the data merges (a part of `smerge merge`).
#[derive(Debug, Args)]
pub(crate) struct DataArgs {
    /// Join inputs as FORMAT: header once for csv/tsv, checked lines for ndjson, one array for json; auto: by OUTPUT's extension.
    #[arg(long, value_enum, value_name = "FORMAT", help_heading = "Data formats")]
    pub(crate) format: Option<FormatArg>,

    /// CSV/TSV: same (every header identical, rows copied as they are), union or intersect (columns matched by name).
    #[arg(
        long,
        value_enum,
        value_name = "MODE",
        help_heading = "Data formats",
        requires = "format"
    )]
    pub(crate) columns: Option<ColumnsArg>,

    /// CSV: the field delimiter (one character, or \t); detected in each input by default.
    #[arg(
        long,
        value_name = "CHAR",
        help_heading = "Data formats",
        requires = "format"
    )]
    pub(crate) delimiter: Option<String>,

    /// Add a column (csv/tsv) or field (json objects) NAME with each record's input path; with --interleave, prefix each record with its path and a tab.
    #[arg(long, value_name = "NAME", help_heading = "Data formats")]
    pub(crate) add_source: Option<String>,

    /// Merge inputs that are each in time order into one stream in time order (records keyed by the time at their start; not with --manifest).
    #[arg(long, help_heading = "Data formats", conflicts_with = "format")]
    pub(crate) interleave: bool,

    /// --interleave: find the time with REGEX (its group named ts, or first group) instead of the usual log forms.
    #[arg(
        long,
        value_name = "REGEX",
        help_heading = "Data formats",
        requires = "interleave"
    )]
    pub(crate) key: Option<String>,

    /// --interleave: read the time with a strftime FORMAT (%d/%b/%Y:%H:%M:%S %z), or unix for Unix seconds.
    #[arg(
        long,
        value_name = "FORMAT",
        help_heading = "Data formats",
        requires = "interleave"
    )]
    pub(crate) key_format: Option<String>,

    /// Write a seekable bundle (OUTPUT .zst: the zstd seekable format; .gz: BGZF, as bgzip writes): inputs start independent frames or blocks, the manifest travels inside; read back with smerge extract.
    #[arg(long, help_heading = "Data formats", conflicts_with_all = ["format", "interleave", "append"])]
    pub(crate) seekable: bool,
}

/// `--format`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum FormatArg {
    /// Comma-separated values (delimiter detected: , ; | or tab).
    Csv,
    /// Tab-separated values.
    Tsv,
    /// One JSON value per line (also jsonl).
    Ndjson,
    /// JSON arrays joined into one array.
    Json,
    /// From OUTPUT's extension (.csv .tsv .ndjson .jsonl .json, also compressed).
    Auto,
}

/// `--columns`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum ColumnsArg {
    /// Every input has the same header.
    Same,
    /// Every column of any input, matched by name.
    Union,
    /// The columns every input has.
    Intersect,
}

/// The data merge the flags ask for, if any: `--format`, `--interleave`
/// or `--seekable`. `output` is OUTPUT (`None`: standard output).
///
/// # Errors
///
/// Flags that do not go together (a usage error).
pub(crate) fn data_merge(
    args: &MergeArgs,
    output: Option<&Path>,
) -> anyhow::Result<Option<DataMerge>> {
    let data = &args.data;
    if data.seekable {
        refuse_content_options(args, "--seekable")?;
        if data.add_source.is_some() {
            bail!("--add-source needs --format or --interleave");
        }
        let codec = match &args.compress {
            Some(name) => Some(name.parse::<Codec>()?),
            None => output.and_then(Codec::from_extension),
        };
        if !matches!(codec, Some(Codec::Zstd | Codec::Gzip)) {
            bail!("--seekable needs an OUTPUT ending in .zst or .gz, or --compress zstd|gzip");
        }
        return Ok(Some(DataMerge::Seekable(SeekableBundle::new())));
    }
    if data.interleave {
        refuse_content_options(args, "--interleave")?;
        if args.manifest.is_some() {
            bail!(
                "--manifest does not combine with --interleave: the inputs' records alternate, so no input has a part of the output"
            );
        }
        let keys = match (&data.key, &data.key_format) {
            (None, None) => KeyReader::auto(),
            (Some(regex), format) => KeyReader::regex(regex, format.as_deref())?,
            (None, Some(format)) => KeyReader::regex(r"^\s*(.*)", Some(format))?,
        };
        let merge = Interleave::new()
            .keys(keys)
            .add_source(data.add_source.is_some());
        return Ok(Some(DataMerge::Interleave(merge)));
    }
    let Some(format) = data.format else {
        if data.add_source.is_some() {
            bail!("--add-source needs --format or --interleave");
        }
        return Ok(None);
    };
    let format = match format {
        FormatArg::Csv => Format::Csv,
        FormatArg::Tsv => Format::Tsv,
        FormatArg::Ndjson => Format::Ndjson,
        FormatArg::Json => Format::Json,
        FormatArg::Auto => match output {
            Some(path) => Format::from_extension(path).ok_or_else(|| {
                anyhow!(
                    "--format auto: the name {} says no format (.csv .tsv .ndjson .jsonl .json); name one",
                    smerge::quote(path)
                )
            })?,
            None => bail!("--format auto needs an OUTPUT whose extension names the format"),
        },
    };
    refuse_content_options(args, "--format")?;
    let mut merge = FormatMerge::new(format);
    if let Some(columns) = data.columns {
        if !matches!(format, Format::Csv | Format::Tsv) {
            bail!("--columns applies to --format csv or tsv");
        }
        merge = merge.columns(match columns {
            ColumnsArg::Same => Columns::Same,
            ColumnsArg::Union => Columns::Union,
            ColumnsArg::Intersect => Columns::Intersect,
        });
    }
    if let Some(delimiter) = &data.delimiter {
        if !matches!(format, Format::Csv | Format::Tsv) {
            bail!("--delimiter applies to --format csv or tsv");
        }
        merge = merge.delimiter(parse_delimiter(delimiter)?);
    }
    if let Some(name) = &data.add_source {
        merge = merge.add_source(name.clone());
    }
    Ok(Some(DataMerge::Format(merge)))
}

/// Whether a data merge left something out: under `-k`, a format merge
/// drops bad rows or lines with a warning, which makes the exit status 1
/// as a skipped input does.
pub(crate) fn dropped_content(report: &MergeReport) -> bool {
    report.path == Some(MergePath::Format)
        && report
            .warnings
            .iter()
            .any(|w| w.kind() == WarningKind::Content)
}

/// `--delimiter`: one ASCII character, or `\t` / `tab`.
fn parse_delimiter(text: &str) -> anyhow::Result<u8> {
    match text {
        "\\t" | "tab" => Ok(b'\t'),
        _ if text.len() == 1 && text.is_ascii() && text != "\"" && text != "\n" => {
            Ok(text.as_bytes()[0])
        }
        _ => bail!(
            "--delimiter must be one ASCII character other than a quote (or \\t), not {text:?}"
        ),
    }
}

/// The content options of a plain merge, which a data merge decides itself.
fn refuse_content_options(args: &MergeArgs, what: &str) -> anyhow::Result<()> {
    let given = [
        ("--banner", args.banner.is_some()),
        ("--footer", args.footer.is_some()),
        ("--separator", args.separator.is_some()),
        ("--header", args.header.is_some()),
        ("--ensure-newline", args.ensure_newline),
        ("--bom", !matches!(args.bom, crate::args::BomArg::Keep)),
        ("--eol", !matches!(args.eol, crate::args::EolArg::Keep)),
    ];
    if let Some((flag, _)) = given.iter().find(|(_, given)| *given) {
        bail!("{what} decides the content of the output; it does not combine with {flag}");
    }
    Ok(())
}
