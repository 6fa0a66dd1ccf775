//! How a gzip bundle is laid out: BGZF, the blocked gzip of htslib
//! (`bgzip`, `tabix`, `samtools`), with the manifest in blocks that
//! decompress to nothing.
//!
//! Every data member is a BGZF block: a gzip member whose extra field is
//! the one subfield `BC` giving the block's size, holding at most 65,280
//! bytes (an input starts a block of its own). The manifest's payload
//! follows in blocks of the same shape that `gzip -d` and htslib both read
//! as empty: the payload, in base64 (48,000 bytes per block), is the
//! member's comment, and the member's file name is `\x03`, which with the
//! name's terminating NUL is an empty deflate stream for htslib, which
//! inflates a block from its 19th byte. A last such block, the locator,
//! holds the offset of the first manifest block and the payload's length
//! (little-endian `u64`s), and the file ends with BGZF's end-of-file
//! block. So `gzip -d`, `bgzip -d` and `bgzip -r` see the data alone.

use std::fs::File;
use std::io::Write;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::seekable::payload::Location;
use crate::seekable::zstd_format::read_at;
use crate::{Error, ErrorKind, Result};

/// The most data in one BGZF block (htslib's `BGZF_BLOCK_SIZE`): 65,280
/// bytes compress into less than the 64 KiB a block may take, whatever
/// they are.
pub(crate) const BLOCK_DATA: usize = 0xff00;
/// Manifest bytes per block: a multiple of 3, 64,000 characters of base64.
const CHUNK: u64 = 48_000;
/// BGZF's end-of-file marker: an empty block.
const EOF_BLOCK: [u8; 28] = [
    0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, b'B', b'C', 2, 0, 0x1b, 0, 3, 0, 0, 0, 0, 0, 0, 0,
    0, 0,
];
/// The bytes of a manifest block before its base64: the gzip header with
/// FEXTRA, FNAME and FCOMMENT (10), XLEN (2), the `BC` subfield (6) and
/// the file name `\x03` with its NUL (2).
const HEADER: u64 = 20;
/// The bytes of a manifest block besides its base64: the header, the
/// comment's NUL, an empty deflate block (2), CRC-32 and size (8).
const OVERHEAD: u64 = HEADER + 11;
/// The locator block: 16 bytes in base64 are 24 characters.
const LOCATOR_LEN: u64 = OVERHEAD + 24;

/// The start of a BGZF block of `size` bytes in all, whose flags are `flags`.
fn block_header(flags: u8, size: usize) -> Result<[u8; 18]> {
    let bsize = u16::try_from(size - 1).map_err(|_| {
        Error::new(
            ErrorKind::InvalidData,
            "a BGZF block would be larger than 64 KiB",
        )
    })?;
    let [lo, hi] = bsize.to_le_bytes();
    Ok([
        0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 0xff, 6, 0, b'B', b'C', 2, 0, lo, hi,
    ])
}

/// Compresses `data` (at most [`BLOCK_DATA`] bytes) into one BGZF block,
/// in `out` (cleared first).
pub(crate) fn compress_block(
    data: &[u8],
    level: flate2::Compression,
    out: &mut Vec<u8>,
) -> Result<()> {
    debug_assert!(data.len() <= BLOCK_DATA);
    out.clear();
    out.extend_from_slice(&[0; 18]);
    let mut encoder = flate2::write::DeflateEncoder::new(std::mem::take(out), level);
    encoder.write_all(data).map_err(Error::io)?;
    *out = encoder.finish().map_err(Error::io)?;
    let mut crc = flate2::Crc::new();
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    let header = block_header(0x04, out.len())?;
    out[..18].copy_from_slice(&header);
    Ok(())
}

/// A block that decompresses to nothing, carrying `text` (base64) as its
/// comment.
fn comment_block(text: &[u8]) -> Result<Vec<u8>> {
    let size = OVERHEAD as usize + text.len();
    let mut block = Vec::with_capacity(size);
    // FEXTRA | FNAME | FCOMMENT
    block.extend_from_slice(&block_header(0x1c, size)?);
    block.extend_from_slice(&[0x03, 0x00]);
    block.extend_from_slice(text);
    // The comment's end, an empty final deflate block, CRC-32 and size of
    // nothing.
    block.extend_from_slice(&[0x00, 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
    Ok(block)
}

/// Writes the blocks that carry the manifest, made of `pieces` one after
/// the other, the locator and the end-of-file block into `out`, for a
/// bundle whose data ends at `data_end`.
pub(crate) fn write_manifest_members(
    out: &mut impl Write,
    pieces: &[&[u8]],
    data_end: u64,
) -> Result<()> {
    let chunk_len = CHUNK as usize;
    let mut chunk = Vec::with_capacity(chunk_len);
    let mut total = 0u64;
    let mut flush = |chunk: &mut Vec<u8>| -> Result<()> {
        let block = comment_block(STANDARD.encode(&chunk[..]).as_bytes())?;
        chunk.clear();
        out.write_all(&block).map_err(Error::io)
    };
    for piece in pieces {
        total += piece.len() as u64;
        let mut rest = *piece;
        while !rest.is_empty() {
            let take = (chunk_len - chunk.len()).min(rest.len());
            chunk.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if chunk.len() == chunk_len {
                flush(&mut chunk)?;
            }
        }
    }
    if !chunk.is_empty() {
        flush(&mut chunk)?;
    }
    let mut locator = data_end.to_le_bytes().to_vec();
    locator.extend_from_slice(&total.to_le_bytes());
    let locator = comment_block(STANDARD.encode(&locator).as_bytes())?;
    out.write_all(&locator).map_err(Error::io)?;
    out.write_all(&EOF_BLOCK).map_err(Error::io)
}

/// How many bytes the manifest blocks of a payload of `len` bytes take.
fn blocks_len(len: u64) -> Option<u64> {
    let (full, rest) = (len / CHUNK, len % CHUNK);
    let last = if rest == 0 {
        0
    } else {
        rest.div_ceil(3) * 4 + OVERHEAD
    };
    full.checked_mul(CHUNK / 3 * 4 + OVERHEAD)?
        .checked_add(last)
}

/// Where the manifest's payload is in the gzip bundle `file` of `len`
/// bytes; its data ends where the payload's first block starts.
///
/// # Errors
///
/// [`ErrorKind::InvalidData`] when the blocks are not where the locator
/// says, or not what smerge writes.
pub(crate) fn read(file: &File, len: u64) -> Result<Location> {
    let bad = |what: &str| {
        Error::new(
            ErrorKind::InvalidData,
            format!("not a seekable smerge bundle: {what}"),
        )
    };
    let trailer = LOCATOR_LEN + EOF_BLOCK.len() as u64;
    if len < trailer {
        return Err(bad("too short"));
    }
    let tail = read_at(file, len - trailer, trailer as usize)?;
    let (locator, eof) = tail.split_at(LOCATOR_LEN as usize);
    if eof != EOF_BLOCK {
        return Err(bad("no BGZF end-of-file block"));
    }
    let data = comment(locator)
        .and_then(|text| STANDARD.decode(text).ok())
        .filter(|d| d.len() == 16)
        .ok_or_else(|| bad("no manifest locator at the end"))?;
    let start = u64::from_le_bytes(data[..8].try_into().expect("8 bytes"));
    let manifest_len = u64::from_le_bytes(data[8..].try_into().expect("8 bytes"));
    blocks_len(manifest_len)
        .filter(|&n| start.checked_add(n) == Some(len - trailer))
        .ok_or_else(|| bad("the manifest locator points outside the file"))?;
    // The first block is checked here; what the others hold is checked as
    // it is read.
    if manifest_len > 0 {
        let first = read_at(file, start, HEADER as usize)?;
        if first[..4] != [0x1f, 0x8b, 8, 0x1c] || first[18..] != [0x03, 0x00] {
            return Err(bad("a manifest block is damaged"));
        }
    }
    Ok(Location::Chunked {
        start,
        len: manifest_len,
        chunk: CHUNK,
        header: HEADER,
        overhead: OVERHEAD,
    })
}

/// The comment of the block at the start of `block`, as [`comment_block`]
/// writes it.
fn comment(block: &[u8]) -> Option<&[u8]> {
    if block.get(..4)? != [0x1f, 0x8b, 8, 0x1c] || block.get(10..14)? != [6, 0, b'B', b'C'] {
        return None;
    }
    let size = usize::from(u16::from_le_bytes(block.get(16..18)?.try_into().ok()?)) + 1;
    let block = block.get(..size)?;
    if block.get(18..20)? != [0x03, 0x00] {
        return None;
    }
    let text = block.get(HEADER as usize..size - 11)?;
    if block[size - 11..] != [0x00, 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0] {
        return None;
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seekable::payload::{Payload, pieces};
    use std::io::Read;

    #[test]
    fn the_manifest_reads_back_and_gzip_sees_nothing() {
        let mut data = Vec::new();
        compress_block(b"hello\n", flate2::Compression::fast(), &mut data).unwrap();
        // Lines of every length around the blocks' 48,000 bytes.
        let json: Vec<u8> = (0..9_000u32)
            .flat_map(|i| {
                let mut line = vec![b'a' + (i % 26) as u8; (i % 37) as usize];
                line.push(b'\n');
                line
            })
            .collect();
        let payload = pieces(&json, &[]);
        let payload: Vec<&[u8]> = payload.iter().map(|p| &p[..]).collect();
        let mut bundle = data.clone();
        write_manifest_members(&mut bundle, &payload, data.len() as u64).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.gz");
        std::fs::write(&path, &bundle).unwrap();
        let file = File::open(&path).unwrap();
        let location = read(&file, bundle.len() as u64).unwrap();
        let Location::Chunked { start, len, .. } = location else {
            panic!("a gzip payload is chunked");
        };
        assert_eq!(start, data.len() as u64);
        assert_eq!(len, payload.iter().map(|p| p.len() as u64).sum::<u64>());
        assert!(len > 2 * CHUNK);
        let read_back = Payload::open(&file, location).unwrap().json(&file).unwrap();
        assert_eq!(read_back, json);
        let mut text = Vec::new();
        flate2::read::MultiGzDecoder::new(&bundle[..])
            .read_to_end(&mut text)
            .unwrap();
        assert_eq!(text, b"hello\n");
    }

    #[test]
    fn every_block_is_a_bgzf_block() {
        let mut bundle = Vec::new();
        let mut block = Vec::new();
        // Incompressible data fills a block and stays under 64 KiB.
        let noise: Vec<u8> = (0..BLOCK_DATA as u64)
            .map(|i| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as u8)
            .collect();
        compress_block(&noise, flate2::Compression::best(), &mut block).unwrap();
        bundle.extend_from_slice(&block);
        write_manifest_members(&mut bundle, &[&[7u8; 100_000][..]], block.len() as u64).unwrap();
        let mut at = 0;
        let mut blocks = 0;
        while at < bundle.len() {
            let header = &bundle[at..at + 18];
            assert_eq!(header[..3], [0x1f, 0x8b, 8]);
            assert_eq!(header[10..16], [6, 0, b'B', b'C', 2, 0], "block {blocks}");
            at += usize::from(u16::from_le_bytes([header[16], header[17]])) + 1;
            blocks += 1;
        }
        assert_eq!(at, bundle.len());
        // The data, 3 manifest blocks, the locator, the end-of-file block.
        assert_eq!(blocks, 6);
        assert_eq!(bundle[bundle.len() - 28..], EOF_BLOCK);
    }
}
