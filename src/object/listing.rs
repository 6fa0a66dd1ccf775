//! Object URLs as inputs of a [`Listing`]: an object is an explicit file, a
//! prefix a directory, ordered and filtered by the listing's own rules.

use std::future::poll_fn;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use object_store::{ObjectMeta, ObjectStoreExt};
use tokio::task::JoinSet;

use super::store::{Store, key_path, store_error};
use super::url::ObjectUrl;
use crate::Result;
use crate::fs::{ListedDir, Listing, ListingBuilder, RemoteEntry, RemoteInput};

/// How many inputs are listed at once.
const LISTINGS_IN_FLIGHT: usize = 16;

impl ListingBuilder {
    /// [`build`](ListingBuilder::build), with object URLs among the inputs.
    ///
    /// `s3://BUCKET/PREFIX/` (and `gs://`, `az://`) is read like a
    /// directory: without [`recursive`](ListingBuilder::recursive), the
    /// objects directly under the prefix (a `/`-delimited listing; deeper
    /// prefixes are subdirectories, skipped with a warning), with it every
    /// object below; hidden names, patterns, the order and the first and
    /// last pins apply as on disk. `s3://BUCKET/KEY` is one object, given
    /// explicitly, or a prefix when no object has that key. Each object's
    /// size, time and ETag are those the listing saw; a merge reads exactly
    /// that version. `.gitignore` files are not read from object storage.
    ///
    /// # Errors
    ///
    /// As [`build`](ListingBuilder::build); an object URL that cannot be
    /// listed (no such bucket, permission denied) is a
    /// [problem](Listing::problems), as an unreadable file is.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use smerge::fs::Listing;
    ///
    /// # #[tokio::main]
    /// # async fn main() -> smerge::Result<()> {
    /// let listing = Listing::builder()
    ///     .input("s3://backups/logs/")
    ///     .include("*.log")
    ///     .build_async()
    ///     .await?;
    /// for entry in listing.entries() {
    ///     println!("{} {:?}", entry.path().display(), entry.etag());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn build_async(&self) -> Result<Listing> {
        let recursive = self.is_recursive();
        let mut remote: Vec<Option<RemoteInput>> = Vec::new();
        let mut tasks = JoinSet::new();
        for (position, input) in self.input_paths().iter().enumerate() {
            let url = match ObjectUrl::from_path(input) {
                Ok(Some(url)) => url,
                Ok(None) => continue,
                Err(error) => {
                    set(
                        &mut remote,
                        position,
                        RemoteInput::Problem(error.reading(input)),
                    );
                    continue;
                }
            };
            while tasks.len() >= LISTINGS_IN_FLIGHT {
                let (position, listed) = tasks
                    .join_next()
                    .await
                    .expect("a task")
                    .map_err(join_error)?;
                set(&mut remote, position, listed);
            }
            tasks.spawn(async move { (position, list_input(&url, recursive).await) });
        }
        while let Some(done) = tasks.join_next().await {
            let (position, listed) = done.map_err(join_error)?;
            set(&mut remote, position, listed);
        }
        self.build_with(remote)
    }
}

fn set(remote: &mut Vec<Option<RemoteInput>>, position: usize, input: RemoteInput) {
    if remote.len() <= position {
        remote.resize_with(position + 1, || None);
    }
    remote[position] = Some(input);
}

fn join_error(error: tokio::task::JoinError) -> crate::Error {
    crate::Error::io(std::io::Error::other(error))
}

/// The object `url` as a listing of one [`Entry`](crate::fs::Entry): its
/// size, time and ETag now, from one `HEAD` request.
///
/// # Errors
///
/// `url` names a prefix, or no object (an [`io::ErrorKind::NotFound`]
/// error), or it cannot be read; the error names it.
///
/// [`io::ErrorKind::NotFound`]: std::io::ErrorKind::NotFound
///
/// # Examples
///
/// ```no_run
/// use smerge::object::{ObjectUrl, ReadAhead, stat};
///
/// # #[tokio::main]
/// # async fn main() -> smerge::Result<()> {
/// let listing = stat(&"s3://backups/app.log".parse()?).await?;
/// let entry = listing.get(0).expect("one object");
/// let readable = ReadAhead::new(listing.entries()).open(&entry)?;
/// # Ok(())
/// # }
/// ```
pub async fn stat(url: &ObjectUrl) -> Result<Listing> {
    let reading = |error: crate::Error| error.reading(url.to_string());
    if url.is_prefix() {
        return Err(reading(crate::Error::new(
            crate::ErrorKind::InvalidArgument,
            "a prefix, not an object",
        )));
    }
    let store = Store::for_url(url).map_err(reading)?;
    let meta = store
        .client()
        .head(&key_path(url).map_err(reading)?)
        .await
        .map_err(|e| reading(store_error(e)))?;
    let path = PathBuf::from(url.to_string());
    let mut builder = Listing::builder();
    builder.input(&path);
    let object = RemoteInput::Entry(object_entry(path.clone(), path, &meta));
    builder.build_with(vec![Some(object)])
}

/// What the object URL `url` names: an object, or a prefix listed like a
/// directory.
pub(crate) async fn list_input(url: &ObjectUrl, recursive: bool) -> RemoteInput {
    match try_list_input(url, recursive).await {
        Ok(input) => input,
        Err(error) => RemoteInput::Problem(error.reading(url.to_string())),
    }
}

async fn try_list_input(url: &ObjectUrl, recursive: bool) -> Result<RemoteInput> {
    let store = Store::for_url(url)?;
    if !url.is_prefix() {
        match store.client().head(&key_path(url)?).await {
            Ok(meta) => {
                let path = PathBuf::from(url.to_string());
                return Ok(RemoteInput::Entry(object_entry(path.clone(), path, &meta)));
            }
            Err(object_store::Error::NotFound { .. }) => {
                // No such object: a prefix, if anything is below it.
                let listed = list_prefix(&store, &url.as_prefix(), recursive, url).await?;
                if listed.files.is_empty() && listed.subdirs.is_empty() {
                    return Err(store_error(object_store::Error::NotFound {
                        path: url.key().to_owned(),
                        source: "no object has this key, nor this prefix".into(),
                    }));
                }
                return Ok(RemoteInput::Dir(listed));
            }
            Err(error) => return Err(store_error(error)),
        }
    }
    Ok(RemoteInput::Dir(
        list_prefix(&store, url, recursive, url).await?,
    ))
}

/// The objects below the prefix `prefix` (and, unless `recursive`, the
/// prefixes one level down); `given` is the input as the user wrote it.
async fn list_prefix(
    store: &Arc<Store>,
    prefix: &ObjectUrl,
    recursive: bool,
    given: &ObjectUrl,
) -> Result<ListedDir> {
    let key_prefix = prefix.key();
    let path = (!key_prefix.is_empty())
        .then(|| key_path(prefix))
        .transpose()?;
    let client = store.client();
    let mut listed = ListedDir {
        dir: PathBuf::from(given.to_string()),
        ..ListedDir::default()
    };
    let mut add = |meta: ObjectMeta| {
        let key = meta.location.as_ref();
        let Some(relative) = key.strip_prefix(key_prefix) else {
            return;
        };
        // An object named like the prefix itself, or a "folder" marker.
        if relative.is_empty() || relative.ends_with('/') {
            return;
        }
        let url = prefix.join(relative);
        listed.files.push(object_entry(
            PathBuf::from(url.to_string()),
            PathBuf::from(relative),
            &meta,
        ));
    };
    if recursive {
        let mut objects = client.list(path.as_ref());
        while let Some(meta) = poll_fn(|cx| objects.as_mut().poll_next(cx)).await {
            add(meta.map_err(store_error)?);
        }
    } else {
        let found = client
            .list_with_delimiter(path.as_ref())
            .await
            .map_err(store_error)?;
        found.objects.into_iter().for_each(&mut add);
        for common in found.common_prefixes {
            if let Some(relative) = common.as_ref().strip_prefix(key_prefix) {
                listed
                    .subdirs
                    .push(PathBuf::from(relative.trim_end_matches('/')));
            }
        }
    }
    Ok(listed)
}

fn object_entry(path: PathBuf, relative: PathBuf, meta: &ObjectMeta) -> RemoteEntry {
    RemoteEntry {
        path,
        relative,
        size: meta.size,
        modified: Some(SystemTime::from(meta.last_modified)),
        etag: meta.e_tag.clone(),
    }
}
