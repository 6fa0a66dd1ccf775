use std::ffi::OsStr;
use std::fs::{self, File};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use tempfile::TempDir;

use super::*;
use crate::fs::{EntryKind, parse_files0};

/// A temporary directory holding `files` (paths relative to it, parent
/// directories made as needed), each containing its own name.
fn tree(files: &[&str]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in files {
        write(dir.path(), file.as_bytes(), file.as_bytes());
    }
    dir
}

fn write(dir: &Path, relative: &[u8], contents: &[u8]) -> PathBuf {
    let path = dir.join(OsStr::from_bytes(relative));
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, contents).unwrap();
    path
}

/// A temporary directory on a RAM file system when there is one: the tests
/// that make many files measure the listing, not the disk.
fn scratch_dir() -> TempDir {
    tempfile::tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .unwrap()
}

fn relatives(listing: &Listing) -> Vec<String> {
    listing
        .entries()
        .map(|e| e.relative_path().to_string_lossy().into_owned())
        .collect()
}

/// The paths to open, in order.
fn paths(listing: &Listing) -> Vec<PathBuf> {
    listing.entries().map(|e| e.path().to_path_buf()).collect()
}

fn list(dir: &Path, configure: impl FnOnce(&mut ListingBuilder)) -> Listing {
    let mut builder = Listing::builder();
    configure(&mut builder);
    builder.input(dir).build().unwrap()
}

fn problem_texts(listing: &Listing) -> Vec<String> {
    listing
        .problems()
        .iter()
        .map(|problem| format!("{problem:#}"))
        .collect()
}

#[test]
fn name_order_is_find_piped_to_c_sort() {
    let dir = tree(&[
        "a.js", "a/b.js", "a-b", "a0", "A", "b", "10", "9", "_x", "~y", "a b", "a/a/z", "é.txt",
        "e.txt", "Z",
    ]);
    write(dir.path(), b"caf\xe9", b"x");
    write(dir.path(), b"a/caf\xc3", b"x");
    let listing = list(dir.path(), |b| {
        b.recursive(true);
    });
    let ours: Vec<&[u8]> = listing
        .entries()
        .map(|e| e.relative_path().as_os_str().as_bytes())
        .collect();

    let find = std::process::Command::new("sh")
        .args(["-c", "find . -type f | LC_ALL=C sort"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(find.status.success());
    let theirs: Vec<&[u8]> = find
        .stdout
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| line.strip_prefix(b"./").unwrap())
        .collect();
    assert_eq!(ours, theirs);
    assert!(relatives(&listing).starts_with(&["10".to_string(), "9".to_string(), "A".to_string()]));
}

#[test]
fn entries_carry_what_the_merge_needs() {
    let dir = tree(&["lib/util.js", "main.js"]);
    let listing = list(dir.path(), |b| {
        b.recursive(true);
    });
    assert_eq!(listing.len(), 2, "{listing:?}");
    let (first, second) = (listing.get(0).unwrap(), listing.get(1).unwrap());
    assert_eq!(first.path(), dir.path().join("lib/util.js"));
    assert_eq!(first.relative_path(), Path::new("lib/util.js"));
    assert_eq!(first.name(), "util.js");
    assert_eq!(first.index(), 0);
    assert_eq!(first.kind(), EntryKind::File);
    assert_eq!(first.size(), Some(11));
    assert!(first.modified().is_some());
    let metadata = fs::metadata(first.path()).unwrap();
    assert_eq!(first.file_id(), FileId::of(&metadata));
    assert_eq!(second.index(), 1);
    assert_eq!(second.relative_path(), Path::new("main.js"));
    assert_eq!(listing.total_size(), 11 + 7);
    assert_eq!(listing.len(), 2);
}

#[test]
fn natural_order() {
    let dir = tree(&[
        "part10.sql",
        "part9.sql",
        "part1.sql",
        "part2/a.sql",
        "part11/a.sql",
    ]);
    let listing = list(dir.path(), |b| {
        b.recursive(true).sort(SortOrder::Natural);
    });
    assert_eq!(
        relatives(&listing),
        [
            "part1.sql",
            "part2/a.sql",
            "part9.sql",
            "part10.sql",
            "part11/a.sql"
        ]
    );
}

#[test]
fn mtime_order_oldest_first_ties_by_name() {
    let dir = tree(&["new", "old", "tie-b", "tie-a"]);
    let at = |secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    for (name, time) in [
        ("new", at(3000)),
        ("old", at(1000)),
        ("tie-b", at(2000)),
        ("tie-a", at(2000)),
    ] {
        let file = File::options()
            .write(true)
            .open(dir.path().join(name))
            .unwrap();
        file.set_modified(time).unwrap();
    }
    let listing = list(dir.path(), |b| {
        b.sort(SortOrder::Mtime);
    });
    assert_eq!(relatives(&listing), ["old", "tie-a", "tie-b", "new"]);
    let listing = list(dir.path(), |b| {
        b.sort(SortOrder::Mtime).reverse(true);
    });
    assert_eq!(relatives(&listing), ["new", "tie-b", "tie-a", "old"]);
}

#[test]
fn size_order_smallest_first_ties_by_name() {
    let dir = tempfile::tempdir().unwrap();
    for (name, size) in [("big", 300), ("small", 1), ("mid-b", 20), ("mid-a", 20)] {
        write(dir.path(), name.as_bytes(), &vec![b'x'; size]);
    }
    let listing = list(dir.path(), |b| {
        b.sort(SortOrder::Size);
    });
    assert_eq!(relatives(&listing), ["small", "mid-a", "mid-b", "big"]);
    assert_eq!(listing.total_size(), 341);
}

#[test]
fn reverse_name_order() {
    let dir = tree(&["a", "b", "c"]);
    let listing = list(dir.path(), |b| {
        b.reverse(true);
    });
    assert_eq!(relatives(&listing), ["c", "b", "a"]);
}

#[test]
fn first_and_last_pin_groups_in_pattern_order() {
    let dir = tree(&[
        "b.js",
        "a.js",
        "README.md",
        "z.css",
        "a.css",
        "lib/m.js",
        "vendor/x.js",
    ]);
    let listing = list(dir.path(), |b| {
        b.recursive(true)
            .first("README*")
            .first("vendor/")
            .last("*.css")
            .last("lib/*.js");
    });
    assert_eq!(
        relatives(&listing),
        [
            "README.md",
            "vendor/x.js",
            "a.js",
            "b.js",
            "a.css",
            "z.css",
            "lib/m.js"
        ]
    );
}

#[test]
fn inputs_merge_in_the_order_given_each_directory_sorted() {
    let one = tree(&["b", "a"]);
    let two = tree(&["d", "c"]);
    let single = one.path().join("b");
    let mut builder = Listing::builder();
    builder
        .input(two.path())
        .input(&single)
        .input("-")
        .input(one.path());
    let listing = builder.build().unwrap();
    assert_eq!(
        paths(&listing),
        [
            two.path().join("c"),
            two.path().join("d"),
            single.clone(),
            PathBuf::from("-"),
            one.path().join("a"),
            one.path().join("b"),
        ]
    );
    let explicit = &listing.get(2).unwrap();
    assert_eq!(explicit.relative_path(), single);
    assert_eq!(explicit.name(), "b");
    let stdin = &listing.get(3).unwrap();
    assert_eq!(
        (stdin.kind(), stdin.size(), stdin.index()),
        (EntryKind::Stdin, None, 3)
    );
    assert_eq!(listing.total_size(), 5);
}

#[test]
fn include_patterns_by_name_and_by_path() {
    let dir = tree(&["a.js", "a.css", "lib/b.js", "lib/deep/c.js", "src/lib/d.js"]);
    let listing = list(dir.path(), |b| {
        b.recursive(true).include("*.js");
    });
    assert_eq!(
        relatives(&listing),
        ["a.js", "lib/b.js", "lib/deep/c.js", "src/lib/d.js"]
    );
    let listing = list(dir.path(), |b| {
        b.recursive(true).include("lib/*.js").include("*.css");
    });
    assert_eq!(relatives(&listing), ["a.css", "lib/b.js"]);
}

#[test]
fn exclude_patterns_by_name_and_by_path() {
    let dir = tree(&[
        "a.js",
        "a.min.js",
        "lib/b.min.js",
        "lib/c.js",
        "node_modules/x/y.js",
        "src/node_modules/z.js",
        "build/out.js",
        "src/build/keep.js",
    ]);
    let listing = list(dir.path(), |b| {
        b.recursive(true)
            .exclude("*.min.js")
            .exclude("node_modules")
            .exclude("/build/");
    });
    assert_eq!(
        relatives(&listing),
        ["a.js", "lib/c.js", "src/build/keep.js"]
    );
    let listing = list(dir.path(), |b| {
        b.recursive(true).exclude("lib/*.js").exclude("src/**");
    });
    assert_eq!(
        relatives(&listing),
        ["a.js", "a.min.js", "build/out.js", "node_modules/x/y.js"]
    );
}

#[test]
fn an_invalid_pattern_is_an_error() {
    let dir = tree(&["a"]);
    let err = Listing::builder()
        .input(dir.path())
        .exclude("[a")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(
        format!("{err:#}").starts_with("invalid exclude pattern `[a`: "),
        "{err}"
    );
    let err = Listing::builder()
        .input(dir.path())
        .last("")
        .build()
        .unwrap_err();
    assert!(
        format!("{err:#}").starts_with("invalid last pattern ``: "),
        "{err}"
    );
}

#[test]
fn hidden_files_and_directories_only_when_asked() {
    let dir = tree(&[".env", ".git/config", "a", "sub/.hidden", "sub/b"]);
    let listing = list(dir.path(), |b| {
        b.recursive(true);
    });
    assert_eq!(relatives(&listing), ["a", "sub/b"]);
    let listing = list(dir.path(), |b| {
        b.recursive(true).hidden(true);
    });
    // `.git` is never merged, even with hidden files.
    assert_eq!(relatives(&listing), [".env", "a", "sub/.hidden", "sub/b"]);
}

#[test]
fn a_hidden_input_directory_is_listed() {
    let dir = tree(&[".config/a"]);
    let listing = list(&dir.path().join(".config"), |_| {});
    assert_eq!(relatives(&listing), ["a"]);
}

#[test]
fn gitignore_without_a_repository() {
    let dir = tree(&[
        ".gitignore",
        "a.js",
        "a.log",
        "dist/x.js",
        "sub/.gitignore",
        "sub/b.js",
        "sub/c.tmp",
    ]);
    fs::write(dir.path().join(".gitignore"), "*.log\ndist/\n").unwrap();
    fs::write(dir.path().join("sub/.gitignore"), "*.tmp\n").unwrap();
    let listing = list(dir.path(), |b| {
        b.recursive(true);
    });
    assert_eq!(relatives(&listing).len(), 5, "not without gitignore(true)");
    let listing = list(dir.path(), |b| {
        b.recursive(true).gitignore(true);
    });
    assert_eq!(relatives(&listing), ["a.js", "sub/b.js"]);
}

#[test]
fn gitignore_above_the_input_counts_only_inside_a_repository() {
    let dir = tree(&[
        "repo/.gitignore",
        "repo/src/a.js",
        "repo/src/a.log",
        "plain/.gitignore",
        "plain/src/b.log",
    ]);
    fs::create_dir(dir.path().join("repo/.git")).unwrap();
    fs::write(dir.path().join("repo/.gitignore"), "*.log\n").unwrap();
    fs::write(dir.path().join("plain/.gitignore"), "*.log\n").unwrap();
    let listing = list(&dir.path().join("repo/src"), |b| {
        b.gitignore(true);
    });
    assert_eq!(relatives(&listing), ["a.js"]);
    let listing = list(&dir.path().join("plain/src"), |b| {
        b.gitignore(true);
    });
    assert_eq!(relatives(&listing), ["b.log"]);
}

#[test]
fn symlinks_in_a_walk_are_followed_only_when_asked() {
    let dir = tree(&["target-file"]);
    let outside = tree(&["secret"]);
    fs::write(dir.path().join("target-file"), "12345").unwrap();
    symlink("target-file", dir.path().join("link")).unwrap();
    symlink(outside.path().join("secret"), dir.path().join("z")).unwrap();
    let listing = list(dir.path(), |_| {});
    assert_eq!(relatives(&listing), ["target-file"]);
    assert_eq!(
        listing.warnings(),
        [format!(
            "skipping 2 symbolic links in {}: use --follow-links to follow them",
            dir.path().display()
        )]
    );

    // Followed, the link and its target are one file, listed once.
    let listing = list(dir.path(), |b| {
        b.follow_links(true);
    });
    assert_eq!(relatives(&listing), ["link", "z"]);
    let link = &listing.get(0).unwrap();
    assert_eq!(link.path(), dir.path().join("link"));
    assert_eq!(link.size(), Some(5));
    assert_eq!(
        listing.warnings(),
        [format!(
            "skipping {}: it is the same file as {}",
            dir.path().join("target-file").display(),
            dir.path().join("link").display()
        )]
    );
}

#[test]
fn a_named_input_is_followed_and_read_as_often_as_named() {
    let dir = tree(&["target-file"]);
    symlink("target-file", dir.path().join("link")).unwrap();
    let mut builder = Listing::builder();
    builder
        .input(dir.path().join("link"))
        .input(dir.path().join("link"))
        .input(dir.path().join("target-file"));
    let listing = builder.build().unwrap();
    assert_eq!(listing.len(), 3);
    assert!(listing.warnings().is_empty());
    for entry in &listing {
        assert_eq!(entry.open().map(|_| ()).unwrap(), ());
    }
}

#[test]
fn hard_links_in_one_walk_are_one_file() {
    let dir = tree(&["a", "sub/x"]);
    fs::hard_link(dir.path().join("a"), dir.path().join("sub/b")).unwrap();
    let listing = list(dir.path(), |b| {
        b.recursive(true);
    });
    assert_eq!(relatives(&listing), ["a", "sub/x"]);
    assert_eq!(listing.warnings().len(), 1, "{:?}", listing.warnings());
    assert!(listing.warnings()[0].contains("it is the same file as"));
}

#[test]
fn a_dangling_symlink_is_a_problem_when_followed() {
    let dir = tree(&["a"]);
    symlink("nowhere", dir.path().join("dangling")).unwrap();
    let listing = list(dir.path(), |_| {});
    assert!(listing.problems().is_empty());
    let listing = list(dir.path(), |b| {
        b.follow_links(true);
    });
    assert_eq!(relatives(&listing), ["a"]);
    let path = dir.path().join("dangling");
    assert_eq!(
        problem_texts(&listing),
        [format!(
            "reading {}: No such file or directory (os error 2)",
            path.display()
        )]
    );
    assert_eq!(listing.problems()[0].path(), Some(path.as_path()));
}

#[test]
fn a_dangling_symlink_the_filters_skip_is_no_problem() {
    let dir = tree(&["a.js"]);
    symlink("nowhere", dir.path().join("dangling.txt")).unwrap();
    symlink("nowhere", dir.path().join(".hidden")).unwrap();
    for follow_links in [false, true] {
        let listing = list(dir.path(), |b| {
            b.follow_links(follow_links).include("*.js");
        });
        assert!(listing.problems().is_empty(), "{:?}", listing.problems());
    }
}

#[test]
fn symlinked_directories_are_entered_only_with_follow_links() {
    let dir = tree(&["real/a", "top"]);
    let other = tree(&["elsewhere/b"]);
    symlink(other.path().join("elsewhere"), dir.path().join("linked")).unwrap();
    let listing = list(dir.path(), |b| {
        b.recursive(true);
    });
    assert_eq!(relatives(&listing), ["real/a", "top"]);
    assert_eq!(
        listing.warnings(),
        [format!(
            "skipping 1 symbolic link in {}: use --follow-links to follow it",
            dir.path().display()
        )]
    );
    let listing = list(dir.path(), |b| {
        b.recursive(true).follow_links(true);
    });
    assert_eq!(relatives(&listing), ["linked/b", "real/a", "top"]);
    assert!(listing.warnings().is_empty());
    assert_eq!(listing.get(0).unwrap().path(), dir.path().join("linked/b"));
}

#[test]
fn a_symlinked_input_directory_is_entered() {
    let dir = tree(&["real/a"]);
    symlink("real", dir.path().join("link")).unwrap();
    let listing = list(&dir.path().join("link"), |_| {});
    assert_eq!(listing.get(0).unwrap().path(), dir.path().join("link/a"));
}

#[test]
fn a_symlink_loop_is_a_problem_with_follow_links() {
    let dir = tree(&["a", "sub/b"]);
    symlink("..", dir.path().join("sub/up")).unwrap();
    symlink(".", dir.path().join("here")).unwrap();
    let listing = list(dir.path(), |b| {
        b.recursive(true).follow_links(true);
    });
    assert_eq!(relatives(&listing), ["a", "sub/b"]);
    let problems = problem_texts(&listing);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].starts_with(&format!(
            "reading {}: symbolic link loop",
            dir.path().join("here").display()
        )),
        "{problems:?}"
    );
    assert!(
        problems[1].starts_with(&format!(
            "reading {}: symbolic link loop",
            dir.path().join("sub/up").display()
        )),
        "{problems:?}"
    );
}

#[test]
fn subdirectories_are_skipped_with_one_warning_without_recursive() {
    let dir = tree(&["a", "one/b", "two/c"]);
    symlink("one", dir.path().join("linked")).unwrap();
    let listing = list(dir.path(), |_| {});
    assert_eq!(relatives(&listing), ["a"]);
    assert_eq!(
        listing.warnings(),
        [
            format!(
                "skipping 2 subdirectories of {}: use -r to include them",
                dir.path().display()
            ),
            format!(
                "skipping 1 symbolic link in {}: use --follow-links to follow it",
                dir.path().display()
            )
        ]
    );
}

#[test]
fn a_directory_with_nothing_to_merge_is_an_error_unless_allowed() {
    let dir = tree(&["sub/a", ".hidden"]);
    let err = Listing::builder().input(dir.path()).build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        format!("{err:#}"),
        format!(
            "listing {0}: no files to merge (skipped 1 subdirectory of {0}: use -r to include them)",
            dir.path().display()
        )
    );
    let err = Listing::builder()
        .input(dir.path())
        .recursive(true)
        .include("*.js")
        .build()
        .unwrap_err();
    assert_eq!(
        format!("{err:#}"),
        format!("listing {}: no files to merge", dir.path().display())
    );

    let listing = list(dir.path(), |b| {
        b.allow_empty(true);
    });
    assert!(listing.is_empty());

    let err = Listing::builder().build().unwrap_err();
    assert_eq!(format!("{err:#}"), "no inputs to merge");
    assert!(
        Listing::builder()
            .allow_empty(true)
            .build()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_missing_input_is_a_problem() {
    let dir = tree(&["a"]);
    let missing = dir.path().join("missing.js");
    let mut builder = Listing::builder();
    builder.input(&missing).input(dir.path());
    let listing = builder.build().unwrap();
    assert_eq!(relatives(&listing), ["a"]);
    assert_eq!(
        problem_texts(&listing),
        [format!(
            "reading {}: No such file or directory (os error 2)",
            missing.display()
        )]
    );
    assert_eq!(listing.problems()[0].kind(), ErrorKind::Io);
}

#[test]
fn an_unreadable_directory_is_a_problem() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tree(&["a", "locked/b"]);
    let locked = dir.path().join("locked");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::read_dir(&locked).is_ok() {
        // Running with the privilege to read it anyway: nothing to test.
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
        return;
    }
    let listing = list(dir.path(), |b| {
        b.recursive(true);
    });
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(relatives(&listing), ["a"]);
    assert_eq!(
        problem_texts(&listing),
        [format!(
            "reading {}: Permission denied (os error 13)",
            locked.display()
        )]
    );
}

#[test]
fn fifos_in_a_directory_are_skipped_but_kept_when_explicit() {
    let dir = tree(&["a"]);
    let fifo = dir.path().join("pipe");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .unwrap();
    let listing = list(dir.path(), |_| {});
    assert_eq!(relatives(&listing), ["a"]);
    assert_eq!(
        listing.warnings(),
        [format!(
            "skipping {}: it is a FIFO, not a regular file",
            fifo.display()
        )]
    );

    let mut builder = Listing::builder();
    builder.input(&fifo);
    let listing = builder.build().unwrap();
    let entry = &listing.get(0).unwrap();
    assert_eq!((entry.kind(), entry.size()), (EntryKind::Stream, None));
    assert_eq!(entry.path(), fifo);
    assert!(listing.warnings().is_empty());
}

#[test]
fn the_output_found_in_a_directory_is_skipped_with_a_warning() {
    let dir = tree(&["a.js", "out.js", "sub/b.js"]);
    let output = dir.path().join("out.js");
    fs::hard_link(&output, dir.path().join("sub/linked-out.js")).unwrap();
    let listing = list(dir.path(), |b| {
        b.recursive(true).exclude_output(&output);
    });
    assert_eq!(relatives(&listing), ["a.js", "sub/b.js"]);
    assert_eq!(
        listing.warnings(),
        [
            format!(
                "skipping {}: it is the output {}",
                output.display(),
                output.display()
            ),
            format!(
                "skipping {}: it is the output {}",
                dir.path().join("sub/linked-out.js").display(),
                output.display()
            ),
        ]
    );

    // Through `..`, and with the output named by another path.
    let via_parent = dir.path().join("sub/..");
    let listing = list(&via_parent, |b| {
        b.exclude_output(dir.path().join("sub/../out.js"));
    });
    assert_eq!(relatives(&listing), ["a.js"]);
    assert_eq!(listing.warnings().len(), 2, "{:?}", listing.warnings());
}

#[test]
fn an_output_that_does_not_exist_excludes_nothing() {
    let dir = tree(&["a.js"]);
    let listing = list(dir.path(), |b| {
        b.exclude_output(dir.path().join("out.js"));
    });
    assert_eq!(relatives(&listing), ["a.js"]);
}

#[test]
fn an_explicit_input_that_is_the_output_is_a_conflict() {
    let dir = tree(&["a.js", "out.js"]);
    let output = dir.path().join("out.js");
    let alias = dir.path().join("alias.js");
    fs::hard_link(&output, &alias).unwrap();
    for input in [&output, &alias] {
        let err = Listing::builder()
            .input(dir.path().join("a.js"))
            .input(input)
            .exclude_output(&output)
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict);
        assert_eq!(
            format!("{err:#}"),
            format!(
                "reading {}: it is also the output {} (the same file)",
                input.display(),
                output.display()
            )
        );
        assert_eq!(err.path(), Some(input.as_path()));
    }
}

#[test]
fn smerge_temporary_files_are_never_listed() {
    let dir = tree(&[
        "a.js",
        ".out.js.smerge-1234-Ab12Cd.tmp",
        "sub/.x.smerge-1-zzzzzz.tmp",
    ]);
    let listing = list(dir.path(), |b| {
        b.recursive(true).hidden(true);
    });
    assert_eq!(relatives(&listing), ["a.js"]);
    assert!(listing.warnings().is_empty());
}

#[test]
fn awkward_names_are_kept_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let names: [&[u8]; 5] = [b"caf\xe9.txt", b"line\nbreak", b"-n", b"--help", b" space"];
    for name in names {
        write(dir.path(), name, name);
    }
    let listing = list(dir.path(), |_| {});
    let mut expected = names.to_vec();
    expected.sort();
    let got: Vec<&[u8]> = listing
        .entries()
        .map(|e| e.relative_path().as_os_str().as_bytes())
        .collect();
    assert_eq!(got, expected);
    for entry in listing.entries() {
        assert_eq!(fs::read(entry.path()).unwrap(), entry.name().as_bytes());
    }
}

#[test]
fn files0_lists_are_inputs() {
    let dir = tree(&["a", "b", "sub/c"]);
    let mut list0 = Vec::new();
    for path in [
        dir.path().join("b"),
        dir.path().join("sub"),
        dir.path().join("a"),
    ] {
        list0.extend_from_slice(path.as_os_str().as_bytes());
        list0.push(0);
    }
    let mut builder = Listing::builder();
    builder.input_list(parse_files0(list0).unwrap());
    let listing = builder.build().unwrap();
    assert_eq!(
        paths(&listing),
        [
            dir.path().join("b"),
            dir.path().join("sub/c"),
            dir.path().join("a")
        ]
    );
}

#[test]
fn a_tree_a_thousand_directories_deep() {
    let dir = scratch_dir();
    let mut path = dir.path().to_path_buf();
    for _ in 0..1000 {
        path.push("d");
    }
    fs::create_dir_all(&path).unwrap();
    let mut level = path.clone();
    loop {
        fs::write(level.join("f"), "").unwrap();
        if level == dir.path() {
            break;
        }
        level.pop();
    }
    let listing = list(dir.path(), |b| {
        b.recursive(true);
    });
    assert_eq!(listing.len(), 1001);
    assert!(listing.problems().is_empty());
    // "d/…/f" sorts before "f" at every level: the deepest file comes first.
    assert_eq!(listing.get(0).unwrap().path(), path.join("f"));
    assert_eq!(listing.get(1000).unwrap().relative_path(), Path::new("f"));
}

#[test]
fn a_tree_deeper_than_path_max_is_listed_and_opened() {
    let dir = scratch_dir();
    let leaf = crate::fs::test_support::deep_tree(dir.path(), 40);
    write(dir.path(), b"top", b"top");
    let listing = list(dir.path(), |b| {
        b.recursive(true);
    });
    assert!(listing.problems().is_empty(), "{:?}", listing.problems());
    assert_eq!(listing.len(), 2);
    let deep = listing.get(0).unwrap();
    assert_eq!(deep.relative_path().as_os_str().as_bytes(), &leaf[..]);
    assert!(deep.path().as_os_str().len() > 8000);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut deep.open().unwrap(), &mut text).unwrap();
    assert_eq!(text, "deep");
    // Named on its own, too.
    let listing = Listing::builder().input(deep.path()).build().unwrap();
    assert_eq!(listing.get(0).unwrap().size(), Some(4));
    assert!(listing.get(0).unwrap().open().is_ok());
}

#[test]
fn dot_ignore_files_count_and_win_over_gitignore() {
    let dir = tree(&["a.log", "b.log", "c.txt", "sub/d.txt", "sub/e.tmp"]);
    fs::write(dir.path().join(".gitignore"), "*.log\n").unwrap();
    fs::write(dir.path().join(".ignore"), "!b.log\nc.txt\n").unwrap();
    fs::write(dir.path().join("sub/.ignore"), "*.tmp\n").unwrap();
    let listing = list(dir.path(), |b| {
        b.recursive(true).gitignore(true);
    });
    assert_eq!(relatives(&listing), ["b.log", "sub/d.txt"]);
    let listing = list(dir.path(), |b| {
        b.recursive(true);
    });
    assert_eq!(listing.len(), 5, "ignore files only count when asked");
}

#[test]
fn negated_and_case_insensitive_patterns() {
    let dir = tree(&["A.JS", "b.js", "c.min.js", "vendor.min.js", "d.css"]);
    let listing = list(dir.path(), |b| {
        b.include_ignoring_case("*.js")
            .exclude("*.min.js")
            .exclude("!vendor.*");
    });
    assert_eq!(relatives(&listing), ["A.JS", "b.js", "vendor.min.js"]);
    let listing = list(dir.path(), |b| {
        b.include("!*.js").exclude_ignoring_case("A.*");
    });
    assert_eq!(relatives(&listing), ["d.css"]);
}

/// Lists a directory of `count` empty files named `f0`, `f1`, ….
fn list_many_files(count: usize) {
    let dir = scratch_dir();
    let mut path = dir.path().to_path_buf();
    for i in 0..count {
        path.push(format!("f{i}"));
        File::create(&path).unwrap();
        path.pop();
    }
    let start = Instant::now();
    let listing = list(dir.path(), |_| {});
    let took = start.elapsed();
    assert_eq!(listing.len(), count);
    let names: Vec<&Path> = listing.entries().map(|e| e.relative_path()).collect();
    assert_eq!(names[..3], ["f0", "f1", "f10"].map(Path::new));
    assert_eq!(names[count - 1], Path::new(&format!("f{}", count - 1)));
    assert!(names.is_sorted_by_key(|n| n.as_os_str().as_bytes()));
    assert!(
        took < Duration::from_secs(10),
        "listing {count} files took {took:?}"
    );
}

#[test]
fn ten_thousand_files_in_one_directory() {
    list_many_files(10_000);
}

#[test]
#[ignore = "makes 100,000 files: about 8 s in a debug build on tmpfs, a minute on a slow disk"]
fn a_hundred_thousand_files_in_one_directory() {
    list_many_files(100_000);
}
