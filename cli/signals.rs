//! SIGINT and SIGTERM: stop the run by dropping its future, which destroys
//! every stream (an atomic output's temporary file is removed), then exit
//! with 128 + the signal number.

use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;

use tokio::signal::unix::{Signal, SignalKind, signal};

/// How long a run that was told to stop may take to be dropped before it
/// counts as stuck in a system call that no signal ends.
const DROP_WAIT: Duration = Duration::from_millis(300);

/// How a run ended.
pub(crate) enum Outcome<T> {
    /// It completed with this.
    Finished(T),
    /// A signal stopped it: exit with `status`. `stuck` when the run could
    /// not be dropped, being inside a system call that waits on something
    /// outside smerge (a FIFO nobody opens, read with a blocking call):
    /// the process must then exit without waiting for it.
    Interrupted { status: ExitCode, stuck: bool },
}

/// SIGINT and SIGTERM, caught from now on.
struct Signals {
    interrupt: Signal,
    terminate: Signal,
}

impl Signals {
    fn catch() -> anyhow::Result<Signals> {
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// Waits for either; returns the exit status it calls for.
    async fn recv(&mut self) -> ExitCode {
        tokio::select! {
            _ = self.interrupt.recv() => ExitCode::from(130),
            _ = self.terminate.recv() => ExitCode::from(143),
        }
    }
}

/// Runs `work` as a task of its own until it completes or a SIGINT or
/// SIGTERM arrives. Then the task is aborted, which drops it — its streams
/// destroyed, temporary files removed, uploads aborted — as soon as no
/// thread is inside it. A task blocked in a system call that waits for
/// something outside smerge (opening a FIFO for a manifest, a list or a
/// banner that nobody opens) cannot be dropped: it is given up after a
/// moment and reported `stuck`, so that the signal still ends smerge at
/// once instead of when the other end turns up.
pub(crate) async fn interruptible<F>(work: F) -> anyhow::Result<Outcome<F::Output>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let mut signals = Signals::catch()?;
    let mut task = tokio::spawn(work);
    let status = tokio::select! {
        joined = &mut task => {
            let output = match joined {
                Ok(output) => output,
                Err(error) => std::panic::resume_unwind(error.into_panic()),
            };
            // A run that failed may have left uploads to abort.
            wait_for_aborts(&mut signals).await;
            return Ok(Outcome::Finished(output));
        }
        status = signals.recv() => status,
    };
    task.abort();
    let stuck = tokio::select! {
        _ = &mut task => false,
        () = tokio::time::sleep(DROP_WAIT) => true,
        _ = signals.recv() => true,
    };
    if !stuck {
        wait_for_aborts(&mut signals).await;
    }
    Ok(Outcome::Interrupted { status, stuck })
}

/// An object written by an upload that did not complete is aborted in the
/// background: waits for that, unless a signal says not to.
async fn wait_for_aborts(signals: &mut Signals) {
    tokio::select! {
        () = crate::object::wait_for_aborts() => {}
        _ = signals.recv() => {}
    }
}
