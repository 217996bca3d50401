//! Volatility lottery: the same expected PnL at `vol_multiplier` times the volatility.
//! Losses are floored at zero in the window score and gains are not: a free option the
//! policy may be paying for.

use super::{AdversarySpec, Builder, Context, Injected, Stream, adversary_hotkey, fees, twin};
use crate::ledger::{Ledger, Status};
use crate::population::seed;
use crate::time::CHECKPOINT_MS;

pub fn inject(spec: &AdversarySpec, ctx: &Context, rng: &mut seed::Rng) -> (Injected, Vec<(Ledger, f64)>) {
    let honest =
        Stream { drift: spec.monthly_drift, vol: spec.vol_12h, account: spec.account_usd }.draw(ctx.steps, rng);
    let wild = Stream { drift: spec.monthly_drift, vol: spec.vol_12h * spec.vol_multiplier, account: spec.account_usd }
        .draw(ctx.steps, rng);
    let bucket = Status::parse(&spec.bucket);
    let mut b = Builder::new(adversary_hotkey(&spec.label(), "lottery", 0, rng));
    for (j, net) in wild.iter().enumerate() {
        b.push(ctx.start_ms + (j as i64 + 1) * CHECKPOINT_MS, *net, spec.account_usd, &bucket);
    }
    let (t, tl) = twin(spec, ctx, &honest, rng);
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
