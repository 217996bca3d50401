//! Worst-case adversary search: for each strategy, the parameters that earn the most over the
//! honest twin against one policy. Random search, then coordinate-wise local refinement; every
//! candidate is evaluated on the same populations and seeds (common random numbers), so
//! candidates compare fairly and the search is deterministic.

use rand::RngExt;
use serde::{Deserialize, Serialize};

use std::borrow::Cow;

use rayon::prelude::*;

use crate::experiment::montecarlo::{self, Base, RunPopulation};
use crate::experiment::run::{base_steps, load_base};
use crate::experiment::scenario::Scenario;
use crate::ledger::store::Store;
use crate::ledger::{LedgerSet, Status};
use crate::metrics::adversary::{Outcome, damages_rivals, outcome_of, outcomes};
use crate::notes::Notes;
use crate::policy::DustPolicy;
use crate::population::adversary::AdversarySpec;
use crate::population::seed;
use crate::replay::emission::Emission;
use crate::replay::incremental::{self, Digest, Role, Setup};
use crate::replay::sources::History;

/// One searched parameter: its key in the `[[adversary]]` block and its bounds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dimension {
    pub key: String,
    pub low: f64,
    pub high: f64,
    pub integer: bool,
}

/// The parameters searched for each strategy (the rest keep the block's values).
pub fn space(strategy: &str) -> Vec<Dimension> {
    let d = |key: &str, low: f64, high: f64, integer: bool| Dimension { key: key.into(), low, high, integer };
    match strategy {
        "sybil-split" => vec![d("k", 1.0, 12.0, true)],
        "whale-compression" => vec![d("factor", 1.0, 200.0, false)],
        "volatility-lottery" => vec![d("vol_multiplier", 1.0, 30.0, false)],
        "window-timing" => vec![d("period_days", 2.0, 60.0, false), d("burst_days", 0.5, 10.0, false)],
        "challenge-squatter" => vec![d("collateral_usd", 0.0, 300_000.0, false)],
        "copycat" => vec![d("lag_days", 0.5, 10.0, false), d("scale", 0.1, 3.0, false)],
        "re-registration-churn" => vec![d("loss_threshold", 0.001, 0.1, false)],
        _ => Vec::new(),
    }
}

/// `spec` with the searched parameters set to `x`.
pub fn with(spec: &AdversarySpec, dims: &[Dimension], x: &[f64]) -> AdversarySpec {
    let mut s = spec.clone();
    for (d, v) in dims.iter().zip(x) {
        match d.key.as_str() {
            "k" => s.k = *v as usize,
            "factor" => s.factor = *v,
            "vol_multiplier" => s.vol_multiplier = *v,
            "period_days" => s.period_days = *v,
            "burst_days" => s.burst_days = *v,
            "collateral_usd" => s.collateral_usd = *v,
            "lag_days" => s.lag_days = *v,
            "scale" => s.scale = *v,
            "loss_threshold" => s.loss_threshold = *v,
            _ => {}
        }
    }
    s
}

/// A strategy's own constraints on a candidate: a timing burst never outlasts its period.
pub fn repair(strategy: &str, dims: &[Dimension], mut x: Vec<f64>) -> Vec<f64> {
    if strategy == "window-timing" {
        let at = |k: &str| dims.iter().position(|d| d.key == k);
        if let (Some(p), Some(b)) = (at("period_days"), at("burst_days"))
            && x[b] > x[p]
        {
            x[b] = x[p];
        }
    }
    x
}

fn clamp(d: &Dimension, v: f64) -> f64 {
    let v = v.clamp(d.low, d.high);
    if d.integer { v.round() } else { v }
}

/// Search settings (the scenario's `[attack]` table).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttackSpec {
    /// Random candidates before refinement.
    pub samples: usize,
    /// Refinement rounds (each tries ± a step on every parameter; the step halves on failure).
    pub refine: usize,
    pub seed: u64,
}

impl Default for AttackSpec {
    fn default() -> Self {
        AttackSpec { samples: 16, refine: 10, seed: 1 }
    }
}

/// Evaluates adversary configurations against one policy on fixed populations.
pub struct Evaluator<'a> {
    pub scenario: &'a Scenario,
    pub policy: &'a DustPolicy,
    pub steps: Vec<i64>,
    /// Ticks once per replayed run (hidden when nobody watches).
    pub progress: indicatif::ProgressBar,
    /// Per run, the rivals' reward without a rival-damaging adversary. The run without the
    /// whale holds the population and the twin, which are the same whatever the factor, so it
    /// is replayed once per run, not once per candidate.
    pub without_cache: std::sync::Mutex<Vec<Option<RivalsWithout>>>,
    path: Path,
}

/// How an evaluator replays a candidate on a run.
enum Path {
    /// Each candidate's adversaries injected into the run's population, which is replayed in
    /// full (`reason`: why the incremental path was not taken, None when asked for).
    Full { populations: Vec<RunPopulation>, reason: Option<String> },
    /// The population digested once per run; a candidate replays only its own hotkeys against
    /// it (see `replay::incremental`).
    Incremental(Vec<std::sync::Arc<RunDigest>>),
}

/// One run's population as the incremental path keeps it.
struct RunDigest {
    digest: Digest,
    /// What the adversaries observe of the population (the copycat's leader).
    observed: LedgerSet,
    buckets: Option<History<Status>>,
    span: (i64, i64),
}

/// Per adversary block, per policy: the rivals' reward in a run without it (None where the
/// strategy does no damage to rivals).
pub type RivalsWithout = Vec<Option<Vec<f64>>>;

/// What the search maximises for a strategy: the damage to its bucket's rivals for the whale
/// (its own excess over an ordinary-size twin says how much bigger it is, not what it does),
/// the excess over the honest twin for the others.
pub fn objective(strategy: &str) -> &'static str {
    if crate::metrics::adversary::damages_rivals(strategy) { "rivals' reward lost" } else { "excess over the twin" }
}

impl<'a> Evaluator<'a> {
    /// An evaluator on the scenario's runs of `base`: the incremental path where the policy
    /// allows it (each run's population generated, digested and dropped, so memory holds one
    /// digest per run), full replays otherwise.
    pub fn new(
        scenario: &'a Scenario,
        policy: &'a DustPolicy,
        base: &Base,
        steps: Vec<i64>,
        progress: indicatif::ProgressBar,
    ) -> anyhow::Result<Evaluator<'a>> {
        let population = |r| montecarlo::population(scenario, base, r).map(Cow::Owned);
        let same = matches!(base, Base::Files { .. });
        Self::build(scenario, policy, scenario.runs, same, population, steps, progress, false)
    }

    /// An evaluator on given populations: incremental where the policy allows it, unless
    /// `full` asks for full replays (the reference the incremental path is tested against).
    /// `same`: every run's population is the same (ledger files), digested once.
    pub fn on(
        scenario: &'a Scenario,
        policy: &'a DustPolicy,
        populations: &[RunPopulation],
        same: bool,
        steps: Vec<i64>,
        progress: indicatif::ProgressBar,
        full: bool,
    ) -> anyhow::Result<Evaluator<'a>> {
        let population = |r: usize| Ok(Cow::Borrowed(&populations[r]));
        Self::build(scenario, policy, populations.len(), same, population, steps, progress, full)
    }

    /// The evaluator of `runs` runs whose populations `population` gives; with `same`, every
    /// run's population is the same (ledger files: only the adversaries vary), digested once.
    #[allow(clippy::too_many_arguments)]
    fn build<'p>(
        scenario: &'a Scenario,
        policy: &'a DustPolicy,
        runs: usize,
        same: bool,
        population: impl Fn(usize) -> anyhow::Result<Cow<'p, RunPopulation>> + Sync,
        steps: Vec<i64>,
        progress: indicatif::ProgressBar,
        full: bool,
    ) -> anyhow::Result<Evaluator<'a>> {
        let digested = |r: usize| -> anyhow::Result<std::sync::Arc<RunDigest>> {
            let pop: Cow<RunPopulation> = population(r)?;
            Ok(std::sync::Arc::new(digest(scenario, policy, &steps, &pop)?))
        };
        let path = match (full, unsupported(scenario, policy, &steps)) {
            (false, None) if same && runs > 0 => Path::Incremental(std::iter::repeat_n(digested(0)?, runs).collect()),
            (false, None) => Path::Incremental((0..runs).into_par_iter().map(digested).collect::<anyhow::Result<_>>()?),
            (_, reason) => Path::Full {
                populations: (0..runs).map(|r| Ok(population(r)?.into_owned())).collect::<anyhow::Result<_>>()?,
                reason: if full { None } else { reason },
            },
        };
        Ok(Evaluator { scenario, policy, steps, progress, without_cache: Default::default(), path })
    }

    /// How candidates are evaluated, for the reader (`attack.json`, the console).
    pub fn path(&self) -> String {
        match &self.path {
            Path::Incremental(_) => {
                "incremental: each run's population digested once, a candidate's own hotkeys replayed against it".into()
            }
            Path::Full { reason: Some(r), .. } => format!("full replay of every candidate ({r})"),
            Path::Full { reason: None, .. } => "full replay of every candidate (asked for)".into(),
        }
    }

    /// Whether candidates take the incremental path.
    pub fn is_incremental(&self) -> bool {
        matches!(self.path, Path::Incremental(_))
    }

    fn runs(&self) -> usize {
        match &self.path {
            Path::Full { populations, .. } => populations.len(),
            Path::Incremental(d) => d.len(),
        }
    }

    /// Mean excess reward (USD) over the honest twin, over the runs.
    pub fn excess(&self, spec: &AdversarySpec) -> anyhow::Result<f64> {
        Ok(self.measure(spec)?.0)
    }

    /// The strategy's objective (see [`objective`]) in USD and in % (of the twin's reward, or of
    /// the rivals' reward without the adversary), mean over the runs (% over the runs where
    /// the base earned something).
    pub fn measure(&self, spec: &AdversarySpec) -> anyhow::Result<(f64, Option<f64>)> {
        let (mut pct_sum, mut pct_n) = (0.0, 0usize);
        let mut total = 0.0;
        // Runs in parallel, summed in run order (the result does not depend on scheduling).
        let effects = (0..self.runs())
            .into_par_iter()
            .map(|run| {
                let effect = self.outcome(run, spec)?.map(|o| o.effect()).unwrap_or((0.0, None));
                self.progress.inc(1);
                Ok(effect)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        for (value, pct) in effects {
            total += value;
            if let Some(p) = pct {
                pct_sum += p;
                pct_n += 1;
            }
        }
        let pct = if pct_n > 0 { Some(pct_sum / pct_n as f64) } else { None };
        Ok((total / self.runs().max(1) as f64, pct))
    }

    /// The adversary's outcome in run `run` (None if the block injected nothing).
    pub fn outcome(&self, run: usize, spec: &AdversarySpec) -> anyhow::Result<Option<Outcome>> {
        match &self.path {
            Path::Full { populations, .. } => self.outcome_full(run, &populations[run], spec),
            Path::Incremental(digests) => self.outcome_incremental(run, &digests[run], spec).map(Some),
        }
    }

    fn outcome_full(&self, run: usize, pop: &RunPopulation, spec: &AdversarySpec) -> anyhow::Result<Option<Outcome>> {
        let policies = std::slice::from_ref(self.policy);
        let specs = std::slice::from_ref(spec);
        let prep = montecarlo::inject_all(self.scenario, run, specs, pop.clone())?;
        let engine = montecarlo::replay(self.scenario, &prep, policies, &self.steps, false)?;
        let em = Emission::of(&engine, &self.scenario.pool, &self.scenario.price);
        let without = self.without_full(run, &prep, spec)?;
        Ok(outcomes(&engine, &em, specs, &prep.injected, &without, run as u32).into_iter().next())
    }

    fn setup<'s>(&'s self, d: &'s RunDigest) -> Setup<'s> {
        setup(self.scenario, self.policy, &self.steps, d.buckets.as_ref(), d.span)
    }

    fn outcome_incremental(&self, run: usize, d: &RunDigest, spec: &AdversarySpec) -> anyhow::Result<Outcome> {
        let specs = std::slice::from_ref(spec);
        let seed = montecarlo::run_seed(self.scenario.seed, run);
        let (injected, ledgers) = montecarlo::adversary_ledgers(seed, specs, &d.observed, d.span);
        let inj = &injected[0];
        let setup = self.setup(d);
        let role = |h: &str| if inj.adversary.iter().any(|a| a == h) { Role::Adversary } else { Role::Twin };
        let (extra, roles) = added(&setup, ledgers.iter(), role)?;
        let sums = incremental::walk(&setup, &d.digest, &extra, &roles, &spec.bucket)?;
        let before = if damages_rivals(&inj.strategy) {
            let cached = self.without_cache.lock().expect("cache").get(run).cloned().flatten();
            let w = match cached {
                Some(w) => w,
                None => {
                    // The run without the adversary's hotkeys: the population and the twin.
                    let twin = ledgers.iter().filter(|(l, _)| role(&l.key) == Role::Twin);
                    let (extra, roles) = added(&setup, twin, role)?;
                    let rivals = incremental::walk(&setup, &d.digest, &extra, &roles, &spec.bucket)?.rivals_usd;
                    let w = vec![Some(vec![rivals])];
                    self.cache_without(run, &w);
                    w
                }
            };
            w[0].as_ref().map(|v| v[0])
        } else {
            None
        };
        Ok(outcome_of(run as u32, &self.policy.name, inj, &sums, before))
    }

    fn cache_without(&self, run: usize, w: &RivalsWithout) {
        let mut cache = self.without_cache.lock().expect("cache");
        if cache.len() <= run {
            cache.resize(run + 1, None);
        }
        cache[run] = Some(w.clone());
    }

    fn without_full(
        &self,
        run: usize,
        prep: &montecarlo::Prepared,
        spec: &AdversarySpec,
    ) -> anyhow::Result<RivalsWithout> {
        if !prep.injected.iter().any(|i| damages_rivals(&i.strategy)) {
            return Ok(vec![None; prep.injected.len()]);
        }
        if let Some(Some(w)) = self.without_cache.lock().expect("cache").get(run) {
            return Ok(w.clone());
        }
        let policies = std::slice::from_ref(self.policy);
        let w = montecarlo::rivals_without(self.scenario, prep, std::slice::from_ref(spec), policies, &self.steps)?;
        self.cache_without(run, &w);
        Ok(w)
    }
}

/// Why candidates against `policy` are replayed in full (None: the incremental path).
fn unsupported(scenario: &Scenario, policy: &DustPolicy, steps: &[i64]) -> Option<String> {
    incremental::unsupported(policy, scenario.feedback).or_else(|| {
        (!incremental::regular(steps, scenario.step_ms)).then(|| "the clock's steps are not evenly spaced".to_string())
    })
}

/// The digest settings of a run.
fn setup<'s>(
    scenario: &'s Scenario,
    policy: &'s DustPolicy,
    steps: &'s [i64],
    buckets: Option<&'s History<Status>>,
    span: (i64, i64),
) -> Setup<'s> {
    Setup {
        policy,
        steps,
        step_ms: scenario.step_ms,
        buckets,
        metagraph: scenario.metagraphs.as_ref(),
        pool: &scenario.pool,
        price: &scenario.price,
        feedback: scenario.feedback,
        data_end: span.1,
    }
}

/// A run's population digested for `policy`.
fn digest(scenario: &Scenario, policy: &DustPolicy, steps: &[i64], pop: &RunPopulation) -> anyhow::Result<RunDigest> {
    let store = Store::from_set(&pop.set);
    let digest =
        Digest::build(&setup(scenario, policy, steps, pop.buckets.as_ref(), pop.span), &store, Some(&pop.collateral))?;
    Ok(RunDigest {
        digest,
        observed: montecarlo::observed(&pop.set, pop.span),
        buckets: pop.buckets.clone(),
        span: pop.span,
    })
}

/// The digest of a candidate's own ledgers (with their collateral), and each one's role.
fn added<'l>(
    setup: &Setup,
    ledgers: impl Iterator<Item = &'l (crate::ledger::Ledger, f64)>,
    role: impl Fn(&str) -> Role,
) -> anyhow::Result<(Digest, Vec<Role>)> {
    let mut set = LedgerSet::default();
    let mut collateral = History::new();
    let mut roles = Vec::new();
    for (l, c) in ledgers {
        collateral.insert(&l.key, i64::MIN, *c);
        roles.push(role(&l.key));
        set.ledgers.push(l.clone());
    }
    Ok((Digest::build(setup, &Store::from_set(&set), Some(&collateral))?, roles))
}

/// The worst case found for one strategy.
#[derive(Debug, Clone, Serialize)]
pub struct WorstCase {
    pub strategy: String,
    pub adversary: String,
    pub params: Vec<(String, f64)>,
    /// What was maximised ([`objective`]).
    pub objective: String,
    /// The objective in USD: excess over the twin, or the rivals' reward lost (the whale).
    pub excess_usd: f64,
    /// The same in % of the twin's reward, or of the rivals' reward without the whale (mean
    /// over runs where that base earned).
    pub excess_pct: Option<f64>,
    /// Distinct candidates evaluated (each on every run; a point the search returns to is not replayed).
    pub evaluations: usize,
    /// Searched parameters whose worst case sits on a bound of the range: the true worst case
    /// may lie beyond it.
    pub on_bound: Vec<String>,
    /// The searched ranges, for the reader.
    pub bounds: Vec<Dimension>,
}

/// A parameter at its natural precision: `12` for an integer, `2.45` rather than `2.4500`.
pub fn natural(d: &Dimension, v: f64) -> String {
    if d.integer {
        format!("{v:.0}")
    } else {
        let t = format!("{v:.4}");
        let t = t.trim_end_matches('0').trim_end_matches('.');
        t.to_string()
    }
}

/// Random search then coordinate refinement for one adversary block.
pub fn search(eval: &Evaluator, spec: &AdversarySpec, settings: &AttackSpec) -> anyhow::Result<WorstCase> {
    let dims = space(&spec.strategy);
    let mut rng = seed::rng(settings.seed, 0xa77a);
    let mut evaluations = 0;
    let mut pct_of_best = None;
    // A candidate's value is deterministic (common random numbers), so a point the search
    // comes back to — an integer parameter stepping ±1 against its bound, a refinement step
    // back to where the previous best was — is looked up, not replayed again.
    let mut seen: std::collections::HashMap<Vec<u64>, (f64, Option<f64>)> = Default::default();
    let mut score = |x: &[f64]| -> anyhow::Result<(f64, Option<f64>)> {
        let key: Vec<u64> = x.iter().map(|v| v.to_bits()).collect();
        if let Some(v) = seen.get(&key) {
            return Ok(*v);
        }
        evaluations += 1;
        let v = eval.measure(&with(spec, &dims, x))?;
        seen.insert(key, v);
        Ok(v)
    };
    // The block's own values are the first candidate.
    let start: Vec<f64> = dims
        .iter()
        .map(|d| {
            let current = match d.key.as_str() {
                "k" => spec.k as f64,
                "factor" => spec.factor,
                "vol_multiplier" => spec.vol_multiplier,
                "period_days" => spec.period_days,
                "burst_days" => spec.burst_days,
                "collateral_usd" => spec.collateral_usd,
                "lag_days" => spec.lag_days,
                "scale" => spec.scale,
                "loss_threshold" => spec.loss_threshold,
                _ => d.low,
            };
            clamp(d, current)
        })
        .collect();
    let start = repair(&spec.strategy, &dims, start);
    let (s0, p0) = score(&start)?;
    pct_of_best = p0.or(pct_of_best);
    let mut best = (s0, start);
    for _ in 0..settings.samples {
        let x: Vec<f64> = dims.iter().map(|d| clamp(d, d.low + (d.high - d.low) * rng.random::<f64>())).collect();
        let x = repair(&spec.strategy, &dims, x);
        let (s, p) = score(&x)?;
        if s > best.0 {
            best = (s, x);
            pct_of_best = p;
        }
    }
    let mut steps: Vec<f64> =
        dims.iter().map(|d| ((d.high - d.low) / 4.0).max(if d.integer { 1.0 } else { 0.0 })).collect();
    for _ in 0..settings.refine {
        let mut improved = false;
        for i in 0..dims.len() {
            for sign in [1.0, -1.0] {
                let mut x = best.1.clone();
                x[i] = clamp(&dims[i], x[i] + sign * steps[i]);
                let x = repair(&spec.strategy, &dims, x);
                if x == best.1 {
                    continue;
                }
                let (s, p) = score(&x)?;
                if s > best.0 {
                    best = (s, x);
                    pct_of_best = p;
                    improved = true;
                }
            }
        }
        if !improved {
            for (st, d) in steps.iter_mut().zip(&dims) {
                *st = if d.integer { (*st / 2.0).floor().max(1.0) } else { *st / 2.0 };
            }
        }
    }
    let on_bound = dims
        .iter()
        .zip(&best.1)
        .filter(|(d, v)| {
            (**v - d.low).abs() <= 1e-9 * d.low.abs().max(1.0) || (**v - d.high).abs() <= 1e-9 * d.high.abs().max(1.0)
        })
        .map(|(d, _)| d.key.clone())
        .collect();
    Ok(WorstCase {
        strategy: spec.strategy.clone(),
        adversary: spec.label(),
        params: dims.iter().map(|d| d.key.clone()).zip(best.1.iter().copied()).collect(),
        objective: objective(&spec.strategy).to_string(),
        excess_usd: best.0,
        excess_pct: pct_of_best,
        evaluations,
        on_bound,
        bounds: dims,
    })
}

/// The worst case of each adversary against `policy`, adversaries searched in parallel.
pub fn worst_cases(
    scenario: &Scenario,
    policy: &crate::policy::DustPolicy,
    adversaries: &[AdversarySpec],
    settings: &AttackSpec,
    quiet: bool,
    notes: &mut Notes,
) -> anyhow::Result<(Vec<WorstCase>, String)> {
    let base = load_base(scenario, notes)?;
    let steps = base_steps(scenario, &base, None, None)?;
    // Each search replays about (samples + 2 × refine × parameters) candidates on every run.
    let per = |a: &AdversarySpec| (settings.samples + 1 + 2 * settings.refine * space(&a.strategy).len()) as u64;
    let total: u64 = adversaries.iter().map(per).sum::<u64>() * scenario.runs as u64;
    let progress = crate::progress::bar(quiet, total, "replays (estimated)", format!("attack {}", policy.name));
    // Building (and digesting) every run's population comes first: say so while it runs.
    progress.set_prefix(format!("attack {}: building {} run(s)", policy.name, scenario.runs));
    let eval = Evaluator::new(scenario, policy, &base, steps, progress.clone())?;
    progress.set_prefix(format!("attack {}", policy.name));
    notes.add("attack_path", usize::from(!eval.is_incremental()), eval.path(), Vec::new());
    let found = adversaries.par_iter().map(|a| search(&eval, a, settings)).collect::<anyhow::Result<_>>()?;
    progress.finish_and_clear();
    Ok((found, eval.path()))
}
