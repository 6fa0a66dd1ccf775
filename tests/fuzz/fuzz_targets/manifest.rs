//! The manifest reader that `smerge split` and `extract` trust no further
//! than it checks (`smerge::merge::Manifest::from_reader`), over arbitrary
//! bytes.
//!
//! Checked: reading fails only with `InvalidData`; a manifest read has
//! parts that follow one another from offset 0 with valid SHA-256s; every
//! path a part gives for writing is relative, without `..`, empty
//! components or NUL; the raw names decode or fail cleanly; and written
//! back as JSON, the manifest reads as the same manifest.

#![no_main]

use std::path::Component;

use libfuzzer_sys::fuzz_target;
use smerge::ErrorKind;
use smerge::merge::Manifest;

fuzz_target!(|input: &[u8]| {
    let manifest = match Manifest::from_reader(input) {
        Ok(manifest) => manifest,
        Err(error) => {
            assert_eq!(error.kind(), ErrorKind::InvalidData, "{error}");
            return;
        }
    };
    let mut next = 0u64;
    for part in &manifest.parts {
        assert_eq!(part.offset, next);
        next = part.offset + part.length;
        part.sha256().expect("checked when read");
        let _ = part.path_bytes();
        let _ = part.source_bytes();
        if let Ok(path) = part.relative_path() {
            assert!(!path.as_os_str().is_empty());
            assert!(!path.as_os_str().as_encoded_bytes().contains(&0));
            assert!(
                path.components().all(|c| matches!(c, Component::Normal(_))),
                "{path:?} escapes"
            );
        }
    }
    assert_eq!(manifest.total_length(), next);
    let _ = manifest.output_path();
    let written = serde_json::to_vec(&manifest).expect("a manifest serialises");
    let again = Manifest::from_reader(&written[..]).expect("written back, it reads");
    assert_eq!(again, manifest);
});
