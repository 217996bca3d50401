//! Dust weights alone, then the burn step: production's pre-activation path, forever.

use super::{Payout, PayoutModel, burn_step};
use crate::ledger::store::AsOf;

pub struct DustOnly;

impl PayoutModel for DustOnly {
    fn name(&self) -> &'static str {
        "dust-only"
    }
    fn weights(&self, view: &AsOf, dust: &[f64]) -> Payout {
        Payout { entries: burn_step(dust), pre_burn: dust.to_vec(), remaining_usd: vec![0.0; view.len()] }
    }
}
