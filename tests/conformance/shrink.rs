//! Shrinking a scenario that shows a mismatch to a minimal one that still
//! shows it: delta debugging over its operations, then its streams, then
//! the details of each (chunks, options, arguments).

use super::generate::Rules;
use super::scenario::{Op, Pace, Scenario, SourceSpec, StreamSpec};
use super::switches::Switches;

/// Shrinks `scenario` while `still_fails` holds of the smaller scenario,
/// and returns the smallest found. Only scenarios that keep the rules are
/// tried; `still_fails` is called at most `budget` times.
pub fn shrink(
    scenario: &Scenario,
    switches: &Switches,
    budget: usize,
    mut still_fails: impl FnMut(&Scenario) -> bool,
) -> Scenario {
    let mut best = scenario.clone();
    let mut tries = 0;
    let mut attempt = |candidate: &Scenario, best: &mut Scenario| -> bool {
        if tries >= budget || Rules::check_scenario(candidate, switches).is_err() {
            return false;
        }
        tries += 1;
        if still_fails(candidate) {
            *best = candidate.clone();
            true
        } else {
            false
        }
    };
    loop {
        let size = measure(&best);
        shrink_ops(&mut best, &mut attempt);
        shrink_streams(&mut best, &mut attempt);
        for candidate in simplifications(&best) {
            attempt(&candidate, &mut best);
        }
        if measure(&best) >= size {
            return best;
        }
    }
}

/// How big a scenario is; shrinking stops when it no longer goes down.
fn measure(scenario: &Scenario) -> usize {
    let details: usize = scenario
        .streams
        .iter()
        .map(|s| match s {
            StreamSpec::Readable { hwm, source } => {
                hwm + source.chunks.iter().map(|c| 1 + c.len()).sum::<usize>()
                    + usize::from(source.fail_at.is_some())
                    + usize::from(!source.end)
                    + usize::from(source.pace != Pace::Sync)
            }
            StreamSpec::Writable { hwm, sink } => {
                hwm + usize::from(sink.fail_at.is_some()) + usize::from(sink.pace != Pace::Sync)
            }
            StreamSpec::Transform {
                readable_hwm,
                writable_hwm,
                pushes,
                flush,
                fail_at,
            } => {
                readable_hwm
                    + writable_hwm
                    + pushes
                        .iter()
                        .map(|&p| 1 + usize::from(p != 1))
                        .sum::<usize>()
                    + usize::from(*flush)
                    + usize::from(fail_at.is_some())
            }
        })
        .sum();
    let args: usize = scenario.ops.iter().map(op_size).sum();
    scenario.ops.len() * 1000 + scenario.streams.len() * 1000 + details + args
}

fn op_size(op: &Op) -> usize {
    match op {
        Op::Write { chunk, .. } | Op::Unshift { chunk, .. } => chunk.len(),
        Op::Push { chunk, .. } => chunk.as_ref().map_or(0, String::len),
        Op::ReadN { n, .. } => *n,
        Op::Destroy { error, .. } => usize::from(*error),
        Op::Pipe {
            destinations, end, ..
        } => destinations.len() + usize::from(!end),
        Op::Pipeline { stages } => stages.len(),
        _ => 0,
    }
}

/// Delta debugging over the operations: removes runs of them, halving
/// the run's length down to single operations.
fn shrink_ops(best: &mut Scenario, attempt: &mut impl FnMut(&Scenario, &mut Scenario) -> bool) {
    let mut run = best.ops.len().div_ceil(2).max(1);
    loop {
        let mut start = 0;
        while start < best.ops.len() {
            let mut candidate = best.clone();
            let end = (start + run).min(candidate.ops.len());
            candidate.ops.drain(start..end);
            if !attempt(&candidate, best) {
                start += run;
            }
        }
        if run == 1 {
            return;
        }
        run = run.div_ceil(2);
    }
}

/// Removes whole streams, with the operations that name them.
fn shrink_streams(best: &mut Scenario, attempt: &mut impl FnMut(&Scenario, &mut Scenario) -> bool) {
    let mut id = best.streams.len();
    while id > 0 {
        id -= 1;
        if id < best.streams.len() {
            let candidate = without_stream(best, id);
            attempt(&candidate, best);
        }
    }
}

/// `scenario` without stream `gone`: operations naming it are dropped (a
/// pipe only loses it as a destination), and later streams renumbered.
fn without_stream(scenario: &Scenario, gone: usize) -> Scenario {
    let renumber = |s: usize| if s > gone { s - 1 } else { s };
    let mut ops = Vec::new();
    for op in &scenario.ops {
        let op = match op {
            Op::Pipe {
                source,
                destinations,
                end,
            } if *source != gone => {
                let destinations: Vec<usize> = destinations
                    .iter()
                    .filter(|&&d| d != gone)
                    .map(|&d| renumber(d))
                    .collect();
                if destinations.is_empty() {
                    continue;
                }
                Op::Pipe {
                    source: renumber(*source),
                    destinations,
                    end: *end,
                }
            }
            op if op.streams().contains(&gone) => continue,
            op => renumbered(op, renumber),
        };
        ops.push(op);
    }
    let mut streams = scenario.streams.clone();
    streams.remove(gone);
    Scenario {
        object_mode: scenario.object_mode,
        streams,
        ops,
    }
}

fn renumbered(op: &Op, renumber: impl Fn(usize) -> usize) -> Op {
    let mut op = op.clone();
    match &mut op {
        Op::Write { stream, .. }
        | Op::End { stream }
        | Op::Read { stream }
        | Op::ReadN { stream, .. }
        | Op::Push { stream, .. }
        | Op::Unshift { stream, .. }
        | Op::Pause { stream }
        | Op::Resume { stream }
        | Op::Cork { stream }
        | Op::Uncork { stream }
        | Op::Destroy { stream, .. }
        | Op::Finished { stream } => *stream = renumber(*stream),
        Op::Pipe {
            source,
            destinations,
            ..
        } => {
            *source = renumber(*source);
            destinations.iter_mut().for_each(|d| *d = renumber(*d));
        }
        Op::Unpipe {
            source,
            destination,
        } => {
            *source = renumber(*source);
            *destination = renumber(*destination);
        }
        Op::Pipeline { stages } => stages.iter_mut().for_each(|s| *s = renumber(*s)),
        Op::Tick | Op::Settle => {}
    }
    op
}

/// Smaller variants of `scenario`, one detail changed in each.
fn simplifications(scenario: &Scenario) -> Vec<Scenario> {
    let mut out = Vec::new();
    let smaller_marks = |hwm: usize| -> Vec<usize> {
        let mut marks = vec![0, 1, hwm / 2, hwm.saturating_sub(1)];
        marks.retain(|&m| m < hwm);
        marks.dedup();
        marks
    };
    for (id, stream) in scenario.streams.iter().enumerate() {
        let mut variants: Vec<StreamSpec> = Vec::new();
        match stream {
            StreamSpec::Readable { hwm, source } => {
                for mark in smaller_marks(*hwm) {
                    variants.push(StreamSpec::Readable {
                        hwm: mark,
                        source: source.clone(),
                    });
                }
                for at in 0..source.chunks.len() {
                    let mut source = source.clone();
                    source.chunks.remove(at);
                    if let Some(fail) = source.fail_at
                        && fail > at
                    {
                        source.fail_at = Some(fail - 1);
                    }
                    variants.push(StreamSpec::Readable { hwm: *hwm, source });
                }
                for (at, chunk) in source.chunks.iter().enumerate() {
                    for shorter in shorter_texts(chunk) {
                        let mut source = source.clone();
                        source.chunks[at] = shorter;
                        variants.push(StreamSpec::Readable { hwm: *hwm, source });
                    }
                }
                for change in [
                    |s: &mut SourceSpec| s.fail_at = None,
                    |s: &mut SourceSpec| s.end = true,
                    |s: &mut SourceSpec| {
                        if s.pace == Pace::Deferred {
                            s.pace = Pace::Sync;
                        }
                    },
                ] {
                    let mut source = source.clone();
                    change(&mut source);
                    variants.push(StreamSpec::Readable { hwm: *hwm, source });
                }
            }
            StreamSpec::Writable { hwm, sink } => {
                for mark in smaller_marks(*hwm) {
                    variants.push(StreamSpec::Writable {
                        hwm: mark,
                        sink: sink.clone(),
                    });
                }
                let mut simpler = sink.clone();
                simpler.fail_at = None;
                variants.push(StreamSpec::Writable {
                    hwm: *hwm,
                    sink: simpler,
                });
                let mut simpler = sink.clone();
                simpler.pace = Pace::Sync;
                variants.push(StreamSpec::Writable {
                    hwm: *hwm,
                    sink: simpler,
                });
            }
            StreamSpec::Transform {
                readable_hwm,
                writable_hwm,
                pushes,
                flush,
                fail_at,
            } => {
                let with = |r: usize, w: usize, p: Vec<u8>, f: u8, fail: Option<usize>| {
                    StreamSpec::Transform {
                        readable_hwm: r,
                        writable_hwm: w,
                        pushes: p,
                        flush: f,
                        fail_at: fail,
                    }
                };
                for mark in smaller_marks(*readable_hwm) {
                    variants.push(with(mark, *writable_hwm, pushes.clone(), *flush, *fail_at));
                }
                for mark in smaller_marks(*writable_hwm) {
                    variants.push(with(*readable_hwm, mark, pushes.clone(), *flush, *fail_at));
                }
                if pushes != &[1] {
                    variants.push(with(
                        *readable_hwm,
                        *writable_hwm,
                        vec![1],
                        *flush,
                        *fail_at,
                    ));
                }
                if *flush > 0 {
                    variants.push(with(
                        *readable_hwm,
                        *writable_hwm,
                        pushes.clone(),
                        0,
                        *fail_at,
                    ));
                }
                if fail_at.is_some() {
                    variants.push(with(
                        *readable_hwm,
                        *writable_hwm,
                        pushes.clone(),
                        *flush,
                        None,
                    ));
                }
            }
        }
        for variant in variants {
            if &variant != stream {
                let mut candidate = scenario.clone();
                candidate.streams[id] = variant;
                out.push(candidate);
            }
        }
    }
    for (at, op) in scenario.ops.iter().enumerate() {
        for variant in simpler_ops(op) {
            let mut candidate = scenario.clone();
            candidate.ops[at] = variant;
            out.push(candidate);
        }
    }
    out
}

fn shorter_texts(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let len = text.len();
    for keep in [0, 1, len / 2] {
        if keep < len && !out.iter().any(|s: &String| s.len() == keep) {
            out.push(text[..keep].to_owned());
        }
    }
    out
}

fn simpler_ops(op: &Op) -> Vec<Op> {
    match op {
        Op::Write { stream, chunk } => shorter_texts(chunk)
            .into_iter()
            .map(|chunk| Op::Write {
                stream: *stream,
                chunk,
            })
            .collect(),
        Op::Unshift { stream, chunk } => shorter_texts(chunk)
            .into_iter()
            .map(|chunk| Op::Unshift {
                stream: *stream,
                chunk,
            })
            .collect(),
        Op::ReadN { stream, n } => [0, 1, n / 2]
            .into_iter()
            .filter(|m| m < n)
            .map(|m| Op::ReadN {
                stream: *stream,
                n: m,
            })
            .collect(),
        Op::Destroy {
            stream,
            error: true,
        } => vec![Op::Destroy {
            stream: *stream,
            error: false,
        }],
        Op::Pipe {
            source,
            destinations,
            end,
        } => {
            let mut out = Vec::new();
            if !end {
                out.push(Op::Pipe {
                    source: *source,
                    destinations: destinations.clone(),
                    end: true,
                });
            }
            if destinations.len() > 1 {
                for at in 0..destinations.len() {
                    let mut fewer = destinations.clone();
                    fewer.remove(at);
                    out.push(Op::Pipe {
                        source: *source,
                        destinations: fewer,
                        end: *end,
                    });
                }
            }
            out
        }
        Op::Pipeline { stages } if stages.len() > 2 => (1..stages.len() - 1)
            .map(|at| {
                let mut fewer = stages.clone();
                fewer.remove(at);
                Op::Pipeline { stages: fewer }
            })
            .collect(),
        _ => Vec::new(),
    }
}
