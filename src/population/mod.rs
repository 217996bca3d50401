//! Populations: the synthetic subnet generator (adversaries join it later).

pub mod adversary;
pub mod calibration;
pub mod generate;
pub mod seed;
pub mod uniform;
