//! Looking at the inputs before a merge: whether every input is already
//! compressed with the output's codec, by its magic number.

use std::fs::File;
use std::io::Read;

use crate::fs::{EntryKind, Listing};
use crate::transforms::Codec;

/// True when every input is a regular file or an object compressed with
/// `codec`. Reads the files' magic numbers up to the first input that is
/// not; the objects' were read before, by [`objects_compressed_with`]:
/// `objects` is what it found. Only the codecs [`Codec::detect`]
/// recognises count (their streams may follow one another in one file);
/// brotli's, which cannot, is never detected.
pub(crate) fn all_compressed_with(listing: &Listing, codec: Codec, objects: Option<Codec>) -> bool {
    !listing.is_empty()
        && listing.entries().all(|entry| match entry.kind() {
            EntryKind::File => detect_codec(entry.open().ok()) == Some(codec),
            EntryKind::Object => objects == Some(codec),
            _ => false,
        })
}

/// `Some(codec)` when every object of `listing` starts with `codec`'s
/// magic number (one small ranged GET each, several at once). The object
/// store is asked only when every file among them is compressed with
/// `codec` already, and there are objects.
#[cfg(feature = "object-store")]
pub(crate) async fn objects_compressed_with(listing: &Listing, codec: Codec) -> Option<Codec> {
    let files_compressed = listing.entries().all(|entry| match entry.kind() {
        EntryKind::File => detect_codec(entry.open().ok()) == Some(codec),
        EntryKind::Object => true,
        _ => false,
    });
    let any_object = listing.entries().any(|e| e.kind() == EntryKind::Object);
    (files_compressed
        && any_object
        && crate::object::all_objects_compressed_with(listing, codec).await)
        .then_some(codec)
}

/// The codec whose magic number `file` starts with.
fn detect_codec(file: Option<File>) -> Option<Codec> {
    let mut magic = Vec::with_capacity(Codec::MAX_MAGIC_LEN);
    file?
        .take(Codec::MAX_MAGIC_LEN as u64)
        .read_to_end(&mut magic)
        .ok()?;
    Codec::detect(&magic)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn only_inputs_all_in_the_output_codec_are_already_compressed() {
        let dir = tempfile::tempdir().unwrap();
        let gzip = dir.path().join("a.gz");
        let plain = dir.path().join("b.txt");
        std::fs::write(&gzip, b"\x1f\x8b\x08\x00 rest of a member").unwrap();
        std::fs::write(&plain, b"text").unwrap();
        let entries = |paths: &[&Path]| {
            let mut builder = Listing::builder();
            builder.inputs(paths);
            builder.build().unwrap()
        };
        assert!(all_compressed_with(
            &entries(&[&gzip, &gzip]),
            Codec::Gzip,
            None
        ));
        assert!(!all_compressed_with(
            &entries(&[&gzip, &plain]),
            Codec::Gzip,
            None
        ));
        assert!(!all_compressed_with(&entries(&[&gzip]), Codec::Zstd, None));
        assert!(!all_compressed_with(
            &entries(&[&plain]),
            Codec::Brotli,
            None
        ));
        assert!(!all_compressed_with(
            &Listing::default(),
            Codec::Gzip,
            Some(Codec::Gzip)
        ));
    }
}
