//! Per-policy metrics over a replay's long table: alignment (does dust follow the score?),
//! reward impact (who gains, who loses), and weight churn. The functions take plain slices
//! so each can be checked against hand-computed values.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::stats::{gini, spearman};

/// One row of the long table, as the metrics need it.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub step: usize,
    pub hotkey: &'a str,
    pub bucket: &'a str,
    pub window_score: f64,
    pub dust: f64,
    pub payout: f64,
    pub final_w: f64,
    pub reward_alpha: f64,
    pub reward_usd: f64,
    pub delta_usd: f64,
    pub baseline_usd: f64,
}

/// Floor and ceiling of a bucket under the policy (both in weight units).
pub type Bounds<'b> = &'b dyn Fn(&str) -> (f64, f64);

/// Share of rows at the floor and at the ceiling (ties within 1e-12 relative).
pub fn floor_ceiling_shares(dust: &[f64], bounds: &[(f64, f64)]) -> (f64, f64) {
    if dust.is_empty() {
        return (0.0, 0.0);
    }
    let tol = |x: f64| 1e-12 * x.abs().max(1e-300);
    let at_floor = dust.iter().zip(bounds).filter(|(d, (f, _))| (**d - f).abs() <= tol(*f)).count();
    let at_ceiling = dust.iter().zip(bounds).filter(|(d, (f, c))| c > f && (**d - c).abs() <= tol(*c)).count();
    (at_floor as f64 / dust.len() as f64, at_ceiling as f64 / dust.len() as f64)
}

/// Hierarchy violations at one step: for each pair of buckets with strictly ordered floors
/// (adjacent in that order), 1 if the lower bucket's best dust exceeds the higher bucket's
/// worst. `buckets` holds (floor, dust weights of its miners).
pub fn hierarchy_violations(buckets: &[(f64, Vec<f64>)]) -> usize {
    let mut levels: Vec<(f64, f64, f64)> = Vec::new(); // (floor, worst, best)
    for (floor, d) in buckets.iter().filter(|(_, d)| !d.is_empty()) {
        let worst = d.iter().copied().fold(f64::INFINITY, f64::min);
        let best = d.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        match levels.iter_mut().find(|l| l.0 == *floor) {
            Some(l) => {
                l.1 = l.1.min(worst);
                l.2 = l.2.max(best);
            }
            None => levels.push((*floor, worst, best)),
        }
    }
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
    pub winners: Vec<MinerDelta>,
    pub losers: Vec<MinerDelta>,
    /// Every miner's delta, sorted ascending (for the chart).
    pub deltas_sorted: Vec<f64>,
}

/// Computes one policy's metrics from its rows (all steps, burn rows included).
pub fn policy_metrics(policy: &str, n_steps: usize, rows: &[Row], bounds: Bounds, burn: &str) -> PolicyMetrics {
    let mut by_step: Vec<Vec<&Row>> = vec![Vec::new(); n_steps];
    for r in rows {
        by_step[r.step].push(r);
    }
    let (mut usd_b, mut alpha_b) = (BTreeMap::new(), BTreeMap::new());
    let mut bucket_names: Vec<&str> = rows.iter().filter(|r| r.hotkey != burn).map(|r| r.bucket).collect();
    bucket_names.sort();
    bucket_names.dedup();
    let mut series: BTreeMap<String, BucketSeries> =
        bucket_names.iter().map(|b| (b.to_string(), BucketSeries::default())).collect();
    let (mut floor_s, mut ceil_s) = (Vec::new(), Vec::new());
    let (mut violations, mut steps_viol) = (0, 0);
    let (mut burn_total, mut dust_paid) = (0.0, 0.0);
    let mut reward_rho = Vec::new();
    let mut all_dust = Vec::new();
    let mut all_bounds = Vec::new();
    let mut weights_by_step = Vec::new();
    let mut per_miner: BTreeMap<&str, (f64, f64, f64)> = BTreeMap::new();
    let mut cumulative: BTreeMap<&str, f64> = BTreeMap::new();
    for step_rows in &by_step {
        let miners: Vec<&&Row> = step_rows.iter().filter(|r| r.hotkey != burn).collect();
        weights_by_step.push(step_rows.iter().map(|r| (r.hotkey, r.final_w)).collect::<Vec<_>>());
        burn_total += step_rows.iter().filter(|r| r.hotkey == burn).map(|r| r.final_w).sum::<f64>();
        let dust: Vec<f64> = miners.iter().map(|r| r.dust).collect();
        let b: Vec<(f64, f64)> = miners.iter().map(|r| bounds(r.bucket)).collect();
        let (f, c) = floor_ceiling_shares(&dust, &b);
        floor_s.push(f);
        ceil_s.push(c);
        all_dust.extend(dust);
        all_bounds.extend(b);
        let mut groups: Vec<(f64, Vec<f64>)> = Vec::new();
        for name in &bucket_names {
            let members: Vec<&&&Row> = miners.iter().filter(|r| r.bucket == *name).collect();
            let s = series.get_mut(*name).expect("bucket listed");
            let d: Vec<f64> = members.iter().map(|r| r.dust).collect();
            let usd: f64 = members.iter().map(|r| r.reward_usd).sum();
            let cum = cumulative.entry(name).or_default();
            *cum += usd;
            s.cumulative_usd.push(*cum);
            if d.is_empty() {
                s.min.push(None);
                s.mean.push(None);
                s.max.push(None);
                s.spearman.push(None);
                continue;
            }
            s.min.push(d.iter().copied().reduce(f64::min));
            s.max.push(d.iter().copied().reduce(f64::max));
            s.mean.push(Some(d.iter().sum::<f64>() / d.len() as f64));
            let scores: Vec<f64> = members.iter().map(|r| r.window_score.max(0.0)).collect();
            s.spearman.push(if d.len() >= 3 { spearman(&scores, &d) } else { None });
            groups.push((bounds(name).0, d));
        }
        let v = hierarchy_violations(&groups);
        violations += v;
        steps_viol += usize::from(v > 0);
        let scores: Vec<f64> = miners.iter().map(|r| r.window_score).collect();
        let finals: Vec<f64> = miners.iter().map(|r| r.final_w).collect();
        if let Some(rho) = spearman(&scores, &finals) {
            reward_rho.push(rho);
        }
        for r in &miners {
            *usd_b.entry(r.bucket.to_string()).or_insert(0.0) += r.reward_usd;
            *alpha_b.entry(r.bucket.to_string()).or_insert(0.0) += r.reward_alpha;
            let e = per_miner.entry(r.hotkey).or_default();
            e.0 += r.reward_usd;
            e.1 += r.delta_usd;
            e.2 += r.baseline_usd;
            if r.payout == r.dust {
                dust_paid += r.final_w;
            }
        }
    }
    let (share_at_floor, share_at_ceiling) = floor_ceiling_shares(&all_dust, &all_bounds);
    let mut deltas: Vec<MinerDelta> = per_miner
        .iter()
        .map(|(h, (usd, d, base))| MinerDelta {
            hotkey: h.to_string(),
            reward_usd: *usd,
            delta_usd: *d,
            delta_pct: if *base > 0.0 { Some(100.0 * d / base) } else { None },
        })
        .collect();
    deltas.sort_by(|a, b| b.delta_usd.total_cmp(&a.delta_usd).then(a.hotkey.cmp(&b.hotkey)));
    let winners = deltas.iter().filter(|d| d.delta_usd >= 0.005).take(10).cloned().collect();
    let losers = deltas.iter().rev().filter(|d| d.delta_usd <= -0.005).take(10).cloned().collect();
    let rewards: Vec<f64> = per_miner.values().map(|v| v.0).collect();
    let mut deltas_sorted: Vec<f64> = per_miner.values().map(|v| v.1).collect();
    deltas_sorted.sort_by(f64::total_cmp);
    let mean = |v: &[f64]| if v.is_empty() { None } else { Some(v.iter().sum::<f64>() / v.len() as f64) };
    let spearman_by_bucket = series
        .iter()
        .map(|(b, s)| (b.clone(), mean(&s.spearman.iter().flatten().copied().collect::<Vec<_>>())))
        .collect();
    let steps = n_steps.max(1) as f64;
    PolicyMetrics {
        policy: policy.to_string(),
        steps: n_steps,
        miners: per_miner.len(),
        reward_usd_miners: usd_b.values().sum(),
        reward_usd_by_bucket: usd_b,
        reward_alpha_by_bucket: alpha_b,
        spearman_by_bucket,
        reward_score_spearman: mean(&reward_rho),
        share_at_floor,
        share_at_ceiling,
        floor_share_series: floor_s,
        ceiling_share_series: ceil_s,
        hierarchy_violations: violations,
        steps_with_violations: steps_viol,
        dust_by_bucket: series,
        gini: gini(&rewards),
        burn_share: burn_total / steps,
        dust_share: dust_paid / steps,
        churn: churn(&weights_by_step),
        losers_over_10pct: deltas.iter().filter(|d| d.delta_pct.is_some_and(|p| p < -10.0)).count(),
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
    fn churn_is_half_the_l1_move() {
        let steps = vec![vec![("a", 0.5), ("b", 0.5)], vec![("a", 0.7), ("b", 0.3)], vec![("a", 0.7), ("c", 0.3)]];
        // step 1: (0.2 + 0.2)/2 = 0.2; step 2: b leaves (0.3), c arrives (0.3) → 0.3; mean 0.25
        assert!((churn(&steps) - 0.25).abs() < 1e-15);
        assert_eq!(churn(&steps[..1]), 0.0);
    }
}
