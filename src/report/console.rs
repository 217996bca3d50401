//! The console summary after a run: a view of the report's [`Summary`], so the console and
//! the report can never disagree.

use std::fmt::Write;

use super::Summary;
use crate::metrics::policy::MinerDelta;

/// A hotkey shortened for a table, `5SYGAC…eMfk`, by characters (hotkeys are opaque strings:
/// any Unicode a file holds must print, never panic).
pub fn short_hotkey(h: &str) -> String {
    let n = h.chars().count();
    if n <= 12 {
        return h.to_string();
    }
    let head: String = h.chars().take(6).collect();
    let tail: String = h.chars().skip(n - 4).collect();
    format!("{head}…{tail}")
}

pub fn render(s: &Summary) -> String {
    let mut out = String::new();
    // The answer first: one verdict per candidate.
    for v in &s.verdicts {
        let exploit = match (&v.exploitability, &v.exploit_by) {
            (Some(b), Some(by)) => format!("exploitability {:.2} USD [{:.2}, {:.2}] ({by})", b.mean, b.p5, b.p95),
            _ => "exploitability not tested".into(),
        };
        let _ = writeln!(
            out,
            "{:<22} {:<11} Δalignment {:>7}  hierarchy {:<14} dust losers >10% {:>3}  {}",
            v.policy,
            v.verdict.to_uppercase(),
            v.alignment_delta.map(|d| format!("{d:+.3}")).unwrap_or_else(|| "-".into()),
            if v.hierarchy_violation_steps > 0 {
                format!("BROKEN ({})", v.hierarchy_violation_steps)
            } else {
                "kept".into()
            },
            v.dust_losers_over_10pct,
            exploit
        );
    }
    if !s.verdicts.is_empty() {
        let _ = writeln!(out, "(verdicts against {}; rules in report.html)\n", s.baseline);
    }
    let mut buckets: Vec<&String> = s.policies.iter().flat_map(|m| m.reward_usd_by_bucket.keys()).collect();
    buckets.sort();
    buckets.dedup();
    let _ = write!(out, "{:<22} {:>12}", "policy", "miners USD");
    for b in &buckets {
        let _ = write!(out, " {:>12}", b);
    }
    let _ = writeln!(out, " {:>7} {:>7} {:>8} {:>7} {:>6}", "floor%", "ceil%", "spearman", "burn%", "hier.");
    for m in &s.policies {
        let _ = write!(out, "{:<22} {:>12.2}", m.policy, m.reward_usd_miners);
        for b in &buckets {
            let _ = write!(out, " {:>12.2}", m.reward_usd_by_bucket.get(*b).copied().unwrap_or(0.0));
        }
        let rho = m.reward_score_spearman.map(|r| format!("{r:.3}")).unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            " {:>7.1} {:>7.1} {:>8} {:>7.3} {:>6}",
            100.0 * m.share_at_floor,
            100.0 * m.share_at_ceiling,
            rho,
            100.0 * m.burn_share,
            m.steps_with_violations
        );
    }
    let fmt = |v: &[MinerDelta]| -> String {
        if v.is_empty() {
            return "none".into();
        }
        v.iter()
            .take(5)
            .map(|d| format!("{} {:+.2}", short_hotkey(&d.hotkey), d.delta_usd))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for m in s.policies.iter().filter(|m| m.policy != s.baseline) {
        let _ = writeln!(out, "\n{} vs {}:", m.policy, s.baseline);
        let _ = writeln!(out, "  winners (USD): {}", fmt(&m.winners));
        let _ = writeln!(out, "  losers  (USD): {}", fmt(&m.losers));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hotkeys_shorten_by_characters() {
        assert_eq!(short_hotkey("5SYGACxxxxxxxxxxxxxxxxxxxeMfk"), "5SYGAC…eMfk");
        assert_eq!(short_hotkey("test_hotkey"), "test_hotkey");
        assert_eq!(short_hotkey("ééééééééééééééééé€"), "éééééé…ééé€");
    }
}
