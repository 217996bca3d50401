//! Replay: the clock, side inputs, the engine, the emission model and the results table.

pub mod clock;
pub mod emission;
pub mod engine;
pub mod incremental;
pub mod results;
pub mod sources;
