//! Whether a Monte Carlo run's runs pin down the effects its report states: a band's standard
//! error above a tenth of its mean leaves the effect's size (and often its sign) open.

use super::adversary::{Band, OutcomeSummary, PRECISE_SHARE};
use crate::stats::number;

/// The candidate-minus-baseline differences whose precision is checked (the verdict's
/// alignment and the share of weight paid as dust), with their report labels.
pub const EFFECTS: &[(&str, &str)] = &[("reward_score_spearman", "alignment"), ("dust_share", "dust share")];

/// The line that says `runs = "auto"` reached its bound before every effect was precise.
pub fn auto_stopped(runs: usize) -> String {
    format!("runs = \"auto\" stopped at its bound of {runs} runs before every effect was precise")
}

fn band_of(v: &serde_json::Value) -> Option<Band> {
    Some(Band {
        mean: v["mean"].as_f64()?,
        p5: v["p5"].as_f64()?,
        p95: v["p95"].as_f64()?,
        n: v["n"].as_u64()? as usize,
        se: v["se"].as_f64().unwrap_or(f64::NAN),
    })
}

fn line(what: &str, b: &Band) -> String {
    if b.n < 2 {
        format!("{what}: {} from a single run, which has no standard error", number(b.mean))
    } else {
        format!(
            "{what}: mean {} has standard error {} over {} runs, more than {:.0}% of the effect",
            number(b.mean),
            number(b.se),
            b.n,
            100.0 * PRECISE_SHARE
        )
    }
}

/// One line per effect whose standard error exceeds a tenth of it: each candidate's
/// difference from the baseline in `over_runs` (`run.json` "policy_metrics_over_runs") and each
/// adversary's effect.
pub fn warnings(over_runs: Option<&serde_json::Value>, baseline: &str, adversaries: &[OutcomeSummary]) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(over) = over_runs.and_then(|v| v.as_object()) {
        for (policy, metrics) in over {
            if policy == baseline {
                continue;
            }
            for (key, label) in EFFECTS {
                if let Some(b) = band_of(&metrics[*key]["difference"]).filter(Band::imprecise) {
                    out.push(line(&format!("{policy}: {label} difference from {baseline}"), &b));
                }
            }
        }
    }
    for a in adversaries {
        let (label, band) = a.effect();
        if let Some(b) = band.filter(Band::imprecise) {
            out.push(line(&format!("{} against {}: {label}", a.adversary, a.policy), &b));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_band_is_imprecise_when_its_standard_error_exceeds_a_tenth_of_its_mean() {
        // 1, 2, 3: mean 2, sd 1, se 1/√3 ≈ 0.577 > 0.2.
        let b = Band::of(&[1.0, 2.0, 3.0]).unwrap();
        assert!((b.se - 1.0 / 3f64.sqrt()).abs() < 1e-12 && b.n == 3);
        assert!(b.imprecise());
        // 10, 10.1, 9.9: se ≈ 0.0577 < 1.
        assert!(!Band::of(&[10.0, 10.1, 9.9]).unwrap().imprecise());
        // No effect and no spread is precise; one run never is.
        assert!(!Band::of(&[0.0, 0.0]).unwrap().imprecise());
        assert!(Band::of(&[5.0]).unwrap().imprecise());
    }

    #[test]
    fn warnings_name_the_candidate_and_the_effect() {
        let over = serde_json::json!({
            "base": {"reward_score_spearman": {"mean": 0.5, "p5": 0.4, "p95": 0.6, "n": 3, "se": 0.1}},
            "cand": {
                "reward_score_spearman": {"mean": 0.6, "p5": 0.5, "p95": 0.7, "n": 3, "se": 0.1,
                    "difference": {"mean": 0.1, "p5": -0.1, "p95": 0.3, "n": 3, "se": 0.05}},
                "dust_share": {"mean": 0.1, "p5": 0.1, "p95": 0.1, "n": 3, "se": 0.0,
                    "difference": {"mean": 0.02, "p5": 0.02, "p95": 0.02, "n": 3, "se": 0.001}}
            }
        });
        let w = warnings(Some(&over), "base", &[]);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with("cand: alignment difference from base: mean 0.1") && w[0].contains("over 3 runs"),
            "{}",
            w[0]
        );
    }
}
