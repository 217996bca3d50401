//! Sybil split: one operator's capital and PnL spread over k hotkeys to farm k floors.

use super::{AdversarySpec, Builder, Context, Injected, Stream, adversary_hotkey, fees, twin};
use crate::ledger::{Ledger, Status};
use crate::population::seed;
use crate::time::CHECKPOINT_MS;

pub fn inject(spec: &AdversarySpec, ctx: &Context, rng: &mut seed::Rng) -> (Injected, Vec<(Ledger, f64)>) {
    let nets = Stream { drift: spec.monthly_drift, vol: spec.vol_12h, account: spec.account_usd }.draw(ctx.steps, rng);
    let bucket = Status::parse(&spec.bucket);
    let k = spec.k;
    let mut ledgers = Vec::new();
    let mut adversary = Vec::new();
    for i in 0..k {
        let mut b = Builder::new(adversary_hotkey(&spec.label(), "sybil", i, rng));
        for (j, net) in nets.iter().enumerate() {
            b.push(ctx.start_ms + (j as i64 + 1) * CHECKPOINT_MS, net / k as f64, spec.account_usd / k as f64, &bucket);
        }
        adversary.push(b.hotkey.clone());
        ledgers.push((b.into_ledger(), spec.collateral_usd));
    }
    let (t, tl) = twin(spec, ctx, &nets, rng);
    ledgers.push((tl, spec.collateral_usd));
    let injected = Injected {
        adversary,
        twin: vec![t],
        adversary_costs_usd: fees(spec, k),
        twin_costs_usd: fees(spec, 1),
        adversary_collateral_usd: k as f64 * spec.collateral_usd,
        twin_collateral_usd: spec.collateral_usd,
        ..Injected::default()
    };
    (injected, ledgers)
}
