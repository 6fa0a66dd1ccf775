//! Comparing the two traces of a scenario, step by step, and showing them
//! side by side.
//!
//! The rule: for every operation, the same return value (or the same
//! refusal, see [`Difference::ErrorsAreValues`]); for every stream, the
//! same events during that operation in the same order (events of
//! different streams are not ordered against each other, see
//! [`Difference::OrderWithinAStream`]; a callback such as `pipeline(ok)`
//! is recorded on every stream it concerns, so it is ordered against each
//! of them); and after it, the same counters, for every counter the smerge
//! side can observe.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::differences::Difference;
use super::scenario::{Op, Scenario, Step, Trace};

/// Where two traces first differ, and the class of the difference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The operation at which they differ.
    pub step: usize,
    /// What differs, in words that leave out the scenario's details, so
    /// that mismatches with one cause share it (`events on a transform at
    /// write: node _transform / smerge (none)`).
    pub class: String,
    /// What differs, with the values.
    pub detail: String,
}

/// The counters in the order their differences are reported: the first
/// that differs names the mismatch.
const COUNTERS: [&str; 9] = ["err", "d", "re", "wf", "we", "rf", "wnd", "rl", "wl"];

/// Compares two traces of `scenario` with the given deliberate differences
/// applied; `None` when they agree.
pub fn compare(
    scenario: &Scenario,
    node: &Trace,
    smerge: &Trace,
    differences: &[Difference],
) -> Option<Mismatch> {
    let steps = node.steps.len().max(smerge.steps.len());
    let compared = compared_until(scenario, node, differences).map_or(steps, |(step, _)| step);
    for index in 0..compared {
        let (Some(n), Some(s)) = (node.steps.get(index), smerge.steps.get(index)) else {
            break;
        };
        if let Some(mismatch) = compare_step(scenario, index, n, s, differences) {
            return Some(mismatch);
        }
    }
    // Past the operation where Node's pipe moved a chunk inside a call the
    // traces are not compared, but a run that failed on either side is
    // still reported: a panic is never a deliberate difference.
    let cut = compared < steps && smerge.steps.len() >= compared && node.steps.len() >= compared;
    if cut && node.failure.is_none() && smerge.failure.is_none() {
        return None;
    }
    if node.failure.is_some() || smerge.failure.is_some() || node.steps.len() != smerge.steps.len()
    {
        if node.failure == smerge.failure && node.steps.len() == smerge.steps.len() {
            return None;
        }
        let first_line = |f: &Option<String>| {
            f.as_deref().map_or("(none)".to_owned(), |f| {
                f.lines().next().unwrap_or("").to_owned()
            })
        };
        let side = if node.failure.is_some() {
            "node runner"
        } else {
            "smerge"
        };
        return Some(Mismatch {
            step: node.steps.len().min(smerge.steps.len()),
            class: format!(
                "{side} failed: {}",
                first_line(if node.failure.is_some() {
                    &node.failure
                } else {
                    &smerge.failure
                })
            ),
            detail: format!(
                "node failure: {}; smerge failure: {}",
                first_line(&node.failure),
                first_line(&smerge.failure)
            ),
        });
    }
    None
}

/// Where a deliberate difference stops the comparison of a scenario's traces.
type Cut = fn(&Scenario, &Trace) -> Option<usize>;

/// The operation from which a scenario's traces are not compared, and the
/// deliberate difference that stops the comparison there: the first of
/// [`pipe_moves_inside_a_call`] and [`pipe_writes_into_a_finished_stream`]
/// among `differences`.
pub fn compared_until(
    scenario: &Scenario,
    node: &Trace,
    differences: &[Difference],
) -> Option<(usize, Difference)> {
    let cuts: [(Difference, Cut); 2] = [
        (Difference::PipesMoveWhenPolled, pipe_moves_inside_a_call),
        (
            Difference::PipesIntoFinishedStreamsFail,
            pipe_writes_into_a_finished_stream,
        ),
    ];
    cuts.into_iter()
        .filter(|(difference, _)| differences.contains(difference))
        .filter_map(|(difference, cut)| cut(scenario, node).map(|step| (step, difference)))
        .min_by_key(|&(step, _)| step)
}

/// The first operation in which Node's pipe writes into a destination that
/// had finished or was destroyed before it was piped
/// ([`Difference::PipesIntoFinishedStreamsFail`]): an operation during
/// which the source of such a pipe emits `data`.
pub fn pipe_writes_into_a_finished_stream(scenario: &Scenario, node: &Trace) -> Option<usize> {
    let mut sources: Vec<usize> = Vec::new();
    let mut before: Option<&Step> = None;
    for (index, (op, step)) in scenario.ops.iter().zip(&node.steps).enumerate() {
        let done = |stream: usize| {
            before
                .and_then(|b| b.state.get(stream))
                .is_some_and(|state| {
                    [state.get("wf"), state.get("d")].contains(&Some(&Value::Bool(true)))
                })
        };
        let pairs: Vec<(usize, usize)> = match op {
            Op::Pipe {
                source,
                destinations,
                ..
            } => destinations.iter().map(|&d| (*source, d)).collect(),
            Op::Pipeline { stages } => stages.windows(2).map(|w| (w[0], w[1])).collect(),
            _ => Vec::new(),
        };
        sources.extend(pairs.iter().filter(|&&(_, d)| done(d)).map(|&(s, _)| s));
        if step
            .events
            .iter()
            .any(|(stream, event)| sources.contains(stream) && event.starts_with("data("))
        {
            return Some(index);
        }
        before = Some(step);
    }
    None
}

/// The first operation in which Node's pipe acts inside the call
/// ([`Difference::PipesMoveWhenPolled`]): an operation other than `tick`
/// and `settle` during which a stream that pipes into another emits
/// `data`, or a stream piped into emits `drain`. Node's pipe is a `data`
/// listener: its source emits a chunk pushed into it (flowing, with an
/// empty buffer) inside `push`, and a chunk `read()` returns inside
/// `read`, and the listener writes it into every destination there and
/// then. It is also a `drain` listener on each destination that refused a
/// write: a `drain` emitted inside a call (a `read()` of a Transform
/// destination) resumes the source there and then. A source pipes into a
/// destination while Node lists the destination among the source's pipes:
/// the list Node reported after the previous operation, less the pipes
/// into a stream that emits `unpipe` during the call (Node's pipe removes
/// its listeners then).
pub fn pipe_moves_inside_a_call(scenario: &Scenario, node: &Trace) -> Option<usize> {
    let mut attached: &[(usize, usize)] = &[];
    for (index, (op, step)) in scenario.ops.iter().zip(&node.steps).enumerate() {
        let in_a_call = !matches!(op, Op::Tick | Op::Settle);
        let mut pipes = attached.to_vec();
        for (stream, event) in &step.events {
            if event == "unpipe" {
                pipes.retain(|&(_, destination)| destination != *stream);
            } else if in_a_call
                && (event.starts_with("data(")
                    && pipes.iter().any(|&(source, _)| source == *stream)
                    || event == "drain"
                        && pipes.iter().any(|&(_, destination)| destination == *stream))
            {
                return Some(index);
            }
        }
        attached = &step.pipes;
    }
    None
}

fn compare_step(
    scenario: &Scenario,
    index: usize,
    node: &Step,
    smerge: &Step,
    differences: &[Difference],
) -> Option<Mismatch> {
    let op = &scenario.ops[index];
    let kind_of = |stream: usize| scenario.streams[stream].kind();
    let target = op
        .streams()
        .first()
        .map(|&s| format!(" on a {}", kind_of(s)))
        .unwrap_or_default();
    let mismatch = |class: String, detail: String| Mismatch {
        step: index,
        class,
        detail,
    };
    let refused = node.refused.is_some() || smerge.refused.is_some();
    if refused && node.refused != smerge.refused {
        return Some(mismatch(
            format!(
                "refusal of {}{target}: node {} / smerge {}",
                op.name(),
                refusal_shape(&node.refused),
                refusal_shape(&smerge.refused)
            ),
            format!(
                "refused: node {:?}, smerge {:?}",
                node.refused, smerge.refused
            ),
        ));
    }
    let values_compared = !(refused && differences.contains(&Difference::ErrorsAreValues));
    if values_compared && node.ret != smerge.ret {
        return Some(mismatch(
            format!(
                "return of {}{target}: node {} / smerge {}",
                op.name(),
                shape(&node.ret),
                shape(&smerge.ret)
            ),
            format!("returned: node {}, smerge {}", node.ret, smerge.ret),
        ));
    }
    if let Some((stream, n, s)) = first_event_difference(scenario, node, smerge, differences) {
        let kind = stream
            .map(|s| format!(" of a {}", kind_of(s)))
            .unwrap_or_default();
        return Some(mismatch(
            format!(
                "events{kind} during {}: node {} / smerge {}",
                op.name(),
                n.as_deref().map_or("(none)".into(), event_class),
                s.as_deref().map_or("(none)".into(), event_class),
            ),
            format!(
                "events{}: node {:?}, smerge {:?}",
                stream.map(|s| format!(" of s{s}")).unwrap_or_default(),
                events_of(node, stream),
                events_of(smerge, stream)
            ),
        ));
    }
    for (stream, (n, s)) in node.state.iter().zip(&smerge.state).enumerate() {
        for counter in COUNTERS {
            let Some(theirs) = s.get(counter) else {
                continue;
            };
            let ours = n.get(counter).unwrap_or(&Value::Null);
            if ours != theirs && !write_cancelled(counter, n, theirs, differences) {
                return Some(mismatch(
                    format!(
                        "{counter} of a {} after {}: node {} / smerge {}",
                        kind_of(stream),
                        op.name(),
                        shape(ours),
                        shape(theirs)
                    ),
                    format!("s{stream}.{counter}: node {ours}, smerge {theirs}"),
                ));
            }
        }
    }
    None
}

/// Whether `theirs` is Node's `writableLength` less what Node counts only
/// until the write in progress that smerge's `destroy` cancelled calls
/// back ([`Difference::DestroyCancelsTheWrite`]).
fn write_cancelled(
    counter: &str,
    node: &BTreeMap<String, Value>,
    theirs: &Value,
    differences: &[Difference],
) -> bool {
    let number = |key: &str| node.get(key).and_then(Value::as_u64);
    counter == "wl"
        && differences.contains(&Difference::DestroyCancelsTheWrite)
        && node.get("d") == Some(&Value::Bool(true))
        && match (number("wl"), number("wip"), theirs.as_u64()) {
            (Some(wl), Some(wip), Some(theirs)) => wl.checked_sub(wip) == Some(theirs),
            _ => false,
        }
}

/// The first stream whose events differ, with the first differing event
/// of each side (`None` where one side has no more). With
/// [`Difference::OrderWithinAStream`] applied streams are compared one by
/// one; without it, the whole sequence is (the stream is then `None`).
#[allow(clippy::type_complexity)]
fn first_event_difference(
    scenario: &Scenario,
    node: &Step,
    smerge: &Step,
    differences: &[Difference],
) -> Option<(Option<usize>, Option<String>, Option<String>)> {
    let streams: Vec<Option<usize>> = if differences.contains(&Difference::OrderWithinAStream) {
        (0..scenario.streams.len()).map(Some).collect()
    } else {
        vec![None]
    };
    for stream in streams {
        let n = events_of(node, stream);
        let s = events_of(smerge, stream);
        if n != s {
            let at = n.iter().zip(&s).take_while(|(a, b)| a == b).count();
            return Some((stream, n.get(at).cloned(), s.get(at).cloned()));
        }
    }
    None
}

/// The events of `stream` (of every stream, prefixed, for `None`).
fn events_of(step: &Step, stream: Option<usize>) -> Vec<String> {
    step.events
        .iter()
        .filter(|(s, _)| stream.is_none_or(|want| *s == want))
        .map(|(s, e)| match stream {
            Some(_) => e.clone(),
            None => format!("s{s} {e}"),
        })
        .collect()
}

/// An event without the details that vary between scenarios: `data(3)`
/// is `data`, `_write(ab)` is `_write`, `error(boom:s2)` is `error(boom)`.
fn event_class(event: &str) -> String {
    let event = event.split_once(' ').map_or(event, |(_, e)| e);
    match event.split_once('(') {
        Some((name, arg)) if matches!(name, "error" | "pipeline" | "finished") => {
            let arg = arg.trim_end_matches(')');
            let arg = if arg.starts_with("boom:") {
                "boom"
            } else {
                arg
            };
            format!("{name}({arg})")
        }
        Some((name, _)) => name.to_owned(),
        None => event.to_owned(),
    }
}

/// A value without the details that vary: numbers are `0` or `n`,
/// chunks `chunk`, injected errors `boom`.
fn shape(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if n.as_u64() == Some(0) => "0".into(),
        Value::Number(_) => "n".into(),
        Value::String(s) if s.starts_with("boom:") => "boom".into(),
        Value::String(s) if s.starts_with("ERR_") || s.starts_with("ABORT") => s.clone(),
        Value::String(_) => "chunk".into(),
        other => other.to_string(),
    }
}

fn refusal_shape(refused: &Option<String>) -> String {
    match refused {
        None => "(accepted)".into(),
        Some(code) if code.starts_with("boom:") => "boom".into(),
        Some(code) => code.clone(),
    }
}

/// Both traces of `scenario`, step by step, side by side; `≠` marks the
/// lines that differ.
pub fn side_by_side(scenario: &Scenario, node: &Trace, smerge: &Trace) -> String {
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let steps = node.steps.len().max(smerge.steps.len());
    let empty = Step::default();
    let mut before: Option<(&Step, &Step)> = None;
    for index in 0..steps {
        let op = scenario.ops.get(index).map_or("?".into(), Op::to_string);
        rows.push((format!("{index:>2}: {op}"), String::new(), String::new()));
        let n = node.steps.get(index).unwrap_or(&empty);
        let s = smerge.steps.get(index).unwrap_or(&empty);
        // A refusal's return value is not compared (errors are values).
        let ret = |step: &Step| match &step.refused {
            Some(code) => format!("refused {code}"),
            None => format!("returned {}", step.ret),
        };
        if !n.ret.is_null() || !s.ret.is_null() || n.refused.is_some() || s.refused.is_some() {
            rows.push((String::new(), ret(n), ret(s)));
        }
        for stream in 0..scenario.streams.len() {
            let (ne, se) = (events_of(n, Some(stream)), events_of(s, Some(stream)));
            if !ne.is_empty() || !se.is_empty() {
                rows.push((
                    String::new(),
                    format!("s{stream}: {}", ne.join(" ")),
                    format!("s{stream}: {}", se.join(" ")),
                ));
            }
        }
        for stream in 0..scenario.streams.len() {
            let counters = |step: &Step| step.state.get(stream).cloned().unwrap_or_default();
            let (nc, sc) = (counters(n), counters(s));
            let changed = match before {
                None => true,
                Some((pn, ps)) => {
                    pn.state.get(stream) != n.state.get(stream)
                        || ps.state.get(stream) != s.state.get(stream)
                }
            };
            if changed || !agrees(&nc, &sc) {
                rows.push((
                    String::new(),
                    format!("s{stream} {}", counters_text(&nc)),
                    format!("s{stream} {}", counters_text(&sc)),
                ));
            }
        }
        before = Some((n, s));
    }
    for (side, failure) in [("node", &node.failure), ("smerge", &smerge.failure)] {
        if let Some(failure) = failure {
            rows.push((
                format!("{side} failed: {failure}"),
                String::new(),
                String::new(),
            ));
        }
    }
    let width = rows
        .iter()
        .filter(|(head, _, _)| head.is_empty())
        .map(|(_, n, _)| n.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(20, 72);
    let mut out = String::new();
    let _ = writeln!(out, "    {:<width$} | smerge", "node");
    for (head, n, s) in rows {
        if !head.is_empty() {
            let _ = writeln!(out, "{head}");
            continue;
        }
        let differs = if differs_shown(&n, &s) { "  ≠" } else { "" };
        let _ = writeln!(out, "    {n:<width$} | {s}{differs}");
    }
    out
}

/// Whether two rows of the side-by-side view differ, counters the smerge
/// side does not observe left out.
fn differs_shown(node: &str, smerge: &str) -> bool {
    if node == smerge {
        return false;
    }
    // Counter rows: compare only what smerge shows.
    let pairs = |text: &str| -> Option<BTreeMap<String, String>> {
        let (_, rest) = text.split_once(' ')?;
        let rest = rest.strip_prefix('{')?.strip_suffix('}')?;
        Some(
            rest.split(' ')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        )
    };
    match (pairs(node), pairs(smerge)) {
        (Some(n), Some(s)) => s.iter().any(|(k, v)| n.get(k) != Some(v)),
        _ => true,
    }
}

fn agrees(node: &BTreeMap<String, Value>, smerge: &BTreeMap<String, Value>) -> bool {
    smerge.iter().all(|(k, v)| node.get(k) == Some(v))
}

fn counters_text(counters: &BTreeMap<String, Value>) -> String {
    let parts: Vec<String> = COUNTERS
        .iter()
        .filter_map(|&name| counters.get(name).map(|v| format!("{name}={v}")))
        .collect();
    format!("{{{}}}", parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::scenario::{SinkSpec, StreamSpec};

    fn writable_scenario() -> Scenario {
        Scenario {
            object_mode: false,
            streams: vec![StreamSpec::Writable {
                hwm: 4,
                sink: SinkSpec {
                    pace: crate::conformance::scenario::Pace::Sync,
                    fail_at: None,
                },
            }],
            ops: vec![Op::Write {
                stream: 0,
                chunk: "a".into(),
            }],
        }
    }

    fn step(ret: Value, refused: Option<&str>, events: &[&str]) -> Trace {
        Trace {
            steps: vec![Step {
                ret,
                refused: refused.map(str::to_owned),
                events: events.iter().map(|e| (0, (*e).to_owned())).collect(),
                state: vec![BTreeMap::new()],
                ..Step::default()
            }],
            failure: None,
        }
    }

    #[test]
    fn a_refusal_is_compared_by_its_error_not_by_what_node_returns() {
        let scenario = writable_scenario();
        let node = step(Value::Bool(false), Some("ERR_STREAM_WRITE_AFTER_END"), &[]);
        let smerge = step(Value::Null, Some("ERR_STREAM_WRITE_AFTER_END"), &[]);
        assert_eq!(compare(&scenario, &node, &smerge, &Difference::ALL), None);
        let strict = compare(&scenario, &node, &smerge, &[]).expect("returns differ");
        assert!(
            strict.class.starts_with("return of write"),
            "{}",
            strict.class
        );
        let other = step(Value::Null, Some("ERR_STREAM_DESTROYED"), &[]);
        assert!(compare(&scenario, &node, &other, &Difference::ALL).is_some());
    }

    #[test]
    fn events_are_compared_in_order_within_a_stream() {
        let scenario = writable_scenario();
        let node = step(Value::Bool(true), None, &["_write(a)", "drain"]);
        let smerge = step(Value::Bool(true), None, &["drain", "_write(a)"]);
        let mismatch = compare(&scenario, &node, &smerge, &Difference::ALL).expect("order differs");
        assert_eq!(
            mismatch.class,
            "events of a writable during write: node _write / smerge drain"
        );
    }

    #[test]
    fn counters_smerge_cannot_observe_are_left_out() {
        let scenario = writable_scenario();
        let mut node = step(Value::Bool(true), None, &[]);
        let smerge = node.clone();
        node.steps[0].state[0].insert("wl".into(), Value::from(1));
        assert_eq!(compare(&scenario, &node, &smerge, &Difference::ALL), None);
        let mut smerge = smerge;
        smerge.steps[0].state[0].insert("wl".into(), Value::from(0));
        let mismatch = compare(&scenario, &node, &smerge, &Difference::ALL).expect("wl differs");
        assert_eq!(
            mismatch.class,
            "wl of a writable after write: node n / smerge 0"
        );
    }

    /// A transform piped into a writable, written, read, then ticked; the
    /// Node trace has the given events (stream, event) at each operation.
    fn piped(events: &[&[(usize, &str)]]) -> (Scenario, Trace) {
        let scenario = Scenario {
            object_mode: false,
            streams: vec![
                StreamSpec::Transform {
                    readable_hwm: 1,
                    writable_hwm: 1,
                    pushes: vec![1],
                    flush: 0,
                    fail_at: None,
                },
                writable_scenario().streams.remove(0),
            ],
            ops: vec![
                Op::Pipe {
                    source: 0,
                    destinations: vec![1],
                    end: true,
                },
                Op::Write {
                    stream: 0,
                    chunk: "a".into(),
                },
                Op::Tick,
            ],
        };
        // The pipe Node lists from its `pipe` event until its `unpipe`.
        let mut attached = false;
        let steps = events
            .iter()
            .map(|step| {
                for &(_, event) in step.iter() {
                    attached = match event {
                        "pipe" => true,
                        "unpipe" => false,
                        _ => attached,
                    };
                }
                Step {
                    events: step.iter().map(|&(s, e)| (s, e.to_owned())).collect(),
                    state: vec![BTreeMap::new(), BTreeMap::new()],
                    pipes: if attached { vec![(0, 1)] } else { Vec::new() },
                    ..Step::default()
                }
            })
            .collect();
        (
            scenario,
            Trace {
                steps,
                failure: None,
            },
        )
    }

    #[test]
    fn a_scenario_is_compared_up_to_where_nodes_pipe_moves_a_chunk_inside_a_call() {
        let inside = [(0, "_transform(a)"), (0, "data(1)"), (1, "_write(a)")];
        let (scenario, node) = piped(&[&[(1, "pipe")], &inside, &[]]);
        assert_eq!(pipe_moves_inside_a_call(&scenario, &node), Some(1));
        // smerge's pipe moves the chunk at the next tick: not compared.
        let (_, smerge) = piped(&[
            &[(1, "pipe")],
            &[(0, "_transform(a)")],
            &[(0, "data(1)"), (1, "_write(a)")],
        ]);
        assert_eq!(compare(&scenario, &node, &smerge, &Difference::ALL), None);
        assert!(compare(&scenario, &node, &smerge, &[]).is_some());
        // What comes before that operation still is.
        let (_, early) = piped(&[&[], &[(0, "_transform(a)")], &[]]);
        let mismatch = compare(&scenario, &node, &early, &Difference::ALL).expect("pipe missing");
        assert_eq!(mismatch.step, 0);
    }

    #[test]
    fn a_scenario_is_compared_up_to_where_nodes_pipe_resumes_its_source_on_a_drain_inside_a_call() {
        // The destination's `drain` inside a call resumes the source there.
        let (scenario, node) = piped(&[&[(1, "pipe")], &[(1, "drain")], &[]]);
        assert_eq!(pipe_moves_inside_a_call(&scenario, &node), Some(1));
        // At a tick, or from a stream nothing pipes into, it is compared.
        let (scenario, node) = piped(&[&[(1, "pipe")], &[], &[(1, "drain")]]);
        assert_eq!(pipe_moves_inside_a_call(&scenario, &node), None);
        let (scenario, node) = piped(&[&[(1, "pipe")], &[(0, "drain")], &[]]);
        assert_eq!(pipe_moves_inside_a_call(&scenario, &node), None);
    }

    #[test]
    fn a_pipe_still_listed_after_another_pipe_into_its_destination_let_go_moves_inside_a_call() {
        // Two pipes into stream 1; one lets go at a tick: Node still lists
        // the other, whose source's `data` in a later call moves a chunk.
        let (scenario, mut node) = piped(&[&[(1, "pipe")], &[], &[(1, "unpipe")]]);
        node.steps[2].pipes = vec![(0, 1)];
        node.steps.push(Step {
            events: vec![(0, "data(1)".into())],
            ..Step::default()
        });
        let mut scenario = scenario;
        scenario.ops.push(Op::Read { stream: 0 });
        assert_eq!(pipe_moves_inside_a_call(&scenario, &node), Some(3));
        // Once Node no longer lists it, the same `data` is compared.
        node.steps[2].pipes.clear();
        assert_eq!(pipe_moves_inside_a_call(&scenario, &node), None);
    }

    #[test]
    fn data_at_a_tick_or_after_the_pipe_let_go_is_compared() {
        let (scenario, node) = piped(&[&[(1, "pipe")], &[(0, "_transform(a)")], &[(0, "data(1)")]]);
        assert_eq!(pipe_moves_inside_a_call(&scenario, &node), None);
        let (scenario, node) = piped(&[
            &[(1, "pipe")],
            &[(1, "unpipe"), (0, "_transform(a)"), (0, "data(1)")],
            &[],
        ]);
        assert_eq!(pipe_moves_inside_a_call(&scenario, &node), None);
    }

    #[test]
    fn a_destroyed_writer_may_leave_out_what_waits_for_its_cancelled_write() {
        let scenario = writable_scenario();
        let with = |wl: u64, wip: Option<u64>| {
            let mut trace = step(Value::Bool(true), None, &[]);
            let state = &mut trace.steps[0].state[0];
            state.insert("d".into(), Value::Bool(true));
            state.insert("wl".into(), Value::from(wl));
            if let Some(wip) = wip {
                state.insert("wip".into(), Value::from(wip));
            }
            trace
        };
        let node = with(2, Some(2));
        assert_eq!(
            compare(&scenario, &node, &with(0, None), &Difference::ALL),
            None
        );
        assert_eq!(
            compare(&scenario, &node, &with(2, None), &Difference::ALL),
            None
        );
        assert!(compare(&scenario, &node, &with(1, None), &Difference::ALL).is_some());
        assert!(compare(&scenario, &node, &with(0, None), &[]).is_some());
        // Without a write in progress, the counts must agree.
        assert!(compare(&scenario, &with(2, None), &with(0, None), &Difference::ALL).is_some());
    }

    #[test]
    fn a_scenario_is_compared_up_to_where_nodes_pipe_writes_into_a_finished_stream() {
        let (mut scenario, _) = piped(&[]);
        scenario.ops = vec![
            Op::Tick,
            Op::Pipe {
                source: 0,
                destinations: vec![1],
                end: true,
            },
            Op::Tick,
        ];
        let trace = |closed: bool| {
            let mut trace = piped(&[&[], &[(1, "pipe")], &[(0, "data(1)")]]).1;
            trace.steps[0].state[1].insert("d".into(), Value::Bool(closed));
            trace
        };
        assert_eq!(
            pipe_writes_into_a_finished_stream(&scenario, &trace(true)),
            Some(2)
        );
        assert_eq!(
            compared_until(&scenario, &trace(true), &Difference::ALL),
            Some((2, Difference::PipesIntoFinishedStreamsFail))
        );
        assert_eq!(
            pipe_writes_into_a_finished_stream(&scenario, &trace(false)),
            None
        );
        assert_eq!(compared_until(&scenario, &trace(true), &[]), None);
    }
}
