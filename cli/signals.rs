//! SIGINT and SIGTERM: stop the run by dropping its future, which destroys
//! every stream (an atomic output's temporary file is removed), then exit
//! with 128 + the signal number.

use std::future::Future;
use std::process::ExitCode;

use tokio::signal::unix::{SignalKind, signal};

/// Runs `work` until it completes or a SIGINT or SIGTERM arrives; in the
/// latter case `work` is dropped and the exit status is 130 or 143.
pub(crate) async fn interruptible<F>(work: F) -> anyhow::Result<Result<F::Output, ExitCode>>
where
    F: Future,
{
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let outcome = tokio::select! {
        output = work => Ok(output),
        _ = interrupt.recv() => Err(ExitCode::from(130)),
        _ = terminate.recv() => Err(ExitCode::from(143)),
    };
    // An object written by an upload that did not complete is aborted in
    // the background: wait for that, unless a second signal says not to.
    tokio::select! {
        () = crate::object::wait_for_aborts() => {}
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    Ok(outcome)
}
