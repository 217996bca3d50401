//! Reading and writing ledger files of every supported format, chosen by content on input
//! (gzip and Parquet magic bytes) and by extension on output.

use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::model::LedgerSet;
use super::validate::{self, Report};
use super::{json_read, json_write, table};
use crate::error::InputError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    JsonGz,
    Parquet,
    Csv,
}

impl Format {
    /// Output format from a file name: `.json`, `.json.gz` (or `.gz`), `.parquet`, `.csv`.
    pub fn from_extension(path: &Path) -> Result<Format, InputError> {
        let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
        if name.ends_with(".gz") {
            Ok(Format::JsonGz)
        } else if name.ends_with(".json") {
            Ok(Format::Json)
        } else if name.ends_with(".parquet") || name.ends_with(".pq") {
            Ok(Format::Parquet)
        } else if name.ends_with(".csv") {
            Ok(Format::Csv)
        } else {
            Err(InputError::Usage(format!(
                "{}: cannot tell the format from the extension (use .json, .json.gz, .parquet or .csv)",
                path.display()
            )))
        }
    }
}

/// Reads a ledger file without validating it. The format is detected from the content.
pub fn read_raw(path: &Path) -> Result<LedgerSet, InputError> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| InputError::file(&shown, format!("cannot read: {e}")))?;
    if bytes.is_empty() {
        return Err(InputError::file(&shown, "the file is empty"));
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        if let Some(set) = super::json_stream::parse_gz(&bytes) {
            return Ok(set);
        }
        let mut json = Vec::with_capacity(bytes.len() * 12);
        MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut json)
            .map_err(|e| InputError::file(&shown, format!("corrupt or truncated gzip data ({e})")))?;
        return json_read::parse_json(&json).map_err(|m| InputError::file(&shown, format!("invalid ledger JSON: {m}")));
    }
    if bytes.starts_with(b"PAR1") {
        let df = table::read_parquet_frame(path).map_err(|m| InputError::file(&shown, m))?;
        return table::from_frame(&df).map_err(|m| InputError::file(&shown, m));
    }
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let is_csv_name = path.extension().map(|e| e.eq_ignore_ascii_case("csv")).unwrap_or(false);
    if first == Some(b'{') || first == Some(b'[') || !is_csv_name {
        if let Some(set) = super::json_stream::parse_plain(&bytes) {
            return Ok(set);
        }
        return json_read::parse_json(&bytes)
            .map_err(|m| InputError::file(&shown, format!("invalid ledger JSON: {m}")));
    }
    let df = table::read_csv_frame(path).map_err(|m| InputError::file(&shown, m))?;
    table::from_frame(&df).map_err(|m| InputError::file(&shown, m))
}

/// A validated ledger set and what validation said about it.
#[derive(Debug)]
pub struct Loaded {
    pub set: LedgerSet,
    pub report: Report,
    /// What lenient mode left out, one line each.
    pub dropped: Vec<String>,
}

/// How many problem lines an error message carries before pointing at `inspect`.
const MAX_LINES: usize = 40;

/// Reads and validates. Errors refuse the file unless `lenient`, which drops every broken
/// checkpoint or ledger and lists each one in `dropped`.
pub fn read_validated(path: &Path, lenient: bool) -> Result<Loaded, InputError> {
    let mut set = read_raw(path)?;
    let report = validate::validate(&set);
    let mut dropped = Vec::new();
    if report.has_errors() {
        if !lenient {
            let errors: Vec<_> = report.errors().collect();
            let mut msg = format!("{}: {} validation error(s); nothing was computed:", path.display(), errors.len());
            for p in errors.iter().take(MAX_LINES) {
                msg.push_str(&format!("\n  {}: {p}", path.display()));
            }
            if errors.len() > MAX_LINES {
                msg.push_str(&format!(
                    "\n  ... and {} more (`dustlab inspect {}` lists all)",
                    errors.len() - MAX_LINES,
                    path.display()
                ));
            }
            msg.push_str("\n(--lenient proceeds without the broken checkpoints and lists each one)");
            return Err(InputError::Invalid(msg));
        }
        dropped = validate::drop_broken(&mut set, &report)
            .lines
            .into_iter()
            .map(|l| format!("{}: {l}", path.display()))
            .collect();
    }
    Ok(Loaded { set, report, dropped })
}

/// Writes a ledger set in the format the extension names.
pub fn write(set: &LedgerSet, path: &Path) -> anyhow::Result<()> {
    use std::io::Write;
    match Format::from_extension(path)? {
        Format::Json => std::fs::write(path, json_write::to_json(set))?,
        Format::JsonGz => {
            let file = std::fs::File::create(path)?;
            // mtime 0 and no file name: byte-identical output for identical input.
            let mut gz =
                flate2::GzBuilder::new().mtime(0).write(std::io::BufWriter::new(file), flate2::Compression::new(6));
            gz.write_all(json_write::to_json(set).as_bytes())?;
            gz.finish()?.flush()?;
        }
        Format::Parquet => table::write_parquet(set, path)?,
        Format::Csv => table::write_csv(set, path)?,
    }
    Ok(())
}
