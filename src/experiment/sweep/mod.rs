//! Parameter sweeps: many policy variants over a scenario's population, runs and
//! adversaries, one metrics row per (variant, run); sharding across machines and merging.

pub mod exec;
pub mod report;
pub mod spec;
pub mod table;

pub use spec::{Param, SweepSpec, Variant};
