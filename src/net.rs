//! Sockets as streams: a TCP connection is a [`Duplex`] of bytes — what is
//! written is sent, what arrives is read.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use pin_project::pin_project;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::time::Sleep;
use tokio_util::io::ReaderStream;

use crate::DEFAULT_HIGH_WATER_MARK;
use crate::Duplex;
use crate::StreamSource;
use crate::WriterSink;
use crate::{Error, Result};

/// A TCP connection as a duplex stream: the readable side ends when the
/// peer closes its side of the connection; ending the writable side shuts
/// down ours (the peer reads the end), and the connection stays half open
/// until both sides ended, as Node's `net.Socket` with `allowHalfOpen`.
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use smerge::{ReadableExt, net};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let address = listener.local_addr()?;
/// let server = tokio::spawn(async move {
///     let (socket, _) = listener.accept().await?;
///     net::tcp_duplex(socket).to_bytes().await
/// });
/// let mut client = net::connect(address).await?;
/// client.write(Bytes::from("over the wire"))?;
/// client.end()?;
/// smerge::finished(&mut client).await?;
/// assert_eq!(server.await.unwrap()?, "over the wire");
/// # Ok(())
/// # }
/// ```
pub fn tcp_duplex(stream: TcpStream) -> Duplex<Bytes, Bytes> {
    let label = match stream.peer_addr() {
        Ok(peer) => format!("tcp://{peer}"),
        Err(_) => "tcp".to_string(),
    };
    let (read, write) = stream.into_split();
    Duplex::from_parts(
        StreamSource::new(ReaderStream::with_capacity(read, DEFAULT_HIGH_WATER_MARK)),
        WriterSink::new(write),
    )
    .named(label)
}

/// Connects to `address` (Node's `net.connect`).
///
/// # Errors
///
/// When the connection cannot be made; the error names the address.
pub async fn connect(
    address: impl ToSocketAddrs + std::fmt::Display,
) -> Result<Duplex<Bytes, Bytes>> {
    let name = address.to_string();
    let stream = TcpStream::connect(address)
        .await
        .map_err(|e| Error::io(e).context(format!("connecting to tcp://{name}")))?;
    Ok(tcp_duplex(stream))
}

/// Listens on `address`, accepts one connection, and stops listening.
///
/// # Errors
///
/// When the address cannot be bound or the accept fails; the error names
/// the address.
pub async fn accept_one(
    address: impl ToSocketAddrs + std::fmt::Display,
) -> Result<Duplex<Bytes, Bytes>> {
    let name = address.to_string();
    let listener = TcpListener::bind(address)
        .await
        .map_err(|e| Error::io(e).context(format!("listening on tcp://{name}")))?;
    let (stream, _) = listener
        .accept()
        .await
        .map_err(|e| Error::io(e).context(format!("accepting on tcp://{name}")))?;
    Ok(tcp_duplex(stream))
}

/// How long [`TcpOptions::accept_one`] waits for a connection unless told
/// otherwise: five minutes, time enough to start the other side by hand,
/// short enough that a forgotten listener ends.
pub const DEFAULT_ACCEPT_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// How long TCP connections may take to be made, accepted, or to move
/// data, as `nc -w` bounds them: connecting, accepting, and each read or
/// write that makes no progress fail with a [`TimedOut`] error once their
/// time is up.
///
/// By default connecting and moving data wait as long as the system
/// lets them, and accepting waits [`DEFAULT_ACCEPT_TIMEOUT`].
///
/// [`TimedOut`]: std::io::ErrorKind::TimedOut
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use smerge::net::TcpOptions;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> smerge::Result<()> {
/// let options = TcpOptions::new().accept_timeout(Some(Duration::from_millis(50)));
/// let err = options.accept_one("127.0.0.1:0").await.unwrap_err();
/// assert!(format!("{err:#}").contains("no connection within 50ms"), "{err:#}");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TcpOptions {
    connect: Option<Duration>,
    idle: Option<Duration>,
    accept: Option<Duration>,
}

impl Default for TcpOptions {
    fn default() -> TcpOptions {
        TcpOptions {
            connect: None,
            idle: None,
            accept: Some(DEFAULT_ACCEPT_TIMEOUT),
        }
    }
}

impl TcpOptions {
    /// The defaults: see [`TcpOptions`].
    pub fn new() -> TcpOptions {
        TcpOptions::default()
    }

    /// How long connecting may take (`None`: as long as the system lets it).
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> TcpOptions {
        self.connect = timeout;
        self
    }

    /// How long a read or a write may wait without moving a byte (`None`:
    /// for ever).
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> TcpOptions {
        self.idle = timeout;
        self
    }

    /// How long accepting may wait for a connection (`None`: for ever).
    pub fn accept_timeout(mut self, timeout: Option<Duration>) -> TcpOptions {
        self.accept = timeout;
        self
    }

    /// Connects to `address` (`HOST:PORT`) within the connect timeout, and
    /// returns the connection with the idle timeout on its reads and
    /// writes.
    ///
    /// # Errors
    ///
    /// `connecting to tcp://ADDRESS: …`, with the system's reason or the
    /// timeout.
    pub async fn connect(&self, address: &str) -> Result<IdleTimeout<TcpStream>> {
        let context = || format!("connecting to tcp://{address}");
        let connecting = TcpStream::connect(address);
        let stream = match self.connect {
            Some(limit) => tokio::time::timeout(limit, connecting)
                .await
                .map_err(|_| timed_out(format!("no connection within {}", show(limit))))
                .and_then(|connected| connected.map_err(Error::io)),
            None => connecting.await.map_err(Error::io),
        }
        .map_err(|e| e.context(context()))?;
        Ok(IdleTimeout::new(stream, self.idle))
    }

    /// Listens on `address` (`HOST:PORT`), accepts one connection within
    /// the accept timeout, stops listening, and returns the connection with
    /// the idle timeout on its reads and writes.
    ///
    /// # Errors
    ///
    /// `listening on tcp-listen://ADDRESS: …` when the address cannot be
    /// bound; `accepting on tcp-listen://ADDRESS: …` with the system's
    /// reason or the timeout.
    pub async fn accept_one(&self, address: &str) -> Result<IdleTimeout<TcpStream>> {
        let listener = TcpListener::bind(address)
            .await
            .map_err(|e| Error::io(e).context(format!("listening on tcp-listen://{address}")))?;
        let accepting = listener.accept();
        let accepted = match self.accept {
            Some(limit) => tokio::time::timeout(limit, accepting)
                .await
                .map_err(|_| timed_out(format!("no connection within {}", show(limit))))
                .and_then(|accepted| accepted.map_err(Error::io)),
            None => accepting.await.map_err(Error::io),
        };
        let (stream, _) =
            accepted.map_err(|e| e.context(format!("accepting on tcp-listen://{address}")))?;
        Ok(IdleTimeout::new(stream, self.idle))
    }
}

/// A [`TimedOut`](std::io::ErrorKind::TimedOut) error saying `why`.
fn timed_out(why: String) -> Error {
    Error::io(io::Error::new(io::ErrorKind::TimedOut, why))
}

/// A duration as a person writes it: `500ms`, `2s`, `2m`, `1.5s`.
fn show(duration: Duration) -> String {
    let secs = duration.as_secs();
    if duration.subsec_nanos() == 0 {
        if secs >= 60 && secs.is_multiple_of(60) {
            format!("{}m", secs / 60)
        } else {
            format!("{secs}s")
        }
    } else if secs == 0 && duration.subsec_nanos().is_multiple_of(1_000_000) {
        format!("{}ms", duration.subsec_millis())
    } else {
        format!("{}s", duration.as_secs_f64())
    }
}

/// A reader and writer that fails a read or a write with a
/// [`TimedOut`](std::io::ErrorKind::TimedOut) error once it has waited
/// `idle` without moving a byte, as `nc -w` does; a pass-through
/// otherwise. [`TcpOptions`] wraps its connections in one.
///
/// Reads and writes are timed apart: a connection that only sends is
/// not failed because nothing arrives.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tokio::io::AsyncReadExt;
/// use smerge::net::IdleTimeout;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (silent, _peer) = tokio::io::duplex(64);
/// let mut reader = IdleTimeout::new(silent, Some(Duration::from_millis(20)));
/// let err = reader.read(&mut [0; 8]).await.unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
/// assert_eq!(err.to_string(), "no data for 20ms");
/// # }
/// ```
#[pin_project]
#[derive(Debug)]
pub struct IdleTimeout<S> {
    #[pin]
    inner: S,
    idle: Option<Duration>,
    reading: Option<Pin<Box<Sleep>>>,
    writing: Option<Pin<Box<Sleep>>>,
}

impl<S> IdleTimeout<S> {
    /// Wraps `inner`; `None` never times out.
    pub fn new(inner: S, idle: Option<Duration>) -> IdleTimeout<S> {
        IdleTimeout {
            inner,
            idle,
            reading: None,
            writing: None,
        }
    }

    /// The wrapped reader and writer.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped reader and writer, given back.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

/// What a poll that waits does with its timer: disarmed on progress,
/// armed at the first wait, and an error once it rang.
fn timed<T>(
    polled: Poll<io::Result<T>>,
    timer: &mut Option<Pin<Box<Sleep>>>,
    idle: Option<Duration>,
    cx: &mut Context<'_>,
    what: &str,
) -> Poll<io::Result<T>> {
    match (polled, idle) {
        (Poll::Ready(done), _) => {
            *timer = None;
            Poll::Ready(done)
        }
        (Poll::Pending, None) => Poll::Pending,
        (Poll::Pending, Some(idle)) => {
            let sleep = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
            match sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    *timer = None;
                    Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("{what} for {}", show(idle)),
                    )))
                }
                Poll::Pending => Poll::Pending,
            }
        }
    }
}

impl<S: AsyncRead> AsyncRead for IdleTimeout<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.project();
        let polled = this.inner.poll_read(cx, buf);
        timed(polled, this.reading, *this.idle, cx, "no data")
    }
}

impl<S: AsyncWrite> AsyncWrite for IdleTimeout<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.project();
        let polled = this.inner.poll_write(cx, buf);
        timed(
            polled,
            this.writing,
            *this.idle,
            cx,
            "the peer took no data",
        )
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.project();
        let polled = this.inner.poll_write_vectored(cx, bufs);
        timed(
            polled,
            this.writing,
            *this.idle,
            cx,
            "the peer took no data",
        )
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.project();
        let polled = this.inner.poll_flush(cx);
        timed(
            polled,
            this.writing,
            *this.idle,
            cx,
            "the peer took no data",
        )
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.project();
        let polled = this.inner.poll_shutdown(cx);
        timed(
            polled,
            this.writing,
            *this.idle,
            cx,
            "the peer took no data",
        )
    }
}
