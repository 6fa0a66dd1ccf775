//! [`Cutter`]: the sink that cuts a merged output into its parts.

use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::WriteQueue;
use crate::WriteSink;
use crate::fs::AtomicFile;
use crate::merge::PartKind;
use crate::merge::manifest::Manifest;
use crate::split::place::Targets;
use crate::split::shown;
use crate::{Error, ErrorKind, Result};

/// What a [`Cutter`] does with each part.
#[derive(Debug)]
pub(crate) enum Mode {
    /// Check lengths and hashes only.
    Verify,
    /// Also write each file part to its target.
    Write(Targets),
}

/// Follows the output's bytes part by part: hashes each part, writes file
/// parts when asked, and fails on the first part that is not what the
/// manifest says.
#[derive(Debug)]
pub(crate) struct Cutter {
    parts: Vec<Part>,
    mode: Mode,
    /// The part under way (or next), and how far the output was read.
    index: usize,
    position: u64,
    /// Whether the part under way was started (its file created).
    started: bool,
    hasher: Sha256,
    file: Option<AtomicFile>,
}

/// What the cutter needs of a manifest's part.
#[derive(Debug)]
struct Part {
    kind: PartKind,
    offset: u64,
    length: u64,
    sha256: [u8; 32],
    path: Option<std::path::PathBuf>,
}

impl Cutter {
    /// A cutter for `manifest`, whose SHA-256s must be valid.
    pub(crate) fn new(manifest: &Manifest, mode: Mode) -> Result<Cutter> {
        let parts = manifest
            .parts
            .iter()
            .map(|part| {
                Ok(Part {
                    kind: part.kind,
                    offset: part.offset,
                    length: part.length,
                    sha256: part.sha256()?,
                    path: match part.kind {
                        PartKind::File => Some(part.relative_path()?),
                        _ => None,
                    },
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Cutter {
            parts,
            mode,
            index: 0,
            position: 0,
            started: false,
            hasher: Sha256::new(),
            file: None,
        })
    }

    fn name(&self) -> String {
        let part = &self.parts[self.index];
        match &part.path {
            Some(path) => format!("part {} ({})", self.index, shown(path)),
            None => format!(
                "part {} ({} at {})",
                self.index,
                part.kind.as_str(),
                part.offset
            ),
        }
    }

    /// Takes the next bytes of the output.
    fn feed(&mut self, mut bytes: &[u8]) -> Result<()> {
        while !bytes.is_empty() && self.index < self.parts.len() {
            let part = &self.parts[self.index];
            if self.position < part.offset {
                let skip = (part.offset - self.position).min(bytes.len() as u64) as usize;
                bytes = &bytes[skip..];
                self.position += skip as u64;
                continue;
            }
            if !self.started {
                // An empty part ends as it starts: look again.
                self.start()?;
                continue;
            }
            let part = &self.parts[self.index];
            let end = part.offset + part.length;
            let take = (end - self.position).min(bytes.len() as u64) as usize;
            self.hasher.update(&bytes[..take]);
            if let Some(file) = &self.file {
                let target = file.target().to_path_buf();
                (&mut file.file())
                    .write_all(&bytes[..take])
                    .map_err(|e| Error::io(e).writing(target))?;
            }
            bytes = &bytes[take..];
            self.position += take as u64;
            if self.position == end {
                self.end()?;
            }
        }
        Ok(())
    }

    /// Starts the current part (and ends it at once when it is empty).
    fn start(&mut self) -> Result<()> {
        self.started = true;
        if let Mode::Write(targets) = &self.mode
            && let Some(target) = targets.prepare(self.index)?
        {
            self.file = Some(AtomicFile::create(target)?);
        }
        if self.parts[self.index].length == 0 {
            self.end()?;
        }
        Ok(())
    }

    /// Ends the current part: its hash checked, its file put in place.
    fn end(&mut self) -> Result<()> {
        let digest: [u8; 32] = std::mem::take(&mut self.hasher).finalize().into();
        if digest != self.parts[self.index].sha256 {
            return Err(Error::new(
                ErrorKind::InvalidData,
                format!("{}: its SHA-256 differs from the manifest's", self.name()),
            ));
        }
        if let Some(file) = self.file.take() {
            file.commit()?;
        }
        self.index += 1;
        self.started = false;
        Ok(())
    }
}

impl WriteSink<Bytes> for Cutter {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        queue: &mut WriteQueue<Bytes>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        while let Some(chunk) = queue.pop() {
            this.feed(&chunk)?;
        }
        Poll::Ready(Ok(()))
    }

    fn poll_final(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        // Empty parts at the very end.
        while this.index < this.parts.len()
            && this.parts[this.index].offset == this.position
            && this.parts[this.index].length == 0
        {
            this.start()?;
        }
        if this.index < this.parts.len() {
            let part = &this.parts[this.index];
            return Poll::Ready(Err(Error::new(
                ErrorKind::InvalidData,
                format!(
                    "{}: the output ends at byte {}, before the part's end at {}",
                    this.name(),
                    this.position,
                    part.offset + part.length
                ),
            )));
        }
        Poll::Ready(Ok(()))
    }
}
