//! Port of `test/parallel/test-stream-transform-flush-data.js`.

use bytes::Bytes;
use smerge::{Duplex, Push, ReadableExt, Result, Transform};

use crate::common::doubles::b;

/// Takes everything, and pushes `asdf` at the flush.
struct FlushOnly;

impl Transform for FlushOnly {
    type Input = Bytes;
    type Output = Bytes;

    fn transform(&mut self, _chunk: Bytes, _out: &mut Push<'_, Bytes>) -> Result<()> {
        Ok(())
    }

    fn flush(&mut self, out: &mut Push<'_, Bytes>) -> Result<()> {
        out.push(b("asdf"));
        Ok(())
    }
}

/// What the flush pushes is read like any other output.
#[tokio::test]
async fn test_stream_transform_flush_data() {
    let mut t = Duplex::transform(FlushOnly);
    t.write(b("blerg")).unwrap();
    t.end().unwrap();
    assert_eq!(t.collect_vec().await.unwrap(), [b("asdf")]);
}
