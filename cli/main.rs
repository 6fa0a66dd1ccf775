//! The `smerge` command: merge, pipe and transform files.
//!
//! `main` only parses the command line and maps the result of `run` onto an
//! exit status: 0 success, 1 failure, 2 usage, 130 / 143 after SIGINT /
//! SIGTERM. A broken pipe on smerge's own standard output is a quiet
//! success (`smerge dir - | head`), as for any Unix filter.

mod args;
mod completions;
mod data;
mod escape;
mod extract;
mod manual;
mod maps;
mod merge;
mod object;
mod output;
mod pipe;
mod progress;
mod scheme;
mod signals;
mod split;
mod stages;
mod watch;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

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
    // Two workers at least: the run is a task of its own, and a signal is
    // seen by the other worker even while the run's is blocked in a
    // system call.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().max(2));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("smerge: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    // SIGINT and SIGTERM are caught from the start: whatever the run is
    // doing (listing, waiting for a FIFO's other end), it is dropped.
    let mut stuck = false;
    let outcome = runtime.block_on(async {
        match signals::interruptible(run(cli)).await {
            Ok(signals::Outcome::Finished(finished)) => finished,
            Ok(signals::Outcome::Interrupted {
                status,
                stuck: blocked,
            }) => {
                stuck = blocked;
                Ok(status)
            }
            Err(error) => Err(error),
        }
    });
    if stuck {
        // The run is blocked in a system call that waits for a FIFO's
        // other end: exit now, without waiting for it.
        runtime.shutdown_background();
    } else {
        // Blocking reads of standard input or a FIFO cannot be cancelled:
        // wait only briefly for them, and for copies that were told to stop.
        runtime.shutdown_timeout(Duration::from_secs(1));
    }
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("smerge: {}", one_line_text(&format!("{error:#}")));
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
        Command::Split(args) => split::run(args).await,
        Command::Extract(args) => extract::run(args),
        Command::Completions { shell } => {
            output::print_stdout(&completions::script(shell))?;
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

/// `text` with any character that would break the line or drive the
/// terminal escaped: every message is one line. (Names are quoted where
/// they are put in a message; this catches what no one quoted.)
pub(crate) fn one_line_text(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn print_man_page() -> ExitCode {
    let page = match manual::page() {
        Ok(page) => page,
        Err(error) => {
            eprintln!("smerge: cannot render the manual page: {error}");
            return ExitCode::FAILURE;
        }
    };
    match output::print_stdout(&page) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("smerge: {}", one_line_text(&format!("{error:#}")));
            ExitCode::FAILURE
        }
    }
}
