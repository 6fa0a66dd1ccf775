//! `--interleave` through the real binary, checked against
//! `LC_ALL=C sort -m` where it defines the answer.

use std::process::Command;

use super::util::{Dir, assert_bytes_eq, smerge};

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_hundred_sorted_logs_merge_as_sort_m_merges_them() {
    let dir = Dir::new();
    let mut names = Vec::new();
    for host in 0..100u64 {
        let mut text = String::new();
        let mut second = host % 7;
        for line in 0..40u64 {
            // Many equal times across inputs: the merge must be stable.
            second += (host * 31 + line * 17) % 3;
            text.push_str(&format!(
                "2024-03-01T10:{:02}:{:02}Z host{host:03} line {line}\n",
                second / 60,
                second % 60
            ));
        }
        let name = format!("logs/host{host:03}.log");
        dir.create(&name, text);
        names.push(name);
    }
    smerge(&dir)
        .args(["--interleave", "logs", "all.log"])
        .assert()
        .success();
    let mut sort = Command::new("sort");
    sort.env("LC_ALL", "C")
        .args(["-m", "-s", "-k1,1"])
        .args(&names)
        .current_dir(dir.path());
    let expected = sort.output().expect("sort is needed for this test");
    assert!(expected.status.success());
    assert_bytes_eq(&expected.stdout, &dir.read("all.log"));
}

#[test]
fn ties_keep_input_order_and_records_keep_their_continuation_lines() {
    let dir = Dir::new();
    dir.create(
        "a.log",
        "2024-03-01 12:00:00,100 ERROR boom\njava.lang.Error: boom\n\tat Main.main(Main.java:3)\n2024-03-01 12:00:02,000 INFO a2\n",
    );
    dir.create(
        "b.log",
        "2024-03-01T11:00:00.100-01:00 INFO b1\n  continued\n2024-03-01T12:00:01Z INFO b2",
    );
    smerge(&dir)
        .args(["--interleave", "a.log", "b.log", "-"])
        .assert()
        .success()
        .stdout(
            "2024-03-01 12:00:00,100 ERROR boom\njava.lang.Error: boom\n\tat Main.main(Main.java:3)\n\
             2024-03-01T11:00:00.100-01:00 INFO b1\n  continued\n\
             2024-03-01T12:00:01Z INFO b2\n\
             2024-03-01 12:00:02,000 INFO a2\n",
        );
}

#[test]
fn syslog_and_access_log_forms() {
    let dir = Dir::new();
    dir.create(
        "a.log",
        "Mar  1 12:00:00 web1 nginx: up\nMar  1 12:00:05 web1 nginx: b\n",
    );
    dir.create("b.log", "Mar  1 12:00:03 web2 sshd[7]: a\n");
    smerge(&dir)
        .args(["--interleave", "a.log", "b.log", "-"])
        .assert()
        .success()
        .stdout("Mar  1 12:00:00 web1 nginx: up\nMar  1 12:00:03 web2 sshd[7]: a\nMar  1 12:00:05 web1 nginx: b\n");
    dir.create("x.log", "10.0.0.1 - - [01/Mar/2024:12:00:00 +0000] \"GET / HTTP/1.1\" 200 1\n10.0.0.1 - - [01/Mar/2024:13:00:02 +0100] \"GET /b HTTP/1.1\" 200 1\n");
    dir.create(
        "y.log",
        "10.0.0.2 - ann [01/Mar/2024:07:00:01 -0500] \"GET /a HTTP/1.1\" 200 1\n",
    );
    let out = smerge(&dir)
        .args(["--interleave", "x.log", "y.log", "-"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let order: Vec<&str> = text.lines().map(|l| l.split('"').nth(1).unwrap()).collect();
    assert_eq!(
        order,
        ["GET / HTTP/1.1", "GET /a HTTP/1.1", "GET /b HTTP/1.1"]
    );
}

#[test]
fn syslog_times_roll_over_from_december_into_january() {
    // A syslog time has no year: December's, read before its end, is last
    // year's, and January 1 after December 31 starts the next year. On
    // December 30 and 31 the December times are still this year's, and
    // another input's January 1 is then an earlier one.
    let today = Command::new("date")
        .args(["-u", "+%m-%d"])
        .output()
        .unwrap();
    if matches!(&today.stdout[..], b"12-30\n" | b"12-31\n") {
        return;
    }
    let dir = Dir::new();
    dir.create(
        "a.log",
        "Dec 31 23:59:58 a: one\nJan  1 00:00:02 a: three\n",
    );
    dir.create("b.log", "Jan  1 00:00:01 b: two\n");
    smerge(&dir)
        .args(["--interleave", "--strict", "a.log", "b.log", "-"])
        .assert()
        .success()
        .stdout("Dec 31 23:59:58 a: one\nJan  1 00:00:01 b: two\nJan  1 00:00:02 a: three\n");
}

#[test]
fn a_manifest_is_refused_rather_than_written_empty() {
    let dir = Dir::new();
    dir.create("a.log", "2024-03-01T12:00:00Z a\n");
    dir.create("b.log", "2024-03-01T12:00:01Z b\n");
    let output = smerge(&dir)
        .args([
            "--interleave",
            "a.log",
            "b.log",
            "all.log",
            "--manifest",
            "m.json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("--manifest"),
        "{}",
        stderr_of(&output)
    );
    assert!(!dir.join("all.log").exists() && !dir.join("m.json").exists());
}

#[test]
fn a_custom_key_with_a_format() {
    let dir = Dir::new();
    dir.create(
        "a.log",
        "level=info ts=1709294400.5 msg=a\nlevel=info ts=1709294402 msg=c\n",
    );
    dir.create("b.log", "level=warn ts=1709294401 msg=b\n");
    smerge(&dir)
        .args(["--interleave", "--key", r"ts=(?<ts>\S+)", "--key-format", "unix", "a.log", "b.log", "-"])
        .assert()
        .success()
        .stdout("level=info ts=1709294400.5 msg=a\nlevel=warn ts=1709294401 msg=b\nlevel=info ts=1709294402 msg=c\n");
    smerge(&dir)
        .args(["--interleave", "--key", "(", "a.log", "-"])
        .assert()
        .code(2);
}

#[test]
fn out_of_order_input_is_a_warning_or_with_strict_an_error() {
    let dir = Dir::new();
    dir.create(
        "a.log",
        "2024-03-01T12:00:05Z a\n2024-03-01T12:00:01Z late\n",
    );
    dir.create("b.log", "2024-03-01T12:00:03Z b\n");
    let output = smerge(&dir)
        .args(["--interleave", "a.log", "b.log", "out.log"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("a.log") && stderr.contains("line 2 is out of time order"),
        "{stderr}"
    );
    assert_bytes_eq(
        b"2024-03-01T12:00:03Z b\n2024-03-01T12:00:05Z a\n2024-03-01T12:00:01Z late\n",
        &dir.read("out.log"),
    );
    std::fs::remove_file(dir.join("out.log")).unwrap();
    let output = smerge(&dir)
        .args(["--interleave", "--strict", "a.log", "b.log", "out.log"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_of(&output).contains("line 2 is out of time order"));
    assert!(!dir.join("out.log").exists());
}

#[test]
fn compressed_rotated_logs_with_their_source_into_a_compressed_output() {
    let dir = Dir::new();
    dir.create(
        "app.log.1",
        "2024-03-01T12:00:00Z old\n2024-03-01T12:00:04Z old2\n",
    );
    dir.create("web.log", "2024-03-01T12:00:02Z web\n");
    let gzip = Command::new("gzip")
        .arg("app.log.1")
        .current_dir(dir.path())
        .status();
    assert!(gzip.expect("gzip is needed for this test").success());
    smerge(&dir)
        .args([
            "--interleave",
            "--decompress",
            "--add-source",
            "src",
            "app.log.1.gz",
            "web.log",
            "all.log.zst",
        ])
        .assert()
        .success();
    let plain = Command::new("zstd")
        .args(["-dc", "all.log.zst"])
        .current_dir(dir.path())
        .output()
        .expect("zstd is needed for this test");
    assert_bytes_eq(
        b"app.log.1.gz\t2024-03-01T12:00:00Z old\nweb.log\t2024-03-01T12:00:02Z web\napp.log.1.gz\t2024-03-01T12:00:04Z old2\n",
        &plain.stdout,
    );
}
