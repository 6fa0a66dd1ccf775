//! Compression speed against the command-line tools, in release mode:
//! `cargo test --release --test integration codec::throughput -- --ignored --nocapture`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use smerge::transforms::{Codec, Compress};

use super::{compress, text};

const INPUT_LEN: usize = 64 << 20;

fn report(what: &str, input_len: usize, output_len: usize, elapsed: Duration) {
    println!(
        "{what:<24} {:>8.1} MB/s  {:>11} bytes ({:.1}%)",
        input_len as f64 / elapsed.as_secs_f64() / 1e6,
        output_len,
        100.0 * output_len as f64 / input_len as f64
    );
}

/// Times `program args < input > output`, the input from a file so the tool
/// reads at its own pace.
fn time_tool(program: &str, args: &[&str], input: &std::path::Path) -> (usize, Duration) {
    let start = Instant::now();
    let output = Command::new(program)
        .args(args)
        .stdin(std::fs::File::open(input).expect("opening the input"))
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|err| panic!("running {program}: {err}"));
    assert!(output.status.success(), "{program} failed");
    (output.stdout.len(), start.elapsed())
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "a benchmark: run it in release mode"]
async fn compression_throughput_against_the_tools() {
    let data = match std::env::var_os("SMERGE_BENCH_INPUT") {
        Some(path) => std::fs::read(path).expect("reading SMERGE_BENCH_INPUT"),
        None => text(INPUT_LEN, 42),
    };
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &data).unwrap();
    println!("input: {} bytes", data.len());

    let runs = [
        ("smerge gzip:6", Compress::new(Codec::Gzip)),
        ("smerge zstd:3", Compress::new(Codec::Zstd)),
        (
            "smerge zstd:3 1 thread",
            Compress::new(Codec::Zstd).with_threads(0),
        ),
    ];
    for (what, transform) in runs {
        let start = Instant::now();
        let packed = compress(transform, &data).await;
        report(what, data.len(), packed.len(), start.elapsed());
    }
    for (what, program, args) in [
        ("gzip -6", "gzip", &["-6", "-c"][..]),
        ("zstd -3 -T0", "zstd", &["-3", "-T0", "-c"]),
        ("zstd -3 -T1", "zstd", &["-3", "-T1", "-c"]),
    ] {
        let (len, elapsed) = time_tool(program, args, file.path());
        report(what, data.len(), len, elapsed);
    }
}
