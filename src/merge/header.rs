//! [`HeaderTemplate`]: the text written before each file of a merge, with
//! `{path}`, `{name}`, `{index}`, `{count}` and `{size}` filled in.

use std::fmt::Write as _;

use bytes::Bytes;

use crate::fs::Entry;
use crate::{Error, ErrorKind, Result};

/// One piece of a parsed template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Path,
    Name,
    Index,
    Count,
    Size,
}

/// A header template, parsed once and rendered for every file.
///
/// Placeholders: `{path}` (the path relative to its input directory, or as
/// given for a file named on the command line), `{name}` (the file name),
/// `{index}` (the file's position, from 1), `{count}` (how many files are
/// merged) and `{size}` (its size in bytes, empty for standard input).
/// `{{` and `}}` stand for literal braces. Paths that are not valid UTF-8
/// are written with U+FFFD in place of the invalid bytes.
///
/// # Examples
///
/// ```
/// use smerge::merge::HeaderTemplate;
///
/// let header = HeaderTemplate::parse("/* {index}/{count}: {path} */\n").unwrap();
/// assert!(HeaderTemplate::parse("{file}").is_err());
/// # let _ = header;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderTemplate {
    pieces: Vec<Piece>,
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
                    let piece = match name.as_str() {
                        "path" => Piece::Path,
                        "name" => Piece::Name,
                        "index" => Piece::Index,
                        "count" => Piece::Count,
                        "size" => Piece::Size,
                        _ => {
                            return Err(Error::new(
                                ErrorKind::InvalidArgument,
                                format!(
                                    "unknown placeholder {{{name}}} in header template \
                                     (known: {{path}}, {{name}}, {{index}}, {{count}}, {{size}})"
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
    pub fn render(&self, entry: &Entry, index: usize, count: usize) -> Bytes {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Path => out.push_str(&entry.relative_path().to_string_lossy()),
                Piece::Name => out.push_str(&entry.name().to_string_lossy()),
                Piece::Index => {
                    let _ = write!(out, "{}", index + 1);
                }
                Piece::Count => {
                    let _ = write!(out, "{count}");
                }
                Piece::Size => {
                    if let Some(size) = entry.size() {
                        let _ = write!(out, "{size}");
                    }
                }
            }
        }
        Bytes::from(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let [file, stdin] = listing.entries() else {
            panic!("two entries expected");
        };
        assert_eq!(template.render(file, 0, 2), "{1/2} lib/a.js a.js [5]");
        assert_eq!(template.render(stdin, 1, 2), "{2/2} - - []");
    }
}
