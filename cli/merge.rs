//! `smerge merge`: maps the command line onto a [`Listing`] and a [`merge`].

use std::fs::File;
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
    PlainOutput, can_merge_plain, merge, merge_plain,
};
use smerge::transforms::{Codec, LineEnding};

use crate::args::{BomArg, Cli, EolArg, MergeArgs, SortArg};
use crate::escape::{text_or_file, unescape};
use crate::output::{
    Destination, compressing, create_atomic, is_broken_pipe, print_stdout, stdout_file, stdout_type,
};
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
            progress.set_current(entry.relative_path());
        }
        MergeEvent::Skipped { error, .. } => progress.warn(&format!("skipping {error:#}")),
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
        let plain = plain_output(&args, &options, &entries, &destination, codec.is_some())?;
        let report = match plain {
            Some(output) => merge_plain(entries, output, Some(on_event)).await?,
            None => {
                let mut output = destination.open(args.append)?;
                if let Some((codec, level)) = codec {
                    output = compressing(output, codec, level)?;
                }
                merge(&entries, &options, &mut output, Some(on_event)).await?
            }
        };
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

/// The output of the fast path ([`merge_plain`]) when this merge may take it,
/// opened; `None` sends it through the buffered stream merge.
///
/// The fast path takes plain merges ([`can_merge_plain`]: no manifest
/// either) that are not `compressed` nor appended, into a path that is (or
/// will be) a regular file replaced atomically, or into standard output
/// when it is a regular file or a blocking pipe.
fn plain_output(
    args: &MergeArgs,
    options: &MergeOptions,
    entries: &[Entry],
    destination: &Destination,
    compressed: bool,
) -> anyhow::Result<Option<PlainOutput>> {
    if args.append || compressed || !can_merge_plain(entries, options) {
        return Ok(None);
    }
    match destination {
        Destination::Path(path) => {
            if std::fs::metadata(path).is_ok_and(|meta| !meta.is_file()) {
                return Ok(None);
            }
            Ok(Some(PlainOutput::Atomic(create_atomic(path)?)))
        }
        Destination::Stdout => {
            let file_or_pipe = matches!(
                stdout_type()?,
                rustix::fs::FileType::RegularFile | rustix::fs::FileType::Fifo
            );
            let blocking = rustix::fs::fcntl_getfl(std::io::stdout())
                .is_ok_and(|flags| !flags.contains(rustix::fs::OFlags::NONBLOCK));
            if !(file_or_pipe && blocking) {
                return Ok(None);
            }
            Ok(Some(PlainOutput::Open {
                file: stdout_file()?,
                name: PathBuf::from("standard output"),
            }))
        }
    }
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
/// `codec`: then the inputs are concatenated as they are (as
/// `cat *.gz > all.gz`) rather than compressed twice. Only the codecs
/// [`Codec::detect`] recognises qualify, and their streams may follow one
/// another in one file; brotli's, which cannot, is never detected.
fn already_compressed(entries: &[Entry], codec: Codec) -> bool {
    !entries.is_empty()
        && entries.iter().all(|entry| {
            entry.kind() == EntryKind::File && detect_codec(entry.path()) == Some(codec)
        })
}

/// The codec whose magic number the file at `path` starts with.
fn detect_codec(path: &Path) -> Option<Codec> {
    let mut magic = Vec::with_capacity(Codec::MAX_MAGIC_LEN);
    File::open(path)
        .ok()?
        .take(Codec::MAX_MAGIC_LEN as u64)
        .read_to_end(&mut magic)
        .ok()?;
    Codec::detect(&magic)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::Command;
    use clap::Parser;

    /// Whether `smerge merge FLAGS... DIR/in DIR/OUTPUT` takes the fast path.
    fn takes_fast_path(dir: &Path, flags: &[&str], output: &str) -> bool {
        let input = dir.join("in");
        let output = dir.join(output);
        let mut command: Vec<std::ffi::OsString> = vec!["smerge".into(), "merge".into()];
        command.extend(flags.iter().map(Into::into));
        command.extend([input.into_os_string(), output.into_os_string()]);
        let Command::Merge(args) = Cli::try_parse_from(command).unwrap().command else {
            unreachable!("a merge command line");
        };
        let options = merge_options(&args).unwrap();
        let (inputs, destination) = split_paths(&args).unwrap();
        let listing = list_inputs(&args, &inputs, &destination).unwrap();
        let compressed = output_codec(&args, &destination).unwrap().is_some();
        plain_output(&args, &options, listing.entries(), &destination, compressed)
            .unwrap()
            .is_some()
    }

    #[test]
    fn only_inputs_all_in_the_output_codec_are_already_compressed() {
        let dir = tempfile::tempdir().unwrap();
        let gzip = dir.path().join("a.gz");
        let plain = dir.path().join("b.txt");
        std::fs::write(&gzip, b"\x1f\x8b\x08\x00 rest of a member").unwrap();
        std::fs::write(&plain, b"text").unwrap();
        let entries = |paths: &[&Path]| {
            let mut builder = Listing::builder();
            builder.inputs(paths.iter().map(|p| p.to_path_buf()));
            builder.build().unwrap().into_parts().0
        };
        assert!(already_compressed(&entries(&[&gzip, &gzip]), Codec::Gzip));
        assert!(!already_compressed(&entries(&[&gzip, &plain]), Codec::Gzip));
        assert!(!already_compressed(&entries(&[&gzip]), Codec::Zstd));
        assert!(!already_compressed(&entries(&[&plain]), Codec::Brotli));
        assert!(!already_compressed(&[], Codec::Gzip));
    }

    #[test]
    fn only_plain_merges_into_regular_files_take_the_fast_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("in")).unwrap();
        std::fs::write(dir.path().join("in/a.js"), "a();\n").unwrap();
        std::fs::write(dir.path().join("in/empty.js"), "").unwrap();
        assert!(takes_fast_path(dir.path(), &[], "out.js"));
        std::fs::write(dir.path().join("out.js"), "old").unwrap();
        assert!(takes_fast_path(
            dir.path(),
            &["-r", "--sort", "size"],
            "out.js"
        ));

        for flags in [
            &["--append"][..],
            &["--manifest", "parts.json"],
            &["--keep-going"],
            &["--allow-changing"],
            &["--ensure-newline"],
            &["--separator", "\\n"],
            &["--header", "// {path}\\n"],
            &["--banner", "/* all */"],
            &["--footer", "/* end */"],
            &["--bom", "strip"],
            &["--eol", "lf"],
            &["--decompress"],
        ] {
            assert!(!takes_fast_path(dir.path(), flags, "out.js"), "{flags:?}");
        }
        for compressed in ["out.js.gz", "out.zst", "out.br", "out.bz2", "out.xz"] {
            assert!(
                !takes_fast_path(dir.path(), &[], compressed),
                "{compressed}"
            );
        }
        assert!(!takes_fast_path(
            dir.path(),
            &["--compress", "gzip"],
            "out.js"
        ));
        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        assert!(!takes_fast_path(dir.path(), &[], "fifo"));
    }
}
