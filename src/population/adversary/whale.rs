//! Whale compression: one outsized window score (an account `factor` times larger) that,
//! under max-normalisation, pushes every rival of its bucket to the floor. What it does is
//! measured two ways: the rivals' reward lost against the same run without the whale
//! (`rivals_loss_usd`, the attack search's objective), and the whale's gain per USD of account
//! against its twin — an honest miner of ordinary size trading the same returns.

use super::{AdversarySpec, Builder, Context, Injected, Stream, adversary_hotkey, fees};
use crate::ledger::{Ledger, Status};
use crate::population::seed;
use crate::time::CHECKPOINT_MS;

pub fn inject(spec: &AdversarySpec, ctx: &Context, rng: &mut seed::Rng) -> (Injected, Vec<(Ledger, f64)>) {
    let account = spec.account_usd * spec.factor;
    // The twin's stream is drawn at ordinary size and the whale's is that times the factor, so
    // the twin (and the run without the whale) is the same whatever the factor.
    let ordinary = Stream { drift: spec.monthly_drift, vol: spec.vol_12h, account: spec.account_usd };
    let twin_nets = ordinary.draw(ctx.steps, rng);
    let bucket = Status::parse(&spec.bucket);
    let mut whale = Builder::new(adversary_hotkey(&spec.label(), "whale", 0, rng));
    let mut twin = Builder::new(adversary_hotkey(&spec.label(), "twin", 0, rng));
    for (j, net) in twin_nets.iter().enumerate() {
        let ts = ctx.start_ms + (j as i64 + 1) * CHECKPOINT_MS;
        whale.push(ts, net * spec.factor, account, &bucket);
        twin.push(ts, *net, spec.account_usd, &bucket);
    }
    let injected = Injected {
        adversary: vec![whale.hotkey.clone()],
        twin: vec![twin.hotkey.clone()],
        adversary_costs_usd: fees(spec, 1),
        twin_costs_usd: fees(spec, 1),
        adversary_collateral_usd: spec.collateral_usd,
        twin_collateral_usd: spec.collateral_usd,
        adversary_account_usd: account,
        twin_account_usd: spec.account_usd,
        ..Injected::default()
    };
    (injected, vec![(whale.into_ledger(), spec.collateral_usd), (twin.into_ledger(), spec.collateral_usd)])
}
