//! Reading an input's own source map: [`InputMap`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use sourcemap::{DecodedMap, SourceMap};

use crate::{Error, ErrorKind, Result};

/// An input's own source map, decoded, with the directory its relative
/// `sources` are resolved against: the map file's, or the input's for an
/// inline map.
///
/// Index maps (with `sections`) are flattened into one map; a section that
/// names its map by URL instead of embedding it is an error.
///
/// # Examples
///
/// ```
/// use smerge::sourcemap::InputMap;
///
/// # fn main() -> smerge::Result<()> {
/// let url = "data:application/json;base64,\
///            eyJ2ZXJzaW9uIjozLCJzb3VyY2VzIjpbImEudHMiXSwibmFtZXMiOltdLCJtYXBwaW5ncyI6IkFBQUEifQ==";
/// let map = InputMap::load("dist/a.js".as_ref(), url)?;
/// assert_eq!(map.map().get_source(0), Some("a.ts"));
/// assert_eq!(map.base(), std::path::Path::new("dist"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct InputMap {
    map: Arc<SourceMap>,
    base: PathBuf,
    file: Option<PathBuf>,
}

impl InputMap {
    /// Loads the map that `url` (from the `sourceMappingURL` comment of the
    /// file at `input`) names: a `data:` URL, or a path relative to the
    /// input's directory (percent-escapes decoded, a `file://` URL taken
    /// as its path).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidData`] for a URL that is neither, a data URL that
    /// is not JSON in base64 or percent-encoding, or a map that is not a
    /// valid source map; [`ErrorKind::Io`] when the map file cannot be
    /// read, naming it.
    pub fn load(input: &Path, url: &str) -> Result<InputMap> {
        let dir = input.parent().unwrap_or(Path::new("")).to_path_buf();
        if let Some(data) = url.strip_prefix("data:") {
            let json = decode_data_url(data)?;
            return Ok(InputMap {
                map: Arc::new(decode(&json)?),
                base: dir,
                file: None,
            });
        }
        InputMap::load_file(map_path(&dir, url)?)
    }

    /// Loads the map file at `path`.
    pub(crate) fn load_file(path: PathBuf) -> Result<InputMap> {
        let bytes = std::fs::read(&path).map_err(|e| Error::io(e).reading(&path))?;
        let map = decode(&bytes).map_err(|e| e.reading(&path))?;
        Ok(InputMap {
            map: Arc::new(map),
            base: path.parent().unwrap_or(Path::new("")).to_path_buf(),
            file: Some(path),
        })
    }

    /// Decodes a source map from its JSON text; `base` is the directory its
    /// relative sources are resolved against.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidData`] for text that is not a valid source map.
    pub fn from_json(json: &[u8], base: impl Into<PathBuf>) -> Result<InputMap> {
        Ok(InputMap {
            map: Arc::new(decode(json)?),
            base: base.into(),
            file: None,
        })
    }

    /// The decoded map.
    pub fn map(&self) -> &SourceMap {
        &self.map
    }

    /// The directory relative sources are resolved against.
    pub fn base(&self) -> &Path {
        &self.base
    }

    /// The map's own file, when it is not inline.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }
}

/// The path of a map file named by `url`, relative to `dir`.
pub(crate) fn map_path(dir: &Path, url: &str) -> Result<PathBuf> {
    let url = url.split(['?', '#']).next().unwrap_or_default();
    let path = match url.strip_prefix("file://") {
        Some(path) => path,
        None if has_scheme(url) => {
            return Err(Error::new(
                ErrorKind::InvalidData,
                format!("the source map {url:?} is not a local file"),
            ));
        }
        None => url,
    };
    let bytes = percent_decode(path.as_bytes())
        .ok_or_else(|| Error::new(ErrorKind::InvalidData, format!("bad URL {url:?}")))?;
    use std::os::unix::ffi::OsStringExt;
    Ok(dir.join(std::ffi::OsString::from_vec(bytes)))
}

/// True when `url` starts with a scheme (`https:`, `webpack:`): letters,
/// digits, `+ - .`, then a colon.
pub(crate) fn has_scheme(url: &str) -> bool {
    match url.find(':') {
        Some(colon) if colon > 1 => url[..colon]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)),
        _ => false,
    }
}

/// Decodes `%XX` escapes; `None` for a malformed one.
fn percent_decode(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let hex = tail.get(..2)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            out.push(b);
            rest = tail;
        }
    }
    Some(out)
}

/// The JSON of a `data:` URL (after `data:`): `application/json` (or
/// `text/plain`, which some tools write), any parameters, then base64 or
/// percent-encoded data.
fn decode_data_url(data: &str) -> Result<Vec<u8>> {
    let bad = |why: &str| Error::new(ErrorKind::InvalidData, format!("bad data URL: {why}"));
    let (header, payload) = data.split_once(',').ok_or_else(|| bad("no comma"))?;
    let mut params = header.split(';');
    let mime = params
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if !matches!(mime.as_str(), "application/json" | "text/plain" | "") {
        return Err(bad(&format!("type {mime:?} is not application/json")));
    }
    let base64 = params.any(|p| p.trim().eq_ignore_ascii_case("base64"));
    if base64 {
        let payload = payload.trim_end_matches('=');
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(payload.as_bytes())
            .map_err(|e| bad(&e.to_string()))
    } else {
        percent_decode(payload.as_bytes()).ok_or_else(|| bad("malformed %-escape"))
    }
}

/// Decodes a map of any kind into one regular map.
fn decode(json: &[u8]) -> Result<SourceMap> {
    let invalid = |e: sourcemap::Error| {
        Error::with_source(ErrorKind::InvalidData, e).context("not a valid source map")
    };
    match sourcemap::decode_slice(json).map_err(invalid)? {
        DecodedMap::Regular(map) => Ok(map),
        DecodedMap::Index(index) => index.flatten().map_err(invalid),
        DecodedMap::Hermes(hermes) => Ok(SourceMap::clone(&hermes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAP: &str = r#"{"version":3,"sources":["a.ts"],"names":["x"],"mappings":"AAAAA,CAAC"}"#;

    #[test]
    fn reads_data_urls_in_every_common_form() {
        let base64 = base64::engine::general_purpose::STANDARD.encode(MAP.as_bytes());
        for url in [
            format!("data:application/json;base64,{base64}"),
            format!("data:application/json;charset=utf-8;base64,{base64}"),
            format!(
                "data:application/json;charset=UTF-8;base64,{}",
                base64.trim_end_matches('=')
            ),
            format!("data:text/plain;base64,{base64}"),
            format!("data:application/json,{}", MAP.replace('"', "%22")),
        ] {
            let map = InputMap::load(Path::new("a.js"), &url).unwrap();
            assert_eq!(map.map().get_token_count(), 2, "{url}");
            assert_eq!(map.map().get_name(0), Some("x"));
        }
    }

    #[test]
    fn reads_map_files_beside_the_input() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("maps")).unwrap();
        std::fs::write(dir.path().join("maps/a b.map"), MAP).unwrap();
        let input = dir.path().join("a.js");
        let map = InputMap::load(&input, "maps/a%20b.map?v=1").unwrap();
        assert_eq!(map.base(), dir.path().join("maps"));
        assert_eq!(map.file(), Some(dir.path().join("maps/a b.map").as_path()));
        let error = InputMap::load(&input, "missing.map").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Io);
        assert!(error.to_string().contains("missing.map"), "{error}");
    }

    #[test]
    fn flattens_index_maps() {
        let index = format!(
            r#"{{"version":3,"sections":[{{"offset":{{"line":0,"column":0}},"map":{MAP}}},
               {{"offset":{{"line":2,"column":4}},"map":{MAP}}}]}}"#
        );
        let map = InputMap::from_json(index.as_bytes(), "").unwrap();
        let tokens: Vec<_> = map.map().tokens().map(|t| t.get_dst()).collect();
        assert_eq!(tokens, [(0, 0), (0, 1), (2, 4), (2, 5)]);
    }

    #[test]
    fn refuses_what_is_not_a_map() {
        for url in [
            "https://example.com/a.map",
            "data:application/json;base64,!!!",
            "data:image/png;base64,AAAA",
            "data:application/json,%zz",
            "data:application/json,{\"version\":3,\"mappings\":\"!\"}",
            "data:application/json,[1,2]",
        ] {
            let error = InputMap::load(Path::new("a.js"), url).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidData, "{url}: {error}");
        }
    }
}
