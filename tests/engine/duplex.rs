//! A transform that holds output back (in `poll_ready`) hands it out as soon
//! as its readable side has room, without waiting for more input or the end.

use std::future::poll_fn;
use std::task::Poll;

use bytes::Bytes;
use smerge::{Duplex, ReadableStream};
use tokio_test::task::spawn;

use super::stages::Coalesce;
use crate::common::mocks::Bounds;

/// A duplex whose transform holds 16 written bytes back and hands them out
/// 4 at a time, as its readable side (highWaterMark 4) has room.
fn holding_back_sixteen_bytes(bounds: &Bounds) -> Duplex<Bytes, Bytes> {
    let mut duplex = Duplex::transform(Coalesce::new(4, bounds.bound("coalesce", 4)))
        .with_readable_high_water_mark(4);
    duplex
        .write(Bytes::from_static(b"0123456789abcdef"))
        .unwrap();
    duplex
}

#[test]
fn held_back_output_is_read_without_more_input() {
    let bounds = Bounds::default();
    let mut duplex = holding_back_sixteen_bytes(&bounds);
    for expected in ["0123", "4567", "89ab", "cdef"] {
        let mut next = spawn(poll_fn(|cx| duplex.poll_next_chunk(cx)));
        match next.poll() {
            Poll::Ready(Some(Ok(chunk))) => assert_eq!(chunk, expected),
            other => panic!("expected {expected:?}, got {other:?}"),
        }
    }
    assert_eq!(bounds.violations(), Vec::<String>::new());
}

#[test]
fn held_back_output_is_read_synchronously() {
    let bounds = Bounds::default();
    let mut duplex = holding_back_sixteen_bytes(&bounds);
    let read: Vec<Option<Bytes>> = (0..4).map(|_| duplex.read()).collect();
    assert_eq!(
        read,
        ["0123", "4567", "89ab", "cdef"].map(|s| Some(Bytes::from(s)))
    );
    assert_eq!(bounds.violations(), Vec::<String>::new());
}
