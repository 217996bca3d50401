//! The sweep table: one row per (variant, run) with the swept knobs as `param_<knob>` columns
//! and every scalar metric of the report; written sorted, so shards merge byte for byte.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

use super::spec::Param;

/// One (variant, run) result.
#[derive(Debug, Clone)]
pub struct SweepRow {
    pub variant: String,
    pub variant_index: u32,
    pub run: u32,
    pub params: Vec<(String, Param)>,
    pub metrics: BTreeMap<String, f64>,
}

/// The table, rows sorted by (variant index, run); knob and metric columns in name order.
pub fn frame(rows: &mut [SweepRow]) -> PolarsResult<DataFrame> {
    rows.sort_by_key(|r| (r.variant_index, r.run));
    let n = rows.len();
    let mut knobs: BTreeMap<String, bool> = BTreeMap::new(); // knob → numeric?
    for r in rows.iter() {
        for (k, v) in &r.params {
            let numeric = matches!(v, Param::Number(_));
            knobs.entry(k.clone()).and_modify(|x| *x &= numeric).or_insert(numeric);
        }
    }
    let mut metric_names: Vec<&String> = rows.iter().flat_map(|r| r.metrics.keys()).collect();
    metric_names.sort();
    metric_names.dedup();
    let mut cols = vec![
        Column::new("variant".into(), rows.iter().map(|r| r.variant.as_str()).collect::<Vec<_>>()),
        Column::new("variant_index".into(), rows.iter().map(|r| r.variant_index).collect::<Vec<_>>()),
        Column::new("run".into(), rows.iter().map(|r| r.run).collect::<Vec<_>>()),
    ];
    for (knob, numeric) in &knobs {
        let name: PlSmallStr = format!("param_{knob}").into();
        let get = |r: &SweepRow| r.params.iter().find(|(k, _)| k == knob).map(|(_, v)| v.clone());
        if *numeric {
            cols.push(Column::new(
                name,
                rows.iter()
                    .map(|r| match get(r) {
                        Some(Param::Number(x)) => Some(x),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            ));
        } else {
            cols.push(Column::new(
                name,
                rows.iter()
                    .map(|r| {
                        get(r).map(|v| match v {
                            Param::Number(x) => x.to_string(),
                            Param::Text(s) => s,
                        })
                    })
                    .collect::<Vec<_>>(),
            ));
        }
    }
    for m in metric_names {
        cols.push(Column::new(m.as_str().into(), rows.iter().map(|r| r.metrics.get(m).copied()).collect::<Vec<_>>()));
    }
    DataFrame::new(n, cols)
}

/// Writes `sweep.parquet` and `sweep.csv` into `dir`.
pub fn write(df: &mut DataFrame, dir: &Path) -> anyhow::Result<()> {
    df.rechunk_mut();
    crate::ledger::table::write_parquet_frame(df, &dir.join("sweep.parquet"))?;
    crate::ledger::table::write_csv_frame(df, &dir.join("sweep.csv"))?;
    Ok(())
}

/// Merges shard outputs into the table one unsharded run writes.
pub fn merge(shards: &[&Path], out: &Path) -> anyhow::Result<usize> {
    let mut all: Option<DataFrame> = None;
    for dir in shards {
        let df = crate::ledger::table::read_parquet_frame(&dir.join("sweep.parquet"))
            .map_err(|m| crate::error::InputError::file(dir.join("sweep.parquet").display(), m))?;
        all = Some(match all {
            None => df,
            Some(mut a) => {
                a.vstack_mut(&df)
                    .map_err(|e| crate::error::InputError::Usage(format!("shards do not share columns: {e}")))?;
                a
            }
        });
    }
    let mut df =
        all.ok_or_else(|| crate::error::InputError::Usage("merge needs at least one shard directory".into()))?;
    df = df.sort(["variant_index", "run"], SortMultipleOptions::default())?;
    let rows = df.height();
    std::fs::create_dir_all(out)?;
    write(&mut df, out)?;
    // Variant configurations travel with the table.
    let mut variants: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for dir in shards {
        if let Ok(text) = std::fs::read_to_string(dir.join("variants.json"))
            && let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(&text)
        {
            variants.extend(m);
        }
    }
    std::fs::write(out.join("variants.json"), serde_json::to_string_pretty(&variants)?)?;
    Ok(rows)
}
