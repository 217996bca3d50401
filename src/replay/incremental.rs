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
use super::engine::{Engine, Feedback, smooth};
use super::sources::History;
use crate::error::InputError;
use crate::ledger::Status;
use crate::ledger::metagraph::MetagraphSeries;
use crate::ledger::store::{AsOf, Store};
use crate::policy::DustPolicy;
use crate::policy::config::Smoothing;
use crate::policy::dust::{dust_weights_grouped, group_by_bucket};
use crate::policy::payout::{self, Debt, Monthly};
use crate::time::{MS_PER_DAY, Month};

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
    bucket: Vec<Status>,
    collateral: Vec<f64>,
    score: Vec<f64>,
    /// Open loop: the model's remaining USD. Closed loop: what the miner earned last month
    /// (NaN for a ledger without checkpoints, which is owed nothing).
    debt: Vec<f64>,
    /// Alpha the entry's miner received over (t, t + step] (only when the pool is derived).
    received: Vec<f64>,
    /// The entry's alpha → USD, NaN when unknown (only when the price is derived).
    rate: Vec<f64>,
    /// Per step: whether the debt side is active.
    active: Vec<bool>,
    /// The entry's dust weight among this store's miners alone. Dust is scaled within a
    /// bucket, so a bucket no added miner joins keeps these weights.
    dust0: Vec<f64>,
    /// Per step, each bucket's entries (as indexes within the step), buckets in order of first
    /// appearance.
    groups: Vec<Vec<(Status, Vec<u32>)>>,
    /// Checkpoints of miner `m` are `cp_offsets[m]..cp_offsets[m + 1]`.
    cp_offsets: Vec<usize>,
    ts: Vec<i64>,
    earning: Vec<bool>,
    /// What the closed loop starts from: the record up to the replay's start, 0 after it.
    paid0: Vec<f64>,
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
        let shared = engine.prelude(store, 0..setup.steps.len(), setup.data_end)?;
        let model = payout::model(&setup.policy.payout)?;
        let monthly = model.monthly();
        let closed = setup.closed();
        let n: usize = shared.iter().map(|sh| sh.present.len()).sum();
        let mut d = Digest {
            offsets: Vec::with_capacity(shared.len() + 1),
            miner: Vec::with_capacity(n),
            bucket: Vec::with_capacity(n),
            collateral: Vec::with_capacity(n),
            score: Vec::with_capacity(n),
            debt: Vec::with_capacity(n),
            received: Vec::new(),
            rate: Vec::new(),
            active: Vec::with_capacity(shared.len()),
            dust0: Vec::with_capacity(n),
            groups: Vec::with_capacity(shared.len()),
            cp_offsets: vec![0],
            ts: Vec::new(),
            earning: Vec::new(),
            paid0: Vec::new(),
        };
        d.offsets.push(0);
        let start_ms = setup.steps.first().copied().unwrap_or(i64::MIN);
        for (sh, &t) in shared.iter().zip(setup.steps) {
            let view = AsOf::of_subset(store, &sh.present, t);
            d.miner.extend(sh.present.iter().map(|&m| m as u32));
            d.bucket.extend(sh.buckets.iter().cloned());
            d.collateral.extend_from_slice(&sh.collateral);
            d.score.extend_from_slice(&sh.scores[0]);
            let groups = group_by_bucket(&sh.buckets);
            d.dust0.extend(dust_weights_grouped(setup.policy, &groups, &sh.scores[0], &sh.collateral));
            d.groups.push(
                groups.into_iter().map(|(b, m)| (b.clone(), m.into_iter().map(|k| k as u32).collect())).collect(),
            );
            if *setup.pool == Source::Ledgers {
                d.received.extend((0..view.len()).map(|k| view.alpha_received(k, t + 1, t + setup.step_ms)));
            }
            if *setup.price == Source::Ledgers {
                d.rate.extend((0..view.len()).map(|k| view.alpha_usd_at(k).unwrap_or(f64::NAN)));
            }
            match (closed, monthly) {
                (true, Some(m)) => {
                    d.active.push(m.active(t));
                    d.debt.extend(
                        (0..view.len())
                            .map(|k| if view.has_checkpoints(k) { Monthly::needed(&view, k) } else { f64::NAN }),
                    );
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
        }
        // The checkpoints only a closed loop reads (an open loop keeps their count: none).
        for s in &store.miners {
            if closed {
                d.ts.extend_from_slice(&s.ts);
                d.earning.extend(s.status.iter().map(Status::is_earning));
                d.paid0.extend(s.ts.iter().zip(&s.usd).map(|(&ts, &usd)| if ts <= start_ms { usd } else { 0.0 }));
            }
            d.cp_offsets.push(d.ts.len());
        }
        Ok(d)
    }

    fn miners(&self) -> usize {
        self.cp_offsets.len() - 1
    }

    fn entries(&self, s: usize) -> std::ops::Range<usize> {
        self.offsets[s]..self.offsets[s + 1]
    }

    /// Approximate heap bytes held (an attack keeps one digest per run).
    pub fn bytes(&self) -> usize {
        self.miner.len() * (8 + std::mem::size_of::<Status>() + 32)
            + (self.received.len() + self.rate.len()) * 8
            + self.ts.len() * 17
    }
}

/// What an added miner is to the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Adversary,
    Twin,
}

/// An adversary block's sums over the run, in the results table's row order.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sums {
    pub adversary_usd: f64,
    pub twin_usd: f64,
    /// The population's miners of `bucket`.
    pub rivals_usd: f64,
    /// Σ (dust − floor) / width over the population's rows of `bucket`, and their number.
    pub rival: (f64, usize),
    /// Every miner's reward.
    pub total: f64,
}

/// A miner's checkpoints in a digest, and its closed-loop state.
struct Running {
    /// Start of the month the running sum is for (i64::MIN: none yet).
    month: i64,
    /// Next checkpoint (absolute index into the digest's columns) not yet summed.
    next: usize,
    /// Σ paid this month on earning checkpoints up to the last step.
    actual: f64,
}

/// Replays `setup.policy` over the population (`pop`) plus the added miners (`extra`, with
/// each one's role), summing the block of `bucket`.
pub fn walk(setup: &Setup, pop: &Digest, extra: &Digest, roles: &[Role], bucket: &str) -> Result<Sums, InputError> {
    let policy = setup.policy;
    let model = payout::model(&policy.payout)?;
    let closed = setup.closed();
    let (np, ne) = (pop.miners(), extra.miners());
    let digests = [pop, extra];
    // Ids: the population's miners, then the added ones (the engine interns them in that order).
    let mut paid = [pop.paid0.clone(), extra.paid0.clone()];
    let mut running: [Vec<Running>; 2] =
        [np, ne].map(|n| (0..n).map(|_| Running { month: i64::MIN, next: 0, actual: 0.0 }).collect::<Vec<_>>());
    for (r, d) in running.iter_mut().zip(digests) {
        for (m, st) in r.iter_mut().enumerate() {
            st.next = d.cp_offsets[m];
        }
    }
    let smoothing = policy.smoothing != Smoothing::None;
    let ids: Vec<u32> = if smoothing { (0..(np + ne) as u32).collect() } else { Vec::new() };
    let mut prev: Vec<(f64, u32)> = if smoothing { vec![(f64::NAN, u32::MAX); np + ne] } else { Vec::new() };
    let status = Status::parse(bucket);
    let floor = policy.floor_multiplier(&status) * policy.dust;
    let width = policy.ceiling_width_of(&status) * policy.dust;
    let step_days = setup.step_ms as f64 / MS_PER_DAY as f64;
    let (mut scores, mut coll, mut present, mut dust) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // Each miner's next checkpoint after the last step it was paid at (closed loop).
    let mut paid_from: [Vec<usize>; 2] = [pop, extra].map(|d| d.cp_offsets[..d.miners()].to_vec());
    let mut sums = Sums::default();
    for (s, &t) in setup.steps.iter().enumerate() {
        let (a, b) = (pop.entries(s), extra.entries(s));
        let np_here = a.len();
        scores.clear();
        coll.clear();
        present.clear();
        dust.clear();
        for (d, r, offset) in [(pop, a.clone(), 0), (extra, b.clone(), np)] {
            scores.extend_from_slice(&d.score[r.clone()]);
            coll.extend_from_slice(&d.collateral[r.clone()]);
            dust.extend_from_slice(&d.dust0[r.clone()]);
            present.extend(d.miner[r].iter().map(|&m| m as usize + offset));
        }
        // Only the buckets the added miners join are scaled again, over all their members
        // (the population's first, in file order, as the engine groups them).
        let mut touched: Vec<(&Status, Vec<usize>)> = Vec::new();
        for (j, status) in extra.bucket[b.clone()].iter().enumerate() {
            match touched.iter_mut().find(|(st, _)| *st == status) {
                Some((_, members)) => members.push(np_here + j),
                None => {
                    let mut members: Vec<usize> = pop.groups[s]
                        .iter()
                        .find(|(st, _)| st == status)
                        .map(|(_, m)| m.iter().map(|&k| k as usize).collect())
                        .unwrap_or_default();
                    members.push(np_here + j);
                    touched.push((status, members));
                }
            }
        }
        if !touched.is_empty() {
            let again = dust_weights_grouped(policy, &touched, &scores, &coll);
            for (_, members) in &touched {
                for &k in members {
                    dust[k] = again[k];
                }
            }
        }
        if smoothing {
            smooth(policy, &mut dust, &present, &ids, &mut prev, s as u32);
        }
        let debt = if !pop.active[s] {
            Debt::DustOnly
        } else if closed {
            let month = Month::of_ms(t).start_ms();
            let mut remaining = Vec::with_capacity(present.len());
            for (which, d) in digests.iter().enumerate() {
                let range = if which == 0 { a.clone() } else { b.clone() };
                for e in range {
                    let m = d.miner[e] as usize;
                    let needed = d.debt[e];
                    if needed.is_nan() {
                        remaining.push(0.0);
                        continue;
                    }
                    let st = &mut running[which][m];
                    let end = d.cp_offsets[m + 1];
                    if st.month != month {
                        // Months only move forward: the checkpoints before this one are skipped.
                        st.month = month;
                        st.actual = 0.0;
                        while st.next < end && d.ts[st.next] < month {
                            st.next += 1;
                        }
                    }
                    while st.next < end && d.ts[st.next] <= t {
                        if d.earning[st.next] {
                            st.actual += paid[which][st.next];
                        }
                        st.next += 1;
                    }
                    remaining.push(Monthly::remaining_of(needed, st.actual));
                }
            }
            Debt::Remaining(remaining)
        } else {
            let mut r = pop.debt[a.clone()].to_vec();
            r.extend_from_slice(&extra.debt[b.clone()]);
            Debt::Remaining(r)
        };
        let pay = model.settle(&dust, &debt);
        let price = match setup.price {
            Source::Constant(x) => *x,
            Source::Ledgers => {
                let rates = || pop.rate[a.clone()].iter().chain(&extra.rate[b.clone()]).filter(|x| !x.is_nan());
                let n = rates().count();
                if n == 0 { DEFAULT_ALPHA_USD } else { rates().sum::<f64>() / n as f64 }
            }
        };
        let pool = match setup.pool {
            Source::Constant(x) => *x,
            Source::Ledgers => {
                let got: f64 = pop.received[a.clone()].iter().chain(&extra.received[b.clone()]).sum();
                let share = pay.final_w.iter().fold(0.0, |acc, w| acc + w);
                if share > 1e-12 && got > 0.0 { got / share / step_days } else { DEFAULT_POOL }
            }
        };
        for (k, &w) in pay.final_w.iter().enumerate() {
            let usd = w * pool * step_days * price;
            sums.total += usd;
            if k < np_here {
                if pop.bucket[a.start + k].as_str() == bucket {
                    sums.rivals_usd += usd;
                    if width > 0.0 {
                        sums.rival.0 += (dust[k] - floor) / width;
                        sums.rival.1 += 1;
                    }
                }
            } else {
                let e = b.start + (k - np_here);
                match roles[extra.miner[e] as usize] {
                    Role::Adversary => sums.adversary_usd += usd,
                    Role::Twin => sums.twin_usd += usd,
                }
            }
            if closed && usd != 0.0 {
                let (which, d, e) = if k < np_here { (0, pop, a.start + k) } else { (1, extra, b.start + k - np_here) };
                let m = d.miner[e] as usize;
                let end = d.cp_offsets[m + 1];
                // The checkpoints of (t, t + step]: steps move forward, so does the pointer.
                let mut i = paid_from[which][m];
                while i < end && d.ts[i] <= t {
                    i += 1;
                }
                let mut j = i;
                while j < end && d.ts[j] <= t + setup.step_ms {
                    j += 1;
                }
                paid_from[which][m] = i;
                if j > i {
                    let each = usd / (j - i) as f64;
                    for slot in &mut paid[which][i..j] {
                        *slot += each;
                    }
                }
            }
        }
    }
    Ok(sums)
}
