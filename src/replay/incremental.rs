//! The attack's incremental path: one policy over a fixed population plus a few added miners.
//!
//! An attack replays the same population (per Monte Carlo run) once per candidate adversary,
//! and the candidate changes only its own few hotkeys. Everything the engine's prelude derives
//! per miner (presence, bucket, collateral, window score, last month's earnings, emission
//! facts) depends on that miner's ledger alone, so the population's is computed once per run
//! (a [`Digest`]) and a candidate's added miners get their own small digest. [`walk`] then
//! replays the policy over both, step by step, as the engine's policy loop does: dust per
//! bucket over everyone, the closed loop's debt from running sums of the policy's own
//! payments (the monthly model owes last month's earnings less this month's payments), the
//! settle and burn step, the payments. It sums what an adversary outcome needs in the
//! results table's row order, so it agrees with a full replay to rounding (a test holds both
//! paths together on random scenarios).
//!
//! Not every policy allows it ([`unsupported`] says why); the attack then replays in full.

use super::emission::{DEFAULT_ALPHA_USD, DEFAULT_POOL, Source};
use super::engine::{Engine, Feedback, Shared, smooth};
use super::sources::History;
use crate::error::InputError;
use crate::ledger::Status;
use crate::ledger::metagraph::MetagraphSeries;
use crate::ledger::store::{AsOf, Store};
use crate::policy::DustPolicy;
use crate::policy::collateral;
use crate::policy::config::Smoothing;
use crate::policy::dust::{Base, Scratch, added_dust, bucket_dust, clamped_extremes, dust_weights_grouped};
use crate::policy::payout::{self, Debt, MonthPaid, Monthly};
use crate::time::{CHECKPOINT_MS, MS_PER_DAY, Month};

/// Why `policy` cannot take the incremental path under `feedback` (None: it can).
pub fn unsupported(policy: &DustPolicy, feedback: Feedback) -> Option<String> {
    if policy.dust_by_era {
        return Some(format!("{}: its dust follows each release (preset \"production\")", policy.name));
    }
    if feedback == Feedback::Historical {
        return Some(
            "open loop: each candidate's adversaries are first paid by a replay of the generator's payer".into(),
        );
    }
    match payout::model(&policy.payout) {
        Ok(m) if m.monthly().is_some() || policy.payout == "dust-only" => None,
        _ => Some(format!("{}: payout model {} has no per-miner running debt", policy.name, policy.payout)),
    }
}

/// What a digest is built with: the same for the population and for the miners added to it.
#[derive(Clone, Copy)]
pub struct Setup<'a> {
    pub policy: &'a DustPolicy,
    pub steps: &'a [i64],
    pub step_ms: i64,
    pub buckets: Option<&'a History<Status>>,
    pub metagraph: Option<&'a MetagraphSeries>,
    pub pool: &'a Source,
    pub price: &'a Source,
    pub feedback: Feedback,
    /// The newest checkpoint of the run (presence treats ledgers reaching it as alive).
    pub data_end: i64,
}

impl Setup<'_> {
    /// Whether the policy reads its own payments (as the engine decides it).
    fn closed(&self) -> bool {
        self.feedback == Feedback::Simulated && self.policy.payout != "dust-only"
    }
}

/// One store's per-step entries (its present miners, in store order) and checkpoints.
pub struct Digest {
    /// Entries of step `s` are `offsets[s]..offsets[s + 1]`.
    offsets: Vec<usize>,
    miner: Vec<u32>,
    /// The entry's bucket, as an index into `statuses`.
    bucket: Vec<u8>,
    statuses: Vec<Status>,
    /// Open loop: the model's remaining USD. Closed loop: what the miner earned last month
    /// (NaN for a ledger without checkpoints, which is owed nothing).
    debt: Vec<f64>,
    /// The entry's dust weight among this store's miners alone. Dust is scaled within a
    /// bucket, so a bucket no added miner joins keeps these weights.
    dust0: Vec<f64>,
    /// Per step, each bucket's run in `grouped`, buckets in order of first appearance.
    groups: Vec<Vec<Group>>,
    /// The groups' members (indexes within the step), with their window scores and
    /// collateral, bucket by bucket: a walk scales a bucket an adversary joins from these
    /// runs instead of gathering the members' entries at every step.
    grouped: Vec<u32>,
    grouped_score: Vec<f64>,
    grouped_collateral: Vec<f64>,
    /// The groups' weakest members under the collateral rule ([`Group::weakest`]).
    weakest: Vec<u32>,
    /// Per entry, alpha received over (t, t + step] and alpha → USD (NaN: unknown), each
    /// only when the emission model derives it from the ledgers.
    received: Vec<f64>,
    rate: Vec<f64>,
    /// Per step, the sums the emission model takes over the step's entries, population
    /// first: Σ received, and Σ and count of the known rates. A walk goes on from the
    /// population's (a sum in order is a fold, so going on from its prefix is the sum).
    received_sum: Vec<f64>,
    rate_sum: Vec<(f64, usize)>,
    /// Per step: whether the debt side is active.
    active: Vec<bool>,
    /// Checkpoints of miner `m` are `cp_offsets[m]..cp_offsets[m + 1]` (closed loop only).
    cp_offsets: Vec<usize>,
    ts: Vec<i64>,
    earning: Vec<bool>,
    /// What the closed loop starts from: the record up to the replay's start, 0 after it.
    paid0: Vec<f64>,
    /// Per miner: its first checkpoint, when its checkpoints are 12 h apart (a timestamp is
    /// then arithmetic, not a load from a column far larger than a cache).
    first: Vec<Option<i64>>,
    /// Per miner: whether its recorded payments are all ≥ 0 (so are its sums).
    nonneg: Vec<bool>,
}

impl Digest {
    /// The digest of `store` with its collateral, through the engine's own prelude.
    pub fn build(setup: &Setup, store: &Store, collateral: Option<&History<f64>>) -> Result<Digest, InputError> {
        let policies = std::slice::from_ref(setup.policy);
        let mut engine = Engine::new(policies, setup.steps.to_vec(), setup.step_ms)?;
        engine.buckets = setup.buckets;
        engine.collateral = collateral;
        engine.metagraph = setup.metagraph;
        engine.set_emission(setup.pool, setup.price);
        engine.feedback = setup.feedback;
        let model = payout::model(&setup.policy.payout)?;
        let monthly = model.monthly();
        let closed = setup.closed();
        let n_steps = setup.steps.len();
        let mut d = Digest {
            offsets: Vec::with_capacity(n_steps + 1),
            miner: Vec::new(),
            bucket: Vec::new(),
            statuses: Vec::new(),
            debt: Vec::new(),
            dust0: Vec::new(),
            groups: Vec::with_capacity(n_steps),
            grouped: Vec::new(),
            grouped_score: Vec::new(),
            grouped_collateral: Vec::new(),
            weakest: Vec::new(),
            received: Vec::new(),
            rate: Vec::new(),
            received_sum: Vec::with_capacity(n_steps),
            rate_sum: Vec::with_capacity(n_steps),
            active: Vec::with_capacity(n_steps),
            cp_offsets: vec![0],
            ts: Vec::new(),
            earning: Vec::new(),
            paid0: Vec::new(),
            first: Vec::new(),
            nonneg: Vec::new(),
        };
        d.offsets.push(0);
        let start_ms = setup.steps.first().copied().unwrap_or(i64::MIN);
        // The collateral rule's standing of each group is ranked in these.
        let mut work = (Vec::new(), collateral::Buffers::default());
        // Steps one at a time, each appended and dropped, so a digest (one per candidate)
        // never holds a year of the prelude's per-step tables.
        engine.prelude_with(store, 0..n_steps, setup.data_end, |step| {
            setup.steps.iter().try_for_each(|&t| {
                let sh = step(t)?;
                d.append(setup, store, &sh, t, closed, monthly, &mut work)
            })
        })?;
        // The checkpoints only a closed loop reads (an open loop keeps their count: none).
        for s in &store.miners {
            d.first.push(if s.contiguous { s.ts.first().copied() } else { None });
            d.nonneg.push(s.ts.iter().zip(&s.usd).all(|(&ts, &usd)| ts > start_ms || usd >= 0.0));
            if closed {
                d.ts.extend_from_slice(&s.ts);
                d.earning.extend(s.status.iter().map(Status::is_earning));
                d.paid0.extend(s.ts.iter().zip(&s.usd).map(|(&ts, &usd)| if ts <= start_ms { usd } else { 0.0 }));
            }
            d.cp_offsets.push(d.ts.len());
        }
        Ok(d)
    }

    /// Appends step `t`'s entries from the prelude's `sh`.
    #[allow(clippy::too_many_arguments)]
    fn append(
        &mut self,
        setup: &Setup,
        store: &Store,
        sh: &Shared,
        t: i64,
        closed: bool,
        monthly: Option<&Monthly>,
        (clamped, ranking): &mut (Vec<f64>, collateral::Buffers),
    ) -> Result<(), InputError> {
        let d = self;
        let view = AsOf::of_subset(store, &sh.present, t);
        d.miner.extend(sh.present.iter().map(|&m| m as u32));
        for b in &sh.buckets {
            let id = match d.statuses.iter().position(|x| x == b) {
                Some(i) => i,
                None => {
                    d.statuses.push(b.clone());
                    d.statuses.len() - 1
                }
            };
            d.bucket.push(u8::try_from(id).map_err(|_| InputError::Usage("more than 256 buckets".into()))?);
        }
        let scores = &sh.scores[sh.score_index(0)];
        d.dust0.extend(dust_weights_grouped(setup.policy, &sh.groups, scores, &sh.collateral, None));
        let step_start = d.offsets[d.offsets.len() - 1];
        let mut groups = Vec::with_capacity(sh.groups.len());
        for (bucket, m) in &sh.groups {
            let from = d.grouped.len();
            d.grouped.extend(m.iter().map(|&k| k as u32));
            d.grouped_score.extend(m.iter().map(|&k| scores[k]));
            d.grouped_collateral.extend(m.iter().map(|&k| sh.collateral[k]));
            let members = from..d.grouped.len();
            let extremes = clamped_extremes(d.grouped_score[members.clone()].iter().copied());
            let weakest_from = d.weakest.len();
            let zero = match &setup.policy.collateral {
                Some(rule) if rule.bucket == bucket.as_str() => {
                    clamped.clear();
                    clamped.extend(d.grouped_score[members.clone()].iter().map(|s| s.max(0.0)));
                    let coll = &d.grouped_collateral[members.clone()];
                    collateral::standing(rule, clamped, coll, ranking, &mut d.weakest)
                }
                _ => 0,
            };
            let weakest = weakest_from as u32..d.weakest.len() as u32;
            groups.push(Group { bucket: d.bucket[step_start + m[0]], members, extremes, zero, weakest });
        }
        d.groups.push(groups);
        if *setup.pool == Source::Ledgers {
            d.received.extend((0..view.len()).map(|k| view.alpha_received(k, t + 1, t + setup.step_ms)));
            d.received_sum.push(d.received[step_start..].iter().sum());
        }
        if *setup.price == Source::Ledgers {
            d.rate.extend((0..view.len()).map(|k| view.alpha_usd_at(k).unwrap_or(f64::NAN)));
            let known = || d.rate[step_start..].iter().filter(|x| !x.is_nan());
            d.rate_sum.push((known().sum(), known().count()));
        }
        match (closed, monthly) {
            (true, Some(m)) => {
                d.active.push(m.active(t));
                // The prelude's own figure where it computed one (any monthly closed loop).
                let needed = |k: usize| sh.needed.get(k).copied().unwrap_or_else(|| Monthly::needed(&view, k));
                d.debt.extend((0..view.len()).map(|k| if view.has_checkpoints(k) { needed(k) } else { f64::NAN }));
            }
            _ => match &sh.debts[0] {
                Debt::Remaining(r) => {
                    d.active.push(true);
                    d.debt.extend_from_slice(r);
                }
                _ => {
                    d.active.push(false);
                    d.debt.extend(std::iter::repeat_n(0.0, view.len()));
                }
            },
        }
        d.offsets.push(d.miner.len());
        Ok(())
    }

    fn miners(&self) -> usize {
        self.cp_offsets.len() - 1
    }

    fn entries(&self, s: usize) -> std::ops::Range<usize> {
        self.offsets[s]..self.offsets[s + 1]
    }

    /// Index (into the columns) just past miner `m`'s last checkpoint at or before `t`.
    #[inline]
    fn count_at_or_before(&self, m: usize, t: i64) -> usize {
        let (lo, hi) = (self.cp_offsets[m], self.cp_offsets[m + 1]);
        match self.first[m] {
            Some(first) if t < first => lo,
            Some(first) => (lo + ((t - first) / CHECKPOINT_MS) as usize + 1).min(hi),
            None => lo + self.ts[lo..hi].partition_point(|&x| x <= t),
        }
    }

    /// Timestamp of checkpoint `c` of miner `m`.
    #[inline]
    fn ts_of(&self, m: usize, c: usize) -> i64 {
        match self.first[m] {
            Some(first) => first + (c - self.cp_offsets[m]) as i64 * CHECKPOINT_MS,
            None => self.ts[c],
        }
    }

    /// Step `s`'s group of bucket `status`, if any member is in it.
    fn group(&self, s: usize, status: &Status) -> Option<&Group> {
        self.groups[s].iter().find(|g| self.statuses[g.bucket as usize] == *status)
    }

    /// What the members of `g` leave for the dust of members added to it.
    fn base(&self, g: &Group) -> Base<'_> {
        Base {
            scores: &self.grouped_score[g.members.clone()],
            collateral: &self.grouped_collateral[g.members.clone()],
            extremes: g.extremes,
            zero: g.zero,
            weakest: &self.weakest[g.weakest.start as usize..g.weakest.end as usize],
        }
    }
}

/// One bucket's members at one step of a digest.
struct Group {
    /// The bucket, as an index into `statuses`.
    bucket: u8,
    /// Where its members lie in `grouped`.
    members: std::ops::Range<usize>,
    /// The least and greatest of their clipped scores.
    extremes: (f64, f64),
    /// In the collateral rule's bucket: the members without collateral, and where the others'
    /// weakest lie in `weakest` (`collateral::standing`).
    zero: usize,
    weakest: std::ops::Range<u32>,
}

/// What an added miner is to the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Adversary,
    Twin,
}

/// An adversary block's sums over the run, in the results table's row order: what its outcome
/// is built from (`metrics::adversary::outcome_of`), whether summed from the engine's rows or
/// by [`walk`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sums {
    pub adversary_usd: f64,
    pub twin_usd: f64,
    /// The population's own miners of the block's bucket (no injected hotkey).
    pub rivals_usd: f64,
    /// Σ (dust − floor) / width over the other rows of the bucket, and their number.
    pub rival: (f64, usize),
    /// Every miner's reward.
    pub total: f64,
}

/// One miner's closed loop: what it was paid this month, and its payment not yet summed.
#[derive(Clone, Copy, Default)]
struct Running {
    paid: MonthPaid,
    /// The last payment not yet summed: each checkpoint of `[from, to)` got `each`. A
    /// payment goes to the checkpoints of (t, t + step], all at or before the next step, and
    /// the sum catches up at every step the miner is present before it is paid again, so
    /// there is never more than one.
    from: usize,
    to: usize,
    each: f64,
}

impl Running {
    /// Sums the miner's checkpoints up to `t` into this month's payments.
    fn catch_up(&mut self, d: &Digest, m: usize, t: i64, month: i64) {
        let (from, to, each) = (self.from, self.to, self.each);
        self.paid.catch_up(
            month,
            || d.count_at_or_before(m, month - 1),
            d.cp_offsets[m + 1],
            |c| d.ts_of(m, c) <= t,
            // A paid checkpoint lies after the replay's start, where the record is 0.
            |c| d.earning[c].then(|| if (from..to).contains(&c) { 0.0 + each } else { d.paid0[c] }),
        );
    }

    /// Pays `usd` on the miner's checkpoints of (t, t + step], split evenly.
    fn pay(&mut self, d: &Digest, m: usize, t: i64, step_ms: i64, usd: f64) {
        let (i, j) = (d.count_at_or_before(m, t), d.count_at_or_before(m, t + step_ms));
        if j > i {
            (self.from, self.to, self.each) = (i, j, usd / (j - i) as f64);
        }
    }
}

/// Whether `steps` is a regular clock of `step_ms` (the closed loop's running sums rely on
/// every payment being summed by the next step).
pub fn regular(steps: &[i64], step_ms: i64) -> bool {
    steps.windows(2).all(|w| w[1] - w[0] == step_ms)
}

/// Replays `setup.policy` over the population (`pop`) plus the added miners (`extra`, with
/// each one's role), summing the block of `bucket`.
pub fn walk(setup: &Setup, pop: &Digest, extra: &Digest, roles: &[Role], bucket: &str) -> Result<Sums, InputError> {
    let policy = setup.policy;
    let model = payout::model(&policy.payout)?;
    let closed = setup.closed();
    if closed && !regular(setup.steps, setup.step_ms) {
        return Err(InputError::Usage("the incremental path needs a regular clock".into()));
    }
    let (np, ne) = (pop.miners(), extra.miners());
    let mut running: [Vec<Running>; 2] = [pop, extra].map(|d| vec![Running::default(); d.miners()]);
    let smoothing = policy.smoothing != Smoothing::None;
    let ids: Vec<u32> = if smoothing { (0..(np + ne) as u32).collect() } else { Vec::new() };
    let mut prev: Vec<(f64, u32)> = if smoothing { vec![(f64::NAN, u32::MAX); np + ne] } else { Vec::new() };
    let mut present: Vec<usize> = Vec::new();
    let target = Status::parse(bucket);
    // `parse` is canonical, so comparing statuses is the results table's compare of names.
    let rival_bucket = pop.statuses.iter().position(|s| *s == target).map(|i| i as u8);
    let floor = policy.floor_multiplier(&target) * policy.dust;
    let width = policy.ceiling_width_of(&target) * policy.dust;
    let step_days = setup.step_ms as f64 / MS_PER_DAY as f64;
    let mut dust: Vec<f64> = Vec::new();
    let mut scratch = Scratch::default();
    let mut sums = Sums::default();
    let mut spare: Vec<f64> = Vec::new();
    // Payments are never negative when the pool and price are not (weights never are).
    let nonneg = |x: &Source| match x {
        Source::Constant(v) => *v >= 0.0,
        Source::Ledgers => true,
    };
    let skip_unowed = nonneg(setup.pool) && nonneg(setup.price);
    for (s, &t) in setup.steps.iter().enumerate() {
        let (a, b) = (pop.entries(s), extra.entries(s));
        let np_here = a.len();
        // The step's entries, population first (the engine's row order), with their digest.
        // (Nested loops over the two parts: a flattened iterator cost the walk 10 %.)
        let parts = [(0, pop, a.clone()), (1, extra, b.clone())];
        // A miner owed nothing this month (last month's earnings ≤ 0, payments never negative)
        // is owed nothing whatever it was paid.
        let unowed = |d: &Digest, e: usize| skip_unowed && d.debt[e] <= 0.0 && d.nonneg[d.miner[e] as usize];
        dust.clear();
        dust.extend_from_slice(&pop.dust0[a.clone()]);
        dust.extend_from_slice(&extra.dust0[b.clone()]);
        // Only the buckets the added miners join (their own groups) are scaled again, over
        // all their members: the population's first, in file order, as the engine groups
        // them. Member `i` is `pop`'s `own.start + i` below `k0`, then `extra`'s from
        // `more.start`.
        for more in &extra.groups[s] {
            let status = &extra.statuses[more.bucket as usize];
            let more = more.members.clone();
            let own = pop.group(s, status);
            // Added miners that leave the population's extremes where they were leave its
            // members' dust as the digest holds it (but for a few the collateral rule now
            // zeroes or spares): only theirs is computed.
            if let Some(own) = own {
                let base = pop.base(own);
                let (scores, coll) = (&extra.grouped_score[more.clone()], &extra.grouped_collateral[more.clone()]);
                let (k0, at) = (base.scores.len(), own.members.start);
                let put = |i: usize, w: f64| match i.checked_sub(k0) {
                    None => dust[pop.grouped[at + i] as usize] = w,
                    Some(k) => dust[extra.grouped[more.start + k] as usize + np_here] = w,
                };
                if added_dust(policy, status, &base, scores, coll, &mut scratch, put) {
                    continue;
                }
            }
            let own = own.map_or(0..0, |g| g.members.clone());
            let k0 = own.len();
            let at = |i: usize| if i < k0 { (pop, own.start + i) } else { (extra, more.start + i - k0) };
            let score = |i: usize| {
                let (d, g) = at(i);
                d.grouped_score[g]
            };
            let coll = |i: usize| {
                let (d, g) = at(i);
                d.grouped_collateral[g]
            };
            let put = |i: usize, w: f64| {
                let (d, g) = at(i);
                dust[d.grouped[g] as usize + if i < k0 { 0 } else { np_here }] = w;
            };
            bucket_dust(policy, status, k0 + more.len(), score, coll, &mut scratch, put);
        }
        if smoothing {
            present.clear();
            present.extend(pop.miner[a.clone()].iter().map(|&m| m as usize));
            present.extend(extra.miner[b.clone()].iter().map(|&m| m as usize + np));
            smooth(policy, &mut dust, &present, &ids, &mut prev, s as u32);
        }
        if closed && pop.active[s] {
            // The sums a debt reads catch up. An unowed miner's sum is left behind: the
            // payments it skips all fall in months where it is unowed, or in months without a
            // debt (a payment is summed by the next step).
            let month = Month::of_ms(t).start_ms();
            for (which, d, r) in &parts {
                for e in r.clone() {
                    if !d.debt[e].is_nan() && !unowed(d, e) {
                        let m = d.miner[e] as usize;
                        running[*which][m].catch_up(d, m, t, month);
                    }
                }
            }
        }
        let debt = if !pop.active[s] {
            Debt::DustOnly
        } else if closed {
            let mut remaining = std::mem::take(&mut spare);
            remaining.clear();
            for (which, d, r) in &parts {
                remaining.extend(r.clone().map(|e| match d.debt[e] {
                    needed if needed.is_nan() => 0.0,
                    needed if unowed(d, e) => Monthly::remaining_of(needed, 0.0),
                    needed => Monthly::remaining_of(needed, running[*which][d.miner[e] as usize].paid.sum),
                }));
            }
            Debt::Remaining(remaining)
        } else {
            let mut r = std::mem::take(&mut spare);
            r.clear();
            r.extend_from_slice(&pop.debt[a.clone()]);
            r.extend_from_slice(&extra.debt[b.clone()]);
            Debt::Remaining(r)
        };
        let pay = model.settle(&dust, &debt);
        if let Debt::Remaining(r) = debt {
            spare = r;
        }
        // The engine's sums over the step's miners, in its order.
        let price = match setup.price {
            Source::Constant(x) => *x,
            Source::Ledgers => {
                let more = extra.rate[b.clone()].iter().filter(|x| !x.is_nan());
                let (sum, n) = more.fold(pop.rate_sum[s], |(sum, n), x| (sum + x, n + 1));
                if n == 0 { DEFAULT_ALPHA_USD } else { sum / n as f64 }
            }
        };
        let pool = match setup.pool {
            Source::Constant(x) => *x,
            Source::Ledgers => {
                let got = extra.received[b.clone()].iter().fold(pop.received_sum[s], |acc, x| acc + x);
                let share = pay.final_w.iter().fold(0.0, |acc, w| acc + w);
                if share > 1e-12 && got > 0.0 { got / share / step_days } else { DEFAULT_POOL }
            }
        };
        for (k, &w) in pay.final_w.iter().enumerate() {
            let (which, d, e) = if k < np_here { (0, pop, a.start + k) } else { (1, extra, b.start + k - np_here) };
            let usd = w * pool * step_days * price;
            sums.total += usd;
            if which == 0 {
                if Some(pop.bucket[e]) == rival_bucket {
                    sums.rivals_usd += usd;
                    if width > 0.0 {
                        sums.rival.0 += (dust[k] - floor) / width;
                        sums.rival.1 += 1;
                    }
                }
            } else {
                match roles[extra.miner[e] as usize] {
                    Role::Adversary => sums.adversary_usd += usd,
                    Role::Twin => sums.twin_usd += usd,
                }
            }
            if closed && usd != 0.0 {
                let m = d.miner[e] as usize;
                running[which][m].pay(d, m, t, setup.step_ms, usd);
            }
        }
    }
    Ok(sums)
}
