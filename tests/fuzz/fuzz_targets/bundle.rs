//! The reader of seekable bundles that `smerge extract` opens
//! (`smerge::seekable::Bundle`): the zstd seek table or the gzip members'
//! extra fields, the manifest and the index by path carried inside, over
//! arbitrary files.
//!
//! Checked: opening, reading the manifest, selecting and extracting fail
//! only with `InvalidData` (or the writer's error), never a panic; a part
//! extracted whole has the manifest's length; what a hostile part can make
//! smerge decompress is bounded (the writer refuses more than 4 MiB).

#![no_main]

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use smerge::ErrorKind;
use smerge::seekable::Bundle;

/// A file of the fuzzer's own, rewritten for every input.
fn bundle_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("smerge-fuzz-bundle")
            .tempdir()
            .expect("a temporary directory");
        dir.keep().join("bundle")
    })
}

/// Counts what is written, up to a limit.
struct Bounded(u64);

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        if self.0 > 4 << 20 {
            return Err(io::Error::other("more than 4 MiB"));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn assert_invalid(error: &smerge::Error) {
    assert!(
        matches!(error.kind(), ErrorKind::InvalidData | ErrorKind::InvalidArgument),
        "{error:#}"
    );
}

fuzz_target!(|input: &[u8]| {
    let path = bundle_path();
    std::fs::write(path, input).expect("writing the input");
    let bundle = match Bundle::open(path) {
        Ok(bundle) => bundle,
        Err(error) => return assert_invalid(&error),
    };
    let _ = bundle.codec();
    let parts = match bundle.manifest() {
        Ok(manifest) => manifest.parts.clone(),
        Err(error) => return assert_invalid(&error),
    };
    // Looked up by path through the index, and by glob through the manifest.
    for part in parts.iter().take(4) {
        if let Some(name) = part.path.as_deref() {
            match bundle.select(&[name]) {
                Ok(found) => assert!(!found.is_empty()),
                Err(error) => assert_invalid(&error),
            }
        }
    }
    if let Err(error) = bundle.select(&["*"]) {
        assert_invalid(&error);
    }
    for part in parts.iter().take(8) {
        let mut out = Bounded(0);
        match bundle.extract(part, &mut out) {
            Ok(()) => assert_eq!(out.0, part.length),
            Err(error) if error.kind() == ErrorKind::Io => {
                assert!(out.0 > 4 << 20, "{error:#}");
            }
            Err(error) => assert_invalid(&error),
        }
    }
});
