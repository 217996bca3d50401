//! The worst-case adversary search as users wait for it, from loading the scenario to the
//! worst cases:
//! - `attack_suite`: `dustlab attack scenarios/attack-suite.toml --policy ptn-collateral` —
//!   seven strategies searched over 100 synthetic subnets (256 UID slots, 180 days). Issue
//!   target: ≤ 30 s, < 1 GiB (measure memory with `/usr/bin/time -v dustlab attack …`).
//! - `worst_case_sweep`: a 100-variant sweep with `worst_case = true` on a realistic year of
//!   256 slots read from the validator's `.json.gz` with its buckets and collateral, the same
//!   seven adversaries, 2 runs. Issue target: ≤ 2 min.
//!
//! Each iteration takes tens of seconds; run one group with `cargo bench --bench attack -- attack_suite`.

use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use dustlab::experiment::attack::worst_cases;
use dustlab::experiment::scenario::Scenario;
use dustlab::experiment::sweep::exec::{SweepOptions, run};
use dustlab::notes::Notes;

mod support;

fn attack_suite(c: &mut Criterion) {
    dustlab::tune_memory(); // as the CLI does
    let scenario = Scenario::load(std::path::Path::new("scenarios/attack-suite.toml")).expect("the attack suite");
    let policy = scenario.policies.iter().find(|p| p.name == "ptn-collateral").expect("ptn-collateral").clone();
    let settings = scenario.attack.clone().unwrap_or_default();
    let search = || worst_cases(&scenario, &policy, &scenario.adversaries, &settings, true, &mut Notes::default());
    let checked = std::cell::OnceCell::new();
    let mut g = c.benchmark_group("attack_suite");
    // One search per sample: ten samples are ten searches (a short target time keeps criterion
    // from doubling them; it warns that ten take longer).
    g.sample_size(10).sampling_mode(SamplingMode::Flat).measurement_time(Duration::from_secs(60));
    g.bench_function("ptn_collateral_100_runs", |b| {
        // Check the answer before timing it (only when this benchmark is selected): seven
        // worst cases, found on the incremental path.
        checked.get_or_init(|| {
            let (found, path) = search().expect("the search runs");
            assert_eq!(found.len(), 7);
            assert!(path.starts_with("incremental"), "{path}");
            assert!(found.iter().all(|w| w.excess_usd.is_finite() && w.evaluations > 0));
        });
        b.iter(|| search().expect("the search runs"))
    });
    g.finish();
}

const SWEEP: &str = r#"name = "worst-case-sweep"
runs = 2
[data]
DATA
[[policy]]
preset = "ptn-collateral"
[sweep]
samples = 100
seed = 1
worst_case = true
[sweep.ranges]
lookback_days = [7, 60]
ceiling_width = [0.5, 4.0]
[sweep.grid]
"normalization.kind" = ["max", "rank", "log", "minmax"]
"#;

/// The sweep's scenario in a temporary folder with its realistic year, checked once.
fn sweep_workload() -> (tempfile::TempDir, Scenario) {
    let dir = tempfile::tempdir().expect("temp dir");
    support::realistic_year(dir.path());
    // The attack suite's seven adversaries, as it writes them.
    let suite = std::fs::read_to_string("scenarios/attack-suite.toml").expect("the attack suite");
    let adversaries = &suite[suite.find("[[adversary]]").expect("adversaries")..];
    let text = SWEEP.replace("DATA", support::REALISTIC_DATA) + adversaries;
    let path = dir.path().join("sweep.toml");
    std::fs::write(&path, text).expect("write scenario");
    let scenario = Scenario::load(&path).expect("valid scenario");
    (dir, scenario)
}

fn worst_case_sweep(c: &mut Criterion) {
    dustlab::tune_memory(); // as the CLI does
    let workload = std::cell::OnceCell::new();
    let mut g = c.benchmark_group("worst_case_sweep");
    g.sample_size(10).sampling_mode(SamplingMode::Flat).measurement_time(Duration::from_secs(300));
    g.bench_function("100_variants_7_adversaries_realistic_year", |b| {
        // Built and checked only when this benchmark is selected.
        let (dir, scenario) = workload.get_or_init(|| {
            let (dir, scenario) = sweep_workload();
            let spec = scenario.sweep.clone().expect("a sweep");
            let opts = SweepOptions { out: Some(dir.path().join("out")), quiet: true, ..SweepOptions::default() };
            let out = run(&scenario, &spec, &opts).expect("sweep runs");
            assert_eq!(out.variants.len(), 100);
            assert!(out.rows.iter().all(|r| r.metrics.get("exploitability_search_usd").is_some_and(|x| x.is_finite())));
            (dir, scenario)
        });
        let spec = scenario.sweep.clone().expect("a sweep");
        let opts = SweepOptions { out: Some(dir.path().join("out")), quiet: true, ..SweepOptions::default() };
        b.iter(|| run(scenario, &spec, &opts).expect("sweep runs"))
    });
    g.finish();
}

criterion_group!(benches, attack_suite, worst_case_sweep);
criterion_main!(benches);
