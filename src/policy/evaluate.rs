//! One evaluation of a policy at one instant: the function `dustlab weights` prints and the
//! replay engine calls at every step, so the two agree by construction.

use super::config::DustPolicy;
use super::dust::{dust_weights, window_scores};
use super::payout::{Context, Payout, PayoutModel};
use crate::error::InputError;
use crate::ledger::Status;
use crate::ledger::store::AsOf;

#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Raw window score per miner (file order), before flooring negatives.
    pub scores: Vec<f64>,
    pub dust: Vec<f64>,
    pub payout: Payout,
}

/// `buckets` and `collateral` are per miner in file order, as of the view's instant.
pub fn evaluate(
    policy: &DustPolicy,
    payout: &dyn PayoutModel,
    view: &AsOf,
    buckets: &[Status],
    collateral: &[f64],
    ctx: &Context,
) -> Result<Evaluation, InputError> {
    // `preset = "production"`: the dust of the release in force at the view's instant.
    let era_policy;
    let policy = if policy.dust_by_era {
        let phases = super::payout::schedule::Schedule::production().dust_phases(policy)?;
        let k = phases.partition_point(|ph| ph.0 <= view.t).saturating_sub(1);
        era_policy = phases.into_iter().nth(k).map(|ph| ph.1).unwrap_or_else(|| policy.clone());
        &era_policy
    } else {
        policy
    };
    let scores = window_scores(policy, view);
    let dust = dust_weights(policy, buckets, &scores, collateral);
    let payout = payout.weights(view, &dust, ctx)?;
    Ok(Evaluation { scores, dust, payout })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::store::Store;
    use crate::policy::{payout, preset};
    use crate::testutil::{cp, set};
    use crate::time::{CHECKPOINT_MS, MS_PER_DAY};

    const T: i64 = 1_763_164_800_000; // 2025-11-15T00:00:00Z

    #[test]
    fn window_is_inclusive_at_both_ends_and_counts_every_status() {
        let start = T - 30 * MS_PER_DAY;
        let a = vec![
            cp(start - CHECKPOINT_MS, 1000.0, 1.0, "MAINCOMP", 0.0), // just outside
            cp(start, 1.0, 1.0, "CHALLENGE", 0.0),                   // t − 30 d: inside
            cp(start + CHECKPOINT_MS, 2.0, 0.5, "unknown", 0.0),
            cp(T - CHECKPOINT_MS, 4.0, 1.0, "PLAGIARISM", 0.0),
            cp(T, 8.0, 1.0, "PROBATION", 0.0),                   // t itself: inside
            cp(T + CHECKPOINT_MS, 1000.0, 1.0, "MAINCOMP", 0.0), // after t: invisible
        ];
        let s = Store::from_set(&set(vec![("A", a)]));
        let p = preset("ptn-dynamic").unwrap();
        let m = payout::model("dust-only").unwrap();
        let e = evaluate(&p, m.as_ref(), &AsOf::new(&s, T), &[Status::Maincomp], &[], &Context::default()).unwrap();
        assert_eq!(e.scores, vec![1.0 + 1.0 + 4.0 + 8.0]);
        let mut earning = p.clone();
        earning.window_statuses = crate::policy::config::WindowStatuses::Earning;
        assert_eq!(
            evaluate(&earning, m.as_ref(), &AsOf::new(&s, T), &[Status::Maincomp], &[], &Context::default())
                .unwrap()
                .scores,
            vec![8.0]
        );
        let mut short = p.clone();
        short.lookback_days = 0.5;
        assert_eq!(
            evaluate(&short, m.as_ref(), &AsOf::new(&s, T), &[Status::Maincomp], &[], &Context::default())
                .unwrap()
                .scores,
            vec![12.0]
        );
    }

    #[test]
    fn decay_halves_weight_per_half_life() {
        let a = vec![cp(T - 2 * MS_PER_DAY, 8.0, 1.0, "MAINCOMP", 0.0), cp(T, 1.0, 1.0, "MAINCOMP", 0.0)];
        let s = Store::from_set(&set(vec![("A", a)]));
        let mut p = preset("ptn-dynamic").unwrap();
        p.half_life_days = Some(1.0);
        let m = payout::model("dust-only").unwrap();
        let e = evaluate(&p, m.as_ref(), &AsOf::new(&s, T), &[Status::Maincomp], &[], &Context::default()).unwrap();
        assert!((e.scores[0] - (8.0 * 0.25 + 1.0)).abs() < 1e-12);
    }

    #[test]
    fn collateral_preset_zeroes_zero_collateral_squatter() {
        let cps = |net: f64| vec![cp(T, net, 1.0, "CHALLENGE", 0.0)];
        let s = Store::from_set(&set(vec![("A", cps(100.0)), ("B", cps(50.0)), ("C", cps(0.0)), ("D", cps(10.0))]));
        let p = preset("ptn-collateral").unwrap();
        let m = payout::model(&p.payout).unwrap();
        let b = vec![Status::Challenge; 4];
        let e =
            evaluate(&p, m.as_ref(), &AsOf::new(&s, T), &b, &[200e3, 0.0, 200e3, 200e3], &Context::default()).unwrap();
        // B has zero collateral → 0 although its score beats C and D; target ⌊4/4⌋ = 1 is met.
        assert_eq!(e.dust[1], 0.0);
        assert_eq!(e.dust[2], 1.5e-05);
        assert_eq!(e.dust[0], 1.5e-05 + (1.0 * ((1.5e-05 + 1.5e-05) - 1.5e-05)));
    }
}
