//! `smerge --man`: one manual page that holds every subcommand and every
//! option.

use std::io::Write;

use clap::CommandFactory;
use clap_mangen::Man;

use crate::args::Cli;

/// The page, in roff: the top-level page (name, synopsis, description, the
/// list of subcommands), then a section per subcommand with its synopsis,
/// description, options (by heading, as subsections) and examples.
pub(crate) fn page() -> std::io::Result<Vec<u8>> {
    let mut command = Cli::command();
    command.build();
    let man = Man::new(command.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_subcommands_section(&mut page)?;
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = sub.get_bin_name().unwrap_or(sub.get_name()).to_uppercase();
        writeln!(page, ".SH \"{name}\"")?;
        let man = Man::new(sub.clone());
        let mut part = Vec::new();
        man.render_synopsis_section(&mut part)?;
        man.render_description_section(&mut part)?;
        man.render_options_section(&mut part)?;
        if sub.get_after_help().is_some() {
            man.render_extra_section(&mut part)?;
        }
        page.extend(as_subsections(&part));
    }
    man.render_version_section(&mut page)?;
    Ok(page)
}

/// `roff` with its sections turned into subsections, to sit inside a
/// section of the page.
fn as_subsections(roff: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(roff.len());
    for line in roff.split_inclusive(|&b| b == b'\n') {
        match line.strip_prefix(b".SH ") {
            // clap_mangen calls the text after the options EXTRA; it holds
            // the examples.
            Some(b"EXTRA\n") => out.extend_from_slice(b".SS EXAMPLES\n"),
            Some(title) => {
                out.extend_from_slice(b".SS ");
                out.extend_from_slice(title);
            }
            None => out.extend_from_slice(line),
        }
    }
    out
}
