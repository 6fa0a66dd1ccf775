//! Port of `test/parallel/test-stream-transform-split-highwatermark.js`.

use bytes::Bytes;
use smerge::{DEFAULT_HIGH_WATER_MARK, DEFAULT_OBJECT_HIGH_WATER_MARK, Duplex, Readable, Writable};

use crate::common::doubles::{Pace, Probe};

fn marks<I, O>(duplex: &Duplex<I, O>) -> (usize, usize)
where
    I: smerge::Chunk,
    O: smerge::Chunk,
{
    (
        duplex.readable_high_water_mark(),
        duplex.writable_high_water_mark(),
    )
}

/// Each side of a transform takes its own highWaterMark, defaulting to the
/// chunk type's (64 KiB for bytes, 16 items for objects), and a common one
/// sets both.
///
/// Node's options object lets `highWaterMark` win over the per-side options
/// whatever the order; smerge's builder applies calls in order, so the
/// common setting wins when it comes last. NaN and other invalid values
/// cannot be expressed (`usize`), and plain readables and writables have
/// no per-side setting to ignore.
#[test]
fn test_stream_transform_split_highwatermark() {
    let pass = || Duplex::<Bytes, Bytes>::pass_through();
    let default = DEFAULT_HIGH_WATER_MARK;
    assert_eq!(default, 65536);

    assert_eq!(marks(&pass()), (default, default));
    assert_eq!(
        marks(&pass().with_readable_high_water_mark(666)),
        (666, default)
    );
    assert_eq!(
        marks(&pass().with_writable_high_water_mark(777)),
        (default, 777)
    );
    assert_eq!(
        marks(
            &pass()
                .with_readable_high_water_mark(666)
                .with_writable_high_water_mark(777)
        ),
        (666, 777)
    );
    assert_eq!(
        marks(
            &pass()
                .with_readable_high_water_mark(666)
                .with_writable_high_water_mark(777)
                .with_high_water_mark(555)
        ),
        (555, 555)
    );

    let objects = Duplex::<u32, u32>::pass_through();
    assert_eq!(
        marks(&objects),
        (
            DEFAULT_OBJECT_HIGH_WATER_MARK,
            DEFAULT_OBJECT_HIGH_WATER_MARK
        )
    );
    assert_eq!(
        Readable::from_iter([Bytes::new()]).high_water_mark(),
        default
    );
    let (sink, _) = Probe::<Bytes>::new(Pace::Immediate);
    assert_eq!(Writable::new(sink).high_water_mark(), default);
}
