//! 1 000 policy variants over 256 miners × 365 daily steps, file reading included: on uniform
//! ledgers from Parquet, and on realistic ones read from the validator's `.json.gz` (a
//! generated 256-slot year: statuses changing over time, every bucket, departures and refills,
//! heavy-tailed PnL, with its true buckets and collateral). Issue target: ≤ 6 s on realistic
//! ledgers, peak memory < 1 GiB (measure the latter with `/usr/bin/time -v dustlab sweep …`).

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use dustlab::experiment::scenario::Scenario;
use dustlab::experiment::sweep::exec::{SweepOptions, run};
use dustlab::ledger::io;
use dustlab::population::uniform::uniform;

mod support;

const SCENARIO: &str = r#"name = "bench"
[data]
ledgers = "big.parquet"
[clock]
start = "2025-01-02"
end = "2025-12-31"
[[policy]]
preset = "ptn-dynamic"
[sweep]
samples = 1000
seed = 1
[sweep.ranges]
lookback_days = [7, 60]
ceiling_width = [0.5, 4.0]
[sweep.grid]
"normalization.kind" = ["max", "rank", "log", "minmax"]
window_statuses = ["all", "earning"]
"#;

fn bench(c: &mut Criterion) {
    dustlab::tune_memory(); // as the CLI does
    let dir = tempfile::tempdir().expect("temp dir");
    io::write(&uniform(256, 730, 1_735_689_600_000, 7), &dir.path().join("big.parquet")).expect("write");
    let path = dir.path().join("sweep.toml");
    std::fs::write(&path, SCENARIO).expect("write scenario");
    let scenario = Scenario::load(&path).expect("valid scenario");
    let spec = scenario.sweep.clone().expect("a sweep");
    let opts = SweepOptions { out: Some(dir.path().join("out")), quiet: true, ..SweepOptions::default() };
    // Check the answer before timing it: 1 000 rows, every variant's weights sum to 1.
    let out = run(&scenario, &spec, &opts).expect("sweep runs");
    assert_eq!(out.rows.len(), 1000);
    assert!(out.rows.iter().all(|r| r.metrics["burn_share"] >= 0.0 && r.metrics["reward_usd_miners"] > 0.0));
    let mut g = c.benchmark_group("sweep_256x365");
    g.sample_size(10).measurement_time(Duration::from_secs(60));
    g.bench_function("1000_variants", |b| b.iter(|| run(&scenario, &spec, &opts).expect("sweep runs")));
    g.finish();

    // The realistic workload, read from .json.gz with its buckets and collateral.
    support::realistic_year(dir.path());
    let real = SCENARIO
        .replace("ledgers = \"big.parquet\"", support::REALISTIC_DATA)
        .replace("start = \"2025-01-02\"\nend = \"2025-12-31\"\n", "");
    let path = dir.path().join("real.toml");
    std::fs::write(&path, real).expect("write scenario");
    let scenario = Scenario::load(&path).expect("valid scenario");
    let spec = scenario.sweep.clone().expect("a sweep");
    let out = run(&scenario, &spec, &opts).expect("sweep runs");
    assert_eq!(out.rows.len(), 1000);
    assert!(out.rows.iter().all(|r| r.metrics["reward_usd_miners"] > 0.0));
    let mut g = c.benchmark_group("sweep_realistic_256x365");
    g.sample_size(10).measurement_time(Duration::from_secs(120));
    g.bench_function("1000_variants_from_json_gz", |b| b.iter(|| run(&scenario, &spec, &opts).expect("sweep runs")));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
