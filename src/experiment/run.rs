//! Runs a scenario end to end: read, replay, write, summarise. Outputs are opened before any
//! work starts, so a bad `--out` fails in a second rather than after the run.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use polars::prelude::{DataFrame, SerWriter};

use super::folder::{self, RunFolder};
use super::montecarlo::{self, Base};
use super::scenario::Scenario;
use crate::error::InputError;
use crate::ledger::io::{self, Loaded};
use crate::ledger::store::Store;
use crate::ledger::{LedgerSet, Status};
use crate::metrics::adversary::{self as outcome, OutcomeSummary};
use crate::notes::Notes;
use crate::population::calibration::Calibration;
use crate::replay::clock;
use crate::replay::emission::Emission;
use crate::replay::engine::Engine;
use crate::replay::results;
use crate::replay::sources::{self, History, Snapshot};
use crate::report::Summary;
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
    /// The report's summary: the console shows a view of it, never a second computation.
    pub summary: Summary,
    /// Rows of the long table (run 0 of a Monte Carlo scenario).
    pub rows: usize,
    /// Adversary outcomes over runs (empty without adversaries).
    pub outcome_summaries: Vec<OutcomeSummary>,
    pub notes: Notes,
}

/// Where the ledgers come from: one merged set with its columnar store, or dated snapshots read
/// one at a time (each into a store of its own).
enum Data {
    Files(LedgerSet, Store),
    Snapshots(Vec<Snapshot>),
}

/// Reads and validates ledger files into one set; what `--lenient` left out becomes a note.
fn load_files(paths: &[PathBuf], lenient: bool, notes: &mut Notes) -> Result<LedgerSet, InputError> {
    let mut merged = LedgerSet::default();
    let mut seen = std::collections::HashMap::new();
    for p in paths {
        let Loaded { set, dropped, .. } = io::read_validated(p, lenient)?;
        notes.add(
            "lenient_dropped",
            dropped.len(),
            format!("{}: --lenient left out broken checkpoints or ledgers", p.display()),
            dropped,
        );
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

/// A realized-era measure reads PnL 0 from a checkpoint in the earlier layout (gain/loss only):
/// production would, silently; the run says how many.
fn old_layout_note(set: &LedgerSet, scenario: &Scenario, notes: &mut Notes) {
    let realized = scenario.policies.iter().any(|p| {
        p.metric.reads_realized()
            || p.dust_by_era
            || matches!(
                p.payout.as_str(),
                "monthly-2025-11-30" | "cumulative-2025-12-05" | "weekly-hwm-843e57e0" | "production"
            )
    });
    if !realized {
        return;
    }
    let mut count = 0;
    let mut miners = Vec::new();
    for l in &set.ledgers {
        let n = l
            .checkpoints
            .iter()
            .filter(|c| {
                (c.pnl_gain.is_some() || c.pnl_loss.is_some()) && c.realized_pnl.is_none() && c.unrealized_pnl.is_none()
            })
            .count();
        if n > 0 {
            count += n;
            miners.push(l.hotkey.clone());
        }
    }
    notes.add(
        "old_layout",
        count,
        format!(
            "checkpoints in the earlier layout (pnl_gain/pnl_loss, no realized_pnl/unrealized_pnl) of {} miner(s): realized-era measures read their PnL as 0, as production would",
            miners.len()
        ),
        miners,
    );
}

/// The calibration `generate` wrote beside a ledger file (`<stem>.calibration.json`), when it
/// is that file's: a replay of a synthetic population then shows how it compares with the
/// real subnet. One that is unreadable or belongs to another file is noted, not used.
fn sibling_calibration(scenario: &Scenario, digests: &Digests, notes: &mut Notes) -> Option<serde_json::Value> {
    let ledger = match scenario.ledgers.as_slice() {
        [one] if one.is_file() => one,
        _ => return None,
    };
    let name = ledger.file_name()?.to_str()?;
    let path = ledger.with_file_name(format!("{}.calibration.json", name.split('.').next()?));
    let text = std::fs::read_to_string(&path).ok()?;
    let shown = path.display().to_string();
    let cal: Calibration = match serde_json::from_str(&text) {
        Ok(c) => c,
        Err(e) => {
            notes.add(
                "calibration_unreadable",
                1,
                format!("calibration file {shown} is unreadable ({e}): not shown"),
                vec![shown],
            );
            return None;
        }
    };
    let digest = digests.get(&ledger.display().to_string()).and_then(|v| v.as_str());
    if cal.ledgers_sha256.is_none() || cal.ledgers_sha256.as_deref() != digest {
        notes.add(
            "calibration_mismatch",
            1,
            format!("calibration file {shown} was written for another version of {}: not shown", ledger.display()),
            vec![shown],
        );
        return None;
    }
    Some(serde_json::json!({"source": shown, "calibration": cal}))
}

/// The detectors of `dustlab detect` over the replayed ledgers as of their newest checkpoint,
/// with default thresholds: how many findings per pattern and the strongest few, for the
/// report's "Gaming watch" (the full scan is `dustlab detect`).
fn gaming_watch(
    scenario: &Scenario,
    set: &LedgerSet,
    collateral: Option<&History<f64>>,
    buckets: Option<&History<Status>>,
) -> serde_json::Value {
    use crate::detect::{Knobs, PATTERNS, Panel, detect};
    let Some((_, at)) = montecarlo::data_span(set) else { return serde_json::Value::Null };
    let panel = Panel::build(set, collateral, buckets, at);
    let findings = detect(&panel, &Knobs::default());
    let per_pattern: Vec<serde_json::Value> = PATTERNS
        .iter()
        .map(|p| {
            let mine: Vec<&crate::detect::Finding> = findings.iter().filter(|f| f.pattern == *p).collect();
            serde_json::json!({
                "pattern": p,
                "findings": mine.len(),
                "strongest": mine.iter().take(3).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut command =
        format!("dustlab detect {}", scenario.ledgers.first().map(|p| p.display().to_string()).unwrap_or_default());
    if let Some(c) = &scenario.collateral {
        command.push_str(&format!(" --collateral {}", c.display()));
    }
    if let Some(b) = &scenario.buckets {
        command.push_str(&format!(" --buckets {}", b.display()));
    }
    serde_json::json!({
        "at_ms": at,
        "miners": panel.miners.len(),
        "collateral_known": collateral.is_some(),
        "patterns": per_pattern,
        "command": command,
    })
}

/// An engine for a scenario's policies over `steps`, with its side inputs and emission.
fn engine_for<'a>(
    scenario: &'a Scenario,
    steps: &[i64],
    buckets: Option<&'a History<Status>>,
    collateral: Option<&'a History<f64>>,
) -> anyhow::Result<Engine<'a>> {
    let mut engine = Engine::new(&scenario.policies, steps.to_vec(), scenario.step_ms)?;
    engine.buckets = buckets;
    engine.collateral = collateral;
    engine.set_emission(&scenario.pool, &scenario.price);
    engine.feedback = scenario.feedback;
    engine.metagraph = scenario.metagraphs.as_ref();
    Ok(engine)
}

/// What the replay stage of a ledger set produces.
pub struct Stage {
    /// The long results table (`steps.parquet`).
    pub frame: DataFrame,
    /// The baseline's simulated payments against the recorded ones.
    pub fidelity: crate::metrics::fidelity::Fidelity,
    pub notes: Notes,
}

/// The replay stage of one ledger set's store, exactly what `run.json` times as
/// `seconds.replay` (and what `cargo bench --bench replay` times): every policy over every step,
/// the emission model, the fidelity check and the results table. The store is the read stage's
/// product (`seconds.read`), as a snapshot directory's stores always were.
pub fn replay_set(
    scenario: &Scenario,
    store: &Store,
    buckets: Option<&History<Status>>,
    collateral: Option<&History<f64>>,
    steps: &[i64],
    data_end: i64,
    tick: &(dyn Fn(u64) + Sync),
) -> anyhow::Result<Stage> {
    let mut engine = engine_for(scenario, steps, buckets, collateral)?;
    engine.run_segment(store, 0..steps.len(), data_end, tick)?;
    let em = Emission::of(&engine, &scenario.pool, &scenario.price);
    // The fidelity check is one sequential pass; the table's columns fill the other core.
    let (fidelity, frame) =
        rayon::join(|| crate::metrics::fidelity::fidelity(&engine, store, &em), || results::frame(&engine, &em, 0));
    let mut notes = engine.notes();
    notes.extend(em.notes(steps));
    Ok(Stage { frame: frame?, fidelity, notes })
}

/// SHA-256 of each input file by its path as given (an unreadable one: empty).
type Digests = serde_json::Map<String, serde_json::Value>;

/// SHA-256 of every input file (a snapshot directory hashes its files in name order). Hashed
/// once, during the read: `run.json` records them and the calibration check reads the
/// ledger's (each hash of a year's ledgers took 15–30 ms).
fn input_digests(scenario: &Scenario) -> Digests {
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

/// Writes a table as `<stem>.parquet` and `<stem>.csv` into the run folder.
pub fn write_table(df: &mut DataFrame, folder: &mut RunFolder, stem: &str) -> anyhow::Result<()> {
    write_table_at(df, &table_paths(folder, stem))
}

/// `<stem>.parquet` and `<stem>.csv` in the folder, recorded as files of the run: a table can
/// then be written while the folder is in other hands (the report's).
fn table_paths(folder: &mut RunFolder, stem: &str) -> [PathBuf; 2] {
    [folder.file(&format!("{stem}.parquet")), folder.file(&format!("{stem}.csv"))]
}

/// Writes a table to its two paths ([`table_paths`]). The Parquet file is Snappy-compressed
/// (pyarrow's default, read everywhere): a year's steps table (93 000 rows) compresses in half
/// zstd's time (36 ms against 74 ms) for a file a ninth larger (3.9 MB against 3.5 MB), and
/// the writing is on the replay's critical path.
fn write_table_at(df: &mut DataFrame, [parquet, csv]: &[PathBuf; 2]) -> anyhow::Result<()> {
    let file = std::fs::File::create(parquet).with_context(|| format!("cannot write {}", parquet.display()))?;
    polars::prelude::ParquetWriter::new(file)
        .with_compression(polars::prelude::ParquetCompression::Snappy)
        .finish(df)
        .with_context(|| format!("cannot write {}", parquet.display()))?;
    let mut file = std::fs::File::create(csv).with_context(|| format!("cannot write {}", csv.display()))?;
    polars::prelude::CsvWriter::new(&mut file)
        .include_header(true)
        .finish(df)
        .with_context(|| format!("cannot write {}", csv.display()))?;
    Ok(())
}

fn copy_scenario(scenario: &Scenario, folder: &mut RunFolder) -> anyhow::Result<()> {
    if let Some(text) = &scenario.source_text {
        let name = scenario
            .source_path
            .as_deref()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario.toml".into());
        let path = folder.file(&name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// The clock of a run: `--start/--end`, else the scenario's, else the data's span. A clock
/// that runs more than the longest lookback outside the data is refused: its steps would
/// replay nothing (and a far end would allocate without bound).
pub fn clock_of(
    scenario: &Scenario,
    opts_start: Option<i64>,
    opts_end: Option<i64>,
    data: (i64, i64),
) -> Result<Vec<i64>, InputError> {
    let start = opts_start.or(scenario.start).unwrap_or(data.0);
    let end = opts_end.or(scenario.end).unwrap_or(data.1);
    let slack = scenario.policies.iter().map(|p| p.lookback_ms()).max().unwrap_or(0).max(scenario.step_ms);
    clock::within_data(start, end, data, slack)?;
    clock::steps(start, end, scenario.step_ms)
}

pub fn run(scenario: &Scenario, opts: &RunOptions) -> anyhow::Result<RunOutput> {
    if scenario.population.is_some() || !scenario.adversaries.is_empty() || scenario.runs > 1 {
        return run_monte_carlo(scenario, opts);
    }
    let target = folder::target(opts.out.as_deref(), &scenario.name)?;
    folder::refuse_inputs_inside(&target, scenario.inputs())?;
    let t_read = Instant::now();
    let mut notes = Notes::default();
    // Inputs are read before the output folder exists, so an input inside it is never touched.
    let set = match scenario.ledgers.as_slice() {
        [dir] if dir.is_dir() => None,
        files => Some(load_files(files, scenario.lenient, &mut notes)?),
    };
    // Ingest ends in the columnar store (DESIGN.md: ingest once), as each snapshot's does: it
    // is built while the side tables are read, and the replay stage starts from it.
    let (files, (sides, digests)) = rayon::join(
        || set.map(|set| (Store::from_set(&set), set)),
        || {
            rayon::join(
                || -> Result<_, InputError> {
                    let buckets: Option<History<Status>> =
                        scenario.buckets.as_deref().map(sources::read_buckets).transpose()?;
                    let collateral: Option<History<f64>> =
                        scenario.collateral.as_deref().map(sources::read_collateral).transpose()?;
                    Ok((buckets, collateral))
                },
                || input_digests(scenario),
            )
        },
    );
    let (buckets, collateral) = sides?;
    let data = match files {
        Some((store, set)) => Data::Files(set, store),
        None => Data::Snapshots(sources::list_snapshots(&scenario.ledgers[0])?),
    };
    if let Data::Files(set, _) = &data {
        old_layout_note(set, scenario, &mut notes);
    }
    let calibration = sibling_calibration(scenario, &digests, &mut notes);
    let (data_start, data_end) = match &data {
        Data::Files(set, _) => montecarlo::data_span(set)
            .ok_or_else(|| InputError::Usage("the ledgers hold no checkpoint: nothing to replay".into()))?,
        Data::Snapshots(s) => (s[0].taken_ms, s[s.len() - 1].taken_ms),
    };
    let steps = clock_of(scenario, opts.start, opts.end, (data_start, data_end))?;
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
    let mut folder = RunFolder::begin(&target)?;
    let read_secs = t_read.elapsed().as_secs_f64();

    // The replay stage has both cores (its prelude and walk run side by side). Then the steps
    // table is written beside the gaming watch, which reads only the ledgers, and the report,
    // which reads the watch's findings (the writer works on its own handle of the table).
    let replayed = replay_data(scenario, &data, buckets.as_ref(), collateral.as_ref(), &steps, data_end, opts.quiet)?;
    let Replayed { df, fidelity, served_by, extra_read, replay_secs, notes: replay_notes } = replayed;
    notes.extend(replay_notes);
    let table = table_paths(&mut folder, "steps");
    copy_scenario(scenario, &mut folder)?;
    let mut to_write = df.clone();
    let (reported, written) = rayon::join(
        || -> anyhow::Result<(Summary, serde_json::Value)> {
            let t_watch = Instant::now();
            let watch = match &data {
                Data::Files(set, _) => Some(gaming_watch(scenario, set, collateral.as_ref(), buckets.as_ref())),
                Data::Snapshots(_) => None,
            };
            let watch_secs = t_watch.elapsed().as_secs_f64();
            // The ledgers and their store are done with: the report's memory reuses theirs.
            drop(data);
            let specific = serde_json::json!({
                "emission": {
                    "pool_alpha_per_day": scenario.pool.to_string(),
                    "alpha_to_usd": scenario.price.to_string(),
                },
                "emission_fidelity": fidelity,
                "calibration": calibration,
                "gaming_watch": watch,
                "input_sha256": digests,
                "snapshot_per_step": steps.iter().zip(&served_by).map(|(t, s)| serde_json::json!({"at_ms": t, "source": s})).collect::<Vec<_>>(),
                "seconds": {"read": read_secs + extra_read, "replay": replay_secs, "gaming_watch": watch_secs},
            });
            finish(&mut folder, scenario, opts, &steps, &notes, specific, &df)
        },
        || -> anyhow::Result<f64> {
            let t_write = Instant::now();
            write_table_at(&mut to_write, &table)?;
            Ok(t_write.elapsed().as_secs_f64())
        },
    );
    let (summary, mut run) = reported?;
    run["seconds"]["write"] = serde_json::json!(written?);
    write_run_json(&folder, &run)?;
    let dir = folder.commit()?;
    Ok(RunOutput { dir, summary, rows: df.height(), outcome_summaries: Vec::new(), notes })
}

/// What the replay of a run's data produced, with its own notes and timings.
struct Replayed {
    df: DataFrame,
    fidelity: Option<crate::metrics::fidelity::Fidelity>,
    served_by: Vec<String>,
    /// Seconds spent reading snapshots during the replay (the read's, not the replay's).
    extra_read: f64,
    replay_secs: f64,
    notes: Notes,
}

/// The replay stage of a plain run: one ledger set, or a snapshot directory read as it goes.
fn replay_data(
    scenario: &Scenario,
    data: &Data,
    buckets: Option<&History<Status>>,
    collateral: Option<&History<f64>>,
    steps: &[i64],
    data_end: i64,
    quiet: bool,
) -> anyhow::Result<Replayed> {
    let t_replay = Instant::now();
    let mut notes = Notes::default();
    let len = (steps.len() * scenario.policies.len()) as u64;
    let bar = crate::progress::bar(quiet, len, "policy-steps", format!("replay {}", scenario.name));
    let tick = |n: u64| bar.inc(n);
    let mut served_by: Vec<String> = vec![String::new(); steps.len()];
    let mut extra_read = 0.0;
    let (df, fidelity) = match data {
        Data::Files(_, store) => {
            let stage = replay_set(scenario, store, buckets, collateral, steps, data_end, &tick)?;
            let label = scenario.ledgers.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
            served_by.iter_mut().for_each(|s| *s = label.clone());
            notes.extend(stage.notes);
            (stage.frame, Some(stage.fidelity))
        }
        Data::Snapshots(snaps) => {
            let mut engine = engine_for(scenario, steps, buckets, collateral)?;
            // Each snapshot is a new store: the closed loop carries its payments across them.
            engine.keep_credits = true;
            for (i, snap) in snaps.iter().enumerate() {
                let until = snaps.get(i + 1).map(|s| s.taken_ms).unwrap_or(i64::MAX);
                let a = steps.partition_point(|&t| t < snap.taken_ms);
                let b = steps.partition_point(|&t| t < until);
                if a >= b {
                    continue;
                }
                let t = Instant::now();
                let set = load_files(std::slice::from_ref(&snap.path), scenario.lenient, &mut notes)?;
                let newest = montecarlo::data_span(&set).map(|s| s.1).unwrap_or(snap.taken_ms);
                let store = Store::from_set(&set);
                drop(set);
                extra_read += t.elapsed().as_secs_f64();
                engine.run_segment(&store, a..b, newest, &tick)?;
                for s in &mut served_by[a..b] {
                    *s = snap.path.display().to_string();
                }
            }
            let em = Emission::of(&engine, &scenario.pool, &scenario.price);
            notes.extend(engine.notes());
            notes.extend(em.notes(steps));
            (results::frame(&engine, &em, 0)?, None)
        }
    };
    bar.finish_and_clear();
    let replay_secs = t_replay.elapsed().as_secs_f64() - extra_read;

    Ok(Replayed { df, fidelity, served_by, extra_read, replay_secs, notes })
}

/// What every run of a Monte Carlo scenario (or sweep) starts from, and the notes of reading it.
pub fn load_base(scenario: &Scenario, notes: &mut Notes) -> anyhow::Result<Base> {
    if scenario.ledgers.len() == 1 && scenario.ledgers[0].is_dir() {
        return Err(InputError::Usage(
            "snapshot directories replay one history: they do not combine with runs, adversaries or sweeps".into(),
        )
        .into());
    }
    Ok(match &scenario.population {
        Some(p) => Base::Synthetic(p.clone()),
        None => Base::Files {
            set: load_files(&scenario.ledgers, scenario.lenient, notes)?,
            buckets: scenario.buckets.as_deref().map(sources::read_buckets).transpose()?,
            collateral: scenario.collateral.as_deref().map(sources::read_collateral).transpose()?,
        },
    })
}

/// The steps of a Monte Carlo run, sweep or attack over `base`.
pub fn base_steps(scenario: &Scenario, base: &Base, start: Option<i64>, end: Option<i64>) -> anyhow::Result<Vec<i64>> {
    let span = montecarlo::span(base)
        .ok_or_else(|| InputError::Usage("the ledgers hold no checkpoint: nothing to replay".into()))?;
    Ok(clock_of(scenario, start, end, span)?)
}

/// Monte Carlo (and any scenario with a synthetic population or adversaries): `runs` runs in
/// parallel, merged in run order. The long table is run 0's; outcomes cover every run.
fn run_monte_carlo(scenario: &Scenario, opts: &RunOptions) -> anyhow::Result<RunOutput> {
    use rayon::prelude::*;
    let target = folder::target(opts.out.as_deref(), &scenario.name)?;
    folder::refuse_inputs_inside(&target, scenario.inputs())?;
    let t_read = Instant::now();
    let mut notes = Notes::default();
    let (base, digests) = rayon::join(|| load_base(scenario, &mut notes), || input_digests(scenario));
    let base = base?;
    let file_calibration = sibling_calibration(scenario, &digests, &mut notes);
    let steps = base_steps(scenario, &base, opts.start, opts.end)?;
    let mut folder = RunFolder::begin(&target)?;
    let read_secs = t_read.elapsed().as_secs_f64();

    let t_replay = Instant::now();
    let bar = crate::progress::bar(opts.quiet, scenario.runs as u64, "runs", format!("monte carlo {}", scenario.name));
    let baseline = scenario.policies[0].name.clone();
    // `runs = "auto"` adds runs (half as many again each time, seeds continuing) until every
    // effect's standard error is within a tenth of it, or the bound is reached.
    let mut runs: Vec<montecarlo::RunResult> = Vec::new();
    let mut wanted = scenario.runs;
    let (over_runs, mut imprecise) = loop {
        let batch: Vec<montecarlo::RunResult> = (runs.len()..wanted)
            .into_par_iter()
            .map(|i| {
                let r = montecarlo::run_one(scenario, &base, &steps, i, i == 0);
                bar.inc(1);
                r
            })
            .collect::<anyhow::Result<_>>()?;
        runs.extend(batch);
        let over_runs = over_runs(scenario, &runs, &baseline);
        let outcomes: Vec<outcome::Outcome> = runs.iter().flat_map(|r| r.outcomes.iter().cloned()).collect();
        let imprecise = crate::metrics::precision::warnings(
            Some(&serde_json::Value::Object(over_runs.clone())),
            &baseline,
            &outcome::summarize(&outcomes),
        );
        match scenario.runs_auto {
            Some(max) if !imprecise.is_empty() && wanted < max => {
                wanted = (wanted + wanted.div_ceil(2)).min(max);
                bar.set_length(wanted as u64);
            }
            _ => break (over_runs, imprecise),
        }
    };
    bar.finish_and_clear();
    let auto = scenario.runs_auto.map(|max| {
        serde_json::json!({
            "max_runs": max,
            "runs": runs.len(),
            "precise": imprecise.is_empty(),
            "rule": format!("add runs until every effect's standard error is within {:.0}% of it", 100.0 * crate::metrics::adversary::PRECISE_SHARE),
        })
    });
    if scenario.runs_auto.is_some() && !imprecise.is_empty() {
        imprecise.insert(0, crate::metrics::precision::auto_stopped(runs.len()));
    }
    let run_count = runs.len();
    let mut outcomes = Vec::new();
    let mut first = None;
    let mut calibration = None;
    for r in runs {
        if first.is_none() {
            first = Some(r.frame);
            notes.extend(r.notes);
            calibration = r.calibration;
        }
        outcomes.extend(r.outcomes);
    }
    let mut df = first.flatten().ok_or_else(|| anyhow::anyhow!("run 0 kept no table"))?;
    let outcome_summaries = outcome::summarize(&outcomes);
    let replay_secs = t_replay.elapsed().as_secs_f64();

    let t_write = Instant::now();
    write_table(&mut df, &mut folder, "steps")?;
    let mut odf = outcome::outcomes_frame(&outcomes)?;
    write_table(&mut odf, &mut folder, "outcomes")?;
    copy_scenario(scenario, &mut folder)?;
    let write_secs = t_write.elapsed().as_secs_f64();
    let specific = serde_json::json!({
        "input_sha256": digests,
        "seed": scenario.seed,
        "runs": run_count,
        "runs_auto": auto,
        "precision": imprecise,
        "run_seeds": "run i draws its population and adversaries from (seed, i); the long table is run 0's",
        "inputs": {"population": scenario.population},
        "adversaries": scenario.adversaries,
        "outcome_summary": outcome_summaries,
        "policy_metrics_over_runs": over_runs,
        "calibration": calibration
            .map(|c| serde_json::json!({"source": "run 0's population", "calibration": c}))
            .or(file_calibration),
        "seconds": {"read": read_secs, "replay": replay_secs, "write": write_secs},
    });
    let (summary, run) = finish(&mut folder, scenario, opts, &steps, &notes, specific, &df)?;
    write_run_json(&folder, &run)?;
    let dir = folder.commit()?;
    Ok(RunOutput { dir, summary, rows: df.height(), outcome_summaries, notes })
}

/// Per policy and metric, the band over every run; for a candidate also the band of its
/// per-run difference from the baseline (runs share their populations, so the paired
/// difference is what the runs can tell apart).
fn over_runs(
    scenario: &Scenario,
    runs: &[montecarlo::RunResult],
    baseline: &str,
) -> serde_json::Map<String, serde_json::Value> {
    let value = |r: &montecarlo::RunResult, policy: &str, key: &str| {
        r.metrics.iter().find(|(p, _)| p == policy).and_then(|(_, m)| m.get(key).copied()).filter(|v| v.is_finite())
    };
    scenario
        .policies
        .iter()
        .map(|p| {
            let bands: serde_json::Map<String, serde_json::Value> = OVER_RUNS
                .iter()
                .map(|k| {
                    let v: Vec<f64> = runs.iter().filter_map(|r| value(r, &p.name, k)).collect();
                    let d: Vec<f64> =
                        runs.iter().filter_map(|r| Some(value(r, &p.name, k)? - value(r, baseline, k)?)).collect();
                    let mut band = serde_json::json!(outcome::Band::of(&v));
                    if p.name != baseline
                        && let Some(b) = outcome::Band::of(&d)
                    {
                        band["difference"] = serde_json::json!(b);
                    }
                    (k.to_string(), band)
                })
                .collect();
            (p.name.clone(), serde_json::Value::Object(bands))
        })
        .collect()
}

/// The metrics a Monte Carlo run reports over all its runs (mean and 5–95% band).
const OVER_RUNS: &[&str] = &[
    "reward_score_spearman",
    "share_at_floor",
    "share_at_ceiling",
    "dust_share",
    "burn_share",
    "churn",
    "gini",
    "reward_usd_miners",
    "steps_with_violations",
];

/// Writes `run.json` (what every run records, plus `specific`, whose `inputs` extend the
/// common ones; the read's `input_sha256` comes in it), then the report beside the tables.
/// Returns the summary, and `run.json` with the report's seconds and every file of the run
/// (`dustlab report DIR` reads only those) for the caller to write when its own writing is
/// done: the report may be built while the tables are still being written.
fn finish(
    folder: &mut RunFolder,
    scenario: &Scenario,
    opts: &RunOptions,
    steps: &[i64],
    notes: &Notes,
    specific: serde_json::Value,
    steps_table: &DataFrame,
) -> anyhow::Result<(Summary, serde_json::Value)> {
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
        "clock": {"start_ms": steps[0], "end_ms": steps[steps.len() - 1], "step_ms": scenario.step_ms, "steps": steps.len()},
        "policies": scenario.policies,
        "feedback": scenario.feedback.to_string(),
        // The engine's own rule; a synthetic population brings its true bucket history.
        "present_rule": crate::replay::engine::PresentRule::of(
            scenario.buckets.is_some() || scenario.population.is_some(),
            scenario.metagraphs.as_ref()
        )
        .to_string(),
        "data_notes": notes,
    });
    // The release in force at every step, when a policy is paid by production's schedule.
    if scenario.policies.iter().any(|p| p.payout == "production") {
        let schedule = crate::policy::payout::schedule::Schedule::production();
        run["era_per_step"] = steps
            .iter()
            .map(|&t| {
                let release = schedule.era_at(t).map(|i| schedule.eras[i].release.clone());
                serde_json::json!({"at_ms": t, "release": release})
            })
            .collect();
    }
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
    folder.record("run.json");
    run["files"] = serde_json::json!(folder.files());
    write_run_json(folder, &run)?;
    let t = Instant::now();
    let written = crate::report::build_with(folder.dir(), &crate::report::ReportOptions::default(), Some(steps_table))?;
    for f in &written.files {
        folder.record(f);
    }
    run["seconds"]["report"] = serde_json::json!(t.elapsed().as_secs_f64());
    run["files"] = serde_json::json!(folder.files());
    Ok((written.summary, run))
}

/// `run.json` as it stands.
fn write_run_json(folder: &RunFolder, run: &serde_json::Value) -> anyhow::Result<()> {
    let path = folder.dir().join("run.json");
    std::fs::write(&path, serde_json::to_string_pretty(run)?)
        .with_context(|| format!("cannot write {}", path.display()))
}
