//! `smerge pipe`: one input, through `-t` transforms, to one output (and
//! `--tee` copies), as one pipeline.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use bytes::Bytes;
use smerge::fs::FileSource;
use smerge::merge::Output;
use smerge::object::ObjectUrl;
use smerge::{Event, Pipeline, Readable, ReadableExt, Writable};
use tokio::net::{TcpListener, TcpStream};

use crate::args::PipeArgs;
use crate::output::{is_broken_pipe, print_stdout};
use crate::progress::Messages;
use crate::signals::interruptible;
use crate::stages::{CATALOGUE, Stage, parse_size};
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

    async fn connect(&self) -> anyhow::Result<TcpStream> {
        match self {
            Endpoint::Connect(address) => TcpStream::connect(address)
                .await
                .with_context(|| format!("connecting to tcp://{address}")),
            Endpoint::Listen(address) => {
                let listener = TcpListener::bind(address)
                    .await
                    .with_context(|| format!("listening on tcp://{address}"))?;
                let (stream, _) = listener
                    .accept()
                    .await
                    .with_context(|| format!("accepting on tcp://{address}"))?;
                Ok(stream)
            }
            _ => unreachable!("only network endpoints connect"),
        }
    }

    /// Opens the endpoint for reading; the size, when it is known.
    async fn open_input(&self) -> anyhow::Result<(Readable<Bytes>, Option<u64>)> {
        Ok(match self {
            Endpoint::Standard => (
                Readable::from_reader(tokio::io::stdin()).named("reading standard input"),
                None,
            ),
            Endpoint::Path(path) => {
                // Opened off the runtime's threads: opening a FIFO waits for
                // a writer. Then one fstat tells a file from the rest.
                let reading = || format!("reading {}", path.display());
                let file = tokio::fs::File::open(path).await.with_context(reading)?;
                let metadata = file.metadata().await.with_context(reading)?;
                if metadata.is_file() {
                    let file = FileSource::from_file(file.into_std().await, path);
                    (file.into_readable(), Some(metadata.len()))
                } else {
                    (Readable::from_reader(file).named(reading()), None)
                }
            }
            Endpoint::Object(url) => crate::object::open_input(url).await?,
            network => {
                let stream = network.connect().await?;
                let label = format!("reading tcp://{}", peer(&stream));
                (Readable::from_reader(stream).named(label), None)
            }
        })
    }

    /// Opens the endpoint for writing; a path is replaced atomically.
    async fn open_output(&self) -> anyhow::Result<Writable<Bytes>> {
        match self {
            Endpoint::Standard => Ok(Output::Stdout.open()?),
            Endpoint::Path(path) => Ok(Output::Atomic(path.clone()).open()?),
            Endpoint::Object(url) => crate::object::open_output(url, None),
            network => {
                let stream = network.connect().await?;
                let label = format!("writing tcp://{}", peer(&stream));
                Ok(Writable::from_writer(stream).named(label))
            }
        }
    }
}

fn peer(stream: &TcpStream) -> String {
    stream
        .peer_addr()
        .map_or_else(|_| "?".to_string(), |address| address.to_string())
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
    let stages = args
        .transforms
        .iter()
        .map(|spec| match Stage::parse(spec)? {
            Stage::Exec(exec) => Ok((spec.as_str(), Stage::Exec(exec.strict(args.strict_exec)))),
            stage => Ok((spec.as_str(), stage)),
        })
        .collect::<anyhow::Result<Vec<_>>>()
        .map_err(usage)?;
    let input = Endpoint::parse(&args.input).map_err(usage)?;
    let output = Endpoint::parse(&args.output).map_err(usage)?;

    let (mut source, size) = input.open_input().await?;
    let messages = Messages::new(args.quiet, args.progress, size);
    if messages.shows_progress() {
        let progress = messages.clone();
        source.observe(move |event| {
            if let Event::Data { size } = event {
                progress.advance(*size as u64);
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
        let mut outputs = vec![output.open_output().await?];
        for tee in &args.tee {
            outputs.push(match ObjectUrl::from_path(tee)? {
                Some(url) => crate::object::open_output(&url, None)?,
                None => Output::path(tee).open()?,
            });
        }
        if let Some(hwm) = hwm {
            outputs = outputs
                .into_iter()
                .map(|o| o.with_high_water_mark(hwm))
                .collect();
        }
        if outputs.len() == 1 {
            chain.pipe(outputs.pop().expect("one output")).await?;
        } else {
            chain.pipe(outputs).await?;
        }
        anyhow::Ok(())
    };
    let outcome = interruptible(work).await?;
    messages.finish();
    match outcome {
        Err(signal_status) => Ok(signal_status),
        Ok(Ok(())) => Ok(ExitCode::SUCCESS),
        Ok(Err(error)) if output == Endpoint::Standard && is_broken_pipe(&error) => {
            Ok(ExitCode::SUCCESS)
        }
        Ok(Err(error)) => Err(naming_input(error, &input)),
    }
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
        Endpoint::Path(path) if corrupt_data => {
            error.context(format!("reading {}", path.display()))
        }
        Endpoint::Standard if corrupt_data => error.context("reading standard input"),
        _ => error,
    }
}
