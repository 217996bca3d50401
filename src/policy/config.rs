//! A dust policy is data: a serde struct whose production behaviours are named presets and
//! whose every knob a scenario or a `--policy FILE.toml` can override.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::ledger::Status;

/// Base minimum weight of the presets (production from November 2025).
pub const DUST: f64 = 1.5e-05;

/// How dust is set within a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scaling {
    /// Floors only: the legacy behaviour.
    Static,
    /// Floor plus a share of the ceiling width, by window score within the bucket.
    Performance,
}

/// How window scores map to [0, 1] within a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Normalization {
    /// `score / max` (production).
    Max,
    /// `(score − min) / (max − min)`.
    Minmax,
    /// Average rank, ties sharing it, scaled to [0, 1].
    Rank,
    /// Scores clipped at the given percentile (0–100) of the bucket, then by max.
    Winsorized { percentile: f64 },
    /// `ln(1 + score) / ln(1 + max)`.
    Log,
}

/// What a negative window score does.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Negative {
    /// Treated as zero (production).
    Floor,
    /// Pulls the miner below the bucket's zero-score level, never below the floor.
    Penalize,
}

/// Which checkpoints' PnL counts in the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WindowStatuses {
    /// Every status (the releases of 31 October and 6 November 2025).
    All,
    /// The earning statuses only (MAINCOMP and PROBATION; the weekly metric adds SUBACCOUNT_FUNDED and _ALPHA).
    Earning,
    /// The statuses the release knows (from 30 November 2025): the five of SCORING.md, and
    /// under the weekly metric also ELIMINATED, ENTITY and SUBACCOUNT_*.
    Known,
}

pub use super::pnl::PnlMetric;

/// The collateral-aware rule that zeroes the weakest CHALLENGE miners.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollateralRule {
    /// The bucket the rule applies to.
    #[serde(default = "challenge")]
    pub bucket: String,
    /// Share of the bucket zeroed (before the cap).
    pub percentile: f64,
    /// At most this many miners zeroed (zero-collateral miners are zeroed regardless).
    pub cap: usize,
    /// Collateral (USD) below which a miner is in tier 1.
    pub min_collateral_usd: f64,
}

fn challenge() -> String {
    "CHALLENGE".into()
}

/// Smoothing of dust weights between replay steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Smoothing {
    None,
    /// `w = alpha × new + (1 − alpha) × previous`.
    Ema {
        alpha: f64,
    },
    /// Each step changes a weight by at most this fraction of its previous value.
    MaxStep {
        relative: f64,
    },
}

/// A complete dust policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DustPolicy {
    pub name: String,
    pub dust: f64,
    pub scaling: Scaling,
    pub lookback_days: f64,
    /// Exponential decay half-life inside the window, in days (none: equal weights).
    pub half_life_days: Option<f64>,
    /// Ceiling − floor in DUST units.
    pub ceiling_width: f64,
    /// Per-bucket ceiling widths, overriding `ceiling_width`.
    pub ceiling_width_by_bucket: BTreeMap<String, f64>,
    /// Floor multipliers by status (in DUST units).
    pub floors: BTreeMap<String, f64>,
    /// Floor multiplier of any status `floors` does not name.
    pub default_floor: f64,
    pub normalization: Normalization,
    pub negative: Negative,
    /// With `negative = penalize`: where a zero score sits, as a share of the ceiling width.
    pub zero_level: f64,
    pub window_statuses: WindowStatuses,
    pub metric: PnlMetric,
    pub collateral: Option<CollateralRule>,
    pub smoothing: Smoothing,
    /// The payout model this policy's release used (see `payout`).
    pub payout: String,
    /// Follow the dust of the release in force at each step (`preset = "production"`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dust_by_era: bool,
}

impl DustPolicy {
    /// Floor multiplier of a status.
    pub fn floor_multiplier(&self, status: &Status) -> f64 {
        self.floors.get(status.as_str()).copied().unwrap_or(self.default_floor)
    }

    pub fn ceiling_width_of(&self, status: &Status) -> f64 {
        self.ceiling_width_by_bucket.get(status.as_str()).copied().unwrap_or(self.ceiling_width)
    }

    /// Floor and ceiling of a bucket (by wire name) under this policy; equal for static dust.
    pub fn bounds(&self, bucket: &str) -> (f64, f64) {
        let s = Status::parse(bucket);
        let floor = self.floor_multiplier(&s) * self.dust;
        let ceiling =
            if self.scaling == Scaling::Static { floor } else { floor + self.ceiling_width_of(&s) * self.dust };
        (floor, ceiling)
    }

    pub fn lookback_ms(&self) -> i64 {
        (self.lookback_days * crate::time::MS_PER_DAY as f64).round() as i64
    }

    /// Checks values a TOML file could get wrong.
    pub fn check(&self) -> Result<(), InputError> {
        let bad = |m: String| Err(InputError::Usage(format!("policy {}: {m}", self.name)));
        if !(self.dust.is_finite() && self.dust >= 0.0) {
            return bad(format!("dust must be a non-negative number, got {}", self.dust));
        }
        // A lookback beyond ten years holds no ledger and would overflow the window arithmetic.
        // At least one millisecond: a smaller window rounds to none at all.
        if !(self.lookback_days.is_finite() && self.lookback_ms() >= 1 && self.lookback_days <= 3650.0) {
            return bad(format!("lookback_days must be in [1 ms, 3650 days], got {}", self.lookback_days));
        }
        let non_negative = |key: &str, x: f64| -> Result<(), InputError> {
            if x.is_finite() && x >= 0.0 {
                Ok(())
            } else {
                Err(InputError::Usage(format!(
                    "policy {}: {key} must be a finite number ≥ 0 (DUST units), got {x}",
                    self.name
                )))
            }
        };
        non_negative("ceiling_width", self.ceiling_width)?;
        non_negative("default_floor", self.default_floor)?;
        for (b, w) in &self.ceiling_width_by_bucket {
            non_negative(&format!("ceiling_width_by_bucket.{b}"), *w)?;
        }
        for (b, f) in &self.floors {
            non_negative(&format!("floors.{b}"), *f)?;
        }
        if !(self.zero_level.is_finite() && (0.0..=1.0).contains(&self.zero_level)) {
            return bad(format!("zero_level must be within [0, 1], got {}", self.zero_level));
        }
        if self.name.is_empty() {
            return bad("name must not be empty".into());
        }
        if let Some(h) = self.half_life_days
            && !(h.is_finite() && h > 0.0)
        {
            return bad(format!("half_life_days must be positive, got {h}"));
        }
        if let Normalization::Winsorized { percentile } = self.normalization
            && !(0.0..=100.0).contains(&percentile)
        {
            return bad(format!("winsorized percentile must be within [0, 100], got {percentile}"));
        }
        if let Some(c) = &self.collateral
            && !(0.0..=1.0).contains(&c.percentile)
        {
            return bad(format!("collateral.percentile must be within [0, 1], got {}", c.percentile));
        }
        if let Some(c) = &self.collateral
            && !(c.min_collateral_usd.is_finite() && c.min_collateral_usd >= 0.0)
        {
            return bad(format!(
                "collateral.min_collateral_usd must be a finite number ≥ 0, got {}",
                c.min_collateral_usd
            ));
        }
        match self.smoothing {
            Smoothing::Ema { alpha } if !(alpha > 0.0 && alpha <= 1.0) => {
                bad(format!("smoothing alpha must be in (0, 1], got {alpha}"))
            }
            Smoothing::MaxStep { relative } if !(relative.is_finite() && relative >= 0.0) => {
                bad(format!("smoothing relative step must be non-negative, got {relative}"))
            }
            _ => Ok(()),
        }
    }
}

/// Names of the production presets.
pub const PRESETS: &[&str] = &[
    "static",
    "ptn-dynamic",
    "ptn-collateral",
    "ptn-2025-11-30",
    "ptn-2025-12-05",
    "ptn-weekly-843e57e0",
    "production",
];

fn production_floors() -> BTreeMap<String, f64> {
    [("CHALLENGE", 1.0), ("PLAGIARISM", 1.0), ("PROBATION", 2.0), ("MAINCOMP", 3.0), ("unknown", 0.0)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// A production preset by name.
pub fn preset(name: &str) -> Result<DustPolicy, InputError> {
    let dynamic = DustPolicy {
        name: "ptn-dynamic".into(),
        dust: DUST,
        scaling: Scaling::Performance,
        lookback_days: 30.0,
        half_life_days: None,
        ceiling_width: 1.0,
        ceiling_width_by_bucket: BTreeMap::new(),
        floors: production_floors(),
        default_floor: 1.0,
        normalization: Normalization::Max,
        negative: Negative::Floor,
        zero_level: 0.0,
        window_statuses: WindowStatuses::All,
        metric: PnlMetric::NetPnlXPenalty,
        collateral: None,
        smoothing: Smoothing::None,
        payout: "monthly-2025-10-31".into(),
        dust_by_era: false,
    };
    let collateral_rule =
        || Some(CollateralRule { bucket: challenge(), percentile: 0.25, cap: 10, min_collateral_usd: 150_000.0 });
    // From 30 November 2025: the same scheme on the realized PnL with the open loss, over the
    // statuses the release knows.
    let realized = |name: &str, payout: &str| DustPolicy {
        name: name.into(),
        metric: PnlMetric::RealizedWithOpenLoss,
        window_statuses: WindowStatuses::Known,
        collateral: collateral_rule(),
        payout: payout.into(),
        ..dynamic.clone()
    };
    match name {
        "ptn-dynamic" => Ok(dynamic),
        "static" => Ok(DustPolicy { name: "static".into(), scaling: Scaling::Static, ..dynamic }),
        "ptn-collateral" => Ok(DustPolicy {
            name: "ptn-collateral".into(),
            collateral: collateral_rule(),
            payout: "monthly-2025-11-06".into(),
            ..dynamic
        }),
        "production" => Ok(DustPolicy {
            name: "production".into(),
            collateral: collateral_rule(),
            payout: "production".into(),
            dust_by_era: true,
            ..dynamic
        }),
        "ptn-2025-11-30" => Ok(realized("ptn-2025-11-30", "monthly-2025-11-30")),
        "ptn-2025-12-05" => Ok(realized("ptn-2025-12-05", "cumulative-2025-12-05")),
        "ptn-weekly-843e57e0" => {
            let mut floors = production_floors();
            floors.insert("ENTITY".into(), 4.0);
            Ok(DustPolicy {
                metric: PnlMetric::HwmRealized,
                floors,
                ..realized("ptn-weekly-843e57e0", "weekly-hwm-843e57e0")
            })
        }
        other => Err(InputError::Usage(format!("unknown policy preset {other:?} (known: {})", PRESETS.join(", ")))),
    }
}

/// Builds a policy from a TOML table: `preset = "…"` (default `ptn-dynamic`), optional
/// `name`, and any field of [`DustPolicy`] to override. Unknown keys are refused.
pub fn from_toml_table(table: toml::Table, origin: &str) -> Result<DustPolicy, InputError> {
    let mut table = table;
    let preset_name = match table.remove("preset") {
        None => "ptn-dynamic".to_string(),
        Some(toml::Value::String(s)) => s,
        Some(other) => return Err(InputError::file(origin, format!("`preset` must be a string, got {other}"))),
    };
    let base = preset(&preset_name).map_err(|e| InputError::file(origin, e))?;
    if base.dust_by_era
        && let Some(k) = table.keys().find(|k| !matches!(k.as_str(), "name" | "dust" | "payout"))
    {
        return Err(InputError::file(
            origin,
            format!("preset \"production\" follows each release's dust: `{k}` cannot be set (only name, dust, payout)"),
        ));
    }
    let mut merged = toml::Table::try_from(&base).map_err(|e| InputError::file(origin, e))?;
    if base.collateral.is_none() && !table.contains_key("collateral") {
        merged.remove("collateral");
    }
    for (key, value) in table {
        if !merged.contains_key(&key) && key != "collateral" && key != "half_life_days" {
            let known: Vec<&str> = merged.keys().map(String::as_str).collect();
            return Err(InputError::file(
                origin,
                format!("unknown policy key `{key}` (known: preset, {})", known.join(", ")),
            ));
        }
        match (merged.get_mut(&key), value) {
            (Some(toml::Value::Table(base_t)), toml::Value::Table(over))
                if key != "normalization" && key != "smoothing" =>
            {
                for (k, v) in over {
                    base_t.insert(k, v);
                }
            }
            (_, v) => {
                merged.insert(key, v);
            }
        }
    }
    let policy: DustPolicy =
        merged.try_into().map_err(|e: toml::de::Error| InputError::file(origin, e.message().to_string()))?;
    policy.check()?;
    Ok(policy)
}

/// Resolves `--policy NAME|FILE.toml`.
pub fn resolve(spec: &str) -> Result<DustPolicy, InputError> {
    if spec.ends_with(".toml") || std::path::Path::new(spec).is_file() {
        let text = std::fs::read_to_string(spec).map_err(|e| InputError::file(spec, format!("cannot read: {e}")))?;
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| InputError::file(spec, e))?;
        let mut policy = from_toml_table(table.clone(), spec)?;
        if !table.contains_key("name") {
            policy.name =
                std::path::Path::new(spec).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or(policy.name);
        }
        Ok(policy)
    } else {
        preset(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_match_production() {
        let s = preset("static").unwrap();
        assert_eq!(s.scaling, Scaling::Static);
        assert_eq!(s.payout, "monthly-2025-10-31");
        let d = preset("ptn-dynamic").unwrap();
        assert_eq!((d.lookback_days, d.ceiling_width, d.dust), (30.0, 1.0, 1.5e-05));
        assert_eq!(d.floor_multiplier(&Status::Maincomp), 3.0);
        assert_eq!(d.floor_multiplier(&Status::Unknown), 0.0);
        assert_eq!(d.floor_multiplier(&Status::parse("ENTITY")), 1.0);
        let c = preset("ptn-collateral").unwrap();
        assert_eq!(c.payout, "monthly-2025-11-06");
        assert_eq!(c.collateral.unwrap().min_collateral_usd, 150_000.0);
        assert!(preset("nope").is_err());
    }

    #[test]
    fn toml_overrides_and_rejects_unknown_keys() {
        let t: toml::Table =
            "preset = \"ptn-collateral\"\nname = \"short\"\nlookback_days = 7\n[collateral]\ncap = 3\n"
                .parse()
                .unwrap();
        let p = from_toml_table(t, "x.toml").unwrap();
        assert_eq!(p.name, "short");
        assert_eq!(p.lookback_days, 7.0);
        assert_eq!(p.collateral.as_ref().unwrap().cap, 3);
        assert_eq!(p.collateral.as_ref().unwrap().percentile, 0.25);
        let bad: toml::Table = "lookbak_days = 7".parse().unwrap();
        let err = from_toml_table(bad, "x.toml").unwrap_err().to_string();
        assert!(err.contains("lookbak_days"), "{err}");
    }
}
