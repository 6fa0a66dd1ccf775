//! The progress bar (indicatif, on stderr) and the one-line warnings that
//! print above it.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How chatty a run is.
#[derive(Clone, Debug)]
pub(crate) struct Messages {
    quiet: bool,
    /// The bar, once [`show_progress`](Messages::show_progress) drew one.
    bar: Arc<OnceLock<ProgressBar>>,
}

impl Messages {
    /// Messages, and a bar as [`show_progress`](Messages::show_progress)
    /// decides with `force` and `total`.
    pub(crate) fn new(quiet: bool, force: bool, total: Option<u64>) -> Messages {
        let messages = Messages::plain(quiet);
        messages.show_progress(force, total, "smerge");
        messages
    }

    /// Messages without a bar yet; none at all when `quiet`.
    pub(crate) fn plain(quiet: bool) -> Messages {
        Messages {
            quiet,
            bar: Arc::default(),
        }
    }

    /// Draws a bar, labelled `prefix`, when stderr is a terminal and
    /// `total`, the number of bytes to process, is known; with `force`,
    /// always (a byte counter when the total is unknown); never when quiet.
    pub(crate) fn show_progress(&self, force: bool, total: Option<u64>, prefix: &str) {
        let show = !self.quiet && (force || (total.is_some() && std::io::stderr().is_terminal()));
        if !show {
            return;
        }
        let target = if force {
            ProgressDrawTarget::term_like(Box::new(console_stderr()))
        } else {
            ProgressDrawTarget::stderr()
        };
        // Cleared when dropped too: a run ended by a signal leaves no bar.
        let bar = ProgressBar::with_draw_target(total, target)
            .with_finish(indicatif::ProgressFinish::AndClear);
        let template = if total.is_some() {
            "{prefix:.bold} [{wide_bar:.cyan/blue}] {percent:>3}% {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}"
        } else {
            "{prefix:.bold} {spinner} {bytes} {binary_bytes_per_sec} {msg}"
        };
        bar.set_style(
            ProgressStyle::with_template(template)
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        bar.set_prefix(prefix.to_owned());
        bar.enable_steady_tick(Duration::from_millis(100));
        let _ = self.bar.set(bar);
    }

    /// Whether a bar is shown: without one, [`advance`](Messages::advance)
    /// and [`set_current`](Messages::set_current) do nothing, and callers
    /// need not count.
    pub(crate) fn shows_progress(&self) -> bool {
        self.bar.get().is_some()
    }

    /// Counts `n` more bytes done.
    pub(crate) fn advance(&self, n: u64) {
        if let Some(bar) = self.bar.get() {
            bar.inc(n);
        }
    }

    /// Shows which file is being worked on.
    pub(crate) fn set_current(&self, path: &Path) {
        if let Some(bar) = self.bar.get() {
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

    /// Prints `smerge: LINE` (unless quiet), above the bar if there is one.
    pub(crate) fn say(&self, line: &str) {
        self.print_line(format!("smerge: {line}"));
    }

    fn print(&self, kind: &str, message: &str) {
        self.print_line(format!("smerge: {kind}: {message}"));
    }

    fn print_line(&self, line: String) {
        if self.quiet {
            return;
        }
        let line = crate::one_line_text(&line);
        match self.bar.get() {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    /// Removes the bar.
    pub(crate) fn finish(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}

/// `13 B in 0.01 s (1.3 KiB/s)`, for `-v`.
pub(crate) fn amount_and_rate(bytes: u64, elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64();
    let rate = if seconds > 0.0 {
        bytes as f64 / seconds
    } else {
        0.0
    };
    format!(
        "{} in {seconds:.2} s ({}/s)",
        human_bytes(bytes as f64),
        human_bytes(rate)
    )
}

/// A size in bytes, KiB, MiB... with one decimal.
pub(crate) fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Standard error as a terminal, for a bar forced on a non-terminal.
fn console_stderr() -> console::Term {
    console::Term::stderr()
}
