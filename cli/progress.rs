//! The progress bar (indicatif, on stderr) and the one-line warnings that
//! print above it.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How chatty a run is.
#[derive(Clone, Debug)]
pub(crate) struct Messages {
    quiet: bool,
    bar: Option<ProgressBar>,
}

impl Messages {
    /// A bar when stderr is a terminal and `total`, the number of bytes to
    /// process, is known; with `force`, always (a byte counter when the
    /// total is unknown); none when `quiet`.
    pub(crate) fn new(quiet: bool, force: bool, total: Option<u64>) -> Messages {
        let show = !quiet && (force || (total.is_some() && std::io::stderr().is_terminal()));
        let bar = show.then(|| {
            let target = if force {
                ProgressDrawTarget::term_like(Box::new(console_stderr()))
            } else {
                ProgressDrawTarget::stderr()
            };
            let bar = ProgressBar::with_draw_target(total, target);
            let template = if total.is_some() {
                "{prefix:.bold} [{wide_bar:.cyan/blue}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}"
            } else {
                "{prefix:.bold} {spinner} {bytes} {binary_bytes_per_sec} {msg}"
            };
            bar.set_style(
                ProgressStyle::with_template(template)
                    .expect("the template is valid")
                    .progress_chars("=> "),
            );
            bar.set_prefix("smerge");
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        Messages { quiet, bar }
    }

    /// Whether a bar is shown: without one, [`advance`](Messages::advance)
    /// and [`set_current`](Messages::set_current) do nothing, and callers
    /// need not count.
    pub(crate) fn shows_progress(&self) -> bool {
        self.bar.is_some()
    }

    /// Counts `n` more bytes done.
    pub(crate) fn advance(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// Shows which file is being worked on.
    pub(crate) fn set_current(&self, path: &Path) {
        if let Some(bar) = &self.bar {
            bar.set_message(smerge::quote(path).to_string());
        }
    }

    /// Prints a warning (unless quiet), above the bar if there is one.
    pub(crate) fn warn(&self, message: &str) {
        self.print("warning", message);
    }

    /// Prints a note (unless quiet), above the bar if there is one.
    pub(crate) fn note(&self, message: &str) {
        self.print("note", message);
    }

    fn print(&self, kind: &str, message: &str) {
        if self.quiet {
            return;
        }
        let line = format!("smerge: {kind}: {}", crate::one_line_text(message));
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    /// Removes the bar.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Standard error as a terminal, for a bar forced on a non-terminal.
fn console_stderr() -> console::Term {
    console::Term::stderr()
}
