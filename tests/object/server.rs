//! The S3 server of the tests: moto's, started once on 127.0.0.1 at a free
//! port, and a bare HTTP client to set up buckets and look at what the
//! server holds, behind smerge's back.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The server's port.
pub(crate) fn port() -> u16 {
    static PORT: OnceLock<u16> = OnceLock::new();
    *PORT.get_or_init(start)
}

/// Starts `python3 -m moto.server` on a free port.
fn start() -> u16 {
    let port = free_port();
    let mut command = Command::new("python3");
    command.args([
        "-m",
        "moto.server",
        "-H",
        "127.0.0.1",
        "-p",
        &port.to_string(),
    ]);
    spawn_for_the_tests(
        command,
        "python3 -m moto.server (pip install 'moto[server]'; .ci/run installs it)",
        || {},
    );
    wait_for_answers(
        "the S3 test server (moto)",
        port,
        Duration::from_secs(60),
        || request(port, "GET", "/", &[], b"").is_ok(),
    );
    port
}

/// A port no one listens on, on 127.0.0.1.
pub(super) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// Runs `command` (its standard streams closed) from a thread that lives as
/// long as the tests: the server gets SIGKILL when that thread, and so the
/// test process, ends; `after_exit` runs once it exited. Panics naming
/// `what` if it cannot start.
pub(super) fn spawn_for_the_tests(
    mut command: Command,
    what: &str,
    after_exit: impl FnOnce() + Send + 'static,
) {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: only an async-signal-safe system call runs in the child.
    unsafe {
        use std::os::unix::process::CommandExt;
        command.pre_exec(|| {
            rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
                .map_err(std::io::Error::from)
        });
    }
    let (started, spawned) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        match command.spawn() {
            Ok(mut child) => {
                started.send(Ok(())).expect("the test waits");
                let _ = child.wait();
            }
            Err(error) => started.send(Err(error)).expect("the test waits"),
        }
        after_exit();
    });
    if let Err(error) = spawned.recv().expect("the server thread answers") {
        panic!("starting {what}: {error}");
    }
}

/// Waits until `answers` is true, polling; panics naming `what` after `limit`.
pub(super) fn wait_for_answers(
    what: &str,
    port: u16,
    limit: Duration,
    mut answers: impl FnMut() -> bool,
) {
    let deadline = Instant::now() + limit;
    while !answers() {
        assert!(
            Instant::now() < deadline,
            "{what} did not answer on port {port} within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The environment of a smerge run against the server at `port` (the
/// server itself, or a proxy in front of it).
pub(crate) fn environment(port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")),
        ("AWS_MAX_ATTEMPTS", "3".into()),
    ]
}

/// A new, empty bucket named after `hint`.
pub(crate) fn bucket(hint: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "t-{}-{}-{}",
        hint.replace('_', "-"),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let (status, body) =
        request(port(), "PUT", &format!("/{name}"), &[], b"").expect("creating a bucket");
    assert_eq!(
        status,
        200,
        "creating bucket {name}: {}",
        String::from_utf8_lossy(&body)
    );
    name
}

/// Stores `data` as `bucket/key`, directly.
pub(crate) fn put(bucket: &str, key: &str, data: &[u8]) {
    let (status, body) =
        request(port(), "PUT", &format!("/{bucket}/{key}"), &[], data).expect("putting an object");
    assert_eq!(
        status,
        200,
        "putting {key}: {}",
        String::from_utf8_lossy(&body)
    );
}

/// The object `bucket/key`, if there is one.
pub(crate) fn get(bucket: &str, key: &str) -> Option<Vec<u8>> {
    let (status, body) =
        request(port(), "GET", &format!("/{bucket}/{key}"), &[], b"").expect("getting an object");
    match status {
        200 => Some(body),
        404 => None,
        other => panic!("getting {key}: {other} {}", String::from_utf8_lossy(&body)),
    }
}

/// The multipart uploads of `bucket` that were neither completed nor
/// aborted (ListMultipartUploads): the keys they write.
pub(crate) fn open_uploads(bucket: &str) -> Vec<String> {
    let (status, body) =
        request(port(), "GET", &format!("/{bucket}?uploads"), &[], b"").expect("listing uploads");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let text = String::from_utf8_lossy(&body);
    text.split("<Upload>")
        .skip(1)
        .map(|upload| {
            let key = upload.split("<Key>").nth(1).unwrap_or_default();
            key.split("</Key>").next().unwrap_or_default().to_owned()
        })
        .collect()
}

/// The signature of the requests the tests send behind smerge's back.
const UNCHECKED_SIGNATURE: &str = "AWS4-HMAC-SHA256 \
    Credential=test/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";

/// One HTTP/1.1 request to 127.0.0.1:`port`, on its own connection; the
/// status and the body.
pub(crate) fn request(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    // moto does not check signatures, but takes a request without one for
    // an anonymous user's, who may not read private objects.
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\n\
         Authorization: {UNCHECKED_SIGNATURE}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    exchange(port, head, body)
}

/// Sends `head` (a request line and headers, without the blank line that
/// ends them) and `body` to 127.0.0.1:`port`; the answer's status and body.
pub(super) fn exchange(
    port: u16,
    mut head: String,
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no HTTP answer"))?;
    let head = String::from_utf8_lossy(&answer[..split]).to_ascii_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no HTTP status"))?;
    let body = answer[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        return Ok((status, unchunk(&body)));
    }
    Ok((status, body))
}

/// The body of a chunked answer.
fn unchunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&body[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&body[end + 2..end + 2 + size]);
        body = &body[end + 2 + size + 2..];
    }
    out
}
