//! The monthly debt model of the validator releases of 31 October and 6 November 2025.
//! They differ only in their edge rules for zero and one miner.

use super::{Payout, PayoutModel, Target, burn_step};
use crate::ledger::store::AsOf;
use crate::time::Month;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EdgeRules {
    /// No miners → empty result; one miner → that miner alone at 1.0, before anything else.
    Release20251031,
    /// No miners → the burn alone at 1.0; one miner goes through the normal path.
    Release20251106,
}

pub struct Monthly {
    name: &'static str,
    /// The activation month: while the previous month (M−1) precedes it, weights are dust-only.
    activation: Month,
    edges: EdgeRules,
}

impl Monthly {
    pub fn release_2025_10_31() -> Self {
        Monthly {
            name: "monthly-2025-10-31",
            activation: Month { year: 2025, month: 12 },
            edges: EdgeRules::Release20251031,
        }
    }
    pub fn release_2025_11_06() -> Self {
        Monthly {
            name: "monthly-2025-11-06",
            activation: Month { year: 2025, month: 12 },
            edges: EdgeRules::Release20251106,
        }
    }

    /// USD still owed to each miner at `t`: last month's penalty-adjusted PnL of its
    /// MAINCOMP/PROBATION checkpoints minus this month's emissions on such checkpoints.
    fn remaining(view: &AsOf) -> Vec<f64> {
        let month = Month::of_ms(view.t);
        let prev = month.prev();
        (0..view.len())
            .map(|m| {
                if !view.has_checkpoints(m) {
                    return 0.0;
                }
                let needed = view.pnl_sum(m, prev.start_ms(), prev.end_ms(), true);
                let actual = view.earning_usd_sum(m, month.start_ms(), view.t);
                let r = needed - actual;
                if r < 0.0 { 0.0 } else { r }
            })
            .collect()
    }
}

impl PayoutModel for Monthly {
    fn name(&self) -> &'static str {
        self.name
    }

    fn weights(&self, view: &AsOf, dust: &[f64]) -> Payout {
        let n = view.len();
        match (self.edges, n) {
            (EdgeRules::Release20251031, 0) => return Payout::default(),
            (EdgeRules::Release20251031, 1) => {
                return Payout {
                    entries: vec![(Target::Miner(0), 1.0)],
                    pre_burn: vec![1.0],
                    remaining_usd: vec![0.0],
                };
            }
            (EdgeRules::Release20251106, 0) => {
                return Payout { entries: vec![(Target::Burn, 1.0)], pre_burn: vec![], remaining_usd: vec![] };
            }
            _ => {}
        }
        let prev = Month::of_ms(view.t).prev();
        if prev < self.activation {
            return Payout { entries: burn_step(dust), pre_burn: dust.to_vec(), remaining_usd: vec![0.0; n] };
        }
        let remaining = Self::remaining(view);
        // Quirk kept: USD compared with a unitless dust weight.
        let pre_burn: Vec<f64> = remaining.iter().zip(dust).map(|(r, d)| if r >= d { *r } else { *d }).collect();
        Payout { entries: burn_step(&pre_burn), pre_burn, remaining_usd: remaining }
    }
}
