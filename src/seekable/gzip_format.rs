//! How a gzip bundle carries its manifest: in the extra field (RFC 1952,
//! subfield `SM`) of empty members after the data, 65,000 bytes per
//! member, then one last empty member whose subfield `SL` locates them
//! (offset and length, little-endian `u64`s). Empty members decompress to
//! nothing, so `gzip -d` gives the data alone.

use std::fs::File;
use std::io::Write;

use crate::seekable::payload::Location;
use crate::seekable::zstd_format::read_at;
use crate::{Error, ErrorKind, Result};

/// Manifest bytes per member.
const CHUNK: usize = 65_000;
/// The bytes of an empty member besides its subfield's data: header 10,
/// XLEN 2, subfield header 4, empty deflate block 2, CRC-32 and size 8.
const MEMBER_OVERHEAD: u64 = 26;
/// The locator member: header 10, XLEN 2, subfield 4 + 16, empty deflate
/// block 2, CRC-32 and size 8.
const LOCATOR_LEN: u64 = 42;

/// An empty gzip member whose extra field is one subfield `id` with `data`.
fn empty_member(id: [u8; 2], data: &[u8]) -> Vec<u8> {
    debug_assert!(data.len() <= 65_531);
    let mut member = vec![0x1f, 0x8b, 8, 0x04, 0, 0, 0, 0, 0, 255];
    member.extend_from_slice(&((data.len() + 4) as u16).to_le_bytes());
    member.extend_from_slice(&id);
    member.extend_from_slice(&(data.len() as u16).to_le_bytes());
    member.extend_from_slice(data);
    // An empty final deflate block, then CRC-32 and size of nothing.
    member.extend_from_slice(&[0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
    member
}

/// Writes the members that carry the manifest, made of `pieces` one after
/// the other, into `out`, for a bundle whose data ends at `data_end`.
pub(crate) fn write_manifest_members(
    out: &mut impl Write,
    pieces: &[&[u8]],
    data_end: u64,
) -> std::io::Result<()> {
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut total = 0u64;
    for piece in pieces {
        total += piece.len() as u64;
        let mut rest = *piece;
        while !rest.is_empty() {
            let take = (CHUNK - chunk.len()).min(rest.len());
            chunk.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if chunk.len() == CHUNK {
                out.write_all(&empty_member(*b"SM", &chunk))?;
                chunk.clear();
            }
        }
    }
    if !chunk.is_empty() {
        out.write_all(&empty_member(*b"SM", &chunk))?;
    }
    let mut locator = data_end.to_le_bytes().to_vec();
    locator.extend_from_slice(&total.to_le_bytes());
    out.write_all(&empty_member(*b"SL", &locator))
}

/// Where the manifest's payload is in the gzip bundle `file` of `len`
/// bytes; its data ends where the payload's first member starts.
///
/// # Errors
///
/// [`ErrorKind::InvalidData`] when the members are not where the locator
/// says, or not what smerge writes.
pub(crate) fn read(file: &File, len: u64) -> Result<Location> {
    let bad = |what: &str| {
        Error::new(
            ErrorKind::InvalidData,
            format!("not a seekable smerge bundle: {what}"),
        )
    };
    if len < LOCATOR_LEN {
        return Err(bad("too short"));
    }
    let locator = read_at(file, len - LOCATOR_LEN, LOCATOR_LEN as usize)?;
    let data = subfield(&locator, *b"SL")
        .filter(|d| d.len() == 16)
        .ok_or_else(|| bad("no manifest locator at the end"))?;
    let start = u64::from_le_bytes(data[..8].try_into().expect("8 bytes"));
    let manifest_len = u64::from_le_bytes(data[8..].try_into().expect("8 bytes"));
    let members_len = manifest_len
        .div_ceil(CHUNK as u64)
        .checked_mul(MEMBER_OVERHEAD)
        .and_then(|headers| headers.checked_add(manifest_len))
        .filter(|&n| start.checked_add(n) == Some(len - LOCATOR_LEN))
        .ok_or_else(|| bad("the manifest locator points outside the file"))?;
    let _ = members_len;
    // The first member is checked here; what the others hold is checked
    // as JSON when it is read.
    let first = read_at(
        file,
        start,
        (MEMBER_OVERHEAD as usize + CHUNK).min((len - LOCATOR_LEN - start) as usize),
    )?;
    if manifest_len > 0 && subfield(&first, *b"SM").is_none() {
        return Err(bad("a manifest member is damaged"));
    }
    Ok(Location::Chunked {
        start,
        len: manifest_len,
        chunk: CHUNK as u64,
        header: 16,
        overhead: MEMBER_OVERHEAD,
    })
}

/// The data of subfield `id` of the empty member at the start of `member`,
/// as [`empty_member`] writes it.
fn subfield(member: &[u8], id: [u8; 2]) -> Option<&[u8]> {
    if member.get(..4)? != [0x1f, 0x8b, 8, 0x04] {
        return None;
    }
    let xlen = usize::from(u16::from_le_bytes(member.get(10..12)?.try_into().ok()?));
    if member.get(12..14)? != id {
        return None;
    }
    let len = usize::from(u16::from_le_bytes(member.get(14..16)?.try_into().ok()?));
    if xlen != len + 4 {
        return None;
    }
    let data = member.get(16..16 + len)?;
    if member.get(16 + len..16 + len + 10)? != [0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0] {
        return None;
    }
    Some(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn the_manifest_reads_back_and_gzip_sees_nothing() {
        let data = {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(b"hello\n").unwrap();
            encoder.finish().unwrap()
        };
        let manifest: Vec<u8> = (0..200_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let mut bundle = data.clone();
        let (first, second) = manifest.split_at(70_000);
        write_manifest_members(&mut bundle, &[first, second], data.len() as u64).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.gz");
        std::fs::write(&path, &bundle).unwrap();
        let file = File::open(&path).unwrap();
        let Location::Chunked {
            start,
            len,
            chunk,
            header,
            overhead,
        } = read(&file, bundle.len() as u64).unwrap()
        else {
            panic!("a gzip payload is chunked");
        };
        assert_eq!((start, len), (data.len() as u64, manifest.len() as u64));
        let mut read_back = Vec::new();
        for (i, piece) in manifest.chunks(chunk as usize).enumerate() {
            let at = start + i as u64 * (chunk + overhead) + header;
            read_back.extend(read_at(&file, at, piece.len()).unwrap());
        }
        assert_eq!(read_back, manifest);
        let mut text = Vec::new();
        flate2::read::MultiGzDecoder::new(&bundle[..])
            .read_to_end(&mut text)
            .unwrap();
        assert_eq!(text, b"hello\n");
    }
}
