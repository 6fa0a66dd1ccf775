//! The `smerge` command: merge, pipe and transform files.
//!
//! `main` only parses the command line and maps the result of `run` onto an
//! exit status: 0 success, 1 failure, 2 usage, 130 / 143 after SIGINT /
//! SIGTERM. A broken pipe on smerge's own standard output is a quiet
//! success (`smerge dir - | head`), as for any Unix filter.

mod args;
mod escape;
mod merge;
mod object;
mod output;
mod pipe;
mod progress;
mod signals;
mod stages;

use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser};

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let args = args::with_default_command(std::env::args_os().collect());
    if args.len() == 2 && args[1] == "--man" {
        return print_man_page();
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("smerge: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(cli));
    // Blocking reads of standard input or a FIFO cannot be cancelled: wait
    // only briefly for them, and for copies that were told to stop.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("smerge: {error:#}");
            if error.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Merge(args) => merge::run(*args).await,
        Command::Pipe(args) => pipe::run(args).await,
        Command::Completions { shell } => {
            let mut command = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "smerge", &mut script);
            output::print_stdout(&script)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A mistake in how smerge was called, found after clap parsed the
/// arguments (a bad template, an unknown transform): exit status 2. It
/// shows the whole chain of the error it wraps, which it hides from
/// `source()`, so that `{:#}` prints each cause once.
#[derive(Debug)]
pub(crate) struct UsageError(pub(crate) anyhow::Error);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for UsageError {}

/// Marks `error` as a usage error.
pub(crate) fn usage(error: anyhow::Error) -> anyhow::Error {
    anyhow::Error::new(UsageError(error))
}

fn print_man_page() -> ExitCode {
    let mut page = Vec::new();
    if let Err(error) = clap_mangen::Man::new(Cli::command()).render(&mut page) {
        eprintln!("smerge: cannot render the manual page: {error}");
        return ExitCode::FAILURE;
    }
    match output::print_stdout(&page) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("smerge: {error:#}");
            ExitCode::FAILURE
        }
    }
}
