//! The columnar store policies read through an as-of view: per-miner contiguous arrays and
//! compensated prefix sums, so any window sum costs O(log n) whatever the lookback length.
//!
//! Prefix sums are kept in double-double precision (a running TwoSum), so a window sum is
//! the correctly rounded sum of its checkpoints rather than a difference of two large
//! rounded totals; it agrees with the validator's left-to-right sum to within that sum's
//! own rounding error.

use super::model::{LedgerSet, Status};

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
        let mut hi = Vec::with_capacity(lower + 1);
        let mut lo = Vec::with_capacity(lower + 1);
        let (mut h, mut l) = (0.0f64, 0.0f64);
        hi.push(h);
        lo.push(l);
        for x in values {
            let (s, e) = two_sum(h, x);
            let (s2, e2) = two_sum(s, l + e);
            h = s2;
            l = e2;
            hi.push(h);
            lo.push(l);
        }
        Prefix { hi, lo }
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
    pub status: Vec<Status>,
    /// `net_pnl × total_penalty` per checkpoint (production's score term).
    pub score_term: Vec<f64>,
    /// Prefix sums of `score_term`, every status.
    pub pnl_all: Prefix,
    /// Prefix sums of `score_term`, MAINCOMP and PROBATION checkpoints only.
    pub pnl_earning: Prefix,
    /// Prefix sums of `chunk_emissions_usd`, MAINCOMP and PROBATION checkpoints only.
    pub usd_earning: Prefix,
}

impl Series {
    /// Index range `[i, j)` of checkpoints with `from_ms ≤ ts ≤ to_ms`.
    #[inline]
    pub fn range(&self, from_ms: i64, to_ms: i64) -> (usize, usize) {
        let i = self.ts.partition_point(|&t| t < from_ms);
        let j = self.ts.partition_point(|&t| t <= to_ms);
        (i, j.max(i))
    }

    /// Status of the latest checkpoint at or before `t`.
    pub fn status_at(&self, t: i64) -> Option<&Status> {
        let j = self.ts.partition_point(|&x| x <= t);
        if j == 0 { None } else { Some(&self.status[j - 1]) }
    }
}

/// All miners of a ledger set, in file order.
#[derive(Debug, Clone, Default)]
pub struct Store {
    pub miners: Vec<Series>,
}

impl Store {
    pub fn from_set(set: &LedgerSet) -> Store {
        let miners = set
            .ledgers
            .iter()
            .map(|l| {
                let cps = &l.checkpoints;
                let score_term: Vec<f64> = cps.iter().map(|c| c.net_pnl() * c.total_penalty).collect();
                let earning: Vec<bool> = cps.iter().map(|c| c.status.is_earning()).collect();
                Series {
                    hotkey: l.key.clone(),
                    ts: cps.iter().map(|c| c.timestamp_ms).collect(),
                    status: cps.iter().map(|c| c.status.clone()).collect(),
                    pnl_all: Prefix::build(score_term.iter().copied()),
                    pnl_earning: Prefix::build(score_term.iter().zip(&earning).map(|(x, e)| if *e { *x } else { 0.0 })),
                    usd_earning: Prefix::build(
                        cps.iter().zip(&earning).map(|(c, e)| if *e { c.chunk_emissions_usd } else { 0.0 }),
                    ),
                    score_term,
                }
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
    pub t: i64,
}

impl<'a> AsOf<'a> {
    pub fn new(store: &'a Store, t: i64) -> Self {
        AsOf { store, t }
    }

    pub fn len(&self) -> usize {
        self.store.len()
    }

    pub fn is_empty(&self) -> bool {
        self.store.is_empty()
    }

    pub fn hotkey(&self, miner: usize) -> &'a str {
        &self.store.miners[miner].hotkey
    }

    /// Status written on the miner's latest checkpoint at or before `t`.
    pub fn checkpoint_status(&self, miner: usize) -> Option<&'a Status> {
        self.store.miners[miner].status_at(self.t)
    }

    /// Σ net_pnl × total_penalty over checkpoints in `[from, to]`, clipped to `t`.
    pub fn pnl_sum(&self, miner: usize, from_ms: i64, to_ms: i64, earning_only: bool) -> f64 {
        let s = &self.store.miners[miner];
        let (i, j) = s.range(from_ms, to_ms.min(self.t));
        if earning_only { s.pnl_earning.sum(i, j) } else { s.pnl_all.sum(i, j) }
    }

    /// Σ chunk_emissions_usd of MAINCOMP/PROBATION checkpoints in `[from, to]`, clipped to `t`.
    pub fn earning_usd_sum(&self, miner: usize, from_ms: i64, to_ms: i64) -> f64 {
        let s = &self.store.miners[miner];
        let (i, j) = s.range(from_ms, to_ms.min(self.t));
        s.usd_earning.sum(i, j)
    }

    /// Whether the miner has any checkpoint at all (production skips ledgers without one).
    pub fn has_checkpoints(&self, miner: usize) -> bool {
        !self.store.miners[miner].ts.is_empty()
    }

    /// The miner's score terms in `[from, to]` clipped to `t`, with their timestamps.
    pub fn terms(&self, miner: usize, from_ms: i64, to_ms: i64) -> (&'a [i64], &'a [f64], &'a [Status]) {
        let s = &self.store.miners[miner];
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
            status: vec![Status::Unknown; 4],
            score_term: vec![1.0; 4],
            pnl_all: Prefix::build([1.0; 4].into_iter()),
            pnl_earning: Prefix::default(),
            usd_earning: Prefix::default(),
        };
        assert_eq!(s.range(10, 20), (1, 3));
        assert_eq!(s.range(11, 19), (2, 2));
        assert_eq!(s.range(-5, 100), (0, 4));
        assert_eq!(s.status_at(-1), None);
    }
}
