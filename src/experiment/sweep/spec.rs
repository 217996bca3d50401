//! The `[sweep]` table: which knobs vary and how (a full grid of listed values, or random
//! search over ranges), and the variants it expands to.

use rand::RngExt;
use serde::Deserialize;

use crate::error::InputError;
use crate::policy::DustPolicy;
use crate::population::seed;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// The scenario policy every variant starts from (default: the first, the baseline).
    pub base: Option<String>,
    /// knob = [value, …]: every combination (full grid).
    #[serde(default)]
    pub grid: toml::Table,
    /// knob = [low, high]: uniform draws (integers when both bounds are); random search.
    #[serde(default)]
    pub ranges: toml::Table,
    /// Variants drawn in random search (default 100).
    pub samples: Option<usize>,
    pub seed: Option<u64>,
    /// Variants per engine pass: bounds memory (default 32).
    pub chunk: Option<usize>,
    /// Metrics to draw as heatmaps (default: alignment, exploitability, churn, burn share).
    pub heatmaps: Option<Vec<String>>,
    /// The two knobs of the heatmaps' slice (default: the first two swept).
    pub slice: Option<Vec<String>>,
    /// Also run the worst-case adversary search (`dustlab attack`) against every variant and
    /// record `worst_excess_usd_<adversary>` and `exploitability_search_usd`. Costly: about
    /// (samples + 2 × refine × parameters) replays per adversary and variant.
    #[serde(default)]
    pub worst_case: bool,
}

/// A knob's value in one variant.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Number(f64),
    Text(String),
}

impl std::fmt::Display for Param {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Param::Number(x) => write!(f, "{x}"),
            Param::Text(s) => write!(f, "{s:?}"),
        }
    }
}

/// One variant: its index, name, knob values and the policy they make.
#[derive(Debug, Clone)]
pub struct Variant {
    pub index: usize,
    pub params: Vec<(String, Param)>,
    pub policy: DustPolicy,
}

fn param_of(v: &toml::Value) -> Param {
    match v {
        toml::Value::Integer(i) => Param::Number(*i as f64),
        toml::Value::Float(f) => Param::Number(*f),
        toml::Value::Boolean(b) => Param::Number(if *b { 1.0 } else { 0.0 }),
        toml::Value::String(s) => Param::Text(s.clone()),
        other => Param::Text(other.to_string()),
    }
}

/// Sets `a.b.c` in a table, creating intermediate tables.
fn set_path(table: &mut toml::Table, path: &str, value: toml::Value) {
    let mut parts = path.split('.').peekable();
    let mut t = table;
    while let Some(p) = parts.next() {
        if parts.peek().is_none() {
            t.insert(p.to_string(), value);
            return;
        }
        let entry = t.entry(p.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        t = entry.as_table_mut().expect("a table");
    }
}

fn build(base: &DustPolicy, index: usize, params: Vec<(String, toml::Value)>) -> Result<Variant, InputError> {
    let mut table = toml::Table::try_from(base).map_err(|e| InputError::Usage(format!("sweep base policy: {e}")))?;
    for (k, v) in &params {
        set_path(&mut table, k, v.clone());
    }
    let name = format!("v{index:04}");
    table.insert("name".into(), toml::Value::String(name.clone()));
    let policy: DustPolicy = table.try_into().map_err(|e: toml::de::Error| {
        let knobs: Vec<String> = params.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        InputError::Usage(format!("[sweep] variant {name} ({}): {}", knobs.join(", "), e.message()))
    })?;
    policy.check()?;
    Ok(Variant { index, params: params.iter().map(|(k, v)| (k.clone(), param_of(v))).collect(), policy })
}

impl SweepSpec {
    /// Every variant of the sweep, in a fixed order.
    pub fn variants(&self, base: &DustPolicy) -> Result<Vec<Variant>, InputError> {
        let grid: Vec<(String, Vec<toml::Value>)> = self
            .grid
            .iter()
            .map(|(k, v)| match v {
                toml::Value::Array(a) if !a.is_empty() => Ok((k.clone(), a.clone())),
                _ => Err(InputError::Usage(format!("[sweep.grid] {k} must be a non-empty list of values"))),
            })
            .collect::<Result<_, _>>()?;
        let ranges: Vec<(String, toml::Value, toml::Value)> = self
            .ranges
            .iter()
            .map(|(k, v)| {
                let num = |x: &toml::Value| x.as_float().or(x.as_integer().map(|i| i as f64)).filter(|f| f.is_finite());
                match v.as_array().map(|a| a.as_slice()) {
                    Some([lo, hi]) => match (num(lo), num(hi)) {
                        (Some(a), Some(b)) if a <= b => Ok((k.clone(), lo.clone(), hi.clone())),
                        (Some(a), Some(b)) => Err(InputError::Usage(format!(
                            "[sweep.ranges] {k} = [{a}, {b}]: the low bound is above the high bound"
                        ))),
                        _ => Err(InputError::Usage(format!(
                            "[sweep.ranges] {k} must be [low, high] with two finite numbers, got {v}"
                        ))),
                    },
                    _ => Err(InputError::Usage(format!("[sweep.ranges] {k} must be [low, high], got {v}"))),
                }
            })
            .collect::<Result<_, _>>()?;
        if let Some(n) = self.samples
            && !(1..=1_000_000).contains(&n)
        {
            return Err(InputError::Usage(format!("[sweep] samples must be in [1, 1000000], got {n}")));
        }
        if let Some(c) = self.chunk
            && !(1..=4096).contains(&c)
        {
            return Err(InputError::Usage(format!("[sweep] chunk must be in [1, 4096], got {c}")));
        }
        if grid.is_empty() && ranges.is_empty() {
            return Err(InputError::Usage("[sweep] names no knob: give [sweep.grid] or [sweep.ranges]".into()));
        }
        let mut out = Vec::new();
        if ranges.is_empty() {
            let total: usize = grid.iter().map(|g| g.1.len()).product();
            for i in 0..total {
                let mut rem = i;
                let mut params = Vec::new();
                for (k, values) in grid.iter().rev() {
                    params.push((k.clone(), values[rem % values.len()].clone()));
                    rem /= values.len();
                }
                params.reverse();
                out.push(build(base, i, params)?);
            }
        } else {
            let mut rng = seed::rng(self.seed.unwrap_or(0), 0x5eed);
            for i in 0..self.samples.unwrap_or(100) {
                let mut params = Vec::new();
                for (k, values) in &grid {
                    params.push((k.clone(), values[rng.random_range(0..values.len())].clone()));
                }
                for (k, lo, hi) in &ranges {
                    let v = match (lo, hi) {
                        (toml::Value::Integer(a), toml::Value::Integer(b)) => {
                            toml::Value::Integer(rng.random_range(*a.min(b)..=*a.max(b)))
                        }
                        _ => {
                            // Both bounds were checked to be finite numbers above.
                            let f =
                                |v: &toml::Value| v.as_float().or(v.as_integer().map(|i| i as f64)).unwrap_or(f64::NAN);
                            let (a, b) = (f(lo), f(hi));
                            toml::Value::Float(a + (b - a) * rng.random::<f64>())
                        }
                    };
                    params.push((k.clone(), v));
                }
                out.push(build(base, i, params)?);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::preset;

    #[test]
    fn grid_is_the_full_product_in_order() {
        let spec: SweepSpec =
            toml::from_str("[grid]\nlookback_days = [7, 14]\nceiling_width = [1.0, 2.0, 3.0]\n").unwrap();
        let v = spec.variants(&preset("ptn-dynamic").unwrap()).unwrap();
        assert_eq!(v.len(), 6);
        assert_eq!(v[0].policy.name, "v0000");
        // keys sort: ceiling_width varies slowest, lookback_days fastest.
        assert_eq!((v[1].policy.ceiling_width, v[1].policy.lookback_days), (1.0, 14.0));
        assert_eq!((v[5].policy.ceiling_width, v[5].policy.lookback_days), (3.0, 14.0));
        assert_eq!(
            v[5].params,
            vec![("ceiling_width".into(), Param::Number(3.0)), ("lookback_days".into(), Param::Number(14.0))]
        );
    }

    #[test]
    fn random_search_is_seeded_and_in_range() {
        let spec: SweepSpec =
            toml::from_str("samples = 20\nseed = 4\n[ranges]\nlookback_days = [7, 60]\nceiling_width = [0.5, 3.0]\n[grid]\n\"normalization.kind\" = [\"max\", \"rank\"]\n").unwrap();
        let a = spec.variants(&preset("ptn-dynamic").unwrap()).unwrap();
        let b = spec.variants(&preset("ptn-dynamic").unwrap()).unwrap();
        assert_eq!(a.len(), 20);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.policy, y.policy);
            assert!((7.0..=60.0).contains(&x.policy.lookback_days) && x.policy.lookback_days.fract() == 0.0);
            assert!((0.5..=3.0).contains(&x.policy.ceiling_width));
        }
        assert!(a.iter().any(|v| v.policy.normalization == crate::policy::config::Normalization::Rank));
    }

    #[test]
    fn bad_knobs_are_named() {
        let spec: SweepSpec = toml::from_str("[grid]\nlookbak_days = [7]\n").unwrap();
        let e = spec.variants(&preset("ptn-dynamic").unwrap()).unwrap_err().to_string();
        assert!(e.contains("lookbak_days"), "{e}");
    }
}
