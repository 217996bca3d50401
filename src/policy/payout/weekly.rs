//! R3, the weekly high-water-mark release (commit 843e57e0): no activation gate, weekly pay
//! periods from Sunday 00:00 UTC, needed as the high-water-mark measure of realized PnL
//! since 2025-11-01, four earning statuses, the emission list read as ALPHA.

use super::cumulative::over_projection;
use super::monthly_r1::{clamp, targets};
use super::projection::{Daily, NOV_2025_MS, project_r3, weekly_boundary, weekly_horizon};
use super::{Context, Debt, PayoutModel, UnknownBucket};
use crate::error::InputError;
use crate::ledger::store::AsOf;
use crate::policy::pnl::{self, PnlMetric};

pub struct Weekly;

impl Weekly {
    pub fn remaining(view: &AsOf, ctx: &Context) -> Vec<f64> {
        let boundary = weekly_boundary(view.t);
        (0..view.len())
            .map(|m| {
                if !view.has_checkpoints(m) {
                    return 0.0;
                }
                let needed = pnl::hwm(&view.slice(m, NOV_2025_MS, boundary), pnl::earning_weekly, view.t, None);
                let actual = ctx.usd_sum(view, m, NOV_2025_MS, view.t, pnl::earning_weekly);
                clamp(needed, actual)
            })
            .collect()
    }
}

impl PayoutModel for Weekly {
    fn name(&self) -> &'static str {
        "weekly-hwm-843e57e0"
    }

    fn debt(&self, view: &AsOf, ctx: &Context) -> Result<Debt, InputError> {
        if view.is_empty() {
            return Ok(Debt::DustOnly);
        }
        let horizon = weekly_horizon(view.t);
        let remaining = Self::remaining(view, ctx);
        // The projection runs (and can raise) whenever anything is owed.
        let daily = if remaining.iter().any(|r| *r > 0.0) {
            project_r3(ctx.metagraph_or_empty(), horizon, "843e57e0 (weekly)")?
        } else {
            Daily::F64(0.0)
        };
        let weights = over_projection(&targets(&remaining, horizon), daily);
        Ok(Debt::Weights { weights, remaining })
    }

    fn unknown_bucket(&self) -> UnknownBucket {
        UnknownBucket::AsUnknown
    }

    fn metric(&self) -> PnlMetric {
        PnlMetric::HwmRealized
    }
}
