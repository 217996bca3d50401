//! The realized-era releases' calendar (horizons, the weekly boundary) and their projection
//! of emissions in USD from the metagraph, in exactly the validator's order of operations,
//! double or float32. Production raises where the price is missing; so does this, naming the
//! metagraph and what is missing, and no weights are produced.

use crate::error::InputError;
use crate::ledger::metagraph::{EmissionDtype, Metagraph, Price};
use crate::time::{MS_PER_DAY, civil_from_days};

/// First instant of November 2025: where R2 and R3 start counting.
pub const NOV_2025_MS: i64 = 1_761_955_200_000;
/// First debt-paying instant of R1 and R2 (2025-12-01T00:00:00Z).
pub const DEC_2025_MS: i64 = 1_764_547_200_000;

/// Days to pay a monthly remaining in: with d the day of month, min(26 − d, 4) up to the
/// 25th, 0 from the 26th.
pub fn monthly_horizon(t: i64) -> u32 {
    let (_, _, d) = civil_from_days(t.div_euclid(MS_PER_DAY));
    if d <= 25 { (26 - d).min(4) } else { 0 }
}

/// Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday).
fn weekday(t: i64) -> i64 {
    (t.div_euclid(MS_PER_DAY) + 3).rem_euclid(7)
}

/// The weekly release's boundary: 00:00 UTC of the most recent Sunday on or before `t`.
pub fn weekly_boundary(t: i64) -> i64 {
    let day = t.div_euclid(MS_PER_DAY);
    (day - (weekday(t) + 1) % 7) * MS_PER_DAY
}

/// 7 on Sunday, 6 on Monday, …, 1 on Saturday.
pub fn weekly_horizon(t: i64) -> u32 {
    (7 - (weekday(t) + 1) % 7) as u32
}

/// A projection's daily USD, double or float32.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Daily {
    F64(f64),
    F32(f32),
}

impl Daily {
    pub fn positive(self) -> bool {
        match self {
            Daily::F64(x) => x > 0.0,
            Daily::F32(x) => x > 0.0,
        }
    }
}

fn fail(m: &Metagraph, release: &str, what: &str) -> InputError {
    let source = if m.source.is_empty() {
        "no metagraph given (--metagraph)".to_string()
    } else {
        format!("metagraph {}", m.source)
    };
    InputError::Usage(format!(
        "{source}: {what}; the release of {release} raises here and sets no weights (production's failure, reproduced)"
    ))
}

fn price(m: &Metagraph, release: &str) -> Result<f64, InputError> {
    match &m.tao_to_usd_rate {
        Price::Value(p) if *p > 0.0 => Ok(*p),
        Price::Value(p) => Err(fail(m, release, &format!("the TAO price tao_to_usd_rate is {p}, not positive"))),
        Price::Missing => Err(fail(m, release, "the TAO price tao_to_usd_rate is missing")),
        Price::NotANumber(s) => Err(fail(m, release, &format!("the TAO price tao_to_usd_rate is {s}, not a number"))),
    }
}

fn reserves(m: &Metagraph) -> Option<(f64, f64)> {
    match (m.tao_reserve_rao, m.alpha_reserve_rao) {
        (Some(t), Some(a)) if t != 0.0 && a != 0.0 => Some((t, a)),
        _ => None,
    }
}

/// R2 (release of 5 December 2025): E = Σ emission (uid order); TAO over the horizon =
/// (E / 360) × (horizon × 7200); ALPHA = TAO / (tao/alpha reserve); USD = (ALPHA × rate) ×
/// price; daily = USD / horizon (or USD with horizon 0). `missing_list_ok`: R1 reads the
/// figures only for a log line and treats an absent list as empty.
pub fn project_r2(m: &Metagraph, horizon: u32, release: &str, missing_list_ok: bool) -> Result<Daily, InputError> {
    let list = match &m.emission {
        Some(l) => l.as_slice(),
        None if missing_list_ok => &[],
        None => return Err(fail(m, release, "the emission list is missing")),
    };
    let blocks = (horizon * 7200) as f64;
    match m.emission_dtype {
        EmissionDtype::Float64 => {
            let e: f64 = list.iter().fold(0.0, |a, x| a + x);
            let tao = (e / 360.0) * blocks;
            let Some((tr, ar)) = reserves(m) else { return Ok(Daily::F64(0.0)) };
            let rate = tr / ar;
            let alpha = if rate <= 0.0 { 0.0 } else { tao / rate };
            if alpha == 0.0 {
                return Ok(Daily::F64(0.0));
            }
            let p = price(m, release)?;
            let rate = tr / ar;
            let usd = (alpha * rate) * p;
            Ok(Daily::F64(if horizon > 0 { usd / horizon as f64 } else { usd }))
        }
        EmissionDtype::Float32 => {
            let e: f32 = list.iter().fold(0.0f32, |a, x| a + *x as f32);
            let tao = (e / 360.0f32) * blocks as f32;
            let Some((tr, ar)) = reserves(m) else { return Ok(Daily::F64(0.0)) };
            let rate = tr / ar;
            let alpha = if rate <= 0.0 { 0.0f32 } else { tao / rate as f32 };
            if alpha == 0.0 {
                return Ok(Daily::F64(0.0));
            }
            let p = price(m, release)?;
            let rate = tr / ar;
            let usd = (alpha * rate as f32) * p as f32;
            Ok(Daily::F32(if horizon > 0 { usd / horizon as f32 } else { usd }))
        }
    }
}

/// R3 (weekly, 843e57e0): the list read as ALPHA: ALPHA = (E / 360) × (horizon × 7200);
/// USD = (ALPHA × (tao/alpha reserve)) × price; daily = USD / horizon.
pub fn project_r3(m: &Metagraph, horizon: u32, release: &str) -> Result<Daily, InputError> {
    let list = m.emission.as_deref().ok_or_else(|| fail(m, release, "the emission list is missing"))?;
    let e: f64 = list.iter().fold(0.0, |a, x| a + x);
    let alpha = (e / 360.0) * (horizon * 7200) as f64;
    let Some((tr, ar)) = reserves(m) else { return Ok(Daily::F64(0.0)) };
    if alpha == 0.0 {
        return Ok(Daily::F64(0.0));
    }
    let p = price(m, release)?;
    let usd = (alpha * (tr / ar)) * p;
    Ok(Daily::F64(usd / horizon as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_time;

    fn t(s: &str) -> i64 {
        parse_time(s).unwrap()
    }

    #[test]
    fn monthly_horizon_by_day_including_the_25th_and_26th() {
        assert_eq!(monthly_horizon(t("2025-12-01T00:00:00Z")), 4);
        assert_eq!(monthly_horizon(t("2025-12-22T23:59:59Z")), 4);
        assert_eq!(monthly_horizon(t("2025-12-23T00:00:00Z")), 3);
        assert_eq!(monthly_horizon(t("2025-12-24T12:00:00Z")), 2);
        assert_eq!(monthly_horizon(t("2025-12-25T00:00:00Z")), 1);
        assert_eq!(monthly_horizon(t("2025-12-25T23:59:59.999Z")), 1, "the 25th all day long");
        assert_eq!(monthly_horizon(t("2025-12-26T00:00:00Z")), 0);
        assert_eq!(monthly_horizon(t("2025-12-31T23:59:59.999Z")), 0);
        assert_eq!(monthly_horizon(t("2026-02-28T00:00:00Z")), 0);
    }

    #[test]
    fn weekly_boundary_is_the_last_sunday() {
        // 2025-12-07 is a Sunday.
        assert_eq!(weekly_boundary(t("2025-12-07T00:00:00Z")), t("2025-12-07T00:00:00Z"));
        assert_eq!(weekly_horizon(t("2025-12-07T00:00:00Z")), 7);
        assert_eq!(weekly_boundary(t("2025-12-07T18:00:00Z")), t("2025-12-07T00:00:00Z"));
        assert_eq!(weekly_boundary(t("2025-12-08T12:00:00Z")), t("2025-12-07T00:00:00Z"));
        assert_eq!(weekly_horizon(t("2025-12-08T12:00:00Z")), 6, "Monday");
        assert_eq!(weekly_boundary(t("2025-12-13T23:59:59Z")), t("2025-12-07T00:00:00Z"));
        assert_eq!(weekly_horizon(t("2025-12-13T23:59:59Z")), 1, "Saturday");
    }

    fn mg(price: Price, dtype: EmissionDtype) -> Metagraph {
        Metagraph {
            source: "m.json".into(),
            emission: Some(vec![0.5, 0.25, 1.75]),
            tao_reserve_rao: Some(3.0e15),
            alpha_reserve_rao: Some(1.2e17),
            tao_to_usd_rate: price,
            emission_dtype: dtype,
            ..Metagraph::default()
        }
    }

    #[test]
    fn r2_projection_in_the_validators_order() {
        let m = mg(Price::Value(400.0), EmissionDtype::Float64);
        let e = 0.5 + 0.25 + 1.75;
        let tao = (e / 360.0) * (3.0 * 7200.0);
        let rate = 3.0e15 / 1.2e17;
        let want = ((tao / rate) * rate) * 400.0 / 3.0;
        assert_eq!(project_r2(&m, 3, "5 December 2025", false).unwrap(), Daily::F64(want));
        // float32: every step rounded to float32, rate and price rounded first.
        let m = mg(Price::Value(400.0), EmissionDtype::Float32);
        let e32 = 0.5f32 + 0.25f32 + 1.75f32;
        let tao32 = (e32 / 360.0f32) * 21600.0f32;
        let a32 = tao32 / (rate as f32);
        let want32 = ((a32 * rate as f32) * 400.0f32) / 3.0f32;
        assert_eq!(project_r2(&m, 3, "5 December 2025", false).unwrap(), Daily::F32(want32));
    }

    #[test]
    fn r2_failures_and_the_harmless_cases() {
        for p in [Price::Missing, Price::Value(0.0), Price::NotANumber("\"x\"".into())] {
            let e = project_r2(&mg(p, EmissionDtype::Float64), 2, "5 December 2025", false).unwrap_err().to_string();
            assert!(e.contains("m.json") && e.contains("tao_to_usd_rate"), "{e}");
        }
        // Horizon 0, a zero reserve or no emission: no price needed.
        assert_eq!(project_r2(&mg(Price::Missing, EmissionDtype::Float64), 0, "x", false).unwrap(), Daily::F64(0.0));
        let mut m = mg(Price::Missing, EmissionDtype::Float64);
        m.alpha_reserve_rao = Some(0.0);
        assert_eq!(project_r2(&m, 4, "x", false).unwrap(), Daily::F64(0.0));
        m.emission = None;
        assert!(project_r2(&m, 4, "x", false).unwrap_err().to_string().contains("emission list is missing"));
        assert_eq!(project_r2(&m, 4, "x", true).unwrap(), Daily::F64(0.0));
    }
}
