//! The verdict per candidate: one row against the baseline from stated rules, so a reader
//! gets the answer before the evidence. The same rows go to the report, `summary.json` and
//! the console.

use std::collections::BTreeMap;

use serde::Serialize;

use super::adversary::{Band, OutcomeSummary};
use super::policy::PolicyMetrics;

/// A bucket losing more than this share of its dust-paid reward blocks "better".
pub const BUCKET_LOSS_PCT: f64 = 10.0;
/// Alignment changes smaller than this are "no change".
pub const ALIGNMENT_TOLERANCE: f64 = 0.005;
/// Exploitability more than this share above the baseline's is "more exploitable".
pub const EXPLOIT_TOLERANCE: f64 = 0.05;

/// The rules, printed under the verdict table.
pub fn rules() -> Vec<String> {
    vec![
        "infeasible: breaks the bucket hierarchy (a lower bucket's best dust above a higher bucket's worst) at any step — a hard failure.".into(),
        format!(
            "better: alignment (Spearman of reward and window score) not lower than the baseline's by more than {ALIGNMENT_TOLERANCE}, not more exploitable (largest mean excess over the honest twin at most {}% above the baseline's, when tested), and no bucket's dust-paid reward down by more than {BUCKET_LOSS_PCT}%.",
            100.0 * EXPLOIT_TOLERANCE
        ),
        "worse: less aligned, and more exploitable or some bucket's dust-paid reward down by more than 10%.".into(),
        "trade-off: anything else (some criteria better, some worse).".into(),
    ]
}

/// The one verdict rule (see [`rules`]), for a report's candidates and a sweep's variants:
/// `alignment_delta` (None: unknown), the largest excess over the twin of candidate and
/// baseline (None: not tested), and the change of dust-paid reward per bucket in %.
pub fn word(
    infeasible: bool,
    alignment_delta: Option<f64>,
    exploit: Option<f64>,
    baseline_exploit: Option<f64>,
    dust_paid_change_pct: impl IntoIterator<Item = f64>,
) -> &'static str {
    let more_exploitable =
        matches!((exploit, baseline_exploit), (Some(e), Some(b)) if e > b + EXPLOIT_TOLERANCE * b.abs().max(1e-9));
    let bucket_loss = dust_paid_change_pct.into_iter().any(|p| p < -BUCKET_LOSS_PCT);
    let aligned = alignment_delta.is_none_or(|d| d >= -ALIGNMENT_TOLERANCE);
    let less_aligned = alignment_delta.is_some_and(|d| d < -ALIGNMENT_TOLERANCE);
    if infeasible {
        "infeasible"
    } else if aligned && !more_exploitable && !bucket_loss {
        "better"
    } else if less_aligned && (more_exploitable || bucket_loss) {
        "worse"
    } else {
        "trade-off"
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub policy: String,
    pub verdict: String,
    pub alignment_delta: Option<f64>,
    /// % change of dust-paid reward per bucket against the baseline (None: the baseline paid none).
    pub dust_paid_change_pct: BTreeMap<String, Option<f64>>,
    pub dust_losers_over_10pct: usize,
    pub hierarchy_violation_steps: usize,
    /// Largest mean excess over the honest twin (USD) with its 5–95% band; None: not tested.
    pub exploitability: Option<Band>,
    pub exploitability_baseline: Option<Band>,
    /// The adversary behind the largest excess.
    pub exploit_by: Option<String>,
    pub churn_delta: f64,
    pub eras: Vec<String>,
}

fn worst(adversaries: &[OutcomeSummary], policy: &str) -> Option<(Band, String)> {
    adversaries
        .iter()
        .filter(|a| a.policy == policy)
        .filter_map(|a| a.effect().1.map(|b| (b, a.adversary.clone())))
        .max_by(|a, b| a.0.mean.total_cmp(&b.0.mean))
}

/// The verdict of every candidate (every policy after the baseline). `alignment`: the change
/// in alignment when known better than one run's (the mean per-run difference over a Monte
/// Carlo run's runs); None: from `metrics`.
pub fn verdicts(
    metrics: &[PolicyMetrics],
    baseline: &str,
    adversaries: &[OutcomeSummary],
    eras: &[String],
    alignment: &dyn Fn(&str) -> Option<f64>,
) -> Vec<Verdict> {
    let Some(base) = metrics.iter().find(|m| m.policy == baseline) else { return Vec::new() };
    let base_exploit = worst(adversaries, baseline);
    metrics
        .iter()
        .filter(|m| m.policy != baseline)
        .map(|m| {
            let alignment_delta =
                alignment(&m.policy).or(match (m.reward_score_spearman, base.reward_score_spearman) {
                    (Some(a), Some(b)) => Some(a - b),
                    _ => None,
                });
            let dust_paid_change_pct: BTreeMap<String, Option<f64>> = m
                .dust_paid_usd_by_bucket
                .iter()
                .map(|(b, v)| {
                    let base_v = m.baseline_dust_paid_usd_by_bucket.get(b).copied().unwrap_or(0.0);
                    (b.clone(), if base_v > 0.0 { Some(100.0 * (v - base_v) / base_v) } else { None })
                })
                .collect();
            let exploit = worst(adversaries, &m.policy);
            let verdict = word(
                m.steps_with_violations > 0,
                alignment_delta,
                exploit.as_ref().map(|e| e.0.mean),
                base_exploit.as_ref().map(|e| e.0.mean),
                dust_paid_change_pct.values().flatten().copied(),
            );
            Verdict {
                policy: m.policy.clone(),
                verdict: verdict.into(),
                alignment_delta,
                dust_paid_change_pct,
                dust_losers_over_10pct: m.dust_losers_over_10pct,
                hierarchy_violation_steps: m.steps_with_violations,
                exploitability: exploit.as_ref().map(|e| e.0),
                exploitability_baseline: base_exploit.as_ref().map(|e| e.0),
                exploit_by: exploit.map(|e| e.1),
                churn_delta: m.churn - base.churn,
                eras: eras.to_vec(),
            }
        })
        .collect()
}
