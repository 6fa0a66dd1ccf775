//! `smerge pipe`: one input, through `-t` transforms, to one output (and
//! `--tee` copies), as one pipeline.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::Context;
use bytes::Bytes;
use smerge::fs::open_readable;
use smerge::merge::Output;
use smerge::net::{IdleTimeout, TcpOptions};
use smerge::object::ObjectUrl;
use smerge::{Event, PipeOptions, Pipeline, Readable, ReadableExt, Writable, pipe, quote};
use tokio::net::TcpStream;

use crate::args::PipeArgs;
use crate::output::{is_broken_pipe, print_stdout};
use crate::progress::{Messages, amount_and_rate};
use crate::scheme::refuse_unknown;
use crate::stages::{CATALOGUE, Stage, parse_duration, parse_size};
use crate::usage;

/// An INPUT or OUTPUT of `smerge pipe`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Endpoint {
    /// `-`: standard input or output.
    Standard,
    /// A file.
    Path(PathBuf),
    /// `tcp://HOST:PORT`: connect.
    Connect(String),
    /// `tcp-listen://HOST:PORT`: accept one connection.
    Listen(String),
    /// `s3://BUCKET/KEY` (or `gs://`, `az://`): an object.
    Object(ObjectUrl),
}

impl Endpoint {
    fn parse(text: &str) -> anyhow::Result<Endpoint> {
        Ok(if text == "-" {
            Endpoint::Standard
        } else if let Some(address) = text.strip_prefix("tcp://") {
            Endpoint::Connect(address.to_string())
        } else if let Some(address) = text.strip_prefix("tcp-listen://") {
            Endpoint::Listen(address.to_string())
        } else if ObjectUrl::is_url(text) {
            Endpoint::Object(text.parse()?)
        } else {
            Endpoint::Path(PathBuf::from(text))
        })
    }

    /// How messages name a network endpoint: as it was written.
    fn shown(&self) -> String {
        match self {
            Endpoint::Connect(address) => format!("tcp://{address}"),
            Endpoint::Listen(address) => format!("tcp-listen://{address}"),
            Endpoint::Standard => "-".to_string(),
            Endpoint::Path(path) => quote(path).to_string(),
            Endpoint::Object(url) => url.to_string(),
        }
    }

    /// Connects or accepts, within `tcp`'s timeouts.
    async fn connect(&self, tcp: &TcpOptions) -> anyhow::Result<IdleTimeout<TcpStream>> {
        Ok(match self {
            Endpoint::Connect(address) => tcp.connect(address).await?,
            Endpoint::Listen(address) => tcp.accept_one(address).await?,
            _ => unreachable!("only network endpoints connect"),
        })
    }

    /// Opens the endpoint for reading; the size, when it is known. A FIFO
    /// is waited for without holding up the runtime, so a signal ends the
    /// wait at once.
    async fn open_input(&self, tcp: &TcpOptions) -> anyhow::Result<(Readable<Bytes>, Option<u64>)> {
        Ok(match self {
            Endpoint::Standard => (
                Readable::from_reader(tokio::io::stdin()).named("reading standard input"),
                None,
            ),
            Endpoint::Path(path) => open_readable(path).await?,
            Endpoint::Object(url) => crate::object::open_input(url).await?,
            network => {
                let stream = network.connect(tcp).await?;
                let label = format!("reading {}", network.shown());
                (Readable::from_reader(stream).named(label), None)
            }
        })
    }

    /// Opens the endpoint for writing; a path is replaced atomically, and
    /// with `fsync` flushed to disk before the run reports success.
    async fn open_output(&self, tcp: &TcpOptions, fsync: bool) -> anyhow::Result<Writable<Bytes>> {
        match self {
            Endpoint::Standard => Ok(open(Output::Stdout, fsync).await?),
            Endpoint::Path(path) => Ok(open(Output::Atomic(path.clone()), fsync).await?),
            Endpoint::Object(url) => crate::object::open_output(url, None),
            network => {
                let stream = network.connect(tcp).await?;
                let label = format!("writing {}", network.shown());
                Ok(Writable::from_writer(stream).named(label))
            }
        }
    }
}

/// Opens `output`, flushed to disk on finishing with `fsync`.
async fn open(output: Output, fsync: bool) -> smerge::Result<Writable<Bytes>> {
    if fsync {
        output.open_synced().await
    } else {
        output.open().await
    }
}

pub(crate) async fn run(args: PipeArgs) -> anyhow::Result<ExitCode> {
    if args.list_transforms {
        let list: String = CATALOGUE
            .iter()
            .map(|(name, help)| format!("{name:<20} {help}\n"))
            .collect();
        print_stdout(list.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    let hwm = args
        .hwm
        .as_deref()
        .map(parse_size)
        .transpose()
        .context("--hwm")
        .map_err(usage)?;
    let memory_limit = args
        .memlimit
        .as_deref()
        .map(parse_size)
        .transpose()
        .context("--memlimit")
        .map_err(usage)?;
    let stages = args
        .transforms
        .iter()
        .map(|spec| {
            let stage = match Stage::parse(spec)? {
                Stage::Exec(exec) => Stage::Exec(exec.strict(args.strict_exec)),
                Stage::Compress(compress) => match args.threads.filter(|&threads| threads > 0) {
                    Some(threads) => Stage::Compress(compress.with_threads(threads as usize)),
                    None => Stage::Compress(compress),
                },
                stage => stage,
            };
            let stage = match memory_limit {
                Some(limit) => stage.with_memory_limit(limit as u64),
                None => stage,
            };
            Ok((spec.as_str(), stage))
        })
        .collect::<anyhow::Result<Vec<_>>>()
        .map_err(usage)?;
    for endpoint in [&args.input, &args.output] {
        refuse_unknown(
            OsStr::new(endpoint),
            &["tcp", "tcp-listen"],
            "pipe reads and writes files, -, tcp://, tcp-listen:// and object URLs",
        )
        .map_err(usage)?;
    }
    let tcp = tcp_options(&args).map_err(usage)?;
    let input = Endpoint::parse(&args.input).map_err(usage)?;
    let output = Endpoint::parse(&args.output).map_err(usage)?;

    let started = Instant::now();
    let (mut source, size) = input.open_input(&tcp).await?;
    let messages = Messages::new(args.quiet, args.progress, size);
    let read = Arc::new(AtomicU64::new(0));
    if messages.shows_progress() || args.verbose {
        let progress = messages.clone();
        let read = Arc::clone(&read);
        source.observe(move |event| {
            if let Event::Data { size } = event {
                progress.advance(*size as u64);
                read.fetch_add(*size as u64, Ordering::Relaxed);
            }
        });
    }
    let work = async {
        let source = match hwm {
            Some(hwm) => source.with_high_water_mark(hwm),
            None => source,
        };
        let mut chain = Pipeline::from_stream(source);
        for (spec, stage) in stages {
            chain = chain.pipe(stage.into_duplex(spec, hwm)?);
        }
        let mut outputs = vec![output.open_output(&tcp, args.fsync).await?];
        for tee in &args.tee {
            outputs.push(match ObjectUrl::from_path(tee)? {
                Some(url) => crate::object::open_output(&url, None)?,
                None => open(Output::path(tee), args.fsync).await?,
            });
        }
        if let Some(hwm) = hwm {
            outputs = outputs
                .into_iter()
                .map(|o| o.with_high_water_mark(hwm))
                .collect();
        }
        if outputs.len() == 1 && output == Endpoint::Standard {
            // Standard output is a stream, not a file to keep or discard:
            // what the chain produced before it failed still goes out,
            // as `zcat` prints what it decoded before a truncated end.
            let mut stdout = outputs.pop().expect("one output");
            let piped = pipe(&mut chain, &mut stdout, PipeOptions::default()).await;
            if piped.is_err() {
                let _ = stdout.close().await;
            }
            piped?;
        } else if outputs.len() == 1 {
            chain.pipe(outputs.pop().expect("one output")).await?;
        } else {
            chain.pipe(outputs).await?;
        }
        anyhow::Ok(())
    };
    // SIGINT and SIGTERM are caught around the whole run (cli/main.rs).
    let outcome = work.await;
    messages.finish();
    match outcome {
        Ok(()) => {
            if args.verbose {
                let bytes = read.load(Ordering::Relaxed);
                messages.say(&format!(
                    "read {}",
                    amount_and_rate(bytes, started.elapsed())
                ));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) if output == Endpoint::Standard && is_broken_pipe(&error) => {
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => Err(naming_input(error, &input)),
    }
}

/// The TCP timeouts of `--timeout` (connecting, and idle reads and
/// writes) and `--accept-timeout`.
fn tcp_options(args: &PipeArgs) -> anyhow::Result<TcpOptions> {
    let mut tcp = TcpOptions::new();
    if let Some(timeout) = &args.timeout {
        let timeout = parse_duration(timeout).context("--timeout")?;
        tcp = tcp.connect_timeout(timeout).idle_timeout(timeout);
    }
    if let Some(timeout) = &args.accept_timeout {
        tcp = tcp.accept_timeout(parse_duration(timeout).context("--accept-timeout")?);
    }
    Ok(tcp)
}

/// Adds the input to an error about corrupt data the library could not
/// name (standard input, a socket): a decoder names only itself
/// (`gunzip: not gzip data`), and the data came from the input.
fn naming_input(error: anyhow::Error, input: &Endpoint) -> anyhow::Error {
    // The outermost of smerge's errors says all there is: a file input is
    // named by the library already.
    let corrupt_data = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<smerge::Error>())
        .is_some_and(|e| e.kind() == smerge::ErrorKind::InvalidData && e.path().is_none());
    match input {
        Endpoint::Path(path) if corrupt_data => error.context(format!("reading {}", quote(path))),
        Endpoint::Standard if corrupt_data => error.context("reading standard input"),
        _ => error,
    }
}
