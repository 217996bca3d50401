//! Re-registration churn: a hotkey that leaves after losses, followed within days by a fresh
//! hotkey with the same collateral and a matching volatility — the same operator starting its
//! record over. Chains of such hand-overs are one finding.

use super::{Finding, Knobs, Panel, mean_sd, seen};
use crate::time::MS_PER_DAY;

pub fn detect(panel: &Panel, knobs: &Knobs) -> Vec<Finding> {
    let m = &panel.miners;
    let gap = (knobs.churn_gap_days * MS_PER_DAY as f64) as i64;
    let vol: Vec<f64> = m.iter().map(|s| mean_sd(s.returns()).1).collect();
    // next[a] = b: a left after a loss and b took over its profile.
    let mut next: Vec<Option<usize>> = vec![None; m.len()];
    let mut has_prev = vec![false; m.len()];
    for (a, s) in m.iter().enumerate() {
        if s.last_ms >= panel.at || s.pnl.len() < knobs.min_overlap {
            continue;
        }
        let tail = &s.pnl[s.pnl.len().saturating_sub(60)..];
        if tail.iter().sum::<f64>() >= 0.0 {
            continue;
        }
        let Some(ca) = s.collateral.filter(|c| *c > 0.0) else { continue };
        let candidate = m.iter().enumerate().find(|(b, t)| {
            *b != a
                && t.first_ms > s.last_ms
                && t.first_ms <= s.last_ms + gap
                && t.collateral == Some(ca)
                && vol[*b] > 0.0
                && vol[a] > 0.0
                && (vol[*b] / vol[a]).max(vol[a] / vol[*b]) <= knobs.churn_vol_ratio
        });
        if let Some((b, _)) = candidate {
            next[a] = Some(b);
            has_prev[b] = true;
        }
    }
    let mut out = Vec::new();
    for start in 0..m.len() {
        if has_prev[start] || next[start].is_none() {
            continue;
        }
        let mut chain = vec![start];
        while let Some(n) = next[*chain.last().expect("non-empty")] {
            if chain.contains(&n) {
                break;
            }
            chain.push(n);
        }
        let (first, last) = seen(panel, &chain);
        out.push(Finding {
            pattern: "re-registration-churn",
            hotkeys: chain.iter().map(|&i| m[i].hotkey.clone()).collect(),
            score: (chain.len() - 1) as f64,
            leader: None,
            lag_periods: None,
            evidence: format!(
                "{} hand-over(s) after losses, each within {:.0} days, same collateral {:.0} USD, volatility within {:.1}×",
                chain.len() - 1,
                knobs.churn_gap_days,
                m[start].collateral.unwrap_or(0.0),
                knobs.churn_vol_ratio
            ),
            first_seen_ms: first,
            last_seen_ms: last,
        });
    }
    out
}
