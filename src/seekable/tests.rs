//! Property test of seekable bundles: every input comes back byte for
//! byte, from zstd and gzip bundles alike, and the whole decodes as the
//! plain merge.

use std::io::Read;

use proptest::prelude::*;

use crate::fs::Listing;
use crate::merge::{Compression, DataMerge, Merge, Output};
use crate::seekable::{Bundle, SeekableBundle};
use crate::transforms::Codec;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    #[test]
    fn every_input_comes_back(
        sizes in proptest::collection::vec(prop_oneof![0usize..100, 0usize..1_500_000], 1..8),
        gzip in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut inputs = Vec::new();
        for (i, &size) in sizes.iter().enumerate() {
            let bytes: Vec<u8> = (0..size).map(|j| ((j * 7 + i * 13) % 251) as u8).collect();
            let path = dir.path().join(format!("{i}.bin"));
            std::fs::write(&path, &bytes).unwrap();
            inputs.push((path, bytes));
        }
        let codec = if gzip { Codec::Gzip } else { Codec::Zstd };
        let bundle_path = dir.path().join("bundle");
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).build().unwrap();
        runtime.block_on(async {
            let mut listing = Listing::builder();
            listing.inputs(inputs.iter().map(|i| i.0.clone()));
            Merge::new(Output::path(&bundle_path))
                .listing(listing)
                .compression(Compression::With(codec))
                .level(1)
                .data(DataMerge::Seekable(SeekableBundle::new()))
                .run()
                .await
        }).unwrap();
        let bundle = Bundle::open(&bundle_path).unwrap();
        let parts = bundle.manifest().unwrap().parts.clone();
        prop_assert_eq!(parts.len(), inputs.len());
        for (part, (_, bytes)) in parts.iter().zip(&inputs) {
            let mut got = Vec::new();
            bundle.extract(part, &mut got).unwrap();
            prop_assert!(got == *bytes);
        }
        let whole: Vec<u8> = inputs.iter().flat_map(|i| i.1.clone()).collect();
        let file = std::fs::read(&bundle_path).unwrap();
        let mut decoded = Vec::new();
        if gzip {
            flate2::read::MultiGzDecoder::new(&file[..]).read_to_end(&mut decoded).unwrap();
        } else {
            zstd::stream::read::Decoder::new(&file[..]).unwrap().read_to_end(&mut decoded).unwrap();
        }
        prop_assert!(decoded == whole);
    }
}
