//! Paths as a source map writes them: relative to the map, with `/`.

use std::path::{Component, Path, PathBuf};

/// `path` made absolute (against the current directory) and with `.` and
/// `..` resolved by name, as a URL would resolve them.
pub(crate) fn absolute(path: &Path) -> PathBuf {
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// `target` relative to the directory `base`, both made [`absolute`], as
/// a URL path (`../src/a.js`); non-UTF-8 bytes are replaced.
pub(crate) fn relative(base: &Path, target: &Path) -> String {
    let base = absolute(base);
    let target = absolute(target);
    let base: Vec<_> = base.components().collect();
    let target: Vec<_> = target.components().collect();
    let common = base.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); base.len() - common];
    parts.extend(
        target[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_and_descend() {
        assert_eq!(relative(Path::new("/a/b"), Path::new("/a/b/c.js")), "c.js");
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/a/x/c.js")),
            "../x/c.js"
        );
        assert_eq!(
            relative(Path::new("/a/b/"), Path::new("/a/b/./d/../c.js")),
            "c.js"
        );
        assert_eq!(relative(Path::new("/"), Path::new("/c.js")), "c.js");
        assert_eq!(relative(Path::new("/a"), Path::new("/a")), ".");
    }

    #[test]
    fn relative_paths_start_from_the_current_directory() {
        let here = std::env::current_dir().unwrap();
        assert_eq!(relative(Path::new(""), Path::new("src/a.js")), "src/a.js");
        assert_eq!(
            relative(&here.join("out"), Path::new("src/a.js")),
            "../src/a.js"
        );
    }
}
