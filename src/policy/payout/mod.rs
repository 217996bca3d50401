//! Payout models: how dust weights and the validator's debt turn into the weights it sets.
//! Each model is a file; a new era (the December 2025 monthly model, the 2026 weekly one)
//! is one more file and one more line in [`model`], with no change to the engine.

mod burn;
mod dust_only;
mod monthly;

pub use burn::{Target, burn_step, order};

use crate::error::InputError;
use crate::ledger::store::AsOf;

/// The weights one evaluation sets.
#[derive(Debug, Clone, Default)]
pub struct Payout {
    /// Final weight per miner (file order).
    pub final_w: Vec<f64>,
    /// The burn entry's weight, when production includes one.
    pub burn: Option<f64>,
    /// Per miner: the weight before the burn step, i.e. `max(remaining, dust)` on the debt
    /// path or the dust weight before activation.
    pub pre_burn: Vec<f64>,
    /// Per miner: remaining USD owed by the debt model (0 before activation).
    pub remaining_usd: Vec<f64>,
}

impl Payout {
    /// From pre-burn weights through the burn step.
    pub fn from_pre_burn(pre_burn: Vec<f64>, remaining_usd: Vec<f64>) -> Payout {
        let (final_w, burn) = burn_step(&pre_burn);
        Payout { final_w, burn, pre_burn, remaining_usd }
    }
    /// The entries in production's final order (sorted only when asked for).
    pub fn entries(&self) -> Vec<(Target, f64)> {
        order(&self.final_w, self.burn)
    }
    pub fn weight_of(&self, miner: usize) -> f64 {
        self.final_w.get(miner).copied().unwrap_or(0.0)
    }
    pub fn burn_weight(&self) -> f64 {
        self.burn.unwrap_or(0.0)
    }
}

/// What the debt side of a model owes at an instant. It depends on the ledgers only, not on
/// the dust policy, so a replay computes it once per step and shares it across policies.
#[derive(Debug, Clone)]
pub enum Debt {
    /// Weights are the dust weights alone (pre-activation, or a dust-only model).
    DustOnly,
    /// USD still owed to each miner.
    Remaining(Vec<f64>),
}

pub trait PayoutModel: Send + Sync {
    fn name(&self) -> &'static str;
    /// The debt side at the view's instant.
    fn debt(&self, view: &AsOf) -> Debt;
    /// Final weights from each miner's dust weight (file order) and the debt.
    fn settle(&self, dust: &[f64], debt: &Debt) -> Payout;
    /// Weights at the view's instant.
    fn weights(&self, view: &AsOf, dust: &[f64]) -> Payout {
        self.settle(dust, &self.debt(view))
    }
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
