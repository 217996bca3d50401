//! Monte Carlo: every run draws its population (when synthetic) and its adversaries from a
//! generator seeded by (scenario seed, run); runs execute in parallel and merge in run order.

use std::collections::HashSet;

use polars::prelude::*;
use serde::Serialize;

use super::engine::Engine;
use super::results::{self, PolicySummary};
use super::scenario::{Scenario, Source};
use super::sources::History;
use crate::ledger::store::Store;
use crate::ledger::{LedgerSet, Status};
use crate::metrics::stats::percentile;
use crate::population::adversary::{self, AdversarySpec, Context, Injected};
use crate::population::generate::{PopulationParams, generate};
use crate::population::seed;
use crate::time::{CHECKPOINT_MS, MS_PER_DAY};

/// What every run starts from.
pub enum Base {
    /// Ledger files, the same in every run (adversaries still vary).
    Files { set: LedgerSet, buckets: Option<History<Status>>, collateral: Option<History<f64>> },
    /// A synthetic population, generated anew for every run.
    Synthetic(PopulationParams),
}

/// One adversary's result under one policy in one run.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub run: u32,
    pub policy: String,
    pub adversary: String,
    pub strategy: String,
    pub reward_usd: f64,
    pub twin_reward_usd: f64,
    /// Adversary reward / all miners' reward.
    pub reward_share: f64,
    pub excess_usd: f64,
    /// Excess over the twin in % of the twin's reward (None when the twin earned nothing).
    pub excess_pct: Option<f64>,
    pub costs_usd: f64,
    pub twin_costs_usd: f64,
    pub collateral_usd: f64,
    /// (reward − costs) / (collateral + costs) over the replay (None when both are 0).
    pub roi: Option<f64>,
    pub twin_roi: Option<f64>,
    pub caught: bool,
    /// Mean position of the other miners of the adversary's bucket between floor (0) and
    /// ceiling (1) under this policy.
    pub rival_position: Option<f64>,
}

pub struct RunResult {
    pub outcomes: Vec<Outcome>,
    /// Run 0 keeps its long table and summary.
    pub frame: Option<DataFrame>,
    pub summaries: Option<Vec<PolicySummary>>,
}

/// The population span a run trades over: (first checkpoint, newest checkpoint).
pub fn span(base: &Base) -> Option<(i64, i64)> {
    match base {
        Base::Files { set, .. } => {
            let first = set.ledgers.iter().filter_map(|l| l.checkpoints.first()).map(|c| c.timestamp_ms).min()?;
            let last = set.ledgers.iter().filter_map(|l| l.checkpoints.last()).map(|c| c.timestamp_ms).max()?;
            Some((first, last))
        }
        Base::Synthetic(p) => Some((p.start_ms + CHECKPOINT_MS, p.start_ms + p.days as i64 * MS_PER_DAY)),
    }
}

/// Seed of a run's population (stream 0 of the run) and of its adversary `j`.
fn run_seed(scenario_seed: u64, run: usize) -> u64 {
    scenario_seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(run as u64)
}

/// One run's population: its store (adversaries injected), side inputs and who was injected.
pub struct Prepared {
    pub store: Store,
    pub buckets: Option<History<Status>>,
    pub collateral: History<f64>,
    pub injected: Vec<Injected>,
    /// The newest checkpoint (presence treats ledgers reaching it as alive).
    pub data_end: i64,
}

/// A run's population before adversaries: ledgers, true buckets, collateral.
#[derive(Clone)]
pub struct RunPopulation {
    pub set: LedgerSet,
    pub buckets: Option<History<Status>>,
    pub collateral: History<f64>,
    pub span: (i64, i64),
}

/// Run `run`'s population: generated anew (synthetic) or the files' (cloned).
pub fn population(scenario: &Scenario, base: &Base, run: usize) -> anyhow::Result<RunPopulation> {
    let (set, buckets, collateral) = match base {
        Base::Files { set, buckets, collateral } => {
            (set.clone(), buckets.clone(), collateral.clone().unwrap_or_default())
        }
        Base::Synthetic(p) => {
            let pop = generate(&PopulationParams { seed: run_seed(scenario.seed, run), ..p.clone() });
            let mut b = History::new();
            for (h, t, s) in &pop.buckets {
                b.insert(h, *t, s.clone());
            }
            let mut c = History::new();
            for (h, v) in &pop.collateral {
                c.insert(h, i64::MIN, *v);
            }
            (pop.set, Some(b), c)
        }
    };
    let span = span(base).ok_or_else(|| anyhow::anyhow!("the population holds no checkpoint"))?;
    Ok(RunPopulation { set, buckets, collateral, span })
}

/// Injects `adversaries` into a run's population (their generators seeded by (seed, run, j)).
pub fn inject_all(seed_value: u64, run: usize, adversaries: &[AdversarySpec], pop: RunPopulation) -> Prepared {
    let RunPopulation { mut set, buckets, mut collateral, span: (first, last) } = pop;
    let start = first - CHECKPOINT_MS;
    let ctx = Context { start_ms: start, steps: ((last - start) / CHECKPOINT_MS) as usize, population: &set };
    let mut injected: Vec<Injected> = Vec::new();
    let mut new_ledgers = Vec::new();
    for (j, spec) in adversaries.iter().enumerate() {
        let mut rng = seed::rng(run_seed(seed_value, run), 1 + j as u64);
        let (who, ledgers) = adversary::inject(spec, &ctx, &mut rng);
        injected.push(who);
        new_ledgers.extend(ledgers);
    }
    for (l, c) in new_ledgers {
        collateral.insert(&l.key, i64::MIN, c);
        set.ledgers.push(l);
    }
    Prepared { store: Store::from_set(&set), buckets, collateral, injected, data_end: last }
}

/// Builds run `run`'s population: generated (synthetic) or cloned (files), adversaries injected.
pub fn prepare(scenario: &Scenario, base: &Base, run: usize) -> anyhow::Result<Prepared> {
    Ok(inject_all(scenario.seed, run, &scenario.adversaries, population(scenario, base, run)?))
}

/// Replays `policies` on a prepared run.
pub fn replay<'a>(
    scenario: &Scenario,
    prep: &'a Prepared,
    policies: &'a [crate::policy::DustPolicy],
    steps: &[i64],
) -> anyhow::Result<Engine<'a>> {
    let mut engine = Engine::new(policies, steps.to_vec(), scenario.step_ms)?;
    engine.buckets = prep.buckets.as_ref();
    engine.collateral = Some(&prep.collateral);
    engine.derive_pool = scenario.pool == Source::Ledgers;
    engine.derive_price = scenario.price == Source::Ledgers;
    engine.run_segment(&prep.store, 0..steps.len(), prep.data_end, &|_| {});
    Ok(engine)
}

pub fn run_one(
    scenario: &Scenario,
    base: &Base,
    steps: &[i64],
    run: usize,
    keep_frame: bool,
) -> anyhow::Result<RunResult> {
    let prep = prepare(scenario, base, run)?;
    let engine = replay(scenario, &prep, &scenario.policies, steps)?;
    let (pools, prices) = results::emission(&engine, &scenario.pool, &scenario.price);
    let outcomes = outcomes(&engine, &pools, &prices, &scenario.adversaries, &prep.injected, run as u32);
    let (frame, summaries) = if keep_frame {
        let df = results::frame(&engine, &pools, &prices, run as u32)?;
        let s = results::summarize(&engine, &df)?;
        (Some(df), Some(s))
    } else {
        (None, None)
    };
    Ok(RunResult { outcomes, frame, summaries })
}

fn roi(reward: f64, costs: f64, capital: f64) -> Option<f64> {
    let base = capital + costs;
    if base > 0.0 { Some((reward - costs) / base) } else { None }
}

pub fn outcomes(
    engine: &Engine,
    pools: &[f64],
    prices: &[f64],
    specs: &[crate::population::adversary::AdversarySpec],
    injected: &[Injected],
    run: u32,
) -> Vec<Outcome> {
    let step_days = engine.step_ms as f64 / MS_PER_DAY as f64;
    let burn = engine.hotkeys.get(engine.burn);
    let ids = |hs: &[String]| -> HashSet<u32> { hs.iter().filter_map(|h| engine.hotkeys.get(h)).collect() };
    let groups: Vec<(HashSet<u32>, HashSet<u32>, Option<u32>)> = injected
        .iter()
        .zip(specs)
        .map(|(inj, spec)| (ids(&inj.adversary), ids(&inj.twin), engine.bucket_names.get(&spec.bucket)))
        .collect();
    let mut out = Vec::new();
    for (policy, rows) in engine.policies.iter().zip(&engine.rows) {
        let mut total = 0.0;
        let mut adv = vec![0.0; groups.len()];
        let mut twin = vec![0.0; groups.len()];
        let mut rival = vec![(0.0, 0usize); groups.len()];
        for i in 0..rows.step.len() {
            let h = rows.hotkey[i];
            if Some(h) == burn {
                continue;
            }
            let s = rows.step[i] as usize;
            let usd = rows.final_w[i] * pools[s] * step_days * prices[s];
            total += usd;
            for (g, (a, t, bucket)) in groups.iter().enumerate() {
                if a.contains(&h) {
                    adv[g] += usd;
                } else if t.contains(&h) {
                    twin[g] += usd;
                } else if Some(rows.bucket[i]) == *bucket {
                    let status = Status::parse(&specs[g].bucket);
                    let floor = policy.floor_multiplier(&status) * policy.dust;
                    let width = policy.ceiling_width_of(&status) * policy.dust;
                    if width > 0.0 {
                        rival[g].0 += (rows.dust[i] - floor) / width;
                        rival[g].1 += 1;
                    }
                }
            }
        }
        for (g, inj) in injected.iter().enumerate() {
            let excess = adv[g] - twin[g];
            out.push(Outcome {
                run,
                policy: policy.name.clone(),
                adversary: inj.label.clone(),
                strategy: inj.strategy.clone(),
                reward_usd: adv[g],
                twin_reward_usd: twin[g],
                reward_share: if total > 0.0 { adv[g] / total } else { 0.0 },
                excess_usd: excess,
                excess_pct: if twin[g] > 0.0 { Some(100.0 * excess / twin[g]) } else { None },
                costs_usd: inj.adversary_costs_usd,
                twin_costs_usd: inj.twin_costs_usd,
                collateral_usd: inj.adversary_collateral_usd,
                roi: roi(adv[g], inj.adversary_costs_usd, inj.adversary_collateral_usd),
                twin_roi: roi(twin[g], inj.twin_costs_usd, inj.twin_collateral_usd),
                caught: inj.caught,
                rival_position: if rival[g].1 > 0 { Some(rival[g].0 / rival[g].1 as f64) } else { None },
            });
        }
    }
    out
}

/// The outcomes as a table (run order, then policy, then adversary).
pub fn outcomes_frame(outcomes: &[Outcome]) -> PolarsResult<DataFrame> {
    let n = outcomes.len();
    let f = |g: fn(&Outcome) -> f64| outcomes.iter().map(g).collect::<Vec<f64>>();
    let o = |g: fn(&Outcome) -> Option<f64>| outcomes.iter().map(g).collect::<Vec<Option<f64>>>();
    DataFrame::new(
        n,
        vec![
            Column::new("run".into(), outcomes.iter().map(|x| x.run).collect::<Vec<u32>>()),
            Column::new("policy".into(), outcomes.iter().map(|x| x.policy.as_str()).collect::<Vec<_>>()),
            Column::new("adversary".into(), outcomes.iter().map(|x| x.adversary.as_str()).collect::<Vec<_>>()),
            Column::new("strategy".into(), outcomes.iter().map(|x| x.strategy.as_str()).collect::<Vec<_>>()),
            Column::new("reward_usd".into(), f(|x| x.reward_usd)),
            Column::new("twin_reward_usd".into(), f(|x| x.twin_reward_usd)),
            Column::new("reward_share".into(), f(|x| x.reward_share)),
            Column::new("excess_usd".into(), f(|x| x.excess_usd)),
            Column::new("excess_pct".into(), o(|x| x.excess_pct)),
            Column::new("costs_usd".into(), f(|x| x.costs_usd)),
            Column::new("twin_costs_usd".into(), f(|x| x.twin_costs_usd)),
            Column::new("collateral_usd".into(), f(|x| x.collateral_usd)),
            Column::new("roi".into(), o(|x| x.roi)),
            Column::new("twin_roi".into(), o(|x| x.twin_roi)),
            Column::new("caught".into(), outcomes.iter().map(|x| x.caught).collect::<Vec<bool>>()),
            Column::new("rival_position".into(), o(|x| x.rival_position)),
        ],
    )
}

/// Mean and 5–95% band of a sample (None when empty).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Band {
    pub mean: f64,
    pub p5: f64,
    pub p95: f64,
}

impl Band {
    pub fn of(x: &[f64]) -> Option<Band> {
        if x.is_empty() {
            return None;
        }
        Some(Band { mean: x.iter().sum::<f64>() / x.len() as f64, p5: percentile(x, 5.0), p95: percentile(x, 95.0) })
    }
}

/// Per (policy, adversary) over runs.
#[derive(Debug, Clone, Serialize)]
pub struct OutcomeSummary {
    pub policy: String,
    pub adversary: String,
    pub strategy: String,
    pub runs: usize,
    pub reward_share: Option<Band>,
    pub excess_usd: Option<Band>,
    pub excess_pct: Option<Band>,
    pub roi: Option<Band>,
    pub catch_rate: f64,
    pub rival_position: Option<Band>,
}

pub fn summarize(outcomes: &[Outcome]) -> Vec<OutcomeSummary> {
    let mut keys: Vec<(String, String, String)> = Vec::new();
    for o in outcomes {
        let k = (o.policy.clone(), o.adversary.clone(), o.strategy.clone());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .map(|(policy, adversary, strategy)| {
            let sel: Vec<&Outcome> =
                outcomes.iter().filter(|o| o.policy == policy && o.adversary == adversary).collect();
            let v = |g: fn(&Outcome) -> Option<f64>| sel.iter().filter_map(|o| g(o)).collect::<Vec<f64>>();
            OutcomeSummary {
                runs: sel.len(),
                reward_share: Band::of(&v(|o| Some(o.reward_share))),
                excess_usd: Band::of(&v(|o| Some(o.excess_usd))),
                excess_pct: Band::of(&v(|o| o.excess_pct)),
                roi: Band::of(&v(|o| o.roi)),
                catch_rate: sel.iter().filter(|o| o.caught).count() as f64 / sel.len().max(1) as f64,
                rival_position: Band::of(&v(|o| o.rival_position)),
                policy,
                adversary,
                strategy,
            }
        })
        .collect()
}

/// The console table of adversary outcomes.
pub fn render(summaries: &[OutcomeSummary]) -> String {
    use std::fmt::Write;
    let band = |b: &Option<Band>, scale: f64, prec: usize| match b {
        Some(b) => format!("{:.p$} [{:.p$}, {:.p$}]", b.mean * scale, b.p5 * scale, b.p95 * scale, p = prec),
        None => "-".into(),
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<18} {:<22} {:>28} {:>30} {:>26} {:>6} {:>20}",
        "policy",
        "adversary",
        "excess % over twin [5-95%]",
        "reward share % [5-95%]",
        "ROI % [5-95%]",
        "caught",
        "rivals' position"
    );
    for s in summaries {
        let _ = writeln!(
            out,
            "{:<18} {:<22} {:>28} {:>30} {:>26} {:>6.2} {:>20}",
            s.policy,
            s.adversary,
            band(&s.excess_pct, 1.0, 1),
            band(&s.reward_share, 100.0, 4),
            band(&s.roi, 100.0, 2),
            s.catch_rate,
            band(&s.rival_position, 1.0, 3)
        );
    }
    out
}
