//! Sockets as streams: a TCP connection is a [`Duplex`] of bytes — what is
//! written is sent, what arrives is read.

use bytes::Bytes;
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
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
