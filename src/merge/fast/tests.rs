use std::fs;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tempfile::TempDir;

use super::plan::WINDOW;
use super::*;
use crate::fs::test_support::names_in;
use crate::fs::{AtomicOptions, Listing};
use crate::merge::{BomMode, MergeEvent};

/// Deterministic bytes that differ from file to file and from offset to
/// offset, so a byte in the wrong place shows.
fn contents(seed: u64, len: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// Inputs of awkward sizes: empty, around a page, around a window, and
/// spanning several windows; more than two windows in all.
fn awkward_sizes() -> Vec<u64> {
    vec![
        0,
        1,
        4095,
        4096,
        4097,
        0,
        WINDOW - 1,
        WINDOW,
        WINDOW + 1,
        12_345,
        2 * WINDOW + 17,
        0,
    ]
}

/// A directory `in` of files `f00`, `f01`, ... with `sizes`, and what they
/// merge into.
fn tree(sizes: &[u64]) -> (TempDir, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("in")).unwrap();
    let mut merged = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        let bytes = contents(i as u64 + 1, size);
        fs::write(dir.path().join(format!("in/f{i:02}")), &bytes).unwrap();
        merged.extend_from_slice(&bytes);
    }
    (dir, merged)
}

fn entries_of(dir: &Path) -> Arc<Listing> {
    let listing = Listing::builder()
        .input(dir.join("in"))
        .allow_empty(true)
        .build()
        .unwrap();
    Arc::new(listing)
}

fn named_temp(target: &Path) -> AtomicFile {
    AtomicOptions::new()
        .named_temp(true)
        .create(target)
        .unwrap()
}

/// Runs `copy` on `entries` into `out` with a fresh job.
fn with_job<T>(entries: &Listing, copy: impl FnOnce(&Job<'_>) -> T) -> T {
    let plan = Plan::new(entries).unwrap();
    let stop = AtomicBool::new(false);
    copy(&Job::new(entries, &plan, &stop, None))
}

#[test]
fn windows_and_kernel_copies_equal_the_concatenation() {
    let (dir, merged) = tree(&awkward_sizes());
    let entries = entries_of(dir.path());
    #[cfg(target_os = "linux")]
    {
        let target = dir.path().join("by-windows");
        let out = AtomicFile::create(&target).unwrap();
        if with_job(&entries, |job| windows::copy(job, out.file(), &target)).unwrap() {
            out.commit().unwrap();
            assert!(fs::read(&target).unwrap() == merged, "windows copy differs");
        } else {
            eprintln!("no huge pages or a single core here: the window copy was not tried");
        }
    }
    let target = dir.path().join("by-kernel");
    let out = AtomicFile::create(&target).unwrap();
    with_job(&entries, |job| kernel::copy(job, out.file(), &target)).unwrap();
    out.commit().unwrap();
    assert!(fs::read(&target).unwrap() == merged, "kernel copy differs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_plain_replaces_a_target_and_reports() {
    let (dir, merged) = tree(&awkward_sizes());
    let entries = entries_of(dir.path());
    let target = dir.path().join("out");
    fs::write(&target, "old").unwrap();
    let events = Arc::new(Mutex::new((0usize, 0u64)));
    let seen = Arc::clone(&events);
    let on_event: MergeCallback = Arc::new(move |event: &MergeEvent<'_>| {
        let mut seen = seen.lock().unwrap();
        match event {
            MergeEvent::FileStarted { .. } => seen.0 += 1,
            MergeEvent::BytesRead(n) => seen.1 += n,
            _ => {}
        }
    });
    let count = entries.len();
    let output = PlainOutput::Atomic(AtomicFile::create(&target).unwrap());
    let report = merge_plain(entries, output, Some(on_event)).await.unwrap();
    assert!(fs::read(&target).unwrap() == merged);
    assert_eq!((report.inputs, report.bytes), (count, merged.len() as u64));
    assert!(report.skipped.is_empty() && report.warnings.is_empty());
    let (started, read) = *events.lock().unwrap();
    assert_eq!(read, merged.len() as u64);
    // Some inputs are named, not every small one.
    assert!((1..count).contains(&started), "{started} of {count} named");
    assert_eq!(names_in(dir.path()), ["in", "out"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_merges_and_empty_inputs() {
    for sizes in [vec![], vec![0, 0], vec![5, 0, 7], vec![WINDOW + 3]] {
        let (dir, merged) = tree(&sizes);
        let target = dir.path().join("out");
        let output = PlainOutput::Atomic(AtomicFile::create(&target).unwrap());
        merge_plain(entries_of(dir.path()), output, None)
            .await
            .unwrap();
        assert!(fs::read(&target).unwrap() == merged, "{sizes:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_file_is_written_from_its_position() {
    let (dir, merged) = tree(&awkward_sizes());
    let path = dir.path().join("out");
    let mut file = File::create(&path).unwrap();
    file.write_all(b"before\n").unwrap();
    let output = PlainOutput::Open {
        file: file.try_clone().unwrap(),
        name: PathBuf::from("standard output"),
    };
    merge_plain(entries_of(dir.path()), output, None)
        .await
        .unwrap();
    assert_eq!(
        file.stream_position().unwrap(),
        7 + merged.len() as u64,
        "the shared position moved past the merge"
    );
    let written = fs::read(&path).unwrap();
    assert!(written[..7] == *b"before\n" && written[7..] == merged);

    // Appending: the kernel copy refuses such an output, `write` appends.
    let appending = File::options().append(true).open(&path).unwrap();
    let output = PlainOutput::Open {
        file: appending,
        name: PathBuf::from("standard output"),
    };
    merge_plain(entries_of(dir.path()), output, None)
        .await
        .unwrap();
    assert!(fs::read(&path).unwrap()[7 + merged.len()..] == merged);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_file_keeps_what_came_before_a_failure() {
    let (dir, merged) = tree(&[10, 200_000, 30, 40]);
    let entries = entries_of(dir.path());
    fs::remove_file(dir.path().join("in/f02")).unwrap();
    let path = dir.path().join("out");
    let output = PlainOutput::Open {
        file: File::create(&path).unwrap(),
        name: PathBuf::from("standard output"),
    };
    let err = merge_plain(entries, output, None).await.unwrap_err();
    assert!(err.path().unwrap().ends_with("f02"), "{err}");
    assert!(fs::read(&path).unwrap() == merged[..200_010]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipe_gets_every_byte() {
    let (dir, merged) = tree(&awkward_sizes());
    let (mut reader, writer) = std::io::pipe().unwrap();
    let read = std::thread::spawn(move || {
        let mut got = Vec::new();
        reader.read_to_end(&mut got).unwrap();
        got
    });
    let output = PlainOutput::Open {
        file: File::from(std::os::fd::OwnedFd::from(writer)),
        name: PathBuf::from("standard output"),
    };
    merge_plain(entries_of(dir.path()), output, None)
        .await
        .unwrap();
    assert!(read.join().unwrap() == merged);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipe_without_reader_is_a_broken_pipe() {
    let (dir, _) = tree(&[100_000]);
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = PlainOutput::Open {
        file: File::from(std::os::fd::OwnedFd::from(writer)),
        name: PathBuf::from("standard output"),
    };
    let err = merge_plain(entries_of(dir.path()), output, None)
        .await
        .unwrap_err();
    assert!(err.is_broken_pipe(), "{err}");
    assert_eq!(err.path(), Some(Path::new("standard output")));
}

/// How an input is spoiled between the listing and the copy.
type Spoil = fn(&Path);

/// Merges `sizes` into a named temporary beside an existing target, after
/// `spoil` did its work on the input `f{victim}`; returns the error, having
/// checked that the target and directory are as before.
async fn failed_merge(sizes: &[u64], victim: usize, spoil: Spoil) -> Error {
    let (dir, _) = tree(sizes);
    let entries = entries_of(dir.path());
    let target = dir.path().join("out");
    fs::write(&target, "old").unwrap();
    spoil(&dir.path().join(format!("in/f{victim:02}")));
    let output = PlainOutput::Atomic(named_temp(&target));
    let err = merge_plain(entries, output, None).await.unwrap_err();
    assert_eq!(fs::read(&target).unwrap(), b"old");
    assert_eq!(names_in(dir.path()), ["in", "out"], "{err}");
    err
}

/// Inputs for each copier, and the input to spoil: by windows (two of
/// them, the input at index 2 spanning both), and one after the other
/// (small inputs read together, and one large enough for a kernel copy).
fn sizes_of_each_path() -> [(Vec<u64>, usize); 3] {
    [
        (vec![0, 1000, WINDOW + 5, 3000, 0], 2),
        (vec![10, 20, 30], 1),
        (vec![10, 200_000, 30], 1),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_input_that_shrank_or_grew_fails_and_leaves_no_temp() {
    for (sizes, victim) in sizes_of_each_path() {
        let last = sizes.len() - 1;
        let shrink: Spoil = |path| {
            let len = fs::metadata(path).unwrap().len();
            File::options()
                .write(true)
                .open(path)
                .unwrap()
                .set_len(len / 2)
                .unwrap();
        };
        let grow: Spoil = |path| {
            File::options()
                .append(true)
                .open(path)
                .unwrap()
                .write_all(b"more")
                .unwrap();
        };
        for (spoil, how, index) in [
            (shrink, "shrank", victim),
            (grow, "grew", victim),
            (grow, "grew", last),
            (grow, "grew", 0),
        ] {
            let err = failed_merge(&sizes, index, spoil).await;
            assert_eq!(err.kind(), ErrorKind::InvalidData, "{err}");
            assert!(format!("{err:#}").contains(how), "{err}");
            assert!(
                err.path().unwrap().ends_with(format!("f{index:02}")),
                "{err}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_input_gone_or_replaced_fails_naming_it() {
    for (sizes, victim) in sizes_of_each_path() {
        let gone: Spoil = |path| fs::remove_file(path).unwrap();
        let directory: Spoil = |path| {
            fs::remove_file(path).unwrap();
            fs::create_dir(path).unwrap();
        };
        let dangling: Spoil = |path| {
            fs::remove_file(path).unwrap();
            std::os::unix::fs::symlink("nowhere", path).unwrap();
        };
        // A link to a file of the same size outside the tree, put in
        // place of the input after the listing: not read.
        let swapped: Spoil = |path| {
            let size = fs::metadata(path).unwrap().len();
            let outside = path.with_file_name("outside");
            fs::write(&outside, vec![b'!'; size as usize]).unwrap();
            fs::remove_file(path).unwrap();
            std::os::unix::fs::symlink(&outside, path).unwrap();
        };
        for (spoil, kind) in [
            (gone, ErrorKind::Io),
            (directory, ErrorKind::InvalidData),
            (dangling, ErrorKind::InvalidData),
            (swapped, ErrorKind::InvalidData),
        ] {
            let err = failed_merge(&sizes, victim, spoil).await;
            assert_eq!(err.kind(), kind, "{err}");
            if kind == ErrorKind::InvalidData {
                assert!(
                    format!("{err:#}").contains("after it was listed"),
                    "{err:#}"
                );
            }
            assert!(
                err.path().unwrap().ends_with(format!("f{victim:02}")),
                "{err}"
            );
        }
    }
}

#[test]
fn a_stopped_job_stops_and_commits_nothing() {
    let (dir, _) = tree(&awkward_sizes());
    let entries = entries_of(dir.path());
    let target = dir.path().join("out");
    let stop = AtomicBool::new(true);
    let output = PlainOutput::Atomic(named_temp(&target));
    let err = run(&entries, output, &stop, None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Aborted);
    assert_eq!(names_in(dir.path()), ["in"]);
}

#[test]
fn dropping_the_merge_stops_the_copy_and_removes_the_temp() {
    // A sparse input of 1 GiB: quick to make, long enough to copy that the
    // drop comes first.
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("in")).unwrap();
    File::create(dir.path().join("in/sparse"))
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let entries = entries_of(dir.path());
    let target = dir.path().join("out");
    fs::write(&target, "old").unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let output = PlainOutput::Atomic(named_temp(&target));
        let merge = merge_plain(entries, output, None);
        // Started, then dropped.
        let dropped = tokio::time::timeout(std::time::Duration::ZERO, merge).await;
        assert!(dropped.is_err(), "the merge finished at once");
    });
    // The runtime waits for its blocking threads.
    drop(runtime);
    assert_eq!(fs::read(&target).unwrap(), b"old");
    assert_eq!(names_in(dir.path()), ["in", "out"]);
}

#[test]
fn plain_merges_are_recognised() {
    let (dir, _) = tree(&[3, 0, 4]);
    let entries = entries_of(dir.path());
    let plain = MergeOptions::default();
    assert!(can_merge_plain(&entries, &plain));
    assert!(can_merge_plain(&Listing::default(), &plain));
    let mut options = plain.clone();
    options.ensure_newline = true;
    assert!(!can_merge_plain(&entries, &options));
    let mut options = plain.clone();
    options.bom = BomMode::Strip;
    assert!(!can_merge_plain(&entries, &options));
    let mut options = plain.clone();
    options.keep_going = true;
    assert!(!can_merge_plain(&entries, &options));
    let mut options = plain.clone();
    options.allow_changing = true;
    assert!(!can_merge_plain(&entries, &options));
    let mut options = plain.clone();
    options.record_parts = true;
    assert!(!can_merge_plain(&entries, &options));

    let stdin = Listing::builder().input("-").build().unwrap();
    assert!(!can_merge_plain(&stdin, &plain));
}

#[cfg(target_os = "linux")]
#[test]
fn pseudo_files_that_report_no_size_are_not_plain() {
    let listing = Listing::builder()
        .input("/proc/self/status")
        .build()
        .unwrap();
    assert_eq!(listing.get(0).unwrap().size(), Some(0));
    assert!(!can_merge_plain(&listing, &MergeOptions::default()));
}
