//! Window timing: the twin's PnL, each `period_days` booked in a burst over the period's
//! last `burst_days`, so it sits inside the lookback at the moments that pay.

use super::{AdversarySpec, Context, Injected, Stream, single_with_twin};
use crate::ledger::Ledger;
use crate::population::seed;

/// Rebooks each period's total into its last `burst` checkpoints.
pub fn bursts(nets: &[f64], period: usize, burst: usize) -> Vec<f64> {
    let period = period.max(1);
    let burst = burst.clamp(1, period);
    let mut out = vec![0.0; nets.len()];
    for start in (0..nets.len()).step_by(period) {
        let end = (start + period).min(nets.len());
        let total: f64 = nets[start..end].iter().sum();
        let from = end.saturating_sub(burst).max(start);
        for x in &mut out[from..end] {
            *x = total / (end - from) as f64;
        }
    }
    out
}

pub fn inject(spec: &AdversarySpec, ctx: &Context, rng: &mut seed::Rng) -> (Injected, Vec<(Ledger, f64)>) {
    let nets = Stream { drift: spec.monthly_drift, vol: spec.vol_12h, account: spec.account_usd }.draw(ctx.steps, rng);
    let timed = bursts(&nets, (spec.period_days * 2.0).round() as usize, (spec.burst_days * 2.0).round() as usize);
    single_with_twin(spec, ctx, "timing", &timed, &nets, rng)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_keep_each_periods_total() {
        let b = bursts(&[1.0, 2.0, 3.0, 4.0, 5.0], 2, 1);
        assert_eq!(b, vec![0.0, 3.0, 0.0, 7.0, 5.0]);
        assert_eq!(b.iter().sum::<f64>(), 15.0);
    }
}
