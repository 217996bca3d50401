//! The monthly debt model of the validator releases of 31 October and 6 November 2025.
//! They differ only in their edge rules for zero and one miner.

#[cfg(test)]
use super::Target;
use super::{Context, Debt, Payout, PayoutModel};
use crate::error::InputError;
use crate::ledger::store::AsOf;
use crate::time::Month;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EdgeRules {
    /// No miners → empty result; one miner → that miner alone at 1.0, before anything else.
    Release20251031,
    /// No miners → the burn alone at 1.0; one miner goes through the normal path.
    Release20251106,
}

pub struct Monthly {
    name: &'static str,
    /// The activation month: while the previous month (M−1) precedes it, weights are dust-only.
    activation: Month,
    edges: EdgeRules,
}

impl Monthly {
    pub fn release_2025_10_31() -> Self {
        Monthly {
            name: "monthly-2025-10-31",
            activation: Month { year: 2025, month: 12 },
            edges: EdgeRules::Release20251031,
        }
    }
    pub fn release_2025_11_06() -> Self {
        Monthly {
            name: "monthly-2025-11-06",
            activation: Month { year: 2025, month: 12 },
            edges: EdgeRules::Release20251106,
        }
    }

    /// USD still owed to each miner at `t`: last month's penalty-adjusted PnL of its
    /// MAINCOMP/PROBATION checkpoints minus this month's emissions on such checkpoints.
    fn remaining(view: &AsOf, ctx: &Context) -> Vec<f64> {
        let month = Month::of_ms(view.t);
        (0..view.len())
            .map(|m| {
                if !view.has_checkpoints(m) {
                    return 0.0;
                }
                let needed = Self::needed(view, m);
                // The record through prefix sums; a closed loop's own payments summed directly.
                let actual = match ctx.paid {
                    None => view.earning_usd_sum(m, month.start_ms(), view.t),
                    Some(_) => ctx.usd_sum(view, m, month.start_ms(), view.t, crate::ledger::Status::is_earning),
                };
                Self::remaining_of(needed, actual)
            })
            .collect()
    }
}

impl Monthly {
    /// Whether the debt side is active at `t` (before that, weights are the dust alone).
    pub fn active(&self, t: i64) -> bool {
        Month::of_ms(t).prev() >= self.activation
    }

    /// USD view miner `m` earned last month (penalty-adjusted PnL of its MAINCOMP/PROBATION
    /// checkpoints): what the model owes it this month, before this month's payments.
    pub fn needed(view: &AsOf, m: usize) -> f64 {
        let prev = Month::of_ms(view.t).prev();
        view.pnl_sum(m, prev.start_ms(), prev.end_ms(), true)
    }

    /// The debt at `t` given a way to find what each miner is still owed this month: dust
    /// only before activation. A closed loop passes its own running sums.
    pub fn debt_with(&self, t: i64, remaining: impl FnOnce() -> Vec<f64>) -> Debt {
        if self.active(t) { Debt::Remaining(remaining()) } else { Debt::DustOnly }
    }

    /// The remaining USD from what is needed and what was paid this month on earning
    /// checkpoints: never negative.
    pub fn remaining_of(needed: f64, actual: f64) -> f64 {
        let r = needed - actual;
        if r < 0.0 { 0.0 } else { r }
    }
}

/// What a miner was paid this month on earning checkpoints, as the model sums it (in
/// checkpoint order, from the month's first checkpoint), kept across steps by a closed loop so
/// each checkpoint is added once rather than the month re-summed at every step. A checkpoint
/// is added once it is at or before the step, and a closed loop pays only later ones, so the
/// sum is the model's to the last bit.
#[derive(Debug, Clone, Copy)]
pub struct MonthPaid {
    /// Start of the month the sum is for (i64::MIN: none yet).
    month: i64,
    /// Next checkpoint not yet added.
    next: usize,
    pub sum: f64,
}

impl Default for MonthPaid {
    fn default() -> Self {
        MonthPaid { month: i64::MIN, next: 0, sum: 0.0 }
    }
}

impl MonthPaid {
    /// Adds the checkpoints before index `end` that `due` says are at or before the step (a
    /// prefix of them). In a new month the sum restarts at its first checkpoint, `first()`
    /// (months only move forward). `paid(c)`: checkpoint `c`'s payment where it counts (an
    /// earning checkpoint), None elsewhere.
    pub fn catch_up(
        &mut self,
        month: i64,
        first: impl FnOnce() -> usize,
        end: usize,
        due: impl Fn(usize) -> bool,
        paid: impl Fn(usize) -> Option<f64>,
    ) -> f64 {
        if self.month != month {
            *self = MonthPaid { month, next: first(), sum: 0.0 };
        }
        while self.next < end && due(self.next) {
            if let Some(usd) = paid(self.next) {
                self.sum += usd;
            }
            self.next += 1;
        }
        self.sum
    }
}

impl PayoutModel for Monthly {
    fn monthly(&self) -> Option<&Monthly> {
        Some(self)
    }

    fn name(&self) -> &'static str {
        self.name
    }

    fn debt(&self, view: &AsOf, ctx: &Context) -> Result<Debt, InputError> {
        Ok(self.debt_with(view.t, || Self::remaining(view, ctx)))
    }

    fn settle(&self, dust: &[f64], debt: &Debt) -> Payout {
        let n = dust.len();
        match (self.edges, n) {
            (EdgeRules::Release20251031, 0) => return Payout::default(),
            (EdgeRules::Release20251031, 1) => {
                return Payout {
                    final_w: vec![1.0],
                    burn: None,
                    pre_burn: vec![1.0],
                    remaining_usd: vec![0.0],
                    debt: vec![0.0],
                };
            }
            (EdgeRules::Release20251106, 0) => {
                return Payout {
                    final_w: vec![],
                    burn: Some(1.0),
                    pre_burn: vec![],
                    remaining_usd: vec![],
                    debt: vec![],
                };
            }
            _ => {}
        }
        match debt {
            Debt::DustOnly => Payout::from_pre_burn(dust.to_vec(), vec![0.0; n]),
            Debt::Weights { .. } | Debt::Era(..) => super::settle_realized(dust, debt),
            Debt::Remaining(remaining) => {
                // Quirk kept: USD compared with a unitless dust weight.
                let pre_burn: Vec<f64> =
                    remaining.iter().zip(dust).map(|(r, d)| if r >= d { *r } else { *d }).collect();
                Payout::from_pre_burn(pre_burn, remaining.clone())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::store::Store;
    use crate::testutil::{cp, set};
    use crate::time::{CHECKPOINT_MS, parse_time};

    fn ms(s: &str) -> i64 {
        parse_time(s).unwrap()
    }

    /// Miner A: PnL in December (MAINCOMP and CHALLENGE checkpoints), emissions in January.
    fn store() -> Store {
        let a = vec![
            cp(ms("2025-11-30T12:00:00Z"), 1000.0, 1.0, "MAINCOMP", 0.0), // November: not last month for January
            cp(ms("2025-12-01T00:00:00Z"), 100.0, 0.5, "MAINCOMP", 0.0),  // first ms of December: counted
            cp(ms("2025-12-15T12:00:00Z"), 300.0, 1.0, "CHALLENGE", 0.0), // not an earning status
            cp(ms("2025-12-20T00:00:00Z"), -20.0, 1.0, "PROBATION", 0.0),
            cp(ms("2025-12-31T12:00:00Z"), 200.0, 1.0, "MAINCOMP", 0.0), // last checkpoint of December
            cp(ms("2026-01-01T00:00:00Z"), 0.0, 1.0, "MAINCOMP", 40.0),  // first ms of January: actual
            cp(ms("2026-01-10T00:00:00Z"), 0.0, 1.0, "CHALLENGE", 500.0), // not an earning status
            cp(ms("2026-01-20T00:00:00Z"), 0.0, 1.0, "MAINCOMP", 60.0),
        ];
        let b = vec![cp(ms("2025-12-10T00:00:00Z"), 5.0, 1.0, "MAINCOMP", 0.0)];
        Store::from_set(&set(vec![("A", a), ("B", b), ("C", vec![])]))
    }

    #[test]
    fn needed_actual_remaining_with_month_edges() {
        let s = store();
        // needed(A) = 100×0.5 − 20 + 200 = 230; at Jan 1 00:00, actual = 40 (the checkpoint at t counts).
        let r = Monthly::remaining(&AsOf::new(&s, ms("2026-01-01T00:00:00Z")), &Context::default());
        assert_eq!(r, vec![190.0, 5.0, 0.0]);
        // Jan 15: actual still 40 (CHALLENGE emissions do not count) → 190.
        assert_eq!(Monthly::remaining(&AsOf::new(&s, ms("2026-01-15T00:00:00Z")), &Context::default())[0], 190.0);
        // Jan 31 23:59:59.999: actual 100 → 130; still January.
        assert_eq!(Monthly::remaining(&AsOf::new(&s, ms("2026-01-31T23:59:59.999Z")), &Context::default())[0], 130.0);
        // Feb 1 00:00: last month is January (no PnL) → 0, never negative.
        assert_eq!(
            Monthly::remaining(&AsOf::new(&s, ms("2026-02-01T00:00:00Z")), &Context::default()),
            vec![0.0, 0.0, 0.0]
        );
        // Dec 31 23:59:59.999 is still December: last month is November → needed 1000.
        assert_eq!(Monthly::remaining(&AsOf::new(&s, ms("2025-12-31T23:59:59.999Z")), &Context::default())[0], 1000.0);
    }

    #[test]
    fn activation_edge_and_burn_branches() {
        let s = store();
        let m = Monthly::release_2025_10_31();
        let dust = [4.5e-05, 3.0e-05, 1.5e-05];
        // Dec 31 23:59:59.999: previous month November precedes December 2025 → dust only, burn the rest.
        let pre = m.weights(&AsOf::new(&s, ms("2025-12-31T23:59:59.999Z")), &dust, &Context::default()).unwrap();
        assert_eq!(pre.remaining_usd, vec![0.0; 3]);
        assert_eq!(pre.entries()[0], (Target::Burn, 1.0 - (4.5e-05 + 3.0e-05 + 1.5e-05)));
        assert_eq!(pre.weight_of(0), 4.5e-05);
        // Jan 1 00:00: activated. max(190, dust), max(5, dust), max(0, dust) → S ≥ 1: divided, no burn.
        let post = m.weights(&AsOf::new(&s, ms("2026-01-01T00:00:00Z")), &dust, &Context::default()).unwrap();
        let total = 190.0 + 5.0 + 1.5e-05;
        assert_eq!(
            post.entries(),
            vec![
                (Target::Miner(0), 190.0 / total),
                (Target::Miner(1), 5.0 / total),
                (Target::Miner(2), 1.5e-05 / total)
            ]
        );
        assert_eq!(post.burn_weight(), 0.0);
        // Feb 1: nobody owed, S < 1 → burn branch on the debt path.
        let feb = m.weights(&AsOf::new(&s, ms("2026-02-01T00:00:00Z")), &dust, &Context::default()).unwrap();
        assert!((feb.burn_weight() - (1.0 - 9.0e-05)).abs() < 1e-15);
    }

    #[test]
    fn edge_rules_per_release() {
        let empty = Store::default();
        let one = Store::from_set(&set(vec![("A", vec![cp(0, 1.0, 1.0, "CHALLENGE", 0.0)])]));
        let t = ms("2025-11-15T00:00:00Z");
        let old = Monthly::release_2025_10_31();
        let new = Monthly::release_2025_11_06();
        assert!(old.weights(&AsOf::new(&empty, t), &[], &Context::default()).unwrap().entries().is_empty());
        assert_eq!(
            new.weights(&AsOf::new(&empty, t), &[], &Context::default()).unwrap().entries(),
            vec![(Target::Burn, 1.0)]
        );
        assert_eq!(
            old.weights(&AsOf::new(&one, t), &[1.5e-05], &Context::default()).unwrap().entries(),
            vec![(Target::Miner(0), 1.0)]
        );
        assert_eq!(
            new.weights(&AsOf::new(&one, t), &[1.5e-05], &Context::default()).unwrap().entries(),
            vec![(Target::Burn, 1.0 - 1.5e-05), (Target::Miner(0), 1.5e-05)]
        );
        let _ = CHECKPOINT_MS;
    }
}
