//! [`merge`]: the files of a listing, one after the other, into one
//! writable — each piped with `end: false`, as Node merges files.

use std::sync::Arc;

use bytes::Bytes;

use crate::Duplex;
use crate::Event;
use crate::Pipeline;
use crate::Writable;
use crate::fs::{Entry, EntryKind, FileSource};
use crate::merge::options::{BomMode, MergeOptions};
use crate::merge::record::{PartKind, PartRecord, Tap, TapReading, sha256};
use crate::transforms::{Codec, Decompress, Eol, StripBom};
use crate::{Error, Result};
use crate::{PipeOptions, pipe};
use crate::{Readable, ReadableExt};

/// Something that happened during a [`merge`], for progress displays.
#[derive(Debug)]
#[non_exhaustive]
pub enum MergeEvent<'a> {
    /// The merge started reading `entry`.
    FileStarted {
        /// The input.
        entry: &'a Entry,
    },
    /// This many more bytes were read from the inputs.
    BytesRead(u64),
    /// `entry` could not be opened and was skipped (`keep_going`).
    Skipped {
        /// The input.
        entry: &'a Entry,
        /// Why.
        error: &'a Error,
    },
}

/// A callback receiving [`MergeEvent`]s; it runs on the merge's task, so it
/// must be quick.
pub type MergeCallback = Arc<dyn Fn(&MergeEvent<'_>) + Send + Sync>;

/// What a [`merge`] did.
#[derive(Clone, Debug, Default)]
pub struct MergeReport {
    /// Every part written, in order, when [`MergeOptions::record_parts`] is set.
    pub parts: Vec<PartRecord>,
    /// The inputs skipped because they could not be opened (`keep_going`).
    pub skipped: Vec<Error>,
    /// How many files were merged.
    pub files: usize,
    /// How many bytes were written, before any compression.
    pub bytes: u64,
}

/// Merges `entries`, in order, into `output`, then ends it and waits for it
/// to finish (an atomic file is renamed over its target then).
///
/// Each file is its own [`Readable`], with its text fixes as transforms,
/// piped into `output` with `end: false`; banner, headers, separators and
/// footer are written between the pipes.
///
/// # Errors
///
/// The first failure, naming the file: an input that cannot be read (unless
/// [`keep_going`](MergeOptions::keep_going) and it could not even be
/// opened), one that changed size while it was read (unless
/// [`allow_changing`](MergeOptions::allow_changing)), or the output failing.
/// `output` is then left unfinished: dropping it discards an atomic file.
pub async fn merge(
    entries: &[Entry],
    options: &MergeOptions,
    output: &mut Writable<Bytes>,
    on_event: Option<MergeCallback>,
) -> Result<MergeReport> {
    let mut run = Run {
        options,
        report: MergeReport::default(),
        on_event,
    };
    if let Some(banner) = &options.banner {
        run.write_part(output, PartKind::Banner, None, banner.clone())
            .await?;
    }
    let count = entries.len();
    for (index, entry) in entries.iter().enumerate() {
        let source = match run.open(entry) {
            Ok(source) => source,
            Err(error) if options.keep_going => {
                run.emit(&MergeEvent::Skipped {
                    entry,
                    error: &error,
                });
                run.report.skipped.push(error);
                continue;
            }
            Err(error) => return Err(error),
        };
        if run.report.files > 0
            && let Some(separator) = &options.separator
        {
            run.write_part(output, PartKind::Separator, None, separator.clone())
                .await?;
        }
        if let Some(header) = &options.header {
            let text = header.render(entry, index, count);
            run.write_part(output, PartKind::Header, Some(entry), text)
                .await?;
        }
        run.emit(&MergeEvent::FileStarted { entry });
        run.copy_file(entry, source, output).await?;
    }
    if let Some(footer) = &options.footer {
        run.write_part(output, PartKind::Footer, None, footer.clone())
            .await?;
    }
    output.close().await?;
    Ok(run.report)
}

/// The state of one merge.
struct Run<'a> {
    options: &'a MergeOptions,
    /// What was done so far; `report.bytes` is where the next part starts.
    report: MergeReport,
    on_event: Option<MergeCallback>,
}

impl Run<'_> {
    fn emit(&self, event: &MergeEvent<'_>) {
        if let Some(on_event) = &self.on_event {
            on_event(event);
        }
    }

    /// Opens `entry` as a readable. Failing here is what `keep_going` skips.
    fn open(&self, entry: &Entry) -> Result<Readable<Bytes>> {
        let mut readable = match entry.kind() {
            EntryKind::File => {
                let mut source =
                    FileSource::open(entry.path())?.chunk_size(self.options.chunk_size);
                match entry.size() {
                    // Files that report size 0 (like /proc) are read to their end.
                    Some(size) if size > 0 && !self.options.allow_changing => {
                        source = source.expect_size(size);
                    }
                    _ => {}
                }
                source.into_readable()
            }
            EntryKind::Stdin => Readable::from_reader(tokio::io::stdin()).named("standard input"),
            EntryKind::Stream => {
                let file = std::fs::File::open(entry.path())
                    .map_err(|e| Error::io(e).reading(entry.path()))?;
                Readable::from_reader(tokio::fs::File::from_std(file))
            }
        };
        if let Some(on_event) = &self.on_event {
            let on_event = Arc::clone(on_event);
            readable.observe(move |event| {
                if let Event::Data { size } = event {
                    on_event(&MergeEvent::BytesRead(*size as u64));
                }
            });
        }
        Ok(readable)
    }

    /// Pipes one file, through its text fixes, into `output`, leaving it open.
    async fn copy_file(
        &mut self,
        entry: &Entry,
        source: Readable<Bytes>,
        output: &mut Writable<Bytes>,
    ) -> Result<()> {
        let options = self.options;
        let mut chain = Pipeline::from_stream(source);
        if options.decompress {
            // Corrupt data is reported as `reading FILE: gunzip: …`: the
            // file is the source's origin, the stage named after its codec
            // (`decompress` when the codec is found by its magic bytes).
            let name =
                Codec::from_extension(entry.path()).map_or("decompress", Codec::decompress_name);
            let decoder = Duplex::transform(decompressor(entry)).named(name);
            chain = chain.pipe(decoder);
        }
        let strip_bom = match options.bom {
            BomMode::Keep => false,
            BomMode::Strip => true,
            BomMode::StripInner => self.report.files > 0,
        };
        if strip_bom {
            chain = chain.pipe(StripBom::new());
        }
        if let Some(ending) = options.eol {
            chain = chain.pipe(Eol::new(ending));
        }
        let (tap, reading) = Tap::new(options.record_parts);
        let mut chain = chain.pipe(tap);
        pipe(&mut chain, output, PipeOptions::keep_open()).await?;
        let reading: TapReading =
            std::mem::take(&mut *reading.lock().expect("tap reading poisoned"));
        self.record(PartKind::File, Some(entry), reading.length, reading.sha256);
        self.report.files += 1;
        if options.ensure_newline && reading.last_byte.is_some_and(|b| b != b'\n') {
            self.write_part(output, PartKind::Separator, None, Bytes::from_static(b"\n"))
                .await?;
        }
        Ok(())
    }

    async fn write_part(
        &mut self,
        output: &mut Writable<Bytes>,
        kind: PartKind,
        entry: Option<&Entry>,
        bytes: Bytes,
    ) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let digest = self.options.record_parts.then(|| sha256(&bytes));
        self.record(kind, entry, bytes.len() as u64, digest);
        output.write_all(bytes).await
    }

    fn record(
        &mut self,
        kind: PartKind,
        entry: Option<&Entry>,
        length: u64,
        sha256: Option<[u8; 32]>,
    ) {
        if let Some(sha256) = sha256 {
            self.report.parts.push(PartRecord {
                kind,
                path: entry.map(|e| e.path().to_path_buf()),
                offset: self.report.bytes,
                length,
                sha256,
            });
        }
        self.report.bytes += length;
    }
}

/// The decoder for one input of a `decompress` merge: by magic bytes, or
/// by the `.br` name for brotli, which has none.
fn decompressor(entry: &Entry) -> Decompress {
    match Codec::from_extension(entry.path()) {
        Some(Codec::Brotli) => Decompress::new(Codec::Brotli),
        _ => Decompress::detect(),
    }
}
