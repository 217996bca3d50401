//! Running a sweep: for each run, the population is built once; variants go through the
//! engine in chunks (so window scores, presence, buckets and debt are shared by a chunk's
//! variants and memory stays bounded), variants of a chunk in parallel.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;

use super::spec::{SweepSpec, Variant};
use super::table::{self, SweepRow};
use crate::error::InputError;
use crate::metrics::policy::{Names, Row, policy_metrics};
use crate::policy::DustPolicy;
use crate::replay::engine::Engine;
use crate::replay::montecarlo::{self, Base, Outcome};
use crate::replay::scenario::Scenario;
use crate::replay::{results, run::load_base};
use crate::time::MS_PER_DAY;

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
}

/// Metrics of engine policy `pi` as one sweep row (baseline: engine policy 0).
pub fn metrics_row(
    engine: &Engine,
    pi: usize,
    pools: &[f64],
    prices: &[f64],
    outcomes: &[Outcome],
    run: u32,
) -> BTreeMap<String, f64> {
    let policy: &DustPolicy = &engine.policies[pi];
    let step_days = engine.step_ms as f64 / MS_PER_DAY as f64;
    let (rows, base) = (&engine.rows[pi], &engine.rows[0]);
    // The same expressions as the results table, so a sweep row equals a replay's report.
    let usd = |r: &crate::replay::engine::Rows, i: usize| {
        let s = r.step[i] as usize;
        r.final_w[i] * pools[s] * step_days * prices[s]
    };
    let metric_rows: Vec<Row> = (0..rows.step.len())
        .map(|i| {
            let s = rows.step[i] as usize;
            let alpha = rows.final_w[i] * pools[s] * step_days;
            let reward_usd = alpha * prices[s];
            let baseline_usd = usd(base, i);
            Row {
                step: s,
                miner: rows.hotkey[i],
                bucket: rows.bucket[i],
                window_score: rows.window_score[i],
                dust: rows.dust[i],
                payout: rows.payout[i],
                final_w: rows.final_w[i],
                reward_alpha: alpha,
                reward_usd,
                delta_usd: reward_usd - baseline_usd,
                baseline_usd,
            }
        })
        .collect();
    let names = Names {
        miners: &engine.hotkeys.names,
        buckets: &engine.bucket_names.names,
        burn: engine.hotkeys.get(engine.burn),
    };
    let bounds = |bucket: &str| policy.bounds(bucket);
    let m = policy_metrics(&policy.name, engine.steps.len(), &metric_rows, &names, &bounds);
    scalars(&m, outcomes.iter().filter(|o| o.policy == policy.name && o.run == run))
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
        if let Some(p) = o.excess_pct
            && (worst.is_nan() || p > worst)
        {
            worst = p;
        }
    }
    out.insert("exploitability_pct".into(), worst);
    out
}

/// Variants on the Pareto front of (alignment ↑, exploitability ↓, churn ↓, burn share ↓),
/// each objective averaged over runs; NaN objectives are ignored.
pub fn pareto(rows: &[SweepRow]) -> Vec<String> {
    let mut by_variant: BTreeMap<(u32, &str), Vec<&SweepRow>> = BTreeMap::new();
    for r in rows {
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

pub fn run(scenario: &Scenario, spec: &SweepSpec, opts: &SweepOptions) -> anyhow::Result<SweepOutput> {
    let base_policy =
        match &spec.base {
            None => scenario.policies[0].clone(),
            Some(name) => scenario.policies.iter().find(|p| &p.name == name).cloned().ok_or_else(|| {
                InputError::Usage(format!("[sweep] base {name:?} names no [[policy]] of the scenario"))
            })?,
        };
    let baseline = scenario.policies[0].clone();
    let mut variants = spec.variants(&base_policy)?;
    if let Some((k, n)) = opts.shard {
        if n == 0 || k == 0 || k > n {
            return Err(InputError::Usage(format!("--shard {k}/{n}: expected K/N with 1 ≤ K ≤ N")).into());
        }
        variants.retain(|v| v.index % n == k - 1);
    }
    let dir = opts.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-sweep", scenario.name)));
    std::fs::create_dir_all(&dir).map_err(|e| InputError::Usage(format!("cannot create {}: {e}", dir.display())))?;
    let base: Base = load_base(scenario, opts.quiet)?;
    let (data_start, data_end) = montecarlo::span(&base)
        .ok_or_else(|| InputError::Usage("the ledgers hold no checkpoint: nothing to replay".into()))?;
    let steps = crate::replay::clock::steps(
        opts.start.or(scenario.start).unwrap_or(data_start),
        opts.end.or(scenario.end).unwrap_or(data_end),
        scenario.step_ms,
    )?;
    let chunk = spec.chunk.unwrap_or(32).max(1);
    let chunks = variants.len().div_ceil(chunk).max(1);
    let prefix = format!("sweep {} ({} variants)", scenario.name, variants.len());
    let bar = crate::progress::bar(opts.quiet, (chunks * scenario.runs) as u64, "chunks", prefix);
    let mut rows: Vec<SweepRow> = Vec::new();
    for run in 0..scenario.runs {
        let prep = montecarlo::prepare(scenario, &base, run)?;
        for part in variants.chunks(chunk) {
            let policies: Vec<DustPolicy> =
                std::iter::once(baseline.clone()).chain(part.iter().map(|v| v.policy.clone())).collect();
            let engine = montecarlo::replay(scenario, &prep, &policies, &steps)?;
            let (pools, prices) = results::emission(&engine, &scenario.pool, &scenario.price);
            let outcomes =
                montecarlo::outcomes(&engine, &pools, &prices, &scenario.adversaries, &prep.injected, run as u32);
            let new: Vec<SweepRow> = part
                .par_iter()
                .enumerate()
                .map(|(k, v)| SweepRow {
                    variant: v.policy.name.clone(),
                    variant_index: v.index as u32,
                    run: run as u32,
                    params: v.params.clone(),
                    metrics: metrics_row(&engine, k + 1, &pools, &prices, &outcomes, run as u32),
                })
                .collect();
            rows.extend(new);
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    if spec.worst_case && !scenario.adversaries.is_empty() {
        add_worst_cases(scenario, &base, &steps, &variants, &mut rows)?;
    }
    let mut df = table::frame(&mut rows)?;
    table::write(&mut df, &dir)?;
    let configs: BTreeMap<String, serde_json::Value> =
        variants.iter().map(|v| (v.policy.name.clone(), serde_json::to_value(&v.policy).unwrap_or_default())).collect();
    std::fs::write(dir.join("variants.json"), serde_json::to_string_pretty(&configs)?)?;
    let front = pareto(&rows);
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
            "# The best-aligned variant on the Pareto front of sweep {} ({}): ready to use as --policy FILE.toml\n{}",
            scenario.name,
            best.params.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(", "),
            toml::to_string(&policy)?
        );
        std::fs::write(dir.join("best.toml"), &text)?;
        best_toml = Some(text);
    }
    let heat = super::report::HeatmapSpec { metrics: spec.heatmaps.as_deref(), slice: spec.slice.as_deref() };
    super::report::write(&dir, &scenario.name, &rows, &variants, &front, best_toml.as_deref(), &heat)?;
    let run_json = serde_json::json!({
        "dustlab_version": env!("CARGO_PKG_VERSION"),
        "scenario": scenario.name,
        "command_line": opts.command_line,
        "variants": variants.len(),
        "runs": scenario.runs,
        "shard": opts.shard.map(|(k, n)| format!("{k}/{n}")),
        "pareto_front": front,
        "outputs": ["sweep.parquet", "sweep.csv", "variants.json", "best.toml", "sweep_report.html", "sweep_report.md", "charts/"],
    });
    std::fs::write(dir.join("sweep.json"), serde_json::to_string_pretty(&run_json)?)?;
    Ok(SweepOutput { dir, rows, variants, pareto: front })
}

/// Runs the worst-case search against every variant; adds its figures to the variant's rows.
fn add_worst_cases(
    scenario: &Scenario,
    base: &Base,
    steps: &[i64],
    variants: &[Variant],
    rows: &mut [SweepRow],
) -> anyhow::Result<()> {
    let settings = scenario.attack.clone().unwrap_or_default();
    let populations =
        (0..scenario.runs).map(|r| montecarlo::population(scenario, base, r)).collect::<anyhow::Result<Vec<_>>>()?;
    let found: Vec<(u32, BTreeMap<String, f64>)> = variants
        .par_iter()
        .map(|v| {
            let eval = crate::attack::Evaluator {
                scenario,
                policy: &v.policy,
                populations: populations.clone(),
                steps: steps.to_vec(),
                progress: indicatif::ProgressBar::hidden(),
            };
            let mut m = BTreeMap::new();
            let mut worst = f64::NAN;
            for a in &scenario.adversaries {
                let w = crate::attack::search(&eval, a, &settings)?;
                m.insert(format!("worst_excess_usd_{}", w.adversary), w.excess_usd);
                if worst.is_nan() || w.excess_usd > worst {
                    worst = w.excess_usd;
                }
            }
            m.insert("exploitability_search_usd".into(), worst);
            Ok((v.index as u32, m))
        })
        .collect::<anyhow::Result<_>>()?;
    for r in rows.iter_mut() {
        if let Some((_, m)) = found.iter().find(|(i, _)| *i == r.variant_index) {
            r.metrics.extend(m.iter().map(|(k, v)| (k.clone(), *v)));
        }
    }
    Ok(())
}
