//! Copycat: mirrors the population's best miner with a lag of `lag_days`, scaled by `scale`;
//! each day it risks a PLAGIARISM flag (`detection_daily`), after which it is reviewed for 14
//! days and eliminated. The twin trades an honest stream with the same expected PnL.

use rand::RngExt;

use super::{AdversarySpec, Builder, Context, Injected, Stream, adversary_hotkey, fees, twin};
use crate::ledger::{Ledger, Status};
use crate::population::seed;
use crate::time::CHECKPOINT_MS;

const REVIEW_STEPS: usize = 28;

/// The miner a copycat mirrors: the largest total PnL among ledgers covering most of the span.
/// It is all a copycat observes of the population.
pub fn leader<'a>(ctx: &Context<'a>) -> Option<&'a Ledger> {
    let end = ctx.start_ms + ctx.steps as i64 * CHECKPOINT_MS;
    ctx.population
        .ledgers
        .iter()
        .filter(|l| {
            l.checkpoints.iter().filter(|c| c.timestamp_ms > ctx.start_ms && c.timestamp_ms <= end).count() * 5
                >= ctx.steps * 4
        })
        .max_by(|a, b| {
            let total = |l: &Ledger| l.checkpoints.iter().map(|c| c.net_pnl()).sum::<f64>();
            total(a).total_cmp(&total(b)).then(b.key.cmp(&a.key))
        })
}

pub fn inject(spec: &AdversarySpec, ctx: &Context, rng: &mut seed::Rng) -> (Injected, Vec<(Ledger, f64)>) {
    let leader = leader(ctx);
    let lag = (spec.lag_days * 2.0).round() as i64 * CHECKPOINT_MS;
    let by_ts: std::collections::HashMap<i64, f64> =
        leader.map(|l| l.checkpoints.iter().map(|c| (c.timestamp_ms, c.net_pnl())).collect()).unwrap_or_default();
    let bucket = Status::parse(&spec.bucket);
    let mut b = Builder::new(adversary_hotkey(&spec.label(), "copy", 0, rng));
    let mut copied = Vec::new();
    let mut flagged_at: Option<usize> = None;
    for j in 0..ctx.steps {
        let ts = ctx.start_ms + (j as i64 + 1) * CHECKPOINT_MS;
        if let Some(f) = flagged_at
            && j >= f + REVIEW_STEPS
        {
            break; // eliminated after its review
        }
        if flagged_at.is_none() && j % 2 == 1 && rng.random_bool(spec.detection_daily) {
            flagged_at = Some(j);
        }
        let net = spec.scale * by_ts.get(&(ts - lag)).copied().unwrap_or(0.0);
        copied.push(net);
        let status = if flagged_at.is_some() { Status::Plagiarism } else { bucket.clone() };
        b.push(ts, net, spec.account_usd, &status);
    }
    // The twin: an honest stream with the copy's mean and volatility, over the whole span.
    let n = copied.len().max(1) as f64;
    let mean = copied.iter().sum::<f64>() / n;
    let sd = (copied.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    let stream =
        Stream { drift: mean / spec.account_usd * 60.0, vol: sd / spec.account_usd, account: spec.account_usd };
    let (t, tl) = twin(spec, ctx, &stream.draw(ctx.steps, rng), rng);
    let eliminated = flagged_at.is_some_and(|f| f + REVIEW_STEPS <= ctx.steps);
    let injected = Injected {
        adversary: vec![b.hotkey.clone()],
        twin: vec![t],
        adversary_costs_usd: fees(spec, 1) + if eliminated { spec.slash_share * spec.collateral_usd } else { 0.0 },
        twin_costs_usd: fees(spec, 1),
        adversary_collateral_usd: spec.collateral_usd,
        twin_collateral_usd: spec.collateral_usd,
        caught: flagged_at.is_some(),
        ..Injected::default()
    };
    (injected, vec![(b.into_ledger(), spec.collateral_usd), (tl, spec.collateral_usd)])
}
