//! `smerge split`: maps the command line onto [`smerge::split::split`].

use std::process::ExitCode;

use crate::args::SplitArgs;

#[cfg(feature = "split")]
pub(crate) async fn run(args: SplitArgs) -> anyhow::Result<ExitCode> {
    use anyhow::bail;
    use smerge::split::{Manifest, SplitOptions, split};

    let manifest = Manifest::read(&args.manifest)?;
    let output = match (&args.from, &manifest.output) {
        (Some(from), _) => from.clone(),
        (None, Some(output)) => output.clone(),
        (None, None) => bail!(
            "{}: the merge wrote to standard output; name its copy with --from OUTPUT",
            args.manifest.display()
        ),
    };
    let mut options = SplitOptions::default();
    options.force = args.force;
    split(&manifest, &output, &args.dir, &options).await?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "split"))]
pub(crate) async fn run(_args: SplitArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("this smerge was built without split (the split feature)")
}
