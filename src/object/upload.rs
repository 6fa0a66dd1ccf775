//! [`ObjectSink`]: writes an object atomically, with a multipart upload
//! that completes only when the stream finishes.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_core::future::BoxFuture;
use object_store::path::Path as KeyPath;
use object_store::{MultipartUpload, ObjectStoreExt, PutPayload};
use tokio::task::JoinSet;

use super::aborts::abort_in_background;
use super::compose::{DEFAULT_UPLOAD_PART_SIZE, MAX_PART_SIZE, MAX_PARTS};
use super::store::{Store, key_path, store_error};
use super::url::ObjectUrl;
use crate::Writable;
use crate::WriteQueue;
use crate::WriteSink;
use crate::{Error, Result};

/// How many parts of one output are uploaded at once, by default.
pub const DEFAULT_UPLOADS_IN_FLIGHT: usize = 4;

/// A [`WriteSink`] that writes an object: the old object stays as it was until
/// the stream finishes, and a failed or dropped stream leaves nothing.
///
/// The bytes are gathered into parts (8 MiB, larger once thousands were
/// sent, or as the expected size asks, so that any output fits S3's
/// 10,000 parts) uploaded a few at once; memory holds the part being
/// gathered and those in flight, whatever the object's size. The upload
/// completes in the final hook. An output smaller than one part is sent
/// with one `PUT` instead. If the stream is destroyed or dropped before it
/// finished, the multipart upload is aborted in the background (see
/// [`wait_for_aborts`](super::wait_for_aborts)), so the service keeps
/// none of its parts.
///
/// # Examples
///
/// ```no_run
/// use smerge::object::{ObjectSink, ObjectUrl};
/// use smerge::{Readable, ReadableExt};
///
/// # #[tokio::main]
/// # async fn main() -> smerge::Result<()> {
/// let url: ObjectUrl = "s3://backups/all.log".parse()?;
/// let sink = ObjectSink::create(&url)?;
/// Readable::from_iter([bytes::Bytes::from("line\n")])
///     .pipe(sink.into_writable())
///     .await?; // s3://backups/all.log appears only now
/// # Ok(())
/// # }
/// ```
pub struct ObjectSink {
    store: Arc<Store>,
    url: ObjectUrl,
    path: KeyPath,
    part_size: usize,
    in_flight: usize,
    /// The bytes of the part being gathered.
    buffer: Vec<Bytes>,
    buffered: usize,
    parts_sent: usize,
    creating: Option<BoxFuture<'static, object_store::Result<Box<dyn MultipartUpload>>>>,
    upload: Option<Upload>,
    finishing: Option<BoxFuture<'static, Result<()>>>,
}

impl fmt::Debug for ObjectSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectSink")
            .field("url", &self.url)
            .field("part_size", &self.part_size)
            .field("parts_sent", &self.parts_sent)
            .finish_non_exhaustive()
    }
}

impl ObjectSink {
    /// A sink writing the object `url`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument):
    /// `url` names a prefix, the build has no client for its service, or
    /// its configuration is not valid.
    pub fn create(url: &ObjectUrl) -> Result<ObjectSink> {
        if url.is_prefix() {
            return Err(Error::new(
                crate::ErrorKind::InvalidArgument,
                "an output object needs a key that does not end with '/'",
            )
            .writing(url.to_string()));
        }
        let store = Store::for_url(url)?;
        let path = key_path(url)?;
        Ok(ObjectSink {
            store,
            url: url.clone(),
            path,
            part_size: DEFAULT_UPLOAD_PART_SIZE as usize,
            in_flight: DEFAULT_UPLOADS_IN_FLIGHT,
            buffer: Vec::new(),
            buffered: 0,
            parts_sent: 0,
            creating: None,
            upload: None,
            finishing: None,
        })
    }

    /// Sizes the parts for an output of about `size` bytes: larger than
    /// 8 MiB when that many bytes would not fit 10,000 of them.
    pub fn expected_size(mut self, size: u64) -> Self {
        let needed = size.div_ceil(MAX_PARTS as u64 * 9 / 10);
        self.part_size = needed.clamp(DEFAULT_UPLOAD_PART_SIZE, MAX_PART_SIZE) as usize;
        self
    }

    /// How many parts are uploaded at once (default 4, at least 1).
    pub fn uploads_in_flight(mut self, count: usize) -> Self {
        self.in_flight = count.max(1);
        self
    }

    /// The sink as a [`Writable`], named `writing URL` in errors.
    pub fn into_writable(self) -> Writable<Bytes> {
        let label = format!("writing {}", self.url);
        Writable::new(self).named(label)
    }

    /// The size of the next part: the chosen size, doubled every 2,000
    /// parts, so that an output of unknown size goes on past 10,000 × 8 MiB
    /// (up to about 0.5 TiB).
    fn next_part_size(&self) -> usize {
        let doublings = (self.parts_sent / 2_000).min(10) as u32;
        self.part_size
            .saturating_mul(1 << doublings)
            .min(MAX_PART_SIZE as usize)
    }

    fn fail(&self, error: object_store::Error) -> Error {
        store_error(error).writing(self.url.to_string())
    }

    fn take_payload(&mut self) -> PutPayload {
        self.buffered = 0;
        PutPayload::from_iter(std::mem::take(&mut self.buffer))
    }

    /// Reaps finished part uploads; the first failure fails the sink.
    fn poll_reap(&mut self, cx: &mut Context<'_>) -> Result<()> {
        if let Some(upload) = &mut self.upload {
            while let Poll::Ready(Some(done)) = upload.parts.poll_join_next(cx) {
                match done {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => return Err(self.fail(error)),
                    Err(join) => {
                        return Err(
                            Error::io(std::io::Error::other(join)).writing(self.url.to_string())
                        );
                    }
                }
            }
        }
        Ok(())
    }

    /// Starts uploading the gathered bytes as the next part, once the
    /// upload exists and has room for one more part in flight.
    fn poll_send_part(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if self.upload.is_none() {
            let creating = self.creating.get_or_insert_with(|| {
                let store = Arc::clone(self.store.client());
                let path = self.path.clone();
                Box::pin(async move { store.put_multipart(&path).await })
            });
            let upload = ready!(creating.as_mut().poll(cx));
            self.creating = None;
            self.upload = Some(Upload::new(upload.map_err(|e| self.fail(e))?));
        }
        self.poll_reap(cx)?;
        let upload = self.upload.as_mut().expect("created above");
        if upload.parts.len() >= self.in_flight {
            // Woken by poll_reap's poll_join_next when a part is done.
            return Poll::Pending;
        }
        let payload = self.take_payload();
        let upload = self.upload.as_mut().expect("created above");
        let part = upload
            .inner
            .as_mut()
            .expect("not finished")
            .put_part(payload);
        upload.parts.spawn(part);
        self.parts_sent += 1;
        Poll::Ready(Ok(()))
    }
}

impl WriteSink<Bytes> for ObjectSink {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        queue: &mut WriteQueue<Bytes>,
    ) -> Poll<Result<()>> {
        let this = self.get_mut();
        this.poll_reap(cx)?;
        if this.buffered >= this.next_part_size() {
            ready!(this.poll_send_part(cx))?;
        }
        let part_size = this.next_part_size();
        while this.buffered < part_size {
            let Some(chunk) = queue.pop() else { break };
            this.buffered += chunk.len();
            this.buffer.push(chunk);
        }
        Poll::Ready(Ok(()))
    }

    /// Parts are uploaded by tasks of the runtime: only inside one.
    fn starts_at_once(&self) -> bool {
        tokio::runtime::Handle::try_current().is_ok()
    }

    fn poll_final(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        if this.finishing.is_none() {
            if this.upload.is_none() && this.buffered < this.next_part_size() {
                // Small enough for one PUT, which is atomic by itself.
                let store = Arc::clone(this.store.client());
                let path = this.path.clone();
                let payload = this.take_payload();
                let url = this.url.to_string();
                this.finishing = Some(Box::pin(async move {
                    store
                        .put(&path, payload)
                        .await
                        .map(drop)
                        .map_err(|e| store_error(e).writing(url))
                }));
            } else {
                if this.buffered > 0 || this.parts_sent == 0 {
                    ready!(this.poll_send_part(cx))?;
                }
                let mut upload = this.upload.take().expect("a part was sent");
                let url = this.url.to_string();
                this.finishing = Some(Box::pin(async move {
                    while let Some(done) = upload.parts.join_next().await {
                        let failed = match done {
                            Ok(result) => result.err().map(store_error),
                            Err(join) => Some(Error::io(std::io::Error::other(join))),
                        };
                        if let Some(error) = failed {
                            return Err(error.writing(url));
                        }
                    }
                    let inner = upload.inner.as_mut().expect("not finished");
                    inner
                        .complete()
                        .await
                        .map_err(|e| store_error(e).writing(&url))?;
                    upload.completed();
                    Ok(())
                }));
            }
        }
        let finishing = this.finishing.as_mut().expect("set above");
        let done = ready!(finishing.as_mut().poll(cx));
        this.finishing = None;
        Poll::Ready(done)
    }

    fn destroy(self: Pin<&mut Self>, _error: Option<&Error>) {
        let this = self.get_mut();
        // Dropping the upload aborts it; dropping a finishing future that
        // holds the upload does too.
        this.upload = None;
        this.finishing = None;
        this.creating = None;
        this.buffer.clear();
        this.buffered = 0;
    }
}

/// A multipart upload under way, with its parts in flight; dropped before
/// it completed, it is aborted in the background.
struct Upload {
    inner: Option<Box<dyn MultipartUpload>>,
    parts: JoinSet<object_store::Result<()>>,
}

impl Upload {
    fn new(inner: Box<dyn MultipartUpload>) -> Upload {
        Upload {
            inner: Some(inner),
            parts: JoinSet::new(),
        }
    }

    /// The upload completed: there is nothing to abort any more.
    fn completed(&mut self) {
        self.inner = None;
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        let Some(mut inner) = self.inner.take() else {
            return;
        };
        let mut parts = std::mem::take(&mut self.parts);
        abort_in_background(async move {
            // Parts still in flight are stopped first, so that none lands
            // after the abort.
            parts.shutdown().await;
            let _ = inner.abort().await;
        });
    }
}
