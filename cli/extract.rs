//! `smerge extract`: the inputs of a seekable bundle, read back without
//! decompressing the others.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use smerge::fs::AtomicFile;
use smerge::merge::ManifestPart;
use smerge::seekable::{Bundle, safe_target};

use crate::output::print_stdout;

/// `smerge extract`.
#[derive(Debug, Args)]
pub(crate) struct ExtractArgs {
    /// A bundle written with `smerge --seekable` (.zst or .gz).
    pub(crate) bundle: PathBuf,

    /// The inputs to extract: paths as the manifest records them, or globs (default: all).
    #[arg(value_name = "PATH|GLOB")]
    pub(crate) patterns: Vec<String>,

    /// List the inputs' paths instead of extracting them.
    #[arg(short = 'l', long)]
    pub(crate) list: bool,

    /// Recreate the inputs as files under DIR instead of writing them to standard output.
    #[arg(long, value_name = "DIR", conflicts_with = "list")]
    pub(crate) to: Option<PathBuf>,

    /// With --to, replace files that exist.
    #[arg(long, requires = "to")]
    pub(crate) force: bool,
}

pub(crate) const EXTRACT_EXAMPLES: &str = "\
Examples:
  smerge --seekable logs/ logs.zst              write a bundle
  smerge extract logs.zst --list                the paths it holds
  smerge extract logs.zst app/2024-03-01.log    one input, to standard output
  smerge extract logs.zst 'app/*.log' --to out  recreate some under out/";

pub(crate) fn run(args: ExtractArgs) -> anyhow::Result<ExitCode> {
    let bundle = Bundle::open(&args.bundle)?;
    let parts: Vec<ManifestPart> = if args.patterns.is_empty() {
        bundle.manifest()?.parts.clone()
    } else {
        bundle.select(&args.patterns)?
    };
    if args.list {
        let mut text = Vec::new();
        for part in &parts {
            text.extend(part.path_bytes()?.unwrap_or_default());
            text.push(b'\n');
        }
        print_stdout(&text)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(dir) = &args.to {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", smerge::quote(dir)))?;
        for part in &parts {
            let target = safe_target(dir, &part.relative_path()?, args.force)?;
            let file = AtomicFile::create(&target)?;
            {
                let mut writer = BufWriter::new(file.file());
                bundle.extract(part, &mut writer)?;
                writer
                    .flush()
                    .with_context(|| format!("writing {}", smerge::quote(&target)))?;
            }
            file.commit()?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(128 * 1024, stdout.lock());
    let written = parts
        .iter()
        .try_for_each(|part| bundle.extract(part, &mut out).map_err(anyhow::Error::from))
        .and_then(|()| out.flush().context("writing standard output"));
    match written {
        Err(error) if crate::output::is_broken_pipe(&error) || is_pipe_error(&error) => {
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => Err(error),
        Ok(()) => Ok(ExitCode::SUCCESS),
    }
}

/// True for an EPIPE that reached us as a plain `io::Error`.
fn is_pipe_error(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
