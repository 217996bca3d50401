//! Populations: the synthetic subnet generator (adversaries join it later).

pub mod generate;
pub mod seed;
pub mod uniform;
