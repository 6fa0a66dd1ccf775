//! [`SourceMapOptions`]: where a merge's source map goes and what it holds.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::Error;
use crate::sourcemap::cache::MapCache;
use crate::sourcemap::paths::relative;
use crate::transforms::Codec;

/// Where the map of a bundle goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapTarget {
    /// Beside the bundle: `OUT.map` (`out.js.map`; for a compressed
    /// `out.js.gz`, `out.js.map` too).
    Beside,
    /// This file.
    File(PathBuf),
    /// At the end of the bundle, as a `data:` URL in its comment.
    Inline,
}

/// The comment that names the map at the end of the bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommentStyle {
    /// `//# sourceMappingURL=URL`.
    Js,
    /// `/*# sourceMappingURL=URL */`.
    Css,
    /// No comment (the map is then found by other means, such as a
    /// `SourceMap` HTTP header).
    None,
}

impl CommentStyle {
    /// The style for a bundle named `path`: CSS for `.css`, JavaScript for
    /// anything else.
    pub fn for_path(path: &Path) -> CommentStyle {
        match path.extension() {
            Some(ext) if ext.eq_ignore_ascii_case("css") => CommentStyle::Css,
            _ => CommentStyle::Js,
        }
    }

    /// The comment naming `url`, on a line of its own.
    pub(crate) fn comment(self, url: &str) -> Option<(String, &'static str)> {
        match self {
            CommentStyle::Js => Some((format!("//# sourceMappingURL={url}"), "\n")),
            CommentStyle::Css => Some((format!("/*# sourceMappingURL={url}"), " */\n")),
            CommentStyle::None => None,
        }
    }
}

/// Called with each warning about an input map (one that cannot be read
/// or decoded), from the thread that writes the map.
#[derive(Clone)]
pub struct WarningHandler(pub Arc<dyn Fn(&Error) + Send + Sync>);

impl fmt::Debug for WarningHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WarningHandler")
    }
}

/// How a merge writes the source map of its bundle.
///
/// [`SourceMapOptions::for_output`] derives everything from the bundle's
/// path; the fields can then be changed.
///
/// # Examples
///
/// ```
/// use smerge::sourcemap::{CommentStyle, MapTarget, SourceMapOptions};
///
/// let options = SourceMapOptions::for_output("dist/app.css.gz".as_ref(), MapTarget::Beside);
/// assert_eq!(options.map_file.as_deref(), Some("dist/app.css.map".as_ref()));
/// assert_eq!(options.url, "app.css.map");
/// assert_eq!(options.file.as_deref(), Some("app.css"));
/// assert_eq!(options.comment, CommentStyle::Css);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SourceMapOptions {
    /// The map's file, written atomically; `None` puts the map inline,
    /// at the end of the bundle.
    pub map_file: Option<PathBuf>,
    /// What the bundle's last comment names: the map's path relative to
    /// the bundle (ignored for an inline map).
    pub url: String,
    /// How that comment is written.
    pub comment: CommentStyle,
    /// The map's `file`: the bundle's name.
    pub file: Option<String>,
    /// The directory `sources` are relative to: the map's (the bundle's
    /// for an inline map).
    pub base: PathBuf,
    /// The map's `sourceRoot`.
    pub source_root: Option<String>,
    /// Embed the sources' texts (`sourcesContent`): from the input maps
    /// where they have them, else read from the source files.
    pub sources_content: bool,
    /// Make a bad input map an error rather than a warning.
    pub strict: bool,
    /// Keeps what was read of inputs that did not change, between merges.
    pub cache: Option<MapCache>,
    /// Receives the warnings.
    pub on_warning: Option<WarningHandler>,
}

impl SourceMapOptions {
    /// The options for a bundle written to `output`: `sources` relative to
    /// the map, the comment naming the map relative to the bundle, its
    /// style by the bundle's extension (a compression extension does not
    /// count: `out.js.gz` is `out.js` to a browser).
    pub fn for_output(output: &Path, target: MapTarget) -> SourceMapOptions {
        // `out.js.gz` is `out.js` to a browser, which decodes it.
        let logical = match Codec::from_extension(output) {
            Some(_) => output.with_extension(""),
            None => output.to_path_buf(),
        };
        let out_dir = logical.parent().unwrap_or(Path::new("")).to_path_buf();
        let map_file = match target {
            MapTarget::Beside => {
                let mut name = logical.clone().into_os_string();
                name.push(".map");
                Some(PathBuf::from(name))
            }
            MapTarget::File(path) => Some(path),
            MapTarget::Inline => None,
        };
        let (base, url) = match &map_file {
            Some(map) => (
                map.parent().unwrap_or(Path::new("")).to_path_buf(),
                relative(&out_dir, map),
            ),
            None => (out_dir, String::new()),
        };
        SourceMapOptions {
            map_file,
            url,
            comment: CommentStyle::for_path(&logical),
            file: logical
                .file_name()
                .map(|name| name.to_string_lossy().into_owned()),
            base,
            source_root: None,
            sources_content: false,
            strict: false,
            cache: None,
            on_warning: None,
        }
    }
}
