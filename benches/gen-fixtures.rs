//! Writes the deterministic inputs of `benches/compare.sh`.
//!
//! `compare.sh` compiles this file on its own with `rustc -O`; it is not part of
//! the smerge crate (Cargo.toml turns off automatic bench targets). The
//! criterion benchmark `merge.rs` includes it as a module, to merge the same
//! fixtures through the library.
//!
//! Usage: `gen-fixtures KIND ROOT FILES BYTES DIRS SEED`
//!
//! - KIND: `text` (log-like lines) or `js` (JavaScript-like source);
//! - ROOT: directory to create the files in;
//! - FILES: how many files; BYTES: the exact size of each, ending in a newline;
//! - DIRS: 0 puts the files directly in ROOT (`f00000.txt`), N spreads them over
//!   N subdirectories (`d000/f00000.txt`); names are fixed-width, so a byte-wise
//!   sort of the relative paths and a per-directory walk agree;
//! - SEED: the same seed and arguments always give the same bytes.
//!
//! The text is pseudo-random words from a skewed vocabulary mixed with numbers,
//! so that gzip -6 compresses it about as well as real logs and sources.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::thread;

/// SplitMix64: small, fast and good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// In `0..n`, low indices much more likely than high ones (roughly Zipf).
    fn skewed(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((u * u * u * u * n as f64) as usize).min(n - 1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const SYLLABLES: [&str; 40] = [
    "ka", "lo", "mi", "ne", "ru", "ta", "shi", "po", "va", "ze", "qu", "in", "er", "on", "an",
    "st", "th", "ch", "ble", "ment", "ing", "ion", "ex", "pro", "con", "de", "re", "ar", "or",
    "ul", "ix", "fa", "go", "hu", "je", "bo", "cy", "dra", "mo", "sel",
];

/// Words made of syllables; their order is their frequency rank.
fn vocabulary(seed: u64, size: usize) -> Vec<String> {
    let mut rng = Rng(seed);
    (0..size)
        .map(|rank| {
            let syllables = 1 + rank.min(3000) / 1000 + rng.below(2) as usize;
            (0..syllables)
                .map(|_| SYLLABLES[rng.below(SYLLABLES.len() as u64) as usize])
                .collect()
        })
        .collect()
}

/// What a generator needs: randomness, the words, the identifiers of the
/// current source file, and the buffer it appends to.
struct Writer<'a> {
    rng: Rng,
    words: &'a [String],
    names: Vec<String>,
    out: Vec<u8>,
}

impl Writer<'_> {
    fn word(&mut self) -> &str {
        let i = self.rng.skewed(self.words.len());
        &self.words[i]
    }

    fn push(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
    }

    fn push_word(&mut self) {
        let i = self.rng.skewed(self.words.len());
        self.out.extend_from_slice(self.words[i].as_bytes());
    }

    fn push_words(&mut self, count: u64) {
        for i in 0..count {
            if i > 0 {
                self.out.push(b' ');
            }
            self.push_word();
        }
    }

    /// Pushes `yes` with the given chance, `no` otherwise.
    fn push_either(&mut self, percent: u64, yes: &str, no: &str) {
        let s = if self.rng.chance(percent) { yes } else { no };
        self.push(s);
    }

    fn push_number(&mut self, n: u64) {
        self.push_padded(n, 1);
    }

    fn push_padded(&mut self, n: u64, width: usize) {
        let mut digits = [b'0'; 20];
        let mut at = digits.len();
        let mut rest = n;
        while rest > 0 || at == digits.len() {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        at = at.min(digits.len() - width);
        self.out.extend_from_slice(&digits[at..]);
    }

    /// A camelCase identifier of one to three words.
    fn camel(&mut self) -> String {
        let mut name = String::new();
        for i in 0..self.rng.between(1, 3) {
            let word = self.word();
            let mut chars = word.chars();
            if let (true, Some(first)) = (i > 0, chars.next()) {
                name.push(first.to_ascii_uppercase());
                name.push_str(chars.as_str());
            } else {
                name.push_str(word);
            }
        }
        name
    }

    /// One of the current file's identifiers; files reuse their names as real code does.
    fn push_name(&mut self) {
        let n = self.names.len() as u64;
        let i = self.rng.below(n).min(self.rng.below(n)) as usize;
        self.out.extend_from_slice(self.names[i].as_bytes());
    }

    fn push_hex(&mut self, digits: usize) {
        let n = self.rng.next();
        for i in (0..digits).rev() {
            self.out
                .push(b"0123456789abcdef"[(n >> (4 * i)) as usize & 15]);
        }
    }
}

const LEVELS: [&str; 20] = [
    "INFO ", "INFO ", "INFO ", "INFO ", "INFO ", "INFO ", "INFO ", "INFO ", "INFO ", "INFO ",
    "INFO ", "INFO ", "INFO ", "INFO ", "DEBUG", "DEBUG", "DEBUG", "WARN ", "WARN ", "ERROR",
];
const STATUSES: [u64; 8] = [200, 200, 200, 200, 201, 204, 404, 500];

/// One log line: `2024-03-07T13:04:05.123Z INFO  [component] message key=value...`.
fn text_line(w: &mut Writer, clock_ms: &mut u64, day: u64) {
    *clock_ms = (*clock_ms + w.rng.below(40)) % 86_400_000;
    let ms = *clock_ms;
    w.push("2024-03-");
    w.push_padded(day, 2);
    w.push("T");
    w.push_padded(ms / 3_600_000, 2);
    w.push(":");
    w.push_padded(ms / 60_000 % 60, 2);
    w.push(":");
    w.push_padded(ms / 1000 % 60, 2);
    w.push(".");
    w.push_padded(ms % 1000, 3);
    w.push("Z ");
    let level = LEVELS[w.rng.below(LEVELS.len() as u64) as usize];
    w.push(level);
    w.push(" [");
    let component = w.rng.skewed(24);
    w.out.extend_from_slice(w.words[component].as_bytes());
    w.push("] ");
    let count = w.rng.between(3, 12);
    w.push_words(count);
    for _ in 0..w.rng.below(4) {
        match w.rng.below(8) {
            0 => {
                w.push(" id=");
                let id = w.rng.between(1_000_000, 9_999_999);
                w.push_number(id);
            }
            1 => {
                w.push(" user=");
                w.push_word();
            }
            2 => {
                w.push(" ms=");
                let ms = w.rng.skewed(5000) as u64;
                w.push_number(ms);
            }
            3 => {
                w.push(" path=/api/");
                w.push_word();
                w.push("/");
                w.push_word();
            }
            4 | 5 => {
                w.push(" status=");
                let status = STATUSES[w.rng.below(STATUSES.len() as u64) as usize];
                w.push_number(status);
            }
            6 => {
                w.push(" host=web-");
                let host = w.rng.skewed(40) as u64;
                w.push_padded(host, 2);
            }
            _ => {
                w.push(" trace=");
                w.push_hex(12);
            }
        }
    }
    w.push("\n");
}

fn js_string(w: &mut Writer) {
    w.push("'");
    let count = w.rng.between(1, 5);
    w.push_words(count);
    w.push("'");
}

fn js_expression(w: &mut Writer) {
    match w.rng.below(5) {
        0 => {
            let n = w.rng.skewed(1000) as u64;
            w.push_number(n);
        }
        1 => js_string(w),
        2 => {
            w.push_name();
            w.push(".");
            w.push_name();
            w.push("(");
            w.push_name();
            w.push(")");
        }
        3 => {
            w.push_name();
            w.push(" + ");
            let n = w.rng.below(100);
            w.push_number(n);
        }
        _ => w.push_name(),
    }
}

fn js_statement(w: &mut Writer, indent: &str) {
    w.push(indent);
    match w.rng.below(7) {
        0 | 1 => {
            w.push_either(70, "const ", "let ");
            w.push_name();
            w.push(" = ");
            js_expression(w);
            w.push(";\n");
        }
        2 => {
            w.push("if (");
            w.push_name();
            w.push(" > ");
            let n = w.rng.skewed(100) as u64;
            w.push_number(n);
            w.push(") {\n");
            w.push(indent);
            w.push("  return ");
            js_expression(w);
            w.push(";\n");
            w.push(indent);
            w.push("}\n");
        }
        3 => {
            w.push("for (let i = 0; i < ");
            w.push_name();
            w.push(".length; i++) {\n");
            w.push(indent);
            w.push("  ");
            w.push_name();
            w.push(" += ");
            w.push_name();
            w.push("[i];\n");
            w.push(indent);
            w.push("}\n");
        }
        4 => {
            w.push("console.log(`");
            let count = w.rng.between(2, 6);
            w.push_words(count);
            w.push(": ${");
            w.push_name();
            w.push("}`);\n");
        }
        5 => {
            w.push("this.");
            w.push_name();
            w.push(" = ");
            js_expression(w);
            w.push(";\n");
        }
        _ => {
            w.push("await ");
            w.push_name();
            w.push(".");
            w.push_name();
            w.push("(");
            js_expression(w);
            w.push(", { ");
            w.push_name();
            w.push(": ");
            js_expression(w);
            w.push(" });\n");
        }
    }
}

fn js_params(w: &mut Writer) {
    w.push("(");
    for i in 0..w.rng.below(4) {
        if i > 0 {
            w.push(", ");
        }
        w.push_name();
    }
    w.push(")");
}

/// One top-level JavaScript item: an import, a comment, a function, a class or a table.
fn js_block(w: &mut Writer) {
    match w.rng.below(10) {
        0 | 1 => {
            w.push("import { ");
            w.push_name();
            w.push(", ");
            w.push_name();
            w.push(" } from './");
            w.push_word();
            w.push("/");
            w.push_word();
            w.push(".js';\n");
        }
        2 => {
            w.push("/**\n * ");
            let count = w.rng.between(4, 12);
            w.push_words(count);
            w.push("\n * @param {");
            w.push_either(50, "string", "object");
            w.push("} ");
            w.push_name();
            w.push(" ");
            let count = w.rng.between(2, 6);
            w.push_words(count);
            w.push("\n * @returns {Promise<void>}\n */\n");
        }
        3..=6 => {
            w.push_either(50, "export ", "");
            w.push_either(30, "async function ", "function ");
            w.push_name();
            js_params(w);
            w.push(" {\n");
            for _ in 0..w.rng.between(2, 8) {
                js_statement(w, "  ");
            }
            w.push("}\n\n");
        }
        7 | 8 => {
            w.push("export class ");
            w.push_name();
            w.push(" extends ");
            w.push_name();
            w.push(" {\n  constructor");
            js_params(w);
            w.push(" {\n    super();\n");
            for _ in 0..w.rng.between(1, 4) {
                js_statement(w, "    ");
            }
            w.push("  }\n");
            for _ in 0..w.rng.between(1, 3) {
                w.push("\n  ");
                w.push_name();
                js_params(w);
                w.push(" {\n");
                for _ in 0..w.rng.between(1, 5) {
                    js_statement(w, "    ");
                }
                w.push("  }\n");
            }
            w.push("}\n\n");
        }
        _ => {
            w.push("const ");
            let name = w.word().to_ascii_uppercase();
            w.push(&name);
            w.push(" = {\n");
            for _ in 0..w.rng.between(2, 6) {
                w.push("  ");
                w.push_name();
                w.push(": ");
                js_expression(w);
                w.push(",\n");
            }
            w.push("};\n\n");
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Js,
}

struct Spec {
    kind: Kind,
    root: PathBuf,
    files: usize,
    bytes: u64,
    dirs: usize,
    seed: u64,
}

impl Spec {
    fn parse(args: &[String]) -> Result<Spec, String> {
        let [kind, root, files, bytes, dirs, seed] = args else {
            return Err("usage: gen-fixtures text|js ROOT FILES BYTES DIRS SEED".into());
        };
        let number = |name: &str, value: &str| {
            value
                .parse::<u64>()
                .map_err(|e| format!("{name} {value:?}: {e}"))
        };
        let kind = match kind.as_str() {
            "text" => Kind::Text,
            "js" => Kind::Js,
            other => return Err(format!("unknown kind {other:?} (text or js)")),
        };
        let spec = Spec {
            kind,
            root: PathBuf::from(root),
            files: number("FILES", files)? as usize,
            bytes: number("BYTES", bytes)?,
            dirs: number("DIRS", dirs)? as usize,
            seed: number("SEED", seed)?,
        };
        if spec.files > 100_000 || spec.dirs > 1000 || spec.bytes == 0 {
            return Err("FILES must be at most 100000, DIRS at most 1000, BYTES at least 1".into());
        }
        Ok(spec)
    }

    fn path(&self, index: usize) -> PathBuf {
        let ext = match self.kind {
            Kind::Text => "txt",
            Kind::Js => "js",
        };
        let name = format!("f{index:05}.{ext}");
        if self.dirs == 0 {
            self.root.join(name)
        } else {
            let per_dir = self.files.div_ceil(self.dirs);
            self.root
                .join(format!("d{:03}", index / per_dir))
                .join(name)
        }
    }
}

/// Writes file `index`, exactly `spec.bytes` long, the last byte a newline.
fn write_file(spec: &Spec, words: &[String], index: usize, path: &Path) -> io::Result<()> {
    let mut file = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut w = Writer {
        rng: Rng(spec.seed ^ (index as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03)),
        words,
        names: Vec::new(),
        out: Vec::with_capacity(4096),
    };
    w.names = (0..80).map(|_| w.camel()).collect();
    let mut clock_ms = w.rng.below(86_400_000);
    let day = 1 + index as u64 % 28;
    let mut left = spec.bytes;
    while left > 0 {
        w.out.clear();
        match spec.kind {
            Kind::Text => text_line(&mut w, &mut clock_ms, day),
            Kind::Js => js_block(&mut w),
        }
        let len = w.out.len() as u64;
        if len < left {
            file.write_all(&w.out)?;
            left -= len;
        } else {
            file.write_all(&w.out[..left as usize - 1])?;
            file.write_all(b"\n")?;
            left = 0;
        }
    }
    file.flush()
}

fn generate(spec: &Spec) -> Result<(), String> {
    let words = vocabulary(spec.seed, 4096);
    for index in 0..spec.files {
        if let Some(dir) = spec.path(index).parent() {
            fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        }
    }
    let threads = thread::available_parallelism().map_or(1, |n| n.get());
    thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|first| {
                let words = &words;
                scope.spawn(move || {
                    (first..spec.files).step_by(threads).try_for_each(|index| {
                        let path = spec.path(index);
                        write_file(spec, words, index, &path)
                            .map_err(|e| format!("writing {}: {e}", path.display()))
                    })
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|worker| worker.join().expect("generator thread panicked"))
    })
}

/// Writes the fixture the arguments describe (see the usage above).
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    Spec::parse(args).and_then(|spec| generate(&spec))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gen-fixtures: {message}");
            ExitCode::FAILURE
        }
    }
}
