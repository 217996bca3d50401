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
            let checkpoints = (0..checkpoints)
                .map(|k| {
                    let mut c = Checkpoint::new(start_ms + k as i64 * CHECKPOINT_MS);
                    let net = drift + scale * t.sample(&mut rng);
                    let gross: f64 = net.abs() * rng.random_range(2.0..5.0);
                    c.pnl_gain = Some((gross + net) / 2.0);
                    c.pnl_loss = Some(net - (gross + net) / 2.0);
                    c.chunk_emissions_alpha = rng.random_range(0.0..2.0);
                    c.avg_alpha_to_tao_rate = 0.076 * rng.random_range(0.9..1.1);
                    c.avg_tao_to_usd_rate = 400.0 * rng.random_range(0.9..1.1);
                    c.chunk_emissions_tao = c.chunk_emissions_alpha * c.avg_alpha_to_tao_rate;
                    c.chunk_emissions_usd = c.chunk_emissions_tao * c.avg_tao_to_usd_rate;
                    c.portfolio_return = 1.0 + rng.random_range(-0.05..0.2);
                    c.max_drawdown = rng.random_range(0.9..1.0);
                    c.max_portfolio_value = rng.random_range(150_000.0..600_000.0);
                    c.spread_fee_loss = -rng.random_range(0.0..50.0);
                    c.carry_fee_loss = -rng.random_range(0.0..60.0);
                    c.open_ms = rng.random_range(0..CHECKPOINT_MS);
                    c.accum_ms = CHECKPOINT_MS;
                    c.n_updates = rng.random_range(0..500);
                    c.risk_profile_penalty = rng.random_range(0.69..0.9918);
                    c.risk_adjusted_performance_penalty = rng.random_range(0.2..1.0);
                    c.total_penalty = c.risk_profile_penalty * c.risk_adjusted_performance_penalty;
                    c.status = status.clone();
                    c
                })
                .collect();
            Ledger { key: hotkey.clone(), hotkey, checkpoints }
        })
        .collect();
    LedgerSet { format_version: Some("1.0".into()), last_update_ms: None, ledgers }
}
