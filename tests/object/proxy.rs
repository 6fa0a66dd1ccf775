//! A fault proxy on 127.0.0.1 in front of the S3 server: it passes
//! requests on, one per connection, and delays, drops or answers 503 to
//! those its rules choose.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the proxy does to a request a rule chooses.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Fault {
    /// Waits this long, then passes it on.
    Delay(Duration),
    /// Answers with this status and an S3 error document, without passing
    /// it on (503 is S3's `SlowDown`, 501 `NotImplemented`).
    Status(u16),
    /// Closes the connection without an answer.
    DropRequest,
    /// Passes it on, then closes the connection after this many bytes of
    /// the answer.
    DropAnswerAfter(usize),
}

/// A rule: requests whose head (request line and headers) contains every
/// one of `needles`, `times` times (`usize::MAX`: always).
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub(crate) needles: Vec<String>,
    pub(crate) fault: Fault,
    pub(crate) times: usize,
}

impl Rule {
    pub(crate) fn new(needles: &[&str], fault: Fault, times: usize) -> Rule {
        Rule {
            needles: needles.iter().map(|n| n.to_string()).collect(),
            fault,
            times,
        }
    }
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    /// Every request line seen, in order, with the fault applied.
    log: Vec<String>,
}

/// The proxy; it runs until the test process ends.
#[derive(Clone)]
pub(crate) struct Proxy {
    port: u16,
    state: Arc<Mutex<State>>,
}

impl Proxy {
    /// A proxy in front of 127.0.0.1:`upstream`, with `rules`.
    pub(crate) fn start(upstream: u16, rules: Vec<Rule>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the proxy");
        let port = listener.local_addr().expect("its address").port();
        let state = Arc::new(Mutex::new(State {
            rules,
            log: Vec::new(),
        }));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                std::thread::spawn(move || {
                    let _ = serve(client, upstream, &state);
                });
            }
        });
        Proxy { port, state }
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// The request lines seen so far, each with the fault applied to it.
    pub(crate) fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    /// Waits (at most 30 s) until a request line containing `needle` was
    /// seen.
    pub(crate) fn wait_for(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.log().iter().any(|line| line.contains(needle)) {
            assert!(
                Instant::now() < deadline,
                "no request with {needle}: {:?}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn serve(mut client: TcpStream, upstream: u16, state: &Mutex<State>) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(60)))?;
    let (head, body) = read_request(&mut client)?;
    let line = head.lines().next().unwrap_or_default().to_owned();
    let fault = {
        let mut state = state.lock().unwrap();
        let fault = state
            .rules
            .iter_mut()
            .find(|rule| rule.times > 0 && rule.needles.iter().all(|n| head.contains(n.as_str())))
            .map(|rule| {
                rule.times = rule.times.saturating_sub(1);
                rule.fault
            });
        state.log.push(match fault {
            Some(fault) => format!("{line} [{fault:?}]"),
            None => line.clone(),
        });
        fault
    };
    match fault {
        Some(Fault::DropRequest) => return client.shutdown(Shutdown::Both),
        Some(Fault::Status(status)) => {
            let (code, message) = match status {
                503 => ("SlowDown", "Please reduce your request rate."),
                501 => (
                    "NotImplemented",
                    "A header you provided implies functionality that is not implemented.",
                ),
                _ => (
                    "InternalError",
                    "We encountered an internal error. Please try again.",
                ),
            };
            let document = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
                 <Message>{message}</Message></Error>"
            );
            let answer = format!(
                "HTTP/1.1 {status} Injected\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{document}",
                document.len()
            );
            client.write_all(answer.as_bytes())?;
            return client.shutdown(Shutdown::Both);
        }
        Some(Fault::Delay(delay)) => std::thread::sleep(delay),
        _ => {}
    }
    let mut server = TcpStream::connect(("127.0.0.1", upstream))?;
    server.write_all(closing(&head).as_bytes())?;
    server.write_all(&body)?;
    let limit = match fault {
        Some(Fault::DropAnswerAfter(limit)) => limit,
        _ => usize::MAX,
    };
    let mut passed = 0;
    let mut buffer = [0u8; 64 * 1024];
    loop {
        let n = server.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        let n = n.min(limit - passed);
        client.write_all(&buffer[..n])?;
        passed += n;
        if passed == limit {
            break;
        }
    }
    client.shutdown(Shutdown::Both)
}

/// Reads one request: its head (as text) and its body.
fn read_request(client: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut data = Vec::new();
    let mut buffer = [0u8; 64 * 1024];
    let end = loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let n = client.read(&mut buffer)?;
        if n == 0 {
            return Err(std::io::Error::other("the client went away"));
        }
        data.extend_from_slice(&buffer[..n]);
    };
    let head = String::from_utf8_lossy(&data[..end]).into_owned();
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = data[end..].to_vec();
    while body.len() < length {
        let n = client.read(&mut buffer)?;
        if n == 0 {
            return Err(std::io::Error::other("the client went away"));
        }
        body.extend_from_slice(&buffer[..n]);
    }
    Ok((head, body))
}

/// `head` asking the server to close the connection after its answer.
fn closing(head: &str) -> String {
    let mut out = String::new();
    for line in head.trim_end().lines() {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    out
}
