//! The small two-column CSV inputs: `hotkey,bucket` and `hotkey,collateral_usd`.

use std::collections::HashMap;
use std::path::Path;

use crate::error::InputError;

/// Reads a two-column CSV with the given header; returns rows in file order.
pub fn read_pairs(path: &Path, header: [&str; 2]) -> Result<Vec<(String, String)>, InputError> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| InputError::file(&shown, format!("cannot read: {e}")))?;
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((_, head)) = lines.next() else {
        return Err(InputError::file(&shown, format!("empty file: expected header `{},{}`", header[0], header[1])));
    };
    let cols: Vec<&str> = head.split(',').map(|c| c.trim().trim_matches('"')).collect();
    let find = |name: &str| cols.iter().position(|c| *c == name);
    let (Some(a), Some(b)) = (find(header[0]), find(header[1])) else {
        return Err(InputError::file(
            &shown,
            format!("missing column(s): expected header `{},{}`, found `{head}`", header[0], header[1]),
        ));
    };
    let mut out = Vec::new();
    for (n, line) in lines {
        let f: Vec<&str> = line.split(',').map(|c| c.trim().trim_matches('"')).collect();
        match (f.get(a), f.get(b)) {
            (Some(x), Some(y)) => out.push((x.to_string(), y.to_string())),
            _ => {
                return Err(InputError::file(
                    &shown,
                    format!("line {}: expected {} columns, found {}", n + 1, cols.len(), f.len()),
                ));
            }
        }
    }
    Ok(out)
}

/// `hotkey,collateral_usd` as a map; values must be numbers.
pub fn read_collateral(path: &Path) -> Result<HashMap<String, f64>, InputError> {
    let rows = read_pairs(path, ["hotkey", "collateral_usd"])?;
    let mut out = HashMap::new();
    for (i, (hk, v)) in rows.into_iter().enumerate() {
        let x: f64 = v.parse().map_err(|_| {
            InputError::file(
                path.display(),
                format!("row {} (hotkey {hk}): field `collateral_usd`: not a number: {v:?}", i + 1),
            )
        })?;
        out.insert(hk, x);
    }
    Ok(out)
}
