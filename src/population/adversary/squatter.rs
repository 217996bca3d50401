//! Challenge squatter: stays in CHALLENGE with zero or low collateral and barely trades, to
//! collect the 1× floor; eliminated at 90 days, it re-registers a fresh hotkey. The twin
//! trades the same stream on the same schedule with the minimum collateral.

use super::{AdversarySpec, Builder, Context, Injected, Stream, adversary_hotkey, fees};
use crate::ledger::{Ledger, Status};
use crate::population::seed;
use crate::time::CHECKPOINT_MS;

/// Checkpoints in a challenge (DOMAIN: eliminated at 90 days if not promoted).
const CHALLENGE_STEPS: usize = 180;
const MIN_COLLATERAL: f64 = 150_000.0;

pub fn inject(spec: &AdversarySpec, ctx: &Context, rng: &mut seed::Rng) -> (Injected, Vec<(Ledger, f64)>) {
    let nets = Stream { drift: spec.monthly_drift, vol: spec.vol_12h, account: spec.account_usd }.draw(ctx.steps, rng);
    let bucket = Status::Challenge;
    let twin_collateral = spec.collateral_usd.max(MIN_COLLATERAL);
    let mut ledgers = Vec::new();
    let (mut adversary, mut twins) = (Vec::new(), Vec::new());
    let stints = ctx.steps.div_ceil(CHALLENGE_STEPS);
    for stint in 0..stints {
        let range = stint * CHALLENGE_STEPS..((stint + 1) * CHALLENGE_STEPS).min(ctx.steps);
        for (role, coll, list) in
            [("squat", spec.collateral_usd, &mut adversary), ("twin", twin_collateral, &mut twins)]
        {
            let mut b = Builder::new(adversary_hotkey(&spec.label(), role, stint, rng));
            let account = if coll > 0.0 { coll.min(500_000.0) } else { 5_000.0 };
            for j in range.clone() {
                b.push(
                    ctx.start_ms + (j as i64 + 1) * CHECKPOINT_MS,
                    nets[j] * account / spec.account_usd,
                    account,
                    &bucket,
                );
            }
            list.push(b.hotkey.clone());
            ledgers.push((b.into_ledger(), coll));
        }
    }
    let eliminations =
        stints.saturating_sub(1) as f64 + if ctx.steps.is_multiple_of(CHALLENGE_STEPS) { 1.0 } else { 0.0 };
    let injected = Injected {
        adversary_costs_usd: fees(spec, stints) + eliminations * spec.slash_share * spec.collateral_usd,
        twin_costs_usd: fees(spec, stints) + eliminations * spec.slash_share * twin_collateral,
        adversary,
        twin: twins,
        adversary_collateral_usd: spec.collateral_usd,
        twin_collateral_usd: twin_collateral,
        caught: eliminations > 0.0,
        ..Injected::default()
    };
    (injected, ledgers)
}
