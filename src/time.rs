//! UTC calendar arithmetic on epoch milliseconds.
//!
//! The validator reasons in UTC months and 12-hour checkpoints; a tiny civil-calendar
//! implementation keeps month edges exact without pulling in a date-time crate.

use crate::error::InputError;

pub const MS_PER_DAY: i64 = 86_400_000;
/// Checkpoint spacing of the validator's debt ledger.
pub const CHECKPOINT_MS: i64 = 43_200_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A UTC calendar month, ordered chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    pub year: i64,
    pub month: u32,
}

impl Month {
    pub fn of_ms(ms: i64) -> Month {
        let (year, month, _) = civil_from_days(ms.div_euclid(MS_PER_DAY));
        Month { year, month }
    }
    pub fn prev(self) -> Month {
        if self.month == 1 {
            Month { year: self.year - 1, month: 12 }
        } else {
            Month { year: self.year, month: self.month - 1 }
        }
    }
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { year: self.year, month: self.month + 1 }
        }
    }
    /// First millisecond of the month.
    pub fn start_ms(self) -> i64 {
        days_from_civil(self.year, self.month, 1) * MS_PER_DAY
    }
    /// Last millisecond of the month (23:59:59.999 of its last day), as the validator computes it.
    pub fn end_ms(self) -> i64 {
        self.next().start_ms() - 1
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// RFC 3339 rendering (UTC, millisecond precision when needed).
pub fn format_ms(ms: i64) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let rem = ms.rem_euclid(MS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, milli) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
    if milli == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
    }
}

/// Short date (YYYY-MM-DD) of an instant, for tables and summaries.
pub fn format_date(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(MS_PER_DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

/// A time given as epoch milliseconds or an RFC 3339 string (scenario files, CSV cells).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
pub enum TimeValue {
    Ms(i64),
    Text(String),
}

impl TimeValue {
    pub fn resolve(&self) -> Result<i64, InputError> {
        match self {
            TimeValue::Ms(ms) => Ok(*ms),
            TimeValue::Text(s) => parse_time(s),
        }
    }
}

/// Parses epoch milliseconds, an RFC 3339 timestamp, or a bare `YYYY-MM-DD` (midnight UTC).
/// chrono does the calendar work: text is never sliced by byte offsets, so any string is
/// either a time or an error.
pub fn parse_time(text: &str) -> Result<i64, InputError> {
    let t = text.trim();
    let bad = || InputError::Time(text.to_string());
    if let Ok(ms) = t.parse::<i64>() {
        return Ok(ms);
    }
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        return Ok(d.timestamp_millis());
    }
    let date = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| bad())?;
    // `%Y` would take "02025" or "+2025"; a bare date is exactly ten characters.
    if t.chars().count() != 10 {
        return Err(bad());
    }
    Ok(date.and_time(chrono::NaiveTime::MIN).and_utc().timestamp_millis())
}

pub fn days_in_month(year: i64, month: u32) -> u32 {
    let m = Month { year, month };
    ((m.next().start_ms() - m.start_ms()) / MS_PER_DAY) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_and_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2025, 12, 1) * MS_PER_DAY, 1_764_547_200_000);
        for d in [-1000, 0, 19_000, 20_423, 60_000] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }

    #[test]
    fn month_edges_are_the_validators() {
        let m = Month { year: 2025, month: 10 };
        assert_eq!(format_ms(m.end_ms()), "2025-10-31T23:59:59.999Z");
        assert_eq!(format_ms(m.next().start_ms()), "2025-11-01T00:00:00Z");
        assert_eq!(Month::of_ms(m.end_ms()), m);
        assert_eq!(Month::of_ms(m.end_ms() + 1), m.next());
        assert_eq!(Month { year: 2026, month: 1 }.prev(), Month { year: 2025, month: 12 });
        assert_eq!(days_in_month(2024, 2), 29);
    }

    #[test]
    fn parses_epoch_and_rfc3339() {
        assert_eq!(parse_time("1764547200000").unwrap(), 1_764_547_200_000);
        assert_eq!(parse_time("2025-12-01T00:00:00Z").unwrap(), 1_764_547_200_000);
        assert_eq!(parse_time("2025-12-01").unwrap(), 1_764_547_200_000);
        assert_eq!(parse_time("2025-12-01T02:00:00+02:00").unwrap(), 1_764_547_200_000);
        assert_eq!(parse_time("2025-11-30T23:59:59.999Z").unwrap(), 1_764_547_199_999);
        assert!(parse_time("2025-13-01").is_err());
        assert!(parse_time("yesterday").is_err());
        for odd in ["2025-01-0€", "€", "2025-12-01T00:0€:00Z", "", "2025-12-01T", "99999-01-01"] {
            assert!(parse_time(odd).is_err(), "{odd:?}");
        }
    }
}
