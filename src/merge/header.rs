//! [`HeaderTemplate`]: the text written before each file of a merge, with
//! `{path}`, `{name}`, `{index}`, `{count}` and `{size}` filled in, and
//! names escaped so that they cannot end the comment or string they are
//! placed in.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;

use bytes::Bytes;

use crate::fs::Entry;
use crate::{Error, ErrorKind, Result};

/// One piece of a parsed template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    /// `{path}` or `{name}`, escaped for where it is placed (`None`: raw).
    Name {
        whole_path: bool,
        escaped: Option<Placement>,
    },
    Index,
    Count,
    Size,
}

/// Where in the template's text a name is placed, as far as escaping it
/// goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Placement {
    /// Anywhere but in a string: a comment, code, plain text.
    Outside,
    /// Inside a string literal opened with this quote: `"`, `'` or `` ` ``.
    Quoted(u8),
}

/// A header template, parsed once and rendered for every file.
///
/// Placeholders: `{path}` (the path relative to its input directory, or as
/// given for a file named on the command line), `{name}` (the file name),
/// `{index}` (the file's position, from 1), `{count}` (how many files are
/// merged) and `{size}` (its size in bytes, empty for standard input).
/// `{{` and `}}` stand for literal braces.
///
/// # Names are escaped
///
/// File names come from whoever wrote the tree, so `{path}` and `{name}`
/// are written so that they cannot end the comment or the string they are
/// placed in, whatever the language:
///
/// - a `/` that would close a block comment (`*/`) and a `>` that would
///   close an HTML comment (`-->`, `--!>`) get a backslash before them
///   (`*\/`, `--\>`), also where the name meets the template's own text;
/// - line breaks, tabs and other control characters, the Unicode line
///   and paragraph separators and the text-direction controls are written
///   as escapes (`\n`, `\t`, `\x1b`, `\u2028`, `\u202e`), so a name can
///   neither end a line comment nor reorder what a reader sees;
/// - inside a string literal of the template (`"{path}"`, `'{name}'`,
///   `` `{path}` ``), the string's quote and backslashes are escaped with a
///   backslash (and `${` in a template literal);
/// - bytes that are not UTF-8 are written as U+FFFD.
///
/// `{path:raw}` and `{name:raw}` write the bytes of the name as they are,
/// for templates that need them exactly (and trust the tree).
///
/// # Examples
///
/// ```
/// use std::ffi::OsStr;
/// use smerge::merge::{HeaderFields, HeaderTemplate};
///
/// let header = HeaderTemplate::parse("/* {index}/{count}: {path} */\n").unwrap();
/// let fields = HeaderFields::new(OsStr::new("a*/alert(1);/*.js"), 0, 2);
/// assert_eq!(header.render_fields(&fields), "/* 1/2: a*\\/alert(1);/*.js */\n");
///
/// let raw = HeaderTemplate::parse("{path:raw}").unwrap();
/// assert_eq!(raw.render_fields(&fields), "a*/alert(1);/*.js");
/// assert!(HeaderTemplate::parse("{file}").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderTemplate {
    pieces: Vec<Piece>,
}

/// What a [`HeaderTemplate`] is filled in with for one file: its path,
/// name, position and size.
///
/// [`HeaderTemplate::render`] takes them from an [`Entry`];
/// [`HeaderTemplate::render_fields`] takes them from here, for inputs that
/// are not files of a listing.
#[derive(Clone, Copy, Debug)]
pub struct HeaderFields<'a> {
    /// `{path}`.
    pub path: &'a OsStr,
    /// `{name}`.
    pub name: &'a OsStr,
    /// The file's position, from 0 (`{index}` shows it from 1).
    pub index: usize,
    /// `{count}`.
    pub count: usize,
    /// `{size}`; nothing when `None`.
    pub size: Option<u64>,
}

impl<'a> HeaderFields<'a> {
    /// The fields of the file at `path`, the `index`-th (from 0) of
    /// `count`: its name is the last component of `path`, its size unknown.
    pub fn new(path: &'a OsStr, index: usize, count: usize) -> HeaderFields<'a> {
        let name = std::path::Path::new(path).file_name().unwrap_or(path);
        HeaderFields {
            path,
            name,
            index,
            count,
            size: None,
        }
    }
}

impl HeaderTemplate {
    /// Parses `template`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`] for an unknown placeholder or an
    /// unmatched brace.
    pub fn parse(template: &str) -> Result<HeaderTemplate> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut context = Context::Code;
        let mut chars = template.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => name.push(c),
                            None => {
                                return Err(Error::new(
                                    ErrorKind::InvalidArgument,
                                    "unmatched '{' in header template \
                                     (write '{{' for a literal brace)",
                                ));
                            }
                        }
                    }
                    context = context.after(&text);
                    let escaped = Some(context.placement());
                    let piece = match name.as_str() {
                        "path" => Piece::Name {
                            whole_path: true,
                            escaped,
                        },
                        "path:raw" => Piece::Name {
                            whole_path: true,
                            escaped: None,
                        },
                        "name" => Piece::Name {
                            whole_path: false,
                            escaped,
                        },
                        "name:raw" => Piece::Name {
                            whole_path: false,
                            escaped: None,
                        },
                        "index" => Piece::Index,
                        "count" => Piece::Count,
                        "size" => Piece::Size,
                        _ => {
                            return Err(Error::new(
                                ErrorKind::InvalidArgument,
                                format!(
                                    "unknown placeholder {{{}}} in header template (known: \
                                     {{path}}, {{name}}, {{path:raw}}, {{name:raw}}, {{index}}, \
                                     {{count}}, {{size}})",
                                    name.escape_debug()
                                ),
                            ));
                        }
                    };
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(piece);
                }
                '}' => {
                    return Err(Error::new(
                        ErrorKind::InvalidArgument,
                        "unmatched '}' in header template (write '}}' for a literal brace)",
                    ));
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(HeaderTemplate { pieces })
    }

    /// The header for `entry`, the `index`-th (from 0) of `count` files.
    pub fn render(&self, entry: &Entry<'_>, index: usize, count: usize) -> Bytes {
        self.render_fields(&HeaderFields {
            path: entry.relative_path().as_os_str(),
            name: entry.name(),
            index,
            count,
            size: entry.size(),
        })
    }

    /// The header for a file described by `fields`.
    pub fn render_fields(&self, fields: &HeaderFields<'_>) -> Bytes {
        let mut out = Vec::new();
        for (at, piece) in self.pieces.iter().enumerate() {
            match piece {
                Piece::Text(text) => out.extend_from_slice(text.as_bytes()),
                Piece::Name {
                    whole_path,
                    escaped,
                } => {
                    let name = if *whole_path {
                        fields.path
                    } else {
                        fields.name
                    };
                    match escaped {
                        None => out.extend_from_slice(name.as_bytes()),
                        Some(placement) => {
                            let next = match self.pieces.get(at + 1) {
                                Some(Piece::Text(text)) => text.as_bytes(),
                                _ => &[],
                            };
                            write_escaped(&mut out, name.as_bytes(), *placement, next);
                        }
                    }
                }
                Piece::Index => write_number(&mut out, fields.index + 1),
                Piece::Count => write_number(&mut out, fields.count),
                Piece::Size => {
                    if let Some(size) = fields.size {
                        write_number(&mut out, size);
                    }
                }
            }
        }
        Bytes::from(out)
    }
}

fn write_number(out: &mut Vec<u8>, number: impl std::fmt::Display) {
    let mut text = String::new();
    let _ = write!(text, "{number}");
    out.extend_from_slice(text.as_bytes());
}

/// The sequences that end a comment: a block comment (`*/`) and an HTML
/// comment (`-->`, or `--!>`, which HTML also accepts).
const COMMENT_ENDS: [&[u8]; 3] = [b"*/", b"-->", b"--!>"];

/// Appends `name` to `out`, escaped for `placement`, where `next` is the
/// template's text that follows it.
fn write_escaped(out: &mut Vec<u8>, name: &[u8], placement: Placement, next: &[u8]) {
    let start = out.len();
    for c in String::from_utf8_lossy(name).chars() {
        if let Placement::Quoted(quote) = placement {
            let breaks_out = c == '\\'
                || c == char::from(quote)
                || (quote == b'`' && c == '{' && out.last() == Some(&b'$'));
            if breaks_out {
                out.push(b'\\');
            }
        }
        if let Some(escape) = control_escape(c) {
            out.extend_from_slice(escape.as_bytes());
            continue;
        }
        let mut buf = [0; 4];
        let bytes = c.encode_utf8(&mut buf).as_bytes();
        // Would this character complete the end of a comment?
        let mut candidate = out[out.len().saturating_sub(3)..].to_vec();
        candidate.extend_from_slice(bytes);
        if COMMENT_ENDS.iter().any(|end| candidate.ends_with(end)) {
            out.push(b'\\');
        }
        out.extend_from_slice(bytes);
    }
    // Would the name's end and the template's next text make one?
    if out.len() > start {
        let tail = &out[out.len().saturating_sub(3)..];
        let crosses = COMMENT_ENDS.iter().any(|end| {
            (1..end.len()).any(|k| tail.ends_with(&end[..k]) && next.starts_with(&end[k..]))
        });
        if crosses {
            out.push(b'\\');
        }
    }
}

/// How a character that must not appear as it is gets written: control
/// characters, the Unicode line and paragraph separators, and the
/// text-direction controls, with the escapes C, JavaScript and most
/// languages read in strings; `None` for every other character.
fn control_escape(c: char) -> Option<String> {
    Some(match c {
        '\n' => "\\n".to_owned(),
        '\r' => "\\r".to_owned(),
        '\t' => "\\t".to_owned(),
        c if c.is_ascii_control() => format!("\\x{:02x}", u32::from(c)),
        c if c.is_control()
            || matches!(
                c,
                '\u{061c}'
                    | '\u{200e}'
                    | '\u{200f}'
                    | '\u{2028}'
                    | '\u{2029}'
                    | '\u{202a}'..='\u{202e}'
                    | '\u{2066}'..='\u{2069}'
            ) =>
        {
            format!("\\u{:04x}", u32::from(c))
        }
        _ => return None,
    })
}

/// Where the template's text has got to, for telling a string from the
/// rest: quotes inside comments do not open strings, and comment openers
/// inside strings do not open comments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Context {
    Code,
    BlockComment,
    LineComment,
    HtmlComment,
    Str(u8),
}

impl Context {
    /// The context after `text`, starting from this one.
    fn after(self, text: &str) -> Context {
        let bytes = text.as_bytes();
        let mut context = self;
        let mut i = 0;
        while i < bytes.len() {
            let rest = &bytes[i..];
            let (next, skip) = match context {
                Context::Code => {
                    if rest.starts_with(b"/*") {
                        (Context::BlockComment, 2)
                    } else if rest.starts_with(b"//") || rest.starts_with(b"#") {
                        (Context::LineComment, 1)
                    } else if rest.starts_with(b"<!--") {
                        (Context::HtmlComment, 4)
                    } else if matches!(rest[0], b'"' | b'\'' | b'`') {
                        (Context::Str(rest[0]), 1)
                    } else {
                        (Context::Code, 1)
                    }
                }
                Context::BlockComment if rest.starts_with(b"*/") => (Context::Code, 2),
                Context::HtmlComment if rest.starts_with(b"-->") => (Context::Code, 3),
                Context::LineComment if rest[0] == b'\n' => (Context::Code, 1),
                Context::Str(quote) if rest[0] == b'\\' => (Context::Str(quote), 2),
                Context::Str(quote) if rest[0] == quote => (Context::Code, 1),
                same => (same, 1),
            };
            context = next;
            i += skip;
        }
        context
    }

    fn placement(self) -> Placement {
        match self {
            Context::Str(quote) => Placement::Quoted(quote),
            _ => Placement::Outside,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &str, path: &[u8]) -> String {
        let fields = HeaderFields::new(OsStr::from_bytes(path), 0, 1);
        let rendered = HeaderTemplate::parse(template)
            .unwrap()
            .render_fields(&fields);
        String::from_utf8(rendered.to_vec()).unwrap()
    }

    #[test]
    fn braces_escape_and_errors() {
        let template = HeaderTemplate::parse("{{x}} {path}").unwrap();
        assert_eq!(template.pieces[0], Piece::Text("{x} ".into()));
        assert!(HeaderTemplate::parse("a } b").is_err());
        for unclosed in ["{path", "{", "a {{ {name"] {
            let err = HeaderTemplate::parse(unclosed).unwrap_err();
            assert!(
                format!("{err:#}").contains("unmatched '{'"),
                "{unclosed}: {err}"
            );
        }
        assert!(format!("{:#}", HeaderTemplate::parse("{nope}").unwrap_err()).contains("{nope}"));
        let err = format!("{:#}", HeaderTemplate::parse("{a\nb}").unwrap_err());
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn render_fills_every_placeholder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("lib")).unwrap();
        std::fs::write(dir.path().join("lib/a.js"), "a();\n").unwrap();
        let listing = crate::fs::Listing::builder()
            .recursive(true)
            .input(dir.path())
            .input("-")
            .build()
            .unwrap();
        let template = HeaderTemplate::parse("{{{index}/{count}}} {path} {name} [{size}]").unwrap();
        let (file, stdin) = (listing.get(0).unwrap(), listing.get(1).unwrap());
        assert_eq!(template.render(&file, 0, 2), "{1/2} lib/a.js a.js [5]");
        assert_eq!(template.render(&stdin, 1, 2), "{2/2} - - []");
    }

    #[test]
    fn a_name_cannot_end_a_block_comment() {
        assert_eq!(
            render("/* {path} */\n", b"a*/console.log(1);/*.js"),
            "/* a*\\/console.log(1);/*.js */\n"
        );
        // Where the name meets the template's text, on either side.
        assert_eq!(render("/* x*{path} */", b"/evil"), "/* x*\\/evil */");
        assert_eq!(render("/* {path}/ */", b"evil*"), "/* evil*\\/ */");
        // A banner may have opened the comment: escaped all the same.
        assert_eq!(render("{path}\n", b"a*/b"), "a*\\/b\n");
    }

    #[test]
    fn a_name_cannot_end_an_html_comment() {
        assert_eq!(render("<!-- {path} -->", b"a-->b"), "<!-- a--\\>b -->");
        assert_eq!(render("<!-- {path} -->", b"a--!>b"), "<!-- a--!\\>b -->");
        assert_eq!(render("<!-- {path}> -->", b"a--"), "<!-- a--\\> -->");
        assert_eq!(render("<!-- {path}!> -->", b"a--"), "<!-- a--\\!> -->");
        assert_eq!(
            render("<!-- {path} -->", b"block--modifier.css"),
            "<!-- block--modifier.css -->"
        );
    }

    #[test]
    fn a_name_cannot_end_a_line() {
        assert_eq!(
            render("// {path}\n", b"a\nalert(1)//.js"),
            "// a\\nalert(1)//.js\n"
        );
        assert_eq!(render("# {name}\n", b"x\r\x1b[2J\t"), "# x\\r\\x1b[2J\\t\n");
        assert_eq!(
            render("-- {path}\n", "rtl\u{202e}txt.sql\u{2028}".as_bytes()),
            "-- rtl\\u202etxt.sql\\u2028\n"
        );
    }

    #[test]
    fn a_name_cannot_end_a_string() {
        assert_eq!(
            render(r#"load("{path}");"#, br#"a");evil("x"#),
            r#"load("a\");evil(\"x");"#
        );
        assert_eq!(render("x = '{path}';", b"it's\\"), "x = 'it\\'s\\\\';");
        assert_eq!(render("t`{path}`", b"${evil}`"), "t`$\\{evil}\\``");
        // A quote inside a comment opens no string.
        assert_eq!(render("// it's {path}\n", b"o'k"), "// it's o'k\n");
        // Nor does a quote that the template closed.
        assert_eq!(render("\"a\" {path}", b"b\"c"), "\"a\" b\"c");
    }

    #[test]
    fn raw_placeholders_write_the_bytes() {
        let fields = HeaderFields::new(OsStr::from_bytes(b"dir/b\xff*/x\n"), 0, 1);
        let raw = HeaderTemplate::parse("{path:raw}|{name:raw}").unwrap();
        assert_eq!(&raw.render_fields(&fields)[..], b"dir/b\xff*/x\n|x\n");
        let escaped = HeaderTemplate::parse("{path}").unwrap();
        assert_eq!(
            &escaped.render_fields(&fields)[..],
            "dir/b\u{fffd}*\\/x\\n".as_bytes()
        );
    }

    #[test]
    fn ordinary_names_are_left_alone() {
        for name in ["src/app.js", "a b/c-d_e.f.min.js", "événement.txt", "x--y"] {
            assert_eq!(
                render("/* {path} */", name.as_bytes()),
                format!("/* {name} */")
            );
        }
    }
}
