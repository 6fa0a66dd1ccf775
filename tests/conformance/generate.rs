//! Random scenarios from a seed, and the rules every scenario keeps (the
//! generator makes only valid ones; the shrinker keeps only valid ones).

use std::collections::{BTreeMap, BTreeSet};

use super::scenario::{Kind, Op, Pace, Scenario, SinkSpec, SourceSpec, StreamSpec};
use super::switches::Switches;

/// A small, fast, seedable random number generator (SplitMix64): the same
/// seed gives the same scenario on every machine.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// An index into `weights`, chosen with those weights.
    pub fn weighted(&mut self, weights: &[usize]) -> usize {
        let mut roll = self.below(weights.iter().sum());
        for (index, &weight) in weights.iter().enumerate() {
            if roll < weight {
                return index;
            }
            roll -= weight;
        }
        unreachable!("the roll is below the sum of the weights")
    }
}

/// The scenario of `seed`.
pub fn scenario(seed: u64, switches: &Switches) -> Scenario {
    Generator::new(seed, switches).scenario()
}

struct Generator<'a> {
    rng: Rng,
    switches: &'a Switches,
    object_mode: bool,
    /// Chunks made so far: each gets the next letter, so data that moves
    /// can be told apart.
    chunks_made: usize,
}

/// The operations the generator makes, with their weights.
const OPS: &[(&str, usize)] = &[
    ("write", 14),
    ("end", 5),
    ("read", 8),
    ("read_n", 4),
    ("push", 8),
    ("unshift", 2),
    ("pause", 3),
    ("resume", 5),
    ("cork", 2),
    ("uncork", 2),
    ("destroy", 3),
    ("pipe", 7),
    ("unpipe", 2),
    ("pipeline", 4),
    ("finished", 3),
    ("tick", 8),
    ("settle", 10),
];

impl<'a> Generator<'a> {
    fn new(seed: u64, switches: &'a Switches) -> Self {
        let mut rng = Rng::new(seed);
        let object_mode = rng.chance(50);
        Generator {
            rng,
            switches,
            object_mode,
            chunks_made: 0,
        }
    }

    fn scenario(mut self) -> Scenario {
        let count = 1 + self.rng.below(5);
        let streams: Vec<StreamSpec> = (0..count).map(|_| self.stream()).collect();
        let mut rules = Rules::new(&streams, self.object_mode, self.switches);
        let mut ops = Vec::new();
        let length = 3 + self.rng.below(23);
        let weights: Vec<usize> = OPS
            .iter()
            .map(|&(name, weight)| {
                if self.switches.allows_op(name) {
                    weight
                } else {
                    0
                }
            })
            .collect();
        let mut attempts = 0;
        while ops.len() < length && attempts < length * 20 {
            attempts += 1;
            let name = OPS[self.rng.weighted(&weights)].0;
            if let Some(op) = self.op(name, &rules)
                && rules.check(&op).is_ok()
            {
                rules.apply(&op);
                ops.push(op);
            }
        }
        ops.push(Op::Settle);
        Scenario {
            object_mode: self.object_mode,
            streams,
            ops,
        }
    }

    fn hwm(&mut self) -> usize {
        if self.object_mode {
            self.rng.pick(&[0, 1, 1, 2, 2, 3, 4, 16])
        } else {
            self.rng.pick(&[0, 1, 2, 3, 4, 4, 5, 8, 16])
        }
    }

    fn chunk(&mut self) -> String {
        let letter = char::from(b'a' + (self.chunks_made % 26) as u8);
        self.chunks_made += 1;
        let length = if self.object_mode {
            self.rng.pick(&[0, 1, 1, 2, 2, 3])
        } else if self.rng.chance(3) {
            0
        } else {
            self.rng.pick(&[1, 1, 2, 2, 3, 4, 5, 8])
        };
        std::iter::repeat_n(letter, length).collect()
    }

    fn fail_at(&mut self, percent: usize, below: usize) -> Option<usize> {
        self.rng.chance(percent).then(|| self.rng.below(below))
    }

    fn stream(&mut self) -> StreamSpec {
        match self.rng.weighted(&[35, 35, 30]) {
            0 => {
                let manual = self.switches.external_push && self.rng.chance(30);
                let pace = if manual {
                    Pace::Manual
                } else if self.rng.chance(50) {
                    Pace::Sync
                } else {
                    Pace::Deferred
                };
                let count = if manual { 0 } else { self.rng.below(7) };
                let chunks = (0..count).map(|_| self.chunk()).collect();
                let end = !manual && self.rng.chance(85);
                let fail_at = if manual {
                    None
                } else {
                    self.fail_at(12, count + 1)
                };
                StreamSpec::Readable {
                    hwm: self.hwm(),
                    source: SourceSpec {
                        pace,
                        chunks,
                        fail_at,
                        end,
                    },
                }
            }
            1 => {
                let pace = if self.rng.chance(50) {
                    Pace::Sync
                } else {
                    Pace::Deferred
                };
                StreamSpec::Writable {
                    hwm: self.hwm(),
                    sink: SinkSpec {
                        pace,
                        fail_at: self.fail_at(10, 6),
                    },
                }
            }
            _ => {
                let pattern = 1 + self.rng.below(3);
                let pushes = (0..pattern)
                    .map(|_| self.rng.pick(&[0, 1, 1, 1, 2, 3]))
                    .collect();
                StreamSpec::Transform {
                    readable_hwm: self.hwm(),
                    writable_hwm: self.hwm(),
                    pushes,
                    flush: self.rng.pick(&[0, 0, 1, 2]),
                    fail_at: self.fail_at(10, 6),
                }
            }
        }
    }

    /// An operation named `name` on streams it suits, if there are any.
    fn op(&mut self, name: &str, rules: &Rules) -> Option<Op> {
        let any = |rng: &mut Rng, candidates: Vec<usize>| {
            (!candidates.is_empty()).then(|| candidates[rng.below(candidates.len())])
        };
        let readables = rules.usable(|k| k.is_readable());
        let writables = rules.usable(|k| k.is_writable());
        Some(match name {
            "write" => Op::Write {
                stream: any(&mut self.rng, writables)?,
                chunk: self.chunk(),
            },
            "end" => Op::End {
                stream: any(&mut self.rng, writables)?,
            },
            "read" => Op::Read {
                stream: any(&mut self.rng, readables)?,
            },
            "read_n" => Op::ReadN {
                stream: any(&mut self.rng, readables)?,
                n: self.rng.pick(&[0, 1, 1, 2, 2, 3, 4, 5, 7, 9, 20]),
            },
            "push" => {
                let manual = rules.manual_sources();
                let stream = any(&mut self.rng, manual)?;
                let chunk = (!self.rng.chance(15)).then(|| self.chunk());
                Op::Push { stream, chunk }
            }
            "unshift" => Op::Unshift {
                stream: any(&mut self.rng, readables)?,
                chunk: self.chunk(),
            },
            "pause" => Op::Pause {
                stream: any(&mut self.rng, readables)?,
            },
            "resume" => Op::Resume {
                stream: any(&mut self.rng, readables)?,
            },
            "cork" => Op::Cork {
                stream: any(&mut self.rng, writables)?,
            },
            "uncork" => Op::Uncork {
                stream: any(&mut self.rng, writables)?,
            },
            "destroy" => Op::Destroy {
                stream: any(&mut self.rng, rules.usable(|_| true))?,
                error: self.rng.chance(50),
            },
            "pipe" => {
                let source = any(&mut self.rng, rules.pipe_sources())?;
                let mut targets = rules.pipe_targets(source);
                let mut destinations = Vec::new();
                let wanted = 1 + self.rng.weighted(&[70, 22, 8]);
                while destinations.len() < wanted && !targets.is_empty() {
                    destinations.push(targets.remove(self.rng.below(targets.len())));
                }
                Op::Pipe {
                    source,
                    destinations,
                    end: self.rng.chance(75),
                }
            }
            "unpipe" => {
                let pipes: Vec<(usize, usize)> = rules.pipes();
                let (source, destination) = *pipes.get(self.rng.below(pipes.len().max(1)))?;
                Op::Unpipe {
                    source,
                    destination,
                }
            }
            "pipeline" => {
                let free = rules.free();
                let heads: Vec<usize> = free
                    .iter()
                    .copied()
                    .filter(|&s| rules.kinds[s].is_readable())
                    .collect();
                let head = any(&mut self.rng, heads)?;
                let mut middles: Vec<usize> = free
                    .iter()
                    .copied()
                    .filter(|&s| s != head && rules.kinds[s] == Kind::Transform)
                    .collect();
                let tails: Vec<usize> = free
                    .iter()
                    .copied()
                    .filter(|&s| rules.kinds[s] == Kind::Writable)
                    .collect();
                let tail = any(&mut self.rng, tails)?;
                let mut stages = vec![head];
                let wanted = self.rng.below(3);
                while stages.len() <= wanted && !middles.is_empty() {
                    stages.push(middles.remove(self.rng.below(middles.len())));
                }
                stages.push(tail);
                Op::Pipeline { stages }
            }
            "finished" => {
                let candidates =
                    rules.usable(|k| k == Kind::Writable || self.switches.finished_readable);
                Op::Finished {
                    stream: any(&mut self.rng, candidates)?,
                }
            }
            "tick" => Op::Tick,
            "settle" => Op::Settle,
            _ => unreachable!("unknown operation {name}"),
        })
    }
}

/// The rules a scenario's operations keep, checked one operation at a time.
#[derive(Clone, Debug)]
pub struct Rules<'a> {
    kinds: Vec<Kind>,
    manual: Vec<bool>,
    object_mode: bool,
    switches: &'a Switches,
    /// Streams a pipeline owns (every stage after the first: smerge's
    /// `pipeline` takes them by value).
    owned: BTreeSet<usize>,
    /// Streams in a pipeline, any stage.
    in_pipeline: BTreeSet<usize>,
    /// Pipe sources and their destinations.
    piped: BTreeMap<usize, Vec<usize>>,
    /// Streams some pipe writes into.
    pipe_destinations: BTreeSet<usize>,
}

impl<'a> Rules<'a> {
    pub fn new(streams: &[StreamSpec], object_mode: bool, switches: &'a Switches) -> Self {
        Rules {
            kinds: streams.iter().map(StreamSpec::kind).collect(),
            manual: streams
                .iter()
                .map(|s| matches!(s, StreamSpec::Readable { source, .. } if source.pace == Pace::Manual))
                .collect(),
            object_mode,
            switches,
            owned: BTreeSet::new(),
            in_pipeline: BTreeSet::new(),
            piped: BTreeMap::new(),
            pipe_destinations: BTreeSet::new(),
        }
    }

    /// Checks that every stream and operation of `scenario` keeps the rules.
    pub fn check_scenario(scenario: &Scenario, switches: &Switches) -> Result<(), String> {
        for (id, stream) in scenario.streams.iter().enumerate() {
            if let StreamSpec::Readable { source, .. } = stream
                && source.pace == Pace::Manual
                && !switches.external_push
            {
                return Err(format!("s{id}: a manual source needs `push` from outside"));
            }
        }
        let mut rules = Rules::new(&scenario.streams, scenario.object_mode, switches);
        for (index, op) in scenario.ops.iter().enumerate() {
            rules
                .check(op)
                .map_err(|why| format!("op {index} ({op}): {why}"))?;
            rules.apply(op);
        }
        Ok(())
    }

    /// Streams of a kind `accept` takes that operations may name.
    fn usable(&self, accept: impl Fn(Kind) -> bool) -> Vec<usize> {
        (0..self.kinds.len())
            .filter(|&s| accept(self.kinds[s]) && self.may_operate(s))
            .collect()
    }

    fn may_operate(&self, stream: usize) -> bool {
        !self.owned.contains(&stream) || self.switches.ops_on_pipeline_stages
    }

    fn manual_sources(&self) -> Vec<usize> {
        self.usable(|_| true)
            .into_iter()
            .filter(|&s| self.manual[s])
            .collect()
    }

    fn pipe_sources(&self) -> Vec<usize> {
        self.usable(|k| k.is_readable())
            .into_iter()
            .filter(|s| !self.in_pipeline.contains(s) && !self.piped.contains_key(s))
            .collect()
    }

    /// Streams `source` may pipe into: later in the scenario's list (so
    /// pipes never form a cycle), writable, and not in a pipeline.
    fn pipe_targets(&self, source: usize) -> Vec<usize> {
        self.usable(|k| k.is_writable())
            .into_iter()
            .filter(|&s| s > source && !self.in_pipeline.contains(&s))
            .collect()
    }

    fn pipes(&self) -> Vec<(usize, usize)> {
        self.piped
            .iter()
            .flat_map(|(&source, dests)| dests.iter().map(move |&d| (source, d)))
            .collect()
    }

    /// Streams no pipe or pipeline uses: what a new pipeline may take.
    fn free(&self) -> Vec<usize> {
        (0..self.kinds.len())
            .filter(|s| {
                !self.in_pipeline.contains(s)
                    && !self.piped.contains_key(s)
                    && !self.pipe_destinations.contains(s)
            })
            .collect()
    }

    pub fn check(&self, op: &Op) -> Result<(), String> {
        for stream in op.streams() {
            if stream >= self.kinds.len() {
                return Err(format!("there is no s{stream}"));
            }
        }
        if !self.switches.allows_op(op.name()) {
            return Err("switched off".into());
        }
        let operable = |s: usize, accept: fn(Kind) -> bool| {
            if !accept(self.kinds[s]) {
                Err(format!("s{s} is a {}", self.kinds[s]))
            } else if !self.may_operate(s) {
                Err(format!("s{s} is owned by a pipeline"))
            } else {
                Ok(())
            }
        };
        match op {
            Op::Write { stream, .. }
            | Op::End { stream }
            | Op::Cork { stream }
            | Op::Uncork { stream } => operable(*stream, Kind::is_writable),
            Op::Read { stream } | Op::Pause { stream } | Op::Resume { stream } => {
                operable(*stream, Kind::is_readable)
            }
            Op::ReadN { stream, .. } => {
                if self.object_mode {
                    return Err("read(n) is for byte streams".into());
                }
                operable(*stream, Kind::is_readable)
            }
            Op::Unshift { stream, .. } => {
                if self.kinds[*stream] == Kind::Transform && !self.switches.transform_unshift {
                    return Err("unshift on a transform is switched off".into());
                }
                operable(*stream, Kind::is_readable)
            }
            Op::Push { stream, .. } => {
                if !self.manual[*stream] {
                    return Err(format!("s{stream} has no manual source"));
                }
                operable(*stream, Kind::is_readable)
            }
            Op::Destroy { stream, .. } => operable(*stream, |_| true),
            Op::Finished { stream } => {
                if self.kinds[*stream] != Kind::Writable && !self.switches.finished_readable {
                    return Err("finished on a readable side is switched off".into());
                }
                operable(*stream, |_| true)
            }
            Op::Pipe {
                source,
                destinations,
                ..
            } => {
                operable(*source, Kind::is_readable)?;
                if self.in_pipeline.contains(source) || self.piped.contains_key(source) {
                    return Err(format!("s{source} is piped already"));
                }
                if destinations.is_empty() {
                    return Err("a pipe needs a destination".into());
                }
                let distinct: BTreeSet<&usize> = destinations.iter().collect();
                if distinct.len() != destinations.len() {
                    return Err("a destination is named twice".into());
                }
                for &d in destinations {
                    operable(d, Kind::is_writable)?;
                    if d <= *source || self.in_pipeline.contains(&d) {
                        return Err(format!("s{d} cannot be piped into"));
                    }
                }
                Ok(())
            }
            Op::Unpipe {
                source,
                destination,
            } => {
                if self
                    .piped
                    .get(source)
                    .is_some_and(|d| d.contains(destination))
                {
                    Ok(())
                } else {
                    Err(format!("s{source} was never piped into s{destination}"))
                }
            }
            Op::Pipeline { stages } => {
                if stages.len() < 2 {
                    return Err("a pipeline needs two stages".into());
                }
                let distinct: BTreeSet<&usize> = stages.iter().collect();
                if distinct.len() != stages.len() {
                    return Err("a stage is named twice".into());
                }
                let free = self.free();
                if let Some(s) = stages.iter().find(|s| !free.contains(s)) {
                    return Err(format!("s{s} is in use"));
                }
                let last = stages.len() - 1;
                for (index, &s) in stages.iter().enumerate() {
                    let fits = match index {
                        0 => self.kinds[s].is_readable(),
                        i if i == last => self.kinds[s] == Kind::Writable,
                        _ => self.kinds[s] == Kind::Transform,
                    };
                    if !fits {
                        return Err(format!("s{s} cannot be stage {index}"));
                    }
                }
                Ok(())
            }
            Op::Tick | Op::Settle => Ok(()),
        }
    }

    pub fn apply(&mut self, op: &Op) {
        match op {
            Op::Pipe {
                source,
                destinations,
                ..
            } => {
                self.piped.insert(*source, destinations.clone());
                self.pipe_destinations.extend(destinations.iter().copied());
            }
            Op::Pipeline { stages } => {
                self.in_pipeline.extend(stages.iter().copied());
                self.owned.extend(stages[1..].iter().copied());
            }
            _ => {}
        }
    }
}
