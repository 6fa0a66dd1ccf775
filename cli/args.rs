//! The command line, as clap definitions: every flag in one place.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;

const MERGE_EXAMPLES: &str = "\
Examples:
  smerge scripts bundle.js                 every file of scripts/, byte order, into bundle.js
  smerge -r src --include '*.js' app.js    recursive, only .js files
  smerge --sort natural logs/ all.log      part2 before part10
  smerge --header '/* {path} */\\n' --ensure-newline src out.js
  smerge logs/ all.log.gz                  compressed by the output's extension
  smerge --decompress logs/ - | less       read .gz/.zst/.xz/.bz2 inputs, write to stdout
  find . -name '*.sql' -print0 | smerge --files0-from - schema.sql
  smerge --format csv exports/ all.csv     CSV files under one header
  smerge --interleave web*.log all.log     logs merged in time order
  smerge -r --seekable logs/ logs.zst      a bundle `smerge extract` reads one file from
  smerge s3://logs/1/ s3://logs/1.log      composed by S3: large inputs never pass through smerge
  smerge -r s3://logs/ all.log.zst         objects like files (also gs://, az://)

Object URLs (s3://BUCKET/KEY, s3://BUCKET/PREFIX/, gs://, az://) go wherever a path goes,
for every kind of merge (--format, --interleave and --seekable read objects too);
the clients are configured the usual way: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_REGION, AWS_ENDPOINT_URL; GOOGLE_SERVICE_ACCOUNT; AZURE_STORAGE_ACCOUNT_NAME...

The first argument selects a subcommand only when it names one (merge, pipe, split,
extract, completions, help); otherwise the command is merge. To merge a directory named
like a subcommand, write `smerge merge pipe out.js` or `smerge ./pipe out.js`.";

const PIPE_EXAMPLES: &str = "\
Examples:
  smerge pipe access.log.gz - -t gunzip -t 'exec:grep ERROR' -t zstd > errors.zst
  curl -s https://example.com/data.gz | smerge pipe -t gunzip | wc -l
  smerge pipe big.log tcp://127.0.0.1:3000 -t frame
  smerge pipe tcp-listen://127.0.0.1:3000 copy.log -t unframe
  smerge pipe data.bin data.bin.zst -t zstd:19 --tee data.copy.zst
  smerge pipe s3://backups/all.log.gz - -t gunzip | grep ERROR
  smerge pipe --list-transforms";

const SPLIT_EXAMPLES: &str = "\
Examples:
  smerge --manifest parts.json src/ bundle.js && smerge split parts.json restored/
  smerge split --from /backup/all.log.zst parts.json logs/";

/// `smerge split`.
#[derive(Debug, Args)]
pub(crate) struct SplitArgs {
    /// The manifest the merge wrote (- for stdin).
    pub(crate) manifest: PathBuf,

    /// Where to recreate the files (created if needed).
    #[arg(default_value = ".")]
    pub(crate) dir: PathBuf,

    /// Read the merged output from OUTPUT instead of where the manifest says.
    #[arg(long, value_name = "OUTPUT")]
    pub(crate) from: Option<PathBuf>,

    /// Replace files that exist already.
    #[arg(short, long)]
    pub(crate) force: bool,
}

/// smerge merges, pipes and transforms files, with Node.js stream semantics.
#[derive(Debug, Parser)]
#[command(
    name = "smerge",
    version,
    about = "Merge every file of a directory into one output, pipe and transform streams",
    after_help = MERGE_EXAMPLES,
    subcommand_required = true,
    arg_required_else_help = true
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Merge files and directories into one output (the default command).
    #[command(after_help = MERGE_EXAMPLES)]
    Merge(Box<MergeArgs>),
    /// Stream one input to one output through transforms.
    #[command(after_help = PIPE_EXAMPLES)]
    Pipe(PipeArgs),
    /// Recreate the files of a merge from its output and --manifest.
    #[command(after_help = SPLIT_EXAMPLES)]
    Split(SplitArgs),
    /// Write inputs of a seekable bundle (merge --seekable) without decompressing the others.
    #[command(after_help = crate::extract::EXTRACT_EXAMPLES)]
    Extract(crate::extract::ExtractArgs),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: Shell,
    },
}

/// The order of each directory's files.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum SortArg {
    /// Byte order of the path relative to the directory (LC_ALL=C sort).
    Name,
    /// Like name, but digit runs compare as numbers (part2 < part10).
    Natural,
    /// Oldest modification time first.
    Mtime,
    /// Smallest first.
    Size,
}

/// What to do with byte order marks.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum BomArg {
    /// Copy them as they are.
    Keep,
    /// Remove every file's BOM.
    Strip,
    /// Keep the first file's BOM, remove the others.
    StripInner,
}

/// Line endings.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum EolArg {
    /// Leave them as they are.
    Keep,
    /// Convert CRLF to LF.
    Lf,
    /// Convert LF to CRLF.
    Crlf,
}

/// `smerge merge`.
#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// Inputs (directories, files, object URLs such as s3://BUCKET/PREFIX/, or - for stdin), then the OUTPUT (a path, an object URL, or - for stdout) unless -o is given; a single path is an input written to stdout.
    #[arg(value_name = "INPUT... [OUTPUT]", required_unless_present_any = ["files0_from", "files_from"])]
    pub(crate) paths: Vec<PathBuf>,

    /// Write the merge to FILE (- for stdout); every path argument is then an input (find ... | xargs smerge -o all.js).
    #[arg(short, long, value_name = "FILE", help_heading = "Inputs")]
    pub(crate) output: Option<PathBuf>,

    /// Read input names from FILE, one per line (- for stdin); the only path argument is then OUTPUT.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Inputs",
        conflicts_with = "files0_from"
    )]
    pub(crate) files_from: Option<PathBuf>,

    /// Read input names from FILE, separated by NUL bytes (- for stdin); the only path argument is then OUTPUT.
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub(crate) files0_from: Option<PathBuf>,

    /// Descend into subdirectories.
    #[arg(short, long, help_heading = "Inputs")]
    pub(crate) recursive: bool,

    /// Merge only files matching GLOB (repeatable; without '/', matches the file name at any depth; the last match decides, !GLOB negates).
    #[arg(long, value_name = "GLOB", help_heading = "Inputs")]
    pub(crate) include: Vec<String>,

    /// Skip files matching GLOB (repeatable; same rules as --include).
    #[arg(long, value_name = "GLOB", help_heading = "Inputs")]
    pub(crate) exclude: Vec<String>,

    /// As --include, ignoring case (after the --include patterns).
    #[arg(long, value_name = "GLOB", help_heading = "Inputs")]
    pub(crate) iinclude: Vec<String>,

    /// As --exclude, ignoring case (after the --exclude patterns).
    #[arg(long, value_name = "GLOB", help_heading = "Inputs")]
    pub(crate) iexclude: Vec<String>,

    /// Include dot-files and dot-directories.
    #[arg(long, help_heading = "Inputs")]
    pub(crate) hidden: bool,

    /// Honour .gitignore, .ignore and .git/info/exclude files.
    #[arg(long, help_heading = "Inputs")]
    pub(crate) gitignore: bool,

    /// Follow symbolic links found in directories (loops are reported); named inputs are always followed.
    #[arg(short = 'L', long, help_heading = "Inputs")]
    pub(crate) follow_links: bool,

    /// Merge nothing rather than fail when a directory has no matching file.
    #[arg(long, help_heading = "Inputs")]
    pub(crate) allow_empty: bool,

    /// Order of each directory's files.
    #[arg(long, value_enum, default_value = "name", help_heading = "Order")]
    pub(crate) sort: SortArg,

    /// Reverse the order.
    #[arg(long, help_heading = "Order")]
    pub(crate) reverse: bool,

    /// Put files matching GLOB first (repeatable, in the order given).
    #[arg(long, value_name = "GLOB", help_heading = "Order")]
    pub(crate) first: Vec<String>,

    /// Put files matching GLOB last (repeatable, in the order given).
    #[arg(long, value_name = "GLOB", help_heading = "Order")]
    pub(crate) last: Vec<String>,

    /// Write STR between files (escapes here and in --banner, --footer, --header: \n \t \r \0 \\).
    #[arg(long, value_name = "STR", help_heading = "Content")]
    pub(crate) separator: Option<OsString>,

    /// Add a newline after a file that does not end with one.
    #[arg(long, help_heading = "Content")]
    pub(crate) ensure_newline: bool,

    /// Write STR (or the content of @FILE) first, verbatim.
    #[arg(long, value_name = "STR|@FILE", help_heading = "Content")]
    pub(crate) banner: Option<OsString>,

    /// Write STR (or the content of @FILE) last, verbatim.
    #[arg(long, value_name = "STR|@FILE", help_heading = "Content")]
    pub(crate) footer: Option<OsString>,

    /// Write TEMPLATE before each file; {path} {name} {index} {count} {size} are filled in.
    #[arg(long, value_name = "TEMPLATE", help_heading = "Content")]
    pub(crate) header: Option<String>,

    /// Byte order marks: keep, strip, or strip-inner (keep only the first file's).
    #[arg(long, value_enum, default_value = "keep", help_heading = "Content")]
    pub(crate) bom: BomArg,

    /// Line endings: keep, lf or crlf.
    #[arg(long, value_enum, default_value = "keep", help_heading = "Content")]
    pub(crate) eol: EolArg,

    /// Compress the output with CODEC (default: from OUTPUT's extension .gz .zst .br .bz2 .xz).
    #[arg(long, value_name = "CODEC", help_heading = "Compression", value_parser = ["gzip", "zlib", "deflate", "zstd", "brotli", "bzip2", "xz"])]
    pub(crate) compress: Option<String>,

    /// Compression level (gzip 1-9, default 6; zstd 1-22, default 3; ...).
    #[arg(long, value_name = "N", help_heading = "Compression")]
    pub(crate) level: Option<u32>,

    /// Decompress inputs compressed with gzip, zstd, xz or bzip2 (and .br files).
    #[arg(long, help_heading = "Compression")]
    pub(crate) decompress: bool,

    /// Memory each decoder may use (xz dictionary, zstd or brotli window; default 256M).
    #[arg(long, value_name = "SIZE", help_heading = "Compression")]
    pub(crate) memlimit: Option<String>,

    /// Compress on N threads (gzip and zstd; default and 0: every core, as zstd -T0).
    #[arg(short = 'T', long, value_name = "N", help_heading = "Compression", value_parser = clap::value_parser!(u32))]
    pub(crate) threads: Option<u32>,

    /// Append to OUTPUT instead of replacing it (not atomic: a failure leaves a partial append).
    #[arg(long, help_heading = "Output")]
    pub(crate) append: bool,

    /// Print the ordered inputs with their sizes and the total, and write nothing.
    #[arg(short = 'n', long, help_heading = "Output")]
    pub(crate) dry_run: bool,

    /// Write a JSON manifest of every part (offset, length, sha256) to FILE (- for stdout).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub(crate) manifest: Option<PathBuf>,

    /// Print a JSON summary on stdout at the end (with --dry-run: the plan).
    #[arg(long, help_heading = "Output")]
    pub(crate) json: bool,

    /// Skip inputs that cannot be read, with a warning; exit 1 at the end.
    #[arg(short, long, help_heading = "Output")]
    pub(crate) keep_going: bool,

    /// Accept input files that change size while they are merged.
    #[arg(long, help_heading = "Output")]
    pub(crate) allow_changing: bool,

    /// Flush OUTPUT and the manifest to disk (fsync of the file, then of its directory) before reporting success.
    #[arg(long, help_heading = "Output")]
    pub(crate) fsync: bool,

    /// Merge again whenever an input changes, is added or removed (until Ctrl-C).
    #[arg(short, long, help_heading = "Output", conflicts_with_all = ["dry_run", "append"])]
    pub(crate) watch: bool,

    /// Make every warning about input content an error.
    #[arg(long, help_heading = "Output")]
    pub(crate) strict: bool,

    /// Into an s3:// OUTPUT, stream every byte instead of letting the server copy inputs of 5 MiB or more.
    #[arg(long, help_heading = "Output")]
    pub(crate) no_compose: bool,

    /// Show a progress bar even when stderr is not a terminal.
    #[arg(long, help_heading = "Messages")]
    pub(crate) progress: bool,

    /// Print a summary line at the end (bytes, inputs, time, rate).
    #[arg(short, long, help_heading = "Messages", conflicts_with = "quiet")]
    pub(crate) verbose: bool,

    /// Print nothing but errors.
    #[arg(short, long, help_heading = "Messages", conflicts_with = "progress")]
    pub(crate) quiet: bool,

    #[command(flatten)]
    pub(crate) maps: MapArgs,

    #[command(flatten)]
    pub(crate) data: crate::data::DataArgs,
}

/// The source map options of `smerge merge`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Source maps")]
pub(crate) struct MapArgs {
    /// Write a source map: OUTPUT.map by default, FILE, or inline (a data: URL in the bundle).
    #[arg(long, value_name = "FILE|inline", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub(crate) source_map: Option<String>,

    /// The comment naming the map: js (//#), css (/*# */) or none [default: by OUTPUT's extension].
    #[arg(long, value_enum, value_name = "STYLE", requires = "source_map")]
    pub(crate) source_map_comment: Option<MapCommentArg>,

    /// The map's sourceRoot.
    #[arg(long, value_name = "URL", requires = "source_map")]
    pub(crate) source_root: Option<String>,

    /// Embed the original texts in the map (sourcesContent).
    #[arg(long, requires = "source_map")]
    pub(crate) sources_content: bool,
}

/// The comment naming a bundle's source map.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum MapCommentArg {
    /// //# sourceMappingURL=…
    Js,
    /// /*# sourceMappingURL=… */
    Css,
    /// No comment.
    None,
}

/// `smerge pipe`.
#[derive(Debug, Args)]
pub(crate) struct PipeArgs {
    /// Where to read: a path, - for stdin, an object URL (s3://BUCKET/KEY, gs://, az://), tcp://HOST:PORT, or tcp-listen://HOST:PORT.
    #[arg(default_value = "-")]
    pub(crate) input: String,

    /// Where to write: a path (replaced atomically), - for stdout, an object URL (written by a multipart upload completed only on success), tcp://HOST:PORT, or tcp-listen://HOST:PORT.
    #[arg(default_value = "-")]
    pub(crate) output: String,

    /// Apply a transform (repeatable, in order); see --list-transforms.
    #[arg(short = 't', long = "transform", value_name = "SPEC")]
    pub(crate) transforms: Vec<String>,

    /// Also write the output to PATH (repeatable).
    #[arg(long, value_name = "PATH")]
    pub(crate) tee: Vec<PathBuf>,

    /// The highWaterMark of every stage (e.g. 64K, 1M).
    #[arg(long, value_name = "SIZE")]
    pub(crate) hwm: Option<String>,

    /// Flush OUTPUT and the --tee files to disk (fsync of the file, then of its directory) before reporting success.
    #[arg(long)]
    pub(crate) fsync: bool,

    /// Memory each decoding transform may use (xz dictionary, zstd or brotli window; default 256M).
    #[arg(long, value_name = "SIZE")]
    pub(crate) memlimit: Option<String>,

    /// Give up connecting, and reading or writing a TCP connection idle this long (500ms, 1s, 2m; a bare number is seconds; 0: never).
    #[arg(long, value_name = "DURATION")]
    pub(crate) timeout: Option<String>,

    /// Give up waiting for a connection on tcp-listen:// after this long (default 5m; 0: never).
    #[arg(long, value_name = "DURATION")]
    pub(crate) accept_timeout: Option<String>,

    /// List the transforms and exit.
    #[arg(long)]
    pub(crate) list_transforms: bool,

    /// Fail when an exec: program stops reading its input early, even if it exits 0.
    #[arg(long)]
    pub(crate) strict_exec: bool,

    /// Compress on N threads (gzip and zstd transforms; default and 0: every core, as zstd -T0).
    #[arg(short = 'T', long, value_name = "N", value_parser = clap::value_parser!(u32))]
    pub(crate) threads: Option<u32>,

    /// Show a progress bar even when stderr is not a terminal.
    #[arg(long)]
    pub(crate) progress: bool,

    /// Print a summary line at the end (bytes read, time, rate).
    #[arg(short, long, conflicts_with = "quiet")]
    pub(crate) verbose: bool,

    /// Print nothing but errors.
    #[arg(short, long, conflicts_with = "progress")]
    pub(crate) quiet: bool,
}

/// The names that select a subcommand when they come first.
const SUBCOMMANDS: &[&str] = &["merge", "pipe", "split", "extract", "completions", "help"];

/// Inserts `merge` when the first argument names no subcommand, so that
/// `smerge dir out.js` means `smerge merge dir out.js`.
pub(crate) fn with_default_command(mut args: Vec<OsString>) -> Vec<OsString> {
    let Some(first) = args.get(1) else {
        return args;
    };
    let top_level_flag = matches!(
        first.to_str(),
        Some("-h" | "--help" | "-V" | "--version" | "--man")
    );
    let names_subcommand = first.to_str().is_some_and(|f| SUBCOMMANDS.contains(&f));
    if !top_level_flag && !names_subcommand {
        args.insert(1, OsString::from("merge"));
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn merge_is_the_default() {
        assert_eq!(
            with_default_command(os(&["smerge", "dir", "out"])),
            os(&["smerge", "merge", "dir", "out"])
        );
        assert_eq!(
            with_default_command(os(&["smerge", "-r", "d", "o"]))[1],
            "merge"
        );
        assert_eq!(with_default_command(os(&["smerge", "pipe"]))[1], "pipe");
        assert_eq!(with_default_command(os(&["smerge", "--help"]))[1], "--help");
    }

    #[test]
    fn the_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
