//! `smerge completions SHELL`: the completion scripts, from the clap
//! definitions, with what a static script cannot learn from them alone.

use clap::builder::PossibleValuesParser;
use clap::{Arg, CommandFactory};
use clap_complete::Shell;

use crate::args::Cli;
use crate::stages::CATALOGUE;

/// The completion script for `shell`.
pub(crate) fn script(shell: Shell) -> Vec<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command(), "smerge", &mut script);
    script
}

/// The command line as completions see it: the default command's options
/// also at the top level (`smerge --inc<TAB>` completes `--include`, since
/// `smerge --include … dir out` is a merge), and the transform names as the
/// values of `pipe -t`.
fn command() -> clap::Command {
    let cli = Cli::command();
    let merge_args: Vec<Arg> = cli
        .find_subcommand("merge")
        .expect("merge is a subcommand")
        .get_arguments()
        .cloned()
        .collect();
    cli.args(merge_args)
        .subcommand_required(false)
        .args_conflicts_with_subcommands(true)
        .mut_subcommand("pipe", |pipe| {
            pipe.mut_arg("transforms", |arg| {
                arg.value_parser(PossibleValuesParser::new(transform_names()))
            })
        })
}

/// The transform names as they are typed: `gzip`, `eol:lf`, `exec:`...
fn transform_names() -> Vec<&'static str> {
    CATALOGUE
        .iter()
        .map(|(entry, _)| {
            let end = entry.find(['[', ' ']).unwrap_or(entry.len());
            entry[..end].trim_end_matches("CMD")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_completion_command_is_consistent() {
        command().debug_assert();
        assert!(transform_names().contains(&"exec:"));
        assert!(transform_names().contains(&"eol:crlf"));
    }
}
