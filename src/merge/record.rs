//! What a merge wrote, part by part: [`PartRecord`], and [`Tap`], the
//! pass-through transform that measures a file's part on its way out.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::Push;
use crate::Result;
use crate::Transform;

/// The kinds of part a merged output is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PartKind {
    /// The `--banner` text, first.
    Banner,
    /// A `--header` before a file.
    Header,
    /// A file's content (after any text fixes, before compression).
    File,
    /// A `--separator` between files, or the newline `--ensure-newline` added.
    Separator,
    /// The `--footer` text, last.
    Footer,
}

impl PartKind {
    /// The kind's name in a manifest: `banner`, `header`, `file`,
    /// `separator`, `footer`.
    pub fn as_str(self) -> &'static str {
        match self {
            PartKind::Banner => "banner",
            PartKind::Header => "header",
            PartKind::File => "file",
            PartKind::Separator => "separator",
            PartKind::Footer => "footer",
        }
    }
}

/// One part of a merged output: where it is in the uncompressed output, how
/// long it is, and its SHA-256, so a merge can be verified or split later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartRecord {
    /// What the part is.
    pub kind: PartKind,
    /// The file it came from, for file parts (and headers: the file they
    /// introduce), as given on the command line or joined to its input
    /// directory.
    pub path: Option<PathBuf>,
    /// Where it starts in the uncompressed output.
    pub offset: u64,
    /// How many bytes it has.
    pub length: u64,
    /// Its SHA-256.
    pub sha256: [u8; 32],
}

impl PartRecord {
    /// The SHA-256 as lowercase hexadecimal.
    pub fn sha256_hex(&self) -> String {
        self.sha256.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// What a [`Tap`] measured.
#[derive(Debug, Default)]
pub(crate) struct TapReading {
    pub(crate) length: u64,
    pub(crate) last_byte: Option<u8>,
    pub(crate) sha256: Option<[u8; 32]>,
}

/// A pass-through transform that counts bytes, remembers the last one and,
/// if asked, hashes them; the reading is shared with whoever made the tap.
#[derive(Debug)]
pub(crate) struct Tap {
    hasher: Option<Sha256>,
    /// What passed so far; its `sha256` is filled in at the end.
    measured: TapReading,
    /// Where the reading goes when the stream ends.
    shared: Arc<Mutex<TapReading>>,
}

impl Tap {
    pub(crate) fn new(hash: bool) -> (Tap, Arc<Mutex<TapReading>>) {
        let shared = Arc::new(Mutex::new(TapReading::default()));
        let tap = Tap {
            hasher: hash.then(Sha256::new),
            measured: TapReading::default(),
            shared: Arc::clone(&shared),
        };
        (tap, shared)
    }
}

impl Transform for Tap {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, chunk: Bytes, out: &mut Push<'_, Bytes>) -> Result<()> {
        if let Some(hasher) = self.hasher.as_mut() {
            hasher.update(&chunk);
        }
        self.measured.length += chunk.len() as u64;
        if let Some(&last) = chunk.last() {
            self.measured.last_byte = Some(last);
        }
        out.push(chunk);
        Ok(())
    }

    fn flush(&mut self, _out: &mut Push<'_, Bytes>) -> Result<()> {
        self.measured.sha256 = self.hasher.take().map(|h| h.finalize().into());
        *self.shared.lock().expect("tap reading poisoned") = std::mem::take(&mut self.measured);
        Ok(())
    }
}

/// The SHA-256 of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}
