//! The sweep table: one row per (variant, run) with the swept knobs as `param_<knob>` columns
//! and every scalar metric of the report; written sorted, so shards merge byte for byte.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

use super::spec::Param;
use crate::error::InputError;

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

/// What a shard's `sweep.json` says about where it belongs.
struct ShardInfo {
    k: u64,
    n: u64,
    hash: String,
    variants: u64,
}

fn shard_info(dir: &Path) -> Result<ShardInfo, InputError> {
    let path = dir.join("sweep.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| InputError::file(path.display(), format!("cannot read ({e}): is this a sweep folder?")))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| InputError::file(path.display(), format!("invalid JSON: {e}")))?;
    let field = |k: &str| {
        v["shard"][k].as_u64().ok_or_else(|| {
            InputError::file(path.display(), format!("no shard.{k}: written by an older dustlab? rerun the shard"))
        })
    };
    Ok(ShardInfo {
        k: field("k")?,
        n: field("n")?,
        hash: v["sweep_hash"]
            .as_str()
            .ok_or_else(|| {
                InputError::file(path.display(), "no sweep_hash: written by an older dustlab? rerun the shard")
            })?
            .to_string(),
        variants: v["variants"].as_u64().unwrap_or(0),
    })
}

/// Merges shard outputs into the table one unsharded run writes. Every shard 1..N of one
/// sweep must be given exactly once; shards of different sweeps are refused.
pub fn merge(shards: &[&Path], out: &Path) -> anyhow::Result<usize> {
    if shards.is_empty() {
        return Err(InputError::Usage("merge needs at least one shard directory".into()).into());
    }
    let infos: Vec<ShardInfo> = shards.iter().map(|d| shard_info(d)).collect::<Result<_, _>>()?;
    let (n, hash) = (infos[0].n, infos[0].hash.clone());
    let mut seen: BTreeMap<u64, &Path> = BTreeMap::new();
    for (dir, info) in shards.iter().zip(&infos) {
        if info.hash != hash {
            return Err(InputError::Usage(format!(
                "{} belongs to another sweep than {} (sweep_hash differs): merge shards of one sweep only",
                dir.display(),
                shards[0].display()
            ))
            .into());
        }
        if info.n != n {
            return Err(InputError::Usage(format!(
                "{} is shard {}/{} but {} is of {n} shards",
                dir.display(),
                info.k,
                info.n,
                shards[0].display()
            ))
            .into());
        }
        if let Some(other) = seen.insert(info.k, dir) {
            return Err(InputError::Usage(format!(
                "shard {}/{n} given twice: {} and {}",
                info.k,
                other.display(),
                dir.display()
            ))
            .into());
        }
    }
    let missing: Vec<String> = (1..=n).filter(|k| !seen.contains_key(k)).map(|k| format!("{k}/{n}")).collect();
    if !missing.is_empty() {
        return Err(InputError::Usage(format!("missing shard(s) {}: merge needs all {n}", missing.join(", "))).into());
    }
    let mut all: Option<DataFrame> = None;
    for (dir, info) in shards.iter().zip(&infos) {
        if info.variants == 0 {
            continue;
        }
        let df = crate::ledger::table::read_parquet_frame(&dir.join("sweep.parquet"))
            .map_err(|m| InputError::file(dir.join("sweep.parquet").display(), m))?;
        all = Some(match all {
            None => df,
            Some(mut a) => {
                a.vstack_mut(&df).map_err(|e| InputError::Usage(format!("shards do not share columns: {e}")))?;
                a
            }
        });
    }
    let mut df = match all {
        Some(df) => df.sort(["variant_index", "run"], SortMultipleOptions::default())?,
        None => frame(&mut [])?,
    };
    let rows = df.height();
    let folder = crate::experiment::folder::RunFolder::begin(out)?;
    write(&mut df, folder.dir())?;
    // Variant configurations travel with the table.
    let mut variants: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for dir in shards {
        if let Ok(text) = std::fs::read_to_string(dir.join("variants.json"))
            && let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(&text)
        {
            variants.extend(m);
        }
    }
    std::fs::write(folder.dir().join("variants.json"), serde_json::to_string_pretty(&variants)?)?;
    folder.commit()?;
    Ok(rows)
}
