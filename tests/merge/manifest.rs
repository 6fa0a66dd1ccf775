//! Manifests written by a merge and read back: every part accounted for,
//! streamed, with names that are not UTF-8 kept exactly.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use smerge::fs::Listing;
use smerge::merge::{
    HeaderTemplate, Manifest, ManifestOutput, Merge, MergeOptions, Output, PartKind,
};

/// A writer into a shared buffer.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn every_part_is_recorded_and_adds_up_to_the_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("in/sub")).unwrap();
    std::fs::write(dir.path().join("in/a.js"), "a();").unwrap();
    std::fs::write(dir.path().join("in/sub/b.js"), "b();\n").unwrap();
    let mut listing = Listing::builder();
    listing.recursive(true).input(dir.path().join("in"));
    let mut options = MergeOptions::default();
    options.banner = Some("/* all */\n".into());
    options.header = Some(HeaderTemplate::parse("// {path}\n").unwrap());
    options.separator = Some("\n".into());
    options.ensure_newline = true;
    let out = dir.path().join("out.js");
    let written = Shared::default();
    Merge::new(Output::path(&out))
        .listing(listing)
        .options(options)
        .manifest(ManifestOutput::Writer {
            writer: Box::new(written.clone()),
            name: PathBuf::from("memory"),
        })
        .run()
        .await
        .unwrap();
    let output = std::fs::read(&out).unwrap();
    let text = written.0.lock().unwrap().clone();
    let manifest = Manifest::from_reader(&text[..]).unwrap();
    assert_eq!(manifest.total_length(), output.len() as u64);
    let kinds: Vec<PartKind> = manifest.parts.iter().map(|p| p.kind).collect();
    use PartKind::*;
    assert_eq!(
        kinds,
        [Banner, Header, File, Separator, Separator, Header, File]
    );
    for part in &manifest.parts {
        let bytes = &output[part.offset as usize..(part.offset + part.length) as usize];
        let digest: [u8; 32] = sha2_of(bytes);
        assert_eq!(part.sha256().unwrap(), digest, "{part:?}");
    }
    let file = &manifest.parts[6];
    assert_eq!(file.path.as_deref(), Some("sub/b.js"));
    assert!(file.source.as_deref().unwrap().ends_with("in/sub/b.js"));
    assert_eq!(file.relative_path().unwrap(), PathBuf::from("sub/b.js"));
}

fn sha2_of(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

#[tokio::test]
async fn a_failed_merge_leaves_no_manifest_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a"), "a").unwrap();
    let manifest = dir.path().join("m.json");
    std::fs::write(&manifest, "old").unwrap();
    let mut listing = Listing::builder();
    listing.input(dir.path().join("a"));
    let error = Merge::new(Output::path(dir.path().join("missing/out")))
        .listing(listing)
        .manifest(ManifestOutput::path(&manifest))
        .run()
        .await
        .unwrap_err();
    assert!(format!("{error:#}").contains("missing/out"), "{error:#}");
    assert_eq!(std::fs::read(&manifest).unwrap(), b"old");
}
