//! The metagraph as an input: a JSON object, every key optional, as a researcher exports it
//! from the chain (or the validator's own snapshot): `hotkeys` (uid order), `emission` (per
//! uid), `tao_reserve_rao`, `alpha_reserve_rao`, `tao_to_usd_rate`, `emission_dtype`
//! (`"float64"` or `"float32"`) and `timestamp_ms`. Python's `NaN`/`Infinity` are accepted.

use std::path::Path;

use serde::Serialize;

use crate::error::InputError;

/// How the chain's emission list is typed: production's bittensor hands NumPy float32 values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EmissionDtype {
    #[default]
    Float64,
    Float32,
}

/// A value the releases read as a price: it may be missing or not a number, and the
/// releases fail differently on each.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub enum Price {
    #[default]
    Missing,
    /// Present but not a finite number (its text).
    NotANumber(String),
    Value(f64),
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Metagraph {
    /// Where it was read from (named in every message).
    pub source: String,
    /// Hotkeys in uid order (empty when not given).
    pub hotkeys: Vec<String>,
    /// Emission per uid, uid order (None when the key is absent).
    pub emission: Option<Vec<f64>>,
    pub tao_reserve_rao: Option<f64>,
    pub alpha_reserve_rao: Option<f64>,
    pub tao_to_usd_rate: Price,
    pub emission_dtype: EmissionDtype,
    pub timestamp_ms: Option<i64>,
}

/// The keys a metagraph file may hold.
pub const KEYS: &[&str] = &[
    "hotkeys",
    "emission",
    "tao_reserve_rao",
    "alpha_reserve_rao",
    "tao_to_usd_rate",
    "emission_dtype",
    "timestamp_ms",
];

fn number(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) if s == "NaN" => Some(f64::NAN),
        serde_json::Value::String(s) if s == "Infinity" => Some(f64::INFINITY),
        serde_json::Value::String(s) if s == "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

impl Metagraph {
    /// Reads and checks a metagraph file; every problem names the file and the key.
    pub fn read(path: &Path) -> Result<Metagraph, InputError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| InputError::file(&shown, format!("cannot read: {e}")))?;
        Metagraph::parse(&bytes, &shown)
    }

    pub fn parse(bytes: &[u8], shown: &str) -> Result<Metagraph, InputError> {
        let strict = super::json_read::strict_json(bytes);
        let v: serde_json::Value = serde_json::from_slice(&strict)
            .map_err(|e| InputError::file(shown, format!("not a metagraph JSON object: {e}")))?;
        let obj = v.as_object().ok_or_else(|| InputError::file(shown, "a metagraph is a JSON object"))?;
        let bad = |key: &str, what: &str| InputError::file(shown, format!("key `{key}`: {what}"));
        for k in obj.keys() {
            if !KEYS.contains(&k.as_str()) {
                return Err(bad(k, &format!("unknown key (known: {})", KEYS.join(", "))));
            }
        }
        let mut m = Metagraph { source: shown.to_string(), ..Metagraph::default() };
        if let Some(h) = obj.get("hotkeys") {
            let list = h.as_array().ok_or_else(|| bad("hotkeys", "expected a list of strings"))?;
            m.hotkeys = list
                .iter()
                .enumerate()
                .map(|(uid, x)| {
                    x.as_str().map(str::to_string).ok_or_else(|| bad("hotkeys", &format!("uid {uid}: not a string")))
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(d) = obj.get("emission_dtype") {
            m.emission_dtype = match d.as_str() {
                Some("float64") => EmissionDtype::Float64,
                Some("float32") => EmissionDtype::Float32,
                _ => return Err(bad("emission_dtype", &format!("expected \"float64\" or \"float32\", got {d}"))),
            };
        }
        if let Some(e) = obj.get("emission") {
            let list = e.as_array().ok_or_else(|| bad("emission", "expected a list of numbers (one per uid)"))?;
            let values: Vec<f64> = list
                .iter()
                .enumerate()
                .map(|(uid, x)| {
                    number(x)
                        .filter(|f| f.is_finite())
                        .ok_or_else(|| bad("emission", &format!("uid {uid}: {x} is not a finite number")))
                })
                .collect::<Result<_, _>>()?;
            // A float32 list holds float32 values, whatever digits the file prints.
            m.emission = Some(match m.emission_dtype {
                EmissionDtype::Float64 => values,
                EmissionDtype::Float32 => values.into_iter().map(|x| x as f32 as f64).collect(),
            });
        }
        for (key, slot) in
            [("tao_reserve_rao", &mut m.tao_reserve_rao), ("alpha_reserve_rao", &mut m.alpha_reserve_rao)]
        {
            if let Some(x) = obj.get(key).filter(|x| !x.is_null()) {
                let f = number(x).filter(|f| f.is_finite() && *f >= 0.0);
                *slot = Some(f.ok_or_else(|| bad(key, &format!("{x} is not a finite number ≥ 0")))?);
            }
        }
        m.tao_to_usd_rate = match obj.get("tao_to_usd_rate") {
            None | Some(serde_json::Value::Null) => Price::Missing,
            Some(x) => match number(x) {
                Some(f) if f.is_finite() => Price::Value(f),
                _ => Price::NotANumber(x.to_string()),
            },
        };
        if let Some(t) = obj.get("timestamp_ms").filter(|x| !x.is_null()) {
            m.timestamp_ms = Some(t.as_i64().ok_or_else(|| bad("timestamp_ms", "expected epoch milliseconds"))?);
        }
        Ok(m)
    }

    /// The hotkey at `uid`, when the metagraph has that uid.
    pub fn hotkey_at(&self, uid: usize) -> Option<&str> {
        self.hotkeys.get(uid).map(String::as_str)
    }

    /// Whether a hotkey is registered (a scan: one-off questions; a replay asks its series).
    pub fn is_registered(&self, hotkey: &str) -> bool {
        self.hotkeys.iter().any(|h| h == hotkey)
    }
}

/// Metagraphs over time: dated snapshots used as of each step, or one for every step.
#[derive(Debug, Clone, Default)]
pub struct MetagraphSeries {
    /// (valid from, metagraph), oldest first; `i64::MIN` when one file serves every step.
    items: Vec<(i64, Metagraph)>,
    /// Each snapshot's hotkeys as a set: a replay asks "registered?" per miner and step.
    registered: Vec<std::collections::HashSet<String>>,
}

impl MetagraphSeries {
    /// From dated metagraphs, oldest first.
    pub fn new(items: Vec<(i64, Metagraph)>) -> MetagraphSeries {
        let registered = items.iter().map(|(_, m)| m.hotkeys.iter().cloned().collect()).collect();
        MetagraphSeries { items, registered }
    }

    pub fn single(m: Metagraph) -> MetagraphSeries {
        MetagraphSeries::new(vec![(i64::MIN, m)])
    }

    fn index_at(&self, t: i64) -> Option<usize> {
        self.items.partition_point(|(ts, _)| *ts <= t).checked_sub(1)
    }

    /// The newest metagraph taken at or before `t` (None before the first snapshot).
    pub fn at(&self, t: i64) -> Option<&Metagraph> {
        self.index_at(t).map(|j| &self.items[j].1)
    }

    /// Whether `hotkey` is registered in the metagraph in force at `t` (every hotkey is when
    /// that snapshot lists none).
    pub fn registered_at(&self, t: i64, hotkey: &str) -> bool {
        self.index_at(t).is_some_and(|j| self.items[j].1.hotkeys.is_empty() || self.registered[j].contains(hotkey))
    }

    /// Whether any snapshot lists hotkeys (then registration decides who is scored).
    pub fn lists_hotkeys(&self) -> bool {
        self.items.iter().any(|(_, m)| !m.hotkeys.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_optional_and_python_tokens_accepted() {
        let m = Metagraph::parse(b"{}", "m.json").unwrap();
        assert_eq!((m.emission, m.tao_to_usd_rate), (None, Price::Missing));
        let m = Metagraph::parse(
            br#"{"hotkeys": ["a", "b"], "emission": [0.1, 0.2], "tao_to_usd_rate": NaN, "emission_dtype": "float32", "tao_reserve_rao": 5, "alpha_reserve_rao": 10}"#,
            "m.json",
        )
        .unwrap();
        assert_eq!(m.emission.as_deref(), Some(&[0.1f32 as f64, 0.2f32 as f64][..]));
        assert!(matches!(m.tao_to_usd_rate, Price::NotANumber(_)));
        assert_eq!(m.hotkey_at(1), Some("b"));
        assert_eq!(m.hotkey_at(229), None);
    }

    #[test]
    fn bad_values_name_the_key() {
        for (text, key) in [
            (r#"{"emission": [1, "x"]}"#, "emission"),
            (r#"{"hotkeys": [1]}"#, "hotkeys"),
            (r#"{"tao_reserve_rao": -1}"#, "tao_reserve_rao"),
            (r#"{"emission_dtype": "float16"}"#, "emission_dtype"),
            (r#"{"emision": []}"#, "emision"),
        ] {
            let e = Metagraph::parse(text.as_bytes(), "m.json").unwrap_err().to_string();
            assert!(e.contains("m.json") && e.contains(key), "{text}: {e}");
        }
    }
}
