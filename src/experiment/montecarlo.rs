//! Monte Carlo: every run draws its population (when synthetic) and its adversaries from a
//! generator seeded by (scenario seed, run); runs execute in parallel and merge in run order.

use polars::prelude::*;

use super::scenario::Scenario;
use crate::ledger::store::Store;
use crate::ledger::{LedgerSet, Status};
use crate::metrics::adversary::{self as outcome, Outcome};
use crate::notes::Notes;
use crate::population::adversary::{self, AdversarySpec, Context, Injected};
use crate::population::calibration::{Calibration, calibrate};
use crate::population::generate::{PopulationParams, generate};
use crate::population::seed;
use crate::replay::emission::Emission;
use crate::replay::engine::Engine;
use crate::replay::results;
use crate::replay::sources::History;
use crate::time::{CHECKPOINT_MS, MS_PER_DAY};

/// What every run starts from.
pub enum Base {
    /// Ledger files, the same in every run (adversaries still vary).
    Files { set: LedgerSet, buckets: Option<History<Status>>, collateral: Option<History<f64>> },
    /// A synthetic population, generated anew for every run.
    Synthetic(PopulationParams),
}

pub struct RunResult {
    pub outcomes: Vec<Outcome>,
    /// Per policy, its scalar metrics in this run (every run, not only run 0).
    pub metrics: Vec<(String, std::collections::BTreeMap<String, f64>)>,
    /// Run 0 keeps its long table and its data notes.
    pub frame: Option<DataFrame>,
    pub notes: Notes,
    /// Run 0 of a synthetic population: how it compares with the real subnet.
    pub calibration: Option<Calibration>,
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
pub fn run_seed(scenario_seed: u64, run: usize) -> u64 {
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
    pub calibration: Option<Calibration>,
}

/// A run's population before adversaries: ledgers, true buckets, collateral.
#[derive(Clone)]
pub struct RunPopulation {
    pub set: LedgerSet,
    pub buckets: Option<History<Status>>,
    pub collateral: History<f64>,
    pub span: (i64, i64),
    /// Run 0 of a synthetic population only (the report shows one run's calibration).
    pub calibration: Option<Calibration>,
}

/// Run `run`'s population: generated anew (synthetic) or the files' (cloned).
pub fn population(scenario: &Scenario, base: &Base, run: usize) -> anyhow::Result<RunPopulation> {
    let mut calibration = None;
    let (set, buckets, collateral) = match base {
        Base::Files { set, buckets, collateral } => {
            (set.clone(), buckets.clone(), collateral.clone().unwrap_or_default())
        }
        Base::Synthetic(p) => {
            let params = PopulationParams { seed: run_seed(scenario.seed, run), ..p.clone() };
            let pop = generate(&params);
            if run == 0 {
                calibration = Some(calibrate(&params, &pop));
            }
            let (b, c) = histories(&pop);
            (pop.set, Some(b), c)
        }
    };
    let span = span(base).ok_or_else(|| anyhow::anyhow!("the population holds no checkpoint"))?;
    Ok(RunPopulation { set, buckets, collateral, span, calibration })
}

/// Adds `adversaries` to a population (their generators seeded by `seed` and the block's
/// index): who was injected, their ledgers appended to `set`, their collateral to `collateral`.
pub fn inject_into(
    seed_value: u64,
    adversaries: &[AdversarySpec],
    set: &mut LedgerSet,
    collateral: &mut History<f64>,
    span: (i64, i64),
) -> Vec<Injected> {
    let (injected, new_ledgers) = adversary_ledgers(seed_value, adversaries, set, span);
    for (l, c) in new_ledgers {
        collateral.insert(&l.key, i64::MIN, c);
        set.ledgers.push(l);
    }
    injected
}

/// The adversaries' hotkeys and ledgers (with their collateral) for a population spanning
/// `span`, each block's generator seeded by `seed` and the block's index. `population` is
/// what they observe (the whole population, or [`observed`]'s part of it).
pub fn adversary_ledgers(
    seed_value: u64,
    adversaries: &[AdversarySpec],
    population: &LedgerSet,
    span: (i64, i64),
) -> (Vec<Injected>, Vec<(crate::ledger::Ledger, f64)>) {
    let ctx = context(population, span);
    let mut injected: Vec<Injected> = Vec::new();
    let mut new_ledgers = Vec::new();
    for (j, spec) in adversaries.iter().enumerate() {
        let mut rng = seed::rng(seed_value, 1 + j as u64);
        let (who, ledgers) = adversary::inject(spec, &ctx, &mut rng);
        injected.push(who);
        new_ledgers.extend(ledgers);
    }
    (injected, new_ledgers)
}

/// The adversaries' view of a population spanning `span`.
fn context(population: &LedgerSet, span: (i64, i64)) -> Context<'_> {
    let start = span.0 - CHECKPOINT_MS;
    Context { start_ms: start, steps: ((span.1 - start) / CHECKPOINT_MS) as usize, population }
}

/// What adversaries observe of a population spanning `span` (see [`adversary::observed`]).
pub fn observed(population: &LedgerSet, span: (i64, i64)) -> LedgerSet {
    adversary::observed(&context(population, span))
}

/// Writes the emission fields of the injected hotkeys' checkpoints: what the generator's payer
/// (`ptn-dynamic`, production's release of 31 October 2025) pays them in a closed-loop daily
/// replay of the whole population, at the population's own alpha prices. Without it an
/// adversary looks unpaid to every debt rule that reads the record (an open-loop replay, a
/// file written by `generate`).
pub fn pay_injected(
    set: &mut LedgerSet,
    injected: &[Injected],
    buckets: Option<&History<Status>>,
    collateral: &History<f64>,
    pool: &crate::replay::emission::Source,
    price: &crate::replay::emission::Source,
) -> anyhow::Result<()> {
    let who: std::collections::HashSet<&str> = outcome::injected_hotkeys(injected);
    if who.is_empty() {
        return Ok(());
    }
    let Some((first, last)) = data_span(set) else { return Ok(()) };
    let payer = [crate::policy::preset(crate::population::generate::PAYER)?];
    let store = Store::from_set(set);
    let steps = crate::replay::clock::steps(first - first.rem_euclid(MS_PER_DAY), last, MS_PER_DAY)?;
    let mut engine = Engine::new(&payer, steps.clone(), MS_PER_DAY)?;
    engine.buckets = buckets;
    engine.collateral = Some(collateral);
    engine.set_emission(pool, price);
    engine.feedback = crate::replay::engine::Feedback::Simulated;
    engine.keep_credits = true;
    engine.run_segment(&store, 0..steps.len(), last, &|_| {})?;
    // The population's prices at each checkpoint (every miner of a synthetic one carries them).
    let mut rates: std::collections::HashMap<i64, (f64, f64)> = std::collections::HashMap::new();
    for l in set.ledgers.iter().filter(|l| !who.contains(l.hotkey.as_str())) {
        for c in &l.checkpoints {
            if c.avg_alpha_to_tao_rate > 0.0 && c.avg_tao_to_usd_rate > 0.0 {
                rates.entry(c.timestamp_ms).or_insert((c.avg_alpha_to_tao_rate, c.avg_tao_to_usd_rate));
            }
        }
    }
    let credits = engine.credits(0);
    let round = crate::population::generate::round_to;
    for l in set.ledgers.iter_mut().filter(|l| who.contains(l.hotkey.as_str())) {
        let Some(id) = engine.hotkeys.get(&l.hotkey) else { continue };
        for c in &mut l.checkpoints {
            let usd = credits.get(&(id, c.timestamp_ms)).copied().unwrap_or(0.0);
            let (a2t, t2u) = rates
                .get(&c.timestamp_ms)
                .copied()
                .unwrap_or((crate::replay::emission::DEFAULT_ALPHA_USD / 400.0, 400.0));
            let alpha = usd / (a2t * t2u);
            c.chunk_emissions_alpha = round(alpha, 6);
            c.chunk_emissions_tao = round(alpha * a2t, 9);
            c.chunk_emissions_usd = round(usd, 4);
            c.avg_alpha_to_tao_rate = a2t;
            c.avg_tao_to_usd_rate = t2u;
        }
    }
    Ok(())
}

/// (first checkpoint, newest checkpoint) of a ledger set.
pub(crate) fn data_span(set: &LedgerSet) -> Option<(i64, i64)> {
    let first = set.ledgers.iter().filter_map(|l| l.checkpoints.first()).map(|c| c.timestamp_ms).min()?;
    let last = set.ledgers.iter().filter_map(|l| l.checkpoints.last()).map(|c| c.timestamp_ms).max()?;
    Some((first, last))
}

/// A generated population's true bucket history and collateral, as the engine reads them.
pub fn histories(pop: &crate::population::generate::Population) -> (History<Status>, History<f64>) {
    let mut buckets = History::new();
    for (h, t, s) in &pop.buckets {
        buckets.insert(h, *t, s.clone());
    }
    let mut collateral = History::new();
    for (h, v) in &pop.collateral {
        collateral.insert(h, i64::MIN, *v);
    }
    (buckets, collateral)
}

/// Injects `adversaries` into a run's population (their generators seeded by (seed, run, j)).
/// An open-loop scenario reads payments from the record, so the injected hotkeys are paid
/// into it first; a closed loop pays them itself.
pub fn inject_all(
    scenario: &Scenario,
    run: usize,
    adversaries: &[AdversarySpec],
    pop: RunPopulation,
) -> anyhow::Result<Prepared> {
    let RunPopulation { mut set, buckets, mut collateral, span, calibration } = pop;
    let injected = inject_into(run_seed(scenario.seed, run), adversaries, &mut set, &mut collateral, span);
    if scenario.feedback == crate::replay::engine::Feedback::Historical {
        pay_injected(&mut set, &injected, buckets.as_ref(), &collateral, &scenario.pool, &scenario.price)?;
    }
    Ok(Prepared { store: Store::from_set(&set), buckets, collateral, injected, data_end: span.1, calibration })
}

/// Builds run `run`'s population: generated (synthetic) or cloned (files), adversaries injected.
pub fn prepare(scenario: &Scenario, base: &Base, run: usize) -> anyhow::Result<Prepared> {
    inject_all(scenario, run, &scenario.adversaries, population(scenario, base, run)?)
}

/// Replays `policies` on a prepared run; with `keep_orders` the engine keeps each step's score
/// orders (`Engine::score_order`) for the metrics of many variants (a sweep's chunk).
pub fn replay<'a>(
    scenario: &'a Scenario,
    prep: &'a Prepared,
    policies: &'a [crate::policy::DustPolicy],
    steps: &[i64],
    keep_orders: bool,
) -> anyhow::Result<Engine<'a>> {
    replay_store(scenario, prep, &prep.store, policies, steps, keep_orders)
}

/// Replays `policies` on `store` with a prepared run's side inputs.
fn replay_store<'a>(
    scenario: &'a Scenario,
    prep: &'a Prepared,
    store: &Store,
    policies: &'a [crate::policy::DustPolicy],
    steps: &[i64],
    keep_orders: bool,
) -> anyhow::Result<Engine<'a>> {
    let mut engine = Engine::new(policies, steps.to_vec(), scenario.step_ms)?;
    engine.keep_orders = keep_orders;
    engine.buckets = prep.buckets.as_ref();
    engine.collateral = Some(&prep.collateral);
    engine.set_emission(&scenario.pool, &scenario.price);
    engine.feedback = scenario.feedback;
    engine.metagraph = scenario.metagraphs.as_ref();
    engine.run_segment(store, 0..steps.len(), prep.data_end, &|_| {})?;
    Ok(engine)
}

/// Per adversary block whose damage is to its rivals (the whale): per policy, the rivals'
/// reward in the same run without that block's adversary hotkeys. `None` for other blocks.
pub fn rivals_without(
    scenario: &Scenario,
    prep: &Prepared,
    specs: &[AdversarySpec],
    policies: &[crate::policy::DustPolicy],
    steps: &[i64],
) -> anyhow::Result<Vec<Option<Vec<f64>>>> {
    let everyone = outcome::injected_hotkeys(&prep.injected);
    prep.injected
        .iter()
        .zip(specs)
        .map(|(inj, spec)| {
            if !outcome::damages_rivals(&inj.strategy) {
                return Ok(None);
            }
            let store = prep.store.without(&inj.adversary.iter().map(String::as_str).collect());
            let engine = replay_store(scenario, prep, &store, policies, steps, false)?;
            let em = Emission::of(&engine, &scenario.pool, &scenario.price);
            Ok(Some(outcome::rivals_usd(&engine, &em, &spec.bucket, &everyone)))
        })
        .collect()
}

pub fn run_one(
    scenario: &Scenario,
    base: &Base,
    steps: &[i64],
    run: usize,
    keep_frame: bool,
) -> anyhow::Result<RunResult> {
    let mut prep = prepare(scenario, base, run)?;
    let calibration = prep.calibration.take();
    let engine = replay(scenario, &prep, &scenario.policies, steps, false)?;
    let em = Emission::of(&engine, &scenario.pool, &scenario.price);
    let without = rivals_without(scenario, &prep, &scenario.adversaries, &scenario.policies, steps)?;
    let outcomes = outcome::outcomes(&engine, &em, &scenario.adversaries, &prep.injected, &without, run as u32);
    let baseline = crate::metrics::rows::Baseline::of(&engine, &em);
    let metrics = (0..engine.policies.len())
        .map(|pi| {
            let row = super::sweep::exec::metrics_row(&engine, pi, &em, &baseline, &outcomes, run as u32);
            (engine.policies[pi].name.clone(), row)
        })
        .collect();
    let (frame, notes) = if keep_frame {
        let mut notes = engine.notes();
        notes.extend(em.notes(steps));
        (Some(results::frame(&engine, &em, run as u32)?), notes)
    } else {
        (None, Notes::default())
    };
    Ok(RunResult { outcomes, metrics, frame, notes, calibration })
}
