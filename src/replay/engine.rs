//! The replay engine: every policy of a scenario over the same population and clock.
//!
//! Work a step shares across policies (presence, buckets, collateral, window scores per
//! distinct window, the payout model's debt) is computed once per step, steps in parallel;
//! then each policy walks the steps in order (smoothing carries state), policies in
//! parallel. Output order never depends on scheduling.

use std::collections::HashMap;

use rayon::prelude::*;

use super::emission::{DEFAULT_ALPHA_USD, DEFAULT_POOL, Source};
use super::sources::{History, at_rows};
use crate::ledger::Status;
use crate::ledger::store::{AsOf, Clock, Store};
use crate::policy::DustPolicy;
use crate::policy::config::{Smoothing, WindowStatuses};
use crate::policy::dust::{dust_weights_grouped, group_by_bucket, window_scores};
use crate::policy::payout::{self, Debt, PayoutModel};
use crate::time::{CHECKPOINT_MS, Month};

/// Strings stored once, referred to by index in the result columns (and in the report, which
/// numbers a table's text columns with it, a lookup per row: hence polars' fast hasher).
#[derive(Debug, Clone, Default)]
pub struct Interner {
    pub names: Vec<String>,
    index: polars::prelude::PlHashMap<String, u32>,
}

impl Interner {
    pub fn get(&self, s: &str) -> Option<u32> {
        self.index.get(s).copied()
    }

    pub fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }
}

/// One policy's rows: per step, its present miners in file order, then the burn.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    pub step: Vec<u32>,
    pub hotkey: Vec<u32>,
    pub bucket: Vec<u32>,
    pub window_score: Vec<f64>,
    pub dust: Vec<f64>,
    pub payout: Vec<f64>,
    /// The debt term compared with dust (see `Payout::debt`).
    pub debt: Vec<f64>,
    pub final_w: Vec<f64>,
    /// Per step: which of the step's distinct windows scored this policy (an index into
    /// the step's orders, [`Engine::score_order`]).
    pub score_window: Vec<u32>,
}

/// What one step shares across policies.
pub(crate) struct Shared {
    pub(crate) present: Vec<usize>,
    pub(crate) buckets: Vec<Status>,
    /// The present miners' indexes grouped by bucket, buckets in order of first appearance
    /// ([`group_by_bucket`]): every policy's dust and every row's bucket id read them, so
    /// they are made here, a step per task.
    pub(crate) groups: Vec<(Status, Vec<usize>)>,
    pub(crate) collateral: Vec<f64>,
    /// Window scores per distinct window at this step: specs whose windows cover the same
    /// checkpoints share one (`score_of` maps each spec to its scores; empty: one each).
    pub(crate) scores: Vec<Vec<f64>>,
    score_of: Vec<u32>,
    /// With `keep_orders`: an order that sorts each of `scores`.
    orders: Vec<Vec<u32>>,
    /// Debt per distinct payout model.
    pub(crate) debts: Vec<Debt>,
    /// What each present miner earned last month (`Monthly::needed`), where a closed loop on
    /// a monthly model reads it: the same for every policy and every step of a month, so
    /// computed once per month.
    pub(crate) needed: Vec<f64>,
    /// Σ alpha the present miners received over (t, t + step].
    received_alpha: f64,
    /// Mean alpha → USD of the present miners' latest checkpoints (None if no rates).
    alpha_usd: Option<f64>,
    /// Present miners (store indexes) the bucket history had no row for at this step.
    bucket_fallback: Vec<usize>,
    /// With a closed loop: each present miner's checkpoints of `(t, t + step]` (index range),
    /// which a closed loop credits the step's payment to. The same for every policy, and a
    /// division per miner (a search where the checkpoints have gaps), so made here once
    /// instead of in every policy's walk.
    credit: Vec<(u32, u32)>,
}

impl Shared {
    /// Index into `scores` of window spec `wi`'s scores.
    pub(crate) fn score_index(&self, wi: usize) -> usize {
        self.score_of.get(wi).map_or(wi, |&i| i as usize)
    }
}

/// Per step facts the emission model needs after the policies ran.
#[derive(Debug, Clone, Copy, Default)]
pub struct StepFacts {
    pub received_alpha: f64,
    pub alpha_usd: Option<f64>,
}

pub(crate) type WindowKey = (i64, Option<u64>, WindowStatuses, crate::policy::pnl::PnlMetric);

/// What decides a window score: policies that share it share the scores of a step.
pub(crate) fn window_key(p: &DustPolicy) -> WindowKey {
    (p.lookback_ms(), p.half_life_days.map(f64::to_bits), p.window_statuses, p.metric)
}

pub struct Engine<'a> {
    pub policies: &'a [DustPolicy],
    models: Vec<Box<dyn PayoutModel>>,
    /// Per policy: index of its window spec and of its payout model.
    /// Per policy, its dust phases: (valid from, window index, the dust policy in force). One
    /// phase for a policy; one per release for `preset = "production"`.
    policy_window: Vec<Vec<(i64, usize, DustPolicy)>>,
    policy_model: Vec<usize>,
    window_reps: Vec<DustPolicy>,
    pub steps: Vec<i64>,
    pub step_ms: i64,
    pub burn: &'static str,
    pub buckets: Option<&'a History<Status>>,
    pub collateral: Option<&'a History<f64>>,
    /// The metagraph(s) the realized-era payout models read (projection, failures), as of each step.
    pub metagraph: Option<&'a crate::ledger::metagraph::MetagraphSeries>,
    /// Whether the emission model derives the pool / the price from the ledgers (the facts
    /// it needs cost a pass over the miners at every step, so they are gathered on demand).
    pub derive_pool: bool,
    pub derive_price: bool,
    pub hotkeys: Interner,
    pub bucket_names: Interner,
    pub rows: Vec<Rows>,
    pub facts: Vec<StepFacts>,
    /// Whether to keep, per step, an order that sorts each distinct window's scores
    /// ([`Engine::score_order`]): a sweep's metrics then sort a step's scores once for every
    /// variant that shares the window, not once per variant.
    pub keep_orders: bool,
    /// Per step, per distinct window: the orders kept with `keep_orders`.
    score_orders: Vec<Vec<Vec<u32>>>,
    /// With a bucket history: hotkey → steps at which it had no row, so its bucket came from
    /// its checkpoints' status (a data note).
    pub bucket_fallbacks: std::collections::BTreeMap<String, usize>,
    /// Per policy, by hotkey id: the last smoothed dust weight and the step it was set at.
    smooth_state: Vec<Vec<(f64, u32)>>,
    /// Whether a policy's payout model reads its own payments (closed loop) or the record.
    pub feedback: Feedback,
    /// The emission model's pool and price, for the payments a closed loop credits.
    pub pool: Source,
    pub price: Source,
    /// Per policy, in a closed loop: USD it paid, by (hotkey id, checkpoint timestamp). Kept
    /// only when `keep_credits` (a replay over several snapshots rebuilds its payments from it).
    paid: Vec<HashMap<(u32, i64), f64>>,
    /// Whether the closed loop's payments must outlive a segment (snapshot replays).
    pub keep_credits: bool,
    /// Whether a closed loop on the monthly model keeps running sums of its payments (always,
    /// but for the test that holds them to the model's own sums).
    running_sums: bool,
}

/// How the replay decides who is scored at a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresentRule {
    /// A bucket-history row at or before `t` that is not ELIMINATED, and registered in the
    /// metagraph in force at `t` (production's rule).
    Registered,
    /// From a ledger's first checkpoint until one step after its last (the heuristic).
    LedgerSpan,
}

impl PresentRule {
    /// Production's rule needs a bucket history and metagraph hotkeys; else the heuristic.
    pub fn of(has_buckets: bool, metagraph: Option<&crate::ledger::metagraph::MetagraphSeries>) -> PresentRule {
        if has_buckets && metagraph.is_some_and(|m| m.lists_hotkeys()) {
            PresentRule::Registered
        } else {
            PresentRule::LedgerSpan
        }
    }
}

impl std::fmt::Display for PresentRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PresentRule::Registered => "registered in the metagraph and holding a challenge-period bucket (production's rule)",
            PresentRule::LedgerSpan => "from a ledger's first checkpoint until one step after its last (no metagraph hotkeys or bucket history)",
        })
    }
}

/// Whether the debt side reads what each policy paid (closed loop) or the ledgers' record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Feedback {
    /// From the replay's start each policy's payout model reads its own payments, credited to
    /// the checkpoints of `(t, t + step]` (before the start: the record).
    #[default]
    Simulated,
    /// Every policy reads the ledgers' recorded `chunk_usd` (open loop).
    Historical,
}

impl std::fmt::Display for Feedback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Feedback::Simulated => "simulated",
            Feedback::Historical => "historical",
        })
    }
}

impl<'a> Engine<'a> {
    /// Sets the emission model's pool and price (and whether the facts they derive from are gathered).
    pub fn set_emission(&mut self, pool: &Source, price: &Source) {
        self.derive_pool = *pool == Source::Ledgers;
        self.derive_price = *price == Source::Ledgers;
        self.pool = pool.clone();
        self.price = price.clone();
    }

    /// Who is scored at `t`. Production scores the hotkeys that hold a challenge-period bucket
    /// and are registered in the metagraph, in ledger-file order: with metagraph hotkeys and a
    /// bucket history that is exact; without them a ledger's span stands in for it.
    pub fn present_rule(&self) -> PresentRule {
        PresentRule::of(self.buckets.is_some(), self.metagraph)
    }

    /// Whether policy `pi` reads its own payments: a closed loop on a model with a debt side.
    fn closed_loop(&self, pi: usize) -> bool {
        self.feedback == Feedback::Simulated && self.policies[pi].payout != "dust-only"
    }

    /// Whether any policy is a closed loop on the monthly model (which reads last month's
    /// earnings and each checkpoint's earning status).
    fn monthly_loop(&self) -> bool {
        (0..self.policies.len())
            .any(|pi| self.closed_loop(pi) && self.models[self.policy_model[pi]].monthly().is_some())
    }

    /// Id of the burn's rows (the burn is found by this id, never by a name pattern).
    /// What policy `pi` paid in a closed loop with `keep_credits`: USD by (hotkey id,
    /// checkpoint timestamp).
    pub fn credits(&self, pi: usize) -> &HashMap<(u32, i64), f64> {
        &self.paid[pi]
    }

    pub fn burn_id(&self) -> Option<u32> {
        self.hotkeys.get(self.burn)
    }

    /// The bucket-history fallbacks as a data note.
    pub fn notes(&self) -> crate::notes::Notes {
        let mut n = crate::notes::Notes::default();
        n.add(
            "bucket_fallback",
            self.bucket_fallbacks.len(),
            "hotkeys the bucket history has no row for at some step: bucket taken from their checkpoints' status",
            self.bucket_fallbacks.iter().map(|(h, c)| format!("{h} ({c} steps)")).collect(),
        );
        n
    }

    pub fn new(policies: &'a [DustPolicy], steps: Vec<i64>, step_ms: i64) -> Result<Self, crate::error::InputError> {
        let mut windows: Vec<WindowKey> = Vec::new();
        let mut window_reps = Vec::new();
        let mut model_names: Vec<String> = Vec::new();
        let mut models = Vec::new();
        let (mut policy_window, mut policy_model) = (Vec::new(), Vec::new());
        for p in policies {
            let phases: Vec<(i64, DustPolicy)> = if p.dust_by_era {
                crate::policy::payout::schedule::Schedule::production().dust_phases(p)?
            } else {
                vec![(i64::MIN, p.clone())]
            };
            let mut own = Vec::new();
            for (from, q) in phases {
                let key = window_key(&q);
                let wi = windows.iter().position(|k| *k == key).unwrap_or_else(|| {
                    windows.push(key);
                    window_reps.push(q.clone());
                    windows.len() - 1
                });
                own.push((from, wi, q));
            }
            policy_window.push(own);
            let mi = match model_names.iter().position(|m| *m == p.payout) {
                Some(i) => i,
                None => {
                    models.push(payout::model(&p.payout)?);
                    model_names.push(p.payout.clone());
                    model_names.len() - 1
                }
            };
            policy_model.push(mi);
        }
        let n_steps = steps.len();
        Ok(Engine {
            policies,
            models,
            policy_window,
            policy_model,
            window_reps,
            steps,
            step_ms,
            burn: payout::burn_hotkey(false),
            buckets: None,
            collateral: None,
            metagraph: None,
            derive_pool: false,
            derive_price: false,
            hotkeys: Interner::default(),
            bucket_names: Interner::default(),
            rows: vec![Rows::default(); policies.len()],
            facts: vec![StepFacts::default(); n_steps],
            keep_orders: false,
            score_orders: vec![Vec::new(); n_steps],
            bucket_fallbacks: Default::default(),
            smooth_state: vec![Vec::new(); policies.len()],
            feedback: Feedback::Historical,
            pool: Source::Constant(DEFAULT_POOL),
            price: Source::Ledgers,
            paid: vec![HashMap::new(); policies.len()],
            keep_credits: false,
            running_sums: true,
        })
    }

    /// What every step of `range` shares across policies (presence, buckets, collateral,
    /// window scores, the open loop's debt, the emission facts): the set-up over `range`
    /// (each miner's span and side-table rows, last month's earnings), then `drive` with the
    /// function that makes one step's [`Shared`]. A caller that consumes steps as they come
    /// (the replay of one policy, a digest) computes them in chunks or one at a time. Each
    /// miner's entries depend on its own ledger only, so the prelude of a population and of
    /// miners added to it can be computed apart and joined (the attack's incremental path).
    pub(crate) fn prelude_with<R>(
        &self,
        store: &Store,
        range: std::ops::Range<usize>,
        data_end: i64,
        drive: impl FnOnce(&(dyn Fn(i64) -> Result<Shared, crate::error::InputError> + Sync)) -> R,
    ) -> R {
        let step_ms = self.step_ms;
        let spans: Vec<Option<(i64, i64)>> = store
            .miners
            .iter()
            .map(|series| {
                series.span().map(|(first, last)| {
                    (first, if last >= data_end - CHECKPOINT_MS { i64::MAX - step_ms } else { last })
                })
            })
            .collect();
        let shared_debt: Vec<bool> = (0..self.models.len())
            .map(|mi| (0..self.policies.len()).any(|pi| self.policy_model[pi] == mi && !self.closed_loop(pi)))
            .collect();
        let monthly_loop = self.monthly_loop();
        let any_loop = (0..self.policies.len()).any(|pi| self.closed_loop(pi));
        // Each miner's bucket and collateral rows, found by hotkey once for every step.
        let bucket_rows: Vec<Option<&[(i64, Status)]>> =
            store.miners.iter().map(|s| self.buckets.and_then(|h| h.rows(&s.hotkey))).collect();
        let collateral_rows: Vec<Option<&[(i64, f64)]>> =
            store.miners.iter().map(|s| self.collateral.and_then(|h| h.rows(&s.hotkey))).collect();
        // Last month's earnings (`Monthly::needed`) hold for a whole month: each miner's is
        // computed once per month of the range, not again at every step.
        let needed_by_month: Vec<(i64, Vec<f64>)> = if monthly_loop {
            let mut months: Vec<(i64, i64)> = Vec::new();
            for &t in &self.steps[range.clone()] {
                let month = Month::of_ms(t).start_ms();
                if months.last().is_none_or(|m| m.0 != month) {
                    months.push((month, t));
                }
            }
            months
                .par_iter()
                .map(|&(month, t)| {
                    let view = AsOf::new(store, t);
                    (month, (0..store.len()).map(|m| payout::Monthly::needed(&view, m)).collect())
                })
                .collect()
        } else {
            Vec::new()
        };
        let step = |t: i64| -> Result<Shared, crate::error::InputError> {
            // Each candidate's bucket-history row at `t`, looked up once: presence and the
            // bucket below both read it.
            let history_at = |m: usize| bucket_rows[m].and_then(|r| at_rows(r, t));
            let eliminated = |b: Option<&Status>| b.is_some_and(|b| b.as_str() == "ELIMINATED");
            let selected: Vec<(usize, Option<&Status>)> = match (self.present_rule(), self.metagraph) {
                (PresentRule::Registered, Some(graphs)) if graphs.at(t).is_some() => (0..store.len())
                    .filter_map(|m| {
                        let b = history_at(m);
                        let registered = graphs.registered_at(t, &store.miners[m].hotkey);
                        (b.is_some() && !eliminated(b) && registered).then_some((m, b))
                    })
                    .collect(),
                // The ledger-span heuristic; a bucket-history row ELIMINATED still ends a miner.
                _ => (0..store.len())
                    .filter(|&m| matches!(spans[m], Some((first, last)) if first <= t && t <= last + step_ms))
                    .filter_map(|m| {
                        let b = history_at(m);
                        (!eliminated(b)).then_some((m, b))
                    })
                    .collect(),
            };
            let present: Vec<usize> = selected.iter().map(|x| x.0).collect();
            let view = AsOf::of_subset(store, &present, t);
            let mut bucket_fallback = Vec::new();
            let buckets: Vec<Status> = selected
                .iter()
                .enumerate()
                .map(|(k, (m, given))| {
                    if self.buckets.is_some() && given.is_none() {
                        bucket_fallback.push(*m);
                    }
                    given.cloned().or_else(|| view.checkpoint_status(k).cloned()).unwrap_or(Status::Unknown)
                })
                .collect();
            let groups: Vec<(Status, Vec<usize>)> =
                group_by_bucket(&buckets).into_iter().map(|(b, m)| (b.clone(), m)).collect();
            let collateral: Vec<f64> = (0..view.len())
                .map(|k| collateral_rows[view.store_index(k)].and_then(|r| at_rows(r, t)).copied().unwrap_or(0.0))
                .collect();
            // Specs whose windows start at the same instant of the store cover the same
            // checkpoints, so they share their scores (the key's first field: the start).
            // One spec (a replay, an attack's candidates) skips the bookkeeping.
            let (scores, score_of) = match self.window_reps.as_slice() {
                [p] => (vec![window_scores(p, &view)], Vec::new()),
                reps => {
                    let mut keys: Vec<WindowKey> = Vec::new();
                    let mut scores: Vec<Vec<f64>> = Vec::new();
                    let score_of = reps
                        .iter()
                        .map(|p| {
                            let (lookback, half_life, statuses, metric) = window_key(p);
                            let key = (store.canonical_start(t - lookback), half_life, statuses, metric);
                            match keys.iter().position(|k| *k == key) {
                                Some(i) => i as u32,
                                None => {
                                    keys.push(key);
                                    scores.push(window_scores(p, &view));
                                    (keys.len() - 1) as u32
                                }
                            }
                        })
                        .collect();
                    (scores, score_of)
                }
            };
            let orders = if self.keep_orders {
                scores.iter().map(|s| crate::stats::sorted_order(s)).collect()
            } else {
                Vec::new()
            };
            let ctx = payout::Context { metagraph: self.metagraph.and_then(|m| m.at(t)), paid: None };
            // A model only closed-loop policies use computes its debt in their own walk.
            let debts = self
                .models
                .iter()
                .zip(&shared_debt)
                .map(|(m, needed)| if *needed { m.debt(&view, &ctx) } else { Ok(payout::Debt::DustOnly) })
                .collect::<Result<Vec<_>, _>>()?;
            let received_alpha = if self.derive_pool {
                (0..view.len()).map(|k| view.alpha_received(k, t + 1, t + step_ms)).sum()
            } else {
                0.0
            };
            let alpha_usd = if self.derive_price {
                let rates: Vec<f64> = (0..view.len()).filter_map(|k| view.alpha_usd_at(k)).collect();
                if rates.is_empty() { None } else { Some(rates.iter().sum::<f64>() / rates.len() as f64) }
            } else {
                None
            };
            let month = Month::of_ms(t).start_ms();
            let needed = match needed_by_month.iter().find(|(m, _)| *m == month) {
                Some((_, of_miner)) => present.iter().map(|&m| of_miner[m]).collect(),
                None => Vec::new(),
            };
            let credit = if any_loop {
                let range = |m: usize| store.miners[m].range(t + 1, t + step_ms);
                present.iter().map(|&m| range(m)).map(|(i, j)| (i as u32, j as u32)).collect()
            } else {
                Vec::new()
            };
            Ok(Shared {
                present,
                buckets,
                groups,
                collateral,
                scores,
                score_of,
                orders,
                debts,
                needed,
                received_alpha,
                alpha_usd,
                bucket_fallback,
                credit,
            })
        };
        drive(&step)
    }

    /// Replays the steps `range` (indexes into `steps`) on one store (one snapshot).
    ///
    /// A miner is present from its first checkpoint until one step after its last, except
    /// that a ledger reaching the end of its data (`data_end`, the file's or snapshot's newest
    /// checkpoint) has not stopped: it stays present for the whole segment.
    pub fn run_segment(
        &mut self,
        store: &Store,
        range: std::ops::Range<usize>,
        data_end: i64,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(), crate::error::InputError> {
        // Intern names sequentially so ids do not depend on scheduling.
        let hotkey_ids: Vec<u32> = (0..store.len()).map(|m| self.hotkeys.id(&store.miners[m].hotkey)).collect();
        let burn = self.hotkeys.id(self.burn);
        let ids =
            Ids { hotkeys: &hotkey_ids, burn, burn_bucket: self.bucket_names.id("burn"), n: self.hotkeys.names.len() };
        // The walk reads the engine while it writes these: they are taken out for it.
        let mut out = Written {
            rows: std::mem::take(&mut self.rows),
            smooth_state: std::mem::take(&mut self.smooth_state),
            paid: std::mem::take(&mut self.paid),
            facts: std::mem::take(&mut self.facts),
            score_orders: std::mem::take(&mut self.score_orders),
            bucket_names: std::mem::take(&mut self.bucket_names),
            bucket_fallbacks: std::mem::take(&mut self.bucket_fallbacks),
        };
        let result = self.walk_segment(&mut out, store, range, data_end, &ids, progress);
        self.rows = out.rows;
        self.smooth_state = out.smooth_state;
        self.paid = out.paid;
        self.facts = out.facts;
        self.score_orders = out.score_orders;
        self.bucket_names = out.bucket_names;
        self.bucket_fallbacks = out.bucket_fallbacks;
        result
    }

    /// [`Engine::run_segment`]'s work. One policy walks the steps in order while the prelude
    /// of the next chunk of steps fills the other core (the walk of a closed loop cannot be
    /// split; alone after the prelude it left a core idle for a third of the replay). Several
    /// policies walk side by side after the whole prelude.
    fn walk_segment(
        &self,
        out: &mut Written,
        store: &Store,
        range: std::ops::Range<usize>,
        data_end: i64,
        ids: &Ids,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(), crate::error::InputError> {
        let closed: Vec<bool> = (0..self.policies.len()).map(|pi| self.closed_loop(pi)).collect();
        // What a closed loop reads of every miner at every step, in small tables.
        let clocks: Vec<Clock> = store.miners.iter().map(|s| s.clock()).collect();
        let earning: Vec<Vec<bool>> = if self.monthly_loop() {
            store.miners.par_iter().map(|s| s.status.iter().map(Status::is_earning).collect()).collect()
        } else {
            Vec::new()
        };
        let segment = Loop {
            store,
            clocks: &clocks,
            earning: &earning,
            shared: &[],
            group_ids: &[],
            hotkey_ids: ids.hotkeys,
            burn_id: ids.burn,
            burn_bucket: ids.burn_bucket,
            range: range.clone(),
            segment: range.clone(),
            steps: &self.steps,
            step_ms: self.step_ms,
            start_ms: self.steps.first().copied().unwrap_or(i64::MIN),
            pool: &self.pool,
            price: &self.price,
            metagraph: self.metagraph,
            n_ids: ids.n,
            progress,
            keep_credits: self.keep_credits,
            running_sums: self.running_sums,
        };
        // Each policy's walk state lives from its first chunk to its last: begun inside the
        // parallel walk, as many overlays as threads are alive at once, not one per policy.
        let mut walks: Vec<Option<Walk>> = (0..self.policies.len()).map(|_| None).collect();
        // A closed loop with the pool derived from the ledgers credits payments at the pool
        // the baseline's weights imply: the baseline runs first, then the rest in parallel.
        let baseline_first = self.derive_pool && closed.iter().any(|c| *c);
        let chunk = if self.policies.len() == 1 { PIPELINE_STEPS } else { range.len().max(1) };
        let chunks: Vec<std::ops::Range<usize>> =
            range.clone().step_by(chunk).map(|a| a..(a + chunk).min(range.end)).collect();
        self.prelude_with(store, range.clone(), data_end, |step| {
            let prelude = |r: &std::ops::Range<usize>| each_step(&self.steps[r.clone()], store, step);
            let mut next = chunks.first().map(prelude).transpose()?;
            for (c, steps) in chunks.iter().enumerate() {
                let Some(shared) = next.take() else { break };
                for (i, sh) in steps.clone().zip(&shared) {
                    out.facts[i] = StepFacts { received_alpha: sh.received_alpha, alpha_usd: sh.alpha_usd };
                    for &m in &sh.bucket_fallback {
                        *out.bucket_fallbacks.entry(store.miners[m].hotkey.clone()).or_default() += 1;
                    }
                }
                // Each step's groups are its buckets in order of first appearance: interned
                // step by step, they take the ids a walk over every row would give.
                let group_ids: Vec<Vec<u32>> = shared
                    .iter()
                    .map(|sh| sh.groups.iter().map(|(b, _)| out.bucket_names.id(b.as_str())).collect())
                    .collect();
                let here = Loop { shared: &shared, group_ids: &group_ids, range: steps.clone(), ..segment.clone() };
                let (rows, smooth, paid) = (&mut out.rows, &mut out.smooth_state, &mut out.paid);
                let walk = || -> Result<(), crate::error::InputError> {
                    let run = |pi: usize,
                               walk: &mut Option<Walk>,
                               rows: &mut Rows,
                               prev: &mut Vec<(f64, u32)>,
                               paid: &mut HashMap<(u32, i64), f64>,
                               shares: Option<&[f64]>| {
                        let model = self.models[self.policy_model[pi]].as_ref();
                        let state = match walk {
                            Some(w) => w,
                            None => walk.insert(here.begin(model, closed[pi].then_some(&*paid), rows, prev)),
                        };
                        here.walk(
                            state,
                            &self.policy_window[pi],
                            model,
                            self.policy_model[pi],
                            closed[pi].then_some(paid),
                            shares,
                            rows,
                            prev,
                        )?;
                        if here.range.end == here.segment.end {
                            *walk = None;
                        }
                        Ok(())
                    };
                    let mut baseline_shares: Option<Vec<f64>> = None;
                    if baseline_first {
                        let before = rows[0].step.len();
                        run(0, &mut walks[0], &mut rows[0], &mut smooth[0], &mut paid[0], None)?;
                        let r = &rows[0];
                        let mut shares = vec![0.0; self.steps.len()];
                        for i in before..r.step.len() {
                            if r.hotkey[i] != ids.burn {
                                shares[r.step[i] as usize] += r.final_w[i];
                            }
                        }
                        baseline_shares = Some(shares);
                    }
                    walks
                        .par_iter_mut()
                        .zip(rows.par_iter_mut())
                        .zip(smooth.par_iter_mut())
                        .zip(paid.par_iter_mut())
                        .enumerate()
                        .skip(usize::from(baseline_first))
                        .map(|(pi, (((walk, rows), prev), paid))| {
                            run(pi, walk, rows, prev, paid, baseline_shares.as_deref())
                        })
                        .collect::<Result<Vec<()>, crate::error::InputError>>()?;
                    Ok(())
                };
                let (ahead, walked) = rayon::join(|| chunks.get(c + 1).map(prelude).transpose(), walk);
                walked?;
                next = ahead?;
                for (i, sh) in steps.clone().zip(shared) {
                    out.score_orders[i] = sh.orders;
                }
            }
            Ok(())
        })
    }

    /// With `keep_orders`: an order that sorts policy `pi`'s window scores at `step` (its
    /// present miners, in row order).
    pub fn score_order(&self, pi: usize, step: usize) -> Option<&[u32]> {
        let w = *self.rows[pi].score_window.get(step)? as usize;
        self.score_orders.get(step)?.get(w).map(Vec::as_slice)
    }
}

/// Steps per chunk of a lone policy's pipelined walk: small enough that the first chunk's
/// prelude, which nothing overlaps, is short; large enough that a chunk's join costs little
/// against its work (about 0.4 ms for 256 miners).
const PIPELINE_STEPS: usize = 16;

/// The prelude's [`Shared`] of each of the instants `ts`, a task per step; a handful of miners
/// (an attack candidate's own hotkeys) is cheaper stepped through on one thread.
fn each_step(
    ts: &[i64],
    store: &Store,
    step: &(dyn Fn(i64) -> Result<Shared, crate::error::InputError> + Sync),
) -> Result<Vec<Shared>, crate::error::InputError> {
    let min_len = if store.len() < 64 { usize::MAX } else { 1 };
    ts.par_iter().with_min_len(min_len).map(|&t| step(t)).collect()
}

/// The engine's outputs a segment writes, taken out of it while the walk reads the rest.
struct Written {
    rows: Vec<Rows>,
    smooth_state: Vec<Vec<(f64, u32)>>,
    paid: Vec<HashMap<(u32, i64), f64>>,
    facts: Vec<StepFacts>,
    score_orders: Vec<Vec<Vec<u32>>>,
    bucket_names: Interner,
    bucket_fallbacks: std::collections::BTreeMap<String, usize>,
}

/// The ids a segment's rows carry: each store miner's, the burn's and its bucket's, and how
/// many hotkeys the engine has interned so far (the length of a per-hotkey table).
struct Ids<'a> {
    hotkeys: &'a [u32],
    burn: u32,
    burn_bucket: u32,
    n: usize,
}

/// What one policy's walk carries from chunk to chunk of a segment.
struct Walk {
    /// The closed loop's payments per store miner and checkpoint: the record up to the
    /// replay's start, the policy's own credits after it.
    overlay: Option<Vec<Vec<f64>>>,
    /// The monthly model in a closed loop: each miner's payments this month kept as a
    /// running sum instead of re-summed from the month's start at every step.
    month_paid: Vec<payout::MonthPaid>,
}

/// What every policy's walk over a segment (or a chunk of one) reads.
#[derive(Clone)]
struct Loop<'s> {
    store: &'s Store,
    /// Each store miner's [`Clock`], and (with a monthly closed loop) whether the model pays
    /// each of its checkpoints' PnL: the series' own timestamps and 24-byte statuses, read for
    /// every miner at every step of every policy, were a cache miss apiece.
    clocks: &'s [Clock<'s>],
    earning: &'s [Vec<bool>],
    shared: &'s [Shared],
    /// Per step, the bucket id of each of its groups.
    group_ids: &'s [Vec<u32>],
    hotkey_ids: &'s [u32],
    burn_id: u32,
    burn_bucket: u32,
    /// The steps this walk covers, and those of the whole segment (the same, but for a chunk).
    range: std::ops::Range<usize>,
    segment: std::ops::Range<usize>,
    steps: &'s [i64],
    step_ms: i64,
    start_ms: i64,
    pool: &'s Source,
    price: &'s Source,
    metagraph: Option<&'s crate::ledger::metagraph::MetagraphSeries>,
    n_ids: usize,
    progress: &'s (dyn Fn(u64) + Sync),
    keep_credits: bool,
    running_sums: bool,
}

impl Loop<'_> {
    /// The monthly model whose closed loop (a policy with its own payments, `closed`) keeps
    /// each miner's payments this month as a running sum ([`Walk::month_paid`]).
    fn running_monthly<'m>(&self, model: &'m dyn PayoutModel, closed: bool) -> Option<&'m payout::Monthly> {
        model.monthly().filter(|_| closed && self.running_sums)
    }

    /// A policy's walk over the segment, before its first step (of the segment, whatever chunk
    /// this is): its rows' step table and
    /// smoothing state sized, and with `paid` (a closed loop) its payments so far.
    fn begin(
        &self,
        model: &dyn PayoutModel,
        paid: Option<&HashMap<(u32, i64), f64>>,
        rows: &mut Rows,
        prev: &mut Vec<(f64, u32)>,
    ) -> Walk {
        if rows.score_window.len() < self.segment.end {
            rows.score_window.resize(self.segment.end, u32::MAX);
        }
        prev.resize(self.n_ids, (f64::NAN, u32::MAX));
        let overlay: Option<Vec<Vec<f64>>> = paid.map(|credits| {
            self.store
                .miners
                .iter()
                .enumerate()
                .map(|(m, s)| {
                    if credits.is_empty() {
                        // No credits yet (every replay's first segment): the record up to the
                        // start, then nothing, without a lookup per checkpoint.
                        let mut o = s.usd[..s.ts.partition_point(|&ts| ts <= self.start_ms)].to_vec();
                        o.resize(s.ts.len(), 0.0);
                        return o;
                    }
                    s.ts.iter()
                        .zip(&s.usd)
                        .map(|(&ts, &usd)| {
                            if ts <= self.start_ms {
                                usd
                            } else {
                                credits.get(&(self.hotkey_ids[m], ts)).copied().unwrap_or(0.0)
                            }
                        })
                        .collect()
                })
                .collect()
        });
        let month_paid = match self.running_monthly(model, overlay.is_some()) {
            Some(_) => vec![payout::MonthPaid::default(); self.store.len()],
            None => Vec::new(),
        };
        Walk { overlay, month_paid }
    }

    /// One policy over this chunk's steps, in order (smoothing and a closed loop carry state).
    /// With `paid` (a closed loop) the debt is computed here from the policy's own payments,
    /// and the step's payments are credited to the checkpoints of `(t, t + step]`.
    #[allow(clippy::too_many_arguments)]
    fn walk(
        &self,
        walk: &mut Walk,
        phases: &[(i64, usize, DustPolicy)],
        model: &dyn PayoutModel,
        mi: usize,
        mut paid: Option<&mut HashMap<(u32, i64), f64>>,
        baseline_shares: Option<&[f64]>,
        rows: &mut Rows,
        prev: &mut [(f64, u32)],
    ) -> Result<(), crate::error::InputError> {
        // Rows are appended step by step into columns reserved for the rest of the segment at
        // this chunk's density (once, for a segment in one chunk): per-step evaluation is
        // light, so the policy loop stays sequential (policies run in parallel).
        let here: usize = self.shared.iter().map(|sh| sh.present.len() + 1).sum();
        if self.range.start == self.segment.start && self.range.end < self.segment.end {
            // An eighth more than the first chunk's density: the population drifts.
            rows.reserve(here * self.segment.len() / self.range.len() * 9 / 8);
        } else {
            rows.reserve(here);
        }
        let Walk { overlay, month_paid } = walk;
        let step_days = self.step_ms as f64 / crate::time::MS_PER_DAY as f64;
        let monthly = self.running_monthly(model, overlay.is_some());
        for ((step, sh), ids) in self.range.clone().zip(self.shared).zip(self.group_ids) {
            let t = self.steps[step];
            // The dust phase in force (the first before any phase starts).
            let k = phases.partition_point(|ph| ph.0 <= t).saturating_sub(1);
            let (_, wi, policy) = &phases[k];
            let wi = sh.score_index(*wi);
            rows.score_window[step] = wi as u32;
            let order = sh.orders.get(wi).map(Vec::as_slice);
            let mut dust = dust_weights_grouped(policy, &sh.groups, &sh.scores[wi], &sh.collateral, order);
            if policy.smoothing != Smoothing::None {
                smooth(policy, &mut dust, &sh.present, self.hotkey_ids, prev, step as u32);
            }
            let pay = match &overlay {
                None => model.settle(&dust, &sh.debts[mi]),
                Some(o) => match monthly {
                    Some(mm) => {
                        let month = Month::of_ms(t).start_ms();
                        let remaining = || {
                            sh.present
                                .iter()
                                .enumerate()
                                .map(|(k, &m)| {
                                    let clock = &self.clocks[m];
                                    if clock.is_empty() {
                                        return 0.0;
                                    }
                                    let (earning, paid) = (&self.earning[m], &o[m]);
                                    // Checkpoints up to `t` are due: counted once, not tested each.
                                    let paid = month_paid[m].catch_up(
                                        month,
                                        || clock.count_before(month),
                                        clock.count_at_or_before(t),
                                        |_| true,
                                        |c| earning[c].then(|| paid[c]),
                                    );
                                    payout::Monthly::remaining_of(sh.needed[k], paid)
                                })
                                .collect()
                        };
                        model.settle(&dust, &mm.debt_with(t, remaining))
                    }
                    None => {
                        let view = AsOf::of_subset(self.store, &sh.present, t);
                        let ctx = payout::Context { metagraph: self.metagraph.and_then(|m| m.at(t)), paid: Some(o) };
                        model.settle(&dust, &model.debt(&view, &ctx)?)
                    }
                },
            };
            // Column by column: a row at a time, every push re-checked its column's capacity
            // and the walk spent most of its own time there.
            let n = sh.present.len();
            rows.step.extend(std::iter::repeat_n(step as u32, n));
            rows.hotkey.extend(sh.present.iter().map(|&m| self.hotkey_ids[m]));
            let first = rows.bucket.len();
            rows.bucket.resize(first + n, 0);
            for (&id, (_, members)) in ids.iter().zip(&sh.groups) {
                for &k in members {
                    rows.bucket[first + k] = id;
                }
            }
            rows.window_score.extend_from_slice(&sh.scores[wi]);
            rows.dust.extend_from_slice(&dust);
            rows.final_w.extend_from_slice(&pay.final_w[..n]);
            let or_else = |col: &[f64], fill: &dyn Fn(usize) -> f64| -> Vec<f64> {
                (0..n).map(|k| col.get(k).copied().unwrap_or_else(|| fill(k))).collect()
            };
            match pay.pre_burn.len() == n {
                true => rows.payout.extend_from_slice(&pay.pre_burn),
                false => rows.payout.extend(or_else(&pay.pre_burn, &|k| pay.final_w[k])),
            }
            match pay.debt.len() == n {
                true => rows.debt.extend_from_slice(&pay.debt),
                false => rows.debt.extend(or_else(&pay.debt, &|_| 0.0)),
            }
            rows.step.push(step as u32);
            rows.hotkey.push(self.burn_id);
            rows.bucket.push(self.burn_bucket);
            rows.window_score.push(0.0);
            rows.dust.push(0.0);
            rows.payout.push(pay.burn_weight());
            rows.debt.push(0.0);
            rows.final_w.push(pay.burn_weight());
            if let (Some(o), Some(credits)) = (overlay.as_mut(), paid.as_deref_mut()) {
                // The emission model's own expressions (`Emission`), so a credit equals the
                // results table's reward_usd.
                let share = match baseline_shares {
                    Some(s) => s[step],
                    None => pay.final_w.iter().fold(0.0, |a, w| a + w),
                };
                let pool = match self.pool {
                    Source::Constant(x) => *x,
                    Source::Ledgers => {
                        let got = sh.received_alpha;
                        if share > 1e-12 && got > 0.0 { got / share / step_days } else { DEFAULT_POOL }
                    }
                };
                let price = match self.price {
                    Source::Constant(x) => *x,
                    Source::Ledgers => sh.alpha_usd.unwrap_or(DEFAULT_ALPHA_USD),
                };
                for (k, &m) in sh.present.iter().enumerate() {
                    let usd = pay.final_w[k] * pool * step_days * price;
                    // A walk with payments is a closed loop's: the prelude made its ranges.
                    let (i, j) = (sh.credit[k].0 as usize, sh.credit[k].1 as usize);
                    if j > i && usd != 0.0 {
                        let each = usd / (j - i) as f64;
                        for slot in &mut o[m][i..j] {
                            *slot += each;
                        }
                        if self.keep_credits {
                            for &ts in &self.store.miners[m].ts[i..j] {
                                *credits.entry((self.hotkey_ids[m], ts)).or_default() += each;
                            }
                        }
                    }
                }
            }
            (self.progress)(1);
        }
        Ok(())
    }
}

impl Rows {
    fn reserve(&mut self, n: usize) {
        self.step.reserve(n);
        self.hotkey.reserve(n);
        self.bucket.reserve(n);
        self.window_score.reserve(n);
        self.dust.reserve(n);
        self.payout.reserve(n);
        self.debt.reserve(n);
        self.final_w.reserve(n);
    }
}

/// Smoothing of dust weights between steps, per hotkey. A miner new to the replay, or back
/// after missing a step, starts from its unsmoothed weight.
pub(crate) fn smooth(
    policy: &DustPolicy,
    dust: &mut [f64],
    present: &[usize],
    ids: &[u32],
    prev: &mut [(f64, u32)],
    step: u32,
) {
    for (k, &m) in present.iter().enumerate() {
        let id = ids[m] as usize;
        let (p, seen) = prev[id];
        if step > 0 && seen == step - 1 {
            dust[k] = match policy.smoothing {
                Smoothing::None => dust[k],
                Smoothing::Ema { alpha } => alpha * dust[k] + (1.0 - alpha) * p,
                Smoothing::MaxStep { relative } => {
                    let room = relative * p.max(policy.dust);
                    dust[k].clamp(p - room, p + room)
                }
            };
        }
        prev[id] = (dust[k], step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::preset;
    use crate::testutil::{cp, set};
    use crate::time::MS_PER_DAY;

    const D: f64 = 1.5e-05;

    /// B's dust at each of three daily steps: unsmoothed 2D, D, 2D.
    fn b_dust(smoothing: Smoothing) -> Vec<f64> {
        let day = |k: i64| k * MS_PER_DAY;
        let a = (0..3).map(|k| cp(day(k), 100.0, 1.0, "CHALLENGE", 0.0)).collect();
        let b =
            [100.0, 0.0, 100.0].iter().enumerate().map(|(k, n)| cp(day(k as i64), *n, 1.0, "CHALLENGE", 0.0)).collect();
        let store = Store::from_set(&set(vec![("A", a), ("B", b)]));
        let mut p = preset("ptn-dynamic").unwrap();
        p.payout = "dust-only".into();
        p.lookback_days = 0.4;
        p.smoothing = smoothing;
        let policies = [p];
        let mut e = Engine::new(&policies, vec![0, day(1), day(2)], MS_PER_DAY).unwrap();
        e.run_segment(&store, 0..3, day(2), &|_| {}).unwrap();
        (0..3).map(|s| e.rows[0].dust[s * 3 + 1] / D).collect()
    }

    #[test]
    fn smoothing_none_ema_and_max_step() {
        let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12);
        let none = b_dust(Smoothing::None);
        assert!(close(&none, &[2.0, 1.0, 2.0]), "{none:?}");
        let ema = b_dust(Smoothing::Ema { alpha: 0.5 });
        assert!(close(&ema, &[2.0, 1.5, 1.75]), "{ema:?}");
        let step = b_dust(Smoothing::MaxStep { relative: 0.1 });
        assert!(close(&step, &[2.0, 1.8, 1.98]), "{step:?}");
    }

    /// A generated population's store, daily steps over its span, and its newest checkpoint.
    fn generated(miners: usize, days: u32, seed: u64) -> (Store, Vec<i64>, i64) {
        use crate::population::generate::{PopulationParams, generate};
        let pop = generate(&PopulationParams { miners, days, seed, ..PopulationParams::default() });
        let (first, last) = pop.set.ledgers.iter().fold((i64::MAX, i64::MIN), |(a, b), l| {
            (a.min(l.checkpoints[0].timestamp_ms), b.max(l.checkpoints.last().unwrap().timestamp_ms))
        });
        let steps = crate::replay::clock::steps(first - first.rem_euclid(MS_PER_DAY), last, MS_PER_DAY).unwrap();
        (Store::from_set(&pop.set), steps, last)
    }

    #[test]
    fn running_sums_of_a_closed_loop_are_the_monthly_model_s_own_to_the_bit() {
        let (store, steps, last) = generated(40, 120, 5);
        let rows = |running: bool, name: &str| {
            let policies = [preset(name).unwrap()];
            let mut e = Engine::new(&policies, steps.clone(), MS_PER_DAY).unwrap();
            e.feedback = Feedback::Simulated;
            e.running_sums = running;
            e.run_segment(&store, 0..steps.len(), last, &|_| {}).unwrap();
            (e.rows[0].final_w.clone(), e.rows[0].debt.clone())
        };
        for name in ["ptn-dynamic", "ptn-collateral"] {
            let (w, d) = rows(true, name);
            let (w0, d0) = rows(false, name);
            assert_eq!(w, w0, "{name}: final weights");
            assert_eq!(d, d0, "{name}: debts");
            assert!(d.iter().any(|x| *x > 0.0), "{name}: the debt side is active");
        }
    }

    /// A lone policy walks chunk by chunk beside the prelude of the next chunk; beside a
    /// second policy it walks after the whole prelude. Its rows, step facts and bucket ids must
    /// not tell the two apart: closed monthly loop, pool derived from the ledgers (the
    /// baseline-first order), smoothing, and a clock that is not a whole number of chunks.
    #[test]
    fn a_lone_policy_s_pipelined_walk_is_the_walk_after_the_whole_prelude() {
        let (store, steps, last) = generated(80, 120, 9);
        assert!(steps.len() > 3 * PIPELINE_STEPS && !steps.len().is_multiple_of(PIPELINE_STEPS), "{}", steps.len());
        for (name, smoothing) in [("ptn-dynamic", Smoothing::Ema { alpha: 0.3 }), ("ptn-collateral", Smoothing::None)] {
            let mut p = preset(name).unwrap();
            p.smoothing = smoothing;
            let other = preset("static").unwrap();
            let walk = |policies: &[DustPolicy]| {
                let mut e = Engine::new(policies, steps.clone(), MS_PER_DAY).unwrap();
                e.feedback = Feedback::Simulated;
                e.set_emission(&Source::Ledgers, &Source::Ledgers);
                e.run_segment(&store, 0..steps.len(), last, &|_| {}).unwrap();
                let facts: Vec<(f64, Option<f64>)> = e.facts.iter().map(|f| (f.received_alpha, f.alpha_usd)).collect();
                (e.rows[0].clone(), facts, e.bucket_names.names.clone())
            };
            let lone = walk(std::slice::from_ref(&p));
            let beside = walk(&[p.clone(), other]);
            assert!(lone.0.step.len() > 80 * steps.len() / 2, "{name}: rows {}", lone.0.step.len());
            assert!(lone.0.debt.iter().any(|d| *d > 0.0), "{name}: the closed loop's debt is active");
            assert!(lone == beside, "{name}: the pipelined walk differs");
        }
    }

    #[test]
    fn rows_hold_present_miners_then_burn_and_presence_ends_a_step_after_the_last_checkpoint() {
        let day = |k: i64| k * MS_PER_DAY;
        let a = (0..5).map(|k| cp(day(k), 1.0, 1.0, "MAINCOMP", 0.0)).collect();
        let b = vec![cp(day(0), 1.0, 1.0, "CHALLENGE", 0.0)]; // stops after day 0
        let store = Store::from_set(&set(vec![("A", a), ("B", b)]));
        let policies = [preset("static").unwrap()];
        let mut e = Engine::new(&policies, (0..5).map(day).collect(), MS_PER_DAY).unwrap();
        e.run_segment(&store, 0..5, day(4), &|_| {}).unwrap();
        let per_step: Vec<usize> = (0..5).map(|s| e.rows[0].step.iter().filter(|x| **x == s).count()).collect();
        assert_eq!(per_step, vec![3, 3, 2, 2, 2], "B present at day 0 and one step after, then gone");
        let burn = e.hotkeys.id("burn_uid_229");
        assert_eq!(e.rows[0].hotkey[2], burn);
        assert_eq!(e.rows[0].final_w[2], 1.0 - (3.0 * D + D));
    }
}
