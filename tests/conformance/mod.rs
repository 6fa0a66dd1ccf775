//! Node.js 20 as the oracle: the same stream scenario runs in Node and in
//! smerge, and what each observes is compared step by step.
//!
//! - A [scenario](scenario::Scenario) is data: streams with their options
//!   (byte or object mode, every highWaterMark, sync or deferred sources
//!   and sinks, transforms that push 0..n chunks per input and from their
//!   flush, errors injected at a chunk) and a script of operations (write,
//!   end, read, read(n), unshift, pause, resume, cork, uncork, destroy,
//!   pipe and unpipe, pipeline, finished, and time passing).
//! - [`generate`] makes random scenarios from a seed; [`node`] runs them in
//!   one `node` process (`node_runner.js`, JSON lines in and out);
//!   [`smerge`] runs them on smerge's streams, and is the only file that
//!   uses smerge's API.
//! - A trace has, for every operation, what it returned, the events and
//!   hook calls it caused on each stream, and every stream's counters after
//!   it. [`compare`] says where two traces first differ; the deliberate
//!   differences from Node ([`differences`], `docs/node-differences.md`)
//!   are the only ones it lets through. [`shrink`] cuts a scenario that
//!   shows a mismatch down to a minimal one.
//!
//! Time: both sides run a step's operations synchronously. `tick` lets
//! Node run its `nextTick` queue and microtasks, and smerge poll every
//! stream until nothing changes; `settle` also fires the deferred
//! completions of sources and sinks one at a time, oldest first, as Node's
//! `setImmediate`s would run, ticking after each. Scenarios end with a
//! `settle`.
//!
//! Runs: `cargo test conformance` runs the harness's own tests; the quick
//! mode (`conformance::quick`, a few thousand scenarios) and the long mode
//! (`benches/conformance.sh N`) are ignored tests until the engine agrees
//! with Node. `CONFORMANCE_SEED`, `CONFORMANCE_SCENARIOS`,
//! `CONFORMANCE_WITHOUT` (operations to leave out), `CONFORMANCE_EXPLAIN`
//! (explain the classes whose name contains this text) and
//! `CONFORMANCE_NODE` (the `node` binary) tune a run; `conformance::replay` shows one seed's
//! traces side by side.

mod compare;
mod differences;
mod generate;
mod node;
mod scenario;
mod shrink;
mod smerge;
mod switches;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use compare::{Mismatch, compare, compared_until, side_by_side};
use differences::Difference;
use node::Node;
use scenario::{Op, Pace, Scenario, SinkSpec, StreamSpec, Trace};
use switches::Switches;

/// A scenario whose traces differ.
struct Found {
    seed: u64,
    scenario: Scenario,
    mismatch: Mismatch,
}

/// What a run of many scenarios found.
struct Outcome {
    scenarios: usize,
    elapsed: Duration,
    /// Per class of mismatch, the scenarios that show it.
    classes: BTreeMap<String, Vec<Found>>,
    /// The seeds of the longest scenarios both sides agree on, longest first.
    agreeing: Vec<(usize, u64)>,
    /// Per deliberate difference that stops a comparison early
    /// ([`compared_until`]), how many scenarios it stopped.
    cut: BTreeMap<&'static str, usize>,
    /// Operations of all scenarios, and how many of them were compared.
    operations: usize,
    compared: usize,
}

impl Outcome {
    fn mismatches(&self) -> usize {
        self.classes.values().map(Vec::len).sum()
    }

    /// The classes, most frequent first.
    fn by_count(&self) -> Vec<(&String, &Vec<Found>)> {
        let mut classes: Vec<_> = self.classes.iter().collect();
        classes.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
        classes
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(value) => value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a number")),
        Err(_) => default,
    }
}

/// Runs `scenario` on smerge and compares its trace with Node's.
fn check(switches: &Switches, scenario: &Scenario, node: &Trace) -> (Trace, Option<Mismatch>) {
    let theirs = smerge::run(scenario);
    let mismatch = if switches.ignored_events.is_empty() {
        compare(scenario, node, &theirs, &Difference::ALL)
    } else {
        let keep = |trace: &Trace| {
            let mut trace = trace.clone();
            for step in &mut trace.steps {
                step.events.retain(|(_, event)| switches.keeps_event(event));
            }
            trace
        };
        compare(scenario, &keep(node), &keep(&theirs), &Difference::ALL)
    };
    (theirs, mismatch)
}

/// Runs the scenarios of seeds `first..first + count` through both sides.
fn run_seeds(node: &mut Node, switches: &Switches, first: u64, count: u64) -> Outcome {
    let started = Instant::now();
    let mut classes: BTreeMap<String, Vec<Found>> = BTreeMap::new();
    let mut agreeing = Vec::new();
    let (mut cut, mut operations, mut compared) = (BTreeMap::new(), 0, 0);
    // Batches keep memory flat over long runs; each goes through the one
    // Node process while this thread runs the smerge side.
    let batch = 500;
    let mut seed = first;
    while seed < first + count {
        let end = (seed + batch).min(first + count);
        let scenarios: Vec<Scenario> = (seed..end)
            .map(|s| generate::scenario(s, switches))
            .collect();
        let traces = node.run_all(&scenarios);
        for ((scenario, ours), seed) in scenarios.into_iter().zip(&traces).zip(seed..) {
            operations += scenario.ops.len();
            match compared_until(&scenario, ours, &Difference::ALL) {
                Some((step, difference)) => {
                    *cut.entry(difference.title()).or_default() += 1;
                    compared += step;
                }
                None => compared += scenario.ops.len(),
            }
            match check(switches, &scenario, ours) {
                (_, Some(mismatch)) => {
                    classes
                        .entry(mismatch.class.clone())
                        .or_default()
                        .push(Found {
                            seed,
                            scenario,
                            mismatch,
                        });
                }
                (_, None) => {
                    agreeing.push((scenario.ops.len(), seed));
                    agreeing.sort_by(|a, b| b.cmp(a));
                    agreeing.truncate(5);
                }
            }
        }
        seed = end;
    }
    Outcome {
        scenarios: count as usize,
        elapsed: started.elapsed(),
        classes,
        agreeing,
        cut,
        operations,
        compared,
    }
}

/// Shrinks `found` to a minimal scenario with the same class of mismatch.
fn shrink_found(node: &mut Node, switches: &Switches, found: &Found) -> Scenario {
    shrink::shrink(&found.scenario, switches, 3000, |candidate| {
        let trace = node.run(candidate);
        check(switches, candidate, &trace)
            .1
            .is_some_and(|m| m.class == found.mismatch.class)
    })
}

/// A mismatch, for a person: the seed, the minimal scenario and both of
/// its traces side by side.
fn explain(node: &mut Node, switches: &Switches, found: &Found, count: usize) -> String {
    let minimal = shrink_found(node, switches, found);
    let ours = node.run(&minimal);
    let (theirs, mismatch) = check(switches, &minimal, &ours);
    let mismatch = mismatch.expect("the shrunk scenario still differs");
    let mut out = String::new();
    let _ = writeln!(out, "── {} ({count} scenarios)", found.mismatch.class);
    let _ = writeln!(
        out,
        "seed {} (CONFORMANCE_SEED={} cargo test conformance::replay -- --ignored), shrunk from {} to {} operations",
        found.seed,
        found.seed,
        found.scenario.ops.len(),
        minimal.ops.len()
    );
    let _ = writeln!(
        out,
        "first difference at step {}: {}",
        mismatch.step, mismatch.detail
    );
    let _ = write!(out, "{minimal}");
    let _ = writeln!(
        out,
        "scenario JSON: {}",
        serde_json::to_string(&minimal).expect("a scenario is JSON")
    );
    let _ = write!(out, "{}", side_by_side(&minimal, &ours, &theirs));
    out
}

/// The report of a run: a table of the classes of mismatch, then the first
/// `explained` of them, each shrunk and shown side by side.
fn report(node: &mut Node, switches: &Switches, outcome: &Outcome, explained: usize) -> String {
    let mut out = String::new();
    let rate = outcome.scenarios as f64 / outcome.elapsed.as_secs_f64();
    let _ = writeln!(
        out,
        "{} scenarios in {:.1} s ({rate:.0} per second): {} differ from Node, in {} classes",
        outcome.scenarios,
        outcome.elapsed.as_secs_f64(),
        outcome.mismatches(),
        outcome.classes.len()
    );
    for (title, scenarios) in &outcome.cut {
        let _ = writeln!(
            out,
            "{scenarios} scenarios compared up to where they meet \"{title}\""
        );
    }
    if !outcome.cut.is_empty() {
        let _ = writeln!(
            out,
            "{} of {} operations compared",
            outcome.compared, outcome.operations
        );
    }
    for (class, found) in outcome.by_count() {
        let _ = writeln!(out, "{:>7}  {class}", found.len());
    }
    if !outcome.agreeing.is_empty() {
        let seeds: Vec<String> = outcome
            .agreeing
            .iter()
            .map(|(ops, seed)| format!("{seed} ({ops} operations)"))
            .collect();
        let _ = writeln!(
            out,
            "longest scenarios that agree: seeds {}",
            seeds.join(", ")
        );
    }
    // `CONFORMANCE_EXPLAIN=text` explains the classes whose name contains
    // `text` instead of the most frequent ones.
    let wanted = std::env::var("CONFORMANCE_EXPLAIN").ok();
    let chosen: Vec<_> = match &wanted {
        Some(text) => outcome
            .by_count()
            .into_iter()
            .filter(|(class, _)| class.contains(text.as_str()))
            .take(explained)
            .collect(),
        None => outcome.by_count().into_iter().take(explained).collect(),
    };
    for (class, found) in chosen {
        let _ = writeln!(out);
        let _ = write!(
            out,
            "{}",
            explain(node, switches, &found[0], outcome.classes[class].len())
        );
    }
    out
}

/// Runs `count` scenarios from `CONFORMANCE_SEED` and fails on any
/// difference from Node that is not a deliberate one.
fn run_mode(default_count: u64, explained: usize) {
    let switches = smerge::switches().with_env();
    let first = env_number("CONFORMANCE_SEED", 1);
    let count = env_number("CONFORMANCE_SCENARIOS", default_count);
    let mut node = Node::start();
    let outcome = run_seeds(&mut node, &switches, first, count);
    let text = report(&mut node, &switches, &outcome, explained);
    println!("{text}");
    if let Ok(path) = std::env::var("CONFORMANCE_REPORT") {
        std::fs::write(&path, &text).unwrap_or_else(|e| panic!("writing {path:?}: {e}"));
    }
    assert_eq!(
        outcome.mismatches(),
        0,
        "smerge differs from Node 20 (see above, and docs/node-differences.md for the deliberate differences)"
    );
}

/// The quick mode: a few thousand scenarios through both sides.
///
/// Ignored until the engine agrees with Node on the rules that
/// `docs/node-differences.md` does not list (when a writable starts its
/// sink and finishes, when `resume` and `end` come, how `pipeline` sets up
/// and ends its stages, what `read()` asks and returns);
/// `cargo test conformance::quick -- --ignored` runs it.
#[test]
#[ignore = "smerge's engine does not agree with Node 20 yet; run with --ignored"]
fn quick() {
    run_mode(3000, 5);
}

/// The readable side on its own agrees with Node in every scenario of the
/// quick mode's seeds: Readables and Transforms that are read (`read()`,
/// `read(n)`), pushed into from outside, put back into (`unshift`),
/// paused, destroyed, and left to time (`tick`, `settle`) — no writes,
/// ends, pipes or flowing. Part of `cargo test`; the whole API waits for
/// the quick mode above.
#[test]
fn readable_side() {
    let mut switches = smerge::switches();
    switches.without = [
        "write", "end", "cork", "uncork", "resume", "pipe", "unpipe", "pipeline", "finished",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut node = Node::start();
    let outcome = run_seeds(&mut node, &switches, 1, 3000);
    if outcome.mismatches() > 0 {
        panic!(
            "the readable side differs from Node 20:\n{}",
            report(&mut node, &switches, &outcome, 3)
        );
    }
}

/// The long mode (`benches/conformance.sh N`): 100,000 scenarios by
/// default, every class of mismatch shrunk and shown.
#[test]
#[ignore = "long: run by benches/conformance.sh"]
fn long() {
    run_mode(100_000, usize::MAX);
}

/// One scenario, both traces side by side: the seed `CONFORMANCE_SEED`,
/// or the JSON scenario in the file `CONFORMANCE_SCENARIO` names.
#[test]
#[ignore = "a tool: CONFORMANCE_SEED=N cargo test conformance::replay -- --ignored --nocapture"]
fn replay() {
    let switches = smerge::switches().with_env();
    let seed = env_number("CONFORMANCE_SEED", 1);
    let scenario = match std::env::var("CONFORMANCE_SCENARIO") {
        Ok(path) => {
            let text =
                std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path:?}: {e}"));
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?} is no scenario: {e}"))
        }
        Err(_) => generate::scenario(seed, &switches),
    };
    let mut node = Node::start();
    let ours = node.run(&scenario);
    let (theirs, mismatch) = check(&switches, &scenario, &ours);
    println!("{scenario}{}", side_by_side(&scenario, &ours, &theirs));
    if let Some(mismatch) = mismatch {
        let found = Found {
            seed,
            scenario,
            mismatch,
        };
        println!("{}", explain(&mut node, &switches, &found, 1));
        panic!("smerge differs from Node: {}", found.mismatch.detail);
    }
}

#[test]
fn scenarios_are_reproducible_and_keep_the_rules() {
    let switches = smerge::switches();
    for seed in 0..500 {
        let scenario = generate::scenario(seed, &switches);
        assert_eq!(scenario, generate::scenario(seed, &switches));
        generate::Rules::check_scenario(&scenario, &switches)
            .unwrap_or_else(|why| panic!("seed {seed} breaks a rule: {why}\n{scenario}"));
        let json = serde_json::to_string(&scenario).unwrap();
        assert_eq!(serde_json::from_str::<Scenario>(&json).unwrap(), scenario);
    }
}

#[test]
fn switched_off_operations_are_never_generated() {
    let switches = Switches {
        without: vec!["read".into(), "pipe".into()],
        external_push: false,
        ..smerge::switches()
    };
    for seed in 0..300 {
        let scenario = generate::scenario(seed, &switches);
        assert!(
            scenario
                .ops
                .iter()
                .all(|op| !matches!(op, Op::Read { .. } | Op::Pipe { .. } | Op::Push { .. })),
            "seed {seed}: {scenario}"
        );
    }
}

#[test]
fn the_shrinker_keeps_only_what_the_failure_needs() {
    let switches = smerge::switches();
    // A "failure" that needs a write of two bytes or more to a writable.
    let fails = |s: &Scenario| {
        s.ops.iter().any(|op| match op {
            Op::Write { stream, chunk } => {
                chunk.len() >= 2 && matches!(s.streams[*stream], StreamSpec::Writable { .. })
            }
            _ => false,
        })
    };
    let seed = (0..)
        .find(|&seed| {
            let s = generate::scenario(seed, &switches);
            fails(&s) && s.ops.len() > 10 && s.streams.len() > 2
        })
        .unwrap();
    let minimal = shrink::shrink(
        &generate::scenario(seed, &switches),
        &switches,
        10_000,
        fails,
    );
    assert_eq!(minimal.streams.len(), 1, "{minimal}");
    assert_eq!(minimal.ops.len(), 1, "{minimal}");
    assert!(
        matches!(&minimal.ops[0], Op::Write { chunk, .. } if chunk.len() == 2),
        "{minimal}"
    );
}

fn writable(hwm: usize, pace: Pace) -> StreamSpec {
    StreamSpec::Writable {
        hwm,
        sink: SinkSpec {
            pace,
            fail_at: None,
        },
    }
}

/// The Node side reports what Node 20 does: a write into a sync sink is
/// written before `write()` returns (writable.js `writeOrBuffer`), a
/// deferred one counts until its callback, and a write after `end()` is
/// refused with `ERR_STREAM_WRITE_AFTER_END`.
#[test]
fn the_node_runner_observes_node() {
    let scenario = Scenario {
        object_mode: false,
        streams: vec![writable(4, Pace::Sync), writable(4, Pace::Deferred)],
        ops: vec![
            Op::Write {
                stream: 0,
                chunk: "abcd".into(),
            },
            Op::Write {
                stream: 1,
                chunk: "abcd".into(),
            },
            Op::End { stream: 0 },
            Op::Write {
                stream: 0,
                chunk: "e".into(),
            },
            Op::Settle,
        ],
    };
    let trace = Node::start().run(&scenario);
    assert_eq!(trace.failure, None);
    let steps = &trace.steps;
    assert_eq!(steps[0].ret, true);
    assert_eq!(steps[0].events, [(0, "_write(abcd)".to_owned())]);
    assert_eq!(steps[0].state[0]["wl"], 0);
    assert_eq!(steps[1].ret, false);
    assert_eq!(steps[1].state[1]["wl"], 4);
    assert_eq!(steps[1].state[1]["wnd"], true);
    assert_eq!(
        steps[3].refused.as_deref(),
        Some("ERR_STREAM_WRITE_AFTER_END")
    );
    let settled: Vec<&str> = steps[4].events.iter().map(|(_, e)| e.as_str()).collect();
    assert_eq!(
        settled,
        ["error(ERR_STREAM_WRITE_AFTER_END)", "close", "drain"]
    );
}

/// Both sides agree on a scenario whose rules smerge already keeps: a
/// corked transform's writes return `false` at its highWaterMark and stay
/// queued, `pause` is immediate, and a destroyed writable refuses writes
/// and closes when time passes.
#[test]
fn both_sides_agree_where_smerge_keeps_nodes_rules() {
    let scenario = Scenario {
        object_mode: false,
        streams: vec![
            StreamSpec::Transform {
                readable_hwm: 4,
                writable_hwm: 3,
                pushes: vec![1],
                flush: 0,
                fail_at: None,
            },
            writable(2, Pace::Deferred),
        ],
        ops: vec![
            Op::Cork { stream: 0 },
            Op::Write {
                stream: 0,
                chunk: "aa".into(),
            },
            Op::Write {
                stream: 0,
                chunk: "b".into(),
            },
            Op::Pause { stream: 0 },
            Op::Settle,
            Op::Destroy {
                stream: 1,
                error: true,
            },
            Op::Tick,
            Op::Write {
                stream: 1,
                chunk: "c".into(),
            },
            Op::Settle,
        ],
    };
    let ours = Node::start().run(&scenario);
    let (theirs, mismatch) = check(&smerge::switches(), &scenario, &ours);
    assert_eq!(
        mismatch,
        None,
        "\n{}",
        side_by_side(&scenario, &ours, &theirs)
    );
    assert_eq!(ours.steps[2].ret, false, "3 bytes queued, at the mark");
    assert_eq!(
        ours.steps[6].events,
        [(1, "error(boom:op5)".to_owned()), (1, "close".to_owned())]
    );
    assert_eq!(
        ours.steps[7].refused.as_deref(),
        Some("ERR_STREAM_DESTROYED")
    );
}
