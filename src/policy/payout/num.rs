//! Weights as production's Python holds them: plain doubles, or NumPy float32 scalars when
//! they come from R2's float32 emission list. Under NumPy ≥ 2 any arithmetic or comparison
//! between a float32 and a double runs in float32, so a float32 spreads through `max`, the
//! running sum S, the burn weight and the normalisation. Kept literally, step by step.

use super::{Payout, burn::burn_step};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    F64(f64),
    F32(f32),
}

impl Num {
    pub fn value(self) -> f64 {
        match self {
            Num::F64(x) => x,
            Num::F32(x) => x as f64,
        }
    }

    fn add(self, other: Num) -> Num {
        match (self, other) {
            (Num::F64(a), Num::F64(b)) => Num::F64(a + b),
            (a, b) => Num::F32(a.value() as f32 + b.value() as f32),
        }
    }

    /// Python's `max(debt, dust)`: the first argument unless the second is strictly greater,
    /// the comparison in float32 when the debt is one.
    fn max_with_dust(self, dust: f64) -> Num {
        match self {
            Num::F64(d) => {
                if dust > d {
                    Num::F64(dust)
                } else {
                    Num::F64(d)
                }
            }
            Num::F32(d) => {
                if (dust as f32) > d {
                    Num::F64(dust)
                } else {
                    Num::F32(d)
                }
            }
        }
    }
}

/// Combined weight `max(debt, dust)` per miner, then the burn step: S summed left to right
/// from an exact 0; S < 1 → the burn gets 1 − S; otherwise every weight is divided by S.
pub fn settle(dust: &[f64], debt: &[Num], remaining: &[f64]) -> Payout {
    let combined: Vec<Num> = debt.iter().zip(dust).map(|(d, w)| d.max_with_dust(*w)).collect();
    if combined.iter().all(|c| matches!(c, Num::F64(_))) {
        // All doubles: the shared burn step (and its tests) apply as they are.
        let pre: Vec<f64> = combined.iter().map(|c| c.value()).collect();
        let (final_w, burn) = burn_step(&pre);
        let debt = debt.iter().map(|d| d.value()).collect();
        return Payout { final_w, burn, pre_burn: pre, remaining_usd: remaining.to_vec(), debt };
    }
    let s = combined.iter().fold(Num::F64(0.0), |acc, w| acc.add(*w));
    let pre: Vec<f64> = combined.iter().map(|c| c.value()).collect();
    let (final_w, burn) = match s {
        Num::F32(s32) if s32 < 1.0 => (pre.clone(), Some((1.0f32 - s32) as f64)),
        Num::F32(s32) => (combined.iter().map(|c| (c.value() as f32 / s32) as f64).collect(), None),
        Num::F64(_) => unreachable!("a float32 weight makes S float32"),
    };
    Payout {
        final_w,
        burn,
        pre_burn: pre,
        remaining_usd: remaining.to_vec(),
        debt: debt.iter().map(|d| d.value()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_follow_the_burn_step() {
        let p = settle(&[0.1, 0.2], &[Num::F64(0.0), Num::F64(0.5)], &[0.0, 1.0]);
        assert_eq!(p.final_w, vec![0.1, 0.5]);
        assert_eq!(p.burn, Some(1.0 - (0.1 + 0.5)));
    }

    #[test]
    fn a_float32_debt_turns_s_and_the_burn_float32() {
        // Dust 0.1 beats a float32 debt of 0.05: it stays a double; the second weight is float32.
        let p = settle(&[0.1, 0.0], &[Num::F32(0.05), Num::F32(0.3)], &[1.0, 1.0]);
        assert_eq!(p.final_w, vec![0.1, 0.3f32 as f64]);
        let s = 0.1f64 as f32 + 0.3f32;
        assert_eq!(p.burn, Some((1.0f32 - s) as f64));
        // S ≥ 1: every weight divided in float32.
        let p = settle(&[0.2, 0.0], &[Num::F32(0.1), Num::F32(0.9)], &[1.0, 1.0]);
        let s = 0.2f64 as f32 + 0.9f32;
        assert_eq!(p.final_w, vec![(0.2f64 as f32 / s) as f64, (0.9f32 / s) as f64]);
        assert_eq!(p.burn, None);
    }

    #[test]
    fn the_float32_comparison_keeps_the_debt_on_a_float32_tie() {
        // 0.1 as float32 equals the debt: not strictly greater, the debt (float32) is kept.
        let p = settle(&[0.1], &[Num::F32(0.1f32)], &[1.0]);
        assert_eq!(p.pre_burn, vec![0.1f32 as f64]);
    }
}
