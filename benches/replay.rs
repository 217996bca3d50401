//! The replay as the user waits for it: `replay_stage` times exactly what `run.json` reports as
//! `seconds.replay` (engine, emission model, fidelity check, results table; the columnar store
//! is the read stage's product, in `seconds.read`, and built here once outside the timing) on a
//! realistic population — 256 UID slots over a year from the generator (departures and
//! refills, every bucket, realized-era PnL, recorded emissions), its true buckets and
//! collateral, one policy, closed loop. Issue target: ≤ 10 ms.
//!
//! `replay_256x365` times the engine alone on uniform data (256 miners × 730 checkpoints, 365
//! daily steps): 8 policies ≤ 4× one; 7-day and 90-day lookbacks within 10%; time linear in
//! miners and steps.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use dustlab::ledger::store::Store;
use dustlab::policy::{DustPolicy, preset};
use dustlab::population::uniform::uniform;
use dustlab::replay::engine::Engine;
use dustlab::time::{CHECKPOINT_MS, MS_PER_DAY};

const START: i64 = 1_735_689_600_000; // 2025-01-01

fn run<'a>(store: &Store, policies: &'a [DustPolicy], steps: Vec<i64>, step_ms: i64) -> Engine<'a> {
    let n = steps.len();
    let end = *steps.last().unwrap();
    let mut e = Engine::new(policies, steps, step_ms).unwrap();
    e.run_segment(store, 0..n, end, &|_| {}).unwrap();
    e
}

fn daily(days: i64, step_ms: i64) -> Vec<i64> {
    (0..days * MS_PER_DAY / step_ms).map(|k| START + (k + 1) * step_ms).collect()
}

fn variants(n: usize) -> Vec<DustPolicy> {
    (0..n)
        .map(|i| {
            let mut p = preset(if i % 3 == 2 { "ptn-collateral" } else { "ptn-dynamic" }).unwrap();
            p.name = format!("v{i}");
            p.lookback_days = [30.0, 14.0, 7.0, 60.0][i % 4];
            p.ceiling_width = 1.0 + (i / 4) as f64;
            p
        })
        .collect()
}

fn stage(c: &mut Criterion) {
    dustlab::tune_memory(); // as the CLI does
    use dustlab::experiment::montecarlo::histories;
    use dustlab::experiment::run::replay_set;
    use dustlab::experiment::scenario::Scenario;
    use dustlab::population::generate::{PopulationParams, generate};
    let p = PopulationParams { miners: 256, days: 365, seed: 3, ..PopulationParams::default() };
    let pop = generate(&p);
    let (buckets, collateral) = histories(&pop);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("generated.parquet");
    dustlab::ledger::io::write(&pop.set, &file).unwrap();
    let scenario = Scenario::quick(file, &["ptn-dynamic".to_string()], None).unwrap();
    let store = Store::from_set(&pop.set);
    let first = p.start_ms + CHECKPOINT_MS;
    let last = p.start_ms + p.days as i64 * MS_PER_DAY;
    let steps: Vec<i64> = (first / MS_PER_DAY + 1..=last / MS_PER_DAY).map(|d| d * MS_PER_DAY).collect();
    let st = replay_set(&scenario, &store, Some(&buckets), Some(&collateral), &steps, last, &|_| {}).unwrap();
    // About 256 slots' miners plus the burn at every step (a few slots wait for a refill).
    let per_step = st.frame.height() as f64 / steps.len() as f64;
    assert!((230.0..=257.0).contains(&per_step), "{per_step} rows per step");
    let mut g = c.benchmark_group("replay_stage");
    g.sample_size(20).measurement_time(Duration::from_secs(6));
    g.bench_function("256_slots_x_365_days_1_policy_closed_loop", |b| {
        b.iter(|| replay_set(&scenario, &store, Some(&buckets), Some(&collateral), &steps, last, &|_| {}).unwrap())
    });
    // What the stage no longer holds: the read stage's last step (part of `seconds.read`).
    g.bench_function("store_build_of_the_read_stage", |b| b.iter(|| Store::from_set(&pop.set)));
    g.finish();
}

fn bench(c: &mut Criterion) {
    dustlab::tune_memory(); // as the CLI does
    let store = Store::from_set(&uniform(256, 730, START, 7));
    let big = Store::from_set(&uniform(512, 730, START, 7));
    let one = vec![preset("ptn-dynamic").unwrap()];
    // Check the answer before timing it: weights sum to 1 at every step.
    let e = run(&store, &one, daily(365, MS_PER_DAY), MS_PER_DAY);
    let mut sums = vec![0.0f64; 365];
    for (s, w) in e.rows[0].step.iter().zip(&e.rows[0].final_w) {
        sums[*s as usize] += w;
    }
    assert!(sums.iter().all(|s| (s - 1.0).abs() < 1e-9), "weights must sum to 1");
    assert_eq!(e.rows[0].step.len(), 365 * 257);

    let mut g = c.benchmark_group("replay_256x365");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    g.bench_function("1_policy", |b| b.iter(|| run(&store, &one, daily(365, MS_PER_DAY), MS_PER_DAY)));
    let eight = variants(8);
    g.bench_function("8_policies", |b| b.iter(|| run(&store, &eight, daily(365, MS_PER_DAY), MS_PER_DAY)));
    for days in [7.0, 90.0] {
        let mut p = preset("ptn-dynamic").unwrap();
        p.lookback_days = days;
        let ps = vec![p];
        g.bench_with_input(BenchmarkId::new("lookback_days", days), &ps, |b, ps| {
            b.iter(|| run(&store, ps, daily(365, MS_PER_DAY), MS_PER_DAY))
        });
    }
    for days in [7.0, 90.0] {
        let mut p = preset("ptn-dynamic").unwrap();
        p.lookback_days = days;
        p.half_life_days = Some(5.0);
        let ps = vec![p];
        g.bench_with_input(BenchmarkId::new("decay_5d_lookback_days", days), &ps, |b, ps| {
            b.iter(|| run(&store, ps, daily(365, MS_PER_DAY), MS_PER_DAY))
        });
    }
    g.bench_function("512_miners", |b| b.iter(|| run(&big, &one, daily(365, MS_PER_DAY), MS_PER_DAY)));
    g.bench_function("730_steps_12h", |b| b.iter(|| run(&store, &one, daily(365, CHECKPOINT_MS), CHECKPOINT_MS)));
    g.finish();
}

criterion_group!(benches, stage, bench);
criterion_main!(benches);
