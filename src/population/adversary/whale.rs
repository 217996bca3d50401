//! Whale compression: one outsized window score (an account `factor` times larger) that,
//! under max-normalisation, pushes every rival of its bucket to the floor. The twin trades
//! the same capital and stream, so the whale's own excess is about zero by design: the damage
//! shows in the rivals' position (outcome column `rival_position`).

use super::{AdversarySpec, Builder, Context, Injected, Stream, adversary_hotkey, fees};
use crate::ledger::{Ledger, Status};
use crate::population::seed;
use crate::time::CHECKPOINT_MS;

pub fn inject(spec: &AdversarySpec, ctx: &Context, rng: &mut seed::Rng) -> (Injected, Vec<(Ledger, f64)>) {
    let account = spec.account_usd * spec.factor;
    let stream = Stream { drift: spec.monthly_drift, vol: spec.vol_12h, account };
    let nets = stream.draw(ctx.steps, rng);
    let bucket = Status::parse(&spec.bucket);
    let mut whale = Builder::new(adversary_hotkey(&spec.label(), "whale", 0, rng));
    let mut twin = Builder::new(adversary_hotkey(&spec.label(), "twin", 0, rng));
    for (j, net) in nets.iter().enumerate() {
        let ts = ctx.start_ms + (j as i64 + 1) * CHECKPOINT_MS;
        whale.push(ts, *net, account, &bucket);
        twin.push(ts, *net, account, &bucket);
    }
    let injected = Injected {
        adversary: vec![whale.hotkey.clone()],
        twin: vec![twin.hotkey.clone()],
        adversary_costs_usd: fees(spec, 1),
        twin_costs_usd: fees(spec, 1),
        adversary_collateral_usd: spec.collateral_usd,
        twin_collateral_usd: spec.collateral_usd,
        ..Injected::default()
    };
    (injected, vec![(whale.into_ledger(), spec.collateral_usd), (twin.into_ledger(), spec.collateral_usd)])
}
