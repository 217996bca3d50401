//! The PnL measures the releases score with, as data: a policy (and a payout model) names
//! one, and it is computed here over a miner's checkpoints, left to right in ledger order,
//! exactly as the validator sums them (no compensated summation: the last bits decide
//! whether a burn entry exists).

use serde::{Deserialize, Serialize};

use crate::ledger::Status;
use crate::ledger::store::Slice;

/// The per-window PnL measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PnlMetric {
    /// `Σ (pnl_gain + pnl_loss) × total_penalty` (the releases of 31 October and 6 November 2025).
    NetPnlXPenalty,
    /// `Σ realized × penalty + min(0, last unrealized) × its penalty` (from 30 November 2025).
    RealizedWithOpenLoss,
    /// The weekly release's high-water-mark measure of realized PnL, plus the open loss.
    HwmRealized,
}

impl PnlMetric {
    /// Whether the measure reads `realized_pnl`/`unrealized_pnl` (an older file reads as 0).
    pub fn reads_realized(self) -> bool {
        !matches!(self, PnlMetric::NetPnlXPenalty)
    }
}

/// Statuses the realized-era releases know (R1 and R2): a checkpoint with any other status
/// is left out of the dust window.
pub fn known_r(s: &Status) -> bool {
    s.is_known()
}

/// Statuses the weekly release knows. The release's list is longer than R1's; this is our
/// reading of it (SCORING-ERAS: "ELIMINATED, ENTITY, SUBACCOUNT_* …").
pub fn known_weekly(s: &Status) -> bool {
    s.is_known()
        || matches!(
            s.as_str(),
            "ELIMINATED" | "ENTITY" | "SUBACCOUNT_FUNDED" | "SUBACCOUNT_ALPHA" | "SUBACCOUNT_CHALLENGE"
        )
}

/// MAINCOMP and PROBATION: whose PnL the monthly and cumulative releases pay.
pub fn earning_r(s: &Status) -> bool {
    s.is_earning()
}

/// The weekly release's earning statuses: MAINCOMP, PROBATION, SUBACCOUNT_FUNDED, SUBACCOUNT_ALPHA.
pub fn earning_weekly(s: &Status) -> bool {
    s.is_earning() || matches!(s.as_str(), "SUBACCOUNT_FUNDED" | "SUBACCOUNT_ALPHA")
}

/// Weight of a checkpoint at `ts` in a decayed window (1 without decay).
fn decay(ts: i64, t: i64, h_ms: Option<f64>) -> f64 {
    match h_ms {
        None => 1.0,
        Some(h) => (-((t - ts) as f64) / h).exp2(),
    }
}

/// `sum` plus the open loss of checkpoint `last` (min(0, unrealized) × its penalty), added last.
fn with_open_loss(s: &Slice, sum: f64, last: Option<usize>, t: i64, h_ms: Option<f64>) -> f64 {
    match last {
        Some(k) => {
            let open = s.unrealized[k].min(0.0) * s.penalty[k];
            sum + if h_ms.is_some() { open * decay(s.ts[k], t, h_ms) } else { open }
        }
        None => sum,
    }
}

/// The penalised PnL of the checkpoints `keep` selects: Σ realized × penalty, then, for the
/// last selected checkpoint only, min(0, unrealized) × its penalty (added last). Empty: 0.
pub fn open_loss(s: &Slice, keep: impl Fn(&Status) -> bool, t: i64, h_ms: Option<f64>) -> f64 {
    let mut sum = 0.0;
    let mut last = None;
    for k in 0..s.ts.len() {
        if keep(&s.status[k]) {
            let term = s.realized[k] * s.penalty[k];
            sum += if h_ms.is_some() { term * decay(s.ts[k], t, h_ms) } else { term };
            last = Some(k);
        }
    }
    with_open_loss(s, sum, last, t, h_ms)
}

/// The weekly release's high-water-mark measure: walking the selected checkpoints with a
/// running total of realized PnL and a mark (both from 0), each rise above the mark counts
/// (times that checkpoint's penalty) and moves the mark; then the last one's open loss.
pub fn hwm(s: &Slice, keep: impl Fn(&Status) -> bool, t: i64, h_ms: Option<f64>) -> f64 {
    let (mut running, mut mark, mut sum) = (0.0f64, 0.0f64, 0.0f64);
    let mut last = None;
    for k in 0..s.ts.len() {
        if keep(&s.status[k]) {
            running += s.realized[k];
            if running > mark {
                let term = (running - mark) * s.penalty[k];
                sum += if h_ms.is_some() { term * decay(s.ts[k], t, h_ms) } else { term };
                mark = running;
            }
            last = Some(k);
        }
    }
    with_open_loss(s, sum, last, t, h_ms)
}

/// Σ chunk_usd of the selected checkpoints, left to right from an exact 0.
pub fn usd_sum(s: &Slice, keep: impl Fn(&Status) -> bool) -> f64 {
    let mut sum = 0.0;
    for k in 0..s.ts.len() {
        if keep(&s.status[k]) {
            sum += s.usd[k];
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice<'a>(
        status: &'a [Status],
        realized: &'a [f64],
        unrealized: &'a [f64],
        penalty: &'a [f64],
        ts: &'a [i64],
    ) -> Slice<'a> {
        Slice { ts, status, realized, unrealized, penalty, usd: realized }
    }

    #[test]
    fn open_loss_counts_only_the_last_selected_checkpoints_loss() {
        let st = [Status::Maincomp, Status::Maincomp, Status::Challenge];
        let ts = [0, 1, 2];
        // realized 100×0.5 + 20×1 = 70; last earning checkpoint (index 1) has unrealized −30 → −30.
        // The CHALLENGE checkpoint after it (unrealized −1000) does not take its place.
        let s = slice(&st, &[100.0, 20.0, 5.0], &[-500.0, -30.0, -1000.0], &[0.5, 1.0, 1.0], &ts);
        assert_eq!(open_loss(&s, earning_r, 2, None), 70.0 + -30.0);
        // Over every known status the last is index 2: 100×0.5 + 20 + 5 − 1000.
        assert_eq!(open_loss(&s, known_r, 2, None), 75.0 - 1000.0);
        // An open gain never counts.
        let s = slice(&st[..1], &[10.0], &[99.0], &[1.0], &ts[..1]);
        assert_eq!(open_loss(&s, known_r, 0, None), 10.0);
        assert_eq!(open_loss(&slice(&[], &[], &[], &[], &[]), known_r, 0, None), 0.0);
    }

    #[test]
    fn hwm_walk_wins_losses_back_before_counting() {
        let st = vec![Status::Maincomp; 5];
        let ts = [0, 1, 2, 3, 4];
        // running: 100, 40, 90, 160, 150; mark 0→100 (+100×1), 40 and 90 below, 160 (+60×0.5), 150 below.
        let s = slice(
            &st,
            &[100.0, -60.0, 50.0, 70.0, -10.0],
            &[0.0, 0.0, 0.0, 0.0, -8.0],
            &[1.0, 1.0, 1.0, 0.5, 0.25],
            &ts,
        );
        assert_eq!(hwm(&s, earning_r, 4, None), 100.0 + 30.0 + (-8.0 * 0.25));
        // A checkpoint the set leaves out does not move the running total.
        let mixed = [Status::Maincomp, Status::Challenge, Status::Maincomp];
        let s = slice(&mixed, &[100.0, -100.0, 10.0], &[0.0; 3], &[1.0; 3], &ts[..3]);
        assert_eq!(hwm(&s, earning_r, 2, None), 110.0);
        assert_eq!(hwm(&s, known_r, 2, None), 100.0, "with CHALLENGE counted, 10 only wins back a loss");
    }

    #[test]
    fn weekly_statuses() {
        assert!(earning_weekly(&Status::parse("SUBACCOUNT_FUNDED")) && !earning_r(&Status::parse("SUBACCOUNT_FUNDED")));
        assert!(known_weekly(&Status::parse("ENTITY")) && !known_r(&Status::parse("ENTITY")));
        assert!(!known_weekly(&Status::parse("SOMETHING_NEW")));
    }
}
