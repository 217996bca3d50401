//! Running a sweep: for each run, the population is built once; variants go through the
//! engine in chunks (so window scores, presence, buckets and debt are shared by a chunk's
//! variants and memory stays bounded), variants of a chunk in parallel.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;

use super::spec::{SweepSpec, Variant};
use super::table::{self, SweepRow};
use crate::error::InputError;
use crate::experiment::folder::{self, RunFolder};
use crate::experiment::montecarlo::{self, Base};
use crate::experiment::run::{base_steps, load_base};
use crate::experiment::scenario::Scenario;
use crate::metrics::adversary::{self as outcome, Outcome};
use crate::metrics::policy::policy_metrics_ordered;
use crate::metrics::rows;
use crate::notes::Notes;
use crate::policy::DustPolicy;
use crate::replay::emission::Emission;
use crate::replay::engine::{Engine, window_key};

#[derive(Debug, Clone, Default)]
pub struct SweepOptions {
    pub out: Option<PathBuf>,
    pub quiet: bool,
    /// (k, n): run only the k-th (1-based) of n disjoint parts.
    pub shard: Option<(usize, usize)>,
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub command_line: String,
}

pub struct SweepOutput {
    pub dir: PathBuf,
    pub rows: Vec<SweepRow>,
    pub variants: Vec<Variant>,
    pub pareto: Vec<String>,
    pub infeasible: Vec<(String, String)>,
    pub notes: Notes,
}

/// Metrics of engine policy `pi` as one sweep row (baseline: engine policy 0).
pub fn metrics_row(
    engine: &Engine,
    pi: usize,
    em: &Emission,
    baseline: &rows::Baseline,
    outcomes: &[Outcome],
    run: u32,
) -> BTreeMap<String, f64> {
    let policy: &DustPolicy = &engine.policies[pi];
    let mut metric_rows = rows::EngineRows::new(engine, pi, em, baseline);
    let bounds = |bucket: &str| policy.bounds(bucket);
    let orders: Vec<Option<&[u32]>> = (0..engine.steps.len()).map(|s| engine.score_order(pi, s)).collect();
    let m = policy_metrics_ordered(
        &policy.name,
        engine.steps.len(),
        &mut metric_rows,
        &rows::names(engine),
        &bounds,
        &orders,
    );
    let mut out = scalars(&m, outcomes.iter().filter(|o| o.policy == policy.name && o.run == run));
    let r = &engine.rows[pi];
    let negative = r.final_w.iter().zip(&r.dust).filter(|(w, d)| **w < 0.0 || **d < 0.0).count();
    out.insert("negative_weights".into(), negative as f64);
    out
}

/// The scalar metrics of a policy (and its adversaries) by column name.
pub fn scalars<'a>(
    m: &crate::metrics::policy::PolicyMetrics,
    outcomes: impl Iterator<Item = &'a Outcome>,
) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let opt = |x: Option<f64>| x.unwrap_or(f64::NAN);
    out.insert("reward_usd_miners".into(), m.reward_usd_miners);
    out.insert("reward_score_spearman".into(), opt(m.reward_score_spearman));
    out.insert("dust_losers_over_10pct".into(), m.dust_losers_over_10pct as f64);
    for (b, v) in &m.dust_paid_usd_by_bucket {
        let base = m.baseline_dust_paid_usd_by_bucket.get(b).copied().unwrap_or(0.0);
        out.insert(format!("dust_paid_change_pct_{b}"), if base > 0.0 { 100.0 * (v - base) / base } else { f64::NAN });
    }
    out.insert("share_at_floor".into(), m.share_at_floor);
    out.insert("share_at_ceiling".into(), m.share_at_ceiling);
    out.insert("hierarchy_violations".into(), m.hierarchy_violations as f64);
    out.insert("steps_with_violations".into(), m.steps_with_violations as f64);
    out.insert("gini".into(), m.gini);
    out.insert("burn_share".into(), m.burn_share);
    out.insert("dust_share".into(), m.dust_share);
    out.insert("churn".into(), m.churn);
    out.insert("losers_over_10pct".into(), m.losers_over_10pct as f64);
    for (b, v) in &m.reward_usd_by_bucket {
        out.insert(format!("reward_usd_{b}"), *v);
    }
    for (b, v) in &m.spearman_by_bucket {
        out.insert(format!("spearman_{b}"), opt(*v));
    }
    let mut worst = f64::NAN;
    for o in outcomes {
        let a = &o.adversary;
        out.insert(format!("excess_pct_{a}"), opt(o.excess_pct));
        out.insert(format!("excess_usd_{a}"), o.excess_usd);
        out.insert(format!("reward_share_{a}"), o.reward_share);
        out.insert(format!("roi_{a}"), opt(o.roi));
        out.insert(format!("caught_{a}"), if o.caught { 1.0 } else { 0.0 });
        out.insert(format!("rival_position_{a}"), opt(o.rival_position));
        out.insert(format!("rivals_loss_pct_{a}"), opt(o.rivals_loss_pct));
        if let Some(p) = o.effect().1
            && (worst.is_nan() || p > worst)
        {
            worst = p;
        }
    }
    out.insert("exploitability_pct".into(), worst);
    out
}

/// Variants that break a hard constraint in any run, with the reason: the bucket hierarchy
/// (any step with a violation) or a negative weight.
pub fn infeasible(rows: &[SweepRow]) -> Vec<(String, String)> {
    let mut by_variant: BTreeMap<(u32, &str), (f64, f64, f64)> = BTreeMap::new();
    for r in rows {
        let e = by_variant.entry((r.variant_index, r.variant.as_str())).or_default();
        let get = |k: &str| r.metrics.get(k).copied().unwrap_or(0.0);
        e.0 = e.0.max(get("steps_with_violations"));
        e.1 = e.1.max(get("negative_weights"));
        e.2 = e.2.max(get("steps"));
    }
    by_variant
        .into_iter()
        .filter(|(_, (v, n, _))| *v > 0.0 || *n > 0.0)
        .map(|((_, name), (v, n, steps))| {
            let mut why = Vec::new();
            if v > 0.0 {
                why.push(format!("breaks the bucket hierarchy on {v} of {steps} steps"));
            }
            if n > 0.0 {
                why.push(format!("pays {n} negative weights"));
            }
            (name.to_string(), why.join("; "))
        })
        .collect()
}

/// Feasible variants on the Pareto front of (alignment ↑, exploitability ↓, churn ↓, burn
/// share ↓), each objective averaged over runs; NaN objectives are ignored. An infeasible
/// variant is never on the front.
pub fn pareto(rows: &[SweepRow]) -> Vec<String> {
    let bad: Vec<String> = infeasible(rows).into_iter().map(|x| x.0).collect();
    let mut by_variant: BTreeMap<(u32, &str), Vec<&SweepRow>> = BTreeMap::new();
    for r in rows.iter().filter(|r| !bad.contains(&r.variant)) {
        by_variant.entry((r.variant_index, r.variant.as_str())).or_default().push(r);
    }
    let mean = |rs: &[&SweepRow], k: &str| {
        let v: Vec<f64> = rs.iter().filter_map(|r| r.metrics.get(k).copied()).filter(|x| x.is_finite()).collect();
        if v.is_empty() { 0.0 } else { v.iter().sum::<f64>() / v.len() as f64 }
    };
    // All as "higher is better".
    let points: Vec<(&str, [f64; 4])> = by_variant
        .iter()
        .map(|((_, name), rs)| {
            (
                *name,
                [
                    mean(rs, "reward_score_spearman"),
                    -mean(rs, "exploitability_pct"),
                    -mean(rs, "churn"),
                    -mean(rs, "burn_share"),
                ],
            )
        })
        .collect();
    let dominates =
        |a: &[f64; 4], b: &[f64; 4]| a.iter().zip(b).all(|(x, y)| x >= y) && a.iter().zip(b).any(|(x, y)| x > y);
    points.iter().filter(|(_, p)| !points.iter().any(|(_, q)| dominates(q, p))).map(|(n, _)| n.to_string()).collect()
}

/// Each variant's verdict against the baseline (means over runs), by the report's rules
/// (`metrics::verdict::rules`): infeasible, better, worse or trade-off.
pub fn verdicts(rows: &[SweepRow]) -> BTreeMap<String, String> {
    let bad: Vec<String> = infeasible(rows).into_iter().map(|x| x.0).collect();
    let mut by_variant: BTreeMap<&str, Vec<&SweepRow>> = BTreeMap::new();
    for r in rows {
        by_variant.entry(r.variant.as_str()).or_default().push(r);
    }
    let mean = |rs: &[&SweepRow], k: &str| {
        let v: Vec<f64> = rs.iter().filter_map(|r| r.metrics.get(k).copied()).filter(|x| x.is_finite()).collect();
        if v.is_empty() { None } else { Some(v.iter().sum::<f64>() / v.len() as f64) }
    };
    by_variant
        .into_iter()
        .map(|(name, rs)| {
            let keys: Vec<&String> = rs[0].metrics.keys().filter(|k| k.starts_with("dust_paid_change_pct_")).collect();
            let word = crate::metrics::verdict::word(
                bad.iter().any(|b| b == name),
                mean(&rs, "alignment_delta"),
                mean(&rs, "exploitability_pct"),
                mean(&rs, "baseline_exploitability_pct"),
                keys.iter().filter_map(|k| mean(&rs, k)),
            );
            (name.to_string(), word.to_string())
        })
        .collect()
}

/// SHA-256 of what defines a sweep (scenario text, every variant before sharding, runs,
/// clock): shards of one sweep share it, so `merge` can refuse shards of different sweeps.
fn sweep_hash(scenario: &Scenario, variants: &[Variant], steps: &[i64]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(scenario.source_text.as_deref().unwrap_or(&scenario.name).as_bytes());
    for v in variants {
        h.update(format!("{}:{:?};", v.index, v.params).as_bytes());
    }
    h.update(
        format!("runs={};steps={}..{}x{}", scenario.runs, steps[0], steps[steps.len() - 1], steps.len()).as_bytes(),
    );
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

pub fn run(scenario: &Scenario, spec: &SweepSpec, opts: &SweepOptions) -> anyhow::Result<SweepOutput> {
    let base_policy =
        match &spec.base {
            None => scenario.policies[0].clone(),
            Some(name) => scenario.policies.iter().find(|p| &p.name == name).cloned().ok_or_else(|| {
                InputError::Usage(format!("[sweep] base {name:?} names no [[policy]] of the scenario"))
            })?,
        };
    let baseline = scenario.policies[0].clone();
    let all_variants = spec.variants(&base_policy)?;
    let mut variants = all_variants.clone();
    if let Some((k, n)) = opts.shard {
        if n == 0 || k == 0 || k > n {
            return Err(InputError::Usage(format!("--shard {k}/{n}: expected K/N with 1 ≤ K ≤ N")).into());
        }
        variants.retain(|v| v.index % n == k - 1);
    }
    let target = match &opts.out {
        Some(p) => p.clone(),
        None => folder::target(None, &format!("{}-sweep", scenario.name))?,
    };
    folder::refuse_inputs_inside(&target, scenario.inputs())?;
    let mut notes = Notes::default();
    let base: Base = load_base(scenario, &mut notes)?;
    let steps = base_steps(scenario, &base, opts.start, opts.end)?;
    let mut folder = RunFolder::begin(&target)?;
    let chunk = spec.chunk.unwrap_or(32).max(1);
    // Chunks of variants with like windows: a chunk's variants whose windows cover the same
    // checkpoints at a step share the step's scores and their sort (rows are written in
    // variant order whatever the chunks).
    let mut by_window: Vec<&Variant> = variants.iter().collect();
    by_window.sort_by_key(|v| {
        let (lookback, half_life, statuses, metric) = window_key(&v.policy);
        (statuses, metric, half_life, lookback, v.index)
    });
    let chunks = variants.len().div_ceil(chunk);
    let prefix = format!("sweep {} ({} variants)", scenario.name, variants.len());
    let bar = crate::progress::bar(opts.quiet, (chunks * scenario.runs) as u64, "chunks", prefix);
    let mut rows: Vec<SweepRow> = Vec::new();
    for run in 0..scenario.runs {
        if variants.is_empty() {
            break;
        }
        let prep = montecarlo::prepare(scenario, &base, run)?;
        // The baseline's own figures in this run, for every variant's verdict.
        let mut baseline_row: Option<BTreeMap<String, f64>> = None;
        for (c, part) in by_window.chunks(chunk).enumerate() {
            let policies: Vec<DustPolicy> =
                std::iter::once(baseline.clone()).chain(part.iter().map(|v| v.policy.clone())).collect();
            let engine = montecarlo::replay(scenario, &prep, &policies, &steps, true)?;
            let em = Emission::of(&engine, &scenario.pool, &scenario.price);
            if run == 0 && c == 0 {
                notes.extend(engine.notes());
                notes.extend(em.notes(&steps));
            }
            let without = montecarlo::rivals_without(scenario, &prep, &scenario.adversaries, &policies, &steps)?;
            let outcomes = outcome::outcomes(&engine, &em, &scenario.adversaries, &prep.injected, &without, run as u32);
            let base_cols = rows::Baseline::of(&engine, &em);
            let base_row = baseline_row
                .get_or_insert_with(|| metrics_row(&engine, 0, &em, &base_cols, &outcomes, run as u32))
                .clone();
            let new: Vec<SweepRow> = part
                .par_iter()
                .enumerate()
                .map(|(k, v)| {
                    let mut metrics = metrics_row(&engine, k + 1, &em, &base_cols, &outcomes, run as u32);
                    metrics.insert("steps".into(), steps.len() as f64);
                    let get = |m: &BTreeMap<String, f64>, key: &str| m.get(key).copied().unwrap_or(f64::NAN);
                    metrics.insert(
                        "alignment_delta".into(),
                        get(&metrics, "reward_score_spearman") - get(&base_row, "reward_score_spearman"),
                    );
                    metrics.insert("baseline_exploitability_pct".into(), get(&base_row, "exploitability_pct"));
                    SweepRow {
                        variant: v.policy.name.clone(),
                        variant_index: v.index as u32,
                        run: run as u32,
                        params: v.params.clone(),
                        metrics,
                    }
                })
                .collect();
            rows.extend(new);
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    let mut worst_case_paths = BTreeMap::new();
    if spec.worst_case && !scenario.adversaries.is_empty() {
        worst_case_paths = add_worst_cases(scenario, &base, &steps, &variants, &mut rows, opts.quiet)?;
        let full = worst_case_paths.iter().filter(|(p, _)| !p.starts_with("incremental")).map(|(_, n)| n).sum();
        notes.add(
            "worst_case_path",
            full,
            "variants whose worst-case search replayed every candidate in full (sweep.json → worst_case_evaluation says why)",
            Vec::new(),
        );
    }
    let dir = folder.dir().to_path_buf();
    let mut df = table::frame(&mut rows)?;
    table::write(&mut df, &dir)?;
    let configs: BTreeMap<String, serde_json::Value> =
        variants.iter().map(|v| (v.policy.name.clone(), serde_json::to_value(&v.policy).unwrap_or_default())).collect();
    std::fs::write(dir.join("variants.json"), serde_json::to_string_pretty(&configs)?)?;
    let front = pareto(&rows);
    let bad = infeasible(&rows);
    let mut best_toml = None;
    if let Some(best) = front.iter().filter_map(|n| variants.iter().find(|v| &v.policy.name == n)).max_by(|a, b| {
        let score = |v: &Variant| {
            let xs: Vec<f64> = rows
                .iter()
                .filter(|r| r.variant == v.policy.name)
                .filter_map(|r| r.metrics.get("reward_score_spearman").copied())
                .filter(|x| x.is_finite())
                .collect();
            if xs.is_empty() { f64::NEG_INFINITY } else { xs.iter().sum::<f64>() / xs.len() as f64 }
        };
        score(a).total_cmp(&score(b)).then(b.index.cmp(&a.index))
    }) {
        let mut policy = best.policy.clone();
        policy.name = format!("best-{}", best.policy.name);
        let text = format!(
            "# The best-aligned feasible variant on the Pareto front of sweep {} ({}): ready to use as --policy FILE.toml\n{}",
            scenario.name,
            best.params.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(", "),
            toml::to_string(&policy)?
        );
        std::fs::write(dir.join("best.toml"), &text)?;
        best_toml = Some(text);
    }
    let heat = super::report::HeatmapSpec { metrics: spec.heatmaps.as_deref(), slice: spec.slice.as_deref() };
    if !variants.is_empty() {
        let words = verdicts(&rows);
        let f = super::report::Front { pareto: &front, infeasible: &bad, verdicts: &words };
        super::report::write(&dir, &scenario.name, &rows, &variants, &f, best_toml.as_deref(), &heat)?;
    }
    let (k, n) = opts.shard.unwrap_or((1, 1));
    let run_json = serde_json::json!({
        "dustlab_version": env!("CARGO_PKG_VERSION"),
        "scenario": scenario.name,
        "command_line": opts.command_line,
        "variants": variants.len(),
        "variant_indices": variants.iter().map(|v| v.index).collect::<Vec<_>>(),
        "runs": scenario.runs,
        "shard": {"k": k, "n": n},
        "sweep_hash": sweep_hash(scenario, &all_variants, &steps),
        "sweep_variants": all_variants.len(),
        "pareto_front": front,
        "infeasible": bad.iter().map(|(n, why)| serde_json::json!({"variant": n, "why": why})).collect::<Vec<_>>(),
        "verdicts": verdicts(&rows),
        "worst_case_evaluation": worst_case_paths,
        "data_notes": notes,
    });
    let mut run_json = run_json;
    folder.record_tree()?;
    folder.record("sweep.json");
    run_json["files"] = serde_json::json!(folder.files());
    std::fs::write(dir.join("sweep.json"), serde_json::to_string_pretty(&run_json)?)?;
    let dir = folder.commit()?;
    Ok(SweepOutput { dir, rows, variants, pareto: front, infeasible: bad, notes })
}

/// Runs the worst-case search against every variant; adds its figures to the variant's rows.
/// Returns how the variants' candidates were evaluated (the path, and how many variants took it).
fn add_worst_cases(
    scenario: &Scenario,
    base: &Base,
    steps: &[i64],
    variants: &[Variant],
    rows: &mut [SweepRow],
    quiet: bool,
) -> anyhow::Result<BTreeMap<String, usize>> {
    let settings = scenario.attack.clone().unwrap_or_default();
    let populations =
        (0..scenario.runs).map(|r| montecarlo::population(scenario, base, r)).collect::<anyhow::Result<Vec<_>>>()?;
    let bar = crate::progress::bar(quiet, variants.len() as u64, "variants", format!("worst cases {}", scenario.name));
    let found: Vec<(u32, BTreeMap<String, f64>, String)> = variants
        .par_iter()
        .map(|v| {
            let eval = crate::experiment::attack::Evaluator::on(
                scenario,
                &v.policy,
                &populations,
                matches!(base, Base::Files { .. }),
                steps.to_vec(),
                indicatif::ProgressBar::hidden(),
                false,
            )?;
            let mut m = BTreeMap::new();
            let mut worst = f64::NAN;
            for a in &scenario.adversaries {
                let w = crate::experiment::attack::search(&eval, a, &settings)?;
                m.insert(format!("worst_excess_usd_{}", w.adversary), w.excess_usd);
                if worst.is_nan() || w.excess_usd > worst {
                    worst = w.excess_usd;
                }
            }
            m.insert("exploitability_search_usd".into(), worst);
            bar.inc(1);
            Ok((v.index as u32, m, eval.path()))
        })
        .collect::<anyhow::Result<_>>()?;
    bar.finish_and_clear();
    for r in rows.iter_mut() {
        if let Some((_, m, _)) = found.iter().find(|(i, _, _)| *i == r.variant_index) {
            r.metrics.extend(m.iter().map(|(k, v)| (k.clone(), *v)));
        }
    }
    let mut paths = BTreeMap::new();
    for (_, _, p) in found {
        *paths.entry(p).or_insert(0) += 1;
    }
    Ok(paths)
}
