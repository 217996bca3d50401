//! Policies: dust (presets and knobs), the collateral rule, and payout models.

pub mod collateral;
pub mod config;
pub mod dust;
pub mod evaluate;
pub mod payout;
pub mod pnl;

pub use config::{DUST, DustPolicy, preset};
