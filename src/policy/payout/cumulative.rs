//! R2, the release of 5 December 2025: needed and paid cumulative since 2025-11-01, daily
//! targets divided by the projected daily emissions in USD (double or production's float32),
//! falling back to R1's normalisation when the projection is 0; surplus burned.

use super::monthly_r1::{clamp, normalised, targets};
use super::num::Num;
use super::projection::{DEC_2025_MS, Daily, NOV_2025_MS, monthly_horizon, project_r2};
use super::{Context, Debt, PayoutModel, UnknownBucket};
use crate::error::InputError;
use crate::ledger::store::AsOf;
use crate::policy::pnl::{self, PnlMetric};
use crate::time::Month;

pub struct Cumulative;

impl Cumulative {
    pub fn remaining(view: &AsOf, ctx: &Context) -> Vec<f64> {
        let prev_end = Month::of_ms(view.t).prev().end_ms();
        (0..view.len())
            .map(|m| {
                if !view.has_checkpoints(m) {
                    return 0.0;
                }
                let needed = pnl::open_loss(&view.slice(m, NOV_2025_MS, prev_end), pnl::earning_r, view.t, None);
                let actual = ctx.usd_sum(view, m, NOV_2025_MS, view.t, pnl::earning_r);
                clamp(needed, actual)
            })
            .collect()
    }
}

/// Debt weights over a projection: target / daily when the projection is > 0 (float32 when
/// it is), else the normalise-by-total fallback.
pub fn over_projection(targets: &[f64], daily: Daily) -> Vec<Num> {
    match daily {
        Daily::F64(d) if d > 0.0 => targets.iter().map(|x| Num::F64(x / d)).collect(),
        Daily::F32(d) if d > 0.0 => targets.iter().map(|x| Num::F32(*x as f32 / d)).collect(),
        _ => normalised(targets),
    }
}

impl PayoutModel for Cumulative {
    fn name(&self) -> &'static str {
        "cumulative-2025-12-05"
    }

    fn debt(&self, view: &AsOf, ctx: &Context) -> Result<Debt, InputError> {
        if view.is_empty() || view.t < DEC_2025_MS {
            return Ok(Debt::DustOnly);
        }
        let horizon = monthly_horizon(view.t);
        // Raises (a missing price or emission list) whether or not anyone is owed.
        let daily = project_r2(ctx.metagraph_or_empty(), horizon, "5 December 2025", false)?;
        let remaining = Self::remaining(view, ctx);
        let weights = over_projection(&targets(&remaining, horizon), daily);
        Ok(Debt::Weights { weights, remaining })
    }

    fn unknown_bucket(&self) -> UnknownBucket {
        UnknownBucket::AsUnknown
    }

    fn metric(&self) -> PnlMetric {
        PnlMetric::RealizedWithOpenLoss
    }
}
