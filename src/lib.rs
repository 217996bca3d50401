//! dustlab: replay, attack and report on the dust (minimum-weight) policies of Bittensor
//! subnet 8. Data flows one way through the layers below, lowest first; `ARCHITECTURE.md`
//! states the order and `tests/layers.rs` fails on an upward import.

// Layer 0: utilities every layer may use.
pub mod error;
pub mod notes;
pub mod progress;
pub mod stats;
pub mod time;
// Layer 1..: the stages of the flow.
pub mod detect;
pub mod experiment;
pub mod ledger;
pub mod metrics;
pub mod policy;
pub mod population;
pub mod replay;
pub mod report;
// The command line, on top.
pub mod app;
pub mod cli;
#[cfg(test)]
pub(crate) mod testutil;

/// Every binary built on the library (the CLI, its tests and benchmarks) allocates through
/// mimalloc: a replay's many short per-step vectors, freed across threads, cost glibc's
/// malloc a tenth of an attack search and page faults on memory it had returned.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
