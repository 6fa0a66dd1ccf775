//! [`MapWriter`]: a source map written as the bundle it describes is
//! written, part after part.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};
use std::sync::Arc;

use sourcemap::SourceMap;

use crate::sourcemap::shape::TextShape;

/// The base64 digits of the VLQ encoding.
const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// How much encoded mappings are gathered before they are written.
const FLUSH_AT: usize = 64 * 1024;

/// From how many bytes a run of mappings kept encoded is written as it is
/// rather than gathered.
const WRITE_AS_IT_IS: usize = 8 * 1024;

/// Writes one source map (version 3, flat) for a bundle whose parts come
/// one after the other: text smerge generated ([`generated`]), inputs
/// mapped line by line to themselves ([`identity`]), inputs with their own
/// map ([`composed`]).
///
/// The `mappings` go to the output as they are made; `sourcesContent` and
/// `names`, which JSON puts after them here, wait in unnamed temporary
/// files and are copied in by [`finish`]. What stays in memory is the list
/// of distinct sources and one input's map at a time.
///
/// A BOM at the very start of the bundle is no column (a browser drops
/// it); anywhere else it is a character, one column wide. An input's own
/// map counts no BOM of its own.
///
/// [`generated`]: MapWriter::generated
/// [`identity`]: MapWriter::identity
/// [`composed`]: MapWriter::composed
/// [`finish`]: MapWriter::finish
#[derive(Debug)]
pub(crate) struct MapWriter<W: Write> {
    out: W,
    /// Encoded mappings not written yet.
    buf: Vec<u8>,
    /// The bundle's current line and UTF-16 column.
    line: u64,
    col: u64,
    /// Whether anything was written to the bundle yet.
    written: bool,
    /// Whether the current line has a segment, and whether its last one
    /// maps somewhere (text after it would be taken for its continuation).
    line_has_segment: bool,
    last_segment_mapped: bool,
    /// The fields of the previous segment, which each one is relative to.
    prev_col: i64,
    prev_source: i64,
    prev_line: i64,
    prev_column: i64,
    prev_name: i64,
    sources: Vec<String>,
    source_ids: HashMap<String, u32>,
    /// `sourcesContent`, one JSON value per source, when asked for.
    contents: Option<Spill>,
    names: Spill,
}

/// JSON values, comma-separated, in an unnamed temporary file; or, when
/// they are kept in memory anyway (by a [`MapCache`](crate::sourcemap::MapCache)),
/// as the shared pieces they are.
#[derive(Debug)]
struct Spill {
    file: Option<BufWriter<File>>,
    pieces: Vec<Arc<[u8]>>,
    count: u64,
}

impl Spill {
    fn new() -> io::Result<Spill> {
        Ok(Spill {
            file: Some(BufWriter::with_capacity(64 * 1024, tempfile::tempfile()?)),
            pieces: Vec::new(),
            count: 0,
        })
    }

    fn in_memory() -> Spill {
        Spill {
            file: None,
            pieces: Vec::new(),
            count: 0,
        }
    }

    fn push_shared(&mut self, json: Arc<[u8]>) -> io::Result<()> {
        match self.file.as_mut() {
            Some(file) => {
                if self.count > 0 {
                    file.write_all(b",")?;
                }
                file.write_all(&json)?;
            }
            None => self.pieces.push(json),
        }
        self.count += 1;
        Ok(())
    }

    fn push_str(&mut self, text: &str) -> io::Result<()> {
        let json = serde_json::to_vec(text).map_err(io::Error::from)?;
        self.push_shared(json.into())
    }

    /// Appends `count` values already joined by commas.
    fn push_raw(&mut self, values: &[u8], count: u64) -> io::Result<()> {
        if count == 0 {
            return Ok(());
        }
        match self.file.as_mut() {
            Some(file) => {
                if self.count > 0 {
                    file.write_all(b",")?;
                }
                file.write_all(values)?;
            }
            None => self.pieces.push(values.into()),
        }
        self.count += count;
        Ok(())
    }

    fn push_null(&mut self) -> io::Result<()> {
        self.push_raw(b"null", 1)
    }

    /// Appends everything to `out`; the kernel copies a file where it can.
    fn copy_to<W: Write>(self, out: &mut W) -> io::Result<()> {
        match self.file {
            Some(file) => {
                let mut file = file.into_inner().map_err(|e| e.into_error())?;
                file.rewind()?;
                io::copy(&mut file, out)?;
            }
            None => {
                for (i, piece) in self.pieces.iter().enumerate() {
                    if i > 0 {
                        out.write_all(b",")?;
                    }
                    out.write_all(piece)?;
                }
            }
        }
        Ok(())
    }
}

/// What a [`MapWriter`] writes at its top: `file` and `sourceRoot`.
#[derive(Clone, Debug, Default)]
pub(crate) struct MapHead<'a> {
    pub(crate) file: Option<&'a str>,
    pub(crate) source_root: Option<&'a str>,
    pub(crate) sources_content: bool,
    /// Keep `sourcesContent` in memory rather than in a temporary file:
    /// for contents a cache holds anyway.
    pub(crate) contents_in_memory: bool,
}

impl<W: Write> MapWriter<W> {
    /// Starts a map in `out`.
    pub(crate) fn new(mut out: W, head: &MapHead<'_>) -> io::Result<MapWriter<W>> {
        out.write_all(b"{\"version\":3,")?;
        if let Some(file) = head.file {
            out.write_all(b"\"file\":")?;
            serde_json::to_writer(&mut out, file)?;
            out.write_all(b",")?;
        }
        if let Some(root) = head.source_root {
            out.write_all(b"\"sourceRoot\":")?;
            serde_json::to_writer(&mut out, root)?;
            out.write_all(b",")?;
        }
        out.write_all(b"\"mappings\":\"")?;
        Ok(MapWriter {
            out,
            buf: Vec::with_capacity(FLUSH_AT + 64),
            line: 0,
            col: 0,
            written: false,
            line_has_segment: false,
            last_segment_mapped: false,
            prev_col: 0,
            prev_source: 0,
            prev_line: 0,
            prev_column: 0,
            prev_name: 0,
            sources: Vec::new(),
            source_ids: HashMap::new(),
            contents: if head.sources_content && head.contents_in_memory {
                Some(Spill::in_memory())
            } else if head.sources_content {
                Some(Spill::new()?)
            } else {
                None
            },
            names: Spill::new()?,
        })
    }

    /// Where the bundle is now: line and UTF-16 column, from 0.
    pub(crate) fn position(&self) -> (u64, u64) {
        (self.line, self.col)
    }

    /// The index of source `name`, added (with its content, asked for only
    /// then and only when the map embeds contents) if it is new.
    pub(crate) fn source<'c>(
        &mut self,
        name: &str,
        content: impl FnOnce() -> Option<Cow<'c, str>>,
    ) -> io::Result<u32> {
        if let Some(&id) = self.source_ids.get(name) {
            return Ok(id);
        }
        let id = u32::try_from(self.sources.len())
            .map_err(|_| io::Error::other("more than 2^32 sources"))?;
        if let Some(contents) = self.contents.as_mut() {
            match content() {
                Some(text) => contents.push_str(&text)?,
                None => contents.push_null()?,
            }
        }
        self.sources.push(name.to_string());
        self.source_ids.insert(name.to_string(), id);
        Ok(id)
    }

    /// The index of source `name`, added with its content given as JSON
    /// (`null` included), when it is new; the content is asked for only
    /// then, and only when the map embeds contents.
    pub(crate) fn source_json(
        &mut self,
        name: &str,
        content: impl FnOnce() -> Option<Arc<[u8]>>,
    ) -> io::Result<u32> {
        if let Some(&id) = self.source_ids.get(name) {
            return Ok(id);
        }
        let id = u32::try_from(self.sources.len())
            .map_err(|_| io::Error::other("more than 2^32 sources"))?;
        if let Some(contents) = self.contents.as_mut() {
            match content() {
                Some(json) => contents.push_shared(json)?,
                None => contents.push_null()?,
            }
        }
        self.sources.push(name.to_string());
        self.source_ids.insert(name.to_string(), id);
        Ok(id)
    }

    /// Text smerge wrote that maps nowhere: banner, header, separator,
    /// added newline, footer.
    pub(crate) fn generated(&mut self, text: &[u8]) -> io::Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        self.stop_mapping()?;
        let shape = TextShape::of(text);
        self.advance(shape, 0)
    }

    /// An input mapped to itself (source `source`), line by line: the
    /// start of each of its lines to the start of the same line.
    /// `shape` is what was written of it, `bom` whether that starts with a
    /// BOM (counted in `shape`).
    pub(crate) fn identity(&mut self, source: u32, shape: TextShape, bom: bool) -> io::Result<()> {
        let (shape, shift) = self.start_input(shape, bom);
        if shape.is_empty() && shift == 0 {
            return Ok(());
        }
        if shift > 0 {
            self.stop_mapping()?;
        }
        for line in 0..=shape.newlines {
            if line > 0 {
                self.newline();
            }
            if line == shape.newlines && shape.last_width == 0 {
                break;
            }
            let col = if line == 0 { self.col + shift } else { 0 };
            let original = u32::try_from(line).unwrap_or(u32::MAX);
            self.segment(col, Some((source, original, 0, None)))?;
        }
        self.finish_input(shape, shift);
        self.written |= bom;
        Ok(())
    }

    /// An input with its own `map`, whose sources are `sources` in this
    /// map (by the input map's source index). Mappings past what was
    /// written of the input (`shape`: a dropped `sourceMappingURL` line, or
    /// a map longer than its file) are left out.
    ///
    /// `encoded` is the input's mappings encoded once ([`EncodedInput`]):
    /// when the input's sources are new to this map and numbered one after
    /// the other, as for most inputs, they are copied from it and only the
    /// segments that depend on what comes before the input are encoded
    /// again; otherwise every mapping is encoded from `map`.
    pub(crate) fn composed(
        &mut self,
        map: &SourceMap,
        encoded: &EncodedInput,
        sources: &[u32],
        names: &[u8],
        names_count: u64,
        bom: bool,
    ) -> io::Result<()> {
        let shape = encoded.shape;
        let shift = u64::from(bom && self.written);
        let names_base = self.names.count;
        self.names.push_raw(names, names_count)?;
        let starts_elsewhere = !encoded.has_segments || !encoded.starts_at_origin || shift > 0;
        if starts_elsewhere && (encoded.has_segments || !shape.is_empty()) {
            self.stop_mapping()?;
        }
        let consecutive = sources
            .iter()
            .enumerate()
            .all(|(i, &id)| u64::from(id) == u64::from(sources[0]) + i as u64);
        if consecutive {
            self.replay(
                encoded,
                sources.first().copied().unwrap_or(0),
                names_base,
                shift,
            )?;
        } else {
            self.encode_each(map, sources, names_base, shape, shift)?;
        }
        self.finish_input(shape, shift);
        self.written |= bom;
        Ok(())
    }

    /// Writes `encoded`, its sources numbered from `first_source`, its
    /// names from `names_base`.
    fn replay(
        &mut self,
        encoded: &EncodedInput,
        first_source: u32,
        names_base: u64,
        shift: u64,
    ) -> io::Result<()> {
        let base_col = self.col + shift;
        let mut at = 0;
        for patch in &encoded.patches {
            self.put(&encoded.bytes[at..patch.at])?;
            at = patch.at;
            if matches!(patch.col, PatchCol::LineZeroFirst(_)) && self.line_has_segment {
                // The bundle's line has segments before the input's first.
                self.buf.push(b',');
            }
            let col = match patch.col {
                PatchCol::LineZeroFirst(dst_col) => (base_col + dst_col) as i64 - self.prev_col,
                PatchCol::Delta(delta) => delta,
            };
            encode_vlq(&mut self.buf, col);
            if let Some(src) = patch.source {
                let (source, line, column) = src.absolute;
                let source = i64::from(first_source) + i64::from(source);
                match src.delta {
                    Some((ds, dl, dc)) => {
                        encode_vlq(&mut self.buf, ds);
                        encode_vlq(&mut self.buf, dl);
                        encode_vlq(&mut self.buf, dc);
                    }
                    None => {
                        encode_vlq(&mut self.buf, source - self.prev_source);
                        encode_vlq(&mut self.buf, i64::from(line) - self.prev_line);
                        encode_vlq(&mut self.buf, i64::from(column) - self.prev_column);
                    }
                }
                if let Some(name) = patch.name {
                    match name.delta {
                        Some(delta) => encode_vlq(&mut self.buf, delta),
                        None => encode_vlq(
                            &mut self.buf,
                            names_base as i64 + i64::from(name.absolute) - self.prev_name,
                        ),
                    }
                }
            }
            if self.buf.len() >= FLUSH_AT {
                self.out.write_all(&self.buf)?;
                self.buf.clear();
            }
        }
        self.put(&encoded.bytes[at..])?;
        // The state the input leaves.
        let exit = &encoded.exit;
        if let Some((source, line, column)) = exit.source {
            self.prev_source = i64::from(first_source) + i64::from(source);
            self.prev_line = i64::from(line);
            self.prev_column = i64::from(column);
        }
        if let Some(name) = exit.name {
            self.prev_name = names_base as i64 + i64::from(name);
        }
        self.line += encoded.shape.newlines;
        if encoded.shape.newlines > 0 {
            self.line_has_segment = false;
            self.last_segment_mapped = false;
            self.prev_col = 0;
        }
        if let Some((dst_col, mapped)) = exit.last_on_final_line {
            self.prev_col = if encoded.shape.newlines == 0 {
                (base_col + dst_col) as i64
            } else {
                dst_col as i64
            };
            self.line_has_segment = true;
            self.last_segment_mapped = mapped;
        }
        self.flush_some()
    }

    /// Writes every mapping of `map`, one by one.
    fn encode_each(
        &mut self,
        map: &SourceMap,
        sources: &[u32],
        names_base: u64,
        shape: TextShape,
        shift: u64,
    ) -> io::Result<()> {
        let mut line = 0u64;
        for raw in kept_tokens(map, shape) {
            let (dst_line, dst_col) = (u64::from(raw.dst_line), u64::from(raw.dst_col));
            while line < dst_line {
                self.newline();
                line += 1;
            }
            let col = if dst_line == 0 {
                self.col + shift + dst_col
            } else {
                dst_col
            };
            let original = sources.get(raw.src_id as usize).map(|&source| {
                let name = (raw.name_id != !0).then(|| names_base + u64::from(raw.name_id));
                (source, raw.src_line, raw.src_col, name)
            });
            self.segment(col, original)?;
        }
        while line < shape.newlines {
            self.newline();
            line += 1;
        }
        Ok(())
    }

    /// Ends the map: the mappings, then `sources`, `sourcesContent` and
    /// `names`. Returns the output, flushed.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.out.write_all(&self.buf)?;
        self.out.write_all(b"\",\"sources\":")?;
        serde_json::to_writer(&mut self.out, &self.sources)?;
        if let Some(contents) = self.contents.take() {
            self.out.write_all(b",\"sourcesContent\":[")?;
            contents.copy_to(&mut self.out)?;
            self.out.write_all(b"]")?;
        }
        self.out.write_all(b",\"names\":[")?;
        let names = std::mem::replace(&mut self.names, Spill::new()?);
        names.copy_to(&mut self.out)?;
        self.out.write_all(b"]}\n")?;
        self.out.flush()?;
        Ok(self.out)
    }

    /// The shape of an input as the map counts it (without a BOM, which no
    /// input map counts), and how far its first line's mappings shift: a
    /// BOM at the start of the bundle is no column, one elsewhere is.
    fn start_input(&self, shape: TextShape, bom: bool) -> (TextShape, u64) {
        (content_shape(shape, bom), u64::from(bom && self.written))
    }

    /// Moves past an input: its last line is where the bundle is now.
    fn finish_input(&mut self, shape: TextShape, shift: u64) {
        if shape.newlines == 0 {
            self.col += shift + shape.last_width;
        } else {
            self.col = shape.last_width;
        }
        self.written |= shift > 0 || !shape.is_empty();
    }

    /// Ends the previous mapping where the bundle is now, so that what
    /// comes next is not taken for more of it.
    fn stop_mapping(&mut self) -> io::Result<()> {
        if self.last_segment_mapped {
            self.segment(self.col, None)?;
        }
        Ok(())
    }

    /// Moves past generated text of `shape`.
    fn advance(&mut self, shape: TextShape, shift: u64) -> io::Result<()> {
        for _ in 0..shape.newlines {
            self.newline();
        }
        self.finish_input(shape, shift);
        self.flush_some()
    }

    fn newline(&mut self) {
        self.buf.push(b';');
        self.line += 1;
        self.col = 0;
        self.prev_col = 0;
        self.line_has_segment = false;
        self.last_segment_mapped = false;
    }

    /// One segment at column `col` of the current line, mapping to
    /// `(source, line, column, name)` or to nothing.
    fn segment(
        &mut self,
        col: u64,
        original: Option<(u32, u32, u32, Option<u64>)>,
    ) -> io::Result<()> {
        if self.line_has_segment {
            self.buf.push(b',');
        }
        let col = col as i64;
        encode_vlq(&mut self.buf, col - self.prev_col);
        self.prev_col = col;
        if let Some((source, line, column, name)) = original {
            let (source, line, column) = (i64::from(source), i64::from(line), i64::from(column));
            encode_vlq(&mut self.buf, source - self.prev_source);
            encode_vlq(&mut self.buf, line - self.prev_line);
            encode_vlq(&mut self.buf, column - self.prev_column);
            (self.prev_source, self.prev_line, self.prev_column) = (source, line, column);
            if let Some(name) = name {
                let name = name as i64;
                encode_vlq(&mut self.buf, name - self.prev_name);
                self.prev_name = name;
            }
        }
        self.line_has_segment = true;
        self.last_segment_mapped = original.is_some();
        self.flush_some()
    }

    /// Appends encoded mappings: a long run is written as it is, after
    /// what is gathered, rather than copied into the buffer first.
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.len() < WRITE_AS_IT_IS {
            self.buf.extend_from_slice(bytes);
            return Ok(());
        }
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.out.write_all(bytes)
    }

    fn flush_some(&mut self) -> io::Result<()> {
        if self.buf.len() >= FLUSH_AT {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

/// The mappings of one input with its own map, encoded once with the
/// input's own source and name numbers, so that they can be written into
/// any bundle map (and, by `--watch`, again into the next one) by copying:
/// only the segments whose encoding depends on what comes before the input
/// are encoded at each write ([`Patch`]es).
#[derive(Clone, Debug)]
pub(crate) struct EncodedInput {
    /// What was written of the input; mappings past it are left out.
    shape: TextShape,
    /// The mappings, `;` between lines, without the patched segments.
    bytes: Vec<u8>,
    patches: Vec<Patch>,
    exit: Exit,
    has_segments: bool,
    /// Whether the first segment is at line 0, column 0.
    starts_at_origin: bool,
}

/// A segment that is encoded at each write: the first one on the input's
/// first line (its column is relative to what precedes the input on that
/// line), the first with a source and the first with a name (relative to
/// the previous input's).
#[derive(Clone, Copy, Debug)]
struct Patch {
    /// Where it goes in `bytes`.
    at: usize,
    col: PatchCol,
    source: Option<PatchSource>,
    name: Option<PatchName>,
}

#[derive(Clone, Copy, Debug)]
enum PatchCol {
    /// The first segment of line 0, at this column of the input.
    LineZeroFirst(u64),
    /// Any other: relative to the segment before it.
    Delta(i64),
}

#[derive(Clone, Copy, Debug)]
struct PatchSource {
    /// Source (the input map's number), line and column.
    absolute: (u32, u32, u32),
    /// Relative to the input's previous mapped segment, if it had one.
    delta: Option<(i64, i64, i64)>,
}

#[derive(Clone, Copy, Debug)]
struct PatchName {
    /// The input map's number.
    absolute: u32,
    delta: Option<i64>,
}

/// What the input leaves for the segments after it.
#[derive(Clone, Copy, Debug, Default)]
struct Exit {
    /// The last mapped segment's source (input map's number), line, column.
    source: Option<(u32, u32, u32)>,
    /// The last name (input map's number).
    name: Option<u32>,
    /// The last segment of the input's last line: its column, and whether
    /// it maps somewhere.
    last_on_final_line: Option<(u64, bool)>,
}

impl EncodedInput {
    /// Encodes the mappings of `map` that fall inside what was written of
    /// its input (`shape`).
    pub(crate) fn encode(map: &SourceMap, shape: TextShape) -> EncodedInput {
        let mut bytes = Vec::new();
        let mut patches = Vec::new();
        let mut exit = Exit::default();
        let mut line = 0u64;
        let mut line_has_segment = false;
        let mut prev_col = 0i64;
        let mut first: Option<(u64, u64)> = None;
        for raw in kept_tokens(map, shape) {
            let (dst_line, dst_col) = (u64::from(raw.dst_line), u64::from(raw.dst_col));
            first.get_or_insert((dst_line, dst_col));
            while line < dst_line {
                bytes.push(b';');
                line += 1;
                line_has_segment = false;
                prev_col = 0;
            }
            if line_has_segment {
                bytes.push(b',');
            }
            let line_zero_first = dst_line == 0 && !line_has_segment;
            line_has_segment = true;
            let col = dst_col as i64;
            let col_delta = col - prev_col;
            prev_col = col;
            let mapped = raw.src_id != !0;
            let source = mapped.then(|| {
                let absolute = (raw.src_id, raw.src_line, raw.src_col);
                let delta = exit.source.map(|(s, l, c)| {
                    (
                        i64::from(raw.src_id) - i64::from(s),
                        i64::from(raw.src_line) - i64::from(l),
                        i64::from(raw.src_col) - i64::from(c),
                    )
                });
                exit.source = Some(absolute);
                PatchSource { absolute, delta }
            });
            let name = (mapped && raw.name_id != !0).then(|| {
                let delta = exit.name.map(|n| i64::from(raw.name_id) - i64::from(n));
                exit.name = Some(raw.name_id);
                PatchName {
                    absolute: raw.name_id,
                    delta,
                }
            });
            exit.last_on_final_line = (dst_line == shape.newlines).then_some((dst_col, mapped));
            let patched = line_zero_first
                || source.is_some_and(|s| s.delta.is_none())
                || name.is_some_and(|n| n.delta.is_none());
            if patched {
                patches.push(Patch {
                    at: bytes.len(),
                    col: if line_zero_first {
                        PatchCol::LineZeroFirst(dst_col)
                    } else {
                        PatchCol::Delta(col_delta)
                    },
                    source,
                    name,
                });
                continue;
            }
            encode_vlq(&mut bytes, col_delta);
            if let Some(source) = source {
                let (ds, dl, dc) = source.delta.expect("not patched");
                encode_vlq(&mut bytes, ds);
                encode_vlq(&mut bytes, dl);
                encode_vlq(&mut bytes, dc);
                if let Some(name) = name {
                    encode_vlq(&mut bytes, name.delta.expect("not patched"));
                }
            }
        }
        while line < shape.newlines {
            bytes.push(b';');
            line += 1;
        }
        EncodedInput {
            shape,
            bytes,
            patches,
            exit,
            has_segments: first.is_some(),
            starts_at_origin: first == Some((0, 0)),
        }
    }
}

/// The names of `map` as JSON values joined by commas, and how many.
pub(crate) fn names_json(map: &SourceMap) -> (Vec<u8>, u64) {
    let mut json = Vec::new();
    let mut count = 0;
    for name in map.names() {
        if count > 0 {
            json.push(b',');
        }
        serde_json::to_writer(&mut json, name).expect("writing to memory");
        count += 1;
    }
    (json, count)
}

/// The shape of text measured as `shape`, without the BOM it starts with
/// when `bom`.
pub(crate) fn content_shape(mut shape: TextShape, bom: bool) -> TextShape {
    if bom && shape.newlines == 0 {
        shape.last_width = shape.last_width.saturating_sub(1);
    }
    shape
}

/// The tokens of `map` inside what was written of its input: none on a
/// line past its last, none on its last line past its end.
fn kept_tokens(
    map: &SourceMap,
    shape: TextShape,
) -> impl Iterator<Item = sourcemap::RawToken> + '_ {
    map.tokens()
        .map(|token| token.get_raw_token())
        .take_while(move |raw| u64::from(raw.dst_line) <= shape.newlines)
        .filter(move |raw| {
            u64::from(raw.dst_line) < shape.newlines || u64::from(raw.dst_col) < shape.last_width
        })
}

/// Appends `value` in the source map's base64 VLQ. The `sourcemap` crate
/// encodes a segment into a new `String`, which made encoding as slow as
/// decoding the input maps; this writes into the buffer it is given.
fn encode_vlq(out: &mut Vec<u8>, value: i64) {
    let mut rest = (value.unsigned_abs() << 1) | u64::from(value < 0);
    loop {
        let digit = (rest & 0b1_1111) as usize;
        rest >>= 5;
        if rest == 0 {
            out.push(BASE64[digit]);
            return;
        }
        out.push(BASE64[digit | 0b10_0000]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A map with one source, `a.ts`, and names `x`, `y`, from its JSON
    /// `mappings`.
    fn input_map(mappings: &str) -> SourceMap {
        let json = format!(
            r#"{{"version":3,"sources":["a.ts"],"sourcesContent":["let x"],"names":["x","y"],"mappings":"{mappings}"}}"#
        );
        SourceMap::from_slice(json.as_bytes()).unwrap()
    }

    /// A generated position and the original it maps to, if any.
    type Mapping = ((u32, u32), Option<(String, u32, u32, Option<String>)>);

    fn start(sources_content: bool) -> MapWriter<Vec<u8>> {
        let head = MapHead {
            file: Some("out.js"),
            source_root: None,
            sources_content,
            contents_in_memory: false,
        };
        MapWriter::new(Vec::new(), &head).unwrap()
    }

    /// Every mapping of the finished map: (line, column) -> (source, line,
    /// column, name), unmapped segments as `None`.
    fn finish(writer: MapWriter<Vec<u8>>) -> (SourceMap, Vec<Mapping>) {
        let json = writer.finish().unwrap();
        let map = SourceMap::from_slice(&json)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&json)));
        let tokens = map
            .tokens()
            .map(|t| {
                let original = t.get_source().map(|s| {
                    (
                        s.to_string(),
                        t.get_src_line(),
                        t.get_src_col(),
                        t.get_name().map(str::to_string),
                    )
                });
                (t.get_dst(), original)
            })
            .collect();
        (map, tokens)
    }

    /// Composes `map` as a bundle does: its names and mappings encoded
    /// first.
    fn compose(
        writer: &mut MapWriter<Vec<u8>>,
        map: &SourceMap,
        ids: &[u32],
        shape: TextShape,
        bom: bool,
    ) {
        let encoded = EncodedInput::encode(map, content_shape(shape, bom));
        let (names, count) = names_json(map);
        writer
            .composed(map, &encoded, ids, &names, count, bom)
            .unwrap();
    }

    fn at(source: &str, line: u32, col: u32) -> Option<(String, u32, u32, Option<String>)> {
        Some((source.to_string(), line, col, None))
    }

    #[test]
    fn vlq_matches_the_crate() {
        for value in [
            0,
            1,
            -1,
            15,
            16,
            -16,
            31,
            32,
            1000,
            -1000,
            i64::from(u32::MAX),
            -(1 << 40),
        ] {
            let mut ours = Vec::new();
            encode_vlq(&mut ours, value);
            let theirs = sourcemap::vlq::generate_vlq_segment(&[value]).unwrap();
            assert_eq!(String::from_utf8(ours).unwrap(), theirs, "{value}");
        }
    }

    #[test]
    fn plain_inputs_map_line_by_line_after_generated_text() {
        let mut writer = start(false);
        writer.generated(b"/* banner */\n/* a */ ").unwrap();
        let a = writer.source("a.js", || None).unwrap();
        writer
            .identity(a, TextShape::of(b"one\ntwo\n"), false)
            .unwrap();
        writer.generated(b";\n").unwrap();
        let b = writer.source("b.js", || None).unwrap();
        writer.identity(b, TextShape::of(b"three"), false).unwrap();
        writer.generated(b"/* end */").unwrap();
        let (map, tokens) = finish(writer);
        assert_eq!(map.get_file(), Some("out.js"));
        assert_eq!(
            tokens,
            [
                ((1, 8), at("a.js", 0, 0)),
                ((2, 0), at("a.js", 1, 0)),
                ((4, 0), at("b.js", 0, 0)),
                ((4, 5), None),
            ]
        );
    }

    #[test]
    fn composed_inputs_shift_only_their_first_line() {
        let mut writer = start(true);
        writer.generated(b"/* h */").unwrap();
        let map = input_map("AAAA,EAAEA;AACAC,CAAC");
        let id = writer
            .source("a.ts", || Some(Cow::Borrowed("let x")))
            .unwrap();
        compose(&mut writer, &map, &[id], TextShape::of(b"ab\ncde"), false);
        let (map, tokens) = finish(writer);
        assert_eq!(
            tokens,
            [
                ((0, 7), at("a.ts", 0, 0)),
                ((0, 9), Some(("a.ts".into(), 0, 2, Some("x".into())))),
                ((1, 0), Some(("a.ts".into(), 1, 2, Some("y".into())))),
                ((1, 1), at("a.ts", 1, 3)),
            ]
        );
        assert_eq!(map.get_source_contents(0), Some("let x"));
    }

    #[test]
    fn mappings_past_the_written_input_are_dropped() {
        let mut writer = start(false);
        // Line 2 of the input map is the dropped comment; a segment on the
        // last line past its end would spill into the next part.
        let map = input_map("AAAA;AACA,UAAU;AACA");
        let id = writer.source("a.ts", || None).unwrap();
        compose(&mut writer, &map, &[id], TextShape::of(b"x\nyy"), false);
        writer.generated(b"next").unwrap();
        let (_, tokens) = finish(writer);
        assert_eq!(
            tokens,
            [
                ((0, 0), at("a.ts", 0, 0)),
                ((1, 0), at("a.ts", 1, 0)),
                ((1, 2), None)
            ]
        );
    }

    #[test]
    fn a_bom_counts_only_inside_the_bundle() {
        let bom = "\u{feff}x\n".as_bytes();
        let mut writer = start(false);
        let a = writer.source("a.js", || None).unwrap();
        writer.identity(a, TextShape::of(bom), true).unwrap();
        let map = input_map("CAAC");
        let b = writer.source("a.ts", || None).unwrap();
        writer.generated(b"/**/").unwrap();
        compose(
            &mut writer,
            &map,
            &[b],
            TextShape::of("\u{feff}ab".as_bytes()),
            true,
        );
        let (_, tokens) = finish(writer);
        assert_eq!(
            tokens,
            [((0, 0), at("a.js", 0, 0)), ((1, 6), at("a.ts", 0, 1))]
        );
    }

    #[test]
    fn sources_are_listed_once_with_their_contents() {
        let mut writer = start(true);
        let a = writer
            .source("a.js", || Some(Cow::Borrowed("é\"\n")))
            .unwrap();
        let again = writer.source("a.js", || panic!("asked twice")).unwrap();
        let b = writer.source("b.js", || None).unwrap();
        assert_eq!((a, again, b), (0, 0, 1));
        writer.identity(a, TextShape::of(b"x"), false).unwrap();
        let json = String::from_utf8(writer.finish().unwrap()).unwrap();
        assert!(
            json.contains(
                r#""sources":["a.js","b.js"],"sourcesContent":["é\"\n",null],"names":[]"#
            ),
            "{json}"
        );
    }

    #[test]
    fn an_empty_bundle_has_an_empty_map() {
        let writer = start(false);
        let json = String::from_utf8(writer.finish().unwrap()).unwrap();
        assert_eq!(
            json,
            "{\"version\":3,\"file\":\"out.js\",\"mappings\":\"\",\"sources\":[],\"names\":[]}\n"
        );
    }

    #[test]
    fn copied_mappings_are_those_encoded_one_by_one() {
        // Two sources, names first used late, 1-field segments, a long
        // last line past the input's end.
        let json = r#"{"version":3,"sources":["a.ts","b.ts"],"names":["n","m"],
            "mappings":"A,CAAA;ACCA,EAAEA,E;;GDEGC,IAAIA,C;AAAA,GAAG,UAAU"}"#;
        let map = SourceMap::from_slice(json.as_bytes()).unwrap();
        for (before, shape, bom) in [
            (&b""[..], TextShape::of(b"x\ny\n\nz\n12345"), false),
            (b"/* h */", TextShape::of(b"x\ny\n\nz\n12"), false),
            (b"line\n/**/", TextShape::of("\u{feff}xy".as_bytes()), true),
            (b"", TextShape::of(b"xyz"), false),
        ] {
            let run = |replay: bool| {
                let mut writer = start(false);
                // An input before, so the state the mappings start from is
                // not the initial one.
                let z = writer.source("z.js", || None).unwrap();
                writer.identity(z, TextShape::of(b"zz\nz"), false).unwrap();
                writer.generated(before).unwrap();
                let a = writer.source("a.ts", || None).unwrap();
                let b = writer.source("b.ts", || None).unwrap();
                if replay {
                    compose(&mut writer, &map, &[a, b], shape, bom);
                } else {
                    let content = content_shape(shape, bom);
                    let shift = u64::from(bom && writer.written);
                    let names_base = writer.names.count;
                    let (names, count) = names_json(&map);
                    writer.names.push_raw(&names, count).unwrap();
                    if shift > 0 {
                        writer.stop_mapping().unwrap();
                    }
                    writer
                        .encode_each(&map, &[a, b], names_base, content, shift)
                        .unwrap();
                    writer.finish_input(content, shift);
                }
                writer.generated(b"after").unwrap();
                let b2 = writer.source("b.ts", || None).unwrap();
                compose(
                    &mut writer,
                    &map,
                    &[b2, a],
                    TextShape::of(b"q\nrr\ns"),
                    false,
                );
                finish(writer).1
            };
            assert_eq!(run(true), run(false), "{before:?} {shape:?}");
        }
    }
}
