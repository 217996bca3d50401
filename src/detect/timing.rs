//! Window timing: PnL booked in short, regularly spaced bursts (so it sits inside the
//! lookback when the window is read) instead of accruing period by period. Scored by the share
//! of |PnL| in the top tenth of periods; the bursts must recur at a steady spacing.

use super::{Finding, Knobs, Panel, mean_sd, seen};
use crate::time::{MS_PER_DAY, format_date};

pub fn detect(panel: &Panel, knobs: &Knobs) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, s) in panel.miners.iter().enumerate() {
        if s.pnl.len() < knobs.min_overlap {
            continue;
        }
        let total: f64 = s.pnl.iter().map(|v| v.abs()).sum();
        if total <= 0.0 {
            continue;
        }
        let mut abs: Vec<f64> = s.pnl.iter().map(|v| v.abs()).collect();
        abs.sort_by(|a, b| b.total_cmp(a));
        let top = abs.len().div_ceil(10);
        let concentration = abs[..top].iter().sum::<f64>() / total;
        if concentration < knobs.timing_concentration {
            continue;
        }
        // Bursts: maximal runs of periods with PnL; their starts must be evenly spaced.
        let mut starts = Vec::new();
        let mut ends = Vec::new();
        for k in 0..s.pnl.len() {
            let on = s.pnl[k] != 0.0;
            if on && (k == 0 || s.pnl[k - 1] == 0.0) {
                starts.push(k);
            }
            if on && (k + 1 == s.pnl.len() || s.pnl[k + 1] == 0.0) {
                ends.push(k);
            }
        }
        if starts.len() < 3 {
            continue;
        }
        let gaps: Vec<f64> = starts.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
        let (gm, gsd, _) = mean_sd(gaps.iter().copied());
        let cv = if gm > 0.0 { gsd / gm } else { f64::INFINITY };
        if cv > knobs.timing_max_gap_cv {
            continue;
        }
        let last_burst = ends.last().map(|&k| panel.ts(s.start + k)).unwrap_or(s.last_ms);
        let (first, last) = seen(panel, &[i]);
        out.push(Finding {
            pattern: "window-timing",
            hotkeys: vec![s.hotkey.clone()],
            score: concentration,
            leader: None,
            lag_periods: None,
            evidence: format!(
                "{:.0}% of |PnL| in the top tenth of periods; {} bursts every {:.1} days (gap CV {:.2}); last burst ends {}",
                100.0 * concentration,
                starts.len(),
                gm / 2.0,
                cv,
                format_date(last_burst - last_burst.rem_euclid(MS_PER_DAY))
            ),
            first_seen_ms: first,
            last_seen_ms: last,
        });
    }
    out
}
