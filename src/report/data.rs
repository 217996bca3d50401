//! What a report is built from: a run directory's tables and `run.json`, read back so a
//! report can be rebuilt (restyled, re-sliced) without rerunning the replay.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::InputError;
use crate::metrics::adversary::Outcome;
use crate::policy::DustPolicy;
use crate::replay::engine::Interner;

/// A text column as dense ids into its distinct values, numbered in order of first
/// appearance: the report groups and compares rows by these ids, and a string per row (a
/// 48-byte hotkey, allocated and hashed once per row) was a fifth of a replay's report.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    pub values: Interner,
    pub ids: Vec<u32>,
}

impl Labels {
    /// The distinct values, by id.
    pub fn names(&self) -> &[String] {
        &self.values.names
    }

    /// The id of a value, if any row holds it.
    pub fn id(&self, name: &str) -> Option<u32> {
        self.values.get(name)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// The long table, column by column.
pub struct Steps {
    pub policy: Labels,
    pub at_ms: Vec<i64>,
    pub hotkey: Labels,
    pub bucket: Labels,
    pub window_score: Vec<f64>,
    pub dust: Vec<f64>,
    pub payout: Vec<f64>,
    /// The debt term compared with dust (0 for runs written before the column existed).
    pub debt: Vec<f64>,
    pub final_w: Vec<f64>,
    pub reward_alpha: Vec<f64>,
    pub reward_usd: Vec<f64>,
    pub baseline_usd: Vec<f64>,
    pub delta_usd: Vec<f64>,
}

pub struct RunDir {
    pub dir: PathBuf,
    pub run: serde_json::Value,
    pub policies: Vec<DustPolicy>,
    pub steps: Steps,
    pub outcomes: Vec<Outcome>,
    /// The scenario file copied beside the tables (None for the quick form).
    pub scenario_text: Option<String>,
}

fn col_str(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    let s = df.column(name)?.cast(&DataType::String)?;
    Ok(s.as_materialized_series().str()?.iter().map(|v| v.unwrap_or_default().to_string()).collect())
}

/// A text column as [`Labels`] (a null reads as the empty string, as [`col_str`] reads it).
fn col_labels(df: &DataFrame, name: &str) -> PolarsResult<Labels> {
    let s = df.column(name)?.cast(&DataType::String)?;
    let ca = s.as_materialized_series().str()?;
    let mut out = Labels { values: Interner::default(), ids: Vec::with_capacity(ca.len()) };
    for v in ca.iter() {
        out.ids.push(out.values.id(v.unwrap_or_default()));
    }
    Ok(out)
}

fn col_f64(df: &DataFrame, name: &str) -> PolarsResult<Vec<f64>> {
    let s = df.column(name)?.cast(&DataType::Float64)?;
    Ok(s.as_materialized_series().f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

fn col_opt(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    let s = df.column(name)?.cast(&DataType::Float64)?;
    Ok(s.as_materialized_series().f64()?.iter().collect())
}

fn read_parquet(path: &Path) -> Result<DataFrame, InputError> {
    crate::ledger::table::read_parquet_frame(path).map_err(|m| InputError::file(path.display(), m))
}

impl RunDir {
    pub fn load(dir: &Path) -> anyhow::Result<RunDir> {
        RunDir::load_with(dir, None)
    }

    /// The run folder, with its steps table given where the caller still holds it (a run
    /// building its own report), rather than read back from `steps.parquet`.
    pub fn load_with(dir: &Path, steps: Option<&DataFrame>) -> anyhow::Result<RunDir> {
        let run_path = dir.join("run.json");
        let text = std::fs::read_to_string(&run_path).map_err(|e| {
            InputError::file(run_path.display(), format!("cannot read ({e}): is this a dustlab run directory?"))
        })?;
        let run: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| InputError::file(run_path.display(), format!("invalid JSON: {e}")))?;
        let policies: Vec<DustPolicy> = serde_json::from_value(run["policies"].clone())
            .map_err(|e| InputError::file(run_path.display(), format!("field `policies`: {e}")))?;
        // Only the files this run wrote: a folder never mixes runs, and a leftover from an
        // earlier run (outcomes of a Monte Carlo run, say) is never read as this run's.
        let listed: Option<Vec<String>> =
            run["files"].as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect());
        let has = |name: &str| match &listed {
            Some(l) => l.iter().any(|f| f == name),
            None => dir.join(name).exists(),
        };
        if !has("steps.parquet") {
            return Err(InputError::file(run_path.display(), "lists no steps.parquet: not a replay run folder").into());
        }
        let read;
        let df = match steps {
            Some(df) => df,
            None => {
                read = read_parquet(&dir.join("steps.parquet"))?;
                &read
            }
        };
        let err = |e: PolarsError| InputError::file(dir.join("steps.parquet").display(), e);
        let steps = Steps {
            policy: col_labels(df, "policy").map_err(err)?,
            at_ms: df
                .column("at_ms")
                .and_then(|c| Ok(c.as_materialized_series().i64()?.iter().map(|v| v.unwrap_or(0)).collect()))
                .map_err(err)?,
            hotkey: col_labels(df, "hotkey").map_err(err)?,
            bucket: col_labels(df, "bucket").map_err(err)?,
            window_score: col_f64(df, "window_score").map_err(err)?,
            dust: col_f64(df, "dust_weight").map_err(err)?,
            payout: col_f64(df, "payout_weight").map_err(err)?,
            debt: if df.column("debt_weight").is_ok() {
                col_f64(df, "debt_weight").map_err(err)?
            } else {
                vec![0.0; df.height()]
            },
            final_w: col_f64(df, "final_weight").map_err(err)?,
            reward_alpha: col_f64(df, "reward_alpha").map_err(err)?,
            reward_usd: col_f64(df, "reward_usd").map_err(err)?,
            baseline_usd: col_f64(df, "baseline_reward_usd").map_err(err)?,
            delta_usd: col_f64(df, "delta_usd").map_err(err)?,
        };
        let outcomes_path = dir.join("outcomes.parquet");
        let outcomes = if has("outcomes.parquet") { read_outcomes(&outcomes_path)? } else { Vec::new() };
        let scenario_text = run["scenario_file"]
            .as_str()
            .and_then(|p| Path::new(p).file_name().map(|n| dir.join(n)))
            .and_then(|p| std::fs::read_to_string(p).ok());
        Ok(RunDir { dir: dir.to_path_buf(), run, policies, steps, outcomes, scenario_text })
    }
}

fn read_outcomes(path: &Path) -> anyhow::Result<Vec<Outcome>> {
    let df = read_parquet(path)?;
    let err = |e: PolarsError| InputError::file(path.display(), e);
    let run = df.column("run").and_then(|c| c.cast(&DataType::UInt32)).map_err(err)?;
    let run: Vec<u32> = run.as_materialized_series().u32().map_err(err)?.iter().map(|v| v.unwrap_or(0)).collect();
    let caught = df.column("caught").map_err(err)?;
    let caught: Vec<bool> =
        caught.as_materialized_series().bool().map_err(err)?.iter().map(|v| v.unwrap_or(false)).collect();
    let (policy, adversary, strategy) = (
        col_str(&df, "policy").map_err(err)?,
        col_str(&df, "adversary").map_err(err)?,
        col_str(&df, "strategy").map_err(err)?,
    );
    let f = |n: &str| col_f64(&df, n).map_err(err);
    let o = |n: &str| col_opt(&df, n).map_err(err);
    let (reward, twin, share, excess, costs, tcosts, coll) = (
        f("reward_usd")?,
        f("twin_reward_usd")?,
        f("reward_share")?,
        f("excess_usd")?,
        f("costs_usd")?,
        f("twin_costs_usd")?,
        f("collateral_usd")?,
    );
    let (pct, roi, troi, rival) = (o("excess_pct")?, o("roi")?, o("twin_roi")?, o("rival_position")?);
    // Columns added with the whale's damage measure: absent from older run folders.
    let later = |n: &str| -> Result<Vec<Option<f64>>, InputError> {
        if df.get_column_names().iter().any(|c| c.as_str() == n) { o(n) } else { Ok(vec![None; df.height()]) }
    };
    let (rivals, loss, loss_pct, gain, tgain) = (
        later("rivals_reward_usd")?,
        later("rivals_loss_usd")?,
        later("rivals_loss_pct")?,
        later("gain_per_usd")?,
        later("twin_gain_per_usd")?,
    );
    Ok((0..df.height())
        .map(|i| Outcome {
            run: run[i],
            policy: policy[i].clone(),
            adversary: adversary[i].clone(),
            strategy: strategy[i].clone(),
            reward_usd: reward[i],
            twin_reward_usd: twin[i],
            reward_share: share[i],
            excess_usd: excess[i],
            excess_pct: pct[i],
            costs_usd: costs[i],
            twin_costs_usd: tcosts[i],
            collateral_usd: coll[i],
            roi: roi[i],
            twin_roi: troi[i],
            caught: caught[i],
            rival_position: rival[i],
            rivals_reward_usd: rivals[i].unwrap_or(0.0),
            rivals_loss_usd: loss[i],
            rivals_loss_pct: loss_pct[i],
            gain_per_usd: gain[i],
            twin_gain_per_usd: tgain[i],
        })
        .collect())
}
