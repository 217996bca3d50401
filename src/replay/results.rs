//! The long results table (one row per policy, step and hotkey, burn included) and the
//! per-policy summary printed after a run.

use std::collections::BTreeMap;
use std::fmt::Write;

use polars::prelude::*;

use super::engine::Engine;
use super::scenario::{DEFAULT_POOL, Source};
use crate::metrics::stats::spearman;
use crate::time::MS_PER_DAY;

/// Alpha → USD when neither the scenario nor the ledgers give one (DOMAIN: 0.076 × 400).
pub const DEFAULT_ALPHA_USD: f64 = 0.076 * 400.0;

/// Column names of the results table, in order (documented in the README).
pub const COLUMNS: &[&str] = &[
    "run",
    "policy",
    "at_ms",
    "hotkey",
    "bucket",
    "window_score",
    "dust_weight",
    "payout_weight",
    "final_weight",
    "reward_alpha",
    "reward_usd",
    "baseline_reward_usd",
    "delta_usd",
];

/// Per step emission: alpha per day to miners and alpha → USD.
pub fn emission(engine: &Engine, pool: &Source, price: &Source) -> (Vec<f64>, Vec<f64>) {
    let step_days = engine.step_ms as f64 / MS_PER_DAY as f64;
    let n = engine.steps.len();
    let mut baseline_share = vec![0.0; n];
    let base = &engine.rows[0];
    let burn = engine.hotkeys.get(engine.burn);
    for i in 0..base.step.len() {
        if Some(base.hotkey[i]) != burn {
            baseline_share[base.step[i] as usize] += base.final_w[i];
        }
    }
    let pools = (0..n)
        .map(|s| match pool {
            Source::Constant(x) => *x,
            Source::Ledgers => {
                let got = engine.facts[s].received_alpha;
                if baseline_share[s] > 1e-12 && got > 0.0 { got / baseline_share[s] / step_days } else { DEFAULT_POOL }
            }
        })
        .collect();
    let prices = (0..n)
        .map(|s| match price {
            Source::Constant(x) => *x,
            Source::Ledgers => engine.facts[s].alpha_usd.unwrap_or(DEFAULT_ALPHA_USD),
        })
        .collect();
    (pools, prices)
}

/// Builds the long table.
pub fn frame(engine: &Engine, pools: &[f64], prices: &[f64], run: u32) -> PolarsResult<DataFrame> {
    let step_days = engine.step_ms as f64 / MS_PER_DAY as f64;
    let base = &engine.rows[0];
    let base_usd: Vec<f64> = (0..base.step.len())
        .map(|i| base.final_w[i] * pools[base.step[i] as usize] * step_days * prices[base.step[i] as usize])
        .collect();
    let total: usize = engine.rows.iter().map(|r| r.step.len()).sum();
    let mut policy = Vec::with_capacity(total);
    let mut at_ms = Vec::with_capacity(total);
    let mut hotkey = Vec::with_capacity(total);
    let mut bucket = Vec::with_capacity(total);
    let (mut score, mut dust, mut payout, mut final_w) =
        (Vec::with_capacity(total), Vec::with_capacity(total), Vec::with_capacity(total), Vec::with_capacity(total));
    let (mut r_alpha, mut r_usd, mut b_usd, mut delta) =
        (Vec::with_capacity(total), Vec::with_capacity(total), Vec::with_capacity(total), Vec::with_capacity(total));
    for (p, rows) in engine.policies.iter().zip(&engine.rows) {
        assert_eq!(rows.step.len(), base.step.len(), "policies share population and clock");
        for (i, &base_i) in base_usd.iter().enumerate() {
            let s = rows.step[i] as usize;
            let alpha = rows.final_w[i] * pools[s] * step_days;
            let usd = alpha * prices[s];
            policy.push(p.name.as_str());
            at_ms.push(engine.steps[s]);
            hotkey.push(engine.hotkeys.names[rows.hotkey[i] as usize].as_str());
            bucket.push(engine.bucket_names.names[rows.bucket[i] as usize].as_str());
            score.push(rows.window_score[i]);
            dust.push(rows.dust[i]);
            payout.push(rows.payout[i]);
            final_w.push(rows.final_w[i]);
            r_alpha.push(alpha);
            r_usd.push(usd);
            b_usd.push(base_i);
            delta.push(usd - base_i);
        }
    }
    let columns = vec![
        Column::new("run".into(), vec![run; total]),
        Column::new("policy".into(), policy),
        Column::new("at_ms".into(), at_ms),
        Column::new("hotkey".into(), hotkey),
        Column::new("bucket".into(), bucket),
        Column::new("window_score".into(), score),
        Column::new("dust_weight".into(), dust),
        Column::new("payout_weight".into(), payout),
        Column::new("final_weight".into(), final_w),
        Column::new("reward_alpha".into(), r_alpha),
        Column::new("reward_usd".into(), r_usd),
        Column::new("baseline_reward_usd".into(), b_usd),
        Column::new("delta_usd".into(), delta),
    ];
    DataFrame::new(total, columns)
}

/// Headline numbers of one policy over the whole replay.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PolicySummary {
    pub policy: String,
    pub payout: String,
    pub reward_usd_by_bucket: BTreeMap<String, f64>,
    /// Miners' reward (the burn excluded).
    pub reward_usd_total: f64,
    pub share_at_floor: f64,
    pub share_at_ceiling: f64,
    /// Mean over (step, bucket) groups of ≥ 3 miners of Spearman(window score, dust weight).
    pub spearman_score_dust: Option<f64>,
    pub burn_share: f64,
    /// Largest total gains and losses against the baseline (hotkey, USD), 5 each.
    pub winners: Vec<(String, f64)>,
    pub losers: Vec<(String, f64)>,
}

pub fn summarize(engine: &Engine, df: &DataFrame) -> PolarsResult<Vec<PolicySummary>> {
    let col_f = |name: &str| -> PolarsResult<Vec<f64>> {
        Ok(df.column(name)?.as_materialized_series().f64()?.iter().map(|v| v.unwrap_or(0.0)).collect())
    };
    let usd = col_f("reward_usd")?;
    let delta = col_f("delta_usd")?;
    let mut out = Vec::new();
    let mut offset = 0;
    for (p, rows) in engine.policies.iter().zip(&engine.rows) {
        let n = rows.step.len();
        let mut by_bucket: BTreeMap<String, f64> = BTreeMap::new();
        let (mut at_floor, mut at_ceiling, mut miners) = (0usize, 0usize, 0usize);
        let mut burn_total = 0.0;
        let mut per_hotkey: BTreeMap<u32, f64> = BTreeMap::new();
        let mut groups: BTreeMap<(u32, u32), (Vec<f64>, Vec<f64>)> = BTreeMap::new();
        for i in 0..n {
            let bucket = engine.bucket_names.names[rows.bucket[i] as usize].as_str();
            *by_bucket.entry(bucket.to_string()).or_default() += usd[offset + i];
            if bucket == "burn" {
                burn_total += rows.final_w[i];
                continue;
            }
            *per_hotkey.entry(rows.hotkey[i]).or_default() += delta[offset + i];
            let (floor, ceiling) = p.bounds(bucket);
            miners += 1;
            let tol = 1e-12 * ceiling.max(1e-300);
            if (rows.dust[i] - floor).abs() <= tol {
                at_floor += 1;
            }
            if (rows.dust[i] - ceiling).abs() <= tol {
                at_ceiling += 1;
            }
            let g = groups.entry((rows.step[i], rows.bucket[i])).or_default();
            g.0.push(rows.window_score[i].max(0.0));
            g.1.push(rows.dust[i]);
        }
        let rhos: Vec<f64> = groups.values().filter(|g| g.0.len() >= 3).filter_map(|g| spearman(&g.0, &g.1)).collect();
        let mut deltas: Vec<(String, f64)> =
            per_hotkey.into_iter().map(|(h, d)| (engine.hotkeys.names[h as usize].clone(), d)).collect();
        deltas.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        // Cent-level noise is not a winner or a loser.
        let winners: Vec<_> = deltas.iter().filter(|d| d.1 >= 0.005).take(5).cloned().collect();
        let losers: Vec<_> = deltas.iter().rev().filter(|d| d.1 <= -0.005).take(5).cloned().collect();
        let steps = engine.steps.len().max(1) as f64;
        out.push(PolicySummary {
            policy: p.name.clone(),
            payout: p.payout.clone(),
            reward_usd_total: by_bucket.iter().filter(|(b, _)| *b != "burn").map(|(_, v)| v).sum(),
            reward_usd_by_bucket: by_bucket,
            share_at_floor: if miners > 0 { at_floor as f64 / miners as f64 } else { 0.0 },
            share_at_ceiling: if miners > 0 { at_ceiling as f64 / miners as f64 } else { 0.0 },
            spearman_score_dust: if rhos.is_empty() {
                None
            } else {
                Some(rhos.iter().sum::<f64>() / rhos.len() as f64)
            },
            burn_share: burn_total / steps,
            winners,
            losers,
        });
        offset += n;
    }
    Ok(out)
}

fn short(h: &str) -> String {
    if h.len() > 14 { format!("{}…{}", &h[..8], &h[h.len() - 4..]) } else { h.to_string() }
}

/// The compact console summary.
pub fn render(summaries: &[PolicySummary]) -> String {
    let mut out = String::new();
    let buckets: Vec<&String> = {
        let mut b: Vec<&String> = summaries.iter().flat_map(|s| s.reward_usd_by_bucket.keys()).collect();
        b.sort();
        b.dedup();
        b
    };
    let _ = write!(out, "{:<22} {:>12}", "policy", "miners USD");
    for b in &buckets {
        let _ = write!(out, " {:>12}", b);
    }
    let _ = writeln!(out, " {:>7} {:>7} {:>8} {:>7}", "floor%", "ceil%", "spearman", "burn%");
    for s in summaries {
        let _ = write!(out, "{:<22} {:>12.2}", s.policy, s.reward_usd_total);
        for b in &buckets {
            let _ = write!(out, " {:>12.2}", s.reward_usd_by_bucket.get(*b).copied().unwrap_or(0.0));
        }
        let rho = s.spearman_score_dust.map(|r| format!("{r:.3}")).unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            " {:>7.1} {:>7.1} {:>8} {:>7.3}",
            100.0 * s.share_at_floor,
            100.0 * s.share_at_ceiling,
            rho,
            100.0 * s.burn_share
        );
    }
    for s in summaries.iter().skip(1) {
        let fmt = |v: &[(String, f64)]| {
            v.iter().map(|(h, d)| format!("{} {:+.2}", short(h), d)).collect::<Vec<_>>().join(", ")
        };
        let _ = writeln!(out, "\n{} vs {}:", s.policy, summaries[0].policy);
        let _ =
            writeln!(out, "  winners (USD): {}", if s.winners.is_empty() { "none".into() } else { fmt(&s.winners) });
        let _ = writeln!(out, "  losers  (USD): {}", if s.losers.is_empty() { "none".into() } else { fmt(&s.losers) });
    }
    out
}
