//! [`Exec`]: a child process as a stage — what is written goes to its
//! standard input, what it prints continues the pipeline.

use std::ffi::OsString;
use std::fmt;
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::process::{ExitStatus, Stdio};
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use tokio::io::AsyncWrite;
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio_util::io::poll_read_buf;

use crate::DEFAULT_HIGH_WATER_MARK;
use crate::Push;
use crate::WriteQueue;
use crate::{Duplex, DuplexHandler};
use crate::{Error, ErrorKind, Result};

/// How many queued chunks one write to the child's stdin takes.
const MAX_IO_SLICES: usize = 64;

/// A program run as a transform stage (`smerge pipe -t 'exec:sed -n /ERROR/p'`).
///
/// The program is run directly, without a shell: its arguments are split
/// the way a shell splits words (quotes and backslashes are honoured), but
/// nothing is expanded. Its standard input is fed with backpressure, its
/// standard output continues the pipeline, its standard error passes
/// through to smerge's.
///
/// The stage fails, naming the command, when the program exits with a
/// non-zero status or is killed by a signal. A program that exits with
/// status 0 after closing its input early (`head -n 2`) ends the stage
/// successfully, as `zcat f | head -2` ends a shell pipeline: everything
/// it printed continues the pipeline, and the rest of the input is
/// dropped. With [`strict`](Exec::strict), that too is an error.
/// Destroying the stage kills the program.
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::{Readable, ReadableExt, transforms::Exec};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let upper = Exec::parse("tr a-z A-Z")?.spawn()?;
/// let out = Readable::from_iter([Bytes::from("hello")]).pipe(upper).to_bytes().await?;
/// assert_eq!(out, "HELLO");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Exec {
    program: OsString,
    args: Vec<OsString>,
    /// The command as the user wrote it, for messages.
    display: String,
    /// Whether a program that stops reading its input early fails.
    strict: bool,
}

impl Exec {
    /// Runs `program` with `args`.
    pub fn new<I, S>(program: impl Into<OsString>, args: I) -> Exec
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let program = program.into();
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let display = std::iter::once(&program)
            .chain(&args)
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        Exec {
            program,
            args,
            display,
            strict: false,
        }
    }

    /// Makes a program that closes its input before the input ended an
    /// error (`stopped reading its input before the input ended`), even
    /// when it exits with status 0. Off by default.
    pub fn strict(mut self, strict: bool) -> Exec {
        self.strict = strict;
        self
    }

    /// Splits `command_line` into a program and its arguments, as a shell
    /// would split words, without expanding anything.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`] for an empty command or an unclosed quote.
    pub fn parse(command_line: &str) -> Result<Exec> {
        let words = shell_words::split(command_line).map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("exec:{command_line}: {e}"),
            )
        })?;
        let mut words = words.into_iter();
        let program = words.next().ok_or_else(|| {
            Error::new(ErrorKind::InvalidArgument, "exec: needs a program to run")
        })?;
        let mut exec = Exec::new(program, words);
        exec.display = command_line.trim().to_string();
        Ok(exec)
    }

    /// The command, as written.
    pub fn command_line(&self) -> &str {
        &self.display
    }

    /// Starts the program and returns the stage. Must be called within a
    /// Tokio runtime.
    ///
    /// # Errors
    ///
    /// When the program cannot be started (not found, not executable).
    pub fn spawn(&self) -> Result<Duplex<Bytes, Bytes>> {
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| Error::io(e).context(format!("starting {}", self.display)))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let label = format!("exec:{}", self.display);
        Ok(Duplex::new(ChildHandler {
            command: self.display.clone(),
            child,
            stdin,
            stdout,
            read_buffer: BytesMut::new(),
            exit: None,
            refused_input: false,
            strict: self.strict,
        })
        .named(label))
    }
}

/// The child process behind an [`Exec`] stage.
struct ChildHandler {
    command: String,
    child: Child,
    /// `None` once the input ended (closed, so the child sees EOF).
    stdin: Option<ChildStdin>,
    /// `None` once the child's output ended.
    stdout: Option<ChildStdout>,
    read_buffer: BytesMut,
    exit: Option<ExitStatus>,
    /// The program closed its input before the input ended; what is
    /// written is dropped until its exit status tells what happened.
    refused_input: bool,
    /// Whether that is an error even after a successful exit.
    strict: bool,
}

impl ChildHandler {
    /// An error about the program; the stage's label names it.
    fn failure(&self, what: &str) -> Error {
        Error::new(ErrorKind::ChildProcess, what)
    }

    /// The error for an exit status that is not success.
    fn exit_error(&self, status: ExitStatus) -> Option<Error> {
        if status.success() {
            return None;
        }
        use std::os::unix::process::ExitStatusExt;
        Some(match (status.code(), status.signal()) {
            (Some(code), _) => self.failure(&format!("exited with status {code}")),
            (None, Some(signal)) => self.failure(&format!("killed by signal {signal}")),
            _ => self.failure(&format!("ended abnormally ({status})")),
        })
    }

    fn write_error(&self, error: io::Error) -> Error {
        Error::io(error).context(format!("writing to {}", self.command))
    }
}

impl DuplexHandler<Bytes, Bytes> for ChildHandler {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        input: &mut WriteQueue<Bytes>,
        _out: &mut Push<'_, Bytes>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        let Some(stdin) = this.stdin.as_mut() else {
            // The program stopped reading: drop the rest until it exits.
            input.advance(input.size());
            return Poll::Ready(Ok(()));
        };
        let mut slices = [IoSlice::new(&[]); MAX_IO_SLICES];
        let filled = input.io_slices(&mut slices);
        match ready!(Pin::new(stdin).poll_write_vectored(cx, &slices[..filled])) {
            Ok(0) => Poll::Ready(Err(
                this.write_error(io::Error::from(io::ErrorKind::WriteZero))
            )),
            Ok(n) => {
                input.advance(n);
                Poll::Ready(Ok(()))
            }
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                this.stdin = None;
                this.refused_input = true;
                input.advance(input.size());
                Poll::Ready(Ok(()))
            }
            Err(error) => Poll::Ready(Err(this.write_error(error))),
        }
    }

    /// The program's stdin is written through the runtime's reactor: only
    /// inside a runtime.
    fn starts_at_once(&self) -> bool {
        tokio::runtime::Handle::try_current().is_ok()
    }

    fn poll_final(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        _out: &mut Push<'_, Bytes>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        if let Some(stdin) = this.stdin.as_mut() {
            let closed = ready!(Pin::new(stdin).poll_shutdown(cx));
            this.stdin = None;
            match closed {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                    this.refused_input = true
                }
                Err(error) => return Poll::Ready(Err(this.write_error(error))),
            }
        }
        Poll::Ready(Ok(()))
    }

    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Push<'_, Bytes>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        if let Some(stdout) = this.stdout.as_mut() {
            if this.read_buffer.capacity() == 0 {
                this.read_buffer.reserve(DEFAULT_HIGH_WATER_MARK);
            }
            match ready!(poll_read_buf(Pin::new(stdout), cx, &mut this.read_buffer)) {
                Ok(0) => this.stdout = None,
                Ok(_) => {
                    out.push(this.read_buffer.split().freeze());
                    return Poll::Ready(Ok(()));
                }
                Err(error) => {
                    let context = format!("reading from {}", this.command);
                    return Poll::Ready(Err(Error::io(error).context(context)));
                }
            }
        }
        // The output ended: the stage ends once the program did, well.
        let status = match this.exit {
            Some(status) => status,
            None => match ready!(std::pin::pin!(this.child.wait()).poll(cx)) {
                Ok(status) => {
                    this.exit = Some(status);
                    status
                }
                Err(error) => {
                    return Poll::Ready(Err(
                        Error::io(error).context(format!("waiting for {}", this.command))
                    ));
                }
            },
        };
        if let Some(error) = this.exit_error(status) {
            return Poll::Ready(Err(error));
        }
        if this.strict && (this.refused_input || this.stdin.is_some()) {
            return Poll::Ready(Err(
                this.failure("stopped reading its input before the input ended")
            ));
        }
        out.end();
        Poll::Ready(Ok(()))
    }

    fn destroy(self: Pin<&mut Self>, _error: Option<&Error>) {
        let this = self.get_mut();
        this.stdin = None;
        this.stdout = None;
        let _ = this.child.start_kill();
    }
}

impl fmt::Debug for ChildHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildHandler")
            .field("command", &self.command)
            .field("exit", &self.exit)
            .finish_non_exhaustive()
    }
}
