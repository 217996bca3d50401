//! `dustlab sweep SCENARIO` and `dustlab merge`.

use crate::cli::{MergeArgs, SweepArgs};
use crate::error::InputError;
use crate::experiment::scenario::Scenario;
use crate::experiment::sweep::exec::{SweepOptions, run as run_sweep};
use crate::time::parse_time;

fn parse_shard(s: &str) -> Result<(usize, usize), InputError> {
    let bad = || InputError::Usage(format!("--shard {s:?}: expected K/N, e.g. 2/8"));
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if n == 0 || k == 0 || k > n {
        return Err(InputError::Usage(format!("--shard {s:?}: expected K/N with 1 ≤ K ≤ N")));
    }
    Ok((k, n))
}

pub fn run(args: SweepArgs) -> anyhow::Result<()> {
    let shard = args.shard.as_deref().map(parse_shard).transpose()?;
    let scenario = Scenario::load(&args.scenario)?;
    let spec = scenario
        .sweep
        .clone()
        .ok_or_else(|| InputError::file(args.scenario.display(), "has no [sweep] table: name the knobs to vary"))?;
    let opts = SweepOptions {
        out: args.out.clone(),
        quiet: args.quiet,
        shard,
        start: args.start.as_deref().map(parse_time).transpose()?,
        end: args.end.as_deref().map(parse_time).transpose()?,
        command_line: std::env::args().collect::<Vec<_>>().join(" "),
    };
    let t = std::time::Instant::now();
    let out = run_sweep(&scenario, &spec, &opts)?;
    if !args.quiet {
        out.notes.print();
        if !out.infeasible.is_empty() {
            eprintln!(
                "{} variant(s) infeasible (hierarchy broken or negative weights), kept off the front: {}",
                out.infeasible.len(),
                out.infeasible.iter().take(10).map(|x| x.0.as_str()).collect::<Vec<_>>().join(", ")
            );
        }
        eprintln!(
            "{} variants × {} run(s) in {:.2} s; Pareto front (alignment ↑, exploitability ↓, churn ↓, burn ↓): {}",
            out.variants.len(),
            scenario.runs,
            t.elapsed().as_secs_f64(),
            out.pareto.join(", ")
        );
        eprintln!("wrote {}/sweep.parquet, sweep.csv, variants.json, best.toml", out.dir.display());
    }
    Ok(())
}

pub fn merge(args: MergeArgs) -> anyhow::Result<()> {
    let shards: Vec<&std::path::Path> = args.shards.iter().map(|p| p.as_path()).collect();
    let rows = crate::experiment::sweep::table::merge(&shards, &args.out)?;
    eprintln!("merged {} shard(s), {rows} rows, into {}/sweep.parquet and sweep.csv", shards.len(), args.out.display());
    Ok(())
}
