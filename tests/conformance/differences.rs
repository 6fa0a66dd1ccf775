//! The deliberate differences from Node, each named after its entry in
//! `docs/node-differences.md` ("Deliberate differences from Node"). The
//! harness applies these and no others; a test checks that the document
//! and this list name the same ones.

/// One deliberate difference from Node 20's streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Difference {
    /// A misused call returns `Err` where Node returns `false` or the
    /// stream and reports the error through a callback or an `error`
    /// event: the comparator compares what the call was refused with, not
    /// the value Node returns beside it.
    ErrorsAreValues,
    /// An `error` nobody listens for does not crash smerge: the Node side
    /// listens for `error` on every stream.
    ErrorsAreHandled,
    /// smerge's errors say where they happened: errors are compared by
    /// identity (the injected error, or Node's code), never by text.
    ErrorsSayWhere,
    /// Dropping a smerge stream destroys it: what the streams do when the
    /// scenario is over and they are dropped is not recorded.
    DroppingDestroys,
    /// The default highWaterMark is 64 KiB: every scenario gives each
    /// highWaterMark explicitly.
    DefaultHighWaterMark,
    /// A tick is a poll: Node's `nextTick` queue maps to polling every
    /// stream until nothing changes, Node's I/O completions to the
    /// deferred completions a `settle` fires.
    TicksArePolls,
    /// Each stream delivers its own deferred events at its own next poll:
    /// the events of one stream are compared in order, those of different
    /// streams within one step are not ordered against each other.
    OrderWithinAStream,
    /// A pipe moves chunks when it is polled, where Node's pipe, a `data`
    /// listener, writes a chunk into its destinations inside the call that
    /// pushed it or read it: a scenario is compared up to the operation in
    /// which Node's pipe moves a chunk inside a call
    /// ([`pipe_moves_inside_a_call`](super::compare::pipe_moves_inside_a_call)).
    PipesMoveWhenPolled,
    /// A pipe into a stream that already finished or was destroyed fails,
    /// where Node's waits forever for a `drain`: a scenario is compared up
    /// to the operation in which Node's pipe writes into it
    /// ([`pipe_writes_into_a_finished_stream`](super::compare::pipe_writes_into_a_finished_stream)).
    PipesIntoFinishedStreamsFail,
    /// Destroying a writer cancels its sink's write in progress: a
    /// destroyed Writable whose write Node still has in progress may show
    /// a `writable_length` of 0 (Node counts the write and its queue until
    /// the write calls back; the Node side records that count as `wip`).
    DestroyCancelsTheWrite,
    /// `read_text(n)` counts characters, Node's `read(n)` after
    /// `setEncoding` UTF-16 code units: scenarios read bytes only.
    TextCountsCharacters,
    /// `auto_destroy(false)` does not keep a failed stream from being
    /// destroyed: scenarios keep Node's defaults.
    ErrorsDestroyWithoutAutoDestroy,
    /// A sink that needs a tokio runtime is not started inside `write()`
    /// outside one: the scenarios' sinks need none.
    WritersStartInARuntime,
}

impl Difference {
    /// Every deliberate difference, in the document's order.
    pub const ALL: [Difference; 13] = [
        Difference::ErrorsAreValues,
        Difference::ErrorsAreHandled,
        Difference::ErrorsSayWhere,
        Difference::DroppingDestroys,
        Difference::DefaultHighWaterMark,
        Difference::TicksArePolls,
        Difference::OrderWithinAStream,
        Difference::PipesMoveWhenPolled,
        Difference::PipesIntoFinishedStreamsFail,
        Difference::DestroyCancelsTheWrite,
        Difference::TextCountsCharacters,
        Difference::ErrorsDestroyWithoutAutoDestroy,
        Difference::WritersStartInARuntime,
    ];

    /// The heading of its entry in `docs/node-differences.md`.
    pub fn title(self) -> &'static str {
        match self {
            Difference::ErrorsAreValues => "A refused call returns an error",
            Difference::ErrorsAreHandled => "An unhandled error does not crash",
            Difference::ErrorsSayWhere => "Errors say where they happened",
            Difference::DroppingDestroys => "Dropping a stream destroys it",
            Difference::DefaultHighWaterMark => "The default highWaterMark is 64 KiB",
            Difference::TicksArePolls => "A tick is a poll",
            Difference::OrderWithinAStream => "Event order is kept within each stream",
            Difference::PipesMoveWhenPolled => "A pipe moves chunks when it is polled",
            Difference::PipesIntoFinishedStreamsFail => {
                "A pipe into a finished stream fails instead of waiting forever"
            }
            Difference::DestroyCancelsTheWrite => {
                "Destroying a writer cancels its write in progress"
            }
            Difference::TextCountsCharacters => "Text counts characters, not UTF-16 code units",
            Difference::ErrorsDestroyWithoutAutoDestroy => {
                "Without `autoDestroy`, an error still destroys"
            }
            Difference::WritersStartInARuntime => {
                "Outside a runtime, a writer starts at the next poll"
            }
        }
    }
}

#[test]
fn the_document_lists_exactly_the_differences_the_harness_applies() {
    let doc = include_str!("../../docs/node-differences.md");
    assert!(
        doc.lines()
            .any(|l| l == "# Deliberate differences from Node"),
        "docs/node-differences.md has lost its title"
    );
    let headings: Vec<&str> = doc
        .lines()
        .filter_map(|line| line.strip_prefix("## "))
        .collect();
    let titles: Vec<&str> = Difference::ALL.iter().map(|d| d.title()).collect();
    assert_eq!(headings, titles);
}
