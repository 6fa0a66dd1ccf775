//! What steers the mocks: a seeded generator, random hiccups, a stall that
//! a test releases, counters, and the highWaterMark bounds the mocks check.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// A small seeded generator (SplitMix64): the same seed, the same choices.
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

    /// A number in `low..=high`.
    pub fn between(&mut self, low: usize, high: usize) -> usize {
        assert!(low <= high, "empty range {low}..={high}");
        let span = (high - low) as u64 + 1;
        low + (self.next_u64() % span) as usize
    }

    /// `len` bytes of noise.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut data = Vec::with_capacity(len + 8);
        while data.len() < len {
            data.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        data.truncate(len);
        data
    }
}

/// Random, seeded `Pending` answers: each poll is refused with probability
/// `percent`%, and the refusal wakes the task at once (a yield), so the
/// caller comes back without any timer.
#[derive(Clone, Debug)]
pub struct Hiccups {
    rng: Rng,
    percent: usize,
}

impl Hiccups {
    /// Never refuses.
    pub fn none() -> Self {
        Hiccups {
            rng: Rng::new(0),
            percent: 0,
        }
    }

    pub fn seeded(seed: u64, percent: usize) -> Self {
        Hiccups {
            rng: Rng::new(seed),
            percent,
        }
    }

    pub fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.percent > 0 && self.rng.between(1, 100) <= self.percent {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(())
    }
}

/// A switch a test flips: while stalled, a mock answers `Pending` and keeps
/// the waker; [`release`](Stall::release) wakes it.
#[derive(Clone, Debug, Default)]
pub struct Stall(Arc<Mutex<StallState>>);

#[derive(Debug, Default)]
struct StallState {
    stalled: bool,
    waker: Option<Waker>,
    refused: usize,
}

impl Stall {
    /// A stall that is engaged from the start.
    pub fn engaged() -> Self {
        let stall = Stall::default();
        stall.0.lock().unwrap().stalled = true;
        stall
    }

    /// Lets the mock go on, waking whoever waits on it.
    pub fn release(&self) {
        let mut state = self.0.lock().unwrap();
        state.stalled = false;
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }

    /// How many polls were refused so far.
    pub fn refused(&self) -> usize {
        self.0.lock().unwrap().refused
    }

    pub fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.0.lock().unwrap();
        if !state.stalled {
            return Poll::Ready(());
        }
        state.refused += 1;
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Counts a mock's polls and the units (bytes or items) it produced.
#[derive(Clone, Debug, Default)]
pub struct Meter {
    polls: Arc<AtomicUsize>,
    units: Arc<AtomicUsize>,
}

impl Meter {
    pub fn polls(&self) -> usize {
        self.polls.load(Ordering::SeqCst)
    }

    pub fn units(&self) -> usize {
        self.units.load(Ordering::SeqCst)
    }

    pub fn polled(&self) {
        self.polls.fetch_add(1, Ordering::SeqCst);
    }

    pub fn produced(&self, units: usize) {
        self.units.fetch_add(units, Ordering::SeqCst);
    }
}

/// The buffer-size violations the mocks saw, shared by every stage of a test.
#[derive(Clone, Debug, Default)]
pub struct Bounds(Arc<Mutex<Vec<String>>>);

impl Bounds {
    /// A bound for one buffer: at most its highWaterMark plus `slack`.
    pub fn bound(&self, buffer: impl Into<String>, slack: usize) -> Bound {
        Bound {
            bounds: self.clone(),
            buffer: buffer.into(),
            slack,
        }
    }

    /// Every violation seen, as `"buffer: size > hwm + slack"` lines.
    pub fn violations(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// The bound of one buffer: it may hold its highWaterMark plus `slack`
/// (what one producer call may add past the mark, usually one chunk).
#[derive(Clone, Debug)]
pub struct Bound {
    bounds: Bounds,
    buffer: String,
    slack: usize,
}

impl Bound {
    pub fn check(&self, buffered: usize, high_water_mark: usize) {
        if buffered > high_water_mark + self.slack {
            self.bounds.0.lock().unwrap().push(format!(
                "{}: {buffered} > {high_water_mark} + {}",
                self.buffer, self.slack
            ));
        }
    }
}
