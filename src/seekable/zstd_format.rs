//! The Zstandard seekable format's seek table, and the skippable frame
//! that carries a bundle's manifest.
//!
//! The seek table is a skippable frame (magic `0x184D2A5E`) at the end of
//! the file: for each data frame its compressed and decompressed sizes
//! (little-endian `u32`s), then a footer of the number of frames, a
//! descriptor byte (bit 7: checksums follow each entry) and the magic
//! `0x8F92EAB1`. Any zstd decoder skips it; seekable readers find the
//! frames by it. The manifest frame sits between the data frames and the
//! seek table, in a skippable frame (magic `0x184D2A5B`).

use std::fs::File;
use std::os::unix::fs::FileExt;

use crate::seekable::frames::FrameSizes;
use crate::seekable::payload::Location;
use crate::{Error, ErrorKind, Result};

const SKIPPABLE_SEEK_TABLE: u32 = 0x184D_2A5E;
const SKIPPABLE_MANIFEST: u32 = 0x184D_2A5B;
const SEEKABLE_MAGIC: u32 = 0x8F92_EAB1;
const FOOTER_LEN: u64 = 9;

/// The header of the skippable frame holding a payload (the manifest and
/// its index) of `len` bytes.
pub(crate) fn manifest_frame_header(len: usize) -> Result<[u8; 8]> {
    let size = u32::try_from(len)
        .map_err(|_| Error::new(ErrorKind::InvalidArgument, "the manifest is over 4 GiB"))?;
    let mut header = [0u8; 8];
    header[..4].copy_from_slice(&SKIPPABLE_MANIFEST.to_le_bytes());
    header[4..].copy_from_slice(&size.to_le_bytes());
    Ok(header)
}

/// The seek table of `frames`, without checksums.
pub(crate) fn seek_table(frames: &[FrameSizes]) -> Vec<u8> {
    let size = frames.len() * 8 + FOOTER_LEN as usize;
    let mut table = Vec::with_capacity(8 + size);
    table.extend_from_slice(&SKIPPABLE_SEEK_TABLE.to_le_bytes());
    table.extend_from_slice(&(size as u32).to_le_bytes());
    for frame in frames {
        table.extend_from_slice(&frame.compressed.to_le_bytes());
        table.extend_from_slice(&frame.uncompressed.to_le_bytes());
    }
    table.extend_from_slice(&(frames.len() as u32).to_le_bytes());
    table.push(0);
    table.extend_from_slice(&SEEKABLE_MAGIC.to_le_bytes());
    table
}

/// A frame of a seekable file, where it is compressed and uncompressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Frame {
    pub(crate) compressed_offset: u64,
    pub(crate) compressed_size: u64,
    pub(crate) uncompressed_offset: u64,
    pub(crate) uncompressed_size: u64,
}

/// The frames of the seekable file `file` of `len` bytes, and where its
/// manifest's payload is.
///
/// # Errors
///
/// [`ErrorKind::InvalidData`] when the file has no valid seek table or no
/// manifest, or they do not fit in the file.
pub(crate) fn read(file: &File, len: u64) -> Result<(Vec<Frame>, Location)> {
    let bad = |what: &str| {
        Error::new(
            ErrorKind::InvalidData,
            format!("not a seekable smerge bundle: {what}"),
        )
    };
    if len < 8 + FOOTER_LEN {
        return Err(bad("too short"));
    }
    let footer = read_at(file, len - FOOTER_LEN, FOOTER_LEN as usize)?;
    if u32::from_le_bytes(footer[5..9].try_into().expect("4 bytes")) != SEEKABLE_MAGIC {
        return Err(bad("no seek table at the end"));
    }
    let count = u64::from(u32::from_le_bytes(footer[..4].try_into().expect("4 bytes")));
    let descriptor = footer[4];
    if descriptor & 0x7c != 0 {
        return Err(bad("reserved bits set in the seek table"));
    }
    let entry = if descriptor & 0x80 != 0 { 12 } else { 8 };
    let table_len = count
        .checked_mul(entry)
        .and_then(|n| n.checked_add(FOOTER_LEN + 8))
        .filter(|&n| n <= len)
        .ok_or_else(|| bad("the seek table is larger than the file"))?;
    let table_start = len - table_len;
    let table = read_at(file, table_start, (table_len - FOOTER_LEN) as usize)?;
    let magic = u32::from_le_bytes(table[..4].try_into().expect("4 bytes"));
    let size = u64::from(u32::from_le_bytes(table[4..8].try_into().expect("4 bytes")));
    if magic != SKIPPABLE_SEEK_TABLE || size != table_len - 8 {
        return Err(bad("the seek table's frame header is wrong"));
    }
    let mut frames = Vec::with_capacity(count as usize);
    let (mut compressed, mut uncompressed) = (0u64, 0u64);
    for entry_bytes in table[8..].chunks_exact(entry as usize) {
        let compressed_size = u64::from(u32::from_le_bytes(
            entry_bytes[..4].try_into().expect("4 bytes"),
        ));
        let uncompressed_size = u64::from(u32::from_le_bytes(
            entry_bytes[4..8].try_into().expect("4 bytes"),
        ));
        frames.push(Frame {
            compressed_offset: compressed,
            compressed_size,
            uncompressed_offset: uncompressed,
            uncompressed_size,
        });
        compressed += compressed_size;
        uncompressed += uncompressed_size;
    }
    if compressed + 8 > table_start {
        return Err(bad("the frames overlap the seek table"));
    }
    let header = read_at(file, compressed, 8)?;
    let magic = u32::from_le_bytes(header[..4].try_into().expect("4 bytes"));
    let size = u64::from(u32::from_le_bytes(
        header[4..8].try_into().expect("4 bytes"),
    ));
    if magic != SKIPPABLE_MANIFEST || compressed + 8 + size != table_start {
        return Err(bad("no manifest after the frames"));
    }
    Ok((
        frames,
        Location::Contiguous {
            offset: compressed + 8,
            len: size,
        },
    ))
}

/// `len` bytes of `file` at `offset`.
pub(crate) fn read_at(file: &File, offset: u64, len: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0; len];
    file.read_exact_at(&mut buf, offset).map_err(Error::io)?;
    Ok(buf)
}
