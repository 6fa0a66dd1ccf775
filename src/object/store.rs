//! [`Store`]: the client of one bucket, configured from the environment,
//! and how its errors read.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use object_store::path::Path as KeyPath;
use object_store::{BackoffConfig, ObjectStore, RetryConfig};

use super::url::{ObjectUrl, Scheme};
use crate::{Error, ErrorKind, Result};

/// The stores made so far, by service and bucket.
type Stores = HashMap<(Scheme, String), Arc<Store>>;

/// The client of one bucket (one Azure container), shared by every
/// reader and writer of its objects.
///
/// Stores are made from the environment, the way each service's own tools
/// are configured:
///
/// - S3: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
///   `AWS_REGION` (or `AWS_DEFAULT_REGION`), `AWS_ENDPOINT_URL` for an
///   S3-compatible service (plain `http://` is allowed when the endpoint
///   says so), and the container and web-identity credentials;
/// - Google Cloud Storage: `GOOGLE_SERVICE_ACCOUNT` (a key file) or
///   `GOOGLE_APPLICATION_CREDENTIALS`;
/// - Azure: `AZURE_STORAGE_ACCOUNT_NAME`, `AZURE_STORAGE_ACCOUNT_KEY`
///   (or a SAS token, or `AZURE_STORAGE_USE_EMULATOR=true` for Azurite).
///
/// `AWS_MAX_ATTEMPTS` (default 10) bounds the attempts of every request to
/// any service: throttling, 5xx answers, timeouts and dropped connections
/// are retried with exponential backoff.
///
/// # Examples
///
/// ```no_run
/// use smerge::object::{ObjectUrl, Store};
///
/// let url: ObjectUrl = "s3://backups/logs/".parse()?;
/// let store = Store::for_url(&url)?; // one client per bucket, reused
/// assert_eq!(store.bucket(), "backups");
/// # Ok::<(), smerge::Error>(())
/// ```
pub struct Store {
    scheme: Scheme,
    bucket: String,
    inner: Arc<dyn ObjectStore>,
    #[cfg(feature = "s3")]
    s3: Option<Arc<super::s3::S3Access>>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("scheme", &self.scheme)
            .field("bucket", &self.bucket)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// The store of `url`'s bucket, made from the environment on first use
    /// and shared afterwards.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`] when this build has no client for the
    /// URL's service, or the environment's configuration is not valid.
    pub fn for_url(url: &ObjectUrl) -> Result<Arc<Store>> {
        static STORES: OnceLock<Mutex<Stores>> = OnceLock::new();
        let stores = STORES.get_or_init(Mutex::default);
        let key = (url.scheme(), url.bucket().to_owned());
        if let Some(store) = stores
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(Arc::clone(store));
        }
        let store = Arc::new(Store::from_env(url.scheme(), url.bucket())?);
        let mut stores = stores.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(Arc::clone(stores.entry(key).or_insert(store)))
    }

    /// A new client for `bucket` of `scheme`, configured from the
    /// environment.
    fn from_env(scheme: Scheme, bucket: &str) -> Result<Store> {
        let retry = retry_from_env();
        #[cfg_attr(
            not(any(feature = "s3", feature = "gcs", feature = "azure")),
            allow(unused)
        )]
        let misconfigured = |e: object_store::Error| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("configuring the {} client: {e}", scheme.as_str()),
            )
        };
        let unsupported = || {
            Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "{}:// URLs need smerge built with the `{}` feature",
                    scheme.as_str(),
                    scheme.feature()
                ),
            )
        };
        match scheme {
            #[cfg(feature = "s3")]
            Scheme::S3 => {
                use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
                let mut builder = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_retry(retry.clone());
                let endpoint = builder.get_config_value(&AmazonS3ConfigKey::Endpoint);
                if endpoint
                    .as_deref()
                    .is_some_and(|e| e.starts_with("http://"))
                {
                    builder = builder.with_allow_http(true);
                }
                let access = super::s3::S3Access::new(&builder, retry.clone())?;
                let s3 = builder.build().map_err(misconfigured)?;
                Ok(Store {
                    scheme,
                    bucket: bucket.to_owned(),
                    s3: Some(Arc::new(
                        access.with_credentials(Arc::clone(s3.credentials())),
                    )),
                    inner: Arc::new(s3),
                })
            }
            #[cfg(feature = "gcs")]
            Scheme::Gcs => {
                let gcs = object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_bucket_name(bucket)
                    .with_retry(retry.clone())
                    .build()
                    .map_err(misconfigured)?;
                Ok(Store::other(scheme, bucket, Arc::new(gcs)))
            }
            #[cfg(feature = "azure")]
            Scheme::Azure => {
                let azure = object_store::azure::MicrosoftAzureBuilder::from_env()
                    .with_container_name(bucket)
                    .with_retry(retry.clone())
                    .build()
                    .map_err(misconfigured)?;
                Ok(Store::other(scheme, bucket, Arc::new(azure)))
            }
            #[allow(unreachable_patterns)]
            _ => Err(unsupported()),
        }
    }

    #[cfg(any(feature = "gcs", feature = "azure"))]
    fn other(scheme: Scheme, bucket: &str, inner: Arc<dyn ObjectStore>) -> Store {
        Store {
            scheme,
            bucket: bucket.to_owned(),
            inner,
            #[cfg(feature = "s3")]
            s3: None,
        }
    }

    /// The service.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The bucket (or container) this store reads and writes.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The `object_store` client, for what smerge does not wrap.
    pub fn client(&self) -> &Arc<dyn ObjectStore> {
        &self.inner
    }

    /// What server-side compose needs: S3's own requests.
    #[cfg(feature = "s3")]
    pub(crate) fn s3(&self) -> Option<&Arc<super::s3::S3Access>> {
        self.s3.as_ref()
    }
}

/// The retries of every request: `AWS_MAX_ATTEMPTS` attempts in all
/// (default 10), with exponential backoff from 100 ms up to 15 s.
fn retry_from_env() -> RetryConfig {
    let attempts = std::env::var("AWS_MAX_ATTEMPTS")
        .ok()
        .and_then(|value| value.trim().parse::<usize>().ok())
        .filter(|&attempts| attempts > 0)
        .unwrap_or(10);
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(15),
            base: 2.0,
        },
        max_retries: attempts - 1,
        retry_timeout: Duration::from_secs(3 * 60),
    }
}

/// The key of `url` as the client's path.
///
/// # Errors
///
/// [`ErrorKind::InvalidArgument`] for a key the client cannot represent
/// (an empty segment, `.` or `..`).
pub(crate) fn key_path(url: &ObjectUrl) -> Result<KeyPath> {
    let key = url.key().trim_end_matches('/');
    KeyPath::parse(key).map_err(|e| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("invalid object key in {url}: {e}"),
        )
    })
}

/// An error of the object storage client, made short: the message says what
/// happened in one line (the server's answer, the retries). The client's
/// own error, which repeats itself and holds the server's whole error
/// document, is kept for `Debug` only, so that the error's chain prints as
/// one line.
#[derive(Debug)]
pub(crate) struct StoreError {
    message: String,
    #[allow(dead_code)] // Read through Debug.
    client: Box<dyn std::error::Error + Send + Sync>,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StoreError {}

impl StoreError {
    /// An error with `message`, reported by the client as `client`, as an
    /// [`io::Error`] of `kind` so that callers can tell a missing object
    /// from the rest.
    pub(crate) fn io(
        kind: io::ErrorKind,
        message: impl Into<String>,
        client: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Error {
        Error::io(io::Error::new(
            kind,
            StoreError {
                message: message.into(),
                client: client.into(),
            },
        ))
    }
}

/// smerge's error for what the client reported, without the path (the
/// caller says `reading URL` or `writing URL`).
pub(crate) fn store_error(error: object_store::Error) -> Error {
    use object_store::Error as E;
    let (kind, message) = match &error {
        E::NotFound { .. } => (io::ErrorKind::NotFound, "no such object".to_owned()),
        E::Precondition { .. } => (
            io::ErrorKind::Other,
            "the object changed while it was read (its ETag is not the one listed)".to_owned(),
        ),
        E::PermissionDenied { .. } | E::Unauthenticated { .. } => (
            io::ErrorKind::PermissionDenied,
            format!("permission denied ({})", innermost(&error)),
        ),
        _ => (io::ErrorKind::Other, innermost(&error)),
    };
    StoreError::io(kind, message, error)
}

/// What the server or the connection said, in one line: the last cause
/// in `error`'s chain, with S3's error document made short.
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut last = error;
    while let Some(next) = last.source() {
        last = next;
    }
    summarize(&last.to_string())
}

/// `the server answered 503 Service Unavailable (SlowDown: Please reduce
/// your request rate.), after 2 retries` from the client's long message,
/// which repeats itself and holds the whole XML error document.
fn summarize(text: &str) -> String {
    let between = |open: &str, close: &str| {
        let start = text.rfind(open)? + open.len();
        let end = text[start..].find(close)? + start;
        Some(text[start..end].trim().to_owned())
    };
    let retries = between("after ", " retries").map(|n| format!(", after {n} retries"));
    let Some(status) = between("status code: ", ":") else {
        let first = text.split("<?xml").next().unwrap_or(text);
        let first = first.lines().next().unwrap_or(first);
        return first.trim_end_matches([':', ' ', '-']).to_owned();
    };
    let said = match (
        between("<Code>", "</Code>"),
        between("<Message>", "</Message>"),
    ) {
        (Some(code), Some(message)) => format!(" ({code}: {message})"),
        (Some(code), None) => format!(" ({code})"),
        _ => String::new(),
    };
    format!(
        "the server answered {status}{said}{}",
        retries.unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_client_paths() {
        let url: ObjectUrl = "s3://b/logs/2024/".parse().unwrap();
        assert_eq!(key_path(&url).unwrap().as_ref(), "logs/2024");
        let url: ObjectUrl = "s3://b/a/../b".parse().unwrap();
        assert_eq!(
            key_path(&url).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
    }

    #[test]
    fn long_client_errors_are_made_short() {
        let text = "Server returned non-2xx status code: 503 Service Unavailable: Generic S3 \
            error: Error performing PUT http://h/b/k?partNumber=3 in 498ms, after 2 retries, \
            max_retries: 2, retry_timeout: 180s  - Server returned non-2xx status code: 503 \
            Service Unavailable: <?xml version=\"1.0\"?>\n<Error><Code>SlowDown</Code>\
            <Message>Please reduce your request rate.</Message></Error>";
        assert_eq!(
            summarize(text),
            "the server answered 503 Service Unavailable (SlowDown: Please reduce your \
             request rate.), after 2 retries"
        );
        assert_eq!(
            summarize("HTTP error: error sending request\nmore"),
            "HTTP error: error sending request"
        );
    }

    #[test]
    fn missing_objects_are_not_found() {
        let error = store_error(object_store::Error::NotFound {
            path: "k".into(),
            source: "404".into(),
        })
        .reading("s3://b/k");
        assert_eq!(format!("{error:#}"), "reading s3://b/k: no such object");
        assert_eq!(error.io_error().unwrap().kind(), io::ErrorKind::NotFound);
    }
}
