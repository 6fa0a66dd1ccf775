//! Object storage: `s3://`, `gs://` and `az://` inputs and outputs, read
//! and written like files, and server-side compose of plain merges into S3.
//!
//! An [`ObjectUrl`] names an object or a prefix. As an input of a
//! [`Listing`](crate::fs::Listing) (made with
//! [`build_async`](crate::fs::ListingBuilder::build_async)), a prefix is read
//! like a directory, with the same filters and order, and an object like an
//! explicit file; each [`Entry`](crate::fs::Entry) keeps the object's ETag.
//! A [`ReadAhead`] reads the objects of a merge ahead of the writer, with
//! ranged GETs in flight that all ask for the listed version. An
//! [`ObjectSink`] writes an object atomically: a multipart upload that
//! completes only when the stream finishes, and is aborted otherwise.
//!
//! For a plain merge into S3, [`compose`] has the server copy the inputs
//! of 5 MiB or more into the output (`UploadPartCopy`), so their bytes
//! never pass through smerge; [`ComposePlan`] cuts the output into parts
//! within S3's limits.
//!
//! The clients are those of the `object_store` crate (and `rusty-s3` for
//! the requests it does not make), one [`Store`] per bucket, configured
//! from the environment the way each service's own tools are.
//!
//! Each service is a cargo feature: `s3`, `gcs`, `azure` (all three are in
//! the default build); [`ObjectUrl`] and [`ComposePlan`] are always there.

#[cfg(feature = "object-store")]
mod aborts;
mod compose;
#[cfg(feature = "object-store")]
mod listing;
#[cfg(feature = "object-store")]
mod output;
#[cfg(feature = "object-store")]
mod read_ahead;
#[cfg(all(feature = "object-store", feature = "data"))]
mod read_one;
#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "object-store")]
mod sniff;
#[cfg(feature = "object-store")]
mod store;
#[cfg(feature = "object-store")]
mod upload;
mod url;

#[cfg(feature = "object-store")]
pub use aborts::wait_for_aborts;
pub use compose::{
    ComposeInput, ComposePlan, DEFAULT_UPLOAD_PART_SIZE, MAX_OBJECT_SIZE, MAX_PART_SIZE, MAX_PARTS,
    MIN_PART_SIZE, Piece, PlannedPart,
};
#[cfg(feature = "s3")]
pub use compose::{ComposeReport, Composed, can_compose, compose};
#[cfg(feature = "object-store")]
pub use listing::stat;
#[cfg(feature = "object-store")]
pub use output::{NoteCallback, ObjectOutput};
#[cfg(feature = "object-store")]
pub use read_ahead::{DEFAULT_GETS_IN_FLIGHT, DEFAULT_RANGE_SIZE, DEFAULT_READ_AHEAD, ReadAhead};
#[cfg(all(feature = "object-store", feature = "data"))]
pub(crate) use read_one::read_one;
#[cfg(feature = "object-store")]
pub(crate) use sniff::all_objects_compressed_with;
#[cfg(feature = "object-store")]
pub use store::Store;
#[cfg(feature = "object-store")]
pub use upload::{DEFAULT_UPLOADS_IN_FLIGHT, ObjectSink};
pub use url::{ObjectUrl, Scheme};
