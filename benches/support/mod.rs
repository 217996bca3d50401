//! Workloads the benchmarks share.

use std::path::Path;

use dustlab::ledger::io;
use dustlab::population::generate::{PopulationParams, generate};

/// A realistic year of 256 UID slots as the validator writes it (`real.json.gz`: statuses
/// changing over time, every bucket, departures and refills, heavy-tailed PnL), with its true
/// buckets (`real.buckets.csv`) and collateral (`real.collateral.csv`), in `dir`.
pub fn realistic_year(dir: &Path) {
    let pop = generate(&PopulationParams { miners: 256, days: 365, seed: 3, ..PopulationParams::default() });
    io::write(&pop.set, &dir.join("real.json.gz")).expect("write");
    let csv =
        |rows: Vec<String>, head: &str| std::iter::once(head.to_string()).chain(rows).collect::<Vec<_>>().join("\n");
    std::fs::write(
        dir.join("real.buckets.csv"),
        csv(pop.buckets.iter().map(|(h, t, s)| format!("{h},{t},{s}")).collect(), "hotkey,timestamp_ms,bucket"),
    )
    .expect("write");
    std::fs::write(
        dir.join("real.collateral.csv"),
        csv(pop.collateral.iter().map(|(h, c)| format!("{h},{c}")).collect(), "hotkey,collateral_usd"),
    )
    .expect("write");
}

/// The `[data]` lines that read [`realistic_year`]'s files.
#[allow(dead_code)] // each bench compiles this module; `read` opens the files directly
pub const REALISTIC_DATA: &str =
    "ledgers = \"real.json.gz\"\nbuckets = \"real.buckets.csv\"\ncollateral = \"real.collateral.csv\"";
