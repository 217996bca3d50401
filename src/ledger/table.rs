//! Parquet and CSV tables: one row per checkpoint, the validator's flat field names plus
//! `hotkey`. A ledger with no checkpoints is kept as one row whose `timestamp_ms` is null, so
//! every ledger of a file survives a round trip (they all take part in production weights).

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use polars::prelude::*;
use rayon::prelude::*;

use super::model::{Checkpoint, Ledger, LedgerSet, Status};

type Get = fn(&Checkpoint) -> Option<f64>;
type Set = fn(&mut Checkpoint, Option<f64>);

/// Float columns in table order: name, getter, setter (None → the validator's default).
const FLOATS: &[(&str, Get, Set)] = &[
    ("chunk_emissions_alpha", |c| Some(c.chunk_emissions_alpha), |c, v| c.chunk_emissions_alpha = v.unwrap_or(0.0)),
    ("chunk_emissions_tao", |c| Some(c.chunk_emissions_tao), |c, v| c.chunk_emissions_tao = v.unwrap_or(0.0)),
    ("chunk_emissions_usd", |c| Some(c.chunk_emissions_usd), |c, v| c.chunk_emissions_usd = v.unwrap_or(0.0)),
    ("avg_alpha_to_tao_rate", |c| Some(c.avg_alpha_to_tao_rate), |c, v| c.avg_alpha_to_tao_rate = v.unwrap_or(0.0)),
    ("avg_tao_to_usd_rate", |c| Some(c.avg_tao_to_usd_rate), |c, v| c.avg_tao_to_usd_rate = v.unwrap_or(0.0)),
    ("tao_balance_snapshot", |c| Some(c.tao_balance_snapshot), |c, v| c.tao_balance_snapshot = v.unwrap_or(0.0)),
    ("alpha_balance_snapshot", |c| Some(c.alpha_balance_snapshot), |c, v| c.alpha_balance_snapshot = v.unwrap_or(0.0)),
    ("portfolio_return", |c| Some(c.portfolio_return), |c, v| c.portfolio_return = v.unwrap_or(1.0)),
    ("pnl_gain", |c| c.pnl_gain, |c, v| c.pnl_gain = v),
    ("pnl_loss", |c| c.pnl_loss, |c, v| c.pnl_loss = v),
    ("realized_pnl", |c| c.realized_pnl, |c, v| c.realized_pnl = v),
    ("unrealized_pnl", |c| c.unrealized_pnl, |c, v| c.unrealized_pnl = v),
    ("net_pnl", |c| Some(c.net_pnl()), |c, v| c.stored_net_pnl = v),
    ("spread_fee_loss", |c| Some(c.spread_fee_loss), |c, v| c.spread_fee_loss = v.unwrap_or(0.0)),
    ("carry_fee_loss", |c| Some(c.carry_fee_loss), |c, v| c.carry_fee_loss = v.unwrap_or(0.0)),
    ("cumulative_fees_usd", |c| c.cumulative_fees_usd, |c, v| c.cumulative_fees_usd = v),
    ("max_drawdown", |c| Some(c.max_drawdown), |c, v| c.max_drawdown = v.unwrap_or(1.0)),
    ("max_portfolio_value", |c| Some(c.max_portfolio_value), |c, v| c.max_portfolio_value = v.unwrap_or(0.0)),
    ("drawdown_penalty", |c| Some(c.drawdown_penalty), |c, v| c.drawdown_penalty = v.unwrap_or(1.0)),
    ("risk_profile_penalty", |c| Some(c.risk_profile_penalty), |c, v| c.risk_profile_penalty = v.unwrap_or(1.0)),
    ("min_collateral_penalty", |c| Some(c.min_collateral_penalty), |c, v| c.min_collateral_penalty = v.unwrap_or(1.0)),
    (
        "risk_adjusted_performance_penalty",
        |c| Some(c.risk_adjusted_performance_penalty),
        |c, v| c.risk_adjusted_performance_penalty = v.unwrap_or(1.0),
    ),
    ("total_penalty", |c| Some(c.total_penalty), |c, v| c.total_penalty = v.unwrap_or(1.0)),
];

type GetI = fn(&Checkpoint) -> i64;
type SetI = fn(&mut Checkpoint, i64);
const INTS: &[(&str, GetI, SetI)] = &[
    ("open_ms", |c| c.open_ms, |c, v| c.open_ms = v),
    ("accum_ms", |c| c.accum_ms, |c, v| c.accum_ms = v),
    ("n_updates", |c| c.n_updates, |c, v| c.n_updates = v),
];

/// Columns a table must have: identity, time, and what scoring reads. The rest default.
const REQUIRED: &[&str] =
    &["hotkey", "timestamp_ms", "chunk_emissions_usd", "total_penalty", "challenge_period_status"];

/// Builds the flat table of a ledger set.
pub fn to_frame(set: &LedgerSet) -> PolarsResult<DataFrame> {
    let rows: Vec<(&str, Option<&Checkpoint>)> = set
        .ledgers
        .iter()
        .flat_map(|l| {
            let hk = l.hotkey.as_str();
            let cps: Vec<_> =
                if l.checkpoints.is_empty() { vec![None] } else { l.checkpoints.iter().map(Some).collect() };
            cps.into_iter().map(move |c| (hk, c))
        })
        .collect();
    let mut cols: Vec<Column> = Vec::with_capacity(FLOATS.len() + 6);
    cols.push(Column::new("hotkey".into(), rows.iter().map(|r| r.0).collect::<Vec<_>>()));
    cols.push(Column::new("timestamp_ms".into(), rows.iter().map(|r| r.1.map(|c| c.timestamp_ms)).collect::<Vec<_>>()));
    for (name, get, _) in FLOATS {
        cols.push(Column::new((*name).into(), rows.iter().map(|r| r.1.and_then(get)).collect::<Vec<_>>()));
    }
    for (name, get, _) in INTS {
        cols.push(Column::new((*name).into(), rows.iter().map(|r| r.1.map(get)).collect::<Vec<_>>()));
    }
    cols.push(Column::new(
        "challenge_period_status".into(),
        rows.iter().map(|r| r.1.map(|c| c.status.as_str())).collect::<Vec<_>>(),
    ));
    DataFrame::new(rows.len(), cols)
}

/// Reads the flat table back into ledgers, grouping rows by hotkey in order of first
/// appearance and keeping row order within a hotkey.
pub fn from_frame(df: &DataFrame) -> Result<LedgerSet, String> {
    let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    let missing: Vec<&str> = REQUIRED.iter().copied().filter(|r| !names.iter().any(|n| n == r)).collect();
    if !missing.is_empty() {
        return Err(format!("missing required column(s): {} (found: {})", missing.join(", "), names.join(", ")));
    }
    let has_pnl = |a: &str, b: &str| names.iter().any(|n| n == a) && names.iter().any(|n| n == b);
    if !has_pnl("pnl_gain", "pnl_loss") && !has_pnl("realized_pnl", "unrealized_pnl") {
        return Err("missing PnL columns: need pnl_gain and pnl_loss (or realized_pnl and unrealized_pnl)".into());
    }
    let err = |e: PolarsError| e.to_string();
    let string_col = |name: &str| -> Result<StringChunked, String> {
        let s = df.column(name).map_err(err)?.cast(&DataType::String).map_err(err)?;
        Ok(s.as_materialized_series().str().map_err(err)?.clone())
    };
    // Numeric columns as single-chunk Float64 arrays, refusing values a cast would null.
    let numeric = |name: &str| -> Result<Series, String> {
        let col = df.column(name).map_err(err)?;
        let s = col.cast(&DataType::Float64).map_err(|e| format!("column `{name}`: not numeric ({e})"))?;
        if s.null_count() != col.null_count() {
            let row = (0..col.len()).find(|&i| {
                !col.get(i).map(|v| v.is_null()).unwrap_or(true) && s.get(i).map(|v| v.is_null()).unwrap_or(false)
            });
            return Err(format!("column `{name}`: non-numeric value at row {}", row.map(|r| r + 1).unwrap_or(0)));
        }
        Ok(s.as_materialized_series().rechunk())
    };
    let hotkeys = string_col("hotkey")?;
    let status = string_col("challenge_period_status")?;
    let ts_series = numeric("timestamp_ms")?;
    let ts = Dense::of(&ts_series)?;
    let float_series: Vec<(Set, Series)> = FLOATS
        .iter()
        .filter(|(name, _, _)| names.iter().any(|n| n == name))
        .map(|(name, _, set)| Ok((*set, numeric(name)?)))
        .collect::<Result<_, String>>()?;
    let int_series: Vec<(&str, SetI, Series)> = INTS
        .iter()
        .filter(|(name, _, _)| names.iter().any(|n| n == name))
        .map(|(name, _, set)| Ok((*name, *set, numeric(name)?)))
        .collect::<Result<_, String>>()?;
    let floats: Vec<(Set, Dense)> =
        float_series.iter().map(|(set, s)| Ok((*set, Dense::of(s)?))).collect::<Result<_, String>>()?;
    let ints: Vec<(&str, SetI, Dense)> =
        int_series.iter().map(|(n, set, s)| Ok((*n, *set, Dense::of(s)?))).collect::<Result<_, String>>()?;

    // Cells scoring reads may not be empty on a checkpoint row: a default would hide a gap.
    let required_null: Vec<(&str, Vec<bool>)> = ["chunk_emissions_usd", "total_penalty", "challenge_period_status"]
        .iter()
        .map(|name| {
            let col = df.column(name).map_err(err)?;
            let mask = col.is_null();
            let blank: Vec<bool> = if col.dtype() == &DataType::String {
                let strs = col.as_materialized_series().str().map_err(err)?.clone();
                strs.iter().map(|v| v.is_none_or(|x| x.trim().is_empty())).collect()
            } else {
                mask.iter().map(|v| v.unwrap_or(true)).collect()
            };
            Ok((*name, blank))
        })
        .collect::<Result<_, String>>()?;
    // Pass 1: ledgers in order of first appearance, each with its rows (hash only when the
    // hotkey changes: rows of one hotkey are usually adjacent).
    let mut out = LedgerSet::default();
    let mut rows_of: Vec<Vec<usize>> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut current: Option<(&str, usize)> = None;
    for (row, hk) in hotkeys.iter().enumerate() {
        let Some(hk) = hk else {
            return Err(format!("row {}: empty `hotkey`", row + 1));
        };
        let li = match current {
            Some((h, li)) if h == hk => li,
            _ => {
                let li = *index.entry(hk).or_insert_with(|| {
                    out.ledgers.push(Ledger { key: hk.to_string(), hotkey: hk.to_string(), checkpoints: Vec::new() });
                    rows_of.push(Vec::new());
                    out.ledgers.len() - 1
                });
                current = Some((hk, li));
                li
            }
        };
        match ts.get(row) {
            None => {} // a ledger without checkpoints
            Some(t) if t.is_finite() && t.fract() == 0.0 => {
                if let Some((name, _)) = required_null.iter().find(|(_, blank)| blank[row]) {
                    return Err(format!(
                        "row {} (hotkey {hk}, timestamp_ms {t}): field `{name}`: empty, but scoring reads it",
                        row + 1
                    ));
                }
                rows_of[li].push(row)
            }
            Some(t) => {
                return Err(format!(
                    "row {} (hotkey {hk}): field `timestamp_ms`: expected an integer, found {t}",
                    row + 1
                ));
            }
        }
    }
    // Pass 2, ledgers in parallel: each checkpoint filled column by column.
    let statuses: Vec<Option<&str>> = status.iter().collect();
    out.ledgers.par_iter_mut().zip(rows_of.par_iter()).try_for_each(|(ledger, rows)| {
        ledger.checkpoints = rows
            .iter()
            .map(|&row| {
                let mut cp = Checkpoint::new(ts.get(row).unwrap_or(0.0) as i64);
                cp.status = statuses[row].map(Status::parse).unwrap_or(Status::Unknown);
                cp
            })
            .collect();
        for (set, col) in &floats {
            for (cp, &row) in ledger.checkpoints.iter_mut().zip(rows) {
                set(cp, col.get(row));
            }
        }
        for (name, set, col) in &ints {
            for (cp, &row) in ledger.checkpoints.iter_mut().zip(rows) {
                match col.get(row) {
                    None => {}
                    Some(v) if v.is_finite() && v.fract() == 0.0 => set(cp, v as i64),
                    Some(v) => {
                        return Err(format!(
                            "row {} (hotkey {}): field `{name}`: expected an integer, found {v}",
                            row + 1,
                            ledger.hotkey
                        ));
                    }
                }
            }
        }
        Ok(())
    })?;
    Ok(out)
}

/// One numeric column as a contiguous slice with its validity, for O(1) access by row.
struct Dense<'a> {
    values: &'a [f64],
    /// Per-row validity, only for columns that have nulls.
    validity: Option<Vec<bool>>,
}

impl<'a> Dense<'a> {
    fn of(s: &'a Series) -> Result<Self, String> {
        let ca = s.f64().map_err(|e| e.to_string())?;
        match ca.downcast_iter().next() {
            Some(arr) => Ok(Dense {
                values: arr.values().as_slice(),
                validity: arr.validity().filter(|v| v.unset_bits() > 0).map(|v| v.iter().collect()),
            }),
            None => Ok(Dense { values: &[], validity: None }),
        }
    }
    #[inline]
    fn get(&self, row: usize) -> Option<f64> {
        match &self.validity {
            Some(v) if !v[row] => None,
            _ => Some(self.values[row]),
        }
    }
}

pub fn write_parquet(set: &LedgerSet, path: &Path) -> anyhow::Result<()> {
    let mut df = to_frame(set)?;
    write_parquet_frame(&mut df, path)
}

pub fn write_parquet_frame(df: &mut DataFrame, path: &Path) -> anyhow::Result<()> {
    let file = File::create(path)?;
    ParquetWriter::new(file).with_compression(ParquetCompression::Zstd(None)).finish(df)?;
    Ok(())
}

pub fn write_csv(set: &LedgerSet, path: &Path) -> anyhow::Result<()> {
    let mut df = to_frame(set)?;
    write_csv_frame(&mut df, path)
}

pub fn write_csv_frame(df: &mut DataFrame, path: &Path) -> anyhow::Result<()> {
    let mut file = File::create(path)?;
    CsvWriter::new(&mut file).include_header(true).finish(df)?;
    Ok(())
}

pub fn read_parquet_frame(path: &Path) -> Result<DataFrame, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    ParquetReader::new(file).finish().map_err(|e| format!("not a readable Parquet file ({e})"))
}

pub fn read_csv_frame(path: &Path) -> Result<DataFrame, String> {
    // Identity columns are text whatever they look like; the rest is inferred from the
    // whole file so a late decimal does not fail an integer guess.
    let schema = Schema::from_iter([
        Field::new("hotkey".into(), DataType::String),
        Field::new("challenge_period_status".into(), DataType::String),
    ]);
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(None)
        .with_schema_overwrite(Some(Arc::new(schema)))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(|r| r.finish())
        .map_err(|e| format!("not a readable CSV table ({e})"))
}
