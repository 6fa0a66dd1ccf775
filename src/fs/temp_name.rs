//! The names of smerge's temporary files, and the removal of those that
//! killed runs left behind.
//!
//! A named temporary file is called `.{target}.smerge-{pid}-{random}.tmp`:
//! hidden, recognisable, and carrying the PID of the run that made it, so that
//! [`cleanup_stale`] can tell a live run's file from a dead one's. This module
//! is the one place that makes such names ([`temp_beside`]) and reads them
//! ([`smerge_temp_pid`]).

use std::ffi::{OsStr, OsString};
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

use rustix::io::Errno;
use rustix::process::Pid;

use crate::{Error, Result};

/// Marks the end of the target's name in a temporary file's name.
const TEMP_MARK: &[u8] = b".smerge-";
/// Ends every temporary file's name.
const TEMP_SUFFIX: &str = ".tmp";
/// How many random letters and digits smerge puts in a temporary name.
const TEMP_RANDOM_LEN: usize = 8;
/// How many random letters and digits a temporary name must have to be
/// recognised.
const MIN_TEMP_RANDOM_LEN: usize = 6;
/// How much of the target's name a temporary name repeats, so that it stays
/// within the 255-byte limit of file names.
const MAX_TARGET_NAME_IN_TEMP: usize = 200;

/// `.{target}.smerge-{pid}-`: the part of a temporary name before the random
/// letters.
fn temp_prefix(target_name: &OsStr, pid: u32) -> OsString {
    let name = target_name.as_bytes();
    let mut prefix = b".".to_vec();
    prefix.extend_from_slice(&name[..name.len().min(MAX_TARGET_NAME_IN_TEMP)]);
    prefix.extend_from_slice(TEMP_MARK);
    prefix.extend_from_slice(format!("{pid}-").as_bytes());
    OsString::from_vec(prefix)
}

/// How many names [`temp_beside`] tries before giving up.
const TEMP_ATTEMPTS: usize = 1 << 16;

/// Calls `create` with fresh temporary names for the target `target_name`
/// until it does not fail with `EEXIST`, and returns the name it took with
/// what `create` made.
pub(super) fn temp_beside<R>(
    target_name: &OsStr,
    mut create: impl FnMut(&OsStr) -> io::Result<R>,
) -> io::Result<(OsString, R)> {
    let prefix = temp_prefix(target_name, std::process::id());
    for _ in 0..TEMP_ATTEMPTS {
        let mut name = prefix.clone().into_vec();
        name.extend(random_letters(TEMP_RANDOM_LEN));
        name.extend_from_slice(TEMP_SUFFIX.as_bytes());
        let name = OsString::from_vec(name);
        match create(&name) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            made => return made.map(|made| (name, made)),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "too many temporary files",
    ))
}

/// `len` random ASCII letters and digits, from the randomly keyed hasher
/// the standard library seeds for each `RandomState`.
fn random_letters(len: usize) -> impl Iterator<Item = u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (0..len).map(move |_| {
        let letter = ALPHABET[(bits % ALPHABET.len() as u64) as usize];
        bits /= ALPHABET.len() as u64;
        letter
    })
}

/// True if `name` is the name of a temporary file that smerge writes an
/// output into: `.{target}.smerge-{pid}-{random}.tmp`, with a decimal PID and
/// at least six random ASCII letters and digits.
///
/// Directory listings skip such files, so that a merge never reads another
/// run's unfinished output.
///
/// # Examples
///
/// ```
/// use std::ffi::OsStr;
/// use smerge::fs::is_smerge_temp_name;
///
/// assert!(is_smerge_temp_name(OsStr::new(".out.js.smerge-4242-a1B2c3d4.tmp")));
/// assert!(!is_smerge_temp_name(OsStr::new("out.js")));
/// ```
pub fn is_smerge_temp_name(name: &OsStr) -> bool {
    smerge_temp_pid(name).is_some()
}

/// The PID of the run that made the temporary file `name`, or `None` if
/// `name` is not a smerge temporary name (see [`is_smerge_temp_name`]).
///
/// # Examples
///
/// ```
/// use std::ffi::OsStr;
/// use smerge::fs::smerge_temp_pid;
///
/// assert_eq!(smerge_temp_pid(OsStr::new(".out.js.smerge-4242-a1B2c3d4.tmp")), Some(4242));
/// assert_eq!(smerge_temp_pid(OsStr::new(".out.js.smerge-0-a1B2c3d4.tmp")), None);
/// ```
pub fn smerge_temp_pid(name: &OsStr) -> Option<u32> {
    let inner = name
        .as_bytes()
        .strip_prefix(b".")?
        .strip_suffix(TEMP_SUFFIX.as_bytes())?;
    let mark = inner
        .windows(TEMP_MARK.len())
        .rposition(|window| window == TEMP_MARK)?;
    if mark == 0 {
        return None;
    }
    let rest = &inner[mark + TEMP_MARK.len()..];
    let dash = rest.iter().position(|&b| b == b'-')?;
    let (pid, random) = (&rest[..dash], &rest[dash + 1..]);
    let well_formed = !pid.is_empty()
        && pid.iter().all(u8::is_ascii_digit)
        && random.len() >= MIN_TEMP_RANDOM_LEN
        && random.iter().all(u8::is_ascii_alphanumeric);
    if !well_formed {
        return None;
    }
    let pid: u32 = std::str::from_utf8(pid).ok()?.parse().ok()?;
    (pid != 0 && i32::try_from(pid).is_ok()).then_some(pid)
}

/// Removes the named temporary files that runs of smerge which no longer
/// exist left in `dir` (killed by `SIGKILL`, or by a signal they did not
/// catch), and returns how many it removed.
///
/// A file is removed only when `kill(pid, 0)` says its PID is gone
/// (`ESRCH`); a PID that is alive, even under another user, keeps its file,
/// and so does a PID reused by an unrelated process. PIDs are those of this
/// system's PID namespace: runs in other containers sharing `dir` look dead.
///
/// # Errors
///
/// An error naming `dir` when it cannot be listed, or naming a file that
/// cannot be removed.
pub fn cleanup_stale(dir: &Path) -> Result<usize> {
    let listing = |e| Error::io(e).about_path("listing", dir);
    let mut removed = 0;
    for entry in fs::read_dir(dir).map_err(listing)? {
        let entry = entry.map_err(listing)?;
        let Some(pid) = smerge_temp_pid(&entry.file_name()) else {
            continue;
        };
        if !entry.file_type().map_err(listing)?.is_file() || process_is_alive(pid) {
            continue;
        }
        let path = entry.path();
        match fs::remove_file(&path) {
            Ok(()) => removed += 1,
            // Another run cleaned it up first.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(e).about_path("removing", &path)),
        }
    }
    Ok(removed)
}

/// False only when the system says no process has this PID.
fn process_is_alive(pid: u32) -> bool {
    match i32::try_from(pid).ok().and_then(Pid::from_raw) {
        Some(pid) => !matches!(rustix::process::test_kill_process(pid), Err(Errno::SRCH)),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::test_support::names_in;

    #[test]
    fn temp_names_are_recognised() {
        let pid = |name: &str| smerge_temp_pid(OsStr::new(name));
        assert_eq!(pid(".out.js.smerge-12-abcDEF.tmp"), Some(12));
        assert_eq!(pid(".a.smerge-b.smerge-7-abc123xy.tmp"), Some(7));
        assert_eq!(pid(".out.js.smerge-12-abcDE.tmp"), None, "too short");
        assert_eq!(pid(".out.js.smerge-12-abc-DEF.tmp"), None);
        assert_eq!(pid(".out.js.smerge--abcDEF.tmp"), None);
        assert_eq!(pid(".out.js.smerge-+12-abcDEF.tmp"), None);
        assert_eq!(pid(".out.js.smerge-4294967296-abcDEF.tmp"), None);
        assert_eq!(pid(".out.js.smerge-2147483648-abcDEF.tmp"), None);
        assert_eq!(pid(".smerge-12-abcDEF.tmp"), None, "no target");
        assert_eq!(pid("out.js.smerge-12-abcDEF.tmp"), None, "not hidden");
        assert_eq!(pid(".out.js.smerge-12-abcDEF"), None);
        assert_eq!(pid("out.js"), None);
        let made = temp_prefix(OsStr::new("out.js"), 99);
        let mut name = made.clone();
        name.push("Zz09aa");
        name.push(TEMP_SUFFIX);
        assert_eq!(smerge_temp_pid(&name), Some(99));
        assert!(is_smerge_temp_name(&name));
        let non_utf8 = OsStr::from_bytes(b".\xff.smerge-5-abcdef.tmp");
        assert_eq!(smerge_temp_pid(non_utf8), Some(5));
    }

    #[test]
    fn cleanup_stale_removes_only_dead_runs_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = child.id();
        child.wait().unwrap();
        let temp_of = |pid: u32| {
            let mut name = temp_prefix(OsStr::new("out.js"), pid);
            name.push("abcdef");
            name.push(TEMP_SUFFIX);
            name
        };
        fs::write(dir.path().join(temp_of(dead_pid)), "dead").unwrap();
        fs::write(dir.path().join(temp_of(std::process::id())), "alive").unwrap();
        fs::write(dir.path().join("out.js"), "input").unwrap();
        assert_eq!(cleanup_stale(dir.path()).unwrap(), 1);
        assert_eq!(
            names_in(dir.path()),
            [temp_of(std::process::id()), OsString::from("out.js")]
        );
    }
}
