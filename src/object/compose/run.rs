//! [`compose`]: runs a [`ComposePlan`] as one multipart upload, the copied
//! parts made by the server (`UploadPartCopy`), the others read and sent.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};
use tokio::task::JoinSet;

use super::plan::{ComposeInput, ComposePlan, Piece, PlannedPart};
use crate::fs::{EntryKind, Listing};
use crate::merge::{MergeCallback, MergeEvent, PartKind, PartRecord};
use crate::object::aborts::abort_in_background;
use crate::object::read_ahead::{
    DEFAULT_GETS_IN_FLIGHT, DEFAULT_RANGE_SIZE, DEFAULT_READ_AHEAD, ReadAhead, Wanted,
};
use crate::object::s3::S3Access;
use crate::object::store::Store;
use crate::object::url::{ObjectUrl, Scheme};
use crate::{Error, ErrorKind, Result};

/// How many parts are copied or uploaded at once.
const PARTS_IN_FLIGHT: usize = 8;
/// How many of them may be uploads, whose bytes are in memory.
const UPLOADS_IN_FLIGHT: usize = 4;

/// What a [`compose`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ComposeReport {
    /// How many inputs were merged.
    pub files: usize,
    /// The size of the output.
    pub bytes: u64,
    /// The bytes the server copied: they never went through smerge.
    pub server_copied_bytes: u64,
    /// The bytes smerge read and uploaded.
    pub streamed_bytes: u64,
    /// How many parts the output object has.
    pub parts: usize,
}

/// The outcome of a [`compose`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Composed {
    /// The output was composed.
    Done(ComposeReport),
    /// Nothing was written, and the output is as it was: the server
    /// refused to copy (the reason, to say once), or there was nothing to
    /// copy (no reason). Stream the merge instead.
    Declined(Option<String>),
}

/// True if [`compose`] can merge `entries` into `output`: an S3 output,
/// and inputs that are files or objects of known size. (Whether the server
/// would copy anything is [`ComposePlan::copies_anything`].)
pub fn can_compose(entries: &Listing, output: &ObjectUrl) -> bool {
    output.scheme() == Scheme::S3
        && !output.is_prefix()
        && entries.entries().all(|entry| {
            matches!(entry.kind(), EntryKind::File | EntryKind::Object) && entry.size().is_some()
        })
}

/// Merges `entries`, as they are, into the S3 object `output` with one
/// multipart upload whose parts the server copies from the inputs where it
/// can: inputs of 5 MiB or more, objects on the same endpoint as the output,
/// never pass through smerge; the others are read (objects with ranged GETs
/// ahead, several in flight) and uploaded in parts of 8 MiB or more.
///
/// The first copy is tried before anything else: if the server refuses it
/// (another provider, another endpoint), the upload is aborted and the
/// outcome is [`Composed::Declined`] with the reason, so the caller can
/// stream instead. The upload completes only when every part is there; on
/// an error, or when the future is dropped, it is aborted (see
/// [`wait_for_aborts`](crate::object::wait_for_aborts)), and the old object
/// stays as it was. Every copy and read asks for the version each input
/// had when it was listed (its ETag).
///
/// `on_event` hears the bytes as they are copied or read
/// ([`MergeEvent::BytesRead`]) and, once every part is in place and before
/// the upload completes, one [`MergeEvent::Part`] for each input, in
/// order, with its ETag; with `hash_streamed`, the inputs whose every byte
/// went through smerge also have their SHA-256 (those the server copied,
/// in whole or in part, cannot).
///
/// # Errors
///
/// The first failure, naming the input or the output: an input that
/// changed or disappeared, a request that failed after its retries.
///
/// # Examples
///
/// ```no_run
/// use smerge::fs::Listing;
/// use smerge::object::{Composed, ObjectUrl, compose};
///
/// # #[tokio::main]
/// # async fn main() -> smerge::Result<()> {
/// let listing = Listing::builder().input("s3://logs/2024/").build_async().await?;
/// let output: ObjectUrl = "s3://logs/2024.log".parse()?;
/// match compose(&std::sync::Arc::new(listing), &output, None, false).await? {
///     Composed::Done(report) => println!("{} bytes copied by S3", report.server_copied_bytes),
///     Composed::Declined(reason) => println!("stream instead ({reason:?})"),
///     _ => {}
/// }
/// # Ok(())
/// # }
/// ```
pub async fn compose(
    entries: &Arc<Listing>,
    output: &ObjectUrl,
    on_event: Option<MergeCallback>,
    hash_streamed: bool,
) -> Result<Composed> {
    if !can_compose(entries, output) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "only files and objects of known size can be composed into an S3 object",
        ));
    }
    let inputs = compose_inputs(entries);
    let plan = ComposePlan::new(&inputs).map_err(|e| e.writing(output.to_string()))?;
    if !plan.copies_anything() {
        return Ok(Composed::Declined(None));
    }
    let store = Store::for_url(output)?;
    let Some(access) = store.s3() else {
        return Ok(Composed::Declined(Some("not an S3 store".to_owned())));
    };
    let access = Arc::clone(access);
    let writing = |error: Error| error.writing(output.to_string());
    let upload_id = access.create_upload(output).await.map_err(writing)?;
    let mut upload = OpenUpload {
        access: Arc::clone(&access),
        url: output.clone(),
        upload_id: Some(upload_id.clone()),
    };
    let job = Job {
        access,
        output: output.clone(),
        upload_id,
        entries: Arc::clone(entries),
        on_event,
    };
    let parts = plan.parts();
    let first_copy = parts
        .iter()
        .position(|part| matches!(part, PlannedPart::Copy(_)))
        .expect("the plan copies something");
    let PlannedPart::Copy(piece) = &parts[first_copy] else {
        unreachable!("found above")
    };
    let mut etags: Vec<Option<String>> = vec![None; parts.len()];
    match job.copy(first_copy, piece).await? {
        Ok(etag) => etags[first_copy] = Some(etag),
        Err(refused) => {
            upload.abort_now().await;
            return Ok(Composed::Declined(Some(refused)));
        }
    }

    let read_ahead = job.read_ahead(parts);
    let mut digests = hash_streamed.then(|| Digests::new(entries.len(), parts));
    let job = Arc::new(job);
    let mut tasks: JoinSet<Result<(usize, String, bool)>> = JoinSet::new();
    let mut uploads_in_flight = 0;
    let mut objects_read = 0;
    for (number, part) in parts.iter().enumerate() {
        if number == first_copy {
            continue;
        }
        let is_upload = matches!(part, PlannedPart::Upload(_));
        while tasks.len() >= PARTS_IN_FLIGHT
            || (is_upload && uploads_in_flight >= UPLOADS_IN_FLIGHT)
        {
            let (done, etag, was_upload) = next_done(&mut tasks).await?;
            etags[done] = Some(etag);
            uploads_in_flight -= usize::from(was_upload);
        }
        match part {
            PlannedPart::Copy(piece) => {
                let job = Arc::clone(&job);
                let piece = piece.clone();
                tasks.spawn(async move {
                    match job.copy(number, &piece).await? {
                        Ok(etag) => Ok((number, etag, false)),
                        Err(refused) => Err(Error::new(
                            ErrorKind::Io,
                            format!("the server refused to copy it: {refused}"),
                        )
                        .about_path(
                            "copying",
                            job.entries
                                .get(piece.input)
                                .expect("an input of the plan")
                                .path(),
                        )),
                    }
                });
            }
            PlannedPart::Upload(pieces) => {
                let data = job
                    .gather(pieces, &read_ahead, &mut objects_read, digests.as_mut())
                    .await?;
                let job = Arc::clone(&job);
                uploads_in_flight += 1;
                tasks.spawn(async move {
                    let etag = job.upload(number, data).await?;
                    Ok((number, etag, true))
                });
            }
        }
    }
    while !tasks.is_empty() {
        let (done, etag, _) = next_done(&mut tasks).await?;
        etags[done] = Some(etag);
    }
    let etags: Vec<String> = etags
        .into_iter()
        .map(|e| e.expect("every part is done"))
        .collect();
    job.emit_parts(digests.map(Digests::finish));
    job.access
        .complete(output, &job.upload_id, &etags)
        .await
        .map_err(writing)?;
    upload.upload_id = None; // completed: nothing to abort
    Ok(Composed::Done(ComposeReport {
        files: entries.len(),
        bytes: inputs.iter().map(|input| input.size).sum(),
        server_copied_bytes: plan.copied_bytes(),
        streamed_bytes: plan.streamed_bytes(),
        parts: parts.len(),
    }))
}

/// What [`ComposePlan`] needs to know of each entry.
pub(crate) fn compose_inputs(entries: &Listing) -> Vec<ComposeInput> {
    entries
        .entries()
        .map(|entry| ComposeInput {
            size: entry.size().unwrap_or(0),
            copyable: entry.kind() == EntryKind::Object
                && ObjectUrl::from_path(entry.path())
                    .ok()
                    .flatten()
                    .is_some_and(|url| url.scheme() == Scheme::S3),
        })
        .collect()
}

async fn next_done(
    tasks: &mut JoinSet<Result<(usize, String, bool)>>,
) -> Result<(usize, String, bool)> {
    match tasks.join_next().await.expect("a task in flight") {
        Ok(done) => done,
        Err(join) => Err(Error::io(std::io::Error::other(join))),
    }
}

/// What the tasks of one compose share.
struct Job {
    access: Arc<S3Access>,
    output: ObjectUrl,
    upload_id: String,
    entries: Arc<Listing>,
    on_event: Option<MergeCallback>,
}

impl Job {
    fn emit(&self, bytes: u64) {
        if let Some(on_event) = &self.on_event {
            on_event(&MergeEvent::BytesRead(bytes));
        }
    }

    /// One file part for each input, in order, with the SHA-256s of
    /// `digests` (none when the parts are not hashed).
    fn emit_parts(&self, digests: Option<Vec<Option<[u8; 32]>>>) {
        let Some(on_event) = &self.on_event else {
            return;
        };
        let mut digests = digests.unwrap_or_default().into_iter();
        let mut offset = 0;
        for entry in self.entries.entries() {
            let length = entry.size().unwrap_or(0);
            let record = PartRecord {
                kind: PartKind::File,
                path: Some(entry.relative_path().to_path_buf()),
                source: Some(entry.path().to_path_buf()),
                offset,
                length,
                sha256: digests.next().flatten(),
                etag: entry.etag().map(str::to_owned),
            };
            on_event(&MergeEvent::Part(&record));
            offset += length;
        }
    }

    /// Copies `piece` as part `number` (from 0); `Err` when the server
    /// refused.
    async fn copy(
        &self,
        number: usize,
        piece: &Piece,
    ) -> Result<std::result::Result<String, String>> {
        let entry = self.entries.get(piece.input).expect("an input of the plan");
        let source = ObjectUrl::from_path(entry.path())?.ok_or_else(|| {
            Error::new(ErrorKind::InvalidArgument, "not an object").reading(entry.path())
        })?;
        let copied = self
            .access
            .copy_part(
                &self.output,
                &self.upload_id,
                part_number(number),
                &source,
                piece.range.clone(),
                entry.etag(),
            )
            .await?;
        if copied.is_ok() {
            self.emit(piece.range.end - piece.range.start);
        }
        Ok(copied.map_err(|refused| refused.0))
    }

    /// Uploads `data` as part `number` (from 0).
    async fn upload(&self, number: usize, data: Bytes) -> Result<String> {
        self.access
            .upload_part(&self.output, &self.upload_id, part_number(number), data)
            .await
            .map_err(|e| e.writing(self.output.to_string()))
    }

    /// Reads the object pieces of the uploaded parts ahead, in order.
    fn read_ahead(&self, parts: &[PlannedPart]) -> ReadAhead {
        let mut wanted = Vec::new();
        for part in parts {
            let PlannedPart::Upload(pieces) = part else {
                continue;
            };
            for piece in pieces {
                let entry = self.entries.get(piece.input).expect("an input of the plan");
                if entry.kind() == EntryKind::Object {
                    wanted.push(Wanted {
                        index: wanted.len(),
                        url: ObjectUrl::from_path(entry.path()).and_then(|url| {
                            url.ok_or_else(|| {
                                Error::new(ErrorKind::InvalidArgument, "not an object URL")
                            })
                        }),
                        range: piece.range.clone(),
                        etag: entry.etag().map(str::to_owned),
                    });
                }
            }
        }
        ReadAhead::pieces(
            wanted,
            DEFAULT_RANGE_SIZE,
            DEFAULT_READ_AHEAD,
            DEFAULT_GETS_IN_FLIGHT,
        )
    }

    /// The bytes of an uploaded part: its pieces, read one after the other
    /// (objects from the read-ahead, whose `objects_read`-th piece comes
    /// next; files from the disk).
    async fn gather(
        &self,
        pieces: &[Piece],
        read_ahead: &ReadAhead,
        objects_read: &mut usize,
        mut digests: Option<&mut Digests>,
    ) -> Result<Bytes> {
        let size: u64 = pieces.iter().map(|p| p.range.end - p.range.start).sum();
        let mut data = BytesMut::with_capacity(size as usize);
        for piece in pieces {
            let entry = self.entries.get(piece.input).expect("an input of the plan");
            let length = piece.range.end - piece.range.start;
            if entry.kind() == EntryKind::Object {
                for chunk in read_ahead.read_piece(*objects_read).await? {
                    if let Some(digests) = digests.as_deref_mut() {
                        digests.update(piece.input, &chunk);
                    }
                    data.extend_from_slice(&chunk);
                }
                *objects_read += 1;
            } else {
                let path = entry.path().to_path_buf();
                let expected = entry.size();
                let range = piece.range.clone();
                let chunk = tokio::task::spawn_blocking(move || read_range(&path, expected, range))
                    .await
                    .map_err(|join| Error::io(std::io::Error::other(join)))??;
                if let Some(digests) = digests.as_deref_mut() {
                    digests.update(piece.input, &chunk);
                }
                data.extend_from_slice(&chunk);
            }
            self.emit(length);
        }
        Ok(data.freeze())
    }
}

/// The SHA-256s of the inputs whose every byte is streamed, computed as
/// their pieces are gathered, which is in order.
struct Digests {
    /// Per input: whether the server copies any of it.
    copied: Vec<bool>,
    current: Option<(usize, Sha256)>,
    done: Vec<Option<[u8; 32]>>,
}

impl Digests {
    fn new(inputs: usize, parts: &[PlannedPart]) -> Digests {
        let mut copied = vec![false; inputs];
        for part in parts {
            if let PlannedPart::Copy(piece) = part {
                copied[piece.input] = true;
            }
        }
        Digests {
            copied,
            current: None,
            done: vec![None; inputs],
        }
    }

    /// The next bytes of `input`.
    fn update(&mut self, input: usize, bytes: &[u8]) {
        if self.copied[input] {
            return;
        }
        match &mut self.current {
            Some((current, hasher)) if *current == input => hasher.update(bytes),
            _ => {
                self.close();
                self.current = Some((input, Sha256::new_with_prefix(bytes)));
            }
        }
    }

    fn close(&mut self) {
        if let Some((input, hasher)) = self.current.take() {
            self.done[input] = Some(hasher.finalize().into());
        }
    }

    /// Each input's SHA-256; `None` for those the server copied.
    fn finish(mut self) -> Vec<Option<[u8; 32]>> {
        self.close();
        for (done, copied) in self.done.iter_mut().zip(&self.copied) {
            if done.is_none() && !copied {
                // An empty input, which no part holds.
                *done = Some(Sha256::digest(b"").into());
            }
        }
        self.done
    }
}

/// S3's number for the part at `index`: from 1.
fn part_number(index: usize) -> u16 {
    u16::try_from(index + 1).expect("at most 10,000 parts")
}

/// `range` of the file at `path`, which must still have its listed size.
fn read_range(
    path: &PathBuf,
    expected: Option<u64>,
    range: std::ops::Range<u64>,
) -> Result<Vec<u8>> {
    let reading = |error: std::io::Error| Error::io(error).reading(path);
    let file = File::open(path).map_err(reading)?;
    let size = file.metadata().map_err(reading)?.len();
    if expected.is_some_and(|expected| expected != size) {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!(
                "the file changed size while it was merged ({} bytes listed, {size} now)",
                expected.unwrap_or(0)
            ),
        )
        .reading(path));
    }
    let mut buffer = vec![0; (range.end - range.start) as usize];
    file.read_exact_at(&mut buffer, range.start)
        .map_err(reading)?;
    Ok(buffer)
}

/// A multipart upload until it completes; dropped before that, it is
/// aborted in the background.
struct OpenUpload {
    access: Arc<S3Access>,
    url: ObjectUrl,
    upload_id: Option<String>,
}

impl OpenUpload {
    /// Aborts the upload now, and waits for it.
    async fn abort_now(&mut self) {
        if let Some(upload_id) = self.upload_id.take() {
            let _ = self.access.abort(&self.url, &upload_id).await;
        }
    }
}

impl Drop for OpenUpload {
    fn drop(&mut self) {
        if let Some(upload_id) = self.upload_id.take() {
            let access = Arc::clone(&self.access);
            let url = self.url.clone();
            abort_in_background(async move {
                let _ = access.abort(&url, &upload_id).await;
            });
        }
    }
}
