//! Per-policy metrics over a replay's long table: alignment (does dust follow the score?),
//! reward impact (who gains, who loses), and weight churn. The functions take plain slices
//! so each can be checked against hand-computed values.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::stats::{gini, has_nan, sorted_order, spearman, spearman_along, spearman_along_hinted, spearman_within};

/// One row of the long table, as the metrics need it. Hotkeys and buckets are dense ids
/// into the name tables passed alongside, so a sweep's thousands of variants stay cheap.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub step: usize,
    pub miner: u32,
    pub bucket: u32,
    pub window_score: f64,
    pub dust: f64,
    pub payout: f64,
    pub final_w: f64,
    pub reward_alpha: f64,
    pub reward_usd: f64,
    pub delta_usd: f64,
    pub baseline_usd: f64,
    /// The debt term `max(debt, dust)` compared with dust (0 on dust only).
    pub debt: f64,
    /// The baseline's dust-paid reward for the same miner and step (see [`dust_paid`]).
    pub baseline_dust_paid: f64,
}

/// The part of a reward that exists because of dust: when `max(debt, dust)` took the dust, the
/// share of the weight above the debt term. All of it before activation or on dust only.
pub fn dust_paid(reward_usd: f64, dust: f64, payout: f64, debt: f64) -> f64 {
    if dust > debt && payout > 0.0 && payout == dust { reward_usd * ((dust - debt) / dust) } else { 0.0 }
}

/// Floor and ceiling of a bucket under the policy (both in weight units).
pub type Bounds<'b> = &'b dyn Fn(&str) -> (f64, f64);

/// A bucket's floor and ceiling with the tolerance within which dust sits at each (1e-12
/// relative): the one rule of "at the floor" and "at the ceiling", with the tolerances taken
/// once per bucket rather than per row.
#[derive(Debug, Clone, Copy)]
struct Edges {
    floor: f64,
    tol_floor: f64,
    ceiling: f64,
    tol_ceiling: f64,
    /// Whether the ceiling is above the floor (a static bucket is only ever at its floor).
    has_ceiling: bool,
}

impl Edges {
    fn new((floor, ceiling): (f64, f64)) -> Self {
        let tol = |x: f64| 1e-12 * x.abs().max(1e-300);
        Edges { floor, tol_floor: tol(floor), ceiling, tol_ceiling: tol(ceiling), has_ceiling: ceiling > floor }
    }

    fn at_floor(&self, dust: f64) -> bool {
        (dust - self.floor).abs() <= self.tol_floor
    }

    fn at_ceiling(&self, dust: f64) -> bool {
        self.has_ceiling && (dust - self.ceiling).abs() <= self.tol_ceiling
    }
}

/// Share of rows at the floor and at the ceiling (ties within 1e-12 relative).
pub fn floor_ceiling_shares(dust: &[f64], bounds: &[(f64, f64)]) -> (f64, f64) {
    if dust.is_empty() {
        return (0.0, 0.0);
    }
    let edges = || dust.iter().zip(bounds).map(|(d, b)| (*d, Edges::new(*b)));
    let at_floor = edges().filter(|(d, e)| e.at_floor(*d)).count();
    let at_ceiling = edges().filter(|(d, e)| e.at_ceiling(*d)).count();
    (at_floor as f64 / dust.len() as f64, at_ceiling as f64 / dust.len() as f64)
}

/// Hierarchy violations at one step: for each pair of buckets with strictly ordered floors
/// (adjacent in that order), 1 if the lower bucket's best dust exceeds the higher bucket's
/// worst. `buckets` holds (floor, dust weights of its miners).
pub fn hierarchy_violations(buckets: &[(f64, Vec<f64>)]) -> usize {
    let mut levels = Vec::new();
    for (floor, d) in buckets.iter().filter(|(_, d)| !d.is_empty()) {
        let worst = d.iter().copied().fold(f64::INFINITY, f64::min);
        let best = d.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        add_level(&mut levels, *floor, worst, best);
    }
    violations_of(&mut levels)
}

/// Adds one bucket's worst and best dust to the (floor, worst, best) levels: buckets with the
/// same floor merge.
fn add_level(levels: &mut Vec<(f64, f64, f64)>, floor: f64, worst: f64, best: f64) {
    match levels.iter_mut().find(|l| l.0 == floor) {
        Some(l) => {
            l.1 = l.1.min(worst);
            l.2 = l.2.max(best);
        }
        None => levels.push((floor, worst, best)),
    }
}

/// Adjacent levels (by floor, highest first) whose lower level's best exceeds the higher's worst.
fn violations_of(levels: &mut [(f64, f64, f64)]) -> usize {
    levels.sort_by(|a, b| b.0.total_cmp(&a.0));
    levels.windows(2).filter(|w| w[1].2 > w[0].1).count()
}

/// Day-over-day churn: half the L1 distance between consecutive steps' final weights
/// (a hotkey absent at a step has weight 0), averaged over the steps after the first.
pub fn churn(steps: &[Vec<(&str, f64)>]) -> f64 {
    if steps.len() < 2 {
        return 0.0;
    }
    let mut total = 0.0;
    for w in steps.windows(2) {
        let prev: HashMap<&str, f64> = w[0].iter().copied().collect();
        let cur: HashMap<&str, f64> = w[1].iter().copied().collect();
        let mut d = 0.0;
        for (h, x) in &cur {
            d += (x - prev.get(h).copied().unwrap_or(0.0)).abs();
        }
        for (h, x) in &prev {
            if !cur.contains_key(h) {
                d += x.abs();
            }
        }
        total += d / 2.0;
    }
    total / (steps.len() - 1) as f64
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct BucketSeries {
    pub min: Vec<Option<f64>>,
    pub mean: Vec<Option<f64>>,
    pub max: Vec<Option<f64>>,
    pub spearman: Vec<Option<f64>>,
    pub cumulative_usd: Vec<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MinerDelta {
    pub hotkey: String,
    pub reward_usd: f64,
    pub delta_usd: f64,
    /// Delta in % of the baseline reward (None when the baseline paid nothing).
    pub delta_pct: Option<f64>,
}

/// One miner's dust-paid reward against the baseline's.
#[derive(Debug, Clone, Serialize)]
pub struct DustDelta {
    pub hotkey: String,
    pub dust_paid_usd: f64,
    pub baseline_dust_paid_usd: f64,
    pub delta_usd: f64,
    /// In % of the baseline's dust-paid reward (None when the baseline paid no dust).
    pub delta_pct: Option<f64>,
}

/// Everything the report says about one policy.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyMetrics {
    pub policy: String,
    pub steps: usize,
    pub miners: usize,
    pub reward_usd_by_bucket: BTreeMap<String, f64>,
    pub reward_alpha_by_bucket: BTreeMap<String, f64>,
    pub reward_usd_miners: f64,
    pub spearman_by_bucket: BTreeMap<String, Option<f64>>,
    /// Mean over steps of Spearman(window score, final weight) across the miners.
    pub reward_score_spearman: Option<f64>,
    pub share_at_floor: f64,
    pub share_at_ceiling: f64,
    pub floor_share_series: Vec<f64>,
    pub ceiling_share_series: Vec<f64>,
    pub hierarchy_violations: usize,
    pub steps_with_violations: usize,
    pub dust_by_bucket: BTreeMap<String, BucketSeries>,
    pub gini: f64,
    pub burn_share: f64,
    pub dust_share: f64,
    pub churn: f64,
    /// Miners whose reward falls more than 10% against the baseline.
    pub losers_over_10pct: usize,
    /// Dust-paid reward (USD) per bucket, under this policy and under the baseline.
    pub dust_paid_usd_by_bucket: BTreeMap<String, f64>,
    pub baseline_dust_paid_usd_by_bucket: BTreeMap<String, f64>,
    /// Miners whose dust-paid reward falls more than 10% against the baseline's.
    pub dust_losers_over_10pct: usize,
    /// Largest changes of dust-paid reward, ranked by % change (USD beside).
    pub dust_winners: Vec<DustDelta>,
    pub dust_losers: Vec<DustDelta>,
    pub winners: Vec<MinerDelta>,
    pub losers: Vec<MinerDelta>,
    /// Every miner's delta, sorted ascending (for the chart).
    pub deltas_sorted: Vec<f64>,
}

/// Names behind the ids of [`Row`].
pub struct Names<'a> {
    pub miners: &'a [String],
    pub buckets: &'a [String],
    /// Id of the burn row's hotkey (its rows are the burn, not a miner).
    pub burn: Option<u32>,
}

/// Computes one policy's metrics from its rows (all steps, burn rows included), rows grouped
/// by step in step order.
pub fn policy_metrics(policy: &str, n_steps: usize, rows: &[Row], names: &Names, bounds: Bounds) -> PolicyMetrics {
    policy_metrics_ordered(policy, n_steps, &mut SliceRows::new(rows), names, bounds, &[])
}

/// One step's rows, column by column: row `k` is entry `k` of every column.
#[derive(Debug, Clone, Copy)]
pub struct StepCols<'a> {
    pub miner: &'a [u32],
    pub bucket: &'a [u32],
    pub window_score: &'a [f64],
    pub dust: &'a [f64],
    pub payout: &'a [f64],
    pub final_w: &'a [f64],
    pub debt: &'a [f64],
    pub reward_alpha: &'a [f64],
    pub reward_usd: &'a [f64],
    pub delta_usd: &'a [f64],
    pub baseline_usd: &'a [f64],
    pub baseline_dust_paid: &'a [f64],
}

impl<'a> StepCols<'a> {
    /// The columns in field order: the two ids, then the ten values.
    pub fn of(ids: [&'a [u32]; 2], v: [&'a [f64]; 10]) -> Self {
        StepCols {
            miner: ids[0],
            bucket: ids[1],
            window_score: v[0],
            dust: v[1],
            payout: v[2],
            final_w: v[3],
            debt: v[4],
            reward_alpha: v[5],
            reward_usd: v[6],
            delta_usd: v[7],
            baseline_usd: v[8],
            baseline_dust_paid: v[9],
        }
    }

    /// The columns as [`StepCols::of`] takes them: the two ids, then the ten values.
    pub fn columns(&self) -> ([&'a [u32]; 2], [&'a [f64]; 10]) {
        (
            [self.miner, self.bucket],
            [
                self.window_score,
                self.dust,
                self.payout,
                self.final_w,
                self.debt,
                self.reward_alpha,
                self.reward_usd,
                self.delta_usd,
                self.baseline_usd,
                self.baseline_dust_paid,
            ],
        )
    }

    /// Rows `at` of every column.
    pub fn slice(&self, at: std::ops::Range<usize>) -> StepCols<'a> {
        let (ids, values) = self.columns();
        StepCols::of(ids.map(|c| &c[at.clone()]), values.map(|c| &c[at.clone()]))
    }
}

/// A policy's rows, one step at a time, as columns: the metrics hold a step's rows only, so a
/// sweep's variants never build their whole long table (a thousand variants' tables are
/// gigabytes written once and read once), and a variant's columns are read where the engine
/// wrote them instead of copied into a row apiece.
pub trait StepRows {
    /// Per bucket id, whether any miner row (the burn's rows left out) holds it.
    fn buckets_seen(&self, n_buckets: usize, burn: Option<u32>) -> Vec<bool>;
    /// The rows of `step` (steps are asked for in order).
    fn step(&mut self, step: usize) -> StepCols<'_>;
}

/// Per bucket id, whether any of the (hotkey id, bucket id) pairs not the burn's holds it: the
/// one rule of [`StepRows::buckets_seen`].
pub fn buckets_seen(rows: impl Iterator<Item = (u32, u32)>, n_buckets: usize, burn: Option<u32>) -> Vec<bool> {
    let mut p = vec![false; n_buckets];
    for (_, bucket) in rows.filter(|(m, _)| Some(*m) != burn) {
        p[bucket as usize] = true;
    }
    p
}

/// Rows held in one slice, grouped by step in step order.
pub struct SliceRows<'r> {
    rows: &'r [Row],
    next: usize,
    ids: [Vec<u32>; 2],
    cols: [Vec<f64>; 10],
}

impl<'r> SliceRows<'r> {
    pub fn new(rows: &'r [Row]) -> Self {
        SliceRows { rows, next: 0, ids: Default::default(), cols: Default::default() }
    }
}

impl StepRows for SliceRows<'_> {
    fn buckets_seen(&self, n_buckets: usize, burn: Option<u32>) -> Vec<bool> {
        buckets_seen(self.rows.iter().map(|r| (r.miner, r.bucket)), n_buckets, burn)
    }

    fn step(&mut self, step: usize) -> StepCols<'_> {
        let start = self.next;
        while self.next < self.rows.len() && self.rows[self.next].step == step {
            self.next += 1;
        }
        let rows = &self.rows[start..self.next];
        let ids: [fn(&Row) -> u32; 2] = [|r| r.miner, |r| r.bucket];
        for (col, get) in self.ids.iter_mut().zip(ids) {
            col.clear();
            col.extend(rows.iter().map(get));
        }
        let values: [fn(&Row) -> f64; 10] = [
            |r| r.window_score,
            |r| r.dust,
            |r| r.payout,
            |r| r.final_w,
            |r| r.debt,
            |r| r.reward_alpha,
            |r| r.reward_usd,
            |r| r.delta_usd,
            |r| r.baseline_usd,
            |r| r.baseline_dust_paid,
        ];
        for (col, get) in self.cols.iter_mut().zip(values) {
            col.clear();
            col.extend(rows.iter().map(get));
        }
        StepCols::of(self.ids.each_ref().map(Vec::as_slice), self.cols.each_ref().map(Vec::as_slice))
    }
}

/// A policy's rows held as whole columns, grouped by step in step order, with each row's
/// step: a report reads a run's table where it lies instead of copying it into rows.
pub struct ColumnRows<'a> {
    steps: &'a [usize],
    all: StepCols<'a>,
    next: usize,
}

impl<'a> ColumnRows<'a> {
    /// `steps[k]` is row `k`'s step; every column has one entry per row.
    pub fn new(steps: &'a [usize], all: StepCols<'a>) -> Self {
        assert!(steps.is_sorted(), "rows are grouped by step in step order");
        assert_eq!(all.miner.len(), steps.len(), "one step per row");
        ColumnRows { steps, all, next: 0 }
    }
}

impl StepRows for ColumnRows<'_> {
    fn buckets_seen(&self, n_buckets: usize, burn: Option<u32>) -> Vec<bool> {
        buckets_seen(self.all.miner.iter().copied().zip(self.all.bucket.iter().copied()), n_buckets, burn)
    }

    fn step(&mut self, step: usize) -> StepCols<'_> {
        let start = self.next;
        while self.next < self.steps.len() && self.steps[self.next] == step {
            self.next += 1;
        }
        self.all.slice(start..self.next)
    }
}

/// One miner's sums over the steps, and its final weight at this step and the last (for the
/// churn): one record per id, so a row touches one place, not six arrays.
#[derive(Debug, Clone, Copy, Default)]
struct MinerAcc {
    usd: f64,
    delta: f64,
    base: f64,
    dust_paid: f64,
    base_dust_paid: f64,
    cur_w: f64,
    prev_w: f64,
    /// The step the id was last seen at: membership in O(1) for the churn. Any id but the
    /// burn's seen at all has miner rows.
    seen_at: Option<usize>,
}

/// One bucket under the policy: its edges; this step's members (their count; their smallest,
/// largest and summed dust, folded in row order from the first; whether one's dust is NaN;
/// their rows in score order) and summed reward; its sums over the steps.
struct BucketAcc {
    edges: Edges,
    count: usize,
    lo: f64,
    hi: f64,
    sum: f64,
    nan_dust: bool,
    by_score: Vec<u32>,
    step_usd: f64,
    usd: f64,
    alpha: f64,
    dust_paid: f64,
    base_dust_paid: f64,
}

impl BucketAcc {
    fn new(bounds: (f64, f64)) -> Self {
        BucketAcc {
            edges: Edges::new(bounds),
            count: 0,
            lo: f64::NAN,
            hi: f64::NAN,
            sum: -0.0,
            nan_dust: false,
            by_score: Vec::new(),
            step_usd: -0.0,
            usd: 0.0,
            alpha: 0.0,
            dust_paid: 0.0,
            base_dust_paid: 0.0,
        }
    }

    fn begin_step(&mut self) {
        self.count = 0;
        self.nan_dust = false;
        self.by_score.clear();
        self.step_usd = -0.0;
    }

    /// A member's dust: `f64::min`/`max` from the first value on (as `reduce` folds them), the
    /// sum as `Iterator::sum` takes it (from −0).
    fn add_dust(&mut self, dust: f64) {
        if self.count == 0 {
            (self.lo, self.hi, self.sum) = (dust, dust, -0.0 + dust);
        } else {
            (self.lo, self.hi, self.sum) = (self.lo.min(dust), self.hi.max(dust), self.sum + dust);
        }
        self.count += 1;
        self.nan_dust |= dust.is_nan();
    }
}

/// A step's miner rows copied out of its rows: for a table that holds the burn's rows other
/// than last (the engine writes them last, and its miner rows are then a slice).
#[derive(Default)]
struct Apart {
    ids: [Vec<u32>; 2],
    cols: [Vec<f64>; 10],
}

impl Apart {
    fn gather<'s>(&'s mut self, all: &StepCols, burn: Option<u32>) -> StepCols<'s> {
        let keep: Vec<usize> = (0..all.miner.len()).filter(|&k| Some(all.miner[k]) != burn).collect();
        let (ids, values) = all.columns();
        for (to, from) in self.ids.iter_mut().zip(ids) {
            to.clear();
            to.extend(keep.iter().map(|&k| from[k]));
        }
        for (to, from) in self.cols.iter_mut().zip(values) {
            to.clear();
            to.extend(keep.iter().map(|&k| from[k]));
        }
        StepCols::of(self.ids.each_ref().map(Vec::as_slice), self.cols.each_ref().map(Vec::as_slice))
    }
}

/// Spearman of a bucket's clipped scores and dust over its members taken in row order, as
/// [`spearman_along`] and [`spearman`] take them: where a NaN (or a bucket of 2^16 members)
/// leaves the ranks to depend on the members' arrangement.
fn bucket_spearman_in_row_order(
    clipped: &[f64],
    dust: &[f64],
    bucket: &[u32],
    b: u32,
    by_score: Option<&[u32]>,
) -> Option<f64> {
    let members: Vec<u32> = (0..bucket.len() as u32).filter(|&k| bucket[k as usize] == b).collect();
    let x: Vec<f64> = members.iter().map(|&k| clipped[k as usize]).collect();
    let y: Vec<f64> = members.iter().map(|&k| dust[k as usize]).collect();
    match by_score {
        Some(rows) => {
            let places: Vec<u32> =
                rows.iter().map(|p| members.binary_search(p).expect("a member of the bucket") as u32).collect();
            spearman_along(&x, &y, &places)
        }
        None => spearman(&x, &y),
    }
}

/// [`policy_metrics`] given, per step, an order that sorts the step's window scores (its
/// miner rows, burn left out) where the caller holds one: a sweep's variants that share a
/// window share that sort. A step without one (or with one of another length) sorts.
pub fn policy_metrics_ordered(
    policy: &str,
    n_steps: usize,
    rows: &mut dyn StepRows,
    names: &Names,
    bounds: Bounds,
    score_orders: &[Option<&[u32]>],
) -> PolicyMetrics {
    let n_buckets = names.buckets.len();
    let mut per_bucket: Vec<BucketAcc> = names.buckets.iter().map(|b| BucketAcc::new(bounds(b))).collect();
    let present = rows.buckets_seen(n_buckets, names.burn);
    let mut series: Vec<BucketSeries> = vec![BucketSeries::default(); n_buckets];
    let mut cumulative = vec![0.0; n_buckets];
    let (mut floor_s, mut ceil_s) = (Vec::with_capacity(n_steps), Vec::with_capacity(n_steps));
    let (mut violations, mut steps_viol) = (0, 0);
    let (mut burn_total, mut dust_paid) = (0.0, 0.0);
    let (mut at_floor_all, mut at_ceiling_all, mut miner_rows) = (0usize, 0usize, 0usize);
    let mut reward_rho = Vec::new();
    let n_miners = names.miners.len();
    let mut per_miner = vec![MinerAcc::default(); n_miners];
    let (mut prev_ids, mut cur_ids): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
    let (mut churn_total, mut churn_steps) = (0.0, 0usize);
    // Per-step buffers, reused: miner rows copied apart, clipped scores, dust-paid rewards, the
    // final weights' runs, and the hierarchy's levels.
    let mut apart = Apart::default();
    let (mut clipped, mut paid): (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
    let mut runs: Vec<u32> = Vec::new();
    let mut levels: Vec<(f64, f64, f64)> = Vec::new();
    for step in 0..n_steps {
        let all = rows.step(step);
        cur_ids.clear();
        cur_ids.extend_from_slice(all.miner);
        // The burn's rows: its weight, and its id's place in the churn.
        let mut burn_rows = 0;
        if let Some(burn) = names.burn {
            for (k, &id) in all.miner.iter().enumerate().filter(|(_, id)| **id == burn) {
                let w = all.final_w[k];
                burn_total += w;
                burn_rows += 1;
                let e = &mut per_miner[id as usize];
                e.cur_w = w;
                e.seen_at = Some(step);
            }
        }
        let tail = all.miner.len() - burn_rows;
        let c = if burn_rows == 0 || all.miner[tail..].iter().all(|&id| Some(id) == names.burn) {
            all.slice(0..tail)
        } else {
            apart.gather(&all, names.burn)
        };
        // Every column cut to the miner rows' count: the loops read them without bounds checks.
        let m = c.miner.len();
        let (miner, bucket, final_w) = (&c.miner[..m], &c.bucket[..m], &c.final_w[..m]);
        let (dust_c, payout_c, usd_c, score_c) =
            (&c.dust[..m], &c.payout[..m], &c.reward_usd[..m], &c.window_score[..m]);
        let (alpha_c, delta_c, base_c) = (&c.reward_alpha[..m], &c.delta_usd[..m], &c.baseline_usd[..m]);
        let (debt_c, base_dp_c) = (&c.debt[..m], &c.baseline_dust_paid[..m]);
        // Column passes first (the dust-paid division, clipping): no row waits on them.
        clipped.clear();
        clipped.extend(score_c.iter().map(|s| s.max(0.0)));
        paid.clear();
        paid.extend((0..m).map(|k| self::dust_paid(usd_c[k], dust_c[k], payout_c[k], debt_c[k])));
        let paid = &paid[..m];
        for acc in per_bucket.iter_mut() {
            acc.begin_step();
        }
        let (mut f_n, mut c_n) = (0usize, 0usize);
        for k in 0..m {
            let (w, dust, usd) = (final_w[k], dust_c[k], usd_c[k]);
            let e = &mut per_miner[miner[k] as usize];
            e.cur_w = w;
            e.seen_at = Some(step);
            e.usd += usd;
            e.delta += delta_c[k];
            e.base += base_c[k];
            e.dust_paid += paid[k];
            e.base_dust_paid += base_dp_c[k];
            let acc = &mut per_bucket[bucket[k] as usize];
            acc.add_dust(dust);
            acc.step_usd += usd;
            acc.usd += usd;
            acc.alpha += alpha_c[k];
            acc.dust_paid += paid[k];
            acc.base_dust_paid += base_dp_c[k];
            f_n += usize::from(acc.edges.at_floor(dust));
            c_n += usize::from(acc.edges.at_ceiling(dust));
            // From an exact 0, adding 0 where the payout is not the dust changes no bit.
            dust_paid += if payout_c[k] == dust { w } else { 0.0 };
        }
        floor_s.push(if m > 0 { f_n as f64 / m as f64 } else { 0.0 });
        ceil_s.push(if m > 0 { c_n as f64 / m as f64 } else { 0.0 });
        at_floor_all += f_n;
        at_ceiling_all += c_n;
        miner_rows += m;
        let order: std::borrow::Cow<[u32]> = match score_orders.get(step).copied().flatten() {
            Some(o) if o.len() == m => o.into(),
            _ => sorted_order(score_c).into(),
        };
        // One sort of the step's scores serves every bucket: a bucket's members in that order
        // sort its clipped scores too (`max(0)` keeps the order). A NaN score clips out of place.
        let shared_order = !has_nan(score_c);
        if shared_order {
            for &p in order.iter() {
                per_bucket[bucket[p as usize] as usize].by_score.push(p);
            }
        }
        levels.clear();
        for b in 0..n_buckets {
            if !present[b] {
                continue;
            }
            let s = &mut series[b];
            let acc = &per_bucket[b];
            cumulative[b] += acc.step_usd;
            s.cumulative_usd.push(cumulative[b]);
            if acc.count == 0 {
                s.min.push(None);
                s.mean.push(None);
                s.max.push(None);
                s.spearman.push(None);
                continue;
            }
            let (lo, hi) = (acc.lo, acc.hi);
            s.min.push(Some(lo));
            s.max.push(Some(hi));
            s.mean.push(Some(acc.sum / acc.count as f64));
            s.spearman.push(match acc.count {
                0..3 => None,
                n if shared_order && !acc.nan_dust && n < 1 << 16 => spearman_within(&clipped, dust_c, &acc.by_score),
                _ => bucket_spearman_in_row_order(
                    &clipped,
                    dust_c,
                    bucket,
                    b as u32,
                    shared_order.then_some(acc.by_score.as_slice()),
                ),
            });
            // An all-NaN bucket's worst and best are the folds' starting infinities.
            let (worst, best) = if lo.is_nan() { (f64::INFINITY, f64::NEG_INFINITY) } else { (lo, hi) };
            add_level(&mut levels, acc.edges.floor, worst, best);
        }
        let v = violations_of(&mut levels);
        violations += v;
        steps_viol += usize::from(v > 0);
        // The final weights mostly rise with the score within a bucket: each bucket's members
        // in score order are the runs their sort merges.
        let y_runs = if shared_order {
            runs.clear();
            for acc in &per_bucket {
                runs.extend_from_slice(&acc.by_score);
            }
            Some(runs.as_slice())
        } else {
            None
        };
        if let Some(rho) = spearman_along_hinted(score_c, final_w, &order, y_runs) {
            reward_rho.push(rho);
        }
        // Churn: half the L1 move of final weights from the previous step (absent = 0).
        if step > 0 {
            let mut d = 0.0;
            for &id in &cur_ids {
                let e = &per_miner[id as usize];
                d += (e.cur_w - e.prev_w).abs();
            }
            for &id in &prev_ids {
                let e = &per_miner[id as usize];
                if e.seen_at != Some(step) {
                    d += e.prev_w.abs();
                }
            }
            churn_total += d / 2.0;
            churn_steps += 1;
        }
        for &id in &prev_ids {
            per_miner[id as usize].prev_w = 0.0;
        }
        for &id in &cur_ids {
            let e = &mut per_miner[id as usize];
            e.prev_w = e.cur_w;
        }
        std::mem::swap(&mut prev_ids, &mut cur_ids);
    }
    let has_rows = |(i, e): &(usize, &MinerAcc)| e.seen_at.is_some() && Some(*i as u32) != names.burn;
    let mut deltas: Vec<MinerDelta> = per_miner
        .iter()
        .enumerate()
        .filter(has_rows)
        .map(|(i, e)| MinerDelta {
            hotkey: names.miners[i].clone(),
            reward_usd: e.usd,
            delta_usd: e.delta,
            delta_pct: if e.base > 0.0 { Some(100.0 * e.delta / e.base) } else { None },
        })
        .collect();
    deltas.sort_by(|a, b| b.delta_usd.total_cmp(&a.delta_usd).then(a.hotkey.cmp(&b.hotkey)));
    let winners = deltas.iter().filter(|d| d.delta_usd >= 0.005).take(10).cloned().collect();
    let losers = deltas.iter().rev().filter(|d| d.delta_usd <= -0.005).take(10).cloned().collect();
    let rewards: Vec<f64> = deltas.iter().map(|d| d.reward_usd).collect();
    let mut dust_deltas: Vec<DustDelta> = per_miner
        .iter()
        .enumerate()
        .filter(has_rows)
        .map(|(i, e)| {
            let (p, b) = (e.dust_paid, e.base_dust_paid);
            DustDelta {
                hotkey: names.miners[i].clone(),
                dust_paid_usd: p,
                baseline_dust_paid_usd: b,
                delta_usd: p - b,
                delta_pct: if b > 0.0 { Some(100.0 * (p - b) / b) } else { None },
            }
        })
        .collect();
    // Ranked by % change (miners the baseline paid no dust last), then USD, then hotkey.
    dust_deltas.sort_by(|a, b| {
        let key = |d: &DustDelta| d.delta_pct.unwrap_or(f64::NEG_INFINITY);
        key(b).total_cmp(&key(a)).then(b.delta_usd.total_cmp(&a.delta_usd)).then(a.hotkey.cmp(&b.hotkey))
    });
    let dust_losers_over_10pct = dust_deltas.iter().filter(|d| d.delta_pct.is_some_and(|p| p < -10.0)).count();
    let dust_winners: Vec<DustDelta> = dust_deltas
        .iter()
        .filter(|d| d.delta_pct.is_some_and(|p| p > 0.0) && d.delta_usd >= 0.005)
        .take(10)
        .cloned()
        .collect();
    let dust_losers: Vec<DustDelta> = dust_deltas
        .iter()
        .rev()
        .filter(|d| d.delta_pct.is_some_and(|p| p < 0.0) && d.delta_usd <= -0.005)
        .take(10)
        .cloned()
        .collect();
    let mut deltas_sorted: Vec<f64> = deltas.iter().map(|d| d.delta_usd).collect();
    deltas_sorted.sort_by(f64::total_cmp);
    let mean = |v: &[f64]| if v.is_empty() { None } else { Some(v.iter().sum::<f64>() / v.len() as f64) };
    let name = |b: usize| names.buckets[b].clone();
    let live = |b: &usize| present[*b];
    let steps = n_steps.max(1) as f64;
    PolicyMetrics {
        policy: policy.to_string(),
        steps: n_steps,
        miners: deltas.len(),
        // Summed in bucket-name order: the same bits whatever the ids' order.
        reward_usd_miners: {
            let mut by_name: Vec<(&String, f64)> =
                (0..n_buckets).filter(live).map(|b| (&names.buckets[b], per_bucket[b].usd)).collect();
            by_name.sort_by(|a, b| a.0.cmp(b.0));
            by_name.iter().map(|x| x.1).sum()
        },
        reward_usd_by_bucket: (0..n_buckets).filter(live).map(|b| (name(b), per_bucket[b].usd)).collect(),
        reward_alpha_by_bucket: (0..n_buckets).filter(live).map(|b| (name(b), per_bucket[b].alpha)).collect(),
        spearman_by_bucket: (0..n_buckets)
            .filter(live)
            .map(|b| (name(b), mean(&series[b].spearman.iter().flatten().copied().collect::<Vec<_>>())))
            .collect(),
        reward_score_spearman: mean(&reward_rho),
        share_at_floor: if miner_rows > 0 { at_floor_all as f64 / miner_rows as f64 } else { 0.0 },
        share_at_ceiling: if miner_rows > 0 { at_ceiling_all as f64 / miner_rows as f64 } else { 0.0 },
        floor_share_series: floor_s,
        ceiling_share_series: ceil_s,
        hierarchy_violations: violations,
        steps_with_violations: steps_viol,
        dust_by_bucket: (0..n_buckets).filter(live).map(|b| (name(b), std::mem::take(&mut series[b]))).collect(),
        gini: gini(&rewards),
        burn_share: burn_total / steps,
        dust_share: dust_paid / steps,
        churn: if churn_steps > 0 { churn_total / churn_steps as f64 } else { 0.0 },
        losers_over_10pct: deltas.iter().filter(|d| d.delta_pct.is_some_and(|p| p < -10.0)).count(),
        dust_paid_usd_by_bucket: (0..n_buckets).filter(live).map(|b| (name(b), per_bucket[b].dust_paid)).collect(),
        baseline_dust_paid_usd_by_bucket: (0..n_buckets)
            .filter(live)
            .map(|b| (name(b), per_bucket[b].base_dust_paid))
            .collect(),
        dust_losers_over_10pct,
        dust_winners,
        dust_losers,
        winners,
        losers,
        deltas_sorted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_at_floor_and_ceiling() {
        let b = [(1.0, 2.0), (1.0, 2.0), (1.0, 2.0), (0.0, 0.0)];
        // 1 at the floor, 2 at the ceiling, 1.5 between, and a static 0 bucket (floor = ceiling).
        assert_eq!(floor_ceiling_shares(&[1.0, 2.0, 1.5, 0.0], &b), (0.5, 0.25));
    }

    #[test]
    fn hierarchy_violations_count_adjacent_pairs() {
        // MAINCOMP worst 3.0 ≥ PROBATION best 3.0: fine; PROBATION worst 2.0 < CHALLENGE best 2.5: one.
        let ok = [(3.0, vec![3.0, 4.0]), (2.0, vec![2.0, 3.0]), (1.0, vec![1.0, 2.0])];
        assert_eq!(hierarchy_violations(&ok), 0);
        let bad = [(3.0, vec![3.0, 4.0]), (2.0, vec![2.0, 3.0]), (1.0, vec![1.0, 2.5])];
        assert_eq!(hierarchy_violations(&bad), 1);
        // PLAGIARISM shares CHALLENGE's floor: merged, not compared with it.
        let same = [(1.0, vec![1.0, 2.0]), (1.0, vec![1.5]), (2.0, vec![0.5])];
        assert_eq!(hierarchy_violations(&same), 1);
    }

    #[test]
    fn policy_metrics_on_a_hand_computed_case() {
        let miners = ["a".to_string(), "b".to_string(), "burn".to_string()];
        let buckets = ["CHALLENGE".to_string(), "burn".to_string()];
        let names = Names { miners: &miners, buckets: &buckets, burn: Some(2) };
        let row = |step, miner, dust: f64, final_w: f64, usd: f64, delta: f64| Row {
            step,
            miner,
            bucket: if miner == 2 { 1 } else { 0 },
            window_score: dust,
            dust,
            payout: dust,
            final_w,
            reward_alpha: usd / 10.0,
            reward_usd: usd,
            delta_usd: delta,
            baseline_usd: usd - delta,
            debt: 0.0,
            baseline_dust_paid: usd - delta,
        };
        // floor 1, ceiling 2: step 0 a at the floor, b at the ceiling; step 1 both between.
        let rows = [
            row(0, 0, 1.0, 0.25, 10.0, 0.0),
            row(0, 1, 2.0, 0.25, 30.0, -20.0),
            row(0, 2, 0.0, 0.5, 0.0, 0.0),
            row(1, 0, 1.5, 0.5, 20.0, 5.0),
            row(1, 1, 1.5, 0.25, 10.0, 0.0),
            row(1, 2, 0.0, 0.25, 0.0, 0.0),
        ];
        let bounds = |b: &str| if b == "CHALLENGE" { (1.0, 2.0) } else { (0.0, 0.0) };
        let m = policy_metrics("p", 2, &rows, &names, &bounds);
        assert_eq!((m.share_at_floor, m.share_at_ceiling), (0.25, 0.25));
        assert_eq!(m.burn_share, (0.5 + 0.25) / 2.0);
        assert_eq!(m.dust_share, (0.25 + 0.25 + 0.5 + 0.25) / 2.0, "every payout here is its dust");
        // churn: a +0.25, burn −0.25 → 0.25
        let reference =
            churn(&[vec![("a", 0.25), ("b", 0.25), ("burn", 0.5)], vec![("a", 0.5), ("b", 0.25), ("burn", 0.25)]]);
        assert_eq!(m.churn, reference);
        assert_eq!(m.churn, 0.25);
        assert_eq!(m.reward_usd_miners, 70.0);
        assert_eq!(m.losers_over_10pct, 1, "b: −20 of a 50 baseline");
        assert_eq!(m.winners[0].hotkey, "a");
        assert_eq!(m.dust_by_bucket["CHALLENGE"].mean, vec![Some(1.5), Some(1.5)]);
    }

    /// Rows of three miners (two buckets) and the burn over three steps, in exact binary
    /// fractions so that no sum depends on the order it is taken in.
    fn three_steps(burn_first: bool, nan_dust: bool) -> Vec<Row> {
        let mut rows = Vec::new();
        for step in 0..3 {
            let mut burn = None;
            for miner in 0..5u32 {
                let bucket = match miner {
                    4 => 2,
                    0..=2 => 0,
                    _ => 1,
                };
                let score: f64 = [3.0, -1.0, 2.0, 0.5][(miner as usize + step) % 4];
                let dust = if nan_dust && miner == 1 && step == 1 { f64::NAN } else { 1.0 + score.max(0.0) / 4.0 };
                let (final_w, payout) = if miner == 4 { (0.25, 0.25) } else { (dust / 8.0, dust) };
                let row = Row {
                    step,
                    miner,
                    bucket,
                    window_score: if miner == 4 { 0.0 } else { score },
                    dust: if miner == 4 { 0.0 } else { dust },
                    payout,
                    final_w,
                    reward_alpha: final_w * 2.0,
                    reward_usd: final_w * 4.0,
                    delta_usd: 0.5,
                    baseline_usd: final_w * 4.0 - 0.5,
                    debt: if miner == 3 { 0.5 } else { 0.0 },
                    baseline_dust_paid: 0.25,
                };
                match (miner, burn_first) {
                    (4, true) => burn = Some(row),
                    _ => rows.push(row),
                }
            }
            if let Some(b) = burn {
                let at = rows.len() - 4;
                rows.insert(at, b);
            }
        }
        rows
    }

    fn three_step_names() -> (Vec<String>, Vec<String>) {
        (
            ["a", "b", "c", "d", "burn"].map(String::from).to_vec(),
            ["CHALLENGE", "MAINCOMP", "burn"].map(String::from).to_vec(),
        )
    }

    #[test]
    fn metrics_do_not_depend_on_where_a_step_holds_the_burn_s_row() {
        let (miners, buckets) = three_step_names();
        let names = Names { miners: &miners, buckets: &buckets, burn: Some(4) };
        let bounds = |b: &str| match b {
            "CHALLENGE" => (1.0, 2.0),
            "MAINCOMP" => (3.0, 4.0),
            _ => (0.0, 0.0),
        };
        let last = three_steps(false, false);
        let first = three_steps(true, false);
        assert_eq!(first[0].miner, 4, "the burn's row leads each step");
        let (a, b) = (policy_metrics("p", 3, &last, &names, &bounds), policy_metrics("p", 3, &first, &names, &bounds));
        assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
        assert_eq!(a.burn_share, 0.25);
        // Step 0: c (score 2) and a (score 3) above b (score −1) in CHALLENGE: ranks agree.
        assert_eq!(a.dust_by_bucket["CHALLENGE"].spearman[0], Some(1.0));
        assert!(a.reward_score_spearman.is_some());
    }

    #[test]
    fn a_bucket_holding_a_nan_dust_ranks_its_members_in_row_order() {
        let (miners, buckets) = three_step_names();
        let names = Names { miners: &miners, buckets: &buckets, burn: Some(4) };
        let bounds = |b: &str| if b == "burn" { (0.0, 0.0) } else { (1.0, 2.0) };
        let rows = three_steps(false, true);
        let m = policy_metrics("p", 3, &rows, &names, &bounds);
        let members: Vec<&Row> = rows.iter().filter(|r| r.step == 1 && r.bucket == 0).collect();
        let clipped: Vec<f64> = members.iter().map(|r| r.window_score.max(0.0)).collect();
        let dust: Vec<f64> = members.iter().map(|r| r.dust).collect();
        assert!(dust.iter().any(|d| d.is_nan()));
        let expected = spearman(&clipped, &dust);
        let got = m.dust_by_bucket["CHALLENGE"].spearman[1];
        assert_eq!(got.map(f64::to_bits), expected.map(f64::to_bits));
    }

    #[test]
    fn churn_is_half_the_l1_move() {
        let steps = vec![vec![("a", 0.5), ("b", 0.5)], vec![("a", 0.7), ("b", 0.3)], vec![("a", 0.7), ("c", 0.3)]];
        // step 1: (0.2 + 0.2)/2 = 0.2; step 2: b leaves (0.3), c arrives (0.3) → 0.3; mean 0.25
        assert!((churn(&steps) - 0.25).abs() < 1e-15);
        assert_eq!(churn(&steps[..1]), 0.0);
    }
}
