//! Volatility lottery: the same expected PnL at `vol_multiplier` times the volatility.
//! Losses are floored at zero in the window score and gains are not: a free option the
//! policy may be paying for.

use super::{AdversarySpec, Context, Injected, Stream, single_with_twin};
use crate::ledger::Ledger;
use crate::population::seed;

pub fn inject(spec: &AdversarySpec, ctx: &Context, rng: &mut seed::Rng) -> (Injected, Vec<(Ledger, f64)>) {
    let honest =
        Stream { drift: spec.monthly_drift, vol: spec.vol_12h, account: spec.account_usd }.draw(ctx.steps, rng);
    let wild = Stream { drift: spec.monthly_drift, vol: spec.vol_12h * spec.vol_multiplier, account: spec.account_usd }
        .draw(ctx.steps, rng);
    single_with_twin(spec, ctx, "lottery", &wild, &honest, rng)
}
