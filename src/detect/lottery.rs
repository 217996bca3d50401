//! Volatility lottery: return volatility far above its bucket's median with a mean near zero
//! (the window score floors losses, so variance alone buys upside).

use std::collections::HashMap;

use super::{Finding, Knobs, Panel, mean_sd, robust_sd, seen};
use crate::stats::percentile;

pub fn detect(panel: &Panel, knobs: &Knobs) -> Vec<Finding> {
    let m = &panel.miners;
    // (mean, robust volatility, periods, plain sd for the t of the mean)
    let stats: Vec<(f64, f64, usize, f64)> = m
        .iter()
        .map(|s| {
            let (mean, sd, n) = mean_sd(s.returns());
            (mean, robust_sd(s.returns()), n, sd)
        })
        .collect();
    let mut by_bucket: HashMap<&str, Vec<f64>> = HashMap::new();
    for (s, st) in m.iter().zip(&stats) {
        if st.2 >= knobs.min_overlap && st.1 > 0.0 {
            by_bucket.entry(s.status.as_str()).or_default().push(st.1);
        }
    }
    let median: HashMap<&str, f64> = by_bucket.iter().map(|(b, v)| (*b, percentile(v, 50.0))).collect();
    let mut out = Vec::new();
    for (i, (s, &(mean, sd, n, plain_sd))) in m.iter().zip(&stats).enumerate() {
        let Some(&med) = median.get(s.status.as_str()) else { continue };
        if n < knobs.min_overlap || med <= 0.0 || by_bucket[s.status.as_str()].len() < 5 {
            continue;
        }
        let ratio = sd / med;
        let t = mean / (plain_sd / (n as f64).sqrt());
        if ratio >= knobs.lottery_vol_ratio && t.abs() <= knobs.lottery_max_t {
            let (first, last) = seen(panel, &[i]);
            out.push(Finding {
                pattern: "volatility-lottery",
                hotkeys: vec![s.hotkey.clone()],
                score: ratio,
                leader: None,
                lag_periods: None,
                evidence: format!(
                    "robust 12 h {} volatility {:.1}× its {} bucket's median; mean t = {:.2}",
                    if s.account.is_some() { "return" } else { "USD PnL" },
                    ratio,
                    s.status,
                    t
                ),
                first_seen_ms: first,
                last_seen_ms: last,
            });
        }
    }
    out
}
