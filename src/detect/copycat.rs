//! Copycat: a miner whose PnL follows a leading earner's with a lag of a few periods — the
//! lagged correlation is high and clearly above the unlagged one (an identical series at lag 0
//! is a sybil, not a copy). The follower is the suspect; the leader is named as evidence.

use rayon::prelude::*;

use super::panel::{lagged_correlation, lagged_correlation_reaching, summed};
use super::{Finding, Knobs, Panel, seen};

pub fn detect(panel: &Panel, knobs: &Knobs) -> Vec<Finding> {
    let m = &panel.miners;
    // Leaders: the top earners (a copy of a weak miner gains nothing).
    let mut by_total: Vec<usize> = (0..m.len()).filter(|&i| m[i].active() >= knobs.min_active).collect();
    by_total.sort_by(|&a, &b| {
        let t = |i: usize| m[i].pnl.iter().sum::<f64>();
        t(b).total_cmp(&t(a)).then_with(|| m[a].hotkey.cmp(&m[b].hotkey))
    });
    let leaders: Vec<usize> = by_total.iter().copied().take(knobs.copycat_leaders).collect();
    let max_lag = (knobs.copycat_max_lag_days * 2.0).round().max(1.0) as usize;
    let sums = summed(panel);
    let followers: Vec<usize> = (0..m.len()).filter(|&i| m[i].active() >= knobs.min_active).collect();
    followers
        .par_iter()
        .filter_map(|&f| {
            let mut best: Option<(f64, usize, usize, f64)> = None;
            for &l in leaders.iter().filter(|&&l| l != f) {
                // The unlagged correlation matters only beside a lagged one that passes.
                let mut unlagged: Option<f64> = None;
                for lag in 1..=max_lag {
                    if let Some(r) = lagged_correlation_reaching(
                        (&m[f], &m[l]),
                        (&sums[f], &sums[l]),
                        lag,
                        knobs.min_overlap,
                        knobs.copycat_correlation,
                    ) {
                        let r0 = *unlagged.get_or_insert_with(|| {
                            lagged_correlation(&m[f], &m[l], 0, knobs.min_overlap).map(|x| x.0).unwrap_or(0.0)
                        });
                        if r - r0 >= knobs.copycat_margin && best.is_none_or(|b| r > b.0) {
                            best = Some((r, l, lag, r0));
                        }
                    }
                }
            }
            let (r, l, lag, r0) = best?;
            let (first, last) = seen(panel, &[f]);
            Some(Finding {
                pattern: "copycat",
                hotkeys: vec![m[f].hotkey.clone()],
                score: r,
                leader: Some(m[l].hotkey.clone()),
                lag_periods: Some(lag),
                evidence: format!(
                    "follows {} by {:.1} day(s): lagged PnL correlation {:.3} (unlagged {:.3})",
                    m[l].hotkey,
                    lag as f64 / 2.0,
                    r,
                    r0
                ),
                first_seen_ms: first,
                last_seen_ms: last,
            })
        })
        .collect()
}
