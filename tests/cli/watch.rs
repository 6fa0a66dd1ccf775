//! `--watch`: a real smerge, driven by edits to its inputs.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use crate::cli::util::{Dir, signal_and_wait};

/// A `smerge --watch` running in `dir`, and the lines it prints on stderr.
/// A test that fails leaves no watcher running: dropped, it is killed.
struct Watching {
    child: Child,
    lines: Receiver<String>,
}

impl Drop for Watching {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Watching {
    fn start(dir: &Dir, args: &[&str]) -> Watching {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_smerge"))
            .arg("--watch")
            .args(args)
            .current_dir(dir.path())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                if send.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        Watching { child, lines }
    }

    /// The next line that ends a build (skipping warnings), within 10 s.
    fn next_build(&self) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(10))
                .expect("a rebuild within 10 s");
            if line.ends_with("watching") {
                return line;
            }
        }
    }

    /// Waits for builds until one's line satisfies `done` (an edit's
    /// events may come as more than one rebuild); returns that line.
    fn build_until(&self, done: impl Fn(&str) -> bool) -> String {
        loop {
            let line = self.next_build();
            if done(&line) {
                return line;
            }
        }
    }
}

#[test]
fn edits_additions_removals_and_renames_each_rebuild() {
    let dir = Dir::new();
    dir.create("src/a.js", "a();\n");
    dir.create("src/b.js", "b();\n");
    let mut watching = Watching::start(
        &dir,
        &[
            "--source-map",
            "--sources-content",
            "--include",
            "*.js",
            "src",
            "out.js",
        ],
    );
    let comment = "//# sourceMappingURL=out.js.map\n";
    assert!(
        watching
            .next_build()
            .starts_with("smerge: built out.js in ")
    );
    assert_eq!(
        dir.read("out.js"),
        format!("a();\nb();\n{comment}").as_bytes()
    );

    let dir = &dir;
    let bundle_is = |text: &str| {
        let want = format!("{text}{comment}");
        move |_: &str| dir.read("out.js") == want.as_bytes()
    };
    dir.create("src/a.js", "a(2);\n");
    let line = watching.build_until(bundle_is("a(2);\nb();\n"));
    assert!(
        line.contains("src/a.js changed: rebuilt out.js in "),
        "{line}"
    );

    dir.create("src/c.js", "c();\n");
    watching.build_until(bundle_is("a(2);\nb();\nc();\n"));

    std::fs::remove_file(dir.join("src/b.js")).unwrap();
    watching.build_until(bundle_is("a(2);\nc();\n"));

    // An editor's save: a new file renamed over the old one.
    dir.create("src/.a.js.swp", "a(3);\n");
    std::fs::rename(dir.join("src/.a.js.swp"), dir.join("src/a.js")).unwrap();
    watching.build_until(bundle_is("a(3);\nc();\n"));
    let map = String::from_utf8(dir.read("out.js.map")).unwrap();
    assert!(
        map.contains(r#""sources":["src/a.js","src/c.js"]"#),
        "{map}"
    );

    // A broken input map with --strict would fail: here it warns, and the
    // input maps to itself.
    dir.create("src/d.js", "d();\n//# sourceMappingURL=d.js.map\n");
    watching.build_until(bundle_is("a(3);\nc();\nd();\n"));
    let map = String::from_utf8(dir.read("out.js.map")).unwrap();
    assert!(
        map.contains(r#""sourcesContent":["a(3);\n","c();\n","d();\n"]"#),
        "{map}"
    );

    let status = signal_and_wait(&mut watching.child, rustix::process::Signal::INT);
    assert_eq!(status.code(), Some(130));
    assert_eq!(dir.names("."), ["out.js", "out.js.map", "src"]);
}

#[test]
fn a_failed_rebuild_keeps_the_last_good_output_and_the_next_save_rebuilds() {
    let dir = Dir::new();
    dir.create("src/a.js", "a();\n");
    let mut watching = Watching::start(
        &dir,
        &[
            "--source-map",
            "--strict",
            "--include",
            "*.js",
            "src",
            "out.js",
        ],
    );
    watching.next_build();
    let good = dir.read("out.js");

    dir.create("src/b.js.map", "{ not json");
    dir.create("src/b.js", "b();\n//# sourceMappingURL=b.js.map\n");
    let line = watching.build_until(|line| line.contains("rebuild failed"));
    assert!(line.contains("rebuild failed"), "{line}");
    assert!(line.contains("b.js"), "{line}");
    assert!(line.contains("keeps its last good content"), "{line}");
    assert_eq!(dir.read("out.js"), good);

    std::fs::remove_file(dir.join("src/b.js.map")).unwrap();
    dir.create("src/b.js", "b();\n");
    let line = watching.build_until(|line| line.contains("rebuilt out.js"));
    assert!(line.contains("changed: rebuilt out.js in "), "{line}");
    assert_eq!(
        dir.read("out.js"),
        b"a();\nb();\n//# sourceMappingURL=out.js.map\n"
    );

    let status = signal_and_wait(&mut watching.child, rustix::process::Signal::TERM);
    assert_eq!(status.code(), Some(143));
    assert_eq!(dir.names("."), ["out.js", "out.js.map", "src"]);
}

#[test]
fn content_options_and_the_manifest_follow_each_rebuild() {
    let dir = Dir::new();
    dir.create("src/a.js", "a();");
    dir.create("src/b.js", "b();\n");
    let mut watching = Watching::start(
        &dir,
        &[
            "--source-map",
            "--header",
            "/* {path} */\n",
            "--ensure-newline",
            "--manifest",
            "m.json",
            "src",
            "out.js",
        ],
    );
    watching.next_build();
    let comment = "//# sourceMappingURL=out.js.map\n";
    assert_eq!(
        dir.read("out.js"),
        format!("/* a.js */\na();\n/* b.js */\nb();\n{comment}").as_bytes()
    );
    // Two files saved together (a module and its map, say) are one rebuild
    // or more, ending with both in the bundle.
    dir.create("src/a.js", "a(1);\n");
    dir.create("src/c.js", "c();");
    let want = format!("/* a.js */\na(1);\n/* b.js */\nb();\n/* c.js */\nc();\n{comment}");
    watching.build_until(|_| dir.read("out.js") == want.as_bytes());
    let manifest: serde_json::Value = serde_json::from_slice(&dir.read("m.json")).unwrap();
    let paths: Vec<_> = manifest["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|part| part["kind"] == "file")
        .map(|part| part["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, ["a.js", "b.js", "c.js"]);
    let map = String::from_utf8(dir.read("out.js.map")).unwrap();
    // Header lines map to nothing: each input starts a line below one.
    // (`I`: the newline added after `c();` maps to nothing.)
    assert!(
        map.contains(r#""mappings":";AAAA;;ACAA;;ACAA,I;""#),
        "{map}"
    );

    let status = signal_and_wait(&mut watching.child, rustix::process::Signal::INT);
    assert_eq!(status.code(), Some(130));
    assert_eq!(dir.names("."), ["m.json", "out.js", "out.js.map", "src"]);
}
