//! Metrics over weights and rewards: alignment, inequality, churn, adversary outcomes.

pub mod adversary;
pub mod fidelity;
pub mod policy;
pub mod precision;
pub mod rows;
pub mod verdict;
