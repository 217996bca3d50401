//! The replay clock: evaluation instants from start to end (both inclusive), aligned to the
//! step (00:00 UTC for days; 00:00 and 12:00 for half days).

use crate::error::InputError;

pub fn steps(start_ms: i64, end_ms: i64, step_ms: i64) -> Result<Vec<i64>, InputError> {
    let first = start_ms.div_euclid(step_ms) * step_ms + if start_ms.rem_euclid(step_ms) == 0 { 0 } else { step_ms };
    if first > end_ms {
        return Err(InputError::Usage(format!(
            "the clock has no step: start {} and end {} hold no {} boundary",
            crate::time::format_ms(start_ms),
            crate::time::format_ms(end_ms),
            if step_ms == crate::time::MS_PER_DAY { "00:00 UTC" } else { "12-hour" }
        )));
    }
    Ok((0..).map(|k| first + k * step_ms).take_while(|t| *t <= end_ms).collect())
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
    }
}
