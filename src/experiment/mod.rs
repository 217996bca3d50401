//! Experiments: the scenario schema (with its sweep and attack specs as plain data), Monte
//! Carlo runs, the worst-case attack search, parameter sweeps, and the run folder they all
//! write through. Only `app` calls this layer.

pub mod attack;
pub mod detect;
pub mod folder;
pub mod montecarlo;
pub mod run;
pub mod scenario;
pub mod sweep;
