//! `payout = "production"`: the release in force at each instant, from a dated schedule
//! (`scenarios/production-eras.toml`, embedded at build time). Before the first release the
//! schedule has nothing to say, and refuses.

use serde::Deserialize;

use super::{Context, Debt, Payout, PayoutModel, UnknownBucket, model};
use crate::error::InputError;
use crate::ledger::store::AsOf;
use crate::time::{TimeValue, format_ms};

/// The schedule shipped with dustlab.
pub const PRODUCTION_ERAS: &str = include_str!("../../../scenarios/production-eras.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EraFile {
    era: Vec<EraEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EraEntry {
    from: TimeValue,
    release: String,
    /// The dust preset the release shipped (what `preset = "production"` follows).
    preset: String,
    payout: String,
}

/// One release and the instant it took over.
pub struct Era {
    pub from_ms: i64,
    pub release: String,
    pub preset: String,
    pub model: Box<dyn PayoutModel>,
}

pub struct Schedule {
    pub eras: Vec<Era>,
}

impl Schedule {
    pub fn parse(text: &str, origin: &str) -> Result<Schedule, InputError> {
        let file: EraFile = toml::from_str(text).map_err(|e| InputError::file(origin, e.message()))?;
        let mut eras = Vec::new();
        for e in file.era {
            if e.payout == "production" {
                return Err(InputError::file(origin, "an era cannot be paid by `production` itself"));
            }
            let from_ms = e.from.resolve().map_err(|err| InputError::file(origin, err))?;
            if e.preset == "production" {
                return Err(InputError::file(origin, "an era's dust cannot be `production` itself"));
            }
            crate::policy::preset(&e.preset).map_err(|err| InputError::file(origin, err))?;
            let model = model(&e.payout).map_err(|err| InputError::file(origin, err))?;
            eras.push(Era { from_ms, release: e.release, preset: e.preset, model });
        }
        if eras.is_empty() {
            return Err(InputError::file(origin, "the schedule names no [[era]]"));
        }
        if eras.windows(2).any(|w| w[0].from_ms >= w[1].from_ms) {
            return Err(InputError::file(origin, "eras must be listed oldest first, each from a later date"));
        }
        Ok(Schedule { eras })
    }

    pub fn production() -> Schedule {
        Schedule::parse(PRODUCTION_ERAS, "scenarios/production-eras.toml").expect("the shipped schedule parses")
    }

    /// The dust policy of each release, from its date: what `preset = "production"` follows.
    /// The policy's name and base DUST carry over; its other knobs are the release's.
    pub fn dust_phases(
        &self,
        p: &crate::policy::DustPolicy,
    ) -> Result<Vec<(i64, crate::policy::DustPolicy)>, InputError> {
        self.eras
            .iter()
            .map(|e| {
                let mut q = crate::policy::preset(&e.preset)?;
                q.name = p.name.clone();
                q.dust = p.dust;
                q.payout = p.payout.clone();
                Ok((e.from_ms, q))
            })
            .collect()
    }

    /// Index of the era in force at `t`.
    pub fn era_at(&self, t: i64) -> Option<usize> {
        let j = self.eras.partition_point(|e| e.from_ms <= t);
        j.checked_sub(1)
    }
}

impl PayoutModel for Schedule {
    fn name(&self) -> &'static str {
        "production"
    }

    fn debt(&self, view: &AsOf, ctx: &Context) -> Result<Debt, InputError> {
        let i = self.era_at(view.t).ok_or_else(|| {
            InputError::Usage(format!(
                "payout \"production\" at {}: before the first release of the schedule ({}, {}); start the clock later or name a payout model",
                format_ms(view.t),
                self.eras[0].release,
                format_ms(self.eras[0].from_ms)
            ))
        })?;
        Ok(Debt::Era(i, Box::new(self.eras[i].model.debt(view, ctx)?)))
    }

    fn settle(&self, dust: &[f64], debt: &Debt) -> Payout {
        match debt {
            Debt::Era(i, inner) => self.eras[*i].model.settle(dust, inner),
            // Not produced by this model; settle as the latest release would.
            other => self.eras[self.eras.len() - 1].model.settle(dust, other),
        }
    }

    fn unknown_bucket(&self) -> UnknownBucket {
        self.eras[self.eras.len() - 1].model.unknown_bucket()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::store::Store;
    use crate::time::parse_time;

    #[test]
    fn the_shipped_schedule_maps_dates_to_releases() {
        let s = Schedule::production();
        let at = |d: &str| s.era_at(parse_time(d).unwrap()).map(|i| s.eras[i].model.name());
        assert_eq!(at("2025-10-30"), None);
        assert_eq!(at("2025-10-31"), Some("monthly-2025-10-31"));
        assert_eq!(at("2025-11-06T00:00:00Z"), Some("monthly-2025-11-06"));
        assert_eq!(at("2025-12-01"), Some("monthly-2025-11-30"));
        assert_eq!(at("2025-12-05"), Some("cumulative-2025-12-05"));
        let empty = Store::default();
        let e = s.debt(&AsOf::new(&empty, parse_time("2025-10-01").unwrap()), &Context::default()).unwrap_err();
        assert!(e.to_string().contains("before the first release"), "{e}");
        assert!(
            Schedule::parse("[[era]]\nfrom = \"2025-12-01\"\nrelease = \"x\"\npayout = \"nope\"\n", "e.toml").is_err()
        );
    }
}
