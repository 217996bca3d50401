//! Every miner's penalty-adjusted PnL on the validator's 12 h grid, up to the instant of
//! detection, with what the detectors read beside it (bucket, collateral, account).

use std::ops::Range;

use crate::ledger::{LedgerSet, Status};
use crate::population::generate::account_of;
use crate::replay::sources::History;
use crate::stats::{Summed, may_reach, pearson};
use crate::time::CHECKPOINT_MS;

/// One miner's series on the grid.
#[derive(Debug, Clone)]
pub struct Series {
    pub hotkey: String,
    /// Grid index of its first checkpoint.
    pub start: usize,
    /// `net_pnl × total_penalty` per checkpoint from `start` (a missing checkpoint is 0).
    pub pnl: Vec<f64>,
    /// `net_pnl` alone: what was traded, before penalties scale it (volatility reads this).
    pub net: Vec<f64>,
    pub first_ms: i64,
    pub last_ms: i64,
    /// Its bucket at its last checkpoint (the bucket history's when given).
    pub status: Status,
    /// Collateral in USD when a collateral history was given.
    pub collateral: Option<f64>,
    /// Trading account (DOMAIN: min(collateral, 500 000) USD, 5 000 without collateral); None
    /// without a collateral history (returns are then read in USD).
    pub account: Option<f64>,
}

impl Series {
    pub fn end(&self) -> usize {
        self.start + self.pnl.len()
    }
    /// Periods with any PnL.
    pub fn active(&self) -> usize {
        self.pnl.iter().filter(|v| **v != 0.0).count()
    }
    /// Per-period returns on the account, before penalties (USD when the account is unknown).
    pub fn returns(&self) -> impl Iterator<Item = f64> + '_ {
        let a = self.account.unwrap_or(1.0);
        self.net.iter().map(move |v| v / a)
    }
}

/// All miners up to the instant of detection.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Timestamp of grid index 0.
    pub t0: i64,
    /// Grid length (index of `at` + 1).
    pub len: usize,
    pub at: i64,
    pub miners: Vec<Series>,
}

impl Panel {
    /// The panel of `set` as of `at` (checkpoints after it are not seen).
    pub fn build(
        set: &LedgerSet,
        collateral: Option<&History<f64>>,
        buckets: Option<&History<Status>>,
        at: i64,
    ) -> Panel {
        let t0 = set
            .ledgers
            .iter()
            .filter_map(|l| l.checkpoints.first())
            .map(|c| c.timestamp_ms)
            .filter(|t| *t <= at)
            .min()
            .unwrap_or(at);
        let index = |t: i64| ((t - t0) / CHECKPOINT_MS) as usize;
        let mut miners = Vec::new();
        for l in &set.ledgers {
            let cps: Vec<_> = l.checkpoints.iter().filter(|c| c.timestamp_ms <= at).collect();
            let (Some(first), Some(last)) = (cps.first(), cps.last()) else { continue };
            let start = index(first.timestamp_ms);
            let mut pnl = vec![0.0; index(last.timestamp_ms) - start + 1];
            let mut net = vec![0.0; pnl.len()];
            for c in &cps {
                let k = index(c.timestamp_ms) - start;
                net[k] = c.net_pnl();
                pnl[k] = net[k] * c.total_penalty;
            }
            let status = buckets
                .and_then(|b| b.at(&l.hotkey, last.timestamp_ms - 1))
                .filter(|s| s.as_str() != "ELIMINATED")
                .cloned()
                .unwrap_or_else(|| last.status.clone());
            let coll = collateral.map(|c| c.at(&l.hotkey, last.timestamp_ms).copied().unwrap_or(0.0));
            let account = coll.map(account_of);
            miners.push(Series {
                hotkey: l.hotkey.clone(),
                start,
                pnl,
                net,
                first_ms: first.timestamp_ms,
                last_ms: last.timestamp_ms,
                status,
                collateral: coll,
                account,
            });
        }
        Panel { t0, len: index(at) + 1, at, miners }
    }

    pub fn ts(&self, index: usize) -> i64 {
        self.t0 + index as i64 * CHECKPOINT_MS
    }
}

/// Where `a[k]` and `b[k − lag]` sit in `a.pnl` and `b.pnl` over the grid indices both cover;
/// None below `min_overlap` pairs.
fn lagged_ranges(a: &Series, b: &Series, lag: usize, min_overlap: usize) -> Option<(Range<usize>, Range<usize>)> {
    let from = a.start.max(b.start + lag);
    let to = a.end().min(b.end() + lag);
    if to < from + min_overlap.max(2) {
        return None;
    }
    Some((from - a.start..to - a.start, from - lag - b.start..to - lag - b.start))
}

/// Pearson correlation of `a[k]` and `b[k − lag]` over the grid indices both cover, with the
/// number of pairs; None below `min_overlap` pairs or when either side is constant there.
pub fn lagged_correlation(a: &Series, b: &Series, lag: usize, min_overlap: usize) -> Option<(f64, usize)> {
    let (ra, rb) = lagged_ranges(a, b, lag, min_overlap)?;
    Some((pearson(&a.pnl[ra.clone()], &b.pnl[rb])?, ra.len()))
}

/// Each miner's PnL with its running sums, for [`lagged_correlation_reaching`].
pub fn summed(panel: &Panel) -> Vec<Summed<'_>> {
    panel.miners.iter().map(|s| Summed::new(&s.pnl)).collect()
}

/// [`lagged_correlation`] where it reaches `threshold`, None elsewhere: what a scan for
/// correlations above a threshold finds. The exact figure is computed only where a bound from
/// the running sums (`sums`: [`summed`]'s of `a` and `b`) cannot rule the pair out
/// ([`may_reach`]).
pub fn lagged_correlation_reaching(
    (a, b): (&Series, &Series),
    sums: (&Summed, &Summed),
    lag: usize,
    min_overlap: usize,
    threshold: f64,
) -> Option<f64> {
    let (ra, rb) = lagged_ranges(a, b, lag, min_overlap)?;
    if !may_reach(sums.0, ra.clone(), sums.1, rb.clone(), threshold) {
        return None;
    }
    pearson(&a.pnl[ra], &b.pnl[rb]).filter(|r| *r >= threshold)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(start: usize, pnl: Vec<f64>) -> Series {
        Series {
            hotkey: String::new(),
            start,
            net: pnl.clone(),
            pnl,
            first_ms: 0,
            last_ms: 0,
            status: Status::Challenge,
            collateral: None,
            account: None,
        }
    }

    #[test]
    fn lagged_correlation_lines_up_the_grid() {
        let a = series(0, vec![1.0, 3.0, 2.0, 5.0, 4.0, 6.0]);
        // b is a one step behind a (b[k] = a[k+1] × 2): corr(a[k], b[k-1]) = 1 where both exist.
        let b = series(0, vec![6.0, 4.0, 10.0, 8.0, 12.0, 0.0]);
        let (r, n) = lagged_correlation(&a, &b, 1, 3).unwrap();
        assert_eq!(n, 5);
        // Pairs (3,6) (2,4) (5,10) (4,8) (6,12): exactly proportional.
        assert!((r - 1.0).abs() < 1e-12, "{r}");
        assert!(lagged_correlation(&a, &b, 0, 3).unwrap().0 < 0.9);
        // Offset starts: a from 2, c from 0, lag 0 overlaps indices 2..4 only.
        let c = series(0, vec![9.0, 9.0, 1.0, 3.0]);
        let a2 = series(2, vec![2.0, 6.0, 7.0]);
        let (r, n) = lagged_correlation(&a2, &c, 0, 2).unwrap();
        assert_eq!(n, 2);
        assert!((r - 1.0).abs() < 1e-12);
        assert!(lagged_correlation(&a2, &c, 0, 3).is_none(), "below the overlap asked for");
    }
}
