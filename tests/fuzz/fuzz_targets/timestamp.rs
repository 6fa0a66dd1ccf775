//! The timestamp reader of `--interleave` over arbitrary lines.
//!
//! The settings byte picks the automatic forms, or a `--key-format`
//! (`unix`, or one of a few strftime formats) behind a regular expression.
//! Reading must never panic, give the same time when a line is read twice
//! (the reader caches the last second it converted), and give the same
//! time for a line whether the reader saw another line before or not.

#![no_main]

use libfuzzer_sys::fuzz_target;
use smerge::interleave::KeyReader;

const FORMATS: [&str; 4] = ["unix", "%Y-%m-%dT%H:%M:%S%.f%:z", "%d/%b/%Y:%H:%M:%S %z", "%b %e %H:%M:%S %Y"];

fuzz_target!(|input: &[u8]| {
    let Some((&settings, data)) = input.split_first() else {
        return;
    };
    let make = || match settings % 5 {
        0 => KeyReader::auto(),
        n => KeyReader::regex(r"^(.*)$", Some(FORMATS[usize::from(n - 1)])).expect("a valid regex"),
    };
    let mut lines = data.split(|&b| b == b'\n');
    let first = lines.next().unwrap_or(b"");
    let mut reader = make();
    let once = reader.read(first);
    assert_eq!(reader.read(first), once, "reading twice differs");
    for line in lines {
        let after = reader.read(line);
        assert_eq!(make().read(line), after, "the cache changed a time");
    }
});
