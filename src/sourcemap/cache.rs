//! [`MapCache`]: what a merge read of its inputs' maps, kept for the next
//! merge of the same inputs.

use std::collections::HashMap;
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::sourcemap::bundle::{ComposedInput, ComposedKey};
use crate::sourcemap::comment::MapComment;
use crate::sourcemap::input::InputMap;
use crate::sourcemap::measure::Measured;

/// Keeps, for each input and input map file, what was read from it — where
/// its `sourceMappingURL` comment is, its lines and the width of its last
/// one, its decoded map, that map's mappings encoded and its sources'
/// contents as JSON — as long as the files stay the same (same inode,
/// size, modification and change times).
/// Merges given the same cache (`smerge --watch` rebuilding after a save)
/// read again only the files that changed.
///
/// Clones share the cache.
///
/// # Examples
///
/// ```
/// use smerge::sourcemap::MapCache;
///
/// let cache = MapCache::new();
/// assert!(cache.is_empty());
/// ```
#[derive(Clone, Debug, Default)]
pub struct MapCache {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    comments: HashMap<PathBuf, (Stamp, Option<MapComment>)>,
    /// By input: the shape of what a plain merge copies of it.
    measured: HashMap<PathBuf, (Stamp, Measured)>,
    /// By the file the map was read from: its own, or the input's for an
    /// inline map.
    maps: HashMap<PathBuf, (Stamp, InputMap)>,
    /// By input: its map made ready to compose.
    composed: HashMap<PathBuf, (ComposedKey, Arc<ComposedInput>)>,
}

/// What tells a changed file from an unchanged one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    /// The file's size.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    pub(crate) fn of(meta: &Metadata) -> Stamp {
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }
}

impl MapCache {
    /// An empty cache.
    pub fn new() -> MapCache {
        MapCache::default()
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        let inner = self.lock();
        inner.comments.is_empty()
            && inner.measured.is_empty()
            && inner.maps.is_empty()
            && inner.composed.is_empty()
    }

    /// Forgets everything kept about `path` (an input or a map file).
    pub fn forget(&self, path: &Path) {
        let mut inner = self.lock();
        inner.comments.remove(path);
        inner.measured.remove(path);
        inner.maps.remove(path);
        inner.composed.remove(path);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn comment(&self, path: &Path, stamp: Stamp) -> Option<Option<MapComment>> {
        match self.lock().comments.get(path) {
            Some((kept, comment)) if *kept == stamp => Some(comment.clone()),
            _ => None,
        }
    }

    pub(crate) fn keep_comment(&self, path: &Path, stamp: Stamp, comment: Option<MapComment>) {
        self.lock()
            .comments
            .insert(path.to_path_buf(), (stamp, comment));
    }

    pub(crate) fn measured(&self, path: &Path, stamp: Stamp) -> Option<Measured> {
        match self.lock().measured.get(path) {
            Some((kept, measured)) if *kept == stamp => Some(*measured),
            _ => None,
        }
    }

    pub(crate) fn keep_measured(&self, path: &Path, stamp: Stamp, measured: Measured) {
        self.lock()
            .measured
            .insert(path.to_path_buf(), (stamp, measured));
    }

    /// The map read from `path` (a map file, or an input with an inline
    /// map), if kept and the file is still `stamp`.
    pub(crate) fn map(&self, path: &Path, stamp: Stamp) -> Option<InputMap> {
        match self.lock().maps.get(path) {
            Some((kept, map)) if *kept == stamp => Some(map.clone()),
            _ => None,
        }
    }

    pub(crate) fn composed(&self, input: &Path, key: &ComposedKey) -> Option<Arc<ComposedInput>> {
        match self.lock().composed.get(input) {
            Some((kept, composed)) if kept == key => Some(Arc::clone(composed)),
            _ => None,
        }
    }

    pub(crate) fn keep_composed(
        &self,
        input: &Path,
        key: ComposedKey,
        composed: Arc<ComposedInput>,
    ) {
        self.lock()
            .composed
            .insert(input.to_path_buf(), (key, composed));
    }

    pub(crate) fn keep_map(&self, path: &Path, stamp: Stamp, map: InputMap) {
        self.lock().maps.insert(path.to_path_buf(), (stamp, map));
    }
}
