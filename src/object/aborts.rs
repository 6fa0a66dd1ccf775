//! Uploads dropped before they completed: aborted in the background, so
//! that no part is left behind, and waited for before the program exits.

use std::future::Future;
use std::sync::{Mutex, PoisonError};

use tokio::task::JoinHandle;

static PENDING: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());

/// Runs `abort` on the current tokio runtime, if there is one, and keeps
/// its handle for [`wait_for_aborts`].
pub(crate) fn abort_in_background(abort: impl Future<Output = ()> + Send + 'static) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        let handle = runtime.spawn(abort);
        let mut pending = PENDING.lock().unwrap_or_else(PoisonError::into_inner);
        pending.retain(|task| !task.is_finished());
        pending.push(handle);
    }
}

/// Waits until the uploads that were dropped unfinished (by an error, or a
/// merge stopped by Ctrl-C) are aborted, so that the service keeps none of
/// their parts.
///
/// An output object is written with a multipart upload that completes only
/// when everything was written; dropping the writer before that aborts the
/// upload, which takes a request, made in the background. A program that
/// exits right after dropping a writer should call this first.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // Nothing was dropped unfinished: returns at once.
/// smerge::object::wait_for_aborts().await;
/// # }
/// ```
pub async fn wait_for_aborts() {
    loop {
        let pending = std::mem::take(&mut *PENDING.lock().unwrap_or_else(PoisonError::into_inner));
        if pending.is_empty() {
            return;
        }
        for task in pending {
            // A failed abort was reported by the task itself.
            let _ = task.await;
        }
    }
}
