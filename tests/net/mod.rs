//! The library on a real socket, against a Node.js peer.

use std::path::Path;
use std::process::Command;

use bytes::Bytes;
use smerge::net::tcp_duplex;
use smerge::transforms::Unframe;
use smerge::{Duplex, ReadableExt, pipeline};

/// A Node.js client sends the seed's packets, split and glued at random
/// places; the library reassembles them with `unframe`.
#[tokio::test]
async fn unframes_packets_from_a_node_client() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/frame");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut client = tokio::process::Command::from(Command::new("node"))
        .arg(fixtures.join("client.js"))
        .arg("127.0.0.1")
        .arg(port.to_string())
        .spawn()
        .expect("node is needed for this test (.ci/run installs it)");
    let (socket, _) = listener.accept().await.unwrap();
    let mut socket = tcp_duplex(socket);
    socket.end().unwrap();
    let bodies = pipeline(socket)
        .pipe(Duplex::transform(Unframe::new()))
        .to_bytes()
        .await
        .unwrap();
    assert!(client.wait().await.unwrap().success());
    let expected = Bytes::from(std::fs::read(fixtures.join("seed-bodies.bin")).unwrap());
    assert!(
        bodies == expected,
        "got {} bytes, expected {}",
        bodies.len(),
        expected.len()
    );
}
