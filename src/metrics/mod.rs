//! Metrics over weights and rewards: alignment, inequality, churn.

pub mod policy;
pub mod stats;
