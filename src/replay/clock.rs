//! The replay clock: evaluation instants from start to end (both inclusive), aligned to the
//! step (00:00 UTC for days; 00:00 and 12:00 for half days).

use crate::error::InputError;

pub fn steps(start_ms: i64, end_ms: i64, step_ms: i64) -> Result<Vec<i64>, InputError> {
    let first = start_ms
        .div_euclid(step_ms)
        .checked_mul(step_ms)
        .and_then(|f| f.checked_add(if start_ms.rem_euclid(step_ms) == 0 { 0 } else { step_ms }));
    let Some(first) = first else {
        return Err(InputError::Usage(format!("the clock start {start_ms} is out of range")));
    };
    if first > end_ms {
        return Err(InputError::Usage(format!(
            "the clock has no step: start {} and end {} hold no {} boundary",
            crate::time::format_ms(start_ms),
            crate::time::format_ms(end_ms),
            if step_ms == crate::time::MS_PER_DAY { "00:00 UTC" } else { "12-hour" }
        )));
    }
    Ok((0..).map_while(|k: i64| first.checked_add(k.checked_mul(step_ms)?)).take_while(|t| *t <= end_ms).collect())
}

/// Refuses a clock that starts or ends more than `slack_ms` (the longest lookback) outside
/// the data's span `data`: those steps would replay nothing, and a far end would allocate
/// without bound.
pub fn within_data(start_ms: i64, end_ms: i64, data: (i64, i64), slack_ms: i64) -> Result<(), InputError> {
    let slack_days = slack_ms / crate::time::MS_PER_DAY;
    let fmt = crate::time::format_ms;
    if end_ms.saturating_sub(data.1) > slack_ms {
        return Err(InputError::Usage(format!(
            "the clock ends at {} but the data ends at {}: more than the longest lookback ({slack_days} days) past the data; set an end within it",
            fmt(end_ms),
            fmt(data.1)
        )));
    }
    if data.0.saturating_sub(start_ms) > slack_ms {
        return Err(InputError::Usage(format!(
            "the clock starts at {} but the data starts at {}: more than the longest lookback ({slack_days} days) before the data; set a start within it",
            fmt(start_ms),
            fmt(data.0)
        )));
    }
    if start_ms > end_ms {
        return Err(InputError::Usage(format!("the clock starts at {} after its end {}", fmt(start_ms), fmt(end_ms))));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::MS_PER_DAY;

    #[test]
    fn inclusive_and_aligned() {
        assert_eq!(steps(0, 2 * MS_PER_DAY, MS_PER_DAY).unwrap(), vec![0, MS_PER_DAY, 2 * MS_PER_DAY]);
        assert_eq!(steps(1, 2 * MS_PER_DAY, MS_PER_DAY).unwrap(), vec![MS_PER_DAY, 2 * MS_PER_DAY]);
        assert_eq!(steps(0, MS_PER_DAY, MS_PER_DAY / 2).unwrap().len(), 3);
        assert!(steps(1, 100, MS_PER_DAY).is_err());
        assert!(steps(i64::MAX - 5, i64::MAX, MS_PER_DAY).is_err(), "no overflow at the edge");
    }

    #[test]
    fn a_clock_far_outside_the_data_is_refused() {
        let data = (10 * MS_PER_DAY, 20 * MS_PER_DAY);
        assert!(within_data(10 * MS_PER_DAY, 50 * MS_PER_DAY, data, 30 * MS_PER_DAY).is_ok());
        assert!(within_data(10 * MS_PER_DAY, 51 * MS_PER_DAY, data, 30 * MS_PER_DAY).is_err());
        assert!(within_data(-21 * MS_PER_DAY, 20 * MS_PER_DAY, data, 30 * MS_PER_DAY).is_err());
        assert!(within_data(0, i64::MAX, data, 30 * MS_PER_DAY).is_err());
    }
}
