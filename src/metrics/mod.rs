//! Metrics over weights and rewards: alignment, inequality, churn.

pub mod stats;
