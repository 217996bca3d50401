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

/// Double-double prefix sums of one per-checkpoint quantity. Each entry keeps its high and
/// low parts side by side, so a window sum reads two cache lines rather than four: the
/// replay's prelude reads a few of these per miner at every step, far apart in memory.
#[derive(Debug, Clone, Default)]
pub struct Prefix {
    sums: Vec<[f64; 2]>,
}

impl Prefix {
    pub fn build(values: impl Iterator<Item = f64>) -> Prefix {
        let (lower, _) = values.size_hint();
        let mut p = Prefix { sums: Vec::with_capacity(lower + 1) };
        p.sums.push([0.0; 2]);
        for x in values {
            p.push(x);
        }
        p
    }

    /// Appends one value (a generator grows its ledgers checkpoint by checkpoint).
    pub fn push(&mut self, x: f64) {
        let next = Prefix::step(self.total(), x);
        self.sums.push(next);
    }

    /// The running sum so far (a prefix starts at 0).
    fn total(&mut self) -> [f64; 2] {
        if self.sums.is_empty() {
            self.sums.push([0.0; 2]);
        }
        *self.sums.last().expect("non-empty")
    }

    /// The running double-double sum after adding `x`.
    #[inline]
    fn step([h, l]: [f64; 2], x: f64) -> [f64; 2] {
        let (s, e) = two_sum(h, x);
        let (hi, lo) = two_sum(s, l + e);
        [hi, lo]
    }

    /// Sum of the values at indexes `[i, j)`.
    #[inline]
    pub fn sum(&self, i: usize, j: usize) -> f64 {
        if i >= j {
            return 0.0;
        }
        let ([hj, lj], [hi, li]) = (self.sums[j], self.sums[i]);
        let (d, e) = two_sum(hj, -hi);
        d + (e + (lj - li))
    }
}

/// One miner's history, column by column.
///
/// Field order is layout (`repr(C)`): the replay's prelude reads, for every miner at every
/// step, where its checkpoints sit and three columns' addresses; those come first, in the
/// struct's first two cache lines.
#[derive(Debug, Clone)]
#[repr(C)]
pub struct Series {
    pub ts: Vec<i64>,
    /// `ts[0]` (0 while empty), beside the column's address: where a contiguous series' steps
    /// sit is arithmetic on it, and reading it from the column cost a cache miss per miner at
    /// every step. Only [`Series::extend`] writes `ts`, and it sets this with the first value.
    pub first_ms: i64,
    /// Whether `ts[i] = ts[0] + i × 12 h` (a validated ledger): index lookups are then arithmetic.
    pub contiguous: bool,
    /// Prefix sums of `score_term`, every status.
    pub pnl_all: Prefix,
    /// Prefix sums of `chunk_emissions_alpha`, every status (what the miner received).
    pub alpha_all: Prefix,
    /// Alpha → USD of each checkpoint (`avg_alpha_to_tao_rate × avg_tao_to_usd_rate`; 0 if unknown).
    pub alpha_usd: Vec<f64>,
    /// Prefix sums of `score_term`, MAINCOMP and PROBATION checkpoints only.
    pub pnl_earning: Prefix,
    /// Prefix sums of `chunk_emissions_usd`, MAINCOMP and PROBATION checkpoints only.
    pub usd_earning: Prefix,
    pub hotkey: String,
    pub status: Vec<Status>,
    /// `net_pnl × total_penalty` per checkpoint (production's score term).
    pub score_term: Vec<f64>,
    /// The realized/unrealized era's fields as the releases from 30 November 2025 read them
    /// (missing → 0): per checkpoint realized and unrealized PnL, the stored penalty and the
    /// USD emission paid.
    pub realized: Vec<f64>,
    pub unrealized: Vec<f64>,
    pub penalty: Vec<f64>,
    pub usd: Vec<f64>,
    /// Checkpoints in the earlier layout (gain/loss, no realized/unrealized): a release that
    /// reads realized PnL sees 0 for them.
    pub old_layout: usize,
}

/// One miner's checkpoints in a time range, as the realized-era releases read them.
#[derive(Debug, Clone, Copy)]
pub struct Slice<'a> {
    pub ts: &'a [i64],
    pub status: &'a [Status],
    pub realized: &'a [f64],
    pub unrealized: &'a [f64],
    pub penalty: &'a [f64],
    pub usd: &'a [f64],
}

/// Where a series' checkpoints sit, in 32 bytes: enough to count them up to a time without
/// reading the series (arithmetic on a contiguous one). A walk over every miner at every step
/// reads a table of these instead of the scattered series.
#[derive(Debug, Clone, Copy)]
pub struct Clock<'a> {
    first: i64,
    len: usize,
    /// The timestamps, where they are not `first + i × 12 h`.
    ts: Option<&'a [i64]>,
}

impl Clock<'_> {
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

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
        match self.ts {
            Some(ts) => ts.partition_point(|&x| x <= t),
            None if self.len == 0 || t < self.first => 0,
            None => (((t - self.first) / CHECKPOINT_MS) as usize + 1).min(self.len),
        }
    }
}

impl Series {
    pub fn clock(&self) -> Clock<'_> {
        Clock { first: self.first_ms, len: self.ts.len(), ts: (!self.contiguous).then_some(self.ts.as_slice()) }
    }

    /// Index range `[i, j)` of checkpoints with `from_ms ≤ ts ≤ to_ms`.
    #[inline]
    pub fn range(&self, from_ms: i64, to_ms: i64) -> (usize, usize) {
        self.clock().range(from_ms, to_ms)
    }

    /// Number of checkpoints with `ts < t`.
    #[inline]
    pub fn count_before(&self, t: i64) -> usize {
        self.clock().count_before(t)
    }

    /// Number of checkpoints with `ts ≤ t`.
    #[inline]
    pub fn count_at_or_before(&self, t: i64) -> usize {
        self.clock().count_at_or_before(t)
    }

    /// First and last checkpoint timestamps (for presence).
    pub fn span(&self) -> Option<(i64, i64)> {
        Some((*self.ts.first()?, *self.ts.last()?))
    }

    /// Status of the latest checkpoint at or before `t`.
    pub fn status_at(&self, t: i64) -> Option<&Status> {
        let j = self.count_at_or_before(t);
        if j == 0 { None } else { Some(&self.status[j - 1]) }
    }
}

/// All miners of a ledger set, in file order.
#[derive(Debug, Default)]
pub struct Store {
    pub miners: Vec<Series>,
    /// Decayed prefix sums per half-life (ms, as bits), built on first use and shared.
    decay: std::sync::RwLock<std::collections::HashMap<u64, std::sync::Arc<Vec<DecayTable>>>>,
    /// Every instant a checkpoint may sit at ([`Store::instants`]), built on first use.
    instants: std::sync::OnceLock<Vec<i64>>,
}

/// A miner's decayed prefix sums for one half-life `h`: the history is cut into segments short
/// enough that `2^(span/h)` stays finite; within a segment, term `x_i` is stored as
/// `x_i · 2^((ts_i − ref)/h)`, so a decayed window sum at `t` is a prefix difference times
/// `2^(−(t − ref)/h)`: O(1) whatever the lookback.
#[derive(Debug)]
pub struct DecayTable {
    /// (first checkpoint index, reference timestamp, prefix of all terms, prefix of earning terms).
    segments: Vec<(usize, i64, Prefix, Prefix)>,
}

/// Exponent span per segment (in half-lives): 2^400 ≈ 2.6e120 leaves room for any PnL.
const SEGMENT_HALF_LIVES: f64 = 400.0;

impl DecayTable {
    fn build(s: &Series, h_ms: f64) -> DecayTable {
        let span_ms = (SEGMENT_HALF_LIVES * h_ms).max(1.0);
        let mut segments: Vec<(usize, i64, Prefix, Prefix)> = Vec::new();
        for (i, (&ts, &x)) in s.ts.iter().zip(&s.score_term).enumerate() {
            if segments.last().is_none_or(|seg| (ts - seg.1) as f64 > span_ms) {
                segments.push((i, ts, Prefix::build(std::iter::empty()), Prefix::build(std::iter::empty())));
            }
            let seg = segments.last_mut().expect("a segment");
            let y = x * ((ts - seg.1) as f64 / h_ms).exp2();
            seg.2.push(y);
            seg.3.push(if s.status[i].is_earning() { y } else { 0.0 });
        }
        DecayTable { segments }
    }

    /// Σ x_i · 2^(−(t − ts_i)/h) over checkpoint indexes `[i, j)`.
    fn sum(&self, n: usize, i: usize, j: usize, t: i64, h_ms: f64, earning_only: bool) -> f64 {
        let mut total = 0.0;
        for (k, (start, reference, all, earning)) in self.segments.iter().enumerate() {
            let end = self.segments.get(k + 1).map(|x| x.0).unwrap_or(n);
            let (a, b) = (i.max(*start), j.min(end));
            if a >= b {
                continue;
            }
            let p = if earning_only { earning } else { all };
            total += p.sum(a - start, b - start) * (-((t - reference) as f64) / h_ms).exp2();
        }
        total
    }
}

impl Series {
    pub fn new(hotkey: &str) -> Series {
        Series {
            hotkey: hotkey.to_string(),
            ts: Vec::new(),
            first_ms: 0,
            contiguous: true,
            status: Vec::new(),
            score_term: Vec::new(),
            pnl_all: Prefix::build(std::iter::empty()),
            pnl_earning: Prefix::build(std::iter::empty()),
            usd_earning: Prefix::build(std::iter::empty()),
            alpha_all: Prefix::build(std::iter::empty()),
            alpha_usd: Vec::new(),
            realized: Vec::new(),
            unrealized: Vec::new(),
            penalty: Vec::new(),
            usd: Vec::new(),
            old_layout: 0,
        }
    }

    /// Room for `n` more checkpoints in every column (a store is built ledger by ledger).
    pub fn reserve(&mut self, n: usize) {
        self.ts.reserve(n);
        self.status.reserve(n);
        self.score_term.reserve(n);
        for p in [&mut self.pnl_all, &mut self.pnl_earning, &mut self.usd_earning, &mut self.alpha_all] {
            p.sums.reserve(n);
        }
        for v in [&mut self.alpha_usd, &mut self.realized, &mut self.unrealized, &mut self.penalty, &mut self.usd] {
            v.reserve(n);
        }
    }

    /// Appends one checkpoint (its timestamp must follow the last one).
    pub fn push(&mut self, c: &Checkpoint) {
        self.extend(std::slice::from_ref(c));
    }

    /// Appends checkpoints in time order, column by column: each column is one pass whose
    /// length is known (no capacity check per value), and the ledger's checkpoints stay in
    /// cache between passes. The four prefix sums advance side by side: each is a chain of
    /// dependent TwoSums, and interleaved they overlap.
    pub fn extend(&mut self, cps: &[Checkpoint]) {
        let (Some(first), n) = (cps.first(), cps.len()) else { return };
        self.reserve(n);
        if self.ts.is_empty() {
            self.first_ms = first.timestamp_ms;
        }
        self.contiguous &= self.ts.last().is_none_or(|&last| first.timestamp_ms - last == CHECKPOINT_MS)
            && cps.windows(2).all(|w| w[1].timestamp_ms - w[0].timestamp_ms == CHECKPOINT_MS);
        self.ts.extend(cps.iter().map(|c| c.timestamp_ms));
        self.status.extend(cps.iter().map(|c| c.status.clone()));
        self.score_term.extend(cps.iter().map(|c| c.net_pnl() * c.total_penalty));
        self.alpha_usd.extend(cps.iter().map(|c| c.avg_alpha_to_tao_rate * c.avg_tao_to_usd_rate));
        self.realized.extend(cps.iter().map(|c| c.realized_pnl.unwrap_or(0.0)));
        self.unrealized.extend(cps.iter().map(|c| c.unrealized_pnl.unwrap_or(0.0)));
        self.penalty.extend(cps.iter().map(|c| c.total_penalty));
        self.usd.extend(cps.iter().map(|c| c.chunk_emissions_usd));
        self.old_layout += cps
            .iter()
            .filter(|c| {
                (c.pnl_gain.is_some() || c.pnl_loss.is_some()) && c.realized_pnl.is_none() && c.unrealized_pnl.is_none()
            })
            .count();
        let terms = &self.score_term[self.score_term.len() - n..];
        let mut sums = [&mut self.pnl_all, &mut self.pnl_earning, &mut self.usd_earning, &mut self.alpha_all];
        let mut state = sums.each_mut().map(|p| p.total());
        let old = sums.each_mut().map(|p| {
            let old = p.sums.len();
            p.sums.resize(old + n, [0.0; 2]);
            old
        });
        let [all, earn, usd, alpha] = sums;
        let columns = all.sums[old[0]..]
            .iter_mut()
            .zip(&mut earn.sums[old[1]..])
            .zip(usd.sums[old[2]..].iter_mut().zip(&mut alpha.sums[old[3]..]));
        for ((c, &term), ((all, earn), (usd, alpha))) in cps.iter().zip(terms).zip(columns) {
            let earning = c.status.is_earning();
            state[0] = Prefix::step(state[0], term);
            state[1] = Prefix::step(state[1], if earning { term } else { 0.0 });
            state[2] = Prefix::step(state[2], if earning { c.chunk_emissions_usd } else { 0.0 });
            state[3] = Prefix::step(state[3], c.chunk_emissions_alpha);
            (*all, *earn, *usd, *alpha) = (state[0], state[1], state[2], state[3]);
        }
    }
}

impl Store {
    /// The same store without the given hotkeys (a counterfactual run without an adversary).
    pub fn without(&self, excluded: &std::collections::HashSet<&str>) -> Store {
        Store {
            miners: self.miners.iter().filter(|s| !excluded.contains(s.hotkey.as_str())).cloned().collect(),
            ..Store::default()
        }
    }

    /// The columns of every ledger, built in parallel (ledger order kept).
    pub fn from_set(set: &LedgerSet) -> Store {
        use rayon::prelude::*;
        let miners = set
            .ledgers
            .par_iter()
            .map(|l| {
                let mut s = Series::new(&l.key);
                s.extend(&l.checkpoints);
                s
            })
            .collect();
        Store { miners, ..Store::default() }
    }

    /// Every instant a checkpoint of the store may sit at, sorted: each contiguous series'
    /// 12-hour grid over the span of the series on that grid, and every timestamp of the
    /// others. No checkpoint of any miner lies between two starts with no instant between
    /// them, so windows from either start cover the same checkpoints: a sweep's continuous
    /// lookbacks, which differ in milliseconds, share their scores through it.
    pub fn instants(&self) -> &[i64] {
        self.instants.get_or_init(|| {
            let mut grids: Vec<(i64, i64, i64)> = Vec::new(); // (phase, first, last)
            let mut out = Vec::new();
            for s in &self.miners {
                let Some((first, last)) = s.span() else { continue };
                if !s.contiguous {
                    out.extend_from_slice(&s.ts);
                    continue;
                }
                let phase = first.rem_euclid(CHECKPOINT_MS);
                match grids.iter_mut().find(|g| g.0 == phase) {
                    Some(g) => {
                        g.1 = g.1.min(first);
                        g.2 = g.2.max(last);
                    }
                    None => grids.push((phase, first, last)),
                }
            }
            for (_, first, last) in grids {
                out.extend((0..=(last - first) / CHECKPOINT_MS).map(|k| first + k * CHECKPOINT_MS));
            }
            out.sort_unstable();
            out.dedup();
            out
        })
    }

    /// The first instant at or after `from` (`i64::MAX` past the last): windows starting at
    /// two times with the same canonical start cover the same checkpoints of every miner.
    pub fn canonical_start(&self, from: i64) -> i64 {
        let v = self.instants();
        v.get(v.partition_point(|&x| x < from)).copied().unwrap_or(i64::MAX)
    }

    /// The decayed tables of every miner for half-life `h_ms` (built once, then shared).
    pub fn decay_tables(&self, h_ms: f64) -> std::sync::Arc<Vec<DecayTable>> {
        let key = h_ms.to_bits();
        if let Some(t) = self.decay.read().expect("lock").get(&key) {
            return t.clone();
        }
        let mut w = self.decay.write().expect("lock");
        w.entry(key)
            .or_insert_with(|| std::sync::Arc::new(self.miners.iter().map(|s| DecayTable::build(s, h_ms)).collect()))
            .clone()
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

    /// Whether the miner has any checkpoint at all (production skips ledgers without one).
    pub fn has_checkpoints(&self, miner: usize) -> bool {
        !self.series(miner).ts.is_empty()
    }

    /// Σ net_pnl × total_penalty × 2^(−(t − ts)/h) over checkpoints in `[from, t]`.
    pub fn decayed_sum(&self, tables: &[DecayTable], miner: usize, from_ms: i64, h_ms: f64, earning_only: bool) -> f64 {
        let idx = match self.subset {
            Some(s) => s[miner],
            None => miner,
        };
        let s = &self.store.miners[idx];
        let (i, j) = s.range(from_ms, self.t);
        tables[idx].sum(s.ts.len(), i, j, self.t, h_ms, earning_only)
    }

    /// The store index of view miner `k` (per-store side tables, such as a policy's own
    /// payments in a closed loop, are indexed by it).
    pub fn store_index(&self, k: usize) -> usize {
        match self.subset {
            Some(s) => s[k],
            None => k,
        }
    }

    /// Checkpoint index range `[i, j)` of view miner `k` in `[from, to]` clipped to `t`, with
    /// the statuses of the whole series.
    pub fn index_range(&self, k: usize, from_ms: i64, to_ms: i64) -> (usize, usize, &'a [Status]) {
        let s = self.series(k);
        let (i, j) = s.range(from_ms, to_ms.min(self.t));
        (i, j, &s.status)
    }

    /// The miner's checkpoints in `[from, to]` clipped to `t`, realized-era columns.
    pub fn slice(&self, miner: usize, from_ms: i64, to_ms: i64) -> Slice<'a> {
        let s = self.series(miner);
        let (i, j) = s.range(from_ms, to_ms.min(self.t));
        Slice {
            ts: &s.ts[i..j],
            status: &s.status[i..j],
            realized: &s.realized[i..j],
            unrealized: &s.unrealized[i..j],
            penalty: &s.penalty[i..j],
            usd: &s.usd[i..j],
        }
    }

    /// Checkpoints in the earlier layout among the view's miners, and how many miners hold one.
    pub fn old_layout(&self) -> (usize, usize) {
        (0..self.len()).map(|m| self.series(m).old_layout).fold((0, 0), |(c, n), x| (c + x, n + usize::from(x > 0)))
    }

    /// The store behind the view (for shared, lazily built tables).
    pub fn store(&self) -> &'a Store {
        self.store
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
    fn decayed_window_sums_match_the_direct_sum_across_segments() {
        use crate::testutil::{cp, set};
        let day = crate::time::MS_PER_DAY;
        let cps: Vec<_> = (0..300)
            .map(|k| {
                let net = ((k * 7919) % 1000) as f64 - 480.0;
                cp(
                    k as i64 * CHECKPOINT_MS,
                    net,
                    0.5 + (k % 3) as f64 * 0.25,
                    if k % 4 == 0 { "MAINCOMP" } else { "CHALLENGE" },
                    0.0,
                )
            })
            .collect();
        let store = Store::from_set(&set(vec![("A", cps)]));
        for h_days in [0.05, 1.0, 7.0] {
            let h_ms = h_days * day as f64;
            let tables = store.decay_tables(h_ms);
            for t in [10 * day, 75 * day + CHECKPOINT_MS, 149 * day] {
                for earning in [false, true] {
                    let view = AsOf::new(&store, t);
                    let from = t - 30 * day;
                    let got = view.decayed_sum(&tables, 0, from, h_ms, earning);
                    let (ts, terms, st) = view.terms(0, from, t);
                    let want: f64 = ts
                        .iter()
                        .zip(terms)
                        .zip(st)
                        .filter(|(_, s)| !earning || s.is_earning())
                        .map(|((x_ts, x), _)| x * (-((t - x_ts) as f64) / h_ms).exp2())
                        .sum();
                    let scale: f64 = terms.iter().map(|x| x.abs()).sum::<f64>().max(1.0);
                    assert!((got - want).abs() <= 1e-12 * scale, "h {h_days} t {t} earning {earning}: {got} vs {want}");
                }
            }
        }
        assert!(
            store.decay_tables(0.05 * day as f64)[0].segments.len() > 5,
            "small half-lives cut the history into segments"
        );
    }

    #[test]
    fn range_is_inclusive_at_both_ends() {
        let s = Series {
            hotkey: "a".into(),
            ts: vec![0, 10, 20, 30],
            first_ms: 0,
            contiguous: false,
            status: vec![Status::Unknown; 4],
            score_term: vec![1.0; 4],
            pnl_all: Prefix::build([1.0; 4].into_iter()),
            pnl_earning: Prefix::default(),
            usd_earning: Prefix::default(),
            alpha_all: Prefix::default(),
            alpha_usd: vec![0.0; 4],
            realized: vec![0.0; 4],
            unrealized: vec![0.0; 4],
            penalty: vec![1.0; 4],
            usd: vec![0.0; 4],
            old_layout: 0,
        };
        assert_eq!(s.range(10, 20), (1, 3));
        assert_eq!(s.range(11, 19), (2, 2));
        assert_eq!(s.range(-5, 100), (0, 4));
        assert_eq!(s.status_at(-1), None);
    }
}
