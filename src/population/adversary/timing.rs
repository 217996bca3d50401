//! Window timing: the twin's PnL, each `period_days` booked in a burst over the period's
//! last `burst_days`, so it sits inside the lookback at the moments that pay.

use super::{AdversarySpec, Builder, Context, Injected, Stream, adversary_hotkey, fees, twin};
use crate::ledger::{Ledger, Status};
use crate::population::seed;
use crate::time::CHECKPOINT_MS;

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
    let bucket = Status::parse(&spec.bucket);
    let mut b = Builder::new(adversary_hotkey(&spec.label(), "timing", 0, rng));
    for (j, net) in timed.iter().enumerate() {
        b.push(ctx.start_ms + (j as i64 + 1) * CHECKPOINT_MS, *net, spec.account_usd, &bucket);
    }
    let (t, tl) = twin(spec, ctx, &nets, rng);
    let injected = Injected {
        adversary: vec![b.hotkey.clone()],
        twin: vec![t],
        adversary_costs_usd: fees(spec, 1),
        twin_costs_usd: fees(spec, 1),
        adversary_collateral_usd: spec.collateral_usd,
        twin_collateral_usd: spec.collateral_usd,
        ..Injected::default()
    };
    (injected, vec![(b.into_ledger(), spec.collateral_usd), (tl, spec.collateral_usd)])
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
