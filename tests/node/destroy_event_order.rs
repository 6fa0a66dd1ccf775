//! Port of `test/parallel/test-stream-destroy-event-order.js`.

use smerge::Readable;

use crate::common::doubles::{Feed, kaboom};
use crate::common::events::EventLog;

/// `destroy(err)`: `error` strictly before `close`, each once, both on the
/// next tick (here: when the stream is next polled or dropped).
#[test]
fn test_stream_destroy_event_order() {
    let (source, _feed) = Feed::<u32>::new();
    let mut rs = Readable::new(source);
    let log = EventLog::new();
    log.attach(&mut rs);
    rs.destroy(Some(kaboom("kaboom")));
    assert!(log.entries().is_empty());
    assert_eq!(rs.read(), None);
    drop(rs);
    assert_eq!(log.entries(), ["error", "close"]);
}
