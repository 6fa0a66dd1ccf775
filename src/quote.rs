//! [`quote`]: file names as messages show them, quoted the way GNU
//! coreutils quote them, so that every message stays one line and no name
//! can drive the terminal that shows it.

use std::ffi::OsStr;
use std::fmt::{self, Write as _};

/// Names longer than this many bytes are shortened in messages.
const MAX_SHOWN: usize = 1024;
/// How many bytes of a shortened name are shown from its start.
const SHOWN_HEAD: usize = 512;
/// How many bytes of a shortened name are shown from its end.
const SHOWN_TAIL: usize = 128;

/// A file name (or any operand) as messages show it: `a.js` as it is,
/// `'my file.js'` in single quotes, control characters and bytes that are
/// not printable UTF-8 as `$'\n'` or `$'\377'` escapes.
///
/// This is the "shell-escape" quoting style of GNU coreutils (`cat`,
/// `wc`, `ls --quoting-style=shell-escape`): a name is quoted only when a
/// shell would need it, and the quoted form pasted into a POSIX shell
/// (bash, zsh, ksh for `$'…'`) gives the name back. So a name with a
/// newline cannot break a message in two, one with an escape sequence
/// cannot drive the terminal, and one with right-to-left override
/// characters cannot reorder what the operator reads.
///
/// A name longer than 1 KiB is shortened to its first 512 and last 128
/// bytes with the number of bytes left out between them, so a hostile
/// 50 MB name makes a short message; the shortened form is not a name any
/// more.
///
/// # Examples
///
/// ```
/// use smerge::quote;
///
/// assert_eq!(quote("logs/app.log").to_string(), "logs/app.log");
/// assert_eq!(quote("my file.js").to_string(), "'my file.js'");
/// assert_eq!(quote("it's.js").to_string(), "\"it's.js\"");
/// assert_eq!(quote("a\nb").to_string(), "'a'$'\\n''b'");
/// assert_eq!(quote("\x1b[31mred").to_string(), "''$'\\033''[31mred'");
/// assert_eq!(quote("").to_string(), "''");
/// ```
pub fn quote<S: AsRef<OsStr> + ?Sized>(name: &S) -> Quoted<'_> {
    Quoted {
        name: name.as_ref().as_encoded_bytes(),
    }
}

/// A name quoted for a message; made by [`quote`], shown with `Display`.
#[derive(Clone, Copy, Debug)]
pub struct Quoted<'a> {
    name: &'a [u8],
}

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.name;
        if name.len() <= MAX_SHOWN {
            return write_quoted(f, name);
        }
        let head = &name[..char_start_at_or_before(name, SHOWN_HEAD)];
        let tail = &name[char_start_at_or_before(name, name.len() - SHOWN_TAIL)..];
        write_quoted(f, head)?;
        write!(f, "[… {} bytes …]", name.len() - head.len() - tail.len())?;
        write_quoted(f, tail)
    }
}

/// The largest index at or before `index` where a UTF-8 sequence starts
/// (or `index`, when none does within 3 bytes: the bytes are not UTF-8).
fn char_start_at_or_before(bytes: &[u8], index: usize) -> usize {
    (index.saturating_sub(3)..=index)
        .rev()
        .find(|&i| i == bytes.len() || !is_continuation(bytes[i]))
        .unwrap_or(index)
}

fn is_continuation(byte: u8) -> bool {
    byte & 0xc0 == 0x80
}

/// One piece of a name: a character shown as it is, or bytes that must be
/// escaped.
enum Piece<'a> {
    Shown(char),
    Escaped(&'a [u8]),
}

/// Splits `name` into characters that can be shown and bytes that cannot.
fn pieces(name: &[u8]) -> impl Iterator<Item = Piece<'_>> {
    name.utf8_chunks().flat_map(|chunk| {
        let valid = chunk.valid();
        let shown = valid.char_indices().map(move |(at, c)| {
            if is_printable(c) {
                Piece::Shown(c)
            } else {
                Piece::Escaped(&valid.as_bytes()[at..at + c.len_utf8()])
            }
        });
        let invalid = chunk.invalid();
        shown.chain((!invalid.is_empty()).then_some(Piece::Escaped(invalid)))
    })
}

/// Characters a terminal shows as themselves: not control characters, and
/// not the line separators and bidirectional controls that move text.
fn is_printable(c: char) -> bool {
    !c.is_control()
        && !matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// Whether `c`, at position `at` of a name of `len` bytes, makes a shell
/// read the name differently, as GNU's shell quoting styles judge it.
fn needs_quotes(c: char, at: usize, len: usize) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' => false,
        '%' | '+' | ',' | '-' | '.' | '/' | ':' | '@' | ']' | '_' => false,
        '#' | '~' => at == 0,
        '{' | '}' => len == 1,
        ' ' | '!' | '"' | '$' | '&' | '\'' | '(' | ')' | '*' | ';' | '<' | '=' | '>' | '?'
        | '[' | '\\' | '^' | '`' | '|' => true,
        c => !c.is_ascii() && !is_printable(c),
    }
}

fn write_quoted(f: &mut fmt::Formatter<'_>, name: &[u8]) -> fmt::Result {
    if name.is_empty() {
        return f.write_str("''");
    }
    let mut quoting = false;
    let mut single_quote = false;
    let mut escapes = false;
    let mut unsafe_in_double_quotes = false;
    let mut at = 0;
    for piece in pieces(name) {
        match piece {
            Piece::Escaped(bytes) => {
                escapes = true;
                at += bytes.len();
            }
            Piece::Shown(c) => {
                quoting |= needs_quotes(c, at, name.len());
                single_quote |= c == '\'';
                unsafe_in_double_quotes |= matches!(c, '"' | '$' | '`' | '\\' | '!');
                at += c.len_utf8();
            }
        }
    }
    if !quoting && !escapes {
        // Printable UTF-8 that a shell reads as one word.
        return f.write_str(std::str::from_utf8(name).expect("only shown characters"));
    }
    if single_quote && !escapes && !unsafe_in_double_quotes {
        f.write_char('"')?;
        f.write_str(std::str::from_utf8(name).expect("only shown characters"))?;
        return f.write_char('"');
    }
    // Single quotes around everything; a single quote as \' between two
    // quoted parts, bytes that cannot be shown as $'…' between two quoted
    // parts.
    #[derive(PartialEq)]
    enum Open {
        Quote,
        Dollar,
        Nothing,
    }
    f.write_char('\'')?;
    let mut open = Open::Quote;
    for piece in pieces(name) {
        match piece {
            Piece::Shown('\'') => {
                if open != Open::Nothing {
                    f.write_char('\'')?;
                }
                f.write_str("\\'")?;
                open = Open::Nothing;
            }
            Piece::Shown(c) => {
                match open {
                    Open::Quote => {}
                    Open::Dollar => f.write_str("''")?,
                    Open::Nothing => f.write_char('\'')?,
                }
                open = Open::Quote;
                f.write_char(c)?;
            }
            Piece::Escaped(bytes) => {
                match open {
                    Open::Dollar => {}
                    Open::Quote => f.write_str("'$'")?,
                    Open::Nothing => f.write_str("$'")?,
                }
                open = Open::Dollar;
                for &byte in bytes {
                    write_escape(f, byte)?;
                }
            }
        }
    }
    if open != Open::Nothing {
        f.write_char('\'')?;
    }
    Ok(())
}

/// One byte inside `$'…'`: the C escape where there is one, else octal.
fn write_escape(f: &mut fmt::Formatter<'_>, byte: u8) -> fmt::Result {
    match byte {
        0x07 => f.write_str("\\a"),
        0x08 => f.write_str("\\b"),
        0x0c => f.write_str("\\f"),
        b'\n' => f.write_str("\\n"),
        b'\r' => f.write_str("\\r"),
        b'\t' => f.write_str("\\t"),
        0x0b => f.write_str("\\v"),
        byte => write!(f, "\\{byte:03o}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    fn q(name: &[u8]) -> String {
        quote(OsStr::from_bytes(name)).to_string()
    }

    #[test]
    fn plain_names_stay_as_they_are() {
        for name in [
            "a.js",
            "logs/app.3.log",
            "/tmp/x-y_z,1+2%:@]",
            "café.txt",
            "a#b",
            "a~",
        ] {
            assert_eq!(q(name.as_bytes()), name);
        }
    }

    #[test]
    fn shell_specials_are_quoted() {
        assert_eq!(q(b"my file"), "'my file'");
        assert_eq!(q(b"a*b"), "'a*b'");
        assert_eq!(q(b"#a"), "'#a'");
        assert_eq!(q(b"~a"), "'~a'");
        assert_eq!(q(b"{"), "'{'");
        assert_eq!(q(b"a{b}"), "a{b}");
        assert_eq!(q(b"a=b"), "'a=b'");
        assert_eq!(q(b"back\\slash"), "'back\\slash'");
    }

    #[test]
    fn single_quotes_use_double_quotes_when_they_can() {
        assert_eq!(q(b"it's"), "\"it's\"");
        assert_eq!(q(b"it's a"), "\"it's a\"");
        assert_eq!(q(b"it's $HOME"), "'it'\\''s $HOME'");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(q(b"a\nb"), "'a'$'\\n''b'");
        assert_eq!(q(b"a\n"), "'a'$'\\n'");
        assert_eq!(q(b"\n"), "''$'\\n'");
        assert_eq!(q(b"\x1b[2J"), "''$'\\033''[2J'");
        assert_eq!(q(b"tab\there"), "'tab'$'\\t''here'");
        assert_eq!(q(b"a\n\x1b[2J"), "'a'$'\\n\\033''[2J'");
        assert_eq!(q(b"del\x7f"), "'del'$'\\177'");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_escaped() {
        assert_eq!(q(b"b\xff.js"), "'b'$'\\377''.js'");
        assert_eq!(q(b"b\xfe.js"), "'b'$'\\376''.js'");
    }

    #[test]
    fn text_direction_controls_are_escaped() {
        assert_eq!(
            q("evil\u{202e}sj.exe".as_bytes()),
            "'evil'$'\\342\\200\\256''sj.exe'"
        );
        assert_eq!(
            q("line\u{2028}sep".as_bytes()),
            "'line'$'\\342\\200\\250''sep'"
        );
    }

    #[test]
    fn the_output_is_one_line_of_printable_characters() {
        let mut name: Vec<u8> = (0..=255).collect();
        name.extend_from_slice("é\u{202e}'\"$".as_bytes());
        let quoted = q(&name);
        assert!(
            quoted.chars().all(|c| !c.is_control() && is_printable(c)),
            "{quoted:?}"
        );
    }

    #[test]
    fn absurd_names_are_shortened() {
        let mut name = b"start/".to_vec();
        name.extend(std::iter::repeat_n(b'x', 50 << 20));
        name.extend_from_slice(b"/end.js");
        let quoted = q(&name);
        assert!(quoted.len() < 1024, "{} bytes", quoted.len());
        assert!(quoted.starts_with("start/xxx"), "{quoted}");
        assert!(quoted.ends_with("xxx/end.js"), "{quoted}");
        assert!(quoted.contains(&format!("[… {} bytes …]", name.len() - 640)));
    }

    #[test]
    fn shortening_does_not_split_a_character() {
        let name = "é".repeat(1000);
        let quoted = q(name.as_bytes());
        assert!(!quoted.contains('$'), "{quoted}");
        assert!(quoted.starts_with("éé") && quoted.ends_with("éé"));
    }
}
