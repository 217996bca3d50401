//! The one builder of metric rows from engine rows: rewards through the emission model's one
//! formula, deltas against engine policy 0. Sweeps and attacks use it; the report reads the
//! same values back from the results table, which the same formula wrote.

use super::policy::{Names, Row, dust_paid};
use crate::replay::emission::Emission;
use crate::replay::engine::Engine;

/// Engine policy `pi`'s rows as metric rows (baseline: engine policy 0).
pub fn from_engine(engine: &Engine, pi: usize, em: &Emission) -> Vec<Row> {
    let (rows, base) = (&engine.rows[pi], &engine.rows[0]);
    (0..rows.step.len())
        .map(|i| {
            let s = rows.step[i] as usize;
            let reward_usd = em.usd(s, rows.final_w[i]);
            let baseline_usd = em.usd(base.step[i] as usize, base.final_w[i]);
            Row {
                step: s,
                miner: rows.hotkey[i],
                bucket: rows.bucket[i],
                window_score: rows.window_score[i],
                dust: rows.dust[i],
                payout: rows.payout[i],
                final_w: rows.final_w[i],
                reward_alpha: em.alpha(s, rows.final_w[i]),
                reward_usd,
                delta_usd: reward_usd - baseline_usd,
                baseline_usd,
                debt: rows.debt[i],
                baseline_dust_paid: dust_paid(baseline_usd, base.dust[i], base.payout[i], base.debt[i]),
            }
        })
        .collect()
}

/// The engine's name tables, with the burn's id.
pub fn names<'a>(engine: &'a Engine) -> Names<'a> {
    Names { miners: &engine.hotkeys.names, buckets: &engine.bucket_names.names, burn: engine.burn_id() }
}
