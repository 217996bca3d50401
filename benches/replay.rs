//! The replay engine on the canonical workload: 256 miners × 730 checkpoints, 365 daily
//! steps, file reading excluded. Issue targets: one policy ≤ 10 ms; 8 policies ≤ 4× one;
//! 7-day and 90-day lookbacks within 10%; time linear in miners and steps.

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

fn bench(c: &mut Criterion) {
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

criterion_group!(benches, bench);
criterion_main!(benches);
