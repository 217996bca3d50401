//! Payout models: how dust weights and the validator's debt turn into the weights it sets.
//! Each model is a file; a new era (the December 2025 monthly model, the 2026 weekly one)
//! is one more file and one more line in [`model`], with no change to the engine.

mod burn;
mod dust_only;
mod monthly;

pub use burn::{Target, burn_step};

use crate::error::InputError;
use crate::ledger::store::AsOf;

/// The weights one evaluation sets, in production's final order.
#[derive(Debug, Clone, Default)]
pub struct Payout {
    pub entries: Vec<(Target, f64)>,
    /// Per miner (file order): the weight before the burn step, i.e. `max(remaining, dust)`
    /// on the debt path or the dust weight before activation.
    pub pre_burn: Vec<f64>,
    /// Per miner: remaining USD owed by the debt model (0 before activation).
    pub remaining_usd: Vec<f64>,
}

impl Payout {
    /// Final weight of a miner (0 when it is not among the entries).
    pub fn weight_of(&self, miner: usize) -> f64 {
        self.entries.iter().find(|(t, _)| *t == Target::Miner(miner)).map(|e| e.1).unwrap_or(0.0)
    }
    pub fn burn_weight(&self) -> f64 {
        self.entries.iter().find(|(t, _)| *t == Target::Burn).map(|e| e.1).unwrap_or(0.0)
    }
}

pub trait PayoutModel: Send + Sync {
    fn name(&self) -> &'static str;
    /// Weights at the view's instant, from each miner's dust weight (file order).
    fn weights(&self, view: &AsOf, dust: &[f64]) -> Payout;
}

/// Names of the available payout models.
pub const MODELS: &[&str] = &["dust-only", "monthly-2025-10-31", "monthly-2025-11-06"];

/// A payout model by name.
pub fn model(name: &str) -> Result<Box<dyn PayoutModel>, InputError> {
    match name {
        "dust-only" => Ok(Box::new(dust_only::DustOnly)),
        "monthly-2025-10-31" => Ok(Box::new(monthly::Monthly::release_2025_10_31())),
        "monthly-2025-11-06" => Ok(Box::new(monthly::Monthly::release_2025_11_06())),
        other => Err(InputError::Usage(format!("unknown payout model {other:?} (known: {})", MODELS.join(", ")))),
    }
}

/// The burn hotkey placeholder production uses when no metagraph is given.
pub fn burn_hotkey(testnet: bool) -> &'static str {
    if testnet { "burn_uid_220" } else { "burn_uid_229" }
}
