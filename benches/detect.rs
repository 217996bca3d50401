//! The gaming watch as `detect.json` reports it (`seconds.detect`: the panel built from the
//! ledgers, then every detector) on a realistic population: 256 UID slots over a year (about
//! 730 checkpoints a slot, departures and refills, every bucket) with the attack suite's seven
//! adversaries planted. Issue target: ≤ 1 s.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use dustlab::detect::{Knobs, Panel, detect};
use dustlab::experiment::montecarlo::{histories, inject_into};
use dustlab::population::adversary::{AdversarySpec, STRATEGIES};
use dustlab::population::generate::{PopulationParams, generate};
use dustlab::time::{CHECKPOINT_MS, MS_PER_DAY};

fn bench(c: &mut Criterion) {
    dustlab::tune_memory(); // as the CLI does
    let p = PopulationParams { miners: 256, days: 365, seed: 3, ..PopulationParams::default() };
    let mut pop = generate(&p);
    let (buckets, mut collateral) = histories(&pop);
    let adversaries: Vec<AdversarySpec> =
        STRATEGIES.iter().map(|s| AdversarySpec { strategy: s.to_string(), ..AdversarySpec::default() }).collect();
    let span = (p.start_ms + CHECKPOINT_MS, p.start_ms + p.days as i64 * MS_PER_DAY);
    inject_into(7, &adversaries, &mut pop.set, &mut collateral, span);
    let at = span.1;
    let knobs = Knobs::default();
    let mut g = c.benchmark_group("detect");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("256 slots x 730 checkpoints, panel + 7 detectors", |b| {
        b.iter(|| {
            let panel = Panel::build(&pop.set, Some(&collateral), Some(&buckets), at);
            detect(&panel, &knobs)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
