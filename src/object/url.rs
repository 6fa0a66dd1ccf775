//! [`ObjectUrl`]: where an object, or a prefix of objects, lives.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::{Error, ErrorKind, Result};

/// The object storage services smerge reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// Amazon S3 and the services that speak its API (`s3://`).
    S3,
    /// Google Cloud Storage (`gs://`).
    Gcs,
    /// Azure Blob Storage (`az://`, the container in place of the bucket).
    Azure,
}

impl Scheme {
    /// The URL scheme: `s3`, `gs` or `az`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::S3 => "s3",
            Scheme::Gcs => "gs",
            Scheme::Azure => "az",
        }
    }

    /// The cargo feature that builds this service's client in.
    #[cfg(feature = "object-store")]
    pub(crate) fn feature(self) -> &'static str {
        match self {
            Scheme::S3 => "s3",
            Scheme::Gcs => "gcs",
            Scheme::Azure => "azure",
        }
    }
}

/// An object or a prefix of objects: `s3://BUCKET/KEY`, `gs://BUCKET/KEY`
/// or `az://CONTAINER/KEY`.
///
/// A key that is empty or ends with `/` names a prefix, read like a
/// directory (`s3://logs/2024/`); any other key names an object, or a
/// prefix when no object has that key (`s3://logs/2024`, as `ls` would
/// take a directory named without a trailing slash).
///
/// # Examples
///
/// ```
/// use smerge::object::{ObjectUrl, Scheme};
///
/// let url: ObjectUrl = "s3://backups/logs/2024/".parse()?;
/// assert_eq!(url.scheme(), Scheme::S3);
/// assert_eq!(url.bucket(), "backups");
/// assert_eq!(url.key(), "logs/2024/");
/// assert!(url.is_prefix());
/// assert_eq!(url.join("app.log").to_string(), "s3://backups/logs/2024/app.log");
///
/// assert!(ObjectUrl::is_url("gs://b/k"));
/// assert!(!ObjectUrl::is_url("logs/2024"));
/// assert!("s3://".parse::<ObjectUrl>().is_err());
/// # Ok::<(), smerge::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ObjectUrl {
    scheme: Scheme,
    bucket: String,
    key: String,
}

impl ObjectUrl {
    /// True if `text` starts with one of the schemes of [`Scheme`]
    /// (whether or not the rest is valid, and whether or not this build has
    /// that service's client).
    pub fn is_url(text: &str) -> bool {
        scheme_of(text).is_some()
    }

    /// [`ObjectUrl::is_url`] for a path argument.
    pub fn is_url_path(path: &Path) -> bool {
        path.to_str().is_some_and(ObjectUrl::is_url)
    }

    /// The URL a path argument spells, if it spells one.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`] for an object URL that is not valid
    /// (no bucket, a key that is not UTF-8).
    pub fn from_path(path: &Path) -> Result<Option<ObjectUrl>> {
        let bytes = path.as_os_str().as_encoded_bytes();
        if !scheme_of_bytes(bytes) {
            return Ok(None);
        }
        match path.to_str() {
            Some(text) => text.parse().map(Some),
            None => Err(invalid(&path.to_string_lossy(), "the key is not UTF-8")),
        }
    }

    /// An object URL from its parts.
    pub fn new(scheme: Scheme, bucket: impl Into<String>, key: impl Into<String>) -> ObjectUrl {
        ObjectUrl {
            scheme,
            bucket: bucket.into(),
            key: key.into(),
        }
    }

    /// The storage service.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The bucket (the container, for Azure).
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key, without a leading `/`; empty for a whole bucket.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// True if the key is empty or ends with `/`: the URL names a prefix.
    pub fn is_prefix(&self) -> bool {
        self.key.is_empty() || self.key.ends_with('/')
    }

    /// This URL as a prefix: with a `/` at the end of a non-empty key.
    pub fn as_prefix(&self) -> ObjectUrl {
        let mut url = self.clone();
        if !url.is_prefix() {
            url.key.push('/');
        }
        url
    }

    /// The object `relative` below this prefix.
    pub fn join(&self, relative: &str) -> ObjectUrl {
        let prefix = self.as_prefix();
        ObjectUrl {
            key: format!("{}{relative}", prefix.key),
            ..prefix
        }
    }

    /// True if both name objects of the same service and bucket.
    pub fn same_bucket(&self, other: &ObjectUrl) -> bool {
        self.scheme == other.scheme && self.bucket == other.bucket
    }
}

impl fmt::Display for ObjectUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}/{}", self.scheme.as_str(), self.bucket, self.key)
    }
}

impl FromStr for ObjectUrl {
    type Err = Error;

    /// Parses `s3://BUCKET/KEY`, `gs://BUCKET/KEY` or `az://CONTAINER/KEY`
    /// (`azure://` too); `s3://BUCKET` is the whole bucket.
    fn from_str(text: &str) -> Result<ObjectUrl> {
        let Some((scheme, rest)) = scheme_of(text) else {
            return Err(invalid(text, "expected s3://, gs:// or az://"));
        };
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(invalid(text, "no bucket"));
        }
        if key.starts_with('/') || key.contains("//") {
            return Err(invalid(text, "the key has an empty path segment"));
        }
        Ok(ObjectUrl::new(scheme, bucket, key))
    }
}

fn scheme_of(text: &str) -> Option<(Scheme, &str)> {
    [
        ("s3://", Scheme::S3),
        ("gs://", Scheme::Gcs),
        ("az://", Scheme::Azure),
        ("azure://", Scheme::Azure),
    ]
    .into_iter()
    .find_map(|(prefix, scheme)| text.strip_prefix(prefix).map(|rest| (scheme, rest)))
}

fn scheme_of_bytes(bytes: &[u8]) -> bool {
    [&b"s3://"[..], b"gs://", b"az://", b"azure://"]
        .iter()
        .any(|prefix| bytes.starts_with(prefix))
}

fn invalid(text: &str, why: &str) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        format!("invalid object URL '{text}': {why}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_scheme() {
        for (text, scheme, bucket, key) in [
            ("s3://b/k", Scheme::S3, "b", "k"),
            ("gs://b/dir/", Scheme::Gcs, "b", "dir/"),
            ("az://c/a/b.txt", Scheme::Azure, "c", "a/b.txt"),
            ("azure://c/", Scheme::Azure, "c", ""),
            ("s3://bucket", Scheme::S3, "bucket", ""),
        ] {
            let url: ObjectUrl = text.parse().unwrap();
            assert_eq!(
                (url.scheme(), url.bucket(), url.key()),
                (scheme, bucket, key)
            );
        }
    }

    #[test]
    fn prefixes_and_objects() {
        let object: ObjectUrl = "s3://b/logs".parse().unwrap();
        assert!(!object.is_prefix());
        assert_eq!(object.as_prefix().to_string(), "s3://b/logs/");
        assert!("s3://b".parse::<ObjectUrl>().unwrap().is_prefix());
        assert_eq!(
            "s3://b".parse::<ObjectUrl>().unwrap().join("x").to_string(),
            "s3://b/x"
        );
    }

    #[test]
    fn rejects_what_names_no_object() {
        for text in [
            "s3://",
            "s3:///key",
            "s3://b//k",
            "s3://b/a//b",
            "http://b/k",
        ] {
            let err = text.parse::<ObjectUrl>().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{text}");
            assert!(err.to_string().contains(text), "{err}");
        }
    }

    #[test]
    fn paths_that_are_not_urls_are_none() {
        assert_eq!(ObjectUrl::from_path(Path::new("logs/x")).unwrap(), None);
        assert!(
            ObjectUrl::from_path(Path::new("s3://b/x"))
                .unwrap()
                .is_some()
        );
    }
}
