//! Replay: the scenario, the clock, side inputs, the engine, and its results.

pub mod clock;
pub mod engine;
pub mod montecarlo;
pub mod results;
pub mod run;
pub mod scenario;
pub mod sources;
