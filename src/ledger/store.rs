//! The columnar store policies read through an as-of view: per-miner contiguous arrays and
//! compensated prefix sums, so any window sum costs O(log n) whatever the lookback length.
//!
//! Prefix sums are kept in double-double precision (a running TwoSum), so a window sum is
//! the correctly rounded sum of its checkpoints rather than a difference of two large
//! rounded totals; it agrees with the validator's left-to-right sum to within that sum's
//! own rounding error.

use super::model::{Checkpoint, LedgerSet, Status};
use crate::time::CHECKPOINT_MS;

#[inline]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// Double-double prefix sums of one per-checkpoint quantity.
#[derive(Debug, Clone, Default)]
pub struct Prefix {
    hi: Vec<f64>,
    lo: Vec<f64>,
}

impl Prefix {
    pub fn build(values: impl Iterator<Item = f64>) -> Prefix {
        let (lower, _) = values.size_hint();
        let mut p = Prefix { hi: Vec::with_capacity(lower + 1), lo: Vec::with_capacity(lower + 1) };
        for x in values {
            p.push(x);
        }
        if p.hi.is_empty() {
            p.hi.push(0.0);
            p.lo.push(0.0);
        }
        p
    }

    /// Appends one value (a generator grows its ledgers checkpoint by checkpoint).
    pub fn push(&mut self, x: f64) {
        if self.hi.is_empty() {
            self.hi.push(0.0);
            self.lo.push(0.0);
        }
        let (h, l) = (*self.hi.last().expect("non-empty"), *self.lo.last().expect("non-empty"));
        let (s, e) = two_sum(h, x);
        let (s2, e2) = two_sum(s, l + e);
        self.hi.push(s2);
        self.lo.push(e2);
    }

    /// Sum of the values at indexes `[i, j)`.
    #[inline]
    pub fn sum(&self, i: usize, j: usize) -> f64 {
        if i >= j {
            return 0.0;
        }
        let (d, e) = two_sum(self.hi[j], -self.hi[i]);
        d + (e + (self.lo[j] - self.lo[i]))
    }
}

/// One miner's history, column by column.
#[derive(Debug, Clone)]
pub struct Series {
    pub hotkey: String,
    pub ts: Vec<i64>,
    /// Whether `ts[i] = ts[0] + i × 12 h` (a validated ledger): index lookups are then arithmetic.
    pub contiguous: bool,
    pub status: Vec<Status>,
    /// `net_pnl × total_penalty` per checkpoint (production's score term).
    pub score_term: Vec<f64>,
    /// Prefix sums of `score_term`, every status.
    pub pnl_all: Prefix,
    /// Prefix sums of `score_term`, MAINCOMP and PROBATION checkpoints only.
    pub pnl_earning: Prefix,
    /// Prefix sums of `chunk_emissions_usd`, MAINCOMP and PROBATION checkpoints only.
    pub usd_earning: Prefix,
    /// Prefix sums of `chunk_emissions_alpha`, every status (what the miner received).
    pub alpha_all: Prefix,
    /// Alpha → USD of each checkpoint (`avg_alpha_to_tao_rate × avg_tao_to_usd_rate`; 0 if unknown).
    pub alpha_usd: Vec<f64>,
}

impl Series {
    /// Index range `[i, j)` of checkpoints with `from_ms ≤ ts ≤ to_ms`.
    #[inline]
    pub fn range(&self, from_ms: i64, to_ms: i64) -> (usize, usize) {
        let i = self.count_before(from_ms);
        let j = self.count_at_or_before(to_ms);
        (i, j.max(i))
    }

    /// Number of checkpoints with `ts < t`.
    #[inline]
    pub fn count_before(&self, t: i64) -> usize {
        self.count_at_or_before(t - 1)
    }

    /// Number of checkpoints with `ts ≤ t`.
    #[inline]
    pub fn count_at_or_before(&self, t: i64) -> usize {
        if self.contiguous {
            let Some(&first) = self.ts.first() else { return 0 };
            if t < first {
                return 0;
            }
            (((t - first) / CHECKPOINT_MS) as usize + 1).min(self.ts.len())
        } else {
            self.ts.partition_point(|&x| x <= t)
        }
    }

    /// Status of the latest checkpoint at or before `t`.
    pub fn status_at(&self, t: i64) -> Option<&Status> {
        let j = self.count_at_or_before(t);
        if j == 0 { None } else { Some(&self.status[j - 1]) }
    }
}

/// All miners of a ledger set, in file order.
#[derive(Debug, Clone, Default)]
pub struct Store {
    pub miners: Vec<Series>,
}

impl Series {
    pub fn new(hotkey: &str) -> Series {
        Series {
            hotkey: hotkey.to_string(),
            ts: Vec::new(),
            contiguous: true,
            status: Vec::new(),
            score_term: Vec::new(),
            pnl_all: Prefix::build(std::iter::empty()),
            pnl_earning: Prefix::build(std::iter::empty()),
            usd_earning: Prefix::build(std::iter::empty()),
            alpha_all: Prefix::build(std::iter::empty()),
            alpha_usd: Vec::new(),
        }
    }

    /// Appends one checkpoint (its timestamp must follow the last one).
    pub fn push(&mut self, c: &Checkpoint) {
        if let Some(&last) = self.ts.last() {
            self.contiguous &= c.timestamp_ms - last == CHECKPOINT_MS;
        }
        let term = c.net_pnl() * c.total_penalty;
        let earning = c.status.is_earning();
        self.ts.push(c.timestamp_ms);
        self.status.push(c.status.clone());
        self.score_term.push(term);
        self.pnl_all.push(term);
        self.pnl_earning.push(if earning { term } else { 0.0 });
        self.usd_earning.push(if earning { c.chunk_emissions_usd } else { 0.0 });
        self.alpha_all.push(c.chunk_emissions_alpha);
        self.alpha_usd.push(c.avg_alpha_to_tao_rate * c.avg_tao_to_usd_rate);
    }
}

impl Store {
    pub fn from_set(set: &LedgerSet) -> Store {
        let miners = set
            .ledgers
            .iter()
            .map(|l| {
                let mut s = Series::new(&l.key);
                for c in &l.checkpoints {
                    s.push(c);
                }
                s
            })
            .collect();
        Store { miners }
    }

    pub fn len(&self) -> usize {
        self.miners.len()
    }

    pub fn is_empty(&self) -> bool {
        self.miners.is_empty()
    }
}

/// What a policy may see at time `t`: nothing after `t` is reachable through it.
#[derive(Clone, Copy)]
pub struct AsOf<'a> {
    store: &'a Store,
    /// The miners taking part (store indexes, in file order); all of them when `None`.
    subset: Option<&'a [usize]>,
    pub t: i64,
}

impl<'a> AsOf<'a> {
    pub fn new(store: &'a Store, t: i64) -> Self {
        AsOf { store, subset: None, t }
    }

    /// A view of only some miners; view index `k` is store miner `subset[k]`.
    pub fn of_subset(store: &'a Store, subset: &'a [usize], t: i64) -> Self {
        AsOf { store, subset: Some(subset), t }
    }

    #[inline]
    fn series(&self, miner: usize) -> &'a Series {
        match self.subset {
            Some(s) => &self.store.miners[s[miner]],
            None => &self.store.miners[miner],
        }
    }

    pub fn len(&self) -> usize {
        self.subset.map(|s| s.len()).unwrap_or(self.store.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn hotkey(&self, miner: usize) -> &'a str {
        &self.series(miner).hotkey
    }

    /// Status written on the miner's latest checkpoint at or before `t`.
    pub fn checkpoint_status(&self, miner: usize) -> Option<&'a Status> {
        self.series(miner).status_at(self.t)
    }

    /// Σ net_pnl × total_penalty over checkpoints in `[from, to]`, clipped to `t`.
    pub fn pnl_sum(&self, miner: usize, from_ms: i64, to_ms: i64, earning_only: bool) -> f64 {
        let s = self.series(miner);
        let (i, j) = s.range(from_ms, to_ms.min(self.t));
        if earning_only { s.pnl_earning.sum(i, j) } else { s.pnl_all.sum(i, j) }
    }

    /// Σ chunk_emissions_usd of MAINCOMP/PROBATION checkpoints in `[from, to]`, clipped to `t`.
    pub fn earning_usd_sum(&self, miner: usize, from_ms: i64, to_ms: i64) -> f64 {
        let s = self.series(miner);
        let (i, j) = s.range(from_ms, to_ms.min(self.t));
        s.usd_earning.sum(i, j)
    }

    /// Σ chunk_emissions_alpha over checkpoints in `[from, to]` (every status). Not clipped to
    /// `t`: the emission model reads what was paid after the weights were set, never a policy.
    pub fn alpha_received(&self, miner: usize, from_ms: i64, to_ms: i64) -> f64 {
        let s = self.series(miner);
        let (i, j) = s.range(from_ms, to_ms);
        s.alpha_all.sum(i, j)
    }

    /// Alpha → USD of the miner's latest checkpoint at or before `t` with known rates.
    pub fn alpha_usd_at(&self, miner: usize) -> Option<f64> {
        let s = self.series(miner);
        let j = s.count_at_or_before(self.t);
        s.alpha_usd[..j].iter().rev().take(4).copied().find(|x| *x > 0.0 && x.is_finite())
    }

    /// First and last checkpoint timestamps of a store miner (for presence).
    pub fn span_of(store: &Store, miner: usize) -> Option<(i64, i64)> {
        let ts = &store.miners[miner].ts;
        Some((*ts.first()?, *ts.last()?))
    }

    /// Whether the miner has any checkpoint at all (production skips ledgers without one).
    pub fn has_checkpoints(&self, miner: usize) -> bool {
        !self.series(miner).ts.is_empty()
    }

    /// The miner's score terms in `[from, to]` clipped to `t`, with their timestamps.
    pub fn terms(&self, miner: usize, from_ms: i64, to_ms: i64) -> (&'a [i64], &'a [f64], &'a [Status]) {
        let s = self.series(miner);
        let (i, j) = s.range(from_ms, to_ms.min(self.t));
        (&s.ts[i..j], &s.score_term[i..j], &s.status[i..j])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_window_is_exact_under_cancellation() {
        // A huge history followed by tiny values: a plain prefix difference loses them.
        let vals = [1e12, -1e12, 0.1, 0.2, 1e15, 3.0, -1e15, 0.3];
        let p = Prefix::build(vals.iter().copied());
        assert_eq!(p.sum(2, 4), 0.1 + 0.2);
        assert_eq!(p.sum(7, 8), 0.3);
        assert_eq!(p.sum(5, 6), 3.0);
        assert_eq!(p.sum(3, 3), 0.0);
        // Correctly rounded, where the naive left-to-right sum would give 3.5999999999999996.
        assert_eq!(p.sum(0, 8), 3.6);
    }

    #[test]
    fn range_is_inclusive_at_both_ends() {
        let s = Series {
            hotkey: "a".into(),
            ts: vec![0, 10, 20, 30],
            contiguous: false,
            status: vec![Status::Unknown; 4],
            score_term: vec![1.0; 4],
            pnl_all: Prefix::build([1.0; 4].into_iter()),
            pnl_earning: Prefix::default(),
            usd_earning: Prefix::default(),
            alpha_all: Prefix::default(),
            alpha_usd: vec![0.0; 4],
        };
        assert_eq!(s.range(10, 20), (1, 3));
        assert_eq!(s.range(11, 19), (2, 2));
        assert_eq!(s.range(-5, 100), (0, 4));
        assert_eq!(s.status_at(-1), None);
    }
}
