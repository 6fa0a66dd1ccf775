//! [`S3Access`]: the S3 requests `object_store` does not make
//! (`UploadPartCopy`, and the multipart upload it belongs to), signed with
//! `rusty-s3` and sent with the same credentials and retries.

use std::fmt;
use std::ops::Range;
use std::time::Duration;

use bytes::Bytes;
use instant_xml::FromXml;
use object_store::RetryConfig;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey, AwsCredentialProvider};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::{Method, StatusCode, Url};
use rusty_s3::actions::{CreateMultipartUpload, S3Action};
use rusty_s3::{Bucket, Credentials, UrlStyle};

use super::store::StoreError;
use super::url::ObjectUrl;
use crate::{Error, ErrorKind, Result};

/// How long a signed request stays valid: longer than any retry takes.
const SIGNATURE_LIFETIME: Duration = Duration::from_secs(3600);

/// The bytes of a key kept as they are in `x-amz-copy-source`.
const KEY_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Where and how to send S3 requests of one store.
pub(crate) struct S3Access {
    endpoint: Url,
    style: UrlStyle,
    region: String,
    http: reqwest::Client,
    retry: RetryConfig,
    credentials: Option<AwsCredentialProvider>,
}

impl fmt::Debug for S3Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Access")
            .field("endpoint", &self.endpoint.as_str())
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// Why the server did not copy a part: it does not do it (another
/// provider), or not from that source.
#[derive(Debug, Clone)]
pub(crate) struct CopyRefused(pub(crate) String);

impl S3Access {
    /// The endpoint, region and addressing style `builder` uses.
    pub(crate) fn new(builder: &AmazonS3Builder, retry: RetryConfig) -> Result<S3Access> {
        let region = builder
            .get_config_value(&AmazonS3ConfigKey::Region)
            .unwrap_or_else(|| "us-east-1".to_owned());
        let custom = builder.get_config_value(&AmazonS3ConfigKey::Endpoint);
        let virtual_hosted = builder
            .get_config_value(&AmazonS3ConfigKey::VirtualHostedStyleRequest)
            .is_some_and(|v| v == "true");
        let (endpoint, style) = match custom {
            Some(endpoint) if !virtual_hosted => (endpoint, UrlStyle::Path),
            Some(endpoint) => (endpoint, UrlStyle::VirtualHost),
            None => (
                format!("https://s3.{region}.amazonaws.com"),
                UrlStyle::VirtualHost,
            ),
        };
        let endpoint = endpoint.parse::<Url>().map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("invalid S3 endpoint '{endpoint}': {e}"),
            )
        })?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .read_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| Error::with_source(ErrorKind::InvalidArgument, e))?;
        Ok(S3Access {
            endpoint,
            style,
            region,
            http,
            retry,
            credentials: None,
        })
    }

    /// Signs with `credentials` (the same provider the store uses).
    pub(crate) fn with_credentials(mut self, credentials: AwsCredentialProvider) -> S3Access {
        self.credentials = Some(credentials);
        self
    }

    async fn signing(&self) -> Result<Option<Credentials>> {
        let Some(provider) = &self.credentials else {
            return Ok(None);
        };
        let credential = provider.get_credential().await.map_err(|e| {
            StoreError::io(std::io::ErrorKind::PermissionDenied, "no credentials", e)
        })?;
        Ok(Some(match &credential.token {
            Some(token) => Credentials::new_with_token(
                credential.key_id.clone(),
                credential.secret_key.clone(),
                token.clone(),
            ),
            None => Credentials::new(credential.key_id.clone(), credential.secret_key.clone()),
        }))
    }

    fn bucket(&self, name: &str) -> Result<Bucket> {
        Bucket::new(
            self.endpoint.clone(),
            self.style,
            name.to_owned(),
            self.region.clone(),
        )
        .map_err(|e| Error::new(ErrorKind::InvalidArgument, format!("bucket {name}: {e}")))
    }

    /// Starts a multipart upload of `url`; its upload ID.
    pub(crate) async fn create_upload(&self, url: &ObjectUrl) -> Result<String> {
        let credentials = self.signing().await?;
        let bucket = self.bucket(url.bucket())?;
        let signed = bucket
            .create_multipart_upload(credentials.as_ref(), url.key())
            .sign(SIGNATURE_LIFETIME);
        let body = self.send(Method::POST, signed, &[], Bytes::new()).await?;
        let text = String::from_utf8_lossy(&body);
        CreateMultipartUpload::parse_response(&text)
            .map(|created| created.upload_id().to_owned())
            .map_err(|e| bad_answer("CreateMultipartUpload", e))
    }

    /// Uploads part `number` of the upload `upload_id` of `url`; its ETag.
    pub(crate) async fn upload_part(
        &self,
        url: &ObjectUrl,
        upload_id: &str,
        number: u16,
        data: Bytes,
    ) -> Result<String> {
        let credentials = self.signing().await?;
        let bucket = self.bucket(url.bucket())?;
        let signed = bucket
            .upload_part(credentials.as_ref(), url.key(), number, upload_id)
            .sign(SIGNATURE_LIFETIME);
        let (_, headers, _) = self.send_full(Method::PUT, signed, &[], data).await?;
        etag_header(&headers)
    }

    /// Has the server copy `range` of `source` (the version `etag`, when
    /// given) as part `number`; its ETag, or why the server refused.
    pub(crate) async fn copy_part(
        &self,
        url: &ObjectUrl,
        upload_id: &str,
        number: u16,
        source: &ObjectUrl,
        range: Range<u64>,
        etag: Option<&str>,
    ) -> Result<std::result::Result<String, CopyRefused>> {
        let credentials = self.signing().await?;
        let bucket = self.bucket(url.bucket())?;
        let copy_source = format!(
            "/{}/{}",
            source.bucket(),
            utf8_percent_encode(source.key(), KEY_SET)
        );
        let copy_range = format!("bytes={}-{}", range.start, range.end - 1);
        let mut headers = vec![
            ("x-amz-copy-source", copy_source),
            ("x-amz-copy-source-range", copy_range),
        ];
        if let Some(etag) = etag {
            headers.push(("x-amz-copy-source-if-match", etag.to_owned()));
        }
        let mut action = bucket.upload_part(credentials.as_ref(), url.key(), number, upload_id);
        for (name, value) in &headers {
            action.headers_mut().insert(*name, value.as_str());
        }
        let signed = action.sign(SIGNATURE_LIFETIME);
        match self.send(Method::PUT, signed, &headers, Bytes::new()).await {
            Ok(body) => Ok(Ok(copied_etag(&String::from_utf8_lossy(&body))?)),
            Err(Failure::Refused(why)) => Ok(Err(CopyRefused(why))),
            Err(Failure::Error(error)) => Err(error),
        }
        .map_err(|error: Error| {
            error.about_path("copying", std::path::Path::new(&source.to_string()))
        })
    }

    /// Completes the upload with the parts' ETags, in part order.
    pub(crate) async fn complete(
        &self,
        url: &ObjectUrl,
        upload_id: &str,
        etags: &[String],
    ) -> Result<()> {
        let credentials = self.signing().await?;
        let bucket = self.bucket(url.bucket())?;
        let action = bucket.complete_multipart_upload(
            credentials.as_ref(),
            url.key(),
            upload_id,
            etags.iter().map(String::as_str),
        );
        let signed = action.sign(SIGNATURE_LIFETIME);
        let body = bucket
            .complete_multipart_upload(
                credentials.as_ref(),
                url.key(),
                upload_id,
                etags.iter().map(String::as_str),
            )
            .body();
        self.send(Method::POST, signed, &[], Bytes::from(body))
            .await?;
        Ok(())
    }

    /// Aborts the upload: the server drops its parts.
    pub(crate) async fn abort(&self, url: &ObjectUrl, upload_id: &str) -> Result<()> {
        let credentials = self.signing().await?;
        let bucket = self.bucket(url.bucket())?;
        let signed = bucket
            .abort_multipart_upload(credentials.as_ref(), url.key(), upload_id)
            .sign(SIGNATURE_LIFETIME);
        self.send(Method::DELETE, signed, &[], Bytes::new()).await?;
        Ok(())
    }

    async fn send(
        &self,
        method: Method,
        url: Url,
        headers: &[(&str, String)],
        body: Bytes,
    ) -> std::result::Result<Bytes, Failure> {
        self.send_full(method, url, headers, body)
            .await
            .map(|(_, _, body)| body)
    }

    /// Sends a signed request, retrying what may succeed on another try:
    /// connection failures, throttling and server errors, with exponential
    /// backoff, as the store's own requests are retried.
    async fn send_full(
        &self,
        method: Method,
        url: Url,
        headers: &[(&str, String)],
        body: Bytes,
    ) -> std::result::Result<(StatusCode, reqwest::header::HeaderMap, Bytes), Failure> {
        let mut backoff = self.retry.backoff.init_backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .body(body.clone());
            for (name, value) in headers {
                request = request.header(*name, value);
            }
            let outcome = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let answer_headers = response.headers().clone();
                    match response.bytes().await {
                        Ok(body) => Ok((status, answer_headers, body)),
                        Err(error) => Err(Attempt::Retry(error.to_string())),
                    }
                }
                Err(error) => Err(Attempt::Retry(error.to_string())),
            };
            let failure = match outcome {
                Ok((status, headers, body)) => match classify(status, &body) {
                    None => return Ok((status, headers, body)),
                    Some(failure) => failure,
                },
                Err(failure) => failure,
            };
            match failure {
                Attempt::Retry(why) if attempt <= self.retry.max_retries => {
                    let _ = why;
                    tokio::time::sleep(backoff).await;
                    backoff = backoff
                        .mul_f64(self.retry.backoff.base)
                        .min(self.retry.backoff.max_backoff);
                }
                Attempt::Retry(why) => {
                    let retries = attempt - 1;
                    return Err(Failure::Error(Error::io(std::io::Error::other(format!(
                        "{why}, after {retries} retries"
                    )))));
                }
                Attempt::Refused(why) => return Err(Failure::Refused(why)),
                Attempt::Fail(error) => return Err(Failure::Error(error)),
            }
        }
    }
}

/// How one request failed, and what to do about it.
enum Attempt {
    Retry(String),
    Refused(String),
    Fail(Error),
}

/// A request that failed for good.
pub(crate) enum Failure {
    /// The server does not copy parts (or not from that source).
    Refused(String),
    Error(Error),
}

impl From<Failure> for Error {
    fn from(failure: Failure) -> Error {
        match failure {
            Failure::Refused(why) => Error::new(ErrorKind::Io, why),
            Failure::Error(error) => error,
        }
    }
}

/// `None` for a success; S3 may also answer a copy or a completion with
/// 200 and an error document.
fn classify(status: StatusCode, body: &[u8]) -> Option<Attempt> {
    let error = if status.is_success() {
        let head = &body[..body.len().min(512)];
        let text = String::from_utf8_lossy(head);
        if !text.contains("<Error>") {
            return None;
        }
        instant_xml::from_str::<ErrorDocument>(&String::from_utf8_lossy(body)).ok()?
    } else {
        instant_xml::from_str::<ErrorDocument>(&String::from_utf8_lossy(body)).unwrap_or_default()
    };
    let said = match (&error.code, &error.message) {
        (Some(code), Some(message)) => format!("{status} ({code}: {message})"),
        (Some(code), None) => format!("{status} ({code})"),
        _ => status.to_string(),
    };
    let code = error.code.as_deref().unwrap_or("");
    let status_code = status.as_u16();
    Some(match (status_code, code) {
        (501, _) => Attempt::Refused(said),
        (_, "SlowDown" | "InternalError" | "ServiceUnavailable" | "RequestTimeout") => {
            Attempt::Retry(format!("the server answered {said}"))
        }
        (412, _) | (_, "PreconditionFailed") => Attempt::Fail(StoreError::io(
            std::io::ErrorKind::Other,
            "the object changed while it was read (its ETag is not the one listed)",
            said,
        )),
        (404, _) => Attempt::Fail(StoreError::io(
            std::io::ErrorKind::NotFound,
            "no such object",
            said,
        )),
        (429 | 500..=599, _) => Attempt::Retry(format!("the server answered {said}")),
        (400 | 403 | 405, _) => Attempt::Refused(said),
        _ => Attempt::Fail(Error::io(std::io::Error::other(format!(
            "the server answered {said}"
        )))),
    })
}

fn etag_header(headers: &reqwest::header::HeaderMap) -> Result<String> {
    headers
        .get(reqwest::header::ETAG)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| Error::new(ErrorKind::InvalidData, "the server gave no ETag for a part"))
}

/// The ETag in an answer to `UploadPartCopy`. S3 names its namespace;
/// some servers (s3s) leave it out.
fn copied_etag(text: &str) -> Result<String> {
    match instant_xml::from_str::<CopyPartResult>(text) {
        Ok(result) => Ok(result.etag),
        Err(error) => instant_xml::from_str::<BareCopyPartResult>(text)
            .map(|result| result.etag)
            .map_err(|_| bad_answer("UploadPartCopy", error)),
    }
}

fn bad_answer(request: &str, error: instant_xml::Error) -> Error {
    Error::new(
        ErrorKind::InvalidData,
        format!("unexpected answer to {request}: {error}"),
    )
}

/// The answer to `UploadPartCopy`.
#[derive(Debug, FromXml)]
#[xml(
    rename = "CopyPartResult",
    ns("http://s3.amazonaws.com/doc/2006-03-01/")
)]
struct CopyPartResult {
    #[xml(rename = "ETag")]
    etag: String,
}

/// The answer to `UploadPartCopy` without S3's namespace.
#[derive(Debug, FromXml)]
#[xml(rename = "CopyPartResult")]
struct BareCopyPartResult {
    #[xml(rename = "ETag")]
    etag: String,
}

/// S3's error document.
#[derive(Debug, Default, FromXml)]
#[xml(rename = "Error")]
struct ErrorDocument {
    #[xml(rename = "Code")]
    code: Option<String>,
    #[xml(rename = "Message")]
    message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_answers_are_read_with_or_without_s3s_namespace() {
        let named = r#"<?xml version="1.0" encoding="UTF-8"?>
<CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>"e1"</ETag></CopyPartResult>"#;
        let bare = r#"<CopyPartResult><ETag>"e2"</ETag><LastModified>2026-01-01T00:00:00.000Z</LastModified></CopyPartResult>"#;
        assert_eq!(copied_etag(named).unwrap(), "\"e1\"");
        assert_eq!(copied_etag(bare).unwrap(), "\"e2\"");
        let error = copied_etag("<Other/>").unwrap_err();
        assert!(
            format!("{error:#}").contains("unexpected answer to UploadPartCopy"),
            "{error:#}"
        );
    }
}
