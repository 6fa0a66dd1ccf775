//! `smerge split`: maps the command line onto [`smerge::split::split`].

use std::process::ExitCode;

use crate::args::SplitArgs;

pub(crate) async fn run(args: SplitArgs) -> anyhow::Result<ExitCode> {
    use anyhow::bail;
    use smerge::merge::Manifest;
    use smerge::split::{SplitOptions, split};

    let manifest = if args.manifest.as_os_str() == "-" {
        Manifest::from_reader(std::io::stdin().lock())?
    } else {
        Manifest::read(&args.manifest)?
    };
    let named = manifest.output_path()?;
    let output = match &args.from {
        Some(from) => from.clone(),
        None if named.as_os_str() != "-" && !named.as_os_str().is_empty() => named,
        None => bail!(
            "{}: the merge wrote to standard output; name its copy with --from OUTPUT",
            smerge::quote(&args.manifest)
        ),
    };
    let mut options = SplitOptions::default();
    options.force = args.force;
    split(&manifest, &output, &args.dir, &options).await?;
    Ok(ExitCode::SUCCESS)
}
