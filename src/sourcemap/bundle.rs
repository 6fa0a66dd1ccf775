//! [`BundleMap`]: the source map of one merge, written on a thread of its
//! own while the merge writes the bundle.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Read, Seek};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use base64::Engine;
use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

use crate::fs::{AtomicFile, Entry, EntryKind, Listing};
use crate::merge::{Warning, WarningKind, Warnings};
use crate::sourcemap::cache::Stamp;
use crate::sourcemap::comment::MapComment;
use crate::sourcemap::input::{InputMap, has_scheme, map_path};
use crate::sourcemap::measure::Measured;
use crate::sourcemap::options::{CommentStyle, SourceMapOptions};
use crate::sourcemap::paths::{absolute, relative};
use crate::sourcemap::shape::TextShape;
use crate::sourcemap::writer::{EncodedInput, MapHead, MapWriter, content_shape, names_json};
use crate::{Error, ErrorKind, Result, Writable};

/// What the merge tells the map's thread, in bundle order.
#[derive(Debug)]
enum Part {
    Generated(Bytes),
    Input(InputPart),
    /// The bundle is complete: finish the map. (A queue closed without it
    /// means the merge failed: the map is discarded.)
    End,
}

#[derive(Debug)]
struct InputPart {
    path: PathBuf,
    is_file: bool,
    /// Not copied from its file as it is: its text is not the file's.
    streamed: bool,
    prepared: Prepared,
    /// What was written of it; `None` when the kernel copied it as it is
    /// (the map's thread then measures the file).
    measured: Option<Measured>,
    /// Its text, when it is not a file to read it from (standard input, a
    /// decompressed input) and `sourcesContent` is asked for.
    text: Option<Vec<u8>>,
}

/// What a merge needs to know of an input before copying it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Prepared {
    /// How many bytes of it go into the bundle: those before its
    /// `sourceMappingURL` comment; `None` for all.
    pub(crate) keep: Option<u64>,
    /// The URL its comment names.
    pub(crate) url: Option<String>,
    stamp: Option<Stamp>,
}

/// Where the map is written.
#[derive(Debug)]
enum MapOut {
    File(AtomicFile),
    Inline(File),
}

/// What the map's thread hands back.
#[derive(Debug)]
struct Finished {
    out: MapOut,
    /// Where the bundle ended: its comment goes on a line of its own.
    column: u64,
}

/// The end of a merge with a source map: the map file to commit with the
/// bundle, and the comment written at the bundle's end.
#[derive(Debug)]
pub(crate) struct Ending {
    pub(crate) map_file: Option<AtomicFile>,
    pub(crate) length: u64,
    pub(crate) sha256: Option<[u8; 32]>,
}

/// The text that ends a bundle with a source map, piece by piece: the
/// comment naming the map, or holding all of it (base64) for an inline map.
#[derive(Debug)]
pub(crate) struct ClosingText {
    first: Option<Bytes>,
    /// An inline map, read back in whole groups of 3 bytes so that the
    /// pieces of base64 join up.
    inline: Option<File>,
    end: Option<&'static str>,
}

impl Iterator for ClosingText {
    type Item = Result<Bytes>;

    fn next(&mut self) -> Option<Result<Bytes>> {
        if let Some(first) = self.first.take() {
            return Some(Ok(first));
        }
        if let Some(file) = self.inline.as_mut() {
            let mut block = vec![0; 3 * 64 * 1024];
            match read_full(file, &mut block) {
                Err(error) => {
                    self.inline = None;
                    return Some(Err(Error::io(error)));
                }
                Ok(0) => self.inline = None,
                Ok(read) => {
                    let text = base64::engine::general_purpose::STANDARD.encode(&block[..read]);
                    return Some(Ok(Bytes::from(text)));
                }
            }
        }
        self.end
            .take()
            .map(|end| Ok(Bytes::from_static(end.as_bytes())))
    }
}

/// The source map of one merge: the merge reports each part it writes;
/// a thread of its own reads the input maps and writes the map meanwhile.
#[derive(Debug)]
pub(crate) struct BundleMap {
    parts: Option<mpsc::UnboundedSender<Part>>,
    /// The parts of the input under way, sent when it is complete
    /// ([`commit`](BundleMap::commit)) or dropped when it is cut back out
    /// of the output ([`discard`](BundleMap::discard)).
    pending: Vec<Part>,
    done: Option<oneshot::Receiver<Result<Finished>>>,
    options: SourceMapOptions,
}

impl BundleMap {
    /// Creates the map's file (a temporary one for an inline map) and
    /// starts its thread, which says its warnings (an input map that
    /// cannot be read) through `warnings`.
    ///
    /// # Errors
    ///
    /// The map file cannot be created, naming it.
    pub(crate) fn start(options: &SourceMapOptions, warnings: &Warnings) -> Result<BundleMap> {
        let out = match &options.map_file {
            Some(path) => MapOut::File(AtomicFile::create(path)?),
            None => MapOut::Inline(tempfile::tempfile().map_err(Error::io)?),
        };
        // Unbounded: a part is a few bytes of text or a path, and the
        // thread reads the inputs' maps no slower than the merge copies
        // the inputs.
        let (parts, receiver) = mpsc::unbounded_channel();
        let (sender, done) = oneshot::channel();
        let thread_options = options.clone();
        let thread_warnings = warnings.clone();
        std::thread::Builder::new()
            .name("smerge-sourcemap".into())
            .spawn(move || {
                let result = write_map(receiver, out, &thread_options, &thread_warnings);
                let _ = sender.send(result);
            })
            .map_err(Error::io)?;
        Ok(BundleMap {
            parts: Some(parts),
            pending: Vec::new(),
            done: Some(done),
            options: options.clone(),
        })
    }

    /// Looks for `entry`'s `sourceMappingURL` comment (a regular file's
    /// only), through the cache when there is one.
    ///
    /// # Errors
    ///
    /// The file cannot be read, naming it.
    pub(crate) fn prepare(&self, entry: &Entry<'_>) -> Result<Prepared> {
        if entry.kind() != EntryKind::File {
            return Ok(Prepared::default());
        }
        let path = entry.path();
        let reading = |e: std::io::Error| Error::io(e).reading(path);
        let read = || -> Result<(Stamp, Option<MapComment>)> {
            // An unchanged input is not even opened.
            if let Some(cache) = &self.options.cache {
                let stamp = Stamp::of(&std::fs::metadata(path).map_err(reading)?);
                if let Some(comment) = cache.comment(path, stamp) {
                    return Ok((stamp, comment));
                }
            }
            // The file that was listed, nothing put in its place since.
            let file = entry.open()?;
            let meta = file.metadata().map_err(reading)?;
            let stamp = Stamp::of(&meta);
            let comment = MapComment::read(&file, meta.len()).map_err(reading)?;
            if let Some(cache) = &self.options.cache {
                cache.keep_comment(path, stamp, comment.clone());
            }
            Ok((stamp, comment))
        };
        let (stamp, comment) = read()?;
        Ok(match comment {
            Some(comment) => Prepared {
                keep: Some(comment.start),
                url: Some(comment.url),
                stamp: Some(stamp),
            },
            None => Prepared {
                stamp: Some(stamp),
                ..Prepared::default()
            },
        })
    }

    /// Text the merge wrote that maps nowhere.
    pub(crate) fn generated(&mut self, text: &Bytes) {
        self.pending.push(Part::Generated(text.clone()));
    }

    /// An input the merge wrote: `measured` describes what it wrote.
    /// A `streamed` input (not read from its file as it is: standard
    /// input, a decompressed file) has its text in `text` when the map
    /// embeds it (see [`BundleMap::wants_text`]).
    pub(crate) fn input(
        &mut self,
        entry: &Entry<'_>,
        prepared: Prepared,
        measured: Measured,
        streamed: bool,
        text: Option<Vec<u8>>,
    ) {
        self.pending.push(Part::Input(InputPart {
            path: entry.path().to_path_buf(),
            is_file: entry.kind() == EntryKind::File,
            streamed,
            prepared,
            measured: Some(measured),
            text,
        }));
    }

    /// Whether the map embeds the sources' texts (`sourcesContent`).
    pub(crate) fn wants_text(&self) -> bool {
        self.options.sources_content
    }

    /// Hands the parts written since the last commit to the map's thread;
    /// `false` when it stopped.
    fn send_pending(&mut self) -> bool {
        for part in std::mem::take(&mut self.pending) {
            // `None` once a send found the thread stopped.
            let Some(parts) = self.parts.as_ref() else {
                return false;
            };
            if parts.send(part).is_err() {
                self.parts = None;
                return false;
            }
        }
        true
    }

    /// Hands the parts written since the last commit to the map's thread.
    ///
    /// # Errors
    ///
    /// The thread stopped: its error (a bad input map under `strict`, the
    /// map file failing).
    pub(crate) async fn commit(&mut self) -> Result<()> {
        if self.send_pending() {
            return Ok(());
        }
        // The thread stopped: its result says why.
        match self.wait().await {
            Err(error) => Err(error),
            Ok(_) => Err(Error::from_kind(ErrorKind::Aborted)),
        }
    }

    /// Forgets the parts written since the last commit: they were cut back
    /// out of the output.
    pub(crate) fn discard(&mut self) {
        self.pending.clear();
    }

    async fn wait(&mut self) -> Result<Finished> {
        let done = self.done.take().expect("waited for once");
        done.await.unwrap_or_else(|_| Err(thread_died()))
    }

    /// Finishes the map and writes the comment that names it (or holds it)
    /// at the end of `output`; the map file is then ready to commit.
    pub(crate) async fn finish(
        mut self,
        output: &mut Writable<Bytes>,
        hash: bool,
    ) -> Result<Ending> {
        self.pending.push(Part::End);
        self.commit().await?;
        self.parts = None;
        let finished = self.wait().await?;
        let (map_file, text) = closing(finished, &self.options)?;
        let mut ending = Ending {
            map_file,
            length: 0,
            sha256: None,
        };
        let mut hasher = hash.then(Sha256::new);
        for piece in text {
            let piece = piece?;
            if let Some(hasher) = hasher.as_mut() {
                hasher.update(&piece);
            }
            ending.length += piece.len() as u64;
            output.write_all(piece).await?;
        }
        ending.sha256 = hasher.map(|h| h.finalize().into());
        Ok(ending)
    }

    /// [`finish`](BundleMap::finish) for a thread that may block: the map
    /// file, and the text to end the bundle with.
    fn finish_blocking(mut self) -> Result<(Option<AtomicFile>, ClosingText)> {
        self.pending.push(Part::End);
        let sent = self.send_pending();
        self.parts = None;
        let done = self.done.take().expect("waited for once");
        let finished = done
            .blocking_recv()
            .unwrap_or_else(|_| Err(thread_died()))?;
        if !sent {
            // Stopped before the end without an error of its own.
            return Err(Error::from_kind(ErrorKind::Aborted));
        }
        closing(finished, &self.options)
    }
}

fn thread_died() -> Error {
    Error::new(ErrorKind::Aborted, "the source map thread died")
}

/// The map of a plain merge, whose inputs the kernel copies as they are:
/// where each input's own `sourceMappingURL` comment starts (the kernel
/// copies the bytes before it), and what ends the bundle, once the map's
/// thread measured and mapped every input.
///
/// # Errors
///
/// An input that cannot be read, naming it; the map file cannot be
/// created.
pub(crate) fn plain_closing(
    listing: &Listing,
    options: &SourceMapOptions,
    warnings: &Warnings,
) -> Result<crate::merge::Closing> {
    let mut map = BundleMap::start(options, warnings)?;
    let mut lengths = Vec::with_capacity(listing.len());
    for entry in listing.entries() {
        let prepared = map.prepare(&entry)?;
        lengths.push(prepared.keep);
        map.pending.push(Part::Input(InputPart {
            path: entry.path().to_path_buf(),
            is_file: true,
            streamed: false,
            prepared,
            measured: None,
            text: None,
        }));
        // The thread measures and maps the inputs while the kernel copies.
        if !map.send_pending() {
            break;
        }
    }
    Ok(crate::merge::Closing {
        lengths,
        close: Box::new(move |write| {
            let (map_file, text) = map.finish_blocking()?;
            for piece in text {
                write(&piece?)?;
            }
            Ok(map_file)
        }),
    })
}

/// The text that ends the bundle, and the map file to put in place.
fn closing(
    finished: Finished,
    options: &SourceMapOptions,
) -> Result<(Option<AtomicFile>, ClosingText)> {
    let newline = if finished.column > 0 { "\n" } else { "" };
    Ok(match finished.out {
        MapOut::File(file) => {
            let text = ClosingText {
                first: options
                    .comment
                    .comment(&options.url)
                    .map(|(comment, end)| Bytes::from(format!("{newline}{comment}{end}"))),
                inline: None,
                end: None,
            };
            (Some(file), text)
        }
        MapOut::Inline(mut file) => {
            let url = "data:application/json;charset=utf-8;base64,";
            let style = match options.comment {
                CommentStyle::None => CommentStyle::Js,
                style => style,
            };
            let (comment, end) = style.comment(url).expect("a comment style");
            file.rewind().map_err(Error::io)?;
            let text = ClosingText {
                first: Some(Bytes::from(format!("{newline}{comment}"))),
                inline: Some(file),
                end: Some(end),
            };
            (None, text)
        }
    })
}

/// Fills `buf` as far as the file goes.
fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// The thread: writes the map part by part, as the merge reports them.
fn write_map(
    mut parts: mpsc::UnboundedReceiver<Part>,
    out: MapOut,
    options: &SourceMapOptions,
    warnings: &Warnings,
) -> Result<Finished> {
    let name = options
        .map_file
        .clone()
        .unwrap_or_else(|| PathBuf::from("the inline source map"));
    let io_error = |e: std::io::Error| Error::io(e).writing(&name);
    let head = MapHead {
        file: options.file.as_deref(),
        source_root: options.source_root.as_deref(),
        sources_content: options.sources_content,
        contents_in_memory: options.cache.is_some(),
    };
    let column;
    {
        let file = match &out {
            MapOut::File(atomic) => atomic.file(),
            MapOut::Inline(file) => file,
        };
        // Small: an input's mappings and texts, mostly larger, are written
        // straight from where they are kept rather than copied in here.
        let sink = BufWriter::with_capacity(8 * 1024, file);
        let mut writer = MapWriter::new(sink, &head).map_err(io_error)?;
        loop {
            match parts.blocking_recv() {
                Some(Part::Generated(text)) => writer.generated(&text).map_err(io_error)?,
                Some(Part::Input(input)) => {
                    write_input(&mut writer, input, options, warnings, &name)?;
                }
                Some(Part::End) => break,
                None => return Err(Error::from_kind(ErrorKind::Aborted)),
            }
        }
        column = writer.position().1;
        writer.finish().map_err(io_error)?;
    }
    Ok(Finished { out, column })
}

/// Writes one input's mappings: composed with its own map when it has a
/// readable one, else to itself.
fn write_input<W: std::io::Write>(
    writer: &mut MapWriter<W>,
    mut input: InputPart,
    options: &SourceMapOptions,
    warnings: &Warnings,
    name: &Path,
) -> Result<()> {
    let io_error = |e: std::io::Error| Error::io(e).writing(name);
    let Measured { shape, bom } = match input.measured {
        Some(measured) => measured,
        None => measure_file(&input.path, &input.prepared, options)?,
    };
    if let Some(url) = &input.prepared.url {
        match composed_input(&input, shape, bom, url, options) {
            Ok(composed) => {
                let mut ids = Vec::with_capacity(composed.sources.len());
                for (source, content) in composed.sources.iter().zip(composed.contents.iter()) {
                    let id = writer
                        .source_json(source, || content.clone())
                        .map_err(io_error)?;
                    ids.push(id);
                }
                return writer
                    .composed(
                        composed.map.map(),
                        &composed.encoded,
                        &ids,
                        &composed.names,
                        composed.names_count,
                        bom,
                    )
                    .map_err(io_error);
            }
            Err(error) => {
                let error = error.about_path("reading the source map of", &input.path);
                // Under `strict`, the error itself, with its causes.
                if warnings.is_strict() {
                    return Err(error);
                }
                warnings.warn(
                    Warning::new(
                        WarningKind::Content,
                        format!("{error:#} (it is mapped to itself)"),
                    )
                    .about(&input.path),
                )?;
            }
        }
    }
    let source_name = if input.is_file {
        relative(&options.base, &input.path)
    } else {
        input.path.to_string_lossy().into_owned()
    };
    let keep = input.prepared.keep;
    let text = input.text.take();
    let content = || match text {
        Some(text) => Some(Cow::Owned(text_of(text))),
        None => (input.is_file && !input.streamed)
            .then(|| read_text(&input.path, keep))
            .flatten(),
    };
    let source = writer.source(&source_name, content).map_err(io_error)?;
    writer.identity(source, shape, bom).map_err(io_error)
}

/// What the merge wrote of a file the kernel copied: its first `keep`
/// bytes, measured here (or taken from the cache).
///
/// # Errors
///
/// The file cannot be read, or is no longer the one the merge copied.
fn measure_file(path: &Path, prepared: &Prepared, options: &SourceMapOptions) -> Result<Measured> {
    let cache = options.cache.as_ref();
    if let (Some(cache), Some(stamp)) = (cache, prepared.stamp)
        && let Some(measured) = cache.measured(path, stamp)
    {
        return Ok(measured);
    }
    let reading = |e: std::io::Error| Error::io(e).reading(path);
    let file = File::open(path).map_err(reading)?;
    let stamp = Stamp::of(&file.metadata().map_err(reading)?);
    if prepared.stamp.is_some_and(|listed| listed != stamp) {
        return Err(
            Error::new(ErrorKind::InvalidData, "the file changed while it was read").reading(path),
        );
    }
    let len = prepared.keep.unwrap_or(stamp.size()).min(stamp.size());
    let mut shape = TextShape::default();
    let mut head = Vec::with_capacity(3);
    let mut block = vec![0; 256 * 1024];
    let mut offset = 0;
    while offset < len {
        let want = (len - offset).min(block.len() as u64) as usize;
        file.read_exact_at(&mut block[..want], offset)
            .map_err(reading)?;
        if head.len() < 3 {
            head.extend_from_slice(&block[..want.min(3 - head.len())]);
        }
        shape.push(&block[..want]);
        offset += want as u64;
    }
    let measured = Measured {
        shape,
        bom: head == b"\xEF\xBB\xBF",
    };
    if let Some(cache) = cache {
        cache.keep_measured(path, stamp, measured);
    }
    Ok(measured)
}

/// Bytes as text, invalid UTF-8 replaced, without a BOM.
fn text_of(bytes: Vec<u8>) -> String {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    };
    match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    }
}

/// An input's own map made ready to compose: its sources as the bundle's
/// map names them, their contents and its names as JSON, its mappings
/// encoded. Kept in the cache, for the next merge of an unchanged input.
#[derive(Debug)]
pub(crate) struct ComposedInput {
    map: InputMap,
    sources: Vec<String>,
    contents: Vec<Option<std::sync::Arc<[u8]>>>,
    names: Vec<u8>,
    names_count: u64,
    encoded: EncodedInput,
}

/// What identifies a composed input: the input, its map's file, what was
/// written of it, and the options that change how it is made ready.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ComposedKey {
    input: Option<Stamp>,
    map: Option<Stamp>,
    keep: Option<u64>,
    shape: TextShape,
    bom: bool,
    base: PathBuf,
    sources_content: bool,
}

/// The input's map made ready to compose, from the cache when nothing it
/// depends on changed.
fn composed_input(
    input: &InputPart,
    shape: TextShape,
    bom: bool,
    url: &str,
    options: &SourceMapOptions,
) -> Result<std::sync::Arc<ComposedInput>> {
    let map = load(&input.path, url, input.prepared.stamp, options)?;
    let key = ComposedKey {
        input: input.prepared.stamp,
        map: map
            .file()
            .and_then(|file| std::fs::metadata(file).ok())
            .map(|meta| Stamp::of(&meta)),
        keep: input.prepared.keep,
        shape,
        bom,
        base: options.base.clone(),
        sources_content: options.sources_content,
    };
    if let Some(cache) = &options.cache
        && let Some(composed) = cache.composed(&input.path, &key)
    {
        return Ok(composed);
    }
    let mut sources = Vec::with_capacity(map.map().get_source_count() as usize);
    let mut contents = Vec::with_capacity(sources.capacity());
    for (index, source) in map.map().sources().enumerate() {
        let (name, path) = resolve(source, map.base(), &options.base);
        let content = if options.sources_content {
            let text = match (map.map().get_source_contents(index as u32), path) {
                (Some(text), _) => Some(Cow::Borrowed(text)),
                (None, Some(path)) => read_text(&path, None),
                (None, None) => None,
            };
            Some(match text {
                Some(text) => serde_json::to_vec(&*text)
                    .map_err(|e| Error::io(e.into()))?
                    .into(),
                None => std::sync::Arc::from(&b"null"[..]),
            })
        } else {
            None
        };
        sources.push(name);
        contents.push(content);
    }
    let (names, names_count) = names_json(map.map());
    let encoded = EncodedInput::encode(map.map(), content_shape(shape, bom));
    let composed = std::sync::Arc::new(ComposedInput {
        map,
        sources,
        contents,
        names,
        names_count,
        encoded,
    });
    if let Some(cache) = &options.cache {
        cache.keep_composed(&input.path, key, std::sync::Arc::clone(&composed));
    }
    Ok(composed)
}

/// The map `url` names, from the cache when its file did not change.
fn load(
    input: &Path,
    url: &str,
    stamp: Option<Stamp>,
    options: &SourceMapOptions,
) -> Result<InputMap> {
    let Some(cache) = &options.cache else {
        return InputMap::load(input, url);
    };
    let (key, stamp) = if url.starts_with("data:") {
        (input.to_path_buf(), stamp)
    } else {
        let path = map_path(input.parent().unwrap_or(Path::new("")), url)?;
        let stamp = std::fs::metadata(&path).ok().map(|m| Stamp::of(&m));
        (path, stamp)
    };
    if let Some(stamp) = stamp
        && let Some(map) = cache.map(&key, stamp)
    {
        return Ok(map);
    }
    let map = InputMap::load(input, url)?;
    if let Some(stamp) = stamp {
        cache.keep_map(&key, stamp, map.clone());
    }
    Ok(map)
}

/// A source of an input map as the bundle's map names it, and the file it
/// is, if it is one: URLs (`webpack://…`, `https://…`) stay as they are;
/// paths are resolved against the input map's directory, then made
/// relative to `base`.
fn resolve(source: &str, map_dir: &Path, base: &Path) -> (String, Option<PathBuf>) {
    let path = match source.strip_prefix("file://") {
        Some(path) => PathBuf::from(path),
        None if has_scheme(source) => return (source.to_string(), None),
        None => map_dir.join(source),
    };
    let path = absolute(&path);
    (relative(base, &path), Some(path))
}

/// The text of a file (its first `limit` bytes), invalid UTF-8 replaced;
/// `None` when it cannot be read.
fn read_text(path: &Path, limit: Option<u64>) -> Option<Cow<'static, str>> {
    let file = File::open(path).ok()?;
    let size = file.metadata().ok()?.len();
    let len = limit.map_or(size, |limit| limit.min(size));
    let mut bytes = vec![0; usize::try_from(len).ok()?];
    file.read_exact_at(&mut bytes, 0).ok()?;
    // A BOM is no part of the text a debugger shows.
    Some(Cow::Owned(text_of(bytes)))
}
