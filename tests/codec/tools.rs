//! Byte compatibility with `gzip`, `zstd`, `xz`, `bzip2` and `brotli`: what
//! smerge compresses, they decompress, and the other way round.
//!
//! These tests need the tools installed (Debian packages `gzip`, `zstd`,
//! `xz-utils`, `bzip2`, `brotli`), and fail, saying so, when one is missing.

use std::io::{ErrorKind, Write};
use std::process::{Command, Stdio};

use smerge::transforms::{Codec, Compress, Decompress};

use super::{TOOLS, compress, decompress, text};

/// Runs `program` with `args`, feeding it `input`; returns its output, or
/// panics with its error output.
fn run_tool(program: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = match Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(err) if err.kind() == ErrorKind::NotFound => panic!(
            "`{program}` is not installed: the compatibility tests need it \
             (on Debian: apt-get install {program})"
        ),
        Err(err) => panic!("cannot run `{program}`: {err}"),
    };
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let output = std::thread::scope(|scope| {
        scope.spawn(move || stdin.write_all(input).expect("writing to the tool"));
        child.wait_with_output().expect("waiting for the tool")
    });
    assert!(
        output.status.success(),
        "`{program} {}` failed ({}): {}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Text, then bytes of every value: small enough for brotli's slowest
/// level in a debug build.
fn sample() -> Vec<u8> {
    let mut data = text(100_000, 1);
    data.extend((0..=255u8).cycle().take(30_000));
    data
}

#[tokio::test]
async fn tools_decompress_what_smerge_compresses() {
    let data = sample();
    for (codec, tool) in TOOLS {
        for level in [codec.default_level(), *codec.levels().start()] {
            let packed = compress(Compress::with_level(codec, level).unwrap(), &data).await;
            let back = run_tool(tool, &["-d", "-c"], &packed);
            assert!(back == data, "{tool} -d of smerge {codec}:{level}");
        }
    }
}

#[tokio::test]
async fn smerge_decompresses_what_tools_compress() {
    let data = sample();
    for (codec, tool) in TOOLS {
        for level in ["-1", "-6", "-9"] {
            let packed = run_tool(tool, &[level, "-c"], &data);
            let back = decompress(Decompress::new(codec), &packed).await;
            assert!(
                back == data,
                "smerge {} of {tool} {level}",
                codec.decompress_name()
            );
            if codec != Codec::Brotli {
                let detected = decompress(Decompress::detect(), &packed).await;
                assert!(detected == data, "smerge decompress of {tool} {level}");
            }
        }
    }
}

#[tokio::test]
async fn smerge_decompresses_concatenated_tool_output() {
    let first = text(100_000, 2);
    let second = text(50_000, 3);
    let expected = [&first[..], &second].concat();
    for (codec, tool) in TOOLS {
        if codec == Codec::Brotli {
            continue; // brotli data is one stream.
        }
        let packed = [
            run_tool(tool, &["-c"], &first),
            run_tool(tool, &["-c"], &second),
        ]
        .concat();
        let back = decompress(Decompress::detect(), &packed).await;
        assert!(back == expected, "cat a b of {tool}");
    }
}

#[tokio::test]
async fn smerge_reads_the_tools_multi_threaded_output() {
    let data = text(6_000_000, 4);
    let zstd = run_tool("zstd", &["-3", "-T0", "-c"], &data);
    assert!(decompress(Decompress::new(Codec::Zstd), &zstd).await == data);
    // xz -T2 cuts the stream into independent blocks.
    let xz = run_tool("xz", &["-1", "-T2", "--block-size=1MiB", "-c"], &data);
    assert!(decompress(Decompress::new(Codec::Xz), &xz).await == data);
}

#[tokio::test]
async fn tools_read_smerge_zstd_from_every_core() {
    let data = text(6_000_000, 5);
    for threads in [0, 2, 4] {
        let packed = compress(Compress::new(Codec::Zstd).with_threads(threads), &data).await;
        // The frame header says a content checksum follows, which zstd -d checks.
        assert_ne!(packed[4] & 0x04, 0, "checksum flag");
        assert!(
            run_tool("zstd", &["-d", "-c"], &packed) == data,
            "{threads} threads"
        );
    }
}
