//! Runs a scenario end to end: read, replay, write, summarise. Outputs are opened before any
//! work starts, so a bad `--out` fails in a second rather than after the run.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

use polars::prelude::SerWriter;

use super::engine::Engine;
use super::montecarlo::{self, Base};
use super::results::{self, PolicySummary};
use super::scenario::Scenario;
use super::sources::{self, History, Snapshot};
use crate::error::InputError;
use crate::ledger::io::{self, Loaded};
use crate::ledger::store::Store;
use crate::ledger::{LedgerSet, Status};
use crate::time::format_ms;

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub out: Option<PathBuf>,
    pub quiet: bool,
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub command_line: String,
}

pub struct RunOutput {
    pub dir: PathBuf,
    pub summaries: Vec<PolicySummary>,
    /// The long table (run 0 of a Monte Carlo scenario).
    pub frame: polars::prelude::DataFrame,
    /// Adversary outcomes over runs (empty without adversaries).
    pub outcomes: Vec<montecarlo::Outcome>,
    pub outcome_summaries: Vec<montecarlo::OutcomeSummary>,
}

/// Where the ledgers come from: one merged set, or dated snapshots read one at a time.
enum Data {
    Files(LedgerSet),
    Snapshots(Vec<Snapshot>),
}

fn load_files(paths: &[PathBuf], lenient: bool, quiet: bool) -> Result<LedgerSet, InputError> {
    let mut merged = LedgerSet::default();
    let mut seen = std::collections::HashMap::new();
    for p in paths {
        let Loaded { set, dropped, .. } = io::read_validated(p, lenient)?;
        if !quiet {
            for d in &dropped {
                eprintln!("warning: {d}");
            }
        }
        for l in set.ledgers {
            if let Some(other) = seen.insert(l.key.clone(), p.clone()) {
                return Err(InputError::file(
                    p.display(),
                    format!("hotkey {} is also in {}: one ledger per hotkey across sources", l.key, other.display()),
                ));
            }
            merged.ledgers.push(l);
        }
        merged.last_update_ms = merged.last_update_ms.max(set.last_update_ms);
    }
    Ok(merged)
}

fn data_span(set: &LedgerSet) -> Option<(i64, i64)> {
    let first = set.ledgers.iter().filter_map(|l| l.checkpoints.first()).map(|c| c.timestamp_ms).min()?;
    let last = set.ledgers.iter().filter_map(|l| l.checkpoints.last()).map(|c| c.timestamp_ms).max()?;
    Some((first, last))
}

/// SHA-256 of every input file (a snapshot directory hashes its files in name order).
fn input_digests(scenario: &Scenario) -> serde_json::Map<String, serde_json::Value> {
    scenario
        .ledgers
        .iter()
        .chain(scenario.buckets.iter())
        .chain(scenario.collateral.iter())
        .map(|p| {
            (p.display().to_string(), crate::report::sha256_of(p).map(serde_json::Value::String).unwrap_or_default())
        })
        .collect()
}

/// Opens the output directory and the two table files before any work.
fn open_outputs(scenario: &Scenario, opts: &RunOptions) -> Result<(PathBuf, File, File), InputError> {
    let dir = opts.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(&scenario.name));
    std::fs::create_dir_all(&dir)
        .map_err(|e| InputError::Usage(format!("cannot create output directory {}: {e}", dir.display())))?;
    let open = |name: &str| {
        let p = dir.join(name);
        File::create(&p).map_err(|e| InputError::Usage(format!("{}: {e}", p.display())))
    };
    Ok((dir.clone(), open("steps.parquet")?, open("steps.csv")?))
}

fn write_table(df: &mut polars::prelude::DataFrame, parquet: &mut File, csv: &mut File) -> anyhow::Result<()> {
    polars::prelude::ParquetWriter::new(parquet)
        .with_compression(polars::prelude::ParquetCompression::Zstd(None))
        .finish(df)?;
    polars::prelude::CsvWriter::new(csv).include_header(true).finish(df)?;
    Ok(())
}

fn copy_scenario(scenario: &Scenario, dir: &Path) -> anyhow::Result<()> {
    if let Some(text) = &scenario.source_text {
        let name = scenario
            .source_path
            .as_deref()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario.toml".into());
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}

pub fn run(scenario: &Scenario, opts: &RunOptions) -> anyhow::Result<RunOutput> {
    if scenario.population.is_some() || !scenario.adversaries.is_empty() || scenario.runs > 1 {
        return run_monte_carlo(scenario, opts);
    }
    let t_read = Instant::now();
    let dir = opts.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(&scenario.name));
    std::fs::create_dir_all(&dir)
        .map_err(|e| InputError::Usage(format!("cannot create output directory {}: {e}", dir.display())))?;
    let parquet_path = dir.join("steps.parquet");
    let csv_path = dir.join("steps.csv");
    let mut parquet_file =
        File::create(&parquet_path).map_err(|e| InputError::Usage(format!("{}: {e}", parquet_path.display())))?;
    let mut csv_file =
        File::create(&csv_path).map_err(|e| InputError::Usage(format!("{}: {e}", csv_path.display())))?;

    let data = if scenario.ledgers.len() == 1 && scenario.ledgers[0].is_dir() {
        Data::Snapshots(sources::list_snapshots(&scenario.ledgers[0])?)
    } else {
        Data::Files(load_files(&scenario.ledgers, scenario.lenient, opts.quiet)?)
    };
    let buckets: Option<History<Status>> = scenario.buckets.as_deref().map(sources::read_buckets).transpose()?;
    let collateral: Option<History<f64>> = scenario.collateral.as_deref().map(sources::read_collateral).transpose()?;
    let (data_start, data_end) = match &data {
        Data::Files(set) => data_span(set)
            .ok_or_else(|| InputError::Usage("the ledgers hold no checkpoint: nothing to replay".into()))?,
        Data::Snapshots(s) => (s[0].taken_ms, s[s.len() - 1].taken_ms),
    };
    let start = opts.start.or(scenario.start).unwrap_or(data_start);
    let end = opts.end.or(scenario.end).unwrap_or(data_end);
    let steps = super::clock::steps(start, end, scenario.step_ms)?;
    if let Data::Snapshots(s) = &data
        && steps[0] < s[0].taken_ms
    {
        return Err(InputError::Usage(format!(
            "the clock starts at {} but the first snapshot was taken at {}: nothing was known before it",
            format_ms(steps[0]),
            format_ms(s[0].taken_ms)
        ))
        .into());
    }
    let read_secs = t_read.elapsed().as_secs_f64();

    let t_replay = Instant::now();
    let mut engine = Engine::new(&scenario.policies, steps.clone(), scenario.step_ms)?;
    engine.buckets = buckets.as_ref();
    engine.collateral = collateral.as_ref();
    engine.derive_pool = scenario.pool == super::scenario::Source::Ledgers;
    engine.derive_price = scenario.price == super::scenario::Source::Ledgers;
    let len = (steps.len() * scenario.policies.len()) as u64;
    let bar = crate::progress::bar(opts.quiet, len, "policy-steps", format!("replay {}", scenario.name));
    let tick = |n: u64| bar.inc(n);
    let mut served_by: Vec<String> = vec![String::new(); steps.len()];
    let mut extra_read = 0.0;
    match &data {
        Data::Files(set) => {
            let store = Store::from_set(set);
            engine.run_segment(&store, 0..steps.len(), data_end, &tick);
            let label = scenario.ledgers.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
            served_by.iter_mut().for_each(|s| *s = label.clone());
        }
        Data::Snapshots(snaps) => {
            for (i, snap) in snaps.iter().enumerate() {
                let until = snaps.get(i + 1).map(|s| s.taken_ms).unwrap_or(i64::MAX);
                let a = steps.partition_point(|&t| t < snap.taken_ms);
                let b = steps.partition_point(|&t| t < until);
                if a >= b {
                    continue;
                }
                let t = Instant::now();
                let set = load_files(std::slice::from_ref(&snap.path), scenario.lenient, opts.quiet)?;
                let newest = data_span(&set).map(|s| s.1).unwrap_or(snap.taken_ms);
                let store = Store::from_set(&set);
                drop(set);
                extra_read += t.elapsed().as_secs_f64();
                engine.run_segment(&store, a..b, newest, &tick);
                for s in &mut served_by[a..b] {
                    *s = snap.path.display().to_string();
                }
            }
        }
    }
    bar.finish_and_clear();
    let (pools, prices) = results::emission(&engine, &scenario.pool, &scenario.price);
    let mut df = results::frame(&engine, &pools, &prices, 0)?;
    let summaries = results::summarize(&engine, &df)?;
    let replay_secs = t_replay.elapsed().as_secs_f64() - extra_read;

    let t_write = Instant::now();
    write_table(&mut df, &mut parquet_file, &mut csv_file)?;
    copy_scenario(scenario, &dir)?;
    let write_secs = t_write.elapsed().as_secs_f64();
    let specific = serde_json::json!({
        "emission": {
            "pool_alpha_per_day": format!("{:?}", scenario.pool),
            "alpha_to_usd": format!("{:?}", scenario.price),
        },
        "snapshot_per_step": steps.iter().zip(&served_by).map(|(t, s)| serde_json::json!({"at_ms": t, "source": s})).collect::<Vec<_>>(),
        "seconds": {"read": read_secs + extra_read, "replay": replay_secs, "write": write_secs},
        "outputs": ["steps.parquet", "steps.csv"],
    });
    finish(&dir, scenario, opts, &steps, specific)?;
    Ok(RunOutput { dir, summaries, frame: df, outcomes: Vec::new(), outcome_summaries: Vec::new() })
}

/// What every run of a Monte Carlo scenario (or sweep) starts from.
pub fn load_base(scenario: &Scenario, quiet: bool) -> anyhow::Result<Base> {
    if scenario.ledgers.len() == 1 && scenario.ledgers[0].is_dir() {
        return Err(InputError::Usage(
            "snapshot directories replay one history: they do not combine with runs, adversaries or sweeps".into(),
        )
        .into());
    }
    Ok(match &scenario.population {
        Some(p) => Base::Synthetic(p.clone()),
        None => Base::Files {
            set: load_files(&scenario.ledgers, scenario.lenient, quiet)?,
            buckets: scenario.buckets.as_deref().map(sources::read_buckets).transpose()?,
            collateral: scenario.collateral.as_deref().map(sources::read_collateral).transpose()?,
        },
    })
}

/// Monte Carlo (and any scenario with a synthetic population or adversaries): `runs` runs in
/// parallel, merged in run order. The long table is run 0's; outcomes cover every run.
fn run_monte_carlo(scenario: &Scenario, opts: &RunOptions) -> anyhow::Result<RunOutput> {
    use rayon::prelude::*;
    let t_read = Instant::now();
    let (dir, mut parquet_file, mut csv_file) = open_outputs(scenario, opts)?;
    let open = |name: &str| {
        let p = dir.join(name);
        File::create(&p).map_err(|e| InputError::Usage(format!("{}: {e}", p.display())))
    };
    let (mut out_parquet, mut out_csv) = (open("outcomes.parquet")?, open("outcomes.csv")?);
    if scenario.ledgers.len() == 1 && scenario.ledgers[0].is_dir() {
        return Err(InputError::Usage(
            "snapshot directories replay one history: they do not combine with runs or adversaries".into(),
        )
        .into());
    }
    let base = load_base(scenario, opts.quiet)?;
    let (data_start, data_end) = montecarlo::span(&base)
        .ok_or_else(|| InputError::Usage("the ledgers hold no checkpoint: nothing to replay".into()))?;
    let start = opts.start.or(scenario.start).unwrap_or(data_start);
    let end = opts.end.or(scenario.end).unwrap_or(data_end);
    let steps = super::clock::steps(start, end, scenario.step_ms)?;
    let read_secs = t_read.elapsed().as_secs_f64();

    let t_replay = Instant::now();
    let bar = crate::progress::bar(opts.quiet, scenario.runs as u64, "runs", format!("monte carlo {}", scenario.name));
    let runs: Vec<montecarlo::RunResult> = (0..scenario.runs)
        .into_par_iter()
        .map(|i| {
            let r = montecarlo::run_one(scenario, &base, &steps, i, i == 0);
            bar.inc(1);
            r
        })
        .collect::<anyhow::Result<_>>()?;
    bar.finish_and_clear();
    let mut outcomes = Vec::new();
    let mut first = None;
    for r in runs {
        if first.is_none() {
            first = Some((r.frame, r.summaries));
        }
        outcomes.extend(r.outcomes);
    }
    let (frame, summaries) = first.expect("at least one run");
    let (mut df, summaries) = (frame.expect("run 0 keeps its table"), summaries.expect("run 0 keeps its summary"));
    let outcome_summaries = montecarlo::summarize(&outcomes);
    let replay_secs = t_replay.elapsed().as_secs_f64();

    let t_write = Instant::now();
    write_table(&mut df, &mut parquet_file, &mut csv_file)?;
    let mut odf = montecarlo::outcomes_frame(&outcomes)?;
    write_table(&mut odf, &mut out_parquet, &mut out_csv)?;
    copy_scenario(scenario, &dir)?;
    let write_secs = t_write.elapsed().as_secs_f64();
    let specific = serde_json::json!({
        "seed": scenario.seed,
        "runs": scenario.runs,
        "run_seeds": "run i draws its population and adversaries from (seed, i); the long table is run 0's",
        "inputs": {"population": scenario.population},
        "adversaries": scenario.adversaries,
        "outcome_summary": outcome_summaries,
        "seconds": {"read": read_secs, "replay": replay_secs, "write": write_secs},
        "outputs": ["steps.parquet", "steps.csv", "outcomes.parquet", "outcomes.csv"],
    });
    finish(&dir, scenario, opts, &steps, specific)?;
    Ok(RunOutput { dir, summaries, frame: df, outcomes, outcome_summaries })
}

/// Writes `run.json` (what every run records, plus `specific`, whose `inputs` extend the
/// common ones), then the report beside the tables, and records the report's seconds.
fn finish(
    dir: &Path,
    scenario: &Scenario,
    opts: &RunOptions,
    steps: &[i64],
    specific: serde_json::Value,
) -> anyhow::Result<()> {
    let mut run = serde_json::json!({
        "dustlab_version": env!("CARGO_PKG_VERSION"),
        "scenario": scenario.name,
        "scenario_file": scenario.source_path.as_ref().map(|p| p.display().to_string()),
        "command_line": opts.command_line,
        "inputs": {
            "ledgers": scenario.ledgers.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "buckets": scenario.buckets.as_ref().map(|p| p.display().to_string()),
            "collateral": scenario.collateral.as_ref().map(|p| p.display().to_string()),
        },
        "input_sha256": input_digests(scenario),
        "clock": {"start_ms": steps[0], "end_ms": steps[steps.len() - 1], "step_ms": scenario.step_ms, "steps": steps.len()},
        "policies": scenario.policies,
    });
    if let serde_json::Value::Object(extra) = specific {
        for (k, v) in extra {
            match (run.get_mut(&k), v) {
                (Some(serde_json::Value::Object(base)), serde_json::Value::Object(more)) => base.extend(more),
                (_, v) => {
                    run[&k] = v;
                }
            }
        }
    }
    let path = dir.join("run.json");
    std::fs::write(&path, serde_json::to_string_pretty(&run)?)?;
    let t = Instant::now();
    crate::report::build(dir, &crate::report::ReportOptions::default())?;
    run["seconds"]["report"] = serde_json::json!(t.elapsed().as_secs_f64());
    std::fs::write(&path, serde_json::to_string_pretty(&run)?)?;
    Ok(())
}
