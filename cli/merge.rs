//! `smerge merge`: maps the command line onto a [`Listing`] and a [`merge`].

use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::CommandFactory;
use smerge::fs::{AtomicFile, Entry, EntryKind, Listing, SortOrder, read_files0};
use smerge::merge::{
    BomMode, HeaderTemplate, MergeCallback, MergeEvent, MergeOptions, MergeReport, PartRecord,
    merge,
};
use smerge::transforms::{Codec, LineEnding};

use crate::args::{BomArg, Cli, EolArg, MergeArgs, SortArg};
use crate::escape::{text_or_file, unescape};
use crate::output::{Destination, compressing, is_broken_pipe, print_stdout};
use crate::progress::Messages;
use crate::signals::interruptible;
use crate::usage;

pub(crate) async fn run(args: MergeArgs) -> anyhow::Result<ExitCode> {
    let (inputs, destination) = split_paths(&args)?;
    let options = merge_options(&args).map_err(usage)?;
    let listing = list_inputs(&args, &inputs, &destination)?;
    let total = listing.total_size();
    let (entries, problems, warnings) = listing.into_parts();

    let messages = Messages::new(args.quiet || args.dry_run, args.progress, Some(total));
    for warning in &warnings {
        messages.warn(warning);
    }
    let mut failed = false;
    for problem in problems {
        if !args.keep_going {
            return Err(problem.into());
        }
        messages.warn(&format!("skipping {problem}"));
        failed = true;
    }
    if args.dry_run {
        print_plan(&entries, total)?;
        return Ok(ExitCode::SUCCESS);
    }

    let progress = messages.clone();
    let on_event: MergeCallback = Arc::new(move |event: &MergeEvent<'_>| match event {
        MergeEvent::BytesRead(n) => progress.advance(*n),
        MergeEvent::FileStarted { entry } => {
            progress.set_current(&entry.relative_path().display().to_string());
        }
        MergeEvent::Skipped { error, .. } => progress.warn(&format!("skipping {error}")),
        _ => {}
    });

    let codec = match output_codec(&args, &destination).map_err(usage)? {
        Some((codec, _)) if !options.changes_content() && already_compressed(&entries, codec) => {
            messages.note(&format!(
                "every input is {codec}-compressed already: concatenating them as they are"
            ));
            None
        }
        other => other,
    };
    let work = async {
        let mut output = destination.open(args.append)?;
        if let Some((codec, level)) = codec {
            output = compressing(output, codec, level)?;
        }
        let report = merge(&entries, &options, &mut output, Some(on_event)).await?;
        anyhow::Ok(report)
    };
    let outcome = interruptible(work).await?;
    messages.finish();
    let report = match outcome {
        Err(signal_status) => return Ok(signal_status),
        Ok(Ok(report)) => report,
        Ok(Err(error)) => {
            if destination == Destination::Stdout && is_broken_pipe(&error) {
                return Ok(ExitCode::SUCCESS);
            }
            return Err(error);
        }
    };
    failed |= !report.skipped.is_empty();
    if let Some(manifest) = &args.manifest {
        write_manifest(manifest, &destination, &report)?;
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Splits the path arguments into inputs and the output.
fn split_paths(args: &MergeArgs) -> anyhow::Result<(Vec<PathBuf>, Destination)> {
    let mut paths = args.paths.clone();
    if let Some(list) = &args.files0_from {
        let listed = read_files0(list)?;
        let destination = match paths.pop() {
            Some(output) => Destination::new(&output),
            None => Destination::Stdout,
        };
        paths.extend(listed);
        return Ok((paths, destination));
    }
    if paths.len() < 2 {
        let mut command = Cli::command();
        command.build();
        command
            .find_subcommand_mut("merge")
            .expect("merge is a subcommand")
            .error(
                clap::error::ErrorKind::MissingRequiredArgument,
                "smerge merge needs at least one INPUT and an OUTPUT (use - for stdout)",
            )
            .exit();
    }
    let output = paths.pop().expect("two paths or more");
    Ok((paths, Destination::new(&output)))
}

fn list_inputs(
    args: &MergeArgs,
    inputs: &[PathBuf],
    destination: &Destination,
) -> anyhow::Result<Listing> {
    let mut builder = Listing::builder();
    builder
        .inputs(inputs.iter().cloned())
        .recursive(args.recursive)
        .hidden(args.hidden)
        .gitignore(args.gitignore)
        .follow_links(args.follow_links)
        .allow_empty(args.allow_empty)
        .reverse(args.reverse)
        .sort(match args.sort {
            SortArg::Name => SortOrder::Name,
            SortArg::Natural => SortOrder::Natural,
            SortArg::Mtime => SortOrder::Mtime,
            SortArg::Size => SortOrder::Size,
        })
        .exclude_output(destination.identity_path());
    for pattern in &args.include {
        builder.include(pattern.as_str());
    }
    for pattern in &args.exclude {
        builder.exclude(pattern.as_str());
    }
    for pattern in &args.first {
        builder.first(pattern.as_str());
    }
    for pattern in &args.last {
        builder.last(pattern.as_str());
    }
    Ok(builder.build()?)
}

fn merge_options(args: &MergeArgs) -> anyhow::Result<MergeOptions> {
    let mut options = MergeOptions::default();
    if let Some(separator) = &args.separator {
        options.separator = Some(Bytes::from(
            unescape(separator.as_encoded_bytes()).context("--separator")?,
        ));
    }
    if let Some(banner) = &args.banner {
        options.banner = Some(text_or_file(banner).context("--banner")?);
    }
    if let Some(footer) = &args.footer {
        options.footer = Some(text_or_file(footer).context("--footer")?);
    }
    if let Some(header) = &args.header {
        let text = unescape(header.as_bytes()).context("--header")?;
        let text = String::from_utf8(text).context("--header must be UTF-8")?;
        options.header = Some(HeaderTemplate::parse(&text).context("--header")?);
    }
    options.ensure_newline = args.ensure_newline;
    options.bom = match args.bom {
        BomArg::Keep => BomMode::Keep,
        BomArg::Strip => BomMode::Strip,
        BomArg::StripInner => BomMode::StripInner,
    };
    options.eol = match args.eol {
        EolArg::Keep => None,
        EolArg::Lf => Some(LineEnding::Lf),
        EolArg::Crlf => Some(LineEnding::CrLf),
    };
    options.decompress = args.decompress;
    options.keep_going = args.keep_going;
    options.allow_changing = args.allow_changing;
    options.record_parts = args.manifest.is_some();
    Ok(options)
}

/// The output's codec and level: `--compress`, or OUTPUT's extension.
fn output_codec(
    args: &MergeArgs,
    destination: &Destination,
) -> anyhow::Result<Option<(Codec, u32)>> {
    let codec = match &args.compress {
        Some(name) => Some(name.parse::<Codec>()?),
        None => match destination {
            Destination::Path(path) => Codec::from_extension(path),
            Destination::Stdout => None,
        },
    };
    match (codec, args.level) {
        (None, Some(_)) => {
            bail!("--level needs --compress CODEC, or an OUTPUT ending in .gz .zst .br .bz2 .xz")
        }
        (None, None) => Ok(None),
        (Some(codec), level) => {
            let level = codec.check_level(level.unwrap_or_else(|| codec.default_level()))?;
            Ok(Some((codec, level)))
        }
    }
}

/// True when every input is a regular file already compressed with
/// `codec`, in a format whose streams can follow one another in one file:
/// then the inputs are concatenated as they are (as `cat *.gz > all.gz`)
/// rather than compressed twice. Brotli streams cannot be concatenated.
fn already_compressed(entries: &[Entry], codec: Codec) -> bool {
    if !matches!(codec, Codec::Gzip | Codec::Zstd | Codec::Xz | Codec::Bzip2) || entries.is_empty()
    {
        return false;
    }
    entries.iter().all(|entry| {
        if entry.kind() != EntryKind::File {
            return false;
        }
        let mut magic = [0u8; Codec::MAX_MAGIC_LEN];
        let Ok(mut file) = std::fs::File::open(entry.path()) else {
            return false;
        };
        let mut filled = 0;
        while filled < magic.len() {
            match file.read(&mut magic[filled..]) {
                Ok(0) | Err(_) => break,
                Ok(n) => filled += n,
            }
        }
        Codec::detect(&magic[..filled]) == Some(codec)
    })
}

/// `--dry-run`: the ordered inputs with their sizes, and the total.
fn print_plan(entries: &[Entry], total: u64) -> anyhow::Result<()> {
    let mut out = Vec::new();
    for entry in entries {
        let size = entry
            .size()
            .map_or_else(|| "-".to_string(), |s| s.to_string());
        write!(out, "{size:>12}  ")?;
        out.extend_from_slice(entry.path().as_os_str().as_bytes());
        out.push(b'\n');
    }
    let files = if entries.len() == 1 { "file" } else { "files" };
    writeln!(out, "{total:>12}  total ({} {files})", entries.len())?;
    print_stdout(&out)
}

fn write_manifest(
    path: &Path,
    destination: &Destination,
    report: &MergeReport,
) -> anyhow::Result<()> {
    let parts: Vec<serde_json::Value> = report.parts.iter().map(part_json).collect();
    let output = match destination {
        Destination::Stdout => serde_json::Value::String("-".into()),
        Destination::Path(path) => serde_json::Value::String(path.to_string_lossy().into_owned()),
    };
    let manifest = serde_json::json!({ "output": output, "parts": parts });
    let mut text = serde_json::to_vec_pretty(&manifest)?;
    text.push(b'\n');
    let file = AtomicFile::create(path)?;
    (&mut file.file())
        .write_all(&text)
        .with_context(|| format!("writing {}", path.display()))?;
    file.commit()?;
    Ok(())
}

fn part_json(part: &PartRecord) -> serde_json::Value {
    serde_json::json!({
        "kind": part.kind.as_str(),
        "path": part.path.as_ref().map(|p| p.to_string_lossy().into_owned()),
        "offset": part.offset,
        "length": part.length,
        "sha256": part.sha256_hex(),
    })
}
