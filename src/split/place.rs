//! [`Targets`]: where each file of a split goes, checked to stay inside
//! the directory.

use std::io;
use std::path::{Component, Path, PathBuf};

use crate::merge::PartKind;
use crate::merge::manifest::Manifest;
use crate::split::shown;
use crate::{Error, ErrorKind, Result};

/// The target path of each file part, by part index.
#[derive(Debug)]
pub(crate) struct Targets {
    dir: PathBuf,
    paths: Vec<Option<PathBuf>>,
}

fn conflict(path: &Path, why: &str) -> Error {
    Error::new(ErrorKind::Conflict, format!("{}: {why}", shown(path)))
}

impl Targets {
    /// Checks every file part's path under `dir`: no directory on the way
    /// is a symlink or not a directory, and the file itself does not
    /// exist (or, with `force`, is a regular file).
    pub(crate) fn plan(manifest: &Manifest, dir: &Path, force: bool) -> Result<Targets> {
        let mut paths = Vec::with_capacity(manifest.parts.len());
        let mut seen = std::collections::HashSet::new();
        for part in &manifest.parts {
            if part.kind != PartKind::File {
                paths.push(None);
                continue;
            }
            let relative = &part.relative_path()?;
            if !seen.insert(relative.clone()) {
                return Err(Error::new(
                    ErrorKind::InvalidData,
                    format!("{} is listed twice", shown(relative)),
                ));
            }
            let target = checked_path(dir, relative, false)?;
            match std::fs::symlink_metadata(&target) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(conflict(relative, "is a symlink; not replaced"));
                }
                Ok(meta) if !meta.is_file() => {
                    return Err(conflict(relative, "exists and is not a regular file"));
                }
                Ok(_) if !force => {
                    return Err(conflict(relative, "exists (--force replaces it)"));
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(e).reading(&target)),
            }
            paths.push(Some(target));
        }
        Ok(Targets {
            dir: dir.to_path_buf(),
            paths,
        })
    }

    /// The target of part `index`, its directories created (and checked
    /// again), or `None` for a part that is no file.
    pub(crate) fn prepare(&self, index: usize) -> Result<Option<&Path>> {
        let Some(target) = self.paths.get(index).and_then(Option::as_deref) else {
            return Ok(None);
        };
        let relative = target.strip_prefix(&self.dir).unwrap_or(target);
        checked_path(&self.dir, relative, true)?;
        Ok(Some(target))
    }
}

/// `dir/relative`, after checking that each directory on the way is a
/// real directory (not a symlink), creating missing ones when `create`.
fn checked_path(dir: &Path, relative: &Path, create: bool) -> Result<PathBuf> {
    let components: Vec<_> = relative
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .collect();
    let mut path = dir.to_path_buf();
    for (i, component) in components.iter().enumerate() {
        path.push(component);
        if i + 1 == components.len() {
            break;
        }
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(conflict(
                    relative,
                    "would leave the directory through a symlink",
                ));
            }
            Ok(meta) if !meta.is_dir() => {
                return Err(conflict(
                    relative,
                    "a directory on its way is not a directory",
                ));
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if create {
                    std::fs::create_dir(&path).map_err(|e| Error::io(e).writing(&path))?;
                }
            }
            Err(e) => return Err(Error::io(e).reading(&path)),
        }
    }
    Ok(path)
}
