//! What the fuzz targets share: reading a fuzz input as settings, a chunking
//! and data, and running a transform over those chunks through a pipeline.

use std::future::{Future, poll_fn};

use bytes::Bytes;
use smerge::{Duplex, Readable, ReadableExt, ReadableStream, Result, pipeline};

/// A fuzz input taken apart: a settings byte for the target, the data, and
/// the data cut into the chunks the transform is given.
#[derive(Debug)]
pub struct Case<'a> {
    /// Target-specific settings.
    pub settings: u8,
    /// The bytes the transform reads.
    pub data: &'a [u8],
    /// `data`, cut as the input says.
    pub chunks: Vec<Bytes>,
}

impl<'a> Case<'a> {
    /// Reads `input` as: a settings byte; a byte whose low 3 bits count the
    /// chunk-size bytes that follow; those bytes; then the data. The data is
    /// cut into chunks whose sizes cycle through the sizes given (none: one
    /// chunk). A size byte below 0x80 is its own value (0 gives an empty
    /// chunk); from 0x80, `(byte - 0x7f) * 256`, up to 32 KiB.
    pub fn parse(input: &'a [u8]) -> Option<Case<'a>> {
        let (&settings, rest) = input.split_first()?;
        let (&count, rest) = rest.split_first()?;
        let count = usize::from(count & 7).min(rest.len());
        let (size_bytes, data) = rest.split_at(count);
        let sizes: Vec<usize> = size_bytes.iter().map(|&byte| chunk_size(byte)).collect();
        Some(Case {
            settings,
            data,
            chunks: rechunk(data, &sizes),
        })
    }
}

fn chunk_size(byte: u8) -> usize {
    if byte < 0x80 {
        usize::from(byte)
    } else {
        usize::from(byte - 0x7f) * 256
    }
}

/// Cuts `data` into pieces whose sizes cycle through `sizes`; one piece if
/// no size is above zero.
pub fn rechunk(data: &[u8], sizes: &[usize]) -> Vec<Bytes> {
    if sizes.iter().all(|&size| size == 0) {
        return vec![Bytes::copy_from_slice(data)];
    }
    let mut chunks = Vec::new();
    let mut rest = data;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        chunks.push(Bytes::copy_from_slice(chunk));
        rest = tail;
    }
    chunks
}

/// Runs `future` to completion on this thread's runtime.
pub fn block_on<F: Future>(future: F) -> F::Output {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime");
    }
    RUNTIME.with(|runtime| runtime.block_on(future))
}

/// What a transform produced from some chunks.
#[derive(Debug)]
pub struct Run {
    /// The output read, joined; at most `cap` bytes plus one chunk.
    pub output: Vec<u8>,
    /// How the stream ended; `None` if reading stopped at the cap.
    pub end: Option<Result<()>>,
}

/// Writes `chunks` through `stage` in a pipeline and reads its output until
/// it ends, fails, or `cap` bytes have been read, whichever comes first.
/// Stopping at the cap drops the pipeline, which destroys every stage.
pub fn run(chunks: Vec<Bytes>, stage: Duplex<Bytes, Bytes>, cap: usize) -> Run {
    block_on(async move {
        let mut chain = pipeline(Readable::from_iter(chunks)).pipe(stage);
        let mut output = Vec::new();
        loop {
            match poll_fn(|cx| chain.poll_next_chunk(cx)).await {
                Some(Ok(chunk)) => {
                    output.extend_from_slice(&chunk);
                    if output.len() >= cap {
                        return Run { output, end: None };
                    }
                }
                Some(Err(error)) => {
                    return Run {
                        output,
                        end: Some(Err(error)),
                    };
                }
                None => {
                    return Run {
                        output,
                        end: Some(Ok(())),
                    };
                }
            }
        }
    })
}

/// Inputs for a data merge: `data` cut at each `0xff` byte into up to
/// four files in a temporary directory, with `extension`.
pub struct DataInputs {
    dir: tempfile::TempDir,
    /// The files, in order.
    pub paths: Vec<std::path::PathBuf>,
}

impl DataInputs {
    /// Writes the files.
    pub fn new(data: &[u8], extension: &str) -> DataInputs {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let paths = data
            .splitn(4, |&b| b == 0xff)
            .enumerate()
            .map(|(i, part)| {
                let path = dir.path().join(format!("in{i}.{extension}"));
                std::fs::write(&path, part).expect("writing an input");
                path
            })
            .collect();
        DataInputs { dir, paths }
    }

    /// The temporary directory.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

/// Runs `future` on a small multi-threaded runtime, which the data merges
/// need for their blocking thread.
pub fn block_on_threaded<F: Future>(future: F) -> F::Output {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .expect("a runtime");
    }
    RUNTIME.with(|runtime| runtime.block_on(future))
}
