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

use crate::Writable;
use crate::fs::{AtomicFile, Entry, EntryKind};
use crate::sourcemap::cache::Stamp;
use crate::sourcemap::comment::MapComment;
use crate::sourcemap::input::{InputMap, has_scheme, map_path};
use crate::sourcemap::options::SourceMapOptions;
use crate::sourcemap::paths::{absolute, relative};
use crate::sourcemap::shape::TextShape;
use crate::sourcemap::writer::{EncodedInput, MapHead, MapWriter, content_shape, names_json};
use crate::{Error, ErrorKind, Result};

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
    prepared: Prepared,
    shape: TextShape,
    bom: bool,
}

/// What a merge needs to know of an input before copying it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Prepared {
    /// How many bytes of it go into the bundle: those before its
    /// `sourceMappingURL` comment; `None` for all.
    pub(crate) keep: Option<u64>,
    url: Option<String>,
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
    /// starts its thread.
    ///
    /// # Errors
    ///
    /// The map file cannot be created, naming it.
    pub(crate) fn start(options: &SourceMapOptions) -> Result<BundleMap> {
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
        std::thread::Builder::new()
            .name("smerge-sourcemap".into())
            .spawn(move || {
                let result = write_map(receiver, out, &thread_options);
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

    /// An input the merge wrote: `shape` and `bom` describe what it wrote.
    pub(crate) fn input(
        &mut self,
        entry: &Entry<'_>,
        prepared: Prepared,
        shape: TextShape,
        bom: bool,
    ) {
        self.pending.push(Part::Input(InputPart {
            path: entry.path().to_path_buf(),
            is_file: entry.kind() == EntryKind::File,
            prepared,
            shape,
            bom,
        }));
    }

    /// Hands the parts written since the last commit to the map's thread.
    ///
    /// # Errors
    ///
    /// The thread stopped: its error (a bad input map under `strict`, the
    /// map file failing).
    pub(crate) async fn commit(&mut self) -> Result<()> {
        for part in std::mem::take(&mut self.pending) {
            let parts = self.parts.as_ref().expect("the map is not finished");
            if parts.send(part).is_err() {
                // The thread stopped: its result says why.
                self.parts = None;
                return match self.wait().await {
                    Err(error) => Err(error),
                    Ok(_) => Err(Error::from_kind(ErrorKind::Aborted)),
                };
            }
        }
        Ok(())
    }

    /// Forgets the parts written since the last commit: they were cut back
    /// out of the output.
    pub(crate) fn discard(&mut self) {
        self.pending.clear();
    }

    async fn wait(&mut self) -> Result<Finished> {
        let done = self.done.take().expect("waited for once");
        done.await
            .unwrap_or_else(|_| Err(Error::new(ErrorKind::Aborted, "the source map thread died")))
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
        let mut ending = Ending {
            map_file: None,
            length: 0,
            sha256: None,
        };
        let mut hasher = hash.then(Sha256::new);
        let mut write = async |bytes: Bytes| -> Result<()> {
            if let Some(hasher) = hasher.as_mut() {
                hasher.update(&bytes);
            }
            ending.length += bytes.len() as u64;
            output.write_all(bytes).await
        };
        let newline = if finished.column > 0 { "\n" } else { "" };
        match finished.out {
            MapOut::File(file) => {
                if let Some((comment, end)) = self.options.comment.comment(&self.options.url) {
                    write(Bytes::from(format!("{newline}{comment}{end}"))).await?;
                }
                ending.map_file = Some(file);
            }
            MapOut::Inline(mut file) => {
                let url = "data:application/json;charset=utf-8;base64,";
                let style = match self.options.comment {
                    crate::sourcemap::CommentStyle::None => crate::sourcemap::CommentStyle::Js,
                    style => style,
                };
                let (comment, end) = style.comment(url).expect("a comment style");
                write(Bytes::from(format!("{newline}{comment}"))).await?;
                file.rewind().map_err(Error::io)?;
                // Whole groups of 3 bytes, so the pieces of base64 join up.
                let mut block = vec![0; 3 * 64 * 1024];
                loop {
                    let read = read_full(&mut file, &mut block).map_err(Error::io)?;
                    if read == 0 {
                        break;
                    }
                    let text = base64::engine::general_purpose::STANDARD.encode(&block[..read]);
                    write(Bytes::from(text)).await?;
                }
                write(Bytes::from_static(end.as_bytes())).await?;
            }
        }
        ending.sha256 = hasher.map(|h| h.finalize().into());
        Ok(ending)
    }
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
        let sink = BufWriter::with_capacity(256 * 1024, file);
        let mut writer = MapWriter::new(sink, &head).map_err(io_error)?;
        loop {
            match parts.blocking_recv() {
                Some(Part::Generated(text)) => writer.generated(&text).map_err(io_error)?,
                Some(Part::Input(input)) => write_input(&mut writer, input, options, &name)?,
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
    input: InputPart,
    options: &SourceMapOptions,
    name: &Path,
) -> Result<()> {
    let io_error = |e: std::io::Error| Error::io(e).writing(name);
    if let Some(url) = &input.prepared.url {
        match composed_input(&input, url, options) {
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
                        input.bom,
                    )
                    .map_err(io_error);
            }
            Err(error) => {
                let error = error.about_path("reading the source map of", &input.path);
                if options.strict {
                    return Err(error);
                }
                if let Some(warn) = &options.on_warning {
                    (warn.0)(&error);
                }
            }
        }
    }
    let source_name = if input.is_file {
        relative(&options.base, &input.path)
    } else {
        input.path.to_string_lossy().into_owned()
    };
    let keep = input.prepared.keep;
    let content = || {
        input
            .is_file
            .then(|| read_text(&input.path, keep))
            .flatten()
    };
    let source = writer.source(&source_name, content).map_err(io_error)?;
    writer
        .identity(source, input.shape, input.bom)
        .map_err(io_error)
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
        shape: input.shape,
        bom: input.bom,
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
    let encoded = EncodedInput::encode(map.map(), content_shape(input.shape, input.bom));
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
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    };
    // A BOM is no part of the text a debugger shows.
    Some(Cow::Owned(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    }))
}
