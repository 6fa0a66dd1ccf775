//! `az://` against Azurite, Microsoft's Azure Storage emulator (npm
//! `azurite`), started once on 127.0.0.1 at a free port: a container listed
//! like the same tree on disk, read and written, large outputs in blocks.

use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

use super::server::{exchange, free_port, spawn_for_the_tests, wait_for_answers};
use crate::cli::util::{Dir, assert_bytes_eq, data, smerge};

/// The emulator's well-known account and key.
const ACCOUNT: &str = "devstoreaccount1";
const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const VERSION: &str = "2021-08-06";

const MIB: usize = 1024 * 1024;

/// The emulator's port.
fn port() -> u16 {
    static PORT: OnceLock<u16> = OnceLock::new();
    *PORT.get_or_init(start)
}

/// Starts `azurite-blob` on a free port, its data in a directory of its
/// own, removed once the emulator exited.
fn start() -> u16 {
    let port = free_port();
    let location = tempfile::tempdir().expect("a directory for Azurite").keep();
    let mut command = Command::new("azurite-blob");
    command
        .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
        .arg("--location")
        .arg(&location)
        .args(["--silent", "--skipApiVersionCheck", "--loose"]);
    spawn_for_the_tests(
        command,
        "azurite-blob (npm install -g azurite; .ci/run installs it)",
        move || {
            let _ = std::fs::remove_dir_all(&location);
        },
    );
    wait_for_answers("Azurite", port, Duration::from_secs(90), || {
        request(port, "GET", &format!("/{ACCOUNT}?comp=list"), &[], b"").is_ok()
    });
    port
}

/// The environment of a smerge run against the emulator.
fn environment() -> Vec<(&'static str, String)> {
    vec![
        ("AZURE_STORAGE_USE_EMULATOR", "true".into()),
        (
            "AZURITE_BLOB_STORAGE_URL",
            format!("http://127.0.0.1:{}", port()),
        ),
    ]
}

/// `smerge ARGS` in `dir` against the emulator; it must succeed.
#[track_caller]
fn ok(dir: &Dir, args: &[&str]) -> Output {
    let output = smerge(dir)
        .envs(environment())
        .args(args)
        .output()
        .expect("running smerge");
    assert!(
        output.status.success(),
        "smerge {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A new, empty container named after `hint`.
fn container(hint: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "t-{hint}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let target = format!("/{ACCOUNT}/{name}?restype=container");
    let (status, body) = request(port(), "PUT", &target, &[], b"").expect("creating a container");
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    name
}

/// Stores `data` as the block blob `container/key`, directly.
fn put(container: &str, key: &str, data: &[u8]) {
    let (status, body) = request(
        port(),
        "PUT",
        &format!("/{ACCOUNT}/{container}/{key}"),
        &[("x-ms-blob-type", "BlockBlob")],
        data,
    )
    .expect("putting a blob");
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
}

/// The blob `container/key`, if there is one.
fn get(container: &str, key: &str) -> Option<Vec<u8>> {
    let (status, body) = request(
        port(),
        "GET",
        &format!("/{ACCOUNT}/{container}/{key}"),
        &[],
        b"",
    )
    .expect("getting a blob");
    match status {
        200 => Some(body),
        404 => None,
        other => panic!("getting {key}: {other} {}", String::from_utf8_lossy(&body)),
    }
}

/// One request to the emulator at `port`, signed with the account's shared key; the
/// status and the body.
fn request(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    let date = http_date(SystemTime::now());
    let mut signed: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_string()))
        .chain([
            ("x-ms-date".to_owned(), date),
            ("x-ms-version".to_owned(), VERSION.to_owned()),
        ])
        .collect();
    signed.sort();
    let authorization = shared_key(method, target, body.len(), &signed);
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\n\
         Authorization: {authorization}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in &signed {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    exchange(port, head, body)
}

/// `SharedKey ACCOUNT:SIGNATURE` for a request.
fn shared_key(method: &str, target: &str, length: usize, headers: &[(String, String)]) -> String {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut to_sign = format!(
        "{method}\n\n\n{}\n\n\n\n\n\n\n\n\n",
        if length == 0 {
            String::new()
        } else {
            length.to_string()
        }
    );
    for (name, value) in headers {
        to_sign.push_str(&format!("{name}:{value}\n"));
    }
    to_sign.push_str(&format!("/{ACCOUNT}{path}"));
    let mut parameters: Vec<(&str, &str)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    parameters.sort();
    for (name, value) in parameters {
        to_sign.push_str(&format!("\n{name}:{value}"));
    }
    let key = BASE64.decode(KEY).expect("the emulator's key");
    format!(
        "SharedKey {ACCOUNT}:{}",
        BASE64.encode(hmac_sha256(&key, to_sign.as_bytes()))
    )
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// `Mon, 07 Dec 2026 11:36:10 GMT`.
fn http_date(time: SystemTime) -> String {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let days = (seconds / 86_400) as i64;
    let (hour, minute, second) = (seconds / 3600 % 24, seconds / 60 % 60, seconds % 60);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{weekday}, {day:02} {} {year} {hour:02}:{minute:02}:{second:02} GMT",
        months[(month - 1) as usize]
    )
}

/// Files of a small tree, one larger than a block of the upload.
fn tree() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("a.txt", b"alpha\n".to_vec()),
        ("b.bin", data(11, 9 * MIB + 3)),
        (".hidden", b"hidden\n".to_vec()),
        ("lib/c.txt", b"gamma\n".to_vec()),
        ("lib/deep/d.txt", b"delta".to_vec()),
    ]
}

#[test]
fn a_container_is_listed_read_and_written_like_the_same_tree_on_disk() {
    let dir = Dir::new();
    let c = container("tree");
    for (name, contents) in tree() {
        dir.create(format!("in/{name}"), &contents);
        put(&c, &format!("in/{name}"), &contents);
    }
    let prefix = format!("az://{c}/in/");
    for flags in [&["-r"][..], &[], &["-r", "--hidden", "--sort", "size"]] {
        let mut local = vec!["-n"];
        local.extend(flags);
        local.extend(["in/", "-"]);
        let mut remote = vec!["-n"];
        remote.extend(flags);
        remote.extend([prefix.as_str(), "-"]);
        let listed = |args: &[&str], input: &str| -> Vec<String> {
            String::from_utf8_lossy(&ok(&dir, args).stdout)
                .lines()
                .filter(|line| !line.contains("total ("))
                .map(|line| line.replace(input, ""))
                .collect()
        };
        assert_eq!(listed(&local, "in/"), listed(&remote, &prefix), "{flags:?}");
    }

    ok(&dir, &["-r", "in", "local.out"]);
    let expected = dir.read("local.out");
    ok(&dir, &["-r", &prefix, "from-azure.out"]);
    assert_bytes_eq(&expected, &dir.read("from-azure.out"));
    ok(&dir, &["-r", "in", &format!("az://{c}/out/from-disk")]);
    assert_bytes_eq(&expected, &get(&c, "out/from-disk").unwrap());
    let output = ok(
        &dir,
        &["-r", "--json", &prefix, &format!("az://{c}/out/copy")],
    );
    assert_bytes_eq(&expected, &get(&c, "out/copy").unwrap());
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["path"], "stream", "compose is S3's: {summary}");
    ok(&dir, &["pipe", &format!("az://{c}/in/a.txt"), "a.copy"]);
    assert_eq!(dir.read("a.copy"), b"alpha\n");
}
