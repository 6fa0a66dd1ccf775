//! The progress bar: drawn on a terminal, absent otherwise.

use std::process::Command;

use super::util::{Dir, smerge};

/// Runs `smerge ARGS` under a pseudo-terminal (util-linux `script`) and
/// returns what the terminal received.
fn on_a_terminal(dir: &Dir, args: &str) -> String {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_smerge"));
    let output = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("TERM", "xterm")
        .current_dir(dir.path())
        .output()
        .expect("util-linux script runs commands under a pseudo-terminal");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn big_input(dir: &Dir) {
    // Slow enough (with a content option, through the stream engine) for
    // the bar's first frame.
    let line = "a line of text that goes on and on and on\r\n".repeat(1 << 10);
    for i in 0..24 {
        dir.create(format!("in/{i:02}.txt"), line.repeat(40));
    }
}

#[test]
fn bar_is_drawn_on_a_terminal() {
    let dir = Dir::new();
    big_input(&dir);
    let screen = on_a_terminal(&dir, "--eol lf in out.txt");
    assert!(
        screen.contains("smerge") && screen.contains('\u{1b}'),
        "no bar in {screen:?}"
    );
    assert!(screen.contains('%'), "no percentage in {screen:?}");
}

#[test]
fn decompressing_the_bar_says_it_counts_input_bytes() {
    let dir = Dir::new();
    big_input(&dir);
    for i in 0..24 {
        let path = dir.join(format!("in/{i:02}.txt"));
        assert!(
            Command::new("gzip")
                .arg("-1")
                .arg(path)
                .status()
                .unwrap()
                .success()
        );
    }
    let screen = on_a_terminal(&dir, "--decompress --eol lf in out.txt");
    assert!(screen.contains("input bytes"), "{screen:?}");
}

#[test]
fn no_bar_without_a_terminal_or_with_quiet() {
    let dir = Dir::new();
    big_input(&dir);
    let output = Command::new(env!("CARGO_BIN_EXE_smerge"))
        .args(["--eol", "lf", "in", "out.txt"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(
        output.stderr.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&output.stderr)
    );
    let screen = on_a_terminal(&dir, "--quiet --eol lf in out.txt");
    assert!(
        !screen.contains("smerge"),
        "a bar despite --quiet: {screen:?}"
    );
}

#[test]
fn no_bar_on_a_terminal_for_an_input_of_unknown_size() {
    let dir = Dir::new();
    dir.create("in.txt", "a line of text\n".repeat(1 << 16));
    let sized = on_a_terminal(
        &dir,
        "pipe in.txt out.txt -t 'exec:sh -c \"sleep 0.3; cat\"'",
    );
    assert!(sized.contains("smerge"), "no bar for a file: {sized:?}");
    let from_stdin = on_a_terminal(
        &dir,
        "pipe - out.txt -t 'exec:sh -c \"sleep 0.3; cat\"' < in.txt",
    );
    assert!(
        !from_stdin.contains("smerge"),
        "a bar for standard input: {from_stdin:?}"
    );
}

#[test]
fn forced_bar_counts_bytes_of_an_input_of_unknown_size() {
    let dir = Dir::new();
    let input = "a line of text\n".repeat(1 << 16);
    // The program waits before it reads: the bar draws while smerge has
    // read some of standard input, whose size is unknown.
    let output = smerge(&dir)
        .args(["pipe", "--progress", "-t", "exec:sh -c 'sleep 0.5; cat'"])
        .write_stdin(input.clone())
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(output.stdout, input.as_bytes());
    let stderr = String::from_utf8_lossy(&output.stderr);
    // A frame is `smerge SPINNER BYTES RATE`: "KiB " is a byte count,
    // "KiB/s" a rate.
    assert!(
        stderr
            .split(['\r', '\n'])
            .any(|frame| frame.contains("smerge") && frame.contains("KiB ")),
        "no byte count in {stderr:?}"
    );
}
