//! Whale compression: a 30-day score so far above its bucket's next that, under
//! max-normalisation, every rival of the bucket sits near the floor — not on one unlucky day
//! but on a good share of the days it is there.

use std::collections::BTreeMap;

use super::{Finding, Knobs, Panel, seen};
use crate::stats::percentile;

/// The production window: 30 days of 12 h checkpoints.
const WINDOW: usize = 60;
/// A miner compresses its bucket when it is ratio-times the next on this share of its days.
const SHARE_OF_DAYS: f64 = 0.3;
const MIN_DAYS: usize = 5;

pub fn detect(panel: &Panel, knobs: &Knobs) -> Vec<Finding> {
    let m = &panel.miners;
    // Prefix sums of each miner's penalty-adjusted PnL, for a window sum at any day.
    let prefix: Vec<Vec<f64>> = m
        .iter()
        .map(|s| {
            let mut p = Vec::with_capacity(s.pnl.len() + 1);
            p.push(0.0);
            for v in &s.pnl {
                p.push(p.last().copied().unwrap_or(0.0) + v);
            }
            p
        })
        .collect();
    let mut by_bucket: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, s) in m.iter().enumerate() {
        by_bucket.entry(s.status.as_str()).or_default().push(i);
    }
    // Per miner: days present, days on top at ≥ ratio × the next, and those ratios.
    let mut present = vec![0usize; m.len()];
    let mut compressed: Vec<Vec<f64>> = vec![Vec::new(); m.len()];
    let mut at_floor: Vec<Vec<f64>> = vec![Vec::new(); m.len()];
    for k in (WINDOW..=panel.len).step_by(2) {
        for members in by_bucket.values() {
            let mut scores: Vec<(f64, usize)> = members
                .iter()
                .filter(|&&i| m[i].start < k && m[i].end() >= k)
                .map(|&i| {
                    let end = k - m[i].start;
                    let from = end.saturating_sub(WINDOW);
                    (prefix[i][end] - prefix[i][from], i)
                })
                .collect();
            if scores.len() < 3 {
                continue;
            }
            for (_, i) in &scores {
                present[*i] += 1;
            }
            scores.sort_by(|a, b| b.0.total_cmp(&a.0));
            let (top, i) = scores[0];
            let next = scores[1].0;
            if next > 0.0 && top >= knobs.whale_ratio * next {
                compressed[i].push(top / next);
                let floor = scores[1..].iter().filter(|(s, _)| *s / top < 0.1).count();
                at_floor[i].push(floor as f64 / (scores.len() - 1) as f64);
            }
        }
    }
    let mut out = Vec::new();
    for i in 0..m.len() {
        let days = compressed[i].len();
        if days < MIN_DAYS || (days as f64) < SHARE_OF_DAYS * present[i] as f64 {
            continue;
        }
        let ratio = percentile(&compressed[i], 50.0);
        let (first, last) = seen(panel, &[i]);
        out.push(Finding {
            pattern: "whale-compression",
            hotkeys: vec![m[i].hotkey.clone()],
            score: ratio,
            leader: None,
            lag_periods: None,
            evidence: format!(
                "30-day score ≥ {}× the {} bucket's next on {} of its {} days (median {:.1}×); {:.0}% of rivals within a tenth of the floor-to-ceiling range on those days",
                knobs.whale_ratio,
                m[i].status,
                days,
                present[i],
                ratio,
                100.0 * at_floor[i].iter().sum::<f64>() / days as f64
            ),
            first_seen_ms: first,
            last_seen_ms: last,
        });
    }
    out
}
