//! Looking at the inputs before a merge: which codec each input is
//! compressed with, by its magic number.

use std::fs::File;
use std::io::Read;

use crate::fs::{Entry, EntryKind, Listing};
use crate::transforms::Codec;

/// What the inputs' magic numbers say, next to the output's codec.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Sniffed<'a> {
    /// Every input is a regular file compressed with the output's codec.
    pub(crate) all_in_codec: bool,
    /// The first input found compressed, and with what.
    pub(crate) first_compressed: Option<(Entry<'a>, Codec)>,
}

/// Reads the magic number of the inputs, as far as needed to tell whether
/// all of them are compressed with `codec` and which one is compressed at
/// all. Only the codecs [`Codec::detect`] recognises count (their streams
/// may follow one another in one file); brotli's, which cannot, is never
/// detected.
pub(crate) fn sniff(listing: &Listing, codec: Codec) -> Sniffed<'_> {
    let mut sniffed = Sniffed {
        all_in_codec: !listing.is_empty(),
        first_compressed: None,
    };
    for entry in listing {
        let found = match entry.kind() {
            EntryKind::File => detect_codec(entry.open().ok()),
            // Objects would each take a request: not sniffed.
            EntryKind::Stdin | EntryKind::Stream | EntryKind::Object => None,
        };
        if found != Some(codec) {
            sniffed.all_in_codec = false;
        }
        if sniffed.first_compressed.is_none()
            && let Some(found) = found
        {
            sniffed.first_compressed = Some((entry, found));
        }
        if !sniffed.all_in_codec && sniffed.first_compressed.is_some() {
            break;
        }
    }
    sniffed
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
        let both = entries(&[&gzip, &gzip]);
        let found = sniff(&both, Codec::Gzip);
        assert!(found.all_in_codec);
        assert_eq!(
            found.first_compressed.map(|(e, c)| (e.index(), c)),
            Some((0, Codec::Gzip))
        );

        let mixed = entries(&[&plain, &gzip]);
        let found = sniff(&mixed, Codec::Gzip);
        assert!(!found.all_in_codec);
        assert_eq!(
            found.first_compressed.map(|(e, c)| (e.index(), c)),
            Some((1, Codec::Gzip))
        );

        let one = entries(&[&gzip]);
        let found = sniff(&one, Codec::Zstd);
        assert!(!found.all_in_codec);
        assert_eq!(found.first_compressed.map(|(_, c)| c), Some(Codec::Gzip));

        assert_eq!(
            sniff(&entries(&[&plain]), Codec::Brotli),
            Sniffed::default()
        );
        assert!(!sniff(&Listing::default(), Codec::Gzip).all_in_codec);
    }
}
