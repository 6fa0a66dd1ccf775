//! The manifest reader of `smerge split`: whatever the JSON, a manifest
//! whose parts are in order, never overlap, and whose file paths stay
//! inside the directory they are recreated in; or an `InvalidData` error.

#![no_main]

use std::path::Component;

use libfuzzer_sys::fuzz_target;
use smerge::ErrorKind;
use smerge::split::Manifest;

fuzz_target!(|input: &[u8]| {
    match Manifest::parse(input) {
        Ok(manifest) => {
            let mut end = 0u64;
            for part in &manifest.parts {
                assert!(part.offset >= end);
                end = part.offset.checked_add(part.length).expect("no overflow");
                if let Some(path) = &part.path {
                    assert!(path.components().count() > 0);
                    assert!(path.components().all(|c| matches!(c, Component::Normal(_))));
                }
                if part.kind == "file" {
                    assert!(part.path.is_some());
                }
            }
        }
        Err(error) => assert_eq!(error.kind(), ErrorKind::InvalidData, "{error}"),
    }
});
