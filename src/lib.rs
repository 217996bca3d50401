//! dustlab: replay, attack and report on the dust (minimum-weight) policies of Bittensor
//! subnet 8. The flow runs one way: ledger store → population → policy + payout → results.

pub mod app;
pub mod attack;
pub mod cli;
pub mod error;
pub mod ledger;
pub mod metrics;
pub mod policy;
pub mod population;
pub mod progress;
pub mod replay;
pub mod report;
pub mod sweep;
#[cfg(test)]
pub(crate) mod testutil;
pub mod time;
