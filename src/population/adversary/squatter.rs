//! Challenge squatter: stays in CHALLENGE with zero or low collateral and barely trades (a
//! position in `activity` of its periods, flat otherwise), to collect the 1× floor; eliminated
//! at 90 days, it re-registers a fresh hotkey. The twin trades the whole stream on the same
//! schedule with the minimum collateral.

use super::{AdversarySpec, Builder, Context, Injected, Stream, adversary_hotkey, fees};
use crate::ledger::{Ledger, Status};
use crate::population::seed;
use crate::time::CHECKPOINT_MS;
use rand::RngExt;

/// Checkpoints in a challenge (DOMAIN: eliminated at 90 days if not promoted).
const CHALLENGE_STEPS: usize = 180;
const MIN_COLLATERAL: f64 = 150_000.0;

pub fn inject(spec: &AdversarySpec, ctx: &Context, rng: &mut seed::Rng) -> (Injected, Vec<(Ledger, f64)>) {
    let nets = Stream { drift: spec.monthly_drift, vol: spec.vol_12h, account: spec.account_usd }.draw(ctx.steps, rng);
    let trades: Vec<bool> = (0..ctx.steps).map(|_| rng.random_bool(spec.activity)).collect();
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
                let flat = role == "squat" && !trades[j];
                let net = if flat { 0.0 } else { nets[j] * account / spec.account_usd };
                b.push(ctx.start_ms + (j as i64 + 1) * CHECKPOINT_MS, net, account, &bucket);
                if flat {
                    let c = b.checkpoints.last_mut().expect("just pushed");
                    c.open_ms = 0;
                }
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
