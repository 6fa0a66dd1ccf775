//! Server-side compose: a plain merge into an S3 object, made by the
//! server from copies of its inputs where it can ([`ComposePlan`] decides,
//! [`compose`] does it).

mod plan;
#[cfg(feature = "s3")]
mod run;

pub use plan::{
    ComposeInput, ComposePlan, DEFAULT_UPLOAD_PART_SIZE, MAX_OBJECT_SIZE, MAX_PART_SIZE, MAX_PARTS,
    MIN_PART_SIZE, Piece, PlannedPart,
};
#[cfg(feature = "s3")]
pub(crate) use run::compose_inputs;
#[cfg(feature = "s3")]
pub use run::{ComposeReport, Composed, can_compose, compose};
