//! The long results table: one row per policy, step and hotkey, burn included.

use polars::prelude::*;

use super::emission::Emission;
use super::engine::Engine;

/// Column names of the results table, in order (documented in the README).
pub const COLUMNS: &[&str] = &[
    "run",
    "policy",
    "at_ms",
    "hotkey",
    "bucket",
    "window_score",
    "dust_weight",
    "payout_weight",
    "debt_weight",
    "final_weight",
    "reward_alpha",
    "reward_usd",
    "baseline_reward_usd",
    "delta_usd",
];

/// Builds the long table.
pub fn frame(engine: &Engine, em: &Emission, run: u32) -> PolarsResult<DataFrame> {
    let base = &engine.rows[0];
    let base_usd: Vec<f64> = (0..base.step.len()).map(|i| em.usd(base.step[i] as usize, base.final_w[i])).collect();
    let total: usize = engine.rows.iter().map(|r| r.step.len()).sum();
    let mut policy = Vec::with_capacity(total);
    let mut at_ms = Vec::with_capacity(total);
    let mut hotkey = Vec::with_capacity(total);
    let mut bucket = Vec::with_capacity(total);
    let (mut score, mut dust, mut payout, mut final_w) =
        (Vec::with_capacity(total), Vec::with_capacity(total), Vec::with_capacity(total), Vec::with_capacity(total));
    let mut debt = Vec::with_capacity(total);
    let (mut r_alpha, mut r_usd, mut b_usd, mut delta) =
        (Vec::with_capacity(total), Vec::with_capacity(total), Vec::with_capacity(total), Vec::with_capacity(total));
    for (p, rows) in engine.policies.iter().zip(&engine.rows) {
        assert_eq!(rows.step.len(), base.step.len(), "policies share population and clock");
        for (i, &base_i) in base_usd.iter().enumerate() {
            let s = rows.step[i] as usize;
            let alpha = em.alpha(s, rows.final_w[i]);
            let usd = em.usd(s, rows.final_w[i]);
            policy.push(p.name.as_str());
            at_ms.push(engine.steps[s]);
            hotkey.push(engine.hotkeys.names[rows.hotkey[i] as usize].as_str());
            bucket.push(engine.bucket_names.names[rows.bucket[i] as usize].as_str());
            score.push(rows.window_score[i]);
            dust.push(rows.dust[i]);
            payout.push(rows.payout[i]);
            debt.push(rows.debt[i]);
            final_w.push(rows.final_w[i]);
            r_alpha.push(alpha);
            r_usd.push(usd);
            b_usd.push(base_i);
            delta.push(usd - base_i);
        }
    }
    let columns = vec![
        Column::new("run".into(), vec![run; total]),
        Column::new("policy".into(), policy),
        Column::new("at_ms".into(), at_ms),
        Column::new("hotkey".into(), hotkey),
        Column::new("bucket".into(), bucket),
        Column::new("window_score".into(), score),
        Column::new("dust_weight".into(), dust),
        Column::new("payout_weight".into(), payout),
        Column::new("debt_weight".into(), debt),
        Column::new("final_weight".into(), final_w),
        Column::new("reward_alpha".into(), r_alpha),
        Column::new("reward_usd".into(), r_usd),
        Column::new("baseline_reward_usd".into(), b_usd),
        Column::new("delta_usd".into(), delta),
    ];
    DataFrame::new(total, columns)
}
