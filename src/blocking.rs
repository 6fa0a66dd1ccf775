//! Running a merge that reads its inputs with blocking `Read` calls — a
//! CSV parser, a JSON scanner, a k-way merge of logs, a seekable-bundle
//! writer — on a blocking thread, with its output streamed into the engine.
//!
//! [`open_input`] opens one [`Entry`] as a `Read`: a regular file directly,
//! an object through ranged GETs read ahead on the runtime, a compressed
//! input (with `decompress`) through the engine's [`Decompress`] stage.
//! [`ChunkWriter`] is the `Write` such a merge writes into: it cuts the
//! output into chunks, records parts for a manifest, and hands the chunks
//! to [`produce`]'s readable through a bounded channel, so a slow output
//! holds the producer back.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::Duplex;
use crate::Pipeline;
use crate::Readable;
use crate::fs::{Entry, EntryKind, FileSource};
use crate::merge::{
    MergeCallback, MergeEvent, MergeOptions, PartKind, PartRecord, SkippedInput, Warning,
    WarningKind, Warnings,
};
use crate::transforms::{Codec, Decompress};
use crate::{Error, ErrorKind, Result};
use crate::{ReadableExt, Writable};

/// The size of the chunks a [`ChunkWriter`] sends.
const CHUNK_SIZE: usize = 128 * 1024;

/// How many chunks may wait between the producer and the output.
const CHANNEL_DEPTH: usize = 8;

/// How many bytes of the objects a merge reads may be fetched ahead of it.
const OBJECT_READ_AHEAD: usize = 32 * 1024 * 1024;

/// One opened input of a blocking merge.
pub(crate) struct Input {
    /// The bytes, decompressed if asked.
    pub(crate) reader: Box<dyn Read + Send>,
    /// The open file when the bytes are the file's own (not decompressed,
    /// a regular file): what kernel copies read from.
    pub(crate) file: Option<Arc<File>>,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input").field("file", &self.file).finish()
    }
}

/// Opens the inputs of a blocking merge, reporting progress and, under
/// `keep_going`, skipping those that cannot be opened.
#[derive(Clone)]
pub(crate) struct Opener {
    pub(crate) decompress: bool,
    /// The memory each decoder may use.
    pub(crate) memory_limit: u64,
    pub(crate) allow_changing: bool,
    pub(crate) keep_going: bool,
    /// How many bytes of each object may be fetched ahead of its reader.
    pub(crate) object_read_ahead: usize,
    pub(crate) warnings: Warnings,
    pub(crate) on_event: Option<MergeCallback>,
    pub(crate) handle: Handle,
}

impl Opener {
    /// An opener for a merge with `options`, on the current runtime.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub(crate) fn new(
        options: &MergeOptions,
        warnings: &Warnings,
        on_event: Option<MergeCallback>,
    ) -> Opener {
        Opener {
            decompress: options.decompress,
            memory_limit: options.memory_limit,
            allow_changing: options.allow_changing,
            keep_going: options.keep_going,
            object_read_ahead: OBJECT_READ_AHEAD,
            warnings: warnings.clone(),
            on_event,
            handle: Handle::current(),
        }
    }

    /// This opener for a merge that reads `objects` objects at once: they
    /// share the read-ahead (each keeps at least a small one of its own).
    #[cfg(feature = "interleave")]
    pub(crate) fn reading_at_once(mut self, objects: usize) -> Opener {
        self.object_read_ahead = OBJECT_READ_AHEAD / objects.max(1);
        self
    }

    /// A problem with an input's content (a bad row, a line that is not
    /// JSON): an error naming the file, or under `keep_going` a warning,
    /// and the merge goes on without it (unless the warnings are strict).
    #[cfg(feature = "formats")]
    pub(crate) fn content_problem(&self, path: &Path, message: String) -> Result<()> {
        if !self.keep_going {
            return Err(Error::new(ErrorKind::InvalidData, message).reading(path));
        }
        self.warnings.warn(Warning::content(path, message))
    }

    /// Opens `entry`; under `keep_going`, an input that cannot be opened is
    /// reported, added to `skipped`, and `None` returned.
    ///
    /// # Errors
    ///
    /// The failure to open it, naming it, without `keep_going`.
    pub(crate) fn open(
        &self,
        entry: &Entry<'_>,
        skipped: &mut Vec<SkippedInput>,
    ) -> Result<Option<Input>> {
        let decompress = self.decompress.then_some(self.memory_limit);
        let opened = open_input(
            entry,
            decompress,
            self.allow_changing,
            self.object_read_ahead,
            &self.handle,
        );
        match opened {
            Ok(mut input) => {
                if let Some(on_event) = &self.on_event {
                    on_event(&MergeEvent::FileStarted { entry });
                    input.reader = Box::new(Counting {
                        inner: input.reader,
                        on_event: Arc::clone(on_event),
                    });
                }
                Ok(Some(input))
            }
            Err(error) if self.keep_going => {
                if let Some(on_event) = &self.on_event {
                    on_event(&MergeEvent::Skipped {
                        entry,
                        error: &error,
                    });
                }
                self.warnings.warn(
                    Warning::new(WarningKind::Skipped, format!("skipping {error}"))
                        .about(entry.path()),
                )?;
                skipped.push(SkippedInput::new(
                    entry.relative_path(),
                    entry.path(),
                    &error,
                ));
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }
}

impl std::fmt::Debug for Opener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opener")
            .field("decompress", &self.decompress)
            .field("keep_going", &self.keep_going)
            .finish_non_exhaustive()
    }
}

/// A reader that reports how much it read.
struct Counting {
    inner: Box<dyn Read + Send>,
    on_event: MergeCallback,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.on_event)(&MergeEvent::BytesRead(n as u64));
        Ok(n)
    }
}

/// Opens `entry` for a blocking read: decompressed through the engine's
/// [`Decompress`] when `decompress` (by magic number, or brotli by a `.br`
/// name), and checked against the size it was listed with unless
/// `allow_changing`. `handle` runs the decompressing stage, whose decoder
/// may use `decompress` bytes of memory (`None`: the input is read as it
/// is), and an object's GETs, fetched up to `read_ahead` bytes ahead of the
/// reader, each for the version listed. Files are opened pinned to what
/// was listed ([`Entry::open`]).
///
/// # Errors
///
/// The operating system's error, naming the file.
pub(crate) fn open_input(
    entry: &Entry<'_>,
    decompress: Option<u64>,
    allow_changing: bool,
    read_ahead: usize,
    handle: &Handle,
) -> Result<Input> {
    let path = entry.path();
    if let Some(memory_limit) = decompress {
        let source = match entry.kind() {
            EntryKind::File => FileSource::from_file(entry.open()?, path).into_readable(),
            EntryKind::Stdin => Readable::from_reader(tokio::io::stdin()).named("standard input"),
            EntryKind::Stream => {
                let _guard = handle.enter();
                Readable::from_reader(tokio::fs::File::from_std(entry.open()?))
            }
            EntryKind::Object => read_object(entry, read_ahead)?,
        };
        let decoder = match Codec::from_extension(path) {
            Some(Codec::Brotli) => Decompress::new(Codec::Brotli),
            _ => Decompress::detect(),
        }
        .with_memory_limit(memory_limit);
        let chain = Pipeline::from_stream(source)
            .pipe(Duplex::transform(decoder).named(format!("reading {}", crate::quote(path))));
        let reader = SyncIoBridge::new_with_handle(StreamReader::new(chain), handle.clone());
        return Ok(Input {
            reader: Box::new(NamedReader {
                inner: reader,
                path: path.to_path_buf(),
            }),
            file: None,
        });
    }
    match entry.kind() {
        EntryKind::Stdin => Ok(Input {
            reader: Box::new(NamedReader {
                inner: io::stdin(),
                path: "standard input".into(),
            }),
            file: None,
        }),
        EntryKind::Stream => Ok(Input {
            reader: Box::new(NamedReader {
                inner: entry.open()?,
                path: path.to_path_buf(),
            }),
            file: None,
        }),
        EntryKind::Object => {
            let source = read_object(entry, read_ahead)?.into_async_read();
            Ok(Input {
                reader: Box::new(NamedReader {
                    inner: SyncIoBridge::new_with_handle(source, handle.clone()),
                    path: path.to_path_buf(),
                }),
                file: None,
            })
        }
        EntryKind::File => {
            let file = Arc::new(entry.open()?);
            let expected = entry.size().filter(|&size| size > 0 && !allow_changing);
            Ok(Input {
                reader: Box::new(SizeChecked {
                    file: Arc::clone(&file),
                    path: path.to_path_buf(),
                    expected,
                    read: 0,
                }),
                file: Some(file),
            })
        }
    }
}

/// The bytes of the object `entry`, fetched up to `read_ahead` bytes ahead.
#[cfg(feature = "object-store")]
fn read_object(entry: &Entry<'_>, read_ahead: usize) -> Result<Readable<Bytes>> {
    crate::object::read_one(entry, read_ahead)
}

/// Without object storage, no listing has objects.
#[cfg(not(feature = "object-store"))]
fn read_object(entry: &Entry<'_>, _read_ahead: usize) -> Result<Readable<Bytes>> {
    Err(Error::new(
        ErrorKind::InvalidArgument,
        "object storage is not in this build of smerge",
    )
    .reading(entry.path()))
}

/// A reader whose errors name the file.
struct NamedReader<R> {
    inner: R,
    path: std::path::PathBuf,
}

impl<R: Read> Read for NamedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            let error = Error::io(e);
            if error.has_context() {
                error.into_io()
            } else {
                error.reading(&self.path).into_io()
            }
        })
    }
}

/// A file read to its end, which must then have the size it was listed with.
struct SizeChecked {
    file: Arc<File>,
    path: std::path::PathBuf,
    expected: Option<u64>,
    read: u64,
}

impl Read for SizeChecked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (&*self.file)
            .read(buf)
            .map_err(|e| Error::io(e).reading(&self.path).into_io())?;
        self.read += n as u64;
        if let Some(expected) = self.expected
            && (self.read > expected || (n == 0 && self.read < expected))
        {
            let how = if self.read > expected {
                "grew"
            } else {
                "shrank"
            };
            return Err(Error::new(
                ErrorKind::InvalidData,
                format!(
                    "the file {how} while it was read (it had {expected} bytes, {} were read)",
                    self.read
                ),
            )
            .reading(&self.path)
            .into_io());
        }
        Ok(n)
    }
}

/// Reads an io error back into smerge's [`Error`], naming `path` if it
/// does not say where it happened yet.
pub(crate) fn read_error(error: io::Error, path: &Path) -> Error {
    let error = Error::io(error);
    if error.has_context() {
        error
    } else {
        error.reading(path)
    }
}

/// The `Write` a blocking merge writes its output into.
///
/// Bytes are gathered into chunks of 128 KiB and sent to the readable made
/// by [`produce`]; a full channel blocks the writer (backpressure). Parts
/// are recorded with [`begin_part`](ChunkWriter::begin_part) and
/// [`end_part`](ChunkWriter::end_part) when asked, with their offsets,
/// lengths and SHA-256.
// Only format merges record parts; the others write one stream.
#[cfg_attr(not(feature = "formats"), allow(dead_code))]
pub(crate) struct ChunkWriter {
    sender: mpsc::Sender<Result<Bytes>>,
    buffer: BytesMut,
    position: u64,
    record_parts: bool,
    current: Option<OpenPart>,
    parts: Vec<PartRecord>,
}

struct OpenPart {
    kind: PartKind,
    path: Option<std::path::PathBuf>,
    source: Option<std::path::PathBuf>,
    offset: u64,
    hasher: Sha256,
}

impl std::fmt::Debug for ChunkWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkWriter")
            .field("position", &self.position)
            .finish_non_exhaustive()
    }
}

#[cfg_attr(not(feature = "formats"), allow(dead_code))]
impl ChunkWriter {
    /// How many bytes were written so far.
    pub(crate) fn position(&self) -> u64 {
        self.position
    }

    /// Starts a part of the output, from `entry` if it is an input's; the
    /// previous one, if any, ends here.
    pub(crate) fn begin_part(&mut self, kind: PartKind, entry: Option<&Entry<'_>>) {
        self.end_part();
        if self.record_parts {
            self.current = Some(OpenPart {
                kind,
                path: entry.map(|e| e.relative_path().to_path_buf()),
                source: entry.map(|e| e.path().to_path_buf()),
                offset: self.position,
                hasher: Sha256::new(),
            });
        }
    }

    /// Ends the current part, recording it if it is not empty.
    pub(crate) fn end_part(&mut self) {
        if let Some(part) = self.current.take() {
            let length = self.position - part.offset;
            if length > 0 {
                self.parts.push(PartRecord {
                    kind: part.kind,
                    path: part.path,
                    source: part.source,
                    offset: part.offset,
                    length,
                    sha256: Some(part.hasher.finalize().into()),
                    etag: None,
                });
            }
        }
    }

    /// The parts recorded, once the last one ended.
    pub(crate) fn take_parts(&mut self) -> Vec<PartRecord> {
        self.end_part();
        std::mem::take(&mut self.parts)
    }

    /// Writes `bytes` without copying them: what was gathered before is
    /// sent first, then `bytes` as a chunk of its own.
    #[cfg(feature = "formats")]
    pub(crate) fn write_bytes(&mut self, bytes: Bytes) -> io::Result<()> {
        if let Some(part) = &mut self.current {
            part.hasher.update(&bytes);
        }
        self.position += bytes.len() as u64;
        self.send()?;
        self.sender
            .blocking_send(Ok(bytes))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the output was closed"))
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = self.buffer.split().freeze();
        self.sender
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the output was closed"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(part) = &mut self.current {
            part.hasher.update(buf);
        }
        self.position += buf.len() as u64;
        if self.buffer.len() + buf.len() > CHUNK_SIZE && !self.buffer.is_empty() {
            self.send()?;
        }
        if buf.len() >= CHUNK_SIZE {
            return self
                .sender
                .blocking_send(Ok(Bytes::copy_from_slice(buf)))
                .map(|()| buf.len())
                .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the output was closed"));
        }
        if self.buffer.capacity() == 0 {
            self.buffer.reserve(CHUNK_SIZE);
        }
        self.buffer.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// Runs `work` on a blocking thread with a [`ChunkWriter`], pipes what it
/// writes into `output` and closes it; returns what `work` returned, the
/// parts it recorded and the number of bytes written.
///
/// # Errors
///
/// The first failure: `work`'s (its output then ends with the error, which
/// fails `output`), or the output's.
pub(crate) async fn produce<R, F>(
    output: &mut Writable<Bytes>,
    record_parts: bool,
    work: F,
) -> Result<(R, Vec<PartRecord>, u64)>
where
    R: Send + 'static,
    F: FnOnce(&mut ChunkWriter) -> Result<R> + Send + 'static,
{
    let (sender, mut receiver) = mpsc::channel::<Result<Bytes>>(CHANNEL_DEPTH);
    let task = tokio::task::spawn_blocking(move || {
        let mut writer = ChunkWriter {
            sender: sender.clone(),
            buffer: BytesMut::new(),
            position: 0,
            record_parts,
            current: None,
            parts: Vec::new(),
        };
        let outcome = work(&mut writer).and_then(|value| {
            writer.flush().map_err(Error::io)?;
            Ok(value)
        });
        match outcome {
            Ok(value) => Ok((value, writer.take_parts(), writer.position())),
            Err(error) => {
                // The output learns of the failure too, so it is not finished.
                let _ = sender.blocking_send(Err(error.clone()));
                Err(error)
            }
        }
    });
    let mut written: Result<()> = Ok(());
    while let Some(chunk) = receiver.recv().await {
        match chunk {
            Ok(chunk) => {
                if let Err(error) = output.write_all(chunk).await {
                    written = Err(error);
                    break;
                }
            }
            Err(_) => break,
        }
    }
    // Dropping the receiver unblocks a producer whose output failed.
    drop(receiver);
    let produced = match task.await {
        Ok(result) => result,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(error) => Err(Error::with_source(ErrorKind::Aborted, error)),
    };
    written?;
    let produced = produced?;
    output.close().await?;
    Ok(produced)
}
