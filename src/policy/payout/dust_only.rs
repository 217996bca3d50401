//! Dust weights alone, then the burn step: production's pre-activation path, forever.

use super::{Context, Debt, Payout, PayoutModel};
use crate::error::InputError;
use crate::ledger::store::AsOf;

pub struct DustOnly;

impl PayoutModel for DustOnly {
    fn name(&self) -> &'static str {
        "dust-only"
    }
    fn debt(&self, _view: &AsOf, _ctx: &Context) -> Result<Debt, InputError> {
        Ok(Debt::DustOnly)
    }
    fn settle(&self, dust: &[f64], _debt: &Debt) -> Payout {
        Payout::from_pre_burn(dust.to_vec(), vec![0.0; dust.len()])
    }
}
