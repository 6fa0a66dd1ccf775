//! `smerge merge`: maps the command line onto one [`Merge`], and its
//! outcome onto an exit status.

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use bytes::Bytes;
use smerge::fs::{
    Entries, Listing, ListingBuilder, PathList, SortOrder, read_files_from, read_files0,
};
use smerge::merge::{
    BomMode, Compression, HeaderTemplate, ManifestOutput, Merge, MergeCallback, MergeEvent,
    MergeOptions, MergeReport, Output, WarningCallback,
};
use smerge::object::ObjectUrl;
use smerge::transforms::{Codec, LineEnding};

use crate::args::{BomArg, EolArg, MergeArgs, SortArg};
use crate::escape::{text_or_file, unescape};
use crate::output::{is_broken_pipe, print_stdout};
use crate::progress::{Messages, amount_and_rate, human_bytes};
use crate::scheme::refuse_unknown;
use crate::usage;

pub(crate) async fn run(args: MergeArgs) -> anyhow::Result<ExitCode> {
    if args.watch {
        return crate::watch::run(args).await;
    }
    build(&args, &Reuse::default()).await
}

/// What one build of a `--watch` keeps for the next.
#[derive(Clone, Debug, Default)]
pub(crate) struct Reuse {
    /// The inputs' maps, read once for as long as they do not change.
    #[cfg(feature = "source-map")]
    pub(crate) maps: Option<smerge::sourcemap::MapCache>,
}

/// One merge, as the command line asks.
pub(crate) async fn build(args: &MergeArgs, reuse: &Reuse) -> anyhow::Result<ExitCode> {
    let messages = Messages::plain(args.quiet || args.dry_run);
    let merge = configure(args, &messages, reuse).await?;
    let to_stdout = merge.writes_stdout();
    let plan = merge.plan_async().await?;

    if args.dry_run {
        if args.json {
            print_json(&plan.summary())?;
        } else {
            print_plan(plan.entries(), plan.total_size())?;
        }
        return Ok(exit_status(plan.skipped().is_empty()));
    }

    let prefix = if args.decompress {
        "smerge (input bytes)"
    } else {
        "smerge"
    };
    messages.show_progress(args.progress, Some(plan.total_size()), prefix);
    // SIGINT and SIGTERM are caught around the whole run (cli/main.rs).
    let outcome = plan.run().await;
    messages.finish();
    let report = match outcome {
        Ok(report) => report,
        Err(error) => {
            let error = anyhow::Error::new(error);
            if to_stdout && is_broken_pipe(&error) {
                return Ok(ExitCode::SUCCESS);
            }
            return Err(error);
        }
    };
    if args.verbose {
        messages.say(&summary_line(&report));
    }
    if args.json {
        print_json(&report)?;
    }
    Ok(exit_status(
        report.is_complete() && !crate::data::dropped_content(&report),
    ))
}

/// The merge the flags describe: every flag mapped onto the builder, and
/// checked, before anything is listed or written.
async fn configure(args: &MergeArgs, messages: &Messages, reuse: &Reuse) -> anyhow::Result<Merge> {
    let (inputs, output_arg) = split_paths(args).map_err(usage)?;
    let object_output = match &output_arg {
        Some(path) => ObjectUrl::from_path(path).map_err(|e| usage(e.into()))?,
        None => None,
    };
    let output = match (&output_arg, object_output) {
        (_, Some(url)) if args.append => {
            return Err(usage(anyhow::anyhow!(
                "{url}: --append does not apply to objects"
            )));
        }
        (_, Some(url)) => crate::object::output(url, !args.no_compose, messages)?,
        (Some(path), None) if args.append && path.as_os_str() != "-" => {
            Output::Append(path.clone())
        }
        (Some(path), None) => Output::path(path),
        (None, None) => Output::Stdout,
    };
    check_stdout_users(args, matches!(output, Output::Stdout)).map_err(usage)?;
    let progress = messages.clone();
    let on_event: MergeCallback = Arc::new(move |event: &MergeEvent<'_>| match event {
        MergeEvent::BytesRead(n) => progress.advance(*n),
        MergeEvent::FileStarted { entry } => progress.set_current(entry.relative_path()),
        _ => {}
    });
    let mut options = merge_options(args).map_err(usage)?;
    let map_output = match &output {
        Output::Stdout => None,
        _ => output_arg.as_deref(),
    };
    crate::maps::add_source_map(args, map_output, &mut options).map_err(usage)?;
    #[cfg(feature = "source-map")]
    if let Some(map) = options.source_map.as_mut() {
        map.cache = reuse.maps.clone();
    }
    #[cfg(not(feature = "source-map"))]
    let _ = reuse;
    let mut merge = Merge::new(output)
        .options(options)
        .strict(args.strict)
        .sync(args.fsync)
        .on_warning(print_warnings(messages))
        .on_event(on_event);
    if let Some(data) = crate::data::data_merge(args, output_arg.as_deref()).map_err(usage)? {
        merge = merge.data(data);
    }
    if let Some(name) = &args.compress {
        let codec = name.parse::<Codec>().map_err(|e| usage(e.into()))?;
        merge = merge.compression(Compression::With(codec));
    }
    if let Some(level) = args.level {
        let by_name = output_arg.as_deref().and_then(Codec::from_extension);
        if args.compress.is_none() && by_name.is_none() {
            return Err(usage(anyhow::anyhow!(
                "--level needs --compress CODEC, or an OUTPUT ending in .gz .zst .br .bz2 .xz"
            )));
        }
        merge = merge.level(level);
    }
    // 0 is every core, as for zstd -T0 and xz -T0: the default.
    if let Some(threads) = args.threads.filter(|&threads| threads > 0) {
        merge = merge.threads(threads as usize);
    }
    if let Some(manifest) = &args.manifest {
        merge = merge.manifest(ManifestOutput::path(manifest));
    }
    merge.check().map_err(|e| usage(e.into()))?;
    let inputs = read_inputs(args, inputs)?;
    Ok(if inputs.iter().any(ObjectUrl::is_url_path) {
        // Object prefixes are listed by their service, asynchronously.
        let output_name = output_arg.unwrap_or_else(|| PathBuf::from("/dev/stdout"));
        merge.listed(crate::object::list(listing(args, inputs), &output_name).await?)
    } else {
        merge.listing(listing(args, inputs))
    })
}

fn exit_status(complete: bool) -> ExitCode {
    if complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The path arguments as inputs and OUTPUT (`None`: standard output).
///
/// With `-o`, every path argument is an input. Without it, the last of two
/// or more is OUTPUT and a single one is an input written to standard
/// output, as `cat FILE` would; with a list of inputs (`--files-from`,
/// `--files0-from`) the one path argument there may be is OUTPUT.
pub(crate) fn split_paths(args: &MergeArgs) -> anyhow::Result<(Vec<PathBuf>, Option<PathBuf>)> {
    for path in args.paths.iter().chain(&args.output) {
        refuse_unknown(
            path.as_os_str(),
            &[],
            "merge reads and writes files, directories and -",
        )?;
    }
    let mut paths = args.paths.clone();
    let list = args
        .files_from
        .as_ref()
        .map(|_| "--files-from")
        .or(args.files0_from.as_ref().map(|_| "--files0-from"));
    if let Some(output) = &args.output {
        if let (Some(list), Some(extra)) = (list, paths.first()) {
            bail!(
                "{list} reads the inputs from a list: {} cannot be an input too (with -o, every path argument is an input)",
                smerge::quote(extra)
            );
        }
        return Ok((paths, Some(output.clone())));
    }
    if let Some(list) = list {
        if paths.len() > 1 {
            bail!(
                "{list} reads the inputs from a list: only OUTPUT may be given besides it, not {} paths",
                paths.len()
            );
        }
        return Ok((Vec::new(), paths.pop()));
    }
    if paths.len() == 1 {
        return Ok((paths, None));
    }
    let output = paths.pop();
    Ok((paths, output))
}

/// The inputs: the path arguments, or the names read from the list, in
/// one buffer.
fn read_inputs(args: &MergeArgs, inputs: Vec<PathBuf>) -> anyhow::Result<PathList> {
    Ok(if let Some(list) = &args.files_from {
        read_files_from(list)?
    } else if let Some(list) = &args.files0_from {
        read_files0(list)?
    } else {
        inputs.into_iter().collect()
    })
}

/// Refuses two things writing to standard output at once.
fn check_stdout_users(args: &MergeArgs, to_stdout: bool) -> anyhow::Result<()> {
    let manifest_to_stdout = args.manifest.as_deref() == Some(Path::new("-"));
    if args.json && !args.dry_run && to_stdout {
        bail!("--json prints a summary on standard output: write the merge to a file (-o FILE)");
    }
    if args.json && manifest_to_stdout {
        bail!("--json and --manifest - both write to standard output: send the manifest to a file");
    }
    if manifest_to_stdout && to_stdout && !args.dry_run {
        bail!("--manifest - writes to standard output: write the merge to a file (-o FILE)");
    }
    Ok(())
}

fn listing(args: &MergeArgs, inputs: PathList) -> ListingBuilder {
    let mut builder = Listing::builder();
    builder
        .input_list(inputs)
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
        });
    for pattern in &args.include {
        builder.include(pattern.as_str());
    }
    for pattern in &args.exclude {
        builder.exclude(pattern.as_str());
    }
    for pattern in &args.iinclude {
        builder.include_ignoring_case(pattern.as_str());
    }
    for pattern in &args.iexclude {
        builder.exclude_ignoring_case(pattern.as_str());
    }
    for pattern in &args.first {
        builder.first(pattern.as_str());
    }
    for pattern in &args.last {
        builder.last(pattern.as_str());
    }
    builder
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
    if let Some(limit) = &args.memlimit {
        options.memory_limit = crate::stages::parse_size(limit).context("--memlimit")? as u64;
    }
    options.keep_going = args.keep_going;
    options.allow_changing = args.allow_changing;
    Ok(options)
}

/// Prints each warning as the merge says it, above the bar.
fn print_warnings(messages: &Messages) -> WarningCallback {
    let messages = messages.clone();
    Arc::new(move |warning| {
        if warning.is_note() {
            messages.note(&warning.to_string());
        } else {
            messages.warn(&warning.to_string());
        }
    })
}

/// `-v`: `2 inputs, 13 B in 0.01 s (1.3 KiB/s), kernel path`.
fn summary_line(report: &MergeReport) -> String {
    let inputs = if report.inputs == 1 {
        "input"
    } else {
        "inputs"
    };
    let mut line = format!(
        "{} {inputs}, {}",
        report.inputs,
        amount_and_rate(report.bytes, report.elapsed)
    );
    if let Some(path) = report.path {
        line.push_str(&format!(", {} path", path.as_str()));
    }
    if let Some(codec) = report.codec {
        line.push_str(&format!(", {codec}"));
    }
    if let (Some(copied), Some(streamed)) = (report.server_copied_bytes, report.streamed_bytes) {
        line.push_str(&format!(
            ", {} copied by the server, {} streamed",
            human_bytes(copied as f64),
            human_bytes(streamed as f64)
        ));
    }
    if !report.skipped.is_empty() {
        line.push_str(&format!(", {} skipped", report.skipped.len()));
    }
    line
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut text = serde_json::to_vec(value)?;
    text.push(b'\n');
    print_stdout(&text)
}

/// `--dry-run`: the ordered inputs with their sizes, and the total.
fn print_plan(entries: Entries<'_>, total: u64) -> anyhow::Result<()> {
    let count = entries.len();
    let mut out = Vec::new();
    for entry in entries {
        let size = entry
            .size()
            .map_or_else(|| "-".to_string(), |s| s.to_string());
        write!(out, "{size:>12}  ")?;
        out.extend_from_slice(entry.path().as_os_str().as_bytes());
        out.push(b'\n');
    }
    let files = if count == 1 { "file" } else { "files" };
    writeln!(out, "{total:>12}  total ({count} {files})")?;
    print_stdout(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use clap::Parser;
    use smerge::merge::MergePath;

    fn parse(words: &[&str]) -> MergeArgs {
        let mut command: Vec<std::ffi::OsString> = vec!["smerge".into(), "merge".into()];
        command.extend(words.iter().map(Into::into));
        let Command::Merge(args) = Cli::try_parse_from(command).unwrap().command else {
            unreachable!("a merge command line");
        };
        *args
    }

    fn split(words: &[&str]) -> anyhow::Result<(Vec<PathBuf>, Option<PathBuf>)> {
        split_paths(&parse(words))
    }

    #[test]
    fn where_the_output_is() {
        let paths = |names: &[&str]| names.iter().map(PathBuf::from).collect::<Vec<_>>();
        let some = |name: &str| Some(PathBuf::from(name));
        assert_eq!(
            split(&["a", "b", "o"]).unwrap(),
            (paths(&["a", "b"]), some("o"))
        );
        assert_eq!(split(&["a"]).unwrap(), (paths(&["a"]), None));
        assert_eq!(
            split(&["-o", "o", "a", "b"]).unwrap(),
            (paths(&["a", "b"]), some("o"))
        );
        assert_eq!(
            split(&["a", "--output=o"]).unwrap(),
            (paths(&["a"]), some("o"))
        );
        assert_eq!(
            split(&["--files-from", "l", "o"]).unwrap(),
            (vec![], some("o"))
        );
        assert_eq!(split(&["--files0-from", "l"]).unwrap(), (vec![], None));
        assert_eq!(
            split(&["--files-from", "l", "-o", "o"]).unwrap(),
            (vec![], some("o"))
        );
        for bad in [
            &["--files-from", "l", "a", "o"][..],
            &["--files0-from", "l", "-o", "o", "a"],
        ] {
            assert!(split(bad).is_err(), "{bad:?}");
        }
    }

    /// The path `smerge merge FLAGS... DIR/in DIR/OUTPUT` takes.
    fn path_taken(dir: &Path, flags: &[&str], output: &str) -> MergePath {
        let input = dir.join("in");
        let output = dir.join(output);
        let mut words: Vec<&str> = flags.to_vec();
        words.extend([input.to_str().unwrap(), output.to_str().unwrap()]);
        let args = parse(&words);
        let (inputs, output) = split_paths(&args).unwrap();
        let mut merge = Merge::new(Output::path(output.unwrap()))
            .options(merge_options(&args).unwrap())
            .listing(listing(&args, inputs.into_iter().collect()));
        if let Some(name) = &args.compress {
            merge = merge.compression(Compression::With(name.parse().unwrap()));
        }
        if let Some(manifest) = &args.manifest {
            merge = merge.manifest(ManifestOutput::path(manifest));
        }
        merge.plan().unwrap().path()
    }

    #[test]
    fn only_plain_merges_into_regular_files_take_the_kernel_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("in")).unwrap();
        std::fs::write(dir.path().join("in/a.js"), "a();\n").unwrap();
        std::fs::write(dir.path().join("in/empty.js"), "").unwrap();
        assert_eq!(path_taken(dir.path(), &[], "out.js"), MergePath::Kernel);
        std::fs::write(dir.path().join("out.js"), "old").unwrap();
        assert_eq!(
            path_taken(dir.path(), &["-r", "--sort", "size"], "out.js"),
            MergePath::Kernel
        );

        for flags in [
            &["--manifest", "parts.json"][..],
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
            &["--compress", "gzip"],
        ] {
            assert_eq!(
                path_taken(dir.path(), flags, "out.js"),
                MergePath::Stream,
                "{flags:?}"
            );
        }
        for compressed in ["out.js.gz", "out.zst", "out.br", "out.bz2", "out.xz"] {
            assert_eq!(
                path_taken(dir.path(), &[], compressed),
                MergePath::Stream,
                "{compressed}"
            );
        }
        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        assert_eq!(path_taken(dir.path(), &[], "fifo"), MergePath::Stream);
    }
}
