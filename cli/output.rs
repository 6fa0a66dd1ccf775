//! What the commands print on standard output themselves, and how a
//! closed standard output is recognised.

use std::io::Write;

/// True when `error` is a write into a pipe whose reader went away.
pub(crate) fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<smerge::Error>())
        .any(smerge::Error::is_broken_pipe)
}

/// Writes `text` to standard output; a reader that went away (`| head`) is
/// not an error.
pub(crate) fn print_stdout(text: &[u8]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(error).context("writing standard output"))
        }
        _ => Ok(()),
    }
}
