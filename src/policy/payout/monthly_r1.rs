//! R1, the release of 30 November 2025: monthly debt from realized PnL with the open loss,
//! activation from 2025-12-01, December also counting November's emissions (two sums), daily
//! targets over a 4-day horizon normalised to sum 1, then `max(debt, dust)` and the burn step.

use super::num::Num;
use super::projection::{DEC_2025_MS, monthly_horizon, project_r2};
use super::{Context, Debt, PayoutModel, UnknownBucket};
use crate::error::InputError;
use crate::ledger::store::AsOf;
use crate::policy::pnl::{self, PnlMetric};
use crate::time::Month;

pub struct MonthlyR1;

/// Remaining USD per miner and the day's targets (shared by R1 and R2's fallback).
pub fn targets(remaining: &[f64], horizon: u32) -> Vec<f64> {
    remaining.iter().map(|r| if horizon > 0 { r / horizon as f64 } else { *r }).collect()
}

/// Debt weights as target / Σ targets (file order), or 0 for everyone when the sum is not > 0.
pub fn normalised(targets: &[f64]) -> Vec<Num> {
    let total = targets.iter().fold(0.0, |a, x| a + x);
    targets.iter().map(|x| Num::F64(if total > 0.0 { x / total } else { 0.0 })).collect()
}

/// needed − actual, clamped at 0 (a miner without checkpoints: 0).
pub fn clamp(needed: f64, actual: f64) -> f64 {
    let r = needed - actual;
    if r < 0.0 { 0.0 } else { r }
}

impl MonthlyR1 {
    pub fn remaining(view: &AsOf, ctx: &Context) -> Vec<f64> {
        let month = Month::of_ms(view.t);
        let prev = month.prev();
        let december_2025 = month == Month { year: 2025, month: 12 };
        (0..view.len())
            .map(|m| {
                if !view.has_checkpoints(m) {
                    return 0.0;
                }
                let needed =
                    pnl::open_loss(&view.slice(m, prev.start_ms(), prev.end_ms()), pnl::earning_r, view.t, None);
                let this = ctx.usd_sum(view, m, month.start_ms(), view.t, pnl::earning_r);
                let actual = if december_2025 {
                    // November's emissions, then December's: two sums, then added.
                    ctx.usd_sum(view, m, prev.start_ms(), prev.end_ms(), pnl::earning_r) + this
                } else {
                    this
                };
                clamp(needed, actual)
            })
            .collect()
    }
}

impl PayoutModel for MonthlyR1 {
    fn name(&self) -> &'static str {
        "monthly-2025-11-30"
    }

    fn debt(&self, view: &AsOf, ctx: &Context) -> Result<Debt, InputError> {
        if view.is_empty() || view.t < DEC_2025_MS {
            return Ok(Debt::DustOnly);
        }
        let remaining = Self::remaining(view, ctx);
        let horizon = monthly_horizon(view.t);
        let owed = remaining.iter().fold(0.0, |a, x| a + x);
        if owed > 0.0 && horizon > 0 {
            // Only a log line in R1, but computing it can raise.
            project_r2(ctx.metagraph_or_empty(), horizon, "30 November 2025", true)?;
        }
        let weights = normalised(&targets(&remaining, horizon));
        Ok(Debt::Weights { weights, remaining })
    }

    fn unknown_bucket(&self) -> UnknownBucket {
        UnknownBucket::Crash
    }

    fn metric(&self) -> PnlMetric {
        PnlMetric::RealizedWithOpenLoss
    }
}
