//! The manifest reader that `smerge split` trusts no further than it checks
//! (`smerge::merge::Manifest`): whatever the JSON, a manifest whose parts
//! follow one another from offset 0 without overflowing, whose SHA-256s are
//! read or refused, and whose file paths, once checked by
//! `relative_path`, stay inside the directory they are recreated in; or an
//! `InvalidData` error.

#![no_main]

use std::path::Component;

use libfuzzer_sys::fuzz_target;
use smerge::ErrorKind;
use smerge::merge::{Manifest, PartKind};

fuzz_target!(|input: &[u8]| {
    match Manifest::from_reader(input) {
        Ok(manifest) => {
            let mut end = 0u64;
            for part in &manifest.parts {
                assert_eq!(part.offset, end);
                end = part.offset.checked_add(part.length).expect("no overflow");
                let _ = part.sha256();
                if let Ok(path) = part.relative_path() {
                    assert!(path.components().count() > 0);
                    assert!(path.components().all(|c| matches!(c, Component::Normal(_))));
                } else {
                    assert!(part.kind != PartKind::File || part.relative_path().is_err());
                }
            }
            assert_eq!(manifest.total_length(), end);
        }
        Err(error) => assert_eq!(error.kind(), ErrorKind::InvalidData, "{error}"),
    }
});
