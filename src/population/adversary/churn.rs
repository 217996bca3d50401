//! Re-registration churn: when the current hotkey's 30-day PnL falls below
//! `−loss_threshold × account`, the operator deregisters it and returns a day later under a
//! fresh hotkey (a clean history). The twin trades the same stream on one hotkey.

use super::{AdversarySpec, Builder, Context, Injected, Stream, adversary_hotkey, fees, twin};
use crate::ledger::{Ledger, Status};
use crate::population::seed;
use crate::time::CHECKPOINT_MS;

pub fn inject(spec: &AdversarySpec, ctx: &Context, rng: &mut seed::Rng) -> (Injected, Vec<(Ledger, f64)>) {
    let nets = Stream { drift: spec.monthly_drift, vol: spec.vol_12h, account: spec.account_usd }.draw(ctx.steps, rng);
    let bucket = Status::parse(&spec.bucket);
    let limit = -spec.loss_threshold * spec.account_usd;
    let mut ledgers = Vec::new();
    let mut adversary = Vec::new();
    let mut current = Builder::new(adversary_hotkey(&spec.label(), "churn", 0, rng));
    let mut j = 0;
    while j < ctx.steps {
        current.push(ctx.start_ms + (j as i64 + 1) * CHECKPOINT_MS, nets[j], spec.account_usd, &bucket);
        let window: f64 = current.checkpoints.iter().rev().take(60).map(|c| c.net_pnl()).sum();
        j += 1;
        if window < limit && j + 2 < ctx.steps {
            let fresh = Builder::new(adversary_hotkey(&spec.label(), "churn", adversary.len() + 1, rng));
            let done = std::mem::replace(&mut current, fresh);
            adversary.push(done.hotkey.clone());
            ledgers.push((done.into_ledger(), spec.collateral_usd));
            j += 2; // a day away before registering again
        }
    }
    adversary.push(current.hotkey.clone());
    ledgers.push((current.into_ledger(), spec.collateral_usd));
    let (t, tl) = twin(spec, ctx, &nets, rng);
    ledgers.push((tl, spec.collateral_usd));
    let registrations = adversary.len();
    let injected = Injected {
        adversary,
        twin: vec![t],
        adversary_costs_usd: fees(spec, registrations),
        twin_costs_usd: fees(spec, 1),
        adversary_collateral_usd: spec.collateral_usd,
        twin_collateral_usd: spec.collateral_usd,
        ..Injected::default()
    };
    (injected, ledgers)
}
