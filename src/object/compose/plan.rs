//! [`ComposePlan`]: how a plain merge into S3 is cut into the parts of one
//! multipart upload, some copied by the server, the others uploaded.

use std::ops::Range;

use crate::{Error, ErrorKind, Result};

/// The smallest part S3 accepts, except for the last one: 5 MiB.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// The largest part S3 accepts: 5 GiB.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// The most parts one multipart upload may have.
pub const MAX_PARTS: usize = 10_000;
/// The largest object S3 stores: 5 TiB.
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024 * 1024;
/// The size of the parts smerge uploads, unless the 10,000-part limit asks
/// for larger ones: 8 MiB, as the AWS command-line tools use.
pub const DEFAULT_UPLOAD_PART_SIZE: u64 = 8 * 1024 * 1024;

/// One input of a compose plan: its size, and whether the server can copy
/// it (an object of the output's service, on the same endpoint).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ComposeInput {
    /// The size in bytes.
    pub size: u64,
    /// True if the server can copy ranges of it into the output.
    pub copyable: bool,
}

/// A range of one input, by its position among the plan's inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    /// The input's index.
    pub input: usize,
    /// The bytes of it.
    pub range: Range<u64>,
}

/// One part of the output, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlannedPart {
    /// Copied by the server from a range of one input (`UploadPartCopy`).
    Copy(Piece),
    /// Read by smerge from these pieces, one after the other, and uploaded.
    Upload(Vec<Piece>),
}

impl PlannedPart {
    /// The part's size.
    pub fn size(&self) -> u64 {
        match self {
            PlannedPart::Copy(piece) => piece.range.end - piece.range.start,
            PlannedPart::Upload(pieces) => pieces.iter().map(|p| p.range.end - p.range.start).sum(),
        }
    }
}

/// The parts of a composed output and how many bytes each way.
///
/// Made by [`ComposePlan::new`], a pure function of the inputs' sizes that
/// keeps S3's limits: every part but the last has 5 MiB to 5 GiB, there
/// are at most 10,000 parts, the object at most 5 TiB. Inputs the server
/// can copy, of 5 MiB or more, become copied parts (cut into ranges when
/// larger than 5 GiB); the others are read and gathered into uploaded parts
/// of 8 MiB. Uploaded bytes that come before a copied input and do not
/// fill 5 MiB take the missing bytes from the head of that input.
///
/// # Examples
///
/// ```
/// use smerge::object::{ComposeInput, ComposePlan, PlannedPart, MIN_PART_SIZE};
///
/// let mib = 1024 * 1024;
/// let plan = ComposePlan::new(&[
///     ComposeInput { size: 1, copyable: true },         // too small to copy
///     ComposeInput { size: 12 * mib, copyable: true },  // copied, but for its head
///     ComposeInput { size: 3 * mib, copyable: false },  // a local file
/// ])?;
/// assert_eq!(plan.parts().len(), 3);
/// assert!(matches!(plan.parts()[1], PlannedPart::Copy(_)));
/// assert_eq!(plan.streamed_bytes(), MIN_PART_SIZE + 3 * mib);
/// assert_eq!(plan.copied_bytes(), 12 * mib + 1 - MIN_PART_SIZE);
/// # Ok::<(), smerge::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ComposePlan {
    parts: Vec<PlannedPart>,
    copied: u64,
    streamed: u64,
}

impl ComposePlan {
    /// Plans the parts of the concatenation of `inputs`, in order.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`] when the output would be larger than
    /// S3's largest object, 5 TiB.
    pub fn new(inputs: &[ComposeInput]) -> Result<ComposePlan> {
        let total = inputs
            .iter()
            .fold(0u64, |sum, input| sum.saturating_add(input.size));
        if total > MAX_OBJECT_SIZE {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("the output would have {total} bytes, more than the 5 TiB of an S3 object"),
            ));
        }
        // Larger parts, and fewer inputs copied, until the plan has at most
        // 10,000 parts: at worst every byte is uploaded in parts of
        // 5 TiB / 10,000 (about 524 MiB).
        let mut part_size = DEFAULT_UPLOAD_PART_SIZE;
        let mut copy_threshold = MIN_PART_SIZE;
        loop {
            let plan = Planner::new(part_size, copy_threshold).plan(inputs);
            if plan.parts.len() <= MAX_PARTS {
                return Ok(plan);
            }
            part_size = (part_size * 2).min(MAX_PART_SIZE);
            copy_threshold = copy_threshold.saturating_mul(2);
        }
    }

    /// The parts, in output order.
    pub fn parts(&self) -> &[PlannedPart] {
        &self.parts
    }

    /// The bytes the server copies.
    pub fn copied_bytes(&self) -> u64 {
        self.copied
    }

    /// The bytes smerge reads and uploads.
    pub fn streamed_bytes(&self) -> u64 {
        self.streamed
    }

    /// True if the server copies anything: otherwise composing brings
    /// nothing over streaming.
    pub fn copies_anything(&self) -> bool {
        self.copied > 0
    }
}

/// One run of the planning, with a given part size and copy threshold.
struct Planner {
    part_size: u64,
    copy_threshold: u64,
    plan: ComposePlan,
    /// The pieces of the part being gathered for upload.
    group: Vec<Piece>,
    group_size: u64,
}

impl Planner {
    fn new(part_size: u64, copy_threshold: u64) -> Planner {
        Planner {
            part_size,
            copy_threshold,
            plan: ComposePlan::default(),
            group: Vec::new(),
            group_size: 0,
        }
    }

    fn plan(mut self, inputs: &[ComposeInput]) -> ComposePlan {
        for (index, input) in inputs.iter().enumerate() {
            if input.size == 0 {
                continue;
            }
            if !input.copyable || input.size < self.copy_threshold {
                self.upload(index, 0..input.size);
                continue;
            }
            let mut start = 0;
            if self.group_size > 0 && self.group_size < MIN_PART_SIZE {
                // The gathered bytes cannot be a part of their own: take
                // the rest from this input's head, or all of it.
                let need = MIN_PART_SIZE - self.group_size;
                if input.size - need < MIN_PART_SIZE {
                    self.upload(index, 0..input.size);
                    continue;
                }
                self.upload(index, 0..need);
                start = need;
            }
            self.close_group();
            self.copy(index, start..input.size);
        }
        self.close_group();
        self.plan
    }

    /// Adds `range` of an input to the uploaded parts, closing each part
    /// when it reaches the part size.
    fn upload(&mut self, input: usize, mut range: Range<u64>) {
        self.plan.streamed += range.end - range.start;
        while range.start < range.end {
            let room = self.part_size - self.group_size;
            let end = range.end.min(range.start + room);
            self.group.push(Piece {
                input,
                range: range.start..end,
            });
            self.group_size += end - range.start;
            range.start = end;
            if self.group_size == self.part_size {
                self.close_group();
            }
        }
    }

    /// Copies `range` of an input, in as few parts of at most 5 GiB as
    /// possible, of even sizes.
    fn copy(&mut self, input: usize, range: Range<u64>) {
        let length = range.end - range.start;
        self.plan.copied += length;
        let count = length.div_ceil(MAX_PART_SIZE);
        let mut start = range.start;
        for i in 0..count {
            let end = range.start + length * (i + 1) / count;
            self.plan.parts.push(PlannedPart::Copy(Piece {
                input,
                range: start..end,
            }));
            start = end;
        }
    }

    fn close_group(&mut self) {
        if !self.group.is_empty() {
            let pieces = std::mem::take(&mut self.group);
            self.plan.parts.push(PlannedPart::Upload(pieces));
            self.group_size = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const MIB: u64 = 1024 * 1024;
    const GIB: u64 = 1024 * MIB;

    fn object(size: u64) -> ComposeInput {
        ComposeInput {
            size,
            copyable: true,
        }
    }

    fn local(size: u64) -> ComposeInput {
        ComposeInput {
            size,
            copyable: false,
        }
    }

    /// Checks what every plan must be: the inputs' bytes exactly once, in
    /// order; S3's limits; copies only of copyable inputs; the counts.
    fn check(inputs: &[ComposeInput], plan: &ComposePlan) {
        let mut next = (0usize, 0u64);
        let skip_empty = |mut next: (usize, u64)| {
            while next.0 < inputs.len() && next.1 == inputs[next.0].size {
                next = (next.0 + 1, 0);
            }
            next
        };
        let (mut copied, mut streamed) = (0, 0);
        for (i, part) in plan.parts().iter().enumerate() {
            let size = part.size();
            assert!(size <= MAX_PART_SIZE, "part {i} has {size} bytes");
            if i + 1 < plan.parts().len() {
                assert!(size >= MIN_PART_SIZE, "part {i} has {size} bytes");
            }
            assert!(size > 0);
            let pieces = match part {
                PlannedPart::Copy(piece) => {
                    assert!(inputs[piece.input].copyable);
                    copied += size;
                    std::slice::from_ref(piece)
                }
                PlannedPart::Upload(pieces) => {
                    streamed += size;
                    pieces.as_slice()
                }
            };
            for piece in pieces {
                next = skip_empty(next);
                assert_eq!((piece.input, piece.range.start), next, "part {i}");
                assert!(piece.range.end > piece.range.start);
                next.1 = piece.range.end;
            }
        }
        assert_eq!(
            skip_empty(next).0,
            inputs.len(),
            "every input is in the plan"
        );
        assert!(plan.parts().len() <= MAX_PARTS);
        assert_eq!(
            (copied, streamed),
            (plan.copied_bytes(), plan.streamed_bytes())
        );
    }

    #[test]
    fn the_sizes_at_the_edges_of_s3s_limits() {
        let inputs = [
            object(0),
            object(1),
            object(49 * MIB / 10),
            object(5 * MIB),
            object(12 * MIB),
        ];
        let plan = ComposePlan::new(&inputs).unwrap();
        check(&inputs, &plan);
        // 1 B, 4.9 MiB and the 5 MiB input (too small to be copied once
        // 5 MiB less what came before it is taken) are uploaded in an
        // 8 MiB part, then a 5 MiB one that ends with the head of the
        // 12 MiB input; the rest of that one is copied.
        assert_eq!(plan.parts().len(), 3);
        assert_eq!(plan.streamed_bytes(), 13 * MIB);
        let PlannedPart::Copy(copied) = &plan.parts()[2] else {
            panic!("the last part is copied: {plan:?}");
        };
        assert_eq!(copied.input, 4);
        assert_eq!(copied.range.end, 12 * MIB);
        assert_eq!(plan.copied_bytes(), 1 + 49 * MIB / 10 + 17 * MIB - 13 * MIB);
    }

    #[test]
    fn a_6_gib_input_is_copied_in_two_ranges() {
        let inputs = [object(6 * GIB), local(1)];
        let plan = ComposePlan::new(&inputs).unwrap();
        check(&inputs, &plan);
        assert_eq!(
            plan.parts(),
            [
                PlannedPart::Copy(Piece {
                    input: 0,
                    range: 0..3 * GIB
                }),
                PlannedPart::Copy(Piece {
                    input: 0,
                    range: 3 * GIB..6 * GIB
                }),
                PlannedPart::Upload(vec![Piece {
                    input: 1,
                    range: 0..1
                }]),
            ]
        );
        assert_eq!(plan.copied_bytes(), 6 * GIB);
    }

    #[test]
    fn small_inputs_are_gathered_into_8_mib_parts() {
        let inputs = vec![object(4096); 10_000];
        let plan = ComposePlan::new(&inputs).unwrap();
        check(&inputs, &plan);
        assert_eq!(plan.parts().len(), 5);
        assert!(!plan.copies_anything());
    }

    #[test]
    fn more_inputs_than_parts_are_planned_within_the_limit() {
        let inputs = vec![object(6 * MIB); 12_000];
        let plan = ComposePlan::new(&inputs).unwrap();
        check(&inputs, &plan);
    }

    #[test]
    fn an_output_larger_than_5_tib_is_refused() {
        let err = ComposePlan::new(&[object(3 << 40), local(3 << 40)]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.to_string().contains("5 TiB"), "{err}");
        assert!(ComposePlan::new(&[]).unwrap().parts().is_empty());
    }

    fn input() -> impl Strategy<Value = ComposeInput> {
        let size = prop_oneof![
            0..16u64,
            MIN_PART_SIZE - 16..MIN_PART_SIZE + 16,
            0..3 * DEFAULT_UPLOAD_PART_SIZE,
            MAX_PART_SIZE - 1..MAX_PART_SIZE + 2,
            0..20 * GIB,
        ];
        (size, any::<bool>()).prop_map(|(size, copyable)| ComposeInput { size, copyable })
    }

    proptest! {
        #[test]
        fn every_plan_keeps_s3s_limits(inputs in prop::collection::vec(input(), 0..40)) {
            let plan = ComposePlan::new(&inputs).unwrap();
            check(&inputs, &plan);
        }

        #[test]
        fn big_copyable_inputs_are_all_copied(
            sizes in prop::collection::vec(2 * MIN_PART_SIZE..8 * GIB, 1..20),
        ) {
            let inputs: Vec<_> = sizes.iter().map(|&s| object(s)).collect();
            let plan = ComposePlan::new(&inputs).unwrap();
            check(&inputs, &plan);
            prop_assert_eq!(plan.streamed_bytes(), 0);
        }
    }
}
