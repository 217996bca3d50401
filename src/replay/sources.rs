//! Side inputs of a replay: bucket and collateral histories, and dated ledger snapshots.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::InputError;
use crate::ledger::Status;
use crate::ledger::io::Format;
use crate::time::parse_time;

/// A per-hotkey history of values, each valid from its timestamp on.
#[derive(Debug, Clone, Default)]
pub struct History<T> {
    by_hotkey: HashMap<String, Vec<(i64, T)>>,
}

/// The latest value at or before `t` among time-ordered rows.
pub fn at_rows<T>(rows: &[(i64, T)], t: i64) -> Option<&T> {
    let j = rows.partition_point(|(ts, _)| *ts <= t);
    if j == 0 { None } else { Some(&rows[j - 1].1) }
}

impl<T: Clone> History<T> {
    pub fn new() -> Self {
        History { by_hotkey: HashMap::new() }
    }

    /// Adds a value valid from `ts` on (`i64::MIN`: for all time).
    pub fn insert(&mut self, hotkey: &str, ts: i64, value: T) {
        let v = self.by_hotkey.entry(hotkey.to_string()).or_default();
        let at = v.partition_point(|(t, _)| *t <= ts);
        v.insert(at, (ts, value));
    }

    /// The latest value at or before `t`.
    pub fn at(&self, hotkey: &str, t: i64) -> Option<&T> {
        at_rows(self.by_hotkey.get(hotkey)?, t)
    }

    /// A hotkey's rows, time-ordered: looked up once, then read at many instants with
    /// [`at_rows`] (a replay asks every miner at every step).
    pub fn rows(&self, hotkey: &str) -> Option<&[(i64, T)]> {
        self.by_hotkey.get(hotkey).map(Vec::as_slice)
    }

    pub fn hotkeys(&self) -> impl Iterator<Item = &String> {
        self.by_hotkey.keys()
    }

    /// The same history under other names (`rename` maps old → new; others keep theirs).
    pub fn renamed(&self, rename: &HashMap<String, String>) -> History<T> {
        History {
            by_hotkey: self
                .by_hotkey
                .iter()
                .map(|(h, v)| (rename.get(h).cloned().unwrap_or_else(|| h.clone()), v.clone()))
                .collect(),
        }
    }
}

fn read_table(path: &Path) -> Result<DataFrame, InputError> {
    let shown = path.display();
    let head = std::fs::read(path).map_err(|e| InputError::file(&shown, format!("cannot read: {e}")))?;
    if head.starts_with(b"PAR1") {
        crate::ledger::table::read_parquet_frame(path).map_err(|m| InputError::file(&shown, m))
    } else {
        // Every cell as text: each is parsed below with an error naming its row and column.
        let text = |n: &str| Field::new(n.into(), DataType::String);
        CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_schema_overwrite(Some(Arc::new(Schema::from_iter([
                text("hotkey"),
                text("timestamp_ms"),
                text("bucket"),
                text("collateral_usd"),
            ]))))
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|r| r.finish())
            .map_err(|e| InputError::file(&shown, format!("not a readable CSV table ({e})")))
    }
}

fn cell_text(v: &AnyValue) -> Option<String> {
    match v {
        AnyValue::Null => None,
        AnyValue::String(s) => Some(s.to_string()),
        AnyValue::StringOwned(s) => Some(s.to_string()),
        other => Some(other.to_string()),
    }
}

/// Reads `hotkey,[timestamp_ms,]VALUE` from CSV or Parquet; without `timestamp_ms` a value
/// holds for all time. Empty cells are refused, and so are two rows giving one hotkey two
/// different values at one instant (both rows named).
fn read_history<T: Clone + PartialEq + std::fmt::Debug>(
    path: &Path,
    value_col: &str,
    convert: impl Fn(&AnyValue) -> Result<T, String>,
) -> Result<History<T>, InputError> {
    let shown = path.display();
    let df = read_table(path)?;
    let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    for needed in ["hotkey", value_col] {
        if !names.iter().any(|n| n == needed) {
            return Err(InputError::file(
                &shown,
                format!(
                    "missing column `{needed}`: expected hotkey,timestamp_ms,{value_col} (found {})",
                    names.join(",")
                ),
            ));
        }
    }
    let hk = df.column("hotkey").map_err(|e| InputError::file(&shown, e))?;
    let val = df.column(value_col).map_err(|e| InputError::file(&shown, e))?;
    let ts = df.column("timestamp_ms").ok();
    let mut rows: HashMap<String, Vec<(i64, T, usize)>> = HashMap::new();
    for row in 0..df.height() {
        let n = row + 1;
        let h = hk.get(row).map_err(|e| InputError::file(&shown, e))?;
        let h = cell_text(&h).filter(|s| !s.trim().is_empty());
        let Some(h) = h else {
            return Err(InputError::file(&shown, format!("row {n}: field `hotkey`: empty")));
        };
        let t = match ts {
            None => i64::MIN,
            Some(c) => match c.get(row).map_err(|e| InputError::file(&shown, e))? {
                AnyValue::Int64(v) => v,
                AnyValue::Int32(v) => v as i64,
                AnyValue::UInt64(v) if v <= i64::MAX as u64 => v as i64,
                AnyValue::Float64(v) if v.fract() == 0.0 && v.abs() < 9e15 => v as i64,
                AnyValue::Null => {
                    return Err(InputError::file(&shown, format!("row {n} (hotkey {h}): field `timestamp_ms`: empty")));
                }
                other => {
                    let text = cell_text(&other).unwrap_or_default();
                    parse_time(&text).map_err(|_| {
                        InputError::file(
                            &shown,
                            format!(
                                "row {n} (hotkey {h}): field `timestamp_ms`: {text:?} is neither epoch ms nor RFC 3339"
                            ),
                        )
                    })?
                }
            },
        };
        let v = val.get(row).map_err(|e| InputError::file(&shown, e))?;
        let v = convert(&v)
            .map_err(|m| InputError::file(&shown, format!("row {n} (hotkey {h}): field `{value_col}`: {m}")))?;
        rows.entry(h).or_default().push((t, v, n));
    }
    let mut out: History<T> = History::new();
    let mut hotkeys: Vec<String> = rows.keys().cloned().collect();
    hotkeys.sort();
    for h in hotkeys {
        let mut v = rows.remove(&h).unwrap_or_default();
        v.sort_by_key(|x| (x.0, x.2));
        for w in v.windows(2) {
            if w[0].0 == w[1].0 && w[0].1 != w[1].1 {
                let at = if w[0].0 == i64::MIN { "for all time".to_string() } else { format!("at {}", w[0].0) };
                return Err(InputError::file(
                    &shown,
                    format!(
                        "rows {} and {} give hotkey {h} two values {at} ({:?} and {:?}): keep one",
                        w[0].2, w[1].2, w[0].1, w[1].1
                    ),
                ));
            }
        }
        out.by_hotkey.insert(h, v.into_iter().map(|(t, x, _)| (t, x)).collect());
    }
    Ok(out)
}

pub fn read_buckets(path: &Path) -> Result<History<Status>, InputError> {
    read_history(path, "bucket", |v| match cell_text(v) {
        Some(s) if !s.trim().is_empty() => Ok(Status::parse(s.trim())),
        _ => Err("empty".into()),
    })
}

pub fn read_collateral(path: &Path) -> Result<History<f64>, InputError> {
    read_history(path, "collateral_usd", |v| {
        let x = match v {
            AnyValue::Float64(x) => *x,
            AnyValue::Float32(x) => *x as f64,
            AnyValue::Int64(x) => *x as f64,
            AnyValue::Int32(x) => *x as f64,
            AnyValue::Null => return Err("empty".into()),
            other => {
                let text = cell_text(other).unwrap_or_default();
                text.trim().parse::<f64>().map_err(|_| format!("{text:?} is not a number"))?
            }
        };
        // Negative is a value production reads (as 0 in the collateral rule); NaN and inf are not.
        if x.is_finite() { Ok(x) } else { Err(format!("{x} is not a finite number (USD)")) }
    })
}

/// A metagraph file, or a directory of dated metagraph snapshots (date from `timestamp_ms`,
/// else from the file name), read for use as of each step.
pub fn read_metagraphs(path: &Path) -> Result<crate::ledger::metagraph::MetagraphSeries, InputError> {
    use crate::ledger::metagraph::{Metagraph, MetagraphSeries};
    if !path.is_dir() {
        return Ok(MetagraphSeries::single(Metagraph::read(path)?));
    }
    let shown = path.display();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| InputError::file(&shown, format!("cannot list: {e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut items = Vec::new();
    for p in paths {
        let m = Metagraph::read(&p)?;
        let ts = m.timestamp_ms.or_else(|| date_in_name(&p)).ok_or_else(|| {
            InputError::file(p.display(), "metagraph snapshot has no timestamp_ms and no date in its file name")
        })?;
        items.push((ts, m));
    }
    if items.is_empty() {
        return Err(InputError::file(&shown, "no metagraph snapshots (*.json) in this directory"));
    }
    items.sort_by_key(|x| x.0);
    for w in items.windows(2) {
        if w[0].0 == w[1].0 {
            return Err(InputError::file(
                &shown,
                format!("metagraph snapshots {} and {} carry the same date", w[0].1.source, w[1].1.source),
            ));
        }
    }
    Ok(MetagraphSeries::new(items))
}

/// One dated snapshot of the validator's ledger file.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub path: PathBuf,
    pub taken_ms: i64,
}

/// The snapshots of a directory, oldest first. A snapshot's date is its `last_update_ms`,
/// or a date (or epoch milliseconds) in its file name when the file has none.
pub fn list_snapshots(dir: &Path) -> Result<Vec<Snapshot>, InputError> {
    let shown = dir.display();
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| InputError::file(&shown, format!("cannot list: {e}")))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
    paths.sort();
    for path in paths {
        if Format::from_extension(&path).is_err() {
            continue;
        }
        let taken = peek_last_update(&path).or_else(|| date_in_name(&path)).ok_or_else(|| {
            InputError::file(path.display(), "snapshot has no last_update_ms and no date in its file name")
        })?;
        out.push(Snapshot { path, taken_ms: taken });
    }
    if out.is_empty() {
        return Err(InputError::file(
            &shown,
            "no ledger snapshots (.json, .json.gz, .parquet, .csv) in this directory",
        ));
    }
    out.sort_by(|a, b| a.taken_ms.cmp(&b.taken_ms).then(a.path.cmp(&b.path)));
    for w in out.windows(2) {
        if w[0].taken_ms == w[1].taken_ms {
            return Err(InputError::file(
                &shown,
                format!("snapshots {} and {} carry the same date", w[0].path.display(), w[1].path.display()),
            ));
        }
    }
    Ok(out)
}

/// `last_update_ms` from the first kilobytes of a validator JSON file (plain or gzip).
fn peek_last_update(path: &Path) -> Option<i64> {
    let bytes = std::fs::read(path).ok()?;
    let mut head = Vec::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(&bytes[..]).take(1 << 16).read_to_end(&mut head).ok()?;
    } else {
        head = bytes[..bytes.len().min(1 << 16)].to_vec();
    }
    let text = String::from_utf8_lossy(&head);
    let at = text.find("\"last_update_ms\"")?;
    let rest = text[at + 16..].trim_start().strip_prefix(':')?.trim_start();
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok().filter(|v| *v > 0)
}

/// A date in a file name: 13 epoch-ms digits, `YYYY-MM-DDTHH:MM:SS` or `YYYY-MM-DD`. Names
/// are any Unicode: slices are taken with `str::get`, which refuses a non-boundary.
fn date_in_name(path: &Path) -> Option<i64> {
    let name = path.file_name()?.to_string_lossy().to_string();
    for (i, _) in name.char_indices() {
        if let Some(digits) = name.get(i..i + 13)
            && digits.bytes().all(|b| b.is_ascii_digit())
        {
            return digits.parse().ok();
        }
        if let Some(t) = name.get(i..i + 19).and_then(|c| parse_time(&format!("{c}Z")).ok()) {
            return Some(t);
        }
        if let Some(t) =
            name.get(i..i + 10).filter(|c| c.as_bytes().get(4) == Some(&b'-')).and_then(|c| parse_time(c).ok())
        {
            return Some(t);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_file_names() {
        assert_eq!(date_in_name(Path::new("debt_ledger_2025-12-01.json.gz")), Some(1_764_547_200_000));
        assert_eq!(date_in_name(Path::new("snap-1764547200000.parquet")), Some(1_764_547_200_000));
        assert_eq!(date_in_name(Path::new("x_2025-12-01T12:00:00.json")), Some(1_764_590_400_000));
        assert_eq!(date_in_name(Path::new("ledger.json")), None);
        assert_eq!(date_in_name(Path::new("2025-12-0€.json")), None);
        assert_eq!(date_in_name(Path::new("€€2025-12-01.json")), Some(1_764_547_200_000));
    }
}
