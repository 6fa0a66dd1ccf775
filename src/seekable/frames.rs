//! [`FrameWriter`]: the inputs of a bundle compressed into independent
//! frames (zstd) or members (gzip) that start at input boundaries, each
//! input recorded as a [`WrittenPart`] with the compressed range holding it.

use std::io::Write;

use sha2::{Digest, Sha256};

use crate::merge::{ManifestPart, PartKind, PartRecord};
use crate::seekable::{BundleCodec, gzip_format};
use crate::{Error, Result};

/// One input as written into a bundle: where it is, uncompressed and
/// compressed.
#[derive(Clone, Debug)]
pub(crate) struct WrittenPart {
    pub(crate) path: std::path::PathBuf,
    pub(crate) source: std::path::PathBuf,
    pub(crate) offset: u64,
    pub(crate) length: u64,
    pub(crate) sha256: [u8; 32],
    pub(crate) compressed_offset: u64,
    pub(crate) compressed_length: u64,
}

impl WrittenPart {
    /// The part as a manifest records it.
    pub(crate) fn to_manifest(&self) -> Result<ManifestPart> {
        let record = PartRecord {
            kind: PartKind::File,
            path: Some(self.path.clone()),
            source: Some(self.source.clone()),
            offset: self.offset,
            length: self.length,
            sha256: Some(self.sha256),
            etag: None,
        };
        let mut part = ManifestPart::from_record(&record)?;
        part.compressed_offset = Some(self.compressed_offset);
        part.compressed_length = Some(self.compressed_length);
        Ok(part)
    }
}

/// The most uncompressed data in one zstd frame: small inputs share a
/// frame up to this size, large ones are cut into frames of this size. A
/// gzip member is a BGZF block, of at most [`gzip_format::BLOCK_DATA`].
pub(crate) const FRAME_SIZE: usize = 1024 * 1024;

/// One frame written: its compressed and uncompressed sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FrameSizes {
    pub(crate) compressed: u32,
    pub(crate) uncompressed: u32,
}

/// Compresses one frame or member.
enum Compressor {
    Zstd(Box<zstd::bulk::Compressor<'static>>),
    Gzip(flate2::Compression),
}

impl Compressor {
    fn compress(&mut self, data: &[u8], out: &mut Vec<u8>) -> std::io::Result<()> {
        out.clear();
        match self {
            Compressor::Zstd(compressor) => {
                out.reserve(zstd::zstd_safe::compress_bound(data.len()));
                compressor.compress_to_buffer(data, out)?;
            }
            Compressor::Gzip(level) => {
                gzip_format::compress_block(data, *level, out).map_err(Error::into_io)?;
            }
        }
        Ok(())
    }
}

/// Writes the compressed frames of a bundle into `W`, input by input.
pub(crate) struct FrameWriter<W> {
    out: W,
    compressor: Compressor,
    /// Inputs share frames (zstd); otherwise each input starts a member.
    share: bool,
    /// The most data in one frame or member.
    frame_size: usize,
    pending: Vec<u8>,
    compressed: Vec<u8>,
    /// Uncompressed bytes so far.
    position: u64,
    /// Compressed bytes written so far: where the pending frame will start.
    written: u64,
    frames: Vec<FrameSizes>,
    parts: Vec<WrittenPart>,
    /// Parts that end in the pending frame, whose compressed length is
    /// known once it is written.
    ending: Vec<usize>,
    current: Option<(usize, Sha256)>,
}

impl<W: Write> FrameWriter<W> {
    pub(crate) fn new(out: W, codec: BundleCodec, level: u32) -> Result<FrameWriter<W>> {
        let compressor = match codec {
            BundleCodec::Zstd => Compressor::Zstd(Box::new(
                zstd::bulk::Compressor::new(level as i32).map_err(Error::io)?,
            )),
            BundleCodec::Gzip => Compressor::Gzip(flate2::Compression::new(level)),
        };
        let frame_size = match codec {
            BundleCodec::Zstd => FRAME_SIZE,
            BundleCodec::Gzip => gzip_format::BLOCK_DATA,
        };
        Ok(FrameWriter {
            out,
            compressor,
            share: codec == BundleCodec::Zstd,
            frame_size,
            pending: Vec::with_capacity(frame_size),
            compressed: Vec::new(),
            position: 0,
            written: 0,
            frames: Vec::new(),
            parts: Vec::new(),
            ending: Vec::new(),
            current: None,
        })
    }

    /// Starts an input of about `size_hint` bytes: in a frame of its own
    /// unless it fits in what the pending frame has left.
    pub(crate) fn begin(
        &mut self,
        path: std::path::PathBuf,
        source: std::path::PathBuf,
        size_hint: u64,
    ) -> Result<()> {
        let shares = self.share && self.pending.len() as u64 + size_hint <= self.frame_size as u64;
        if !(self.pending.is_empty() || shares) {
            self.flush_frame()?;
        }
        self.parts.push(WrittenPart {
            path,
            source,
            offset: self.position,
            length: 0,
            sha256: [0; 32],
            compressed_offset: self.written,
            compressed_length: 0,
        });
        self.current = Some((self.parts.len() - 1, Sha256::new()));
        Ok(())
    }

    /// Adds bytes of the current input.
    pub(crate) fn write(&mut self, mut data: &[u8]) -> Result<()> {
        let (index, hasher) = self.current.as_mut().expect("begin before write");
        hasher.update(data);
        self.parts[*index].length += data.len() as u64;
        self.position += data.len() as u64;
        while !data.is_empty() {
            let room = self.frame_size - self.pending.len();
            let (now, rest) = data.split_at(room.min(data.len()));
            self.pending.extend_from_slice(now);
            data = rest;
            if self.pending.len() == self.frame_size {
                self.flush_frame()?;
            }
        }
        Ok(())
    }

    /// Ends the current input.
    pub(crate) fn end(&mut self) -> Result<()> {
        let (index, hasher) = self.current.take().expect("begin before end");
        let part = &mut self.parts[index];
        part.sha256 = hasher.finalize().into();
        if part.length == 0 {
            part.compressed_offset = self.written;
        } else if self.pending.is_empty() {
            part.compressed_length = self.written - part.compressed_offset;
        } else {
            self.ending.push(index);
        }
        if !self.share {
            self.flush_frame()?;
        }
        Ok(())
    }

    /// Writes the last frame; the writer, how many bytes were written, the
    /// frames and the parts.
    pub(crate) fn finish(mut self) -> Result<(W, u64, Vec<FrameSizes>, Vec<WrittenPart>)> {
        self.flush_frame()?;
        Ok((self.out, self.written, self.frames, self.parts))
    }

    fn flush_frame(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.compressor
            .compress(&self.pending, &mut self.compressed)
            .map_err(Error::io)?;
        self.out.write_all(&self.compressed).map_err(Error::io)?;
        self.written += self.compressed.len() as u64;
        self.frames.push(FrameSizes {
            compressed: self.compressed.len() as u32,
            uncompressed: self.pending.len() as u32,
        });
        self.pending.clear();
        for index in self.ending.drain(..) {
            let part = &mut self.parts[index];
            part.compressed_length = self.written - part.compressed_offset;
        }
        Ok(())
    }
}
