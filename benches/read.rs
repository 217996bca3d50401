//! Reading the canonical workload: 256 miners × 730 checkpoints (187 000 checkpoints) as the
//! validator's .json.gz and as Parquet. Issue target: ≤ 1 s and ≤ 0.1 s (release). And the
//! realistic year (256 slots, 858 ledgers, a 160 MB document) as .json.gz: the read that the
//! whole `dustlab replay` of issue #12 starts with.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use dustlab::ledger::io;
use dustlab::population::uniform::uniform;

mod support;

fn read(c: &mut Criterion) {
    dustlab::tune_memory(); // as the CLI does
    let dir = tempfile::tempdir().expect("temp dir");
    let set = uniform(256, 730, 1_735_689_600_000, 7);
    let gz = dir.path().join("ledgers.json.gz");
    let pq = dir.path().join("ledgers.parquet");
    io::write(&set, &gz).expect("write json.gz");
    io::write(&set, &pq).expect("write parquet");
    let json_len = dustlab::ledger::json_write::to_json(&set).len();
    eprintln!(
        "workload: {} ledgers, {} checkpoints, JSON {:.0} MB, gzip {:.1} MB, Parquet {:.1} MB",
        set.ledgers.len(),
        set.checkpoint_count(),
        json_len as f64 / 1e6,
        std::fs::metadata(&gz).unwrap().len() as f64 / 1e6,
        std::fs::metadata(&pq).unwrap().len() as f64 / 1e6
    );
    // Check the answer before timing it.
    for p in [&gz, &pq] {
        let loaded = io::read_validated(p, false).expect("valid");
        assert_eq!(loaded.set.checkpoint_count(), 256 * 730);
        assert_eq!(loaded.set.ledgers[17].checkpoints[400], set.ledgers[17].checkpoints[400].clone().with_stored_net());
    }
    let mut g = c.benchmark_group("read_256x730");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("validator_json_gz", |b| b.iter(|| io::read_validated(&gz, false).expect("valid")));
    g.bench_function("parquet", |b| b.iter(|| io::read_validated(&pq, false).expect("valid")));
    g.finish();
    support::realistic_year(dir.path());
    let real = dir.path().join("real.json.gz");
    let loaded = io::read_validated(&real, false).expect("valid");
    assert_eq!(loaded.set.ledgers.len(), 858);
    let mut g = c.benchmark_group("read_realistic_year");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("validator_json_gz", |b| b.iter(|| io::read_validated(&real, false).expect("valid")));
    g.finish();
}

criterion_group!(benches, read);
criterion_main!(benches);
