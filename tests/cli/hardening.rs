//! What an attacker on the same machine, a service manager, and very large
//! or deep trees try against smerge: planted links, swapped directories and
//! files, hostile names, signals while waiting on FIFOs, silent peers,
//! decompression headers asking for gigabytes, trees deeper than PATH_MAX,
//! and durability with `--fsync`.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt, symlink};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::*;
use rustix::fs::{CWD, Mode, OFlags};
use rustix::process::Signal;

use super::util::{Dir, assert_bytes_eq, data, signal_and_wait, smerge};

/// The uid and gid of `nobody`, who owns what an attacker plants.
const NOBODY: u32 = 65534;

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Sets `fs.protected_symlinks` to 1 for the life of the guard, restoring
/// what it was; `None` when it cannot be set (no permission, no /proc).
struct ProtectedSymlinks {
    before: String,
}

impl ProtectedSymlinks {
    const PATH: &str = "/proc/sys/fs/protected_symlinks";

    fn enable() -> Option<ProtectedSymlinks> {
        let before = std::fs::read_to_string(Self::PATH).ok()?;
        std::fs::write(Self::PATH, "1").ok()?;
        Some(ProtectedSymlinks { before })
    }
}

impl Drop for ProtectedSymlinks {
    fn drop(&mut self) {
        let _ = std::fs::write(Self::PATH, self.before.trim());
    }
}

#[test]
fn a_link_planted_in_a_sticky_directory_is_refused_as_the_kernel_refuses_it() {
    if !is_root() {
        eprintln!("not root: cannot plant a link owned by another user; not checked");
        return;
    }
    let dir = Dir::new();
    dir.create("bundle/a.js", "a();\n");
    let important = dir.create("etc/important", "do not replace\n");
    let shared = dir.join("tmp");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let planted = shared.join("x");
    symlink(&important, &planted).unwrap();
    std::os::unix::fs::lchown(&planted, Some(NOBODY), Some(NOBODY)).unwrap();

    let sysctl = ProtectedSymlinks::enable();
    match &sysctl {
        Some(_) => {
            // The kernel refuses root's `cat > tmp/x`, as cp and sort -o.
            let shell = Command::new("sh")
                .args(["-c", "cat bundle/a.js > tmp/x"])
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(!shell.status.success(), "the kernel followed the link");
            assert!(String::from_utf8_lossy(&shell.stderr).contains("Permission denied"));
        }
        None => eprintln!(
            "fs.protected_symlinks cannot be set here: smerge's refusal is checked, \
             the kernel's is not"
        ),
    }
    for args in [
        &["bundle", "tmp/x"][..],
        &["--ensure-newline", "bundle", "tmp/x"],
    ] {
        smerge(&dir)
            .args(args)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(
                "smerge: writing tmp/x: refusing to follow a symbolic link that another user \
                 owns in a sticky world-writable directory",
            ));
    }
    smerge(&dir)
        .args(["pipe", "bundle/a.js", "tmp/x"])
        .assert()
        .code(1);
    assert_bytes_eq(b"do not replace\n", &dir.read("etc/important"));
    assert_eq!(dir.names("tmp"), ["x"]);
    drop(sysctl);

    // A link of one's own there is followed, as the kernel follows it.
    symlink("../out.js", shared.join("mine")).unwrap();
    smerge(&dir).args(["bundle", "tmp/mine"]).assert().success();
    assert_bytes_eq(b"a();\n", &dir.read("out.js"));
}

/// Starts `smerge ARGS` in `dir`, which waits on the FIFO `fifo` for its
/// input; returns the process and the FIFO opened for writing.
fn start_waiting_on(dir: &Dir, args: &[&str], fifo: &Path) -> (std::process::Child, std::fs::File) {
    let child = Command::new(env!("CARGO_BIN_EXE_smerge"))
        .args(args)
        .current_dir(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Opening for writing waits until smerge opens it for reading.
    let writer = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
    (child, writer)
}

#[test]
fn the_output_directory_is_pinned_for_the_whole_merge() {
    let dir = Dir::new();
    dir.create("a.txt", "first\n");
    dir.create("elsewhere/out.txt", "not to be touched\n");
    std::fs::create_dir(dir.join("out")).unwrap();
    let fifo = dir.fifo("slow.fifo");
    let (child, mut writer) = start_waiting_on(&dir, &["a.txt", "slow.fifo", "out/out.txt"], &fifo);
    // While the merge runs, its output directory becomes a link elsewhere.
    std::fs::rename(dir.join("out"), dir.join("moved")).unwrap();
    symlink("elsewhere", dir.join("out")).unwrap();
    writer.write_all(b"second\n").unwrap();
    drop(writer);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_bytes_eq(b"first\nsecond\n", &dir.read("moved/out.txt"));
    assert_bytes_eq(b"not to be touched\n", &dir.read("elsewhere/out.txt"));
}

#[test]
fn symlinks_in_a_tree_are_followed_only_with_dash_l() {
    let dir = Dir::new();
    dir.create("secret", "shadow\n");
    dir.create("tree/a.txt", "a\n");
    symlink(dir.join("secret"), dir.join("tree/z")).unwrap();
    symlink("a.txt", dir.join("tree/link-to-a")).unwrap();
    smerge(&dir)
        .args(["tree", "-"])
        .assert()
        .success()
        .stdout("a\n")
        .stderr(predicate::str::contains(
            "smerge: warning: skipping 2 symbolic links in tree: use --follow-links to follow them",
        ));
    // Followed, the link to a.txt is a.txt again: merged once, with a
    // warning; the link out of the tree is merged, as asked.
    smerge(&dir)
        .args(["-L", "tree", "-"])
        .assert()
        .success()
        .stdout("a\nshadow\n")
        .stderr(predicate::str::contains(
            "smerge: warning: skipping tree/link-to-a: it is the same file as tree/a.txt",
        ));
    // Named, a link is followed, and a file named twice is merged twice.
    smerge(&dir)
        .args(["tree/z", "tree/a.txt", "tree/a.txt", "-"])
        .assert()
        .success()
        .stdout("shadow\na\na\n");
}

#[test]
fn a_file_swapped_for_a_link_after_the_listing_is_not_read() {
    let dir = Dir::new();
    dir.create("secret", "shadow\n");
    dir.create("tree/a.txt", "sample\n");
    dir.create("out.txt", "old output\n");
    let fifo = dir.fifo("first.fifo");
    let (child, mut writer) = start_waiting_on(&dir, &["first.fifo", "tree", "out.txt"], &fifo);
    // Listed; now a link of the same size takes its place.
    std::fs::remove_file(dir.join("tree/a.txt")).unwrap();
    symlink(dir.join("secret"), dir.join("tree/a.txt")).unwrap();
    writer.write_all(b"first\n").unwrap();
    drop(writer);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "smerge: reading tree/a.txt: it was replaced by a symbolic link after it was listed\n"
    );
    assert_bytes_eq(b"old output\n", &dir.read("out.txt"));
}

#[test]
fn names_in_a_header_cannot_end_its_comment() {
    let dir = Dir::new();
    dir.create("src/a*/console.log(1);/*.js", "let a = 1;\n");
    dir.create("src/b.js", "let b = 2;\n");
    smerge(&dir)
        .args(["-r", "--header", "/* {path} */\\n", "src", "bundle.js"])
        .assert()
        .success();
    let bundle = String::from_utf8(dir.read("bundle.js")).unwrap();
    assert_eq!(
        bundle,
        "/* a*\\/console.log(1);/*.js */\nlet a = 1;\n/* b.js */\nlet b = 2;\n"
    );
    let node = Command::new("node")
        .arg("bundle.js")
        .current_dir(dir.path())
        .output()
        .expect("node (installed by .ci/run)");
    assert!(node.status.success(), "{node:?}");
    assert_eq!(
        String::from_utf8_lossy(&node.stdout),
        "",
        "the name ran as code"
    );

    // The raw form writes the bytes, for those who want them.
    smerge(&dir)
        .args(["-r", "--header", "/* {path:raw} */\\n", "src", "-"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "/* a*/console.log(1);/*.js */\n",
        ));
}

#[test]
fn names_that_are_not_utf8_stay_distinct_in_the_manifest_and_come_back() {
    use base64::Engine as _;
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let dir = Dir::new();
    let names: [&[u8]; 2] = [b"b\xff.js", b"b\xfe.js"];
    for (i, name) in names.into_iter().enumerate() {
        let path = Path::new("in").join(OsStr::from_bytes(name));
        dir.create(path, format!("file {i}\n"));
    }
    smerge(&dir)
        .args(["--manifest", "m.json", "in", "out.js"])
        .assert()
        .success();
    let manifest: serde_json::Value = serde_json::from_slice(&dir.read("m.json")).unwrap();
    let parts = manifest["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2);
    // The lossy names are the same; the raw bytes keep them apart.
    assert_eq!(parts[0]["path"], parts[1]["path"]);
    let raw = |part: &serde_json::Value, field: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(part[field].as_str().unwrap())
            .unwrap()
    };
    assert_eq!(raw(&parts[0], "path_bytes"), b"b\xfe.js");
    assert_eq!(raw(&parts[1], "path_bytes"), b"b\xff.js");
    assert_eq!(raw(&parts[1], "source_bytes"), b"in/b\xff.js");
    // split restores both, under their own names.
    smerge(&dir)
        .args(["split", "m.json", "restored"])
        .assert()
        .success();
    for (i, name) in names.into_iter().enumerate() {
        let path = Path::new("restored").join(OsStr::from_bytes(name));
        assert_bytes_eq(format!("file {i}\n").as_bytes(), &dir.read(path));
    }
}

#[test]
fn names_in_messages_are_quoted_on_one_line() {
    let dir = Dir::new();
    dir.create("ok.txt", "ok\n");
    let output = smerge(&dir)
        .args(["ok.txt", "evil\n\x1b[2Jname", "out.txt"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "smerge: reading 'evil'$'\\n\\033''[2Jname': No such file or directory (os error 2)\n"
    );

    // A 50 MB name makes a short message.
    let mut list = vec![b'x'; 50 << 20];
    list.push(0);
    std::fs::write(dir.join("list0"), &list).unwrap();
    let output = smerge(&dir)
        .args(["--files0-from", "list0", "out.txt"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.len() < 2048, "{} bytes of message", stderr.len());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("bytes …]"), "{stderr}");
    assert!(!dir.join("out.txt").exists());
}

/// Sends `signal` to `child` once it has waited a moment, and checks that
/// it ends at once with `status`.
fn interrupt_waiting(mut child: std::process::Child, signal: Signal, status: i32) {
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "smerge did not wait");
    let sent = Instant::now();
    let exit = signal_and_wait(&mut child, signal);
    let took = sent.elapsed();
    assert_eq!(exit.code(), Some(status), "{exit:?}");
    assert!(took < Duration::from_secs(2), "took {took:?} to stop");
}

fn spawn(dir: &Dir, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_smerge"))
        .args(args)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Whether anyone holds `fifo` open for reading: a non-blocking open for
/// writing succeeds only then.
fn has_reader(fifo: &Path) -> bool {
    std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(OFlags::NONBLOCK.bits() as i32)
        .open(fifo)
        .is_ok()
}

#[test]
fn sigterm_ends_a_wait_for_an_output_fifo_reader_and_nothing_is_written() {
    let dir = Dir::new();
    dir.create("a.txt", "never written\n");
    let fifo = dir.fifo("out.fifo");
    interrupt_waiting(spawn(&dir, &["a.txt", "out.fifo"]), Signal::TERM, 143);
    // A reader turning up now finds no writer, and nothing written.
    let mut reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(OFlags::NONBLOCK.bits() as i32)
        .open(&fifo)
        .unwrap();
    let mut got = Vec::new();
    reader.read_to_end(&mut got).unwrap();
    assert!(got.is_empty());
}

#[test]
fn signals_end_a_wait_for_an_input_fifo_writer() {
    let dir = Dir::new();
    dir.create("out.txt", "old output\n");
    let fifo = dir.fifo("in.fifo");
    interrupt_waiting(spawn(&dir, &["in.fifo", "out.txt"]), Signal::TERM, 143);
    interrupt_waiting(
        spawn(&dir, &["pipe", "in.fifo", "out.txt"]),
        Signal::INT,
        130,
    );
    assert!(!has_reader(&fifo), "a reader was left behind");
    assert_bytes_eq(b"old output\n", &dir.read("out.txt"));
    assert_eq!(dir.names("."), ["in.fifo", "out.txt"]);
}

#[test]
fn signals_end_a_wait_for_any_fifo_smerge_was_given() {
    let dir = Dir::new();
    dir.create("in/a.txt", "a\n");
    dir.create("out.js", "old output\n");
    dir.fifo("w.fifo");
    dir.fifo("r.fifo");
    // Written to: the manifest, a source map, a --tee copy. Read from: the
    // lists of inputs, a banner or footer file, a manifest to split, a
    // bundle to extract from.
    let cases: [&[&str]; 10] = [
        &["--manifest", "w.fifo", "in", "out.js"],
        &["--source-map=w.fifo", "in", "out.js"],
        &["-r", "--seekable", "--manifest", "w.fifo", "in", "out.zst"],
        &["pipe", "in/a.txt", "copy.txt", "--tee", "w.fifo"],
        &["--files0-from", "r.fifo", "out.js"],
        &["--files-from", "r.fifo", "out.js"],
        &["--banner", "@r.fifo", "in", "out.js"],
        &["--footer", "@r.fifo", "in", "out.js"],
        &["split", "r.fifo", "restored"],
        &["extract", "r.fifo"],
    ];
    for (i, args) in cases.into_iter().enumerate() {
        let (signal, status) = if i % 2 == 0 {
            (Signal::TERM, 143)
        } else {
            (Signal::INT, 130)
        };
        interrupt_waiting(spawn(&dir, args), signal, status);
    }
    assert!(!has_reader(&dir.join("r.fifo")), "a reader was left behind");
    // A reader of the FIFOs smerge was to write finds nothing written.
    let mut reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(OFlags::NONBLOCK.bits() as i32)
        .open(dir.join("w.fifo"))
        .unwrap();
    let mut got = Vec::new();
    reader.read_to_end(&mut got).unwrap();
    assert!(got.is_empty());
    assert_bytes_eq(b"old output\n", &dir.read("out.js"));
    assert_eq!(dir.names("."), ["in", "out.js", "r.fifo", "w.fifo"]);
}

#[test]
fn a_silent_tcp_peer_times_out_naming_the_connection() {
    let dir = Dir::new();
    // Connections queue on the listener: made, never served.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = silent.local_addr().unwrap();
    smerge(&dir)
        .args([
            "pipe",
            &format!("tcp://{address}"),
            "out.txt",
            "--timeout",
            "500ms",
        ])
        .timeout(Duration::from_secs(20))
        .assert()
        .code(1)
        .stderr(format!(
            "smerge: reading tcp://{address}: no data for 500ms\n"
        ));
    assert!(!dir.join("out.txt").exists());

    dir.create("big.bin", data(1, 64 << 20));
    smerge(&dir)
        .args([
            "pipe",
            "big.bin",
            &format!("tcp://{address}"),
            "--timeout",
            "1",
        ])
        .timeout(Duration::from_secs(20))
        .assert()
        .code(1)
        .stderr(format!(
            "smerge: writing tcp://{address}: the peer took no data for 1s\n"
        ));

    smerge(&dir)
        .args([
            "pipe",
            "tcp-listen://127.0.0.1:0",
            "out.txt",
            "--accept-timeout",
            "300ms",
        ])
        .timeout(Duration::from_secs(20))
        .assert()
        .code(1)
        .stderr("smerge: accepting on tcp-listen://127.0.0.1:0: no connection within 300ms\n");
    smerge(&dir)
        .args(["pipe", "-", "out.txt", "--timeout", "soon"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("\"soon\" is not a duration"));
}

/// `xz -0` data whose block header asks for a dictionary of `dict` bytes
/// (2 or 3 times a power of two), the header's CRC32 made right.
fn xz_with_dictionary(dir: &Dir, text: &[u8], dict: u64) -> Vec<u8> {
    let mut xz = Command::new("xz")
        .args(["-0", "-c"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .current_dir(dir.path())
        .spawn()
        .expect("xz (installed by .ci/run)");
    xz.stdin.take().unwrap().write_all(text).unwrap();
    let mut xz = xz.wait_with_output().unwrap().stdout;
    let code = (0..=40u8)
        .find(|&code| (2 | u64::from(code & 1)) << (code / 2 + 11) == dict)
        .unwrap();
    let header_len = (usize::from(xz[12]) + 1) * 4;
    let flags = xz[13];
    let mut at = 14;
    for present in [flags & 0x40 != 0, flags & 0x80 != 0] {
        if present {
            while xz[at] & 0x80 != 0 {
                at += 1;
            }
            at += 1;
        }
    }
    assert_eq!(&xz[at..at + 2], [0x21, 0x01], "an LZMA2 filter");
    xz[at + 2] = code;
    let mut crc = flate2::Crc::new();
    crc.update(&xz[12..12 + header_len - 4]);
    xz[12 + header_len - 4..12 + header_len].copy_from_slice(&crc.sum().to_le_bytes());
    xz
}

#[test]
fn decoders_refuse_headers_asking_for_more_memory_than_the_limit() {
    let dir = Dir::new();
    let text = b"a small file with a large dictionary\n".repeat(100);
    dir.create("huge-dict.xz", xz_with_dictionary(&dir, &text, 3 << 29));
    dir.create("big-dict.xz", xz_with_dictionary(&dir, &text, 3 << 27));
    let refused = "xz data needs more memory to decode, over the memory limit of 256 MiB \
                   (--memlimit raises it)";
    smerge(&dir)
        .args(["pipe", "huge-dict.xz", "out.txt", "-t", "unxz"])
        .assert()
        .code(1)
        .stderr(format!("smerge: reading huge-dict.xz: unxz: {refused}\n"));
    smerge(&dir)
        .args(["--decompress", "huge-dict.xz", "out.txt"])
        .assert()
        .code(1)
        .stderr(format!("smerge: reading huge-dict.xz: unxz: {refused}\n"));
    assert!(!dir.join("out.txt").exists());
    // Raised, the limit lets the 384 MiB dictionary through.
    smerge(&dir)
        .args([
            "--decompress",
            "--memlimit",
            "512M",
            "big-dict.xz",
            "out.txt",
        ])
        .assert()
        .success();
    assert_bytes_eq(&text, &dir.read("out.txt"));

    // A zstd frame asking for a 512 MiB window.
    let mut frame = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 19 << 3, 0x29, 0x00, 0x00];
    frame.extend_from_slice(b"hello");
    dir.create("window.zst", &frame);
    smerge(&dir)
        .args(["pipe", "window.zst", "-", "-t", "decompress"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "zstd data needs a window of 512 MiB to decode, over the memory limit of 256 MiB",
        ));
    smerge(&dir)
        .args([
            "pipe",
            "window.zst",
            "-",
            "-t",
            "unzstd",
            "--memlimit",
            "1G",
        ])
        .assert()
        .success()
        .stdout("hello");
}

#[test]
fn a_tree_deeper_than_path_max_is_merged() {
    let dir = Dir::new();
    dir.create("deep/a.txt", "shallow\n");
    let directory = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let mut fd = rustix::fs::openat(CWD, dir.join("deep"), directory, Mode::empty()).unwrap();
    let name = "d".repeat(200);
    for _ in 0..30 {
        rustix::fs::mkdirat(&fd, name.as_str(), Mode::from_raw_mode(0o755)).unwrap();
        fd = rustix::fs::openat(&fd, name.as_str(), directory, Mode::empty()).unwrap();
    }
    let create = OFlags::WRONLY | OFlags::CREATE | OFlags::CLOEXEC;
    let leaf = rustix::fs::openat(&fd, "leaf.txt", create, Mode::from_raw_mode(0o644)).unwrap();
    rustix::io::write(&leaf, b"deep\n").unwrap();
    smerge(&dir)
        .args(["-r", "deep", "out.txt"])
        .assert()
        .success();
    assert_bytes_eq(b"shallow\ndeep\n", &dir.read("out.txt"));
    smerge(&dir)
        .args(["-r", "--ensure-newline", "deep", "-"])
        .assert()
        .success()
        .stdout("shallow\ndeep\n");
}

/// The fsync, link and rename calls of `smerge ARGS` in `dir`, as strace
/// shows them (with the paths of their descriptors); `None` without strace.
fn durability_calls(dir: &Dir, args: &[&str]) -> Option<Vec<String>> {
    let trace = dir.join("trace.txt");
    let status = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-y",
            "-e",
            "trace=fsync,fdatasync,link,linkat,rename,renameat,renameat2",
            "-o",
        ])
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_smerge"))
        .args(args)
        .current_dir(dir.path())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    assert!(status.success(), "smerge {args:?} under strace: {status}");
    let calls = std::fs::read_to_string(&trace).unwrap();
    std::fs::remove_file(&trace).unwrap();
    Some(
        calls
            .lines()
            .filter(|line| !line.contains("= -1"))
            .map(|line| {
                line.split_once(' ')
                    .map_or(line, |(_, call)| call)
                    .trim_start()
                    .to_owned()
            })
            .collect(),
    )
}

/// Checks that each output of `calls` was flushed before it was linked or
/// renamed into `dir`, and the directory after.
fn assert_flushed_in_order(calls: &[String], dir: &Path, outputs: usize) {
    let dir = std::fs::canonicalize(dir).unwrap();
    let mut expecting_file_fsync = true;
    let mut committed = 0;
    let mut pending_dir_fsync = false;
    for call in calls {
        let dir_flush =
            call.starts_with("fsync(") && call.contains(&format!("<{}>)", dir.display()));
        if call.starts_with("fsync(") && !dir_flush {
            expecting_file_fsync = false;
        } else if call.starts_with("linkat(") || call.starts_with("renameat") {
            assert!(
                !expecting_file_fsync,
                "put in place before its fsync: {calls:#?}"
            );
            pending_dir_fsync = true;
        } else if dir_flush {
            assert!(
                pending_dir_fsync,
                "a directory fsync before the rename: {calls:#?}"
            );
            pending_dir_fsync = false;
            expecting_file_fsync = true;
            committed += 1;
        }
    }
    assert!(
        !pending_dir_fsync,
        "no directory fsync after the rename: {calls:#?}"
    );
    assert_eq!(committed, outputs, "{calls:#?}");
}

#[test]
fn fsync_flushes_the_file_then_its_directory() {
    let dir = Dir::new();
    dir.create("in/a.txt", "a\n");
    dir.create("in/b.txt", "b");
    dir.create("old.txt", "old\n");
    let Some(plain) = durability_calls(&dir, &["--fsync", "in", "new.txt"]) else {
        eprintln!("strace is not installed: the fsync calls are not checked");
        return;
    };
    assert_flushed_in_order(&plain, dir.path(), 1);
    let streamed = durability_calls(
        &dir,
        &[
            "--fsync",
            "--ensure-newline",
            "--manifest",
            "parts.json",
            "in",
            "old.txt",
        ],
    )
    .unwrap();
    assert_flushed_in_order(&streamed, dir.path(), 2);
    let piped = durability_calls(
        &dir,
        &[
            "pipe", "--fsync", "in/a.txt", "copy.txt", "--tee", "tee.txt",
        ],
    )
    .unwrap();
    assert_flushed_in_order(&piped, dir.path(), 2);
    assert_bytes_eq(b"a\nb\n", &dir.read("old.txt"));
    assert_bytes_eq(b"a\n", &dir.read("tee.txt"));

    // Without --fsync, nothing is flushed, as with cp.
    let default = durability_calls(&dir, &["in", "plain.txt"]).unwrap();
    assert!(
        default
            .iter()
            .all(|call| !call.starts_with("fsync") && !call.starts_with("fdatasync")),
        "{default:#?}"
    );
}

#[test]
fn ignore_files_negation_case_and_git() {
    let dir = Dir::new();
    dir.create("src/a.js", "a\n");
    dir.create("src/B.JS", "B\n");
    dir.create("src/c.min.js", "c\n");
    dir.create("src/vendor.min.js", "vendor\n");
    dir.create("src/gen.js", "generated\n");
    dir.create("src/.ignore", "gen.js\n");
    dir.create("src/.git/config", "[core]\n");
    dir.create("src/.git/HEAD.js", "head\n");
    smerge(&dir)
        .args([
            "--gitignore",
            "--hidden",
            "--iinclude",
            "*.js",
            "--exclude",
            "*.min.js",
            "--exclude",
            "!vendor.*",
            "--exclude",
            ".ignore",
            "src",
            "-",
        ])
        .assert()
        .success()
        .stdout("B\na\nvendor\n");
}
