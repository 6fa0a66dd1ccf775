//! The stream path of a merge: the files of a listing, one after the other,
//! each read through its stages and written into one writable; [`merge`]
//! is its public face.

use std::future::poll_fn;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::Duplex;
use crate::Event;
use crate::fs::{Entry, EntryKind, FileSource, Listing, readable_of};
use crate::merge::manifest::{ManifestWriter, SkippedInput};
use crate::merge::opener::InputOpener;
use crate::merge::options::{BomMode, MergeOptions};
use crate::merge::output::Rewind;
use crate::merge::record::{PartKind, PartRecord, sha256};
use crate::merge::report::{MergePath, MergeReport};
use crate::merge::stage::{InputContext, InputStage};
use crate::merge::warning::{Warning, WarningKind, Warnings};
use crate::transforms::{Codec, Decompress, Eol, StripBom};
use crate::{Error, Result};
use crate::{Pipeline, Writable};
use crate::{Readable, ReadableExt, ReadableStream};

/// Something that happened during a merge, for progress displays and
/// whoever follows the output part by part.
#[derive(Debug)]
#[non_exhaustive]
pub enum MergeEvent<'a> {
    /// The merge started reading `entry`.
    FileStarted {
        /// The input.
        entry: &'a Entry<'a>,
    },
    /// This many more bytes were read from the inputs (before any
    /// decompression).
    BytesRead(u64),
    /// `entry` could not be read and was skipped (`keep_going`).
    Skipped {
        /// The input.
        entry: &'a Entry<'a>,
        /// Why.
        error: &'a Error,
    },
    /// A part of the output is complete (stream path only): an input's
    /// content, a header, a separator... Parts that an input failing under
    /// `keep_going` wrote and that were cut back out are not reported.
    Part(&'a PartRecord),
}

/// A callback receiving [`MergeEvent`]s; it runs on the merge's task (or a
/// copying thread), so it must be quick.
pub type MergeCallback = Arc<dyn Fn(&MergeEvent<'_>) + Send + Sync>;

/// Merges the entries of `listing`, in order, into `output` on the stream path, then ends
/// it and waits for it to finish (an atomic file is renamed over its target
/// then).
///
/// Each file is its own [`Readable`], with its text fixes as transforms;
/// its chunks are written into `output` one after the other, with the
/// banner, headers, separators and footer between them.
///
/// This is the stream path alone, into a writable you opened. Prefer
/// [`Merge`](crate::merge::Merge), which chooses the kernel's copy when it
/// can, compresses by the output's extension, writes manifests, and cuts a
/// failed input back out of a regular output file.
///
/// # Errors
///
/// The first failure, naming the file: an input that cannot be read (unless
/// [`keep_going`](MergeOptions::keep_going)), one that changed size while
/// it was read (unless [`allow_changing`](MergeOptions::allow_changing)),
/// or the output failing. `output` is then left unfinished: dropping it
/// discards an atomic file.
///
/// # Examples
///
/// ```
/// use smerge::fs::{AtomicFileSink, Listing};
/// use smerge::merge::{merge, MergeOptions};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// # let dir = tempfile::tempdir()?;
/// # std::fs::create_dir(dir.path().join("scripts"))?;
/// # std::fs::write(dir.path().join("scripts/b.js"), "b();\n")?;
/// # std::fs::write(dir.path().join("scripts/a.js"), "a();")?;
/// # let scripts = dir.path().join("scripts");
/// # let bundle = dir.path().join("bundle.js");
/// let listing = Listing::builder().input(&scripts).build()?;
/// let mut options = MergeOptions::default();
/// options.ensure_newline = true;
/// let mut output = AtomicFileSink::create(&bundle)?.into_writable();
/// merge(&listing, &options, &mut output, None).await?;
/// assert_eq!(std::fs::read_to_string(&bundle)?, "a();\nb();\n");
/// # Ok(())
/// # }
/// ```
pub async fn merge(
    listing: &Listing,
    options: &MergeOptions,
    output: &mut Writable<Bytes>,
    on_event: Option<MergeCallback>,
) -> Result<MergeReport> {
    let warnings = Warnings::new(false, None);
    let mut run = StreamMerge {
        options,
        warnings: &warnings,
        stages: &[],
        opener: None,
        recompressing: None,
        manifest: None,
        rewind: None,
        on_event,
        report: MergeReport::default(),
        pending: Vec::new(),
        #[cfg(feature = "source-map")]
        map: MapHook::start(options)?,
    };
    run.run(listing, output).await?;
    let mut report = run.report;
    report.warnings = warnings.take();
    Ok(report)
}

/// Where a manifest is written as the merge goes, and its name for errors.
pub(crate) struct ManifestSink {
    pub(crate) writer: ManifestWriter<Box<dyn Write + Send>>,
    pub(crate) name: PathBuf,
}

impl ManifestSink {
    pub(crate) fn part(&mut self, part: &PartRecord) -> Result<()> {
        self.writer.part(part).map_err(|e| e.writing(&self.name))
    }
}

/// One run of the stream path.
pub(crate) struct StreamMerge<'a> {
    pub(crate) options: &'a MergeOptions,
    pub(crate) warnings: &'a Warnings,
    pub(crate) stages: &'a [Arc<dyn InputStage>],
    pub(crate) opener: Option<&'a dyn InputOpener>,
    /// The output's codec, when inputs compressed already would be
    /// compressed again: the first such input gets a warning.
    pub(crate) recompressing: Option<Codec>,
    pub(crate) manifest: Option<&'a mut ManifestSink>,
    /// The output as a regular file, to cut a failed input back out.
    pub(crate) rewind: Option<Rewind>,
    pub(crate) on_event: Option<MergeCallback>,
    /// What was done so far; `report.bytes` is where the next part starts.
    pub(crate) report: MergeReport,
    /// The parts of the input under way, reported when it is complete.
    pub(crate) pending: Vec<PartRecord>,
    /// The source map written beside the output, and what the input under
    /// way needs of it.
    #[cfg(feature = "source-map")]
    pub(crate) map: Option<MapHook>,
}

/// A merge's source map, as the stream path drives it.
#[cfg(feature = "source-map")]
#[derive(Debug)]
pub(crate) struct MapHook {
    map: crate::sourcemap::BundleMap,
    /// The input under way: where its `sourceMappingURL` comment is.
    prepared: Option<crate::sourcemap::Prepared>,
    /// What was written of it.
    measured: Option<Arc<std::sync::Mutex<crate::sourcemap::Measured>>>,
}

#[cfg(feature = "source-map")]
impl MapHook {
    /// The hook for `options`, when they ask for a map.
    pub(crate) fn start(options: &MergeOptions) -> Result<Option<MapHook>> {
        let Some(map) = options.source_map.as_ref() else {
            return Ok(None);
        };
        Ok(Some(MapHook {
            map: crate::sourcemap::BundleMap::start(map)?,
            prepared: None,
            measured: None,
        }))
    }
}

/// Why copying an input stopped.
enum Failure {
    /// The input (or one of its stages) failed: skipped under `keep_going`.
    Input(Error),
    /// The output failed: the merge stops.
    Output(Error),
}

/// What passed into the output for one part.
#[derive(Default)]
struct Meter {
    hasher: Option<Sha256>,
    length: u64,
    last_byte: Option<u8>,
}

impl Meter {
    fn new(hash: bool) -> Meter {
        Meter {
            hasher: hash.then(Sha256::new),
            ..Meter::default()
        }
    }

    fn update(&mut self, chunk: &[u8]) {
        if let Some(hasher) = self.hasher.as_mut() {
            hasher.update(chunk);
        }
        self.length += chunk.len() as u64;
        if let Some(&last) = chunk.last() {
            self.last_byte = Some(last);
        }
    }

    fn digest(&mut self) -> Option<[u8; 32]> {
        self.hasher.take().map(|h| h.finalize().into())
    }
}

impl StreamMerge<'_> {
    /// Writes every input and the texts around them, then closes `output`.
    pub(crate) async fn run(
        &mut self,
        listing: &Listing,
        output: &mut Writable<Bytes>,
    ) -> Result<()> {
        self.report.path = Some(MergePath::Stream);
        let options = self.options;
        if let Some(banner) = &options.banner {
            let banner = self.text(banner);
            self.write_part(output, PartKind::Banner, None, banner)
                .await?;
            self.commit_pending().await?;
        }
        let count = listing.len();
        let objects = ObjectInputs::new(listing);
        for (index, entry) in listing.entries().enumerate() {
            let entry = &entry;
            self.merge_input(entry, index, count, &objects, output)
                .await?;
        }
        if let Some(footer) = &options.footer {
            let footer = self.text(footer);
            self.write_part(output, PartKind::Footer, None, footer)
                .await?;
            self.commit_pending().await?;
        }
        #[cfg(feature = "source-map")]
        if let Some(hook) = self.map.take() {
            let ending = hook.map.finish(output, self.hashes()).await?;
            self.push_record(
                PartKind::SourceMapComment,
                None,
                ending.length,
                ending.sha256,
            );
            self.commit_pending().await?;
            // The map is in place before the output that names it.
            if let Some(map_file) = ending.map_file {
                map_file.commit()?;
            }
        }
        output.close().await
    }

    /// Merges one input, with its separator and header; under
    /// `keep_going`, an input that fails is skipped.
    async fn merge_input(
        &mut self,
        entry: &Entry<'_>,
        index: usize,
        count: usize,
        objects: &ObjectInputs,
        output: &mut Writable<Bytes>,
    ) -> Result<()> {
        let start = self.report.bytes;
        #[cfg(feature = "source-map")]
        if let Some(hook) = self.map.as_mut() {
            // A compressed input's comment cannot be found in its bytes.
            hook.prepared = match self.options.decompress {
                true => Some(Default::default()),
                false => match hook.map.prepare(entry) {
                    Ok(prepared) => Some(prepared),
                    Err(error) if self.options.keep_going => return self.skip(entry, error, None),
                    Err(error) => return Err(error),
                },
            };
        }
        // A FIFO is waited for here, without holding up the runtime (unless
        // an opener of the caller's may take it).
        let stream = match entry.kind() {
            EntryKind::Stream if self.opener.is_none() => Some(entry.open_waiting().await),
            _ => None,
        };
        let source = match self.open(entry, count, objects, stream) {
            Ok(source) => source,
            Err(error) if self.options.keep_going => return self.skip(entry, error, None),
            Err(error) => return Err(error),
        };
        if self.report.inputs > 0
            && let Some(separator) = &self.options.separator
        {
            let separator = self.text(separator);
            self.write_part(output, PartKind::Separator, None, separator)
                .await?;
        }
        if let Some(header) = &self.options.header {
            let text = self.text(&header.render(entry, index, count));
            self.write_part(output, PartKind::Header, Some(entry), text)
                .await?;
        }
        self.emit(&MergeEvent::FileStarted { entry });
        #[cfg(feature = "source-map")]
        let source = self.measure(source);
        let mut meter = Meter::new(self.hashes());
        match self.copy(entry, source, &mut meter, output).await {
            Ok(()) => {}
            Err(Failure::Output(error)) => return Err(error),
            Err(Failure::Input(error)) if self.options.keep_going => {
                // Every byte the input gave is written before deciding.
                output.drained().await?;
                return match self.rewind.as_mut() {
                    Some(rewind) => {
                        rewind.cut(start)?;
                        let removed = self.report.bytes + meter.length - start;
                        self.report.bytes = start;
                        self.pending.clear();
                        #[cfg(feature = "source-map")]
                        if let Some(hook) = self.map.as_mut() {
                            hook.map.discard();
                        }
                        let what = format!("the {removed} bytes it added were cut back out");
                        self.skip(entry, error, Some(what))
                    }
                    None => {
                        let kept = meter.length;
                        self.record(PartKind::File, Some(entry), &mut meter);
                        self.map_input(entry);
                        self.commit_pending().await?;
                        let what =
                            format!("the {kept} bytes it gave before that stay in the output");
                        self.skip(entry, error, Some(what))
                    }
                };
            }
            Err(Failure::Input(error)) => return Err(error),
        }
        let last_byte = meter.last_byte;
        self.record(PartKind::File, Some(entry), &mut meter);
        self.map_input(entry);
        self.report.inputs += 1;
        if self.options.ensure_newline && last_byte.is_some_and(|b| b != b'\n') {
            let newline = self.line_ending();
            self.write_part(output, PartKind::Separator, None, newline)
                .await?;
        }
        self.commit_pending().await
    }

    /// Tells the source map what was written of `entry`.
    fn map_input(&mut self, entry: &Entry<'_>) {
        #[cfg(feature = "source-map")]
        if let Some(hook) = self.map.as_mut() {
            let prepared = hook.prepared.take().unwrap_or_default();
            let measured = hook
                .measured
                .take()
                .map(|m| *m.lock().expect("measure poisoned"))
                .unwrap_or_default();
            hook.map
                .input(entry, prepared, measured.shape, measured.bom);
        }
        #[cfg(not(feature = "source-map"))]
        let _ = entry;
    }

    /// Opens `entry` as a readable through its stages. Failing here is
    /// what `keep_going` skips before anything is written. A stream may
    /// come opened already (`stream`).
    fn open(
        &self,
        entry: &Entry<'_>,
        count: usize,
        objects: &ObjectInputs,
        stream: Option<Result<std::fs::File>>,
    ) -> Result<Pipeline<Bytes>> {
        let options = self.options;
        let opened = match self.opener {
            Some(opener) => opener.open(entry)?,
            None => None,
        };
        let mut readable = match opened {
            Some(readable) => readable,
            None => self.open_itself(entry, objects, stream)?,
        };
        if let Some(on_event) = &self.on_event {
            let on_event = Arc::clone(on_event);
            readable.observe(move |event| {
                if let Event::Data { size } = event {
                    on_event(&MergeEvent::BytesRead(*size as u64));
                }
            });
        }
        let mut chain = Pipeline::from_stream(readable);
        #[cfg(feature = "source-map")]
        if let Some(keep) = self
            .map
            .as_ref()
            .and_then(|hook| hook.prepared.as_ref())
            .and_then(|prepared| prepared.keep)
        {
            chain = chain.pipe(crate::sourcemap::Truncate::new(keep));
        }
        if options.decompress {
            // Corrupt data is reported as `reading FILE: gunzip: …`: the
            // file is the source's origin, the stage named after its codec
            // (`decompress` when the codec is found by its magic bytes).
            let name =
                Codec::from_extension(entry.path()).map_or("decompress", Codec::decompress_name);
            let decoder =
                Duplex::transform(decompressor(entry).with_memory_limit(options.memory_limit))
                    .named(name);
            chain = chain.pipe(decoder);
        }
        let strip_bom = match options.bom {
            BomMode::Keep => false,
            BomMode::Strip => true,
            BomMode::StripInner => self.report.inputs > 0,
        };
        if strip_bom {
            chain = chain.pipe(StripBom::new());
        }
        if let Some(ending) = options.eol {
            chain = chain.pipe(Eol::new(ending));
        }
        let context = InputContext {
            entry,
            position: self.report.inputs,
            count,
            warnings: self.warnings,
        };
        for stage in self.stages {
            if let Some(duplex) = stage.stage(&context)? {
                chain = chain.pipe(duplex);
            }
        }
        Ok(chain)
    }

    /// Puts the source map's measure last on an input's chain.
    #[cfg(feature = "source-map")]
    fn measure(&mut self, chain: Pipeline<Bytes>) -> Pipeline<Bytes> {
        match self.map.as_mut() {
            Some(hook) => {
                let (measure, measured) = crate::sourcemap::MeasureShape::new();
                hook.measured = Some(measured);
                chain.pipe(measure)
            }
            None => chain,
        }
    }

    /// Opens a file (pinned to what was listed, [`Entry::open`]),
    /// standard input, a stream or an object.
    fn open_itself(
        &self,
        entry: &Entry<'_>,
        objects: &ObjectInputs,
        stream: Option<Result<std::fs::File>>,
    ) -> Result<Readable<Bytes>> {
        Ok(match entry.kind() {
            EntryKind::File => {
                let mut source = FileSource::from_file(entry.open()?, entry.path())
                    .chunk_size(self.options.chunk_size);
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
                let file = match stream {
                    Some(opened) => opened?,
                    None => entry.open()?,
                };
                readable_of(file, entry.path())?.0
            }
            EntryKind::Object => objects.open(entry)?,
        })
    }

    /// Copies one input's chunks into `output`, measuring them.
    async fn copy(
        &mut self,
        entry: &Entry<'_>,
        mut chain: Pipeline<Bytes>,
        meter: &mut Meter,
        output: &mut Writable<Bytes>,
    ) -> Result<(), Failure> {
        while let Some(chunk) = poll_fn(|cx| chain.poll_next_chunk(cx)).await {
            let chunk = chunk.map_err(Failure::Input)?;
            if meter.length == 0 {
                self.check_compressed(entry, &chunk)
                    .map_err(Failure::Input)?;
            }
            meter.update(&chunk);
            output.write_all(chunk).await.map_err(Failure::Output)?;
        }
        Ok(())
    }

    /// Warns, once per merge, of an input that starts like compressed data
    /// when the output is compressed too: it would be compressed twice.
    fn check_compressed(&mut self, entry: &Entry<'_>, first: &[u8]) -> Result<()> {
        let Some(codec) = self.recompressing else {
            return Ok(());
        };
        let Some(found) = Codec::detect(first) else {
            return Ok(());
        };
        self.recompressing = None;
        self.warnings.warn(Warning::content(
            entry.path(),
            format!(
                "{found}-compressed data would be compressed again inside the {codec} output \
                 (merge with --decompress to merge its content)"
            ),
        ))
    }

    /// Skips `entry` for `error`; `what` says what became of its bytes.
    fn skip(&mut self, entry: &Entry<'_>, error: Error, what: Option<String>) -> Result<()> {
        self.emit(&MergeEvent::Skipped {
            entry,
            error: &error,
        });
        let message = match what {
            Some(what) => format!("skipping {error:#} ({what})"),
            None => format!("skipping {error:#}"),
        };
        self.warnings
            .warn(Warning::new(WarningKind::Skipped, message).about(entry.path()))?;
        self.report.skipped.push(SkippedInput::new(
            entry.relative_path(),
            entry.path(),
            &error,
        ));
        Ok(())
    }

    /// Whether parts are hashed: for a manifest.
    fn hashes(&self) -> bool {
        self.options.record_parts
    }

    /// A text the merge adds, with `eol`'s line endings.
    fn text(&self, text: &Bytes) -> Bytes {
        match self.options.eol {
            Some(ending) => Bytes::from(ending.convert(text)),
            None => text.clone(),
        }
    }

    /// The line ending `ensure_newline` adds.
    fn line_ending(&self) -> Bytes {
        let ending = self.options.eol.map_or(&b"\n"[..], |e| e.as_bytes());
        Bytes::from_static(ending)
    }

    fn emit(&self, event: &MergeEvent<'_>) {
        if let Some(on_event) = &self.on_event {
            on_event(event);
        }
    }

    async fn write_part(
        &mut self,
        output: &mut Writable<Bytes>,
        kind: PartKind,
        entry: Option<&Entry<'_>>,
        bytes: Bytes,
    ) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let digest = self.hashes().then(|| sha256(&bytes));
        self.push_record(kind, entry, bytes.len() as u64, digest);
        #[cfg(feature = "source-map")]
        if let Some(hook) = self.map.as_mut() {
            hook.map.generated(&bytes);
        }
        output.write_all(bytes).await
    }

    fn record(&mut self, kind: PartKind, entry: Option<&Entry<'_>>, meter: &mut Meter) {
        let digest = meter.digest();
        self.push_record(kind, entry, meter.length, digest);
    }

    fn push_record(
        &mut self,
        kind: PartKind,
        entry: Option<&Entry<'_>>,
        length: u64,
        sha256: Option<[u8; 32]>,
    ) {
        self.pending.push(PartRecord {
            kind,
            path: entry.map(|e| e.relative_path().to_path_buf()),
            source: entry.map(|e| e.path().to_path_buf()),
            offset: self.report.bytes,
            length,
            sha256,
            etag: entry
                .filter(|_| kind == PartKind::File)
                .and_then(Entry::etag)
                .map(str::to_owned),
        });
        self.report.bytes += length;
    }

    /// Reports the parts of a complete input (or text): to the manifest,
    /// to the callback, and to the source map.
    async fn commit_pending(&mut self) -> Result<()> {
        for part in std::mem::take(&mut self.pending) {
            if let Some(manifest) = self.manifest.as_deref_mut() {
                manifest.part(&part)?;
            }
            self.emit(&MergeEvent::Part(&part));
        }
        #[cfg(feature = "source-map")]
        if let Some(hook) = self.map.as_mut() {
            hook.map.commit().await?;
        }
        Ok(())
    }
}

/// The objects among a merge's entries: read ahead of the writer, in
/// order, when smerge is built with object storage.
#[cfg(feature = "object-store")]
struct ObjectInputs(Option<crate::object::ReadAhead>);

#[cfg(feature = "object-store")]
impl ObjectInputs {
    fn new(listing: &Listing) -> ObjectInputs {
        let any = listing.entries().any(|e| e.kind() == EntryKind::Object);
        ObjectInputs(any.then(|| crate::object::ReadAhead::new(listing.entries())))
    }

    fn open(&self, entry: &Entry<'_>) -> Result<Readable<Bytes>> {
        self.0
            .as_ref()
            .expect("made for every merge with objects")
            .open(entry)
    }
}

/// Without object storage, no listing has objects.
#[cfg(not(feature = "object-store"))]
struct ObjectInputs;

#[cfg(not(feature = "object-store"))]
impl ObjectInputs {
    fn new(_listing: &Listing) -> ObjectInputs {
        ObjectInputs
    }

    fn open(&self, entry: &Entry<'_>) -> Result<Readable<Bytes>> {
        Err(Error::new(
            crate::ErrorKind::InvalidArgument,
            "object storage is not in this build of smerge",
        )
        .reading(entry.path()))
    }
}

/// The decoder for one input of a `decompress` merge: by magic bytes, or
/// by the `.br` name for brotli, which has none.
fn decompressor(entry: &Entry<'_>) -> Decompress {
    match Codec::from_extension(entry.path()) {
        Some(Codec::Brotli) => Decompress::new(Codec::Brotli),
        _ => Decompress::detect(),
    }
}
