//! One evaluation of a policy at one instant: the function `dustlab weights` prints and the
//! replay engine calls at every step, so the two agree by construction.

use super::config::DustPolicy;
use super::dust::{dust_weights, window_scores};
use super::payout::{Payout, PayoutModel};
use crate::ledger::Status;
use crate::ledger::store::AsOf;

#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Raw window score per miner (file order), before flooring negatives.
    pub scores: Vec<f64>,
    pub dust: Vec<f64>,
    pub payout: Payout,
}

/// `buckets` and `collateral` are per miner in file order, as of the view's instant.
pub fn evaluate(
    policy: &DustPolicy,
    payout: &dyn PayoutModel,
    view: &AsOf,
    buckets: &[Status],
    collateral: &[f64],
) -> Evaluation {
    let scores = window_scores(policy, view);
    let dust = dust_weights(policy, buckets, &scores, collateral);
    let payout = payout.weights(view, &dust);
    Evaluation { scores, dust, payout }
}
