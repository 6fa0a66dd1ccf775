//! [`Merge`]: one merge, from its inputs, options and output to its
//! report — the library's entry point, which decides how the merge runs.

use std::fmt;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use bytes::Bytes;

#[cfg(feature = "data")]
use crate::data::DataMerge;
use crate::fs::{AtomicFile, Entries, FileId, Listing, ListingBuilder};
use crate::merge::fast::{
    PlainOutput, can_merge_plain, merge_plain_closing, plain_content_options, plain_entries,
    plain_options, plain_with_map,
};
use crate::merge::manifest::{ManifestWriter, SkippedInput};
use crate::merge::opener::InputOpener;
use crate::merge::options::MergeOptions;
use crate::merge::output::{Output, PlainMergeFuture, sync_plain};
use crate::merge::report::{MergePath, MergeReport, PlanSummary, PlannedInput};
use crate::merge::run::{ManifestSink, MergeCallback, MergeEvent, StreamMerge};
use crate::merge::sniff::all_compressed_with;
use crate::merge::stage::InputStage;
use crate::merge::warning::{Warning, WarningCallback, WarningKind, Warnings};
use crate::transforms::{Codec, Compress};
use crate::{Error, ErrorKind, Result};
use crate::{TransformSink, Writable};

/// Whether and how a merge compresses its output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compression {
    /// By the output's extension (`.gz`, `.zst`, `.br`, `.bz2`, `.xz`); no
    /// compression for other names and for standard output. The default.
    #[default]
    ByExtension,
    /// Never, whatever the output's name.
    Off,
    /// With this codec, whatever the output's name.
    With(Codec),
}

/// Where a merge writes its manifest (see [`manifest`](crate::merge::manifest)).
#[non_exhaustive]
pub enum ManifestOutput {
    /// A file, replaced atomically once the merge succeeded.
    Path(PathBuf),
    /// Standard output (`--manifest -`), written as the merge goes. The
    /// merge's own output must then go elsewhere.
    Stdout,
    /// Any writer, written as the merge goes; `name` names it in errors.
    Writer {
        /// The writer.
        writer: Box<dyn Write + Send>,
        /// Its name, for messages.
        name: PathBuf,
    },
}

impl ManifestOutput {
    /// `-` is standard output; any other path a file.
    pub fn path(path: impl Into<PathBuf>) -> ManifestOutput {
        let path = path.into();
        if path.as_os_str() == "-" {
            ManifestOutput::Stdout
        } else {
            ManifestOutput::Path(path)
        }
    }
}

impl fmt::Debug for ManifestOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestOutput::Path(path) => f.debug_tuple("Path").field(path).finish(),
            ManifestOutput::Stdout => f.write_str("Stdout"),
            ManifestOutput::Writer { name, .. } => f
                .debug_struct("Writer")
                .field("name", name)
                .finish_non_exhaustive(),
        }
    }
}

/// The inputs of a merge: a listing still to make, or one already made.
#[derive(Debug)]
enum Inputs {
    Builder(ListingBuilder),
    Listed(Listing),
}

/// One merge: inputs, options and an output, run with [`run`](Merge::run).
///
/// `Merge` decides what a caller should not have to:
///
/// - **The path.** A plain merge (no content option, no manifest, regular
///   files of known size, an output file or a blocking pipe) takes the
///   kernel's copy ([`merge_plain`](crate::merge::merge_plain)); anything else the stream engine
///   ([`merge`](crate::merge::merge)). An [`OutputBackend`] may take a
///   plain merge over itself (a server-side compose). The
///   [report](MergeReport) means the same on every path.
/// - **The codec**, by the output's extension unless told otherwise
///   ([`Compression`]), at its default [level](Merge::level). When every
///   input is already compressed with that codec (and nothing changes the
///   bytes), the inputs are concatenated as they are, as
///   `cat *.gz > all.gz` does, with a note; a compressed input among others
///   gets a [`WarningKind::Content`] warning instead (when the merge reads
///   it), since it would be compressed twice.
/// - **Standard output** is inspected: a file or a blocking pipe gets the
///   kernel's copy, anything else the stream path.
/// - **The output is never an input**: the listing skips it (or refuses an
///   input named as the output), also when it is standard output
///   redirected into an input directory.
/// - **Failed inputs** under [`keep_going`](MergeOptions::keep_going) are
///   skipped with a warning and listed in the report and the manifest; an
///   input that fails halfway (a truncated `.gz`) is cut back out of an
///   uncompressed output file, so it holds only whole inputs.
///
/// Warnings go to [`on_warning`](Merge::on_warning) as they are said and
/// into the report; under [`strict`](Merge::strict), warnings about input
/// content are errors. Nothing here exits the process or prints.
///
/// [`OutputBackend`]: crate::merge::OutputBackend
///
/// # Examples
///
/// ```
/// use smerge::fs::Listing;
/// use smerge::merge::{Merge, MergePath, Output};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// # let dir = tempfile::tempdir()?;
/// # std::fs::create_dir(dir.path().join("logs"))?;
/// # std::fs::write(dir.path().join("logs/2.log"), "second\n")?;
/// # std::fs::write(dir.path().join("logs/1.log"), "first\n")?;
/// # let logs = dir.path().join("logs");
/// # let (all, all_gz) = (dir.path().join("all.log"), dir.path().join("all.log.gz"));
/// let mut listing = Listing::builder();
/// listing.input(&logs);
///
/// // A plain merge into a file: the kernel's copy.
/// let report = Merge::new(Output::path(&all)).listing(listing.clone()).run().await?;
/// assert_eq!(std::fs::read_to_string(&all)?, "first\nsecond\n");
/// assert_eq!((report.path, report.inputs, report.bytes), (Some(MergePath::Kernel), 2, 13));
///
/// // The same into `.gz`: compressed by the extension, on the stream path.
/// let report = Merge::new(Output::path(&all_gz)).listing(listing).run().await?;
/// assert_eq!(report.codec, Some(smerge::transforms::Codec::Gzip));
/// assert_eq!(report.path, Some(MergePath::Stream));
/// # Ok(())
/// # }
/// ```
pub struct Merge {
    output: Output,
    inputs: Inputs,
    options: MergeOptions,
    compression: Compression,
    level: Option<u32>,
    threads: Option<usize>,
    manifest: Option<ManifestOutput>,
    strict: bool,
    sync: bool,
    stages: Vec<Arc<dyn InputStage>>,
    opener: Option<Arc<dyn InputOpener>>,
    #[cfg(feature = "data")]
    data: Option<DataMerge>,
    on_event: Option<MergeCallback>,
    on_warning: Option<WarningCallback>,
    /// The codec every object among the inputs starts with, as
    /// [`plan_async`](Merge::plan_async) found (objects are sniffed there).
    objects_codec: Option<Codec>,
}

impl Merge {
    /// A merge into `output`, with no inputs yet and the default options.
    pub fn new(output: Output) -> Merge {
        Merge {
            output,
            inputs: Inputs::Listed(Listing::default()),
            options: MergeOptions::default(),
            compression: Compression::ByExtension,
            level: None,
            threads: None,
            manifest: None,
            strict: false,
            sync: false,
            stages: Vec::new(),
            opener: None,
            #[cfg(feature = "data")]
            data: None,
            on_event: None,
            on_warning: None,
            objects_codec: None,
        }
    }

    /// Takes the inputs from `listing`, which the merge builds itself,
    /// after telling it the output so that it is never read; its warnings
    /// and problems become the merge's.
    pub fn listing(mut self, listing: ListingBuilder) -> Merge {
        self.inputs = Inputs::Builder(listing);
        self
    }

    /// Takes the inputs from a listing already made; its warnings and
    /// problems become the merge's. An entry that is the output file is
    /// skipped with a warning.
    pub fn listed(mut self, listing: Listing) -> Merge {
        self.inputs = Inputs::Listed(listing);
        self
    }

    /// Reads the inputs' content as a whole instead of copying them one
    /// after the other: a CSV or JSON join, a time-ordered interleave, a
    /// seekable bundle ([`DataMerge`]). The content options do not apply;
    /// compression (which a seekable bundle does itself), the manifest,
    /// `decompress`, `keep_going` and `strict` do.
    #[cfg(feature = "data")]
    pub fn data(mut self, data: DataMerge) -> Merge {
        self.data = Some(data);
        self
    }

    /// What goes around and between the inputs, and how failures are met.
    pub fn options(mut self, options: MergeOptions) -> Merge {
        self.options = options;
        self
    }

    /// Whether to compress the output (default: by its extension).
    pub fn compression(mut self, compression: Compression) -> Merge {
        self.compression = compression;
        self
    }

    /// The compression level (default: the codec's, as its command-line
    /// tool has it). Without a codec, [`plan`](Merge::plan) fails.
    pub fn level(mut self, level: u32) -> Merge {
        self.level = Some(level);
        self
    }

    /// How many threads gzip and zstd compress on (default: every core).
    pub fn threads(mut self, threads: usize) -> Merge {
        self.threads = Some(threads);
        self
    }

    /// Writes a manifest of every part (which takes the stream path, since
    /// every part is hashed).
    pub fn manifest(mut self, manifest: ManifestOutput) -> Merge {
        self.manifest = Some(manifest);
        self
    }

    /// Makes warnings about input content errors (default: no).
    pub fn strict(mut self, strict: bool) -> Merge {
        self.strict = strict;
        self
    }

    /// Flushes the output and the manifest to disk before the merge
    /// reports success (default: no, as `cp` does not): `fsync` of a file
    /// before it is renamed into place, and of its directory after (see
    /// [`AtomicOptions::sync`](crate::fs::AtomicOptions::sync)); a file
    /// written in place is flushed when the merge ends.
    pub fn sync(mut self, sync: bool) -> Merge {
        self.sync = sync;
        self
    }

    /// Adds a stage that every input goes through (see [`InputStage`]);
    /// stages apply in the order added.
    pub fn input_stage(mut self, stage: impl InputStage + 'static) -> Merge {
        self.stages.push(Arc::new(stage));
        self
    }

    /// Opens the inputs the merge cannot open itself (see [`InputOpener`]).
    pub fn input_opener(mut self, opener: impl InputOpener + 'static) -> Merge {
        self.opener = Some(Arc::new(opener));
        self
    }

    /// Hears the merge's progress ([`MergeEvent`](crate::merge::MergeEvent)s).
    pub fn on_event(mut self, callback: MergeCallback) -> Merge {
        self.on_event = Some(callback);
        self
    }

    /// Hears each warning as it is said (they are in the report too).
    pub fn on_warning(mut self, callback: WarningCallback) -> Merge {
        self.on_warning = Some(callback);
        self
    }

    /// [`plan`](Merge::plan), for inputs that may be objects: object URLs
    /// among the inputs of a [`listing`](Merge::listing) are listed by
    /// their service ([`build_async`](ListingBuilder::build_async)), and
    /// when the output is compressed, the first bytes of each object are
    /// read (one small ranged GET each, several at once) to tell whether it
    /// is compressed with the output's codec already, as the magic numbers
    /// of files are. [`run`](Merge::run) plans this way.
    ///
    /// # Errors
    ///
    /// As [`plan`](Merge::plan).
    #[cfg_attr(not(feature = "object-store"), allow(unused_mut))]
    pub async fn plan_async(mut self) -> Result<MergePlan> {
        self.check()?;
        #[cfg(feature = "object-store")]
        {
            if let Inputs::Builder(builder) = &mut self.inputs
                && builder
                    .input_paths()
                    .iter()
                    .any(crate::object::ObjectUrl::is_url_path)
            {
                if let Some(path) = self.output.local_path() {
                    builder.exclude_output(path);
                }
                self.inputs = Inputs::Listed(builder.build_async().await?);
            }
            #[cfg(feature = "data")]
            let reads_content = self.data.is_some();
            #[cfg(not(feature = "data"))]
            let reads_content = false;
            let may_concatenate = !reads_content
                && !self.options.decompress
                && !self.options.changes_content()
                && !self.stages.iter().any(|s| s.changes_content());
            if let (Some((codec, _)), Inputs::Listed(listing)) = (self.codec()?, &self.inputs)
                && may_concatenate
            {
                self.objects_codec =
                    crate::merge::sniff::objects_compressed_with(listing, codec).await;
            }
        }
        self.plan()
    }

    /// Lists the inputs and decides how the merge will run, writing
    /// nothing: what a dry run shows. [`MergePlan::run`] then runs it.
    /// Object inputs must be listed already ([`listed`](Merge::listed)),
    /// and are never taken for compressed: [`plan_async`](Merge::plan_async)
    /// lists and sniffs them.
    ///
    /// # Errors
    ///
    /// Before any warning is said: a level without a codec, a level out of
    /// the codec's range, the manifest and the output both on standard
    /// output. Then the listing's errors (bad patterns, no inputs, an input
    /// that is the output), an input that cannot be read (unless
    /// `keep_going`), and under `strict` a warning about input content.
    pub fn plan(self) -> Result<MergePlan> {
        let started = Instant::now();
        self.check()?;
        #[cfg(feature = "interleave")]
        if self.manifest.is_some() && matches!(self.data, Some(DataMerge::Interleave(_))) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "an interleaved merge has no manifest: the inputs' records alternate, so no input has a part of the output",
            ));
        }
        let codec = self.codec()?;
        let warnings = Warnings::new(self.strict, self.on_warning.clone());
        let mut options = self.options;
        options.record_parts |= self.manifest.is_some();
        let mut skipped = Vec::new();
        let mut listing = match self.inputs {
            Inputs::Builder(mut builder) => {
                if let Some(path) = self.output.local_path() {
                    builder.exclude_output(path);
                }
                builder.build()?
            }
            Inputs::Listed(listing) => listing,
        };
        for message in listing.warnings() {
            warnings.warn(Warning::new(WarningKind::Listing, message.clone()))?;
        }
        for problem in listing.problems() {
            let problem = problem.clone();
            if !options.keep_going {
                return Err(problem);
            }
            let path = problem.path().map(PathBuf::from).unwrap_or_default();
            warnings.warn(
                Warning::new(WarningKind::Skipped, format!("skipping {problem:#}")).about(&path),
            )?;
            skipped.push(SkippedInput::new(&path, &path, &problem));
        }
        without_output(&mut listing, &self.output, &warnings)?;
        let listing = Arc::new(listing);

        #[cfg(feature = "data")]
        let data = self.data;
        #[cfg(feature = "data")]
        let reads_content = data.is_some();
        #[cfg(not(feature = "data"))]
        let reads_content = false;
        let changes_content = reads_content
            || options.changes_content()
            || self.stages.iter().any(|s| s.changes_content());
        let mut already_compressed = None;
        let codec = match codec {
            Some((codec, _))
                if !options.decompress
                    && !changes_content
                    && all_compressed_with(&listing, codec, self.objects_codec) =>
            {
                warnings.warn(Warning::new(
                    WarningKind::Note,
                    format!(
                        "every input is {codec}-compressed already: concatenating them as they are"
                    ),
                ))?;
                if let Some(level) = self.level {
                    warnings.warn(Warning::new(
                        WarningKind::Option,
                        format!(
                            "compression level {level} ignored: the inputs are concatenated as they are, not compressed again"
                        ),
                    ))?;
                }
                already_compressed = Some(codec);
                None
            }
            other => other,
        };

        let mut output = self.output;
        // An output backend judges the entries itself (an object store
        // composes objects, which the kernel cannot copy), and records the
        // parts when asked to.
        let unchanged = codec.is_none() && !changes_content && plain_content_options(&options);
        let plain_content = unchanged && plain_options(&options);
        let plain = plain_content && can_merge_plain(&listing, &options);
        // A source map alone keeps the kernel's copy for the bundle.
        let mapped_plain = codec.is_none()
            && !reads_content
            && !self.stages.iter().any(|s| s.changes_content())
            && plain_with_map(&options)
            && plain_entries(&listing);
        let mut backend = None;
        let backend_manifest = self.manifest.is_some().then(BackendManifest::default);
        let backend_events = match &backend_manifest {
            Some(manifest) => Some(manifest.callback(self.on_event.clone())),
            None => self.on_event.clone(),
        };
        #[cfg(feature = "data")]
        let data_path = data.as_ref().map(DataMerge::path);
        #[cfg(not(feature = "data"))]
        let data_path = None;
        let path = if let Some(path) = data_path {
            path
        } else if mapped_plain {
            match output.takes_plain()? {
                true => MergePath::Kernel,
                false => MergePath::Stream,
            }
        } else if !unchanged {
            MergePath::Stream
        } else if let Some((path, future)) =
            output.backend_merge_plain(&listing, backend_events, options.record_parts)
        {
            backend = Some(future);
            path
        } else if !plain {
            MergePath::Stream
        } else if output.takes_plain()? {
            MergePath::Kernel
        } else {
            MergePath::Stream
        };
        Ok(MergePlan {
            output,
            listing,
            sync: self.sync,
            options,
            codec,
            threads: self.threads,
            already_compressed,
            path,
            backend,
            backend_manifest,
            manifest: self.manifest,
            stages: self.stages,
            opener: self.opener,
            #[cfg(feature = "data")]
            data,
            on_event: self.on_event,
            warnings,
            skipped,
            started,
        })
    }

    /// Plans the merge and runs it: [`plan`](Merge::plan) then
    /// [`MergePlan::run`].
    ///
    /// # Errors
    ///
    /// Those of both. The output is then as it was (an atomic file is not
    /// replaced; a manifest file neither).
    pub async fn run(self) -> Result<MergeReport> {
        self.plan_async().await?.run().await
    }

    /// Whether the merge writes to standard output, where a closed reader
    /// (`| head`) is no failure of the merge's.
    pub fn writes_stdout(&self) -> bool {
        matches!(self.output, Output::Stdout)
    }

    /// Checks the options that need no file system: a level needs a codec
    /// and must be in its range; the manifest and the output cannot both
    /// go to standard output. [`plan`](Merge::plan) checks them first too;
    /// call this to tell a mistake in the options from a failure of the
    /// merge.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`], saying which.
    pub fn check(&self) -> Result<()> {
        self.codec()?;
        if matches!(self.manifest, Some(ManifestOutput::Stdout))
            && matches!(self.output, Output::Stdout)
        {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the manifest and the output cannot both go to standard output",
            ));
        }
        Ok(())
    }

    /// The output's codec and level, checked.
    fn codec(&self) -> Result<Option<(Codec, u32)>> {
        let codec = match self.compression {
            Compression::Off => None,
            Compression::With(codec) => Some(codec),
            Compression::ByExtension => self
                .output
                .codec_name()
                .and_then(|name| Codec::from_extension(&name)),
        };
        match (codec, self.level) {
            (None, Some(_)) => Err(Error::new(
                ErrorKind::InvalidArgument,
                "a compression level needs a codec: choose one, or an output name \
                 ending in .gz .zst .br .bz2 .xz",
            )),
            (None, None) => Ok(None),
            (Some(codec), _) if !codec.is_available() => Err(codec.unavailable()),
            (Some(codec), level) => {
                let level = codec.check_level(level.unwrap_or_else(|| codec.default_level()))?;
                Ok(Some((codec, level)))
            }
        }
    }
}

impl fmt::Debug for Merge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Merge")
            .field("output", &self.output)
            .field("inputs", &self.inputs)
            .field("options", &self.options)
            .field("compression", &self.compression)
            .field("level", &self.level)
            .field("manifest", &self.manifest)
            .field("strict", &self.strict)
            .field("stages", &self.stages)
            .finish_non_exhaustive()
    }
}

/// Takes the output file out of `listing`, with a warning for each time
/// it was listed.
fn without_output(listing: &mut Listing, output: &Output, warnings: &Warnings) -> Result<()> {
    let Some(id) = output
        .local_path()
        .and_then(|path| std::fs::metadata(path).ok())
        .and_then(|metadata| FileId::of(&metadata))
    else {
        return Ok(());
    };
    let mut said = Ok(());
    listing.retain(|entry| {
        if entry.file_id() != Some(id) {
            return true;
        }
        if said.is_ok() {
            said = warnings.warn(Warning::new(
                WarningKind::Listing,
                format!(
                    "skipping {}: it is the output {}",
                    crate::quote(entry.path()),
                    output.display_name()
                ),
            ));
        }
        false
    });
    said
}

/// A merge whose inputs are listed and whose path is chosen, ready to
/// [`run`](MergePlan::run); what [`Merge::plan`] gives. Nothing is written
/// until it runs.
pub struct MergePlan {
    output: Output,
    listing: Arc<Listing>,
    sync: bool,
    options: MergeOptions,
    codec: Option<(Codec, u32)>,
    threads: Option<usize>,
    already_compressed: Option<Codec>,
    path: MergePath,
    backend: Option<PlainMergeFuture>,
    /// Where the parts an output backend emits are written, when the
    /// merge writes a manifest.
    backend_manifest: Option<BackendManifest>,
    manifest: Option<ManifestOutput>,
    stages: Vec<Arc<dyn InputStage>>,
    opener: Option<Arc<dyn InputOpener>>,
    #[cfg(feature = "data")]
    data: Option<DataMerge>,
    on_event: Option<MergeCallback>,
    warnings: Warnings,
    skipped: Vec<SkippedInput>,
    started: Instant,
}

impl MergePlan {
    /// The inputs, in order.
    pub fn entries(&self) -> Entries<'_> {
        self.listing.entries()
    }

    /// The listing of the inputs.
    pub fn listing(&self) -> &Listing {
        &self.listing
    }

    /// The sum of the sizes of the inputs whose size is known.
    pub fn total_size(&self) -> u64 {
        self.listing.total_size()
    }

    /// The path the merge will take.
    pub fn path(&self) -> MergePath {
        self.path
    }

    /// The codec and level the output will be compressed with.
    pub fn codec(&self) -> Option<(Codec, u32)> {
        self.codec
    }

    /// The codec of inputs that will be concatenated as they are.
    pub fn already_compressed(&self) -> Option<Codec> {
        self.already_compressed
    }

    /// The inputs that could not be listed and will be skipped.
    pub fn skipped(&self) -> &[SkippedInput] {
        &self.skipped
    }

    /// The plan as `smerge --dry-run --json` prints it.
    pub fn summary(&self) -> PlanSummary {
        let lossy = |path: &std::path::Path| path.to_string_lossy().into_owned();
        PlanSummary {
            inputs: self
                .listing
                .entries()
                .map(|entry| PlannedInput {
                    path: lossy(entry.relative_path()),
                    source: lossy(entry.path()),
                    size: entry.size(),
                })
                .collect(),
            total: self.total_size(),
            path: self.path,
            codec: self.codec.map(|(codec, _)| codec),
            level: self.codec.map(|(_, level)| level),
            already_compressed: self.already_compressed,
            skipped: self.skipped.clone(),
            warnings: self.warnings.said(),
        }
    }

    /// Runs the merge.
    ///
    /// # Errors
    ///
    /// The first failure, naming the file: an input that cannot be read
    /// (unless `keep_going`), one that changed size while read (unless
    /// `allow_changing`), the output or the manifest failing, and under
    /// `strict` a warning about input content. The output and the
    /// manifest file are then as they were.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub async fn run(self) -> Result<MergeReport> {
        let MergePlan {
            output,
            listing,
            sync,
            options,
            codec,
            threads,
            already_compressed,
            path,
            backend,
            backend_manifest,
            manifest,
            stages,
            opener,
            #[cfg(feature = "data")]
            data,
            on_event,
            warnings,
            skipped,
            started,
        } = self;
        let mut report = match (path, backend) {
            (_, Some(future)) => match (manifest, backend_manifest) {
                (Some(manifest), Some(parts)) => {
                    let (sink, file) = open_manifest(manifest, &output.name(), sync).await?;
                    parts.start(sink);
                    let report = future.await?;
                    let ManifestSink { writer, name } = parts.finish()?;
                    writer
                        .finish(&report.skipped)
                        .map_err(|e| e.writing(&name))?;
                    if let Some(file) = file {
                        file.commit()?;
                    }
                    report
                }
                _ => future.await?,
            },
            #[cfg(feature = "data")]
            (_, None) if data.is_some() => {
                let data = data.expect("checked");
                let name = output.name();
                let (mut writable, _) = output.open_stream(sync).await?;
                if let Some((codec, level)) = codec.filter(|_| !data.compresses()) {
                    writable = compressing(writable, codec, level, threads)?;
                }
                let mut manifest = match manifest {
                    Some(manifest) => Some(open_manifest(manifest, &name, sync).await?),
                    None => None,
                };
                let done = data
                    .run(
                        &listing,
                        &options,
                        &warnings,
                        &mut writable,
                        codec,
                        &name,
                        on_event,
                    )
                    .await?;
                let mut report = MergeReport {
                    inputs: done.inputs,
                    bytes: done.bytes,
                    skipped,
                    ..MergeReport::default()
                };
                report.skipped.extend(done.skipped);
                if let Some((mut sink, file)) = manifest.take() {
                    for part in &done.parts {
                        sink.writer
                            .manifest_part(part)
                            .map_err(|e| e.writing(&sink.name))?;
                    }
                    sink.writer
                        .finish(&report.skipped)
                        .map_err(|e| e.writing(&sink.name))?;
                    if let Some(file) = file {
                        file.commit()?;
                    }
                }
                report
            }
            (MergePath::Kernel, None) => {
                let plain = output.open_plain(sync).await?;
                let open = match &plain {
                    PlainOutput::Open { file, name } => Some((
                        file.try_clone().map_err(|e| Error::io(e).writing(name))?,
                        name.clone(),
                    )),
                    PlainOutput::Atomic(_) => None,
                };
                // A source map: the inputs' own comments are cut, the map
                // is made while the kernel copies, and its comment ends
                // the output.
                #[cfg(feature = "source-map")]
                let closing = match &options.source_map {
                    Some(map) => Some(crate::sourcemap::plain_closing(&listing, map, &warnings)?),
                    None => None,
                };
                #[cfg(not(feature = "source-map"))]
                let closing = None;
                let report = merge_plain_closing(listing, plain, on_event, closing).await?;
                if let Some((file, name)) = open {
                    sync_plain(&file, &name, sync)?;
                }
                report
            }
            (_, None) => {
                let name = output.name();
                let (mut writable, mut rewind) = output.open_stream(sync).await?;
                if let Some((codec, level)) = codec {
                    writable = compressing(writable, codec, level, threads)?;
                    rewind = None;
                }
                let mut manifest = match manifest {
                    Some(manifest) => Some(open_manifest(manifest, &name, sync).await?),
                    None => None,
                };
                let mut run = StreamMerge {
                    options: &options,
                    warnings: &warnings,
                    stages: &stages,
                    opener: opener.as_deref(),
                    recompressing: codec
                        .map(|(codec, _)| codec)
                        .filter(|_| !options.decompress),
                    manifest: manifest.as_mut().map(|(sink, _)| sink),
                    rewind,
                    on_event,
                    report: MergeReport::default(),
                    pending: Vec::new(),
                    #[cfg(feature = "source-map")]
                    map: crate::merge::run::MapHook::start(&options, &warnings)?,
                };
                run.report.skipped = skipped;
                run.run(&listing, &mut writable).await?;
                let report = run.report;
                if let Some((sink, file)) = manifest {
                    let ManifestSink { writer, name } = sink;
                    writer
                        .finish(&report.skipped)
                        .map_err(|e| e.writing(&name))?;
                    if let Some(file) = file {
                        file.commit()?;
                    }
                }
                report
            }
        };
        report.path = Some(path);
        report.codec = codec.map(|(codec, _)| codec);
        report.level = codec.map(|(_, level)| level);
        report.already_compressed = already_compressed;
        report.warnings = warnings.take();
        report.elapsed = started.elapsed();
        Ok(report)
    }
}

impl fmt::Debug for MergePlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MergePlan")
            .field("output", &self.output)
            .field("inputs", &self.listing.len())
            .field("path", &self.path)
            .field("codec", &self.codec)
            .field("already_compressed", &self.already_compressed)
            .finish_non_exhaustive()
    }
}

/// `output` behind a compressor.
fn compressing(
    output: Writable<Bytes>,
    codec: Codec,
    level: u32,
    threads: Option<usize>,
) -> Result<Writable<Bytes>> {
    let mut compress = Compress::with_level(codec, level)?;
    if let Some(threads) = threads {
        compress = compress.with_threads(threads);
    }
    Ok(Writable::new(TransformSink::new(compress, output)))
}

/// The manifest of a merge an output backend runs itself, written from the
/// [`MergeEvent::Part`]s it emits, in order.
#[derive(Clone, Default)]
struct BackendManifest(Arc<Mutex<BackendParts>>);

#[derive(Default)]
struct BackendParts {
    sink: Option<ManifestSink>,
    failed: Option<Error>,
}

impl BackendManifest {
    /// A callback that writes the parts, then calls `then`.
    fn callback(&self, then: Option<MergeCallback>) -> MergeCallback {
        let parts = Arc::clone(&self.0);
        Arc::new(move |event: &MergeEvent<'_>| {
            if let MergeEvent::Part(part) = event {
                let mut parts = parts.lock().unwrap_or_else(PoisonError::into_inner);
                let parts = &mut *parts;
                if let (Some(sink), None) = (&mut parts.sink, &parts.failed)
                    && let Err(error) = sink.part(part)
                {
                    parts.failed = Some(error);
                }
            }
            if let Some(then) = &then {
                then(event);
            }
        })
    }

    /// Writes the parts from now on into `sink`.
    fn start(&self, sink: ManifestSink) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).sink = Some(sink);
    }

    /// The sink, every part written; or the first failure writing one.
    fn finish(self) -> Result<ManifestSink> {
        let mut parts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(error) = parts.failed.take() {
            return Err(error);
        }
        Ok(parts.sink.take().expect("started"))
    }
}

/// Opens where the manifest goes; for a file, the atomic file to commit
/// once the manifest is complete.
async fn open_manifest(
    manifest: ManifestOutput,
    output: &std::path::Path,
    sync: bool,
) -> Result<(ManifestSink, Option<AtomicFile>)> {
    let (writer, name, file): (Box<dyn Write + Send>, PathBuf, _) = match manifest {
        ManifestOutput::Path(path) => {
            // A FIFO waits for its reader: without holding up the runtime,
            // and given up at once when the merge is dropped.
            let file = AtomicFile::options()
                .sync(sync)
                .create_waiting(&path)
                .await?;
            let handle = file
                .file()
                .try_clone()
                .map_err(|e| Error::io(e).writing(&path))?;
            (Box::new(BufWriter::new(handle)), path, Some(file))
        }
        ManifestOutput::Stdout => (
            Box::new(BufWriter::new(std::io::stdout())),
            PathBuf::from("standard output"),
            None,
        ),
        ManifestOutput::Writer { writer, name } => (writer, name, None),
    };
    let writer = ManifestWriter::start(writer, output).map_err(|e| e.writing(&name))?;
    Ok((ManifestSink { writer, name }, file))
}
