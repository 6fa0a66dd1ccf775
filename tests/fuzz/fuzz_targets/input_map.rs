//! The reader of an input's own source map: the trailing
//! `sourceMappingURL` comment, data URLs, the map's JSON and its VLQ
//! mappings.
//!
//! The first byte picks what the rest is: a file's text (the comment is
//! looked for), the part of a data URL after `data:`, or a map's JSON.
//! Whatever the input, reading ends in a map or an `InvalidData` error,
//! never a panic; a comment found lies inside the text and names a URL
//! without blanks; a map's tokens name sources and names it has.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use smerge::ErrorKind;
use smerge::sourcemap::{InputMap, MapComment};

fuzz_target!(|input: &[u8]| {
    let Some((&mode, data)) = input.split_first() else {
        return;
    };
    let map = match mode % 3 {
        0 => {
            if let Some(comment) = MapComment::find(data) {
                assert!(comment.start <= data.len() as u64);
                assert!(!comment.url.is_empty());
                assert!(!comment.url.bytes().any(|b| b.is_ascii_whitespace()));
                assert!(data[comment.start as usize..]
                    .windows(17)
                    .any(|w| w == b"sourceMappingURL="));
            }
            return;
        }
        1 => {
            let url = format!("data:{}", String::from_utf8_lossy(data));
            InputMap::load(Path::new("in/a.js"), &url)
        }
        _ => InputMap::from_json(data, "in"),
    };
    match map {
        Ok(map) => {
            let map = map.map();
            for token in map.tokens() {
                let raw = token.get_raw_token();
                assert!(raw.src_id == !0 || raw.src_id < map.get_source_count());
                assert!(raw.name_id == !0 || raw.name_id < map.get_name_count());
            }
        }
        Err(error) => assert_eq!(error.kind(), ErrorKind::InvalidData, "{error}"),
    }
});
