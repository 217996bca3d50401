//! A full-history population: every miner has a checkpoint at every 12 h step of the span.
//! It is the canonical workload of the benchmarks (256 miners × 730 checkpoints) and the
//! shape the replay/weights consistency tests need; values are full-precision floats so the
//! JSON is as large as the validator's own.

use rand::RngExt;
use rand_distr::{Distribution, StudentT};

use super::seed;
use crate::ledger::{Checkpoint, Ledger, LedgerSet, Status};
use crate::time::CHECKPOINT_MS;

pub fn uniform(miners: usize, checkpoints: usize, start_ms: i64, seed_value: u64) -> LedgerSet {
    let mut rng = seed::rng(seed_value, 1);
    let t = StudentT::new(4.0).expect("valid dof");
    let statuses = [Status::Challenge, Status::Maincomp, Status::Probation, Status::Plagiarism, Status::Unknown];
    let ledgers = (0..miners)
        .map(|m| {
            let hotkey = format!("5{:0>47}", format!("M{m}"));
            let scale: f64 = rng.random_range(100.0..3000.0);
            let drift: f64 = rng.random_range(-50.0..80.0);
            let status = statuses[[0, 1, 1, 2, 0, 1, 0, 3, 1, 4][m % 10]].clone();
            // Per-miner constants and cent-rounded money, as the validator's own files have:
            // real ledgers compress about 16:1, random full-precision noise would not.
            let risk_profile = if m % 5 == 0 { 0.9918 } else { round(rng.random_range(0.69..0.9918), 4) };
            let rap = round(rng.random_range(0.2..1.0), 4);
            let account = round(rng.random_range(150_000.0..500_000.0), 0);
            let mut equity = 1.0f64;
            let mut peak = 1.0f64;
            let checkpoints = (0..checkpoints)
                .map(|k| {
                    let mut c = Checkpoint::new(start_ms + k as i64 * CHECKPOINT_MS);
                    let net = round(drift + scale * t.sample(&mut rng), 2);
                    let gross = round(net.abs() * rng.random_range(2.0..5.0), 2);
                    let gain = round((gross + net) / 2.0, 2);
                    c.pnl_gain = Some(gain);
                    c.pnl_loss = Some(round(net - gain, 2));
                    equity *= 1.0 + net / account;
                    peak = peak.max(equity);
                    let day = k / 2;
                    c.avg_alpha_to_tao_rate = round(0.076 * (1.0 + 0.01 * ((day % 17) as f64 - 8.0)), 6);
                    c.avg_tao_to_usd_rate = round(400.0 * (1.0 + 0.01 * ((day % 23) as f64 - 11.0)), 2);
                    c.chunk_emissions_alpha = round(rng.random_range(0.0..0.05), 6);
                    c.chunk_emissions_tao = round(c.chunk_emissions_alpha * c.avg_alpha_to_tao_rate, 9);
                    c.chunk_emissions_usd = round(c.chunk_emissions_tao * c.avg_tao_to_usd_rate, 4);
                    c.portfolio_return = round(equity, 6);
                    c.max_drawdown = round(equity / peak, 6);
                    c.max_portfolio_value = round(peak * account, 2);
                    c.spread_fee_loss = -round(gross * 0.001, 2);
                    c.carry_fee_loss = -round(account * 0.1095 / 730.0, 2);
                    c.open_ms = CHECKPOINT_MS;
                    c.accum_ms = CHECKPOINT_MS;
                    c.n_updates = rng.random_range(0..500);
                    c.risk_profile_penalty = risk_profile;
                    c.risk_adjusted_performance_penalty = rap;
                    c.total_penalty = risk_profile * rap;
                    c.status = status.clone();
                    c
                })
                .collect();
            Ledger { key: hotkey.clone(), hotkey, checkpoints }
        })
        .collect();
    LedgerSet { format_version: Some("1.0".into()), last_update_ms: None, ledgers }
}

fn round(x: f64, decimals: i32) -> f64 {
    let p = 10f64.powi(decimals);
    (x * p).round() / p
}
