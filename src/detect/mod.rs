//! The gaming watch: one detector per adversary pattern, each a small module with its own
//! score and evidence, run over real ledgers as of one instant. Nothing about a hotkey's name
//! is read: only PnL series, buckets, collateral and timing.
//!
//! The simulator knows who its adversaries are (`generate --scenario` writes a truth file), so
//! `score` measures each detector's precision and recall before anyone relies on it.

mod churn;
mod copycat;
mod lottery;
pub mod panel;
pub mod score;
mod squatter;
mod sybil;
mod timing;
mod whale;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use panel::Panel;

/// The patterns, named as the strategies the simulator injects.
pub const PATTERNS: &[&str] = &[
    "sybil-split",
    "copycat",
    "window-timing",
    "volatility-lottery",
    "challenge-squatter",
    "re-registration-churn",
    "whale-compression",
];

/// Thresholds (a `[detect]` table, or defaults).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Knobs {
    /// Fewest shared 12 h periods for a correlation (sybil, copycat).
    pub min_overlap: usize,
    /// Fewest periods with any PnL for a series to be correlated at all.
    pub min_active: usize,
    /// Sybil split: PnL correlation at which two hotkeys are one operator.
    pub sybil_correlation: f64,
    /// Copycat: lagged correlation with a leader, and how much it must beat the unlagged one.
    pub copycat_correlation: f64,
    pub copycat_margin: f64,
    /// Copycat: longest lag looked at (days), and how many of the top earners are leaders.
    pub copycat_max_lag_days: f64,
    pub copycat_leaders: usize,
    /// Window timing: share of |PnL| in the top tenth of periods, and the most irregular the
    /// spacing of bursts may be (coefficient of variation of the gaps).
    pub timing_concentration: f64,
    pub timing_max_gap_cv: f64,
    /// Volatility lottery: volatility over its bucket's median, and the largest |t| of the mean.
    pub lottery_vol_ratio: f64,
    pub lottery_max_t: f64,
    /// Challenge squatter: share of flat periods (no PnL at all).
    pub squatter_flat_share: f64,
    /// Re-registration churn: days from a departure to the fresh hotkey, and the volatility
    /// ratio within which the two profiles match.
    pub churn_gap_days: f64,
    pub churn_vol_ratio: f64,
    /// Whale compression: the top 30-day score over the bucket's next.
    pub whale_ratio: f64,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs {
            min_overlap: 20,
            min_active: 10,
            sybil_correlation: 0.9,
            copycat_correlation: 0.8,
            copycat_margin: 0.3,
            copycat_max_lag_days: 3.0,
            copycat_leaders: 25,
            timing_concentration: 0.7,
            timing_max_gap_cv: 0.35,
            lottery_vol_ratio: 3.0,
            lottery_max_t: 2.0,
            squatter_flat_share: 0.7,
            churn_gap_days: 3.0,
            churn_vol_ratio: 1.5,
            whale_ratio: 5.0,
        }
    }
}

impl Knobs {
    /// Refuses a knob outside the range a detector can use, naming it.
    pub fn check(&self) -> Result<(), String> {
        let unit = [
            ("sybil_correlation", self.sybil_correlation),
            ("copycat_correlation", self.copycat_correlation),
            ("copycat_margin", self.copycat_margin),
            ("timing_concentration", self.timing_concentration),
            ("squatter_flat_share", self.squatter_flat_share),
        ];
        for (k, v) in unit {
            if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                return Err(format!("[detect] {k} must be within [0, 1], got {v}"));
            }
        }
        let positive = [
            ("copycat_max_lag_days", self.copycat_max_lag_days),
            ("timing_max_gap_cv", self.timing_max_gap_cv),
            ("lottery_vol_ratio", self.lottery_vol_ratio),
            ("lottery_max_t", self.lottery_max_t),
            ("churn_gap_days", self.churn_gap_days),
            ("churn_vol_ratio", self.churn_vol_ratio),
            ("whale_ratio", self.whale_ratio),
        ];
        for (k, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("[detect] {k} must be a positive number, got {v}"));
            }
        }
        if self.min_overlap < 3 {
            return Err(format!("[detect] min_overlap must be at least 3, got {}", self.min_overlap));
        }
        Ok(())
    }
}

/// One finding: a pattern, the suspected hotkeys (for a copycat the follower) and evidence.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub pattern: &'static str,
    pub hotkeys: Vec<String>,
    /// The detector's own score (its threshold is in the knobs).
    pub score: f64,
    /// Another hotkey the evidence names (the copycat's leader), not itself suspected.
    pub leader: Option<String>,
    /// The copycat's lag behind its leader, in 12 h periods (its chart shifts by it).
    #[serde(skip)]
    pub lag_periods: Option<usize>,
    pub evidence: String,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
}

/// Every detector over `panel`, findings in pattern order, each pattern's strongest first.
pub fn detect(panel: &Panel, knobs: &Knobs) -> Vec<Finding> {
    type Detector = fn(&Panel, &Knobs) -> Vec<Finding>;
    let detectors: [Detector; 7] = [
        sybil::detect,
        copycat::detect,
        timing::detect,
        lottery::detect,
        squatter::detect,
        churn::detect,
        whale::detect,
    ];
    let mut out: Vec<Vec<Finding>> = detectors.par_iter().map(|d| d(panel, knobs)).collect::<Vec<_>>();
    for f in &mut out {
        f.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.hotkeys.cmp(&b.hotkeys)));
    }
    out.into_iter().flatten().collect()
}

/// First and last checkpoint of a group of miners.
fn seen(panel: &Panel, idx: &[usize]) -> (i64, i64) {
    let first = idx.iter().map(|&i| panel.miners[i].first_ms).min().unwrap_or(panel.at);
    let last = idx.iter().map(|&i| panel.miners[i].last_ms).max().unwrap_or(panel.at);
    (first, last)
}

/// A volatility no single outlier moves: the median absolute deviation from the median,
/// scaled to a normal's standard deviation (a drawdown's last loss is one period, a lottery's
/// volatility is every period).
fn robust_sd(x: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = x.collect();
    if v.len() < 2 {
        return 0.0;
    }
    let med = crate::stats::percentile(&v, 50.0);
    let dev: Vec<f64> = v.iter().map(|x| (x - med).abs()).collect();
    1.4826 * crate::stats::percentile(&dev, 50.0)
}

fn mean_sd(x: impl Iterator<Item = f64>) -> (f64, f64, usize) {
    let (mut n, mut s, mut ss) = (0usize, 0.0, 0.0);
    for v in x {
        n += 1;
        s += v;
        ss += v * v;
    }
    if n < 2 {
        return (s, 0.0, n);
    }
    let m = s / n as f64;
    (m, ((ss - s * m) / (n - 1) as f64).max(0.0).sqrt(), n)
}

#[cfg(test)]
mod tests {
    use super::panel::Series;
    use super::*;
    use crate::ledger::Status;
    use rand::RngExt;

    /// Independent heavy-ish noise for `n` periods (seeded).
    fn noise(seed: u64, n: usize, scale: f64) -> Vec<f64> {
        let mut rng = crate::population::seed::rng(seed, 0);
        (0..n).map(|_| scale * (rng.random::<f64>() - 0.5 + 0.02)).collect()
    }

    fn miner(h: &str, start: usize, pnl: Vec<f64>, status: Status, collateral: f64) -> Series {
        Series {
            hotkey: h.into(),
            start,
            net: pnl.clone(),
            first_ms: start as i64 * 43_200_000,
            last_ms: (start + pnl.len() - 1) as i64 * 43_200_000,
            pnl,
            status,
            collateral: Some(collateral),
            account: Some(collateral.clamp(5_000.0, 500_000.0)),
        }
    }

    fn panel(miners: Vec<Series>, len: usize) -> Panel {
        Panel { t0: 0, len, at: (len as i64 - 1) * 43_200_000, miners }
    }

    fn honest(n: usize, len: usize) -> Vec<Series> {
        (0..n)
            .map(|i| miner(&format!("h{i:02}"), 0, noise(100 + i as u64, len, 1_000.0), Status::Challenge, 200_000.0))
            .collect()
    }

    #[test]
    fn each_detector_finds_its_planted_pattern_and_nothing_in_independent_noise() {
        let len = 120;
        let mut m = honest(30, len);
        // Sybil: one stream split three ways.
        let stream = noise(7, len, 3_000.0);
        for k in 0..3 {
            m.push(miner(&format!("s{k}"), 0, stream.iter().map(|v| v / 3.0).collect(), Status::Challenge, 150_000.0));
        }
        // Copycat: the top earner, 2 periods late, from period 10 to 60.
        let leader: Vec<f64> = noise(8, len, 1_000.0).iter().map(|v| v + 400.0).collect();
        m.push(miner("lead", 0, leader.clone(), Status::Maincomp, 400_000.0));
        m.push(miner("copy", 10, leader[8..58].to_vec(), Status::Challenge, 150_000.0));
        // Window timing: every 20 periods, the period's PnL booked over its last 2.
        let steady = noise(9, len, 1_000.0);
        m.push(miner("timing", 0, crate::population::adversary::bursts(&steady, 20, 2), Status::Challenge, 150_000.0));
        // Squatter: CHALLENGE, no collateral, a position in a random tenth of its periods.
        let mut rng = crate::population::seed::rng(11, 0);
        let sq: Vec<f64> = (0..len).map(|_| if rng.random_bool(0.1) { 15.0 } else { 0.0 }).collect();
        m.push(miner("squat", 0, sq, Status::Challenge, 0.0));
        let p = panel(m, len);
        let found = detect(&p, &Knobs::default());
        let of = |pat: &str| -> Vec<Vec<String>> {
            found.iter().filter(|f| f.pattern == pat).map(|f| f.hotkeys.clone()).collect()
        };
        assert_eq!(of("sybil-split"), vec![vec!["s0".to_string(), "s1".into(), "s2".into()]]);
        assert_eq!(of("copycat"), vec![vec!["copy".to_string()]]);
        let copy = found.iter().find(|f| f.pattern == "copycat").unwrap();
        assert_eq!(copy.leader.as_deref(), Some("lead"));
        assert!(copy.evidence.contains("by 1.0 day(s)"), "{}", copy.evidence);
        assert_eq!(of("window-timing"), vec![vec!["timing".to_string()]]);
        assert_eq!(of("challenge-squatter"), vec![vec!["squat".to_string()]]);
        // Nothing else fires on the 30 independent miners.
        for f in &found {
            assert!(!f.hotkeys.iter().any(|h| h.starts_with('h')), "{} flagged {:?}", f.pattern, f.hotkeys);
        }
    }

    #[test]
    fn a_whale_is_found_when_it_dwarfs_its_bucket_for_days() {
        let len = 120;
        let mut m: Vec<Series> = (0..10)
            .map(|i| {
                let pnl = noise(200 + i, len, 1_000.0).iter().map(|v| v + 100.0).collect();
                miner(&format!("r{i}"), 0, pnl, Status::Maincomp, 300_000.0)
            })
            .collect();
        let big: Vec<f64> = noise(300, len, 1_000.0).iter().map(|v| 50.0 * (v + 100.0)).collect();
        m.push(miner("whale", 0, big, Status::Maincomp, 500_000.0));
        let found = detect(&panel(m, len), &Knobs::default());
        let whales: Vec<&Finding> = found.iter().filter(|f| f.pattern == "whale-compression").collect();
        assert_eq!(whales.len(), 1);
        assert_eq!(whales[0].hotkeys, vec!["whale".to_string()]);
        assert!(whales[0].score >= 5.0);
    }

    #[test]
    fn knobs_out_of_range_are_refused_by_name() {
        let k = Knobs { sybil_correlation: 1.5, ..Knobs::default() };
        assert_eq!(k.check().unwrap_err(), "[detect] sybil_correlation must be within [0, 1], got 1.5");
        let k = Knobs { whale_ratio: 0.0, ..Knobs::default() };
        assert!(k.check().unwrap_err().contains("whale_ratio"));
        assert!(Knobs::default().check().is_ok());
    }
}
