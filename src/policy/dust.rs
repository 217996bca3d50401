//! Dust weights: window scores per miner, then floor-to-ceiling scaling within each bucket.

use super::collateral;
use super::config::{DustPolicy, Negative, Normalization, Scaling, WindowStatuses};
use super::pnl::{self, PnlMetric};
use crate::ledger::Status;
use crate::ledger::store::AsOf;

/// Each miner's window score at the view's instant: the policy's PnL measure over
/// checkpoints with `t − lookback ≤ ts ≤ t` (both inclusive) of the statuses it counts,
/// optionally decayed.
pub fn window_scores(policy: &DustPolicy, view: &AsOf) -> Vec<f64> {
    let from = view.t - policy.lookback_ms();
    let h_ms = policy.half_life_days.map(|h| h * crate::time::MS_PER_DAY as f64);
    match policy.metric {
        PnlMetric::NetPnlXPenalty if policy.window_statuses == WindowStatuses::Known => (0..view.len())
            .map(|m| {
                let (ts, terms, status) = view.terms(m, from, view.t);
                let mut sum = 0.0;
                for k in 0..ts.len() {
                    if pnl::known_r(&status[k]) {
                        let d = h_ms.map(|h| (-((view.t - ts[k]) as f64) / h).exp2()).unwrap_or(1.0);
                        sum += terms[k] * d;
                    }
                }
                sum
            })
            .collect(),
        PnlMetric::NetPnlXPenalty => {
            // Prefix sums: O(1) per window whatever the lookback.
            let earning_only = policy.window_statuses == WindowStatuses::Earning;
            match h_ms {
                None => (0..view.len()).map(|m| view.pnl_sum(m, from, view.t, earning_only)).collect(),
                Some(h_ms) => {
                    let tables = view.store().decay_tables(h_ms);
                    (0..view.len()).map(|m| view.decayed_sum(&tables, m, from, h_ms, earning_only)).collect()
                }
            }
        }
        metric => {
            let weekly = metric == PnlMetric::HwmRealized;
            let keep = |s: &Status| match (policy.window_statuses, weekly) {
                (WindowStatuses::All, _) => true,
                (WindowStatuses::Earning, false) => pnl::earning_r(s),
                (WindowStatuses::Earning, true) => pnl::earning_weekly(s),
                (WindowStatuses::Known, false) => pnl::known_r(s),
                (WindowStatuses::Known, true) => pnl::known_weekly(s),
            };
            (0..view.len())
                .map(|m| {
                    let slice = view.slice(m, from, view.t);
                    if weekly {
                        pnl::hwm(&slice, keep, view.t, h_ms)
                    } else {
                        pnl::open_loss(&slice, keep, view.t, h_ms)
                    }
                })
                .collect()
        }
    }
}

/// Groups miner indexes by bucket, buckets in order of first appearance (as production's
/// `defaultdict` does), miners in file order.
pub fn group_by_bucket(buckets: &[Status]) -> Vec<(&Status, Vec<usize>)> {
    let mut groups: Vec<(&Status, Vec<usize>)> = Vec::new();
    for (i, b) in buckets.iter().enumerate() {
        match groups.iter_mut().find(|(s, _)| *s == b) {
            Some((_, v)) => v.push(i),
            None => groups.push((b, vec![i])),
        }
    }
    groups
}

/// Dust weight of every miner, given its current bucket, window score and collateral (USD).
pub fn dust_weights(policy: &DustPolicy, buckets: &[Status], scores: &[f64], collateral: &[f64]) -> Vec<f64> {
    dust_weights_grouped(policy, &group_by_bucket(buckets), scores, collateral, None)
}

/// [`dust_weights`] with the bucket grouping done once by the caller (a replay shares it
/// across policies), and where the caller holds one (a sweep keeps each window's), an order
/// that sorts `scores`: the rank normalisation then reads each bucket's members in that
/// order instead of sorting them (it was a sixteenth of a sweep's CPU).
pub fn dust_weights_grouped<B: std::borrow::Borrow<Status>>(
    policy: &DustPolicy,
    groups: &[(B, Vec<usize>)],
    scores: &[f64],
    collateral: &[f64],
    order: Option<&[u32]>,
) -> Vec<f64> {
    let mut weights = vec![0.0; scores.len()];
    let mut scratch = Scratch::default();
    let by_score = order.filter(|o| o.len() == scores.len() && ranks_dust(policy)).map(|o| members_in_order(groups, o));
    for (g, (bucket, members)) in groups.iter().enumerate() {
        let coll = |k: usize| collateral.get(members[k]).copied().unwrap_or(0.0);
        let put = |k: usize, w: f64| weights[members[k]] = w;
        let sorted = by_score.as_ref().map(|b| b[g].as_slice());
        bucket_dust_in(policy, bucket.borrow(), members.len(), |k| scores[members[k]], coll, &mut scratch, put, sorted);
    }
    weights
}

/// Whether a policy's dust reads its buckets' scores by rank.
fn ranks_dust(policy: &DustPolicy) -> bool {
    policy.scaling != Scaling::Static && policy.normalization == Normalization::Rank
}

/// Each group's members (numbered within the group) in the order `order` gives the rows.
fn members_in_order<B>(groups: &[(B, Vec<usize>)], order: &[u32]) -> Vec<Vec<u32>> {
    let mut slot = vec![(u32::MAX, 0u32); order.len()];
    for (g, (_, members)) in groups.iter().enumerate() {
        for (k, &row) in members.iter().enumerate() {
            slot[row] = (g as u32, k as u32);
        }
    }
    let mut by_group: Vec<Vec<u32>> = groups.iter().map(|(_, m)| Vec::with_capacity(m.len())).collect();
    for &row in order {
        let (g, k) = slot[row as usize];
        if let Some(v) = by_group.get_mut(g as usize) {
            v.push(k);
        }
    }
    by_group
}

/// What [`bucket_dust`] works in. Every replay step of every policy scales its buckets, so a
/// bucket's scores, positions and collateral flags go into buffers reused across buckets and
/// steps: allocated per bucket, they were most of the dust's time in a sweep.
#[derive(Default)]
pub struct Scratch {
    raw: Vec<f64>,
    clamped: Vec<f64>,
    position: Vec<Option<f64>>,
    collateral: Vec<f64>,
    zeroed: Vec<bool>,
    ranking: collateral::Buffers,
    flips: Vec<(u32, bool)>,
}

/// The dust weight of each of one bucket's `n` members, given to `put(k, weight)`, member `k`
/// having window score `score(k)` and collateral `collateral(k)` (USD).
pub fn bucket_dust(
    policy: &DustPolicy,
    bucket: &Status,
    n: usize,
    score: impl Fn(usize) -> f64,
    collateral: impl Fn(usize) -> f64,
    scratch: &mut Scratch,
    put: impl FnMut(usize, f64),
) {
    bucket_dust_in(policy, bucket, n, score, collateral, scratch, put, None)
}

/// [`bucket_dust`], given where the caller holds it an order of the members (numbered as
/// there, each once) that sorts their scores: `sorted`. A NaN score may sit anywhere in it.
#[allow(clippy::too_many_arguments)]
fn bucket_dust_in(
    policy: &DustPolicy,
    bucket: &Status,
    n: usize,
    score: impl Fn(usize) -> f64,
    collateral: impl Fn(usize) -> f64,
    scratch: &mut Scratch,
    mut put: impl FnMut(usize, f64),
    sorted: Option<&[u32]>,
) {
    let floor = policy.floor_multiplier(bucket) * policy.dust;
    if policy.scaling == Scaling::Static {
        (0..n).for_each(|k| put(k, floor));
        return;
    }
    let ceiling = floor + policy.ceiling_width_of(bucket) * policy.dust;
    let Scratch { raw, clamped, position, collateral: coll, zeroed, ranking, .. } = scratch;
    raw.clear();
    raw.extend((0..n).map(score));
    clamped.clear();
    clamped.extend(raw.iter().map(|s| s.max(0.0)));
    let ruled = match &policy.collateral {
        Some(rule) if rule.bucket == bucket.as_str() => {
            coll.clear();
            coll.extend((0..n).map(collateral));
            let ranked = if policy.negative == Negative::Penalize { &raw } else { &clamped };
            collateral::zeroed_into(rule, ranked, coll, ranking, zeroed);
            true
        }
        _ => false,
    };
    positions(policy, raw, clamped, sorted.filter(|o| o.len() == n), position);
    for (k, u) in position.iter().enumerate() {
        put(k, if ruled && zeroed[k] { 0.0 } else { weight(floor, ceiling, *u) });
    }
}

/// Production's exact expression: floor + normalized × (ceiling − floor).
#[inline]
fn weight(floor: f64, ceiling: f64, u: Option<f64>) -> f64 {
    match u {
        Some(u) => floor + (u * (ceiling - floor)),
        None => floor,
    }
}

/// The least and greatest of a bucket's scores clipped at zero (a NaN score counts for
/// neither): all that the max, log and min-max normalisations read of the bucket.
pub fn clamped_extremes(scores: impl IntoIterator<Item = f64>) -> (f64, f64) {
    scores
        .into_iter()
        .map(|s| s.max(0.0))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)))
}

/// What the members of a bucket leave for [`added_dust`] to scale members added to it
/// without scaling them again: their clipped scores' extremes ([`clamped_extremes`]) and, in
/// the collateral rule's bucket, their standing ([`collateral::standing`]).
#[derive(Clone, Copy)]
pub struct Base<'a> {
    pub scores: &'a [f64],
    pub collateral: &'a [f64],
    pub extremes: (f64, f64),
    /// Members without collateral, and the weakest others (the rule's bucket only).
    pub zero: usize,
    pub weakest: &'a [u32],
}

/// The dust of members added to a bucket (`scores` and `collateral`, after the bucket's own
/// in file order), when the bucket's own members' dust stays what it was without them (the
/// attack's adversaries beside a fixed population) but for a few the collateral rule now
/// zeroes or spares: given to `put(i, weight)`, members numbered as in [`bucket_dust`] over
/// the whole (the bucket's own first), to whose weights they are equal, bit for bit. False,
/// with nothing put, when the added members move the others: a normalisation that reads more
/// than the extremes (rank, winsorized), a score that moves them, penalised negatives (the
/// most negative score scales them).
pub fn added_dust(
    policy: &DustPolicy,
    bucket: &Status,
    base: &Base,
    scores: &[f64],
    collateral: &[f64],
    scratch: &mut Scratch,
    mut put: impl FnMut(usize, f64),
) -> bool {
    let floor = policy.floor_multiplier(bucket) * policy.dust;
    let n0 = base.scores.len();
    if policy.scaling == Scaling::Static {
        (0..scores.len()).for_each(|k| put(n0 + k, floor));
        return true;
    }
    if policy.negative == Negative::Penalize {
        return false;
    }
    let (lo, hi) = clamped_extremes(scores.iter().copied());
    let moved = hi > base.extremes.1 || (policy.normalization == Normalization::Minmax && lo < base.extremes.0);
    let Some(scale) = Scale::of(policy.normalization, base.extremes).filter(|_| !moved) else { return false };
    let ceiling = floor + policy.ceiling_width_of(bucket) * policy.dust;
    let at = |s: f64| weight(floor, ceiling, scale.at(s.max(0.0)));
    match &policy.collateral {
        Some(rule) if rule.bucket == bucket.as_str() => {
            if n0 < 2 {
                return false; // a bucket of one was not ranked
            }
            let Scratch { zeroed, ranking, flips, .. } = scratch;
            collateral::joined(
                rule,
                n0,
                base.zero,
                base.weakest,
                |i| base.scores[i].max(0.0),
                |i| base.collateral[i],
                scores.iter().map(|s| s.max(0.0)).zip(collateral.iter().copied()),
                ranking,
                zeroed,
                flips,
            );
            for &(i, z) in flips.iter() {
                put(i as usize, if z { 0.0 } else { at(base.scores[i as usize]) });
            }
            for (k, &s) in scores.iter().enumerate() {
                put(n0 + k, if zeroed[k] { 0.0 } else { at(s) });
            }
        }
        _ => scores.iter().enumerate().for_each(|(k, &s)| put(n0 + k, at(s))),
    }
    true
}

/// A normalisation fixed by the extremes of the bucket's clipped scores alone: where each
/// score sits. One expression per kind, shared by [`normalize`] and [`added_dust`], so the
/// two agree to the bit.
#[derive(Clone, Copy)]
enum Scale {
    /// Every member at the floor (no positive score; min-max with one value).
    Floor,
    Max(f64),
    Log {
        top: f64,
    },
    Minmax {
        min: f64,
        max: f64,
    },
}

impl Scale {
    /// None for the normalisations that read more than the extremes.
    fn of(kind: Normalization, (min, max): (f64, f64)) -> Option<Scale> {
        if max <= 0.0 {
            return Some(Scale::Floor);
        }
        match kind {
            Normalization::Max => Some(Scale::Max(max)),
            Normalization::Log => Some(Scale::Log { top: max.ln_1p() }),
            Normalization::Minmax if max > min => Some(Scale::Minmax { min, max }),
            Normalization::Minmax => Some(Scale::Floor),
            Normalization::Rank | Normalization::Winsorized { .. } => None,
        }
    }

    #[inline]
    fn at(self, x: f64) -> Option<f64> {
        match self {
            Scale::Floor => None,
            Scale::Max(max) => Some(x / max),
            Scale::Log { top } => Some(x.ln_1p() / top),
            Scale::Minmax { min, max } => Some((x - min) / (max - min)),
        }
    }
}

/// Where each member sits between floor (0) and ceiling (1), into `out`; `None` means exactly
/// the floor (production's all-zero branch, kept distinct so the floor is not recomputed).
fn positions(policy: &DustPolicy, raw: &[f64], clamped: &[f64], sorted: Option<&[u32]>, out: &mut Vec<Option<f64>>) {
    normalize(policy.normalization, clamped, sorted, out);
    if policy.negative == Negative::Penalize {
        let z = policy.zero_level.clamp(0.0, 1.0);
        let most_negative = raw.iter().copied().fold(0.0f64, f64::min);
        for (&s, u) in raw.iter().zip(out.iter_mut()) {
            *u = if s < 0.0 { Some(z * (1.0 - s / most_negative)) } else { Some(z + (1.0 - z) * u.unwrap_or(0.0)) };
        }
    }
}

/// Each score's normalized position, into `out` (cleared first). `sorted`, where given, is an
/// order of the indexes that sorts `s` (only the rank normalisation reads it).
fn normalize(kind: Normalization, s: &[f64], sorted: Option<&[u32]>, out: &mut Vec<Option<f64>>) {
    out.clear();
    let max = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if s.is_empty() || max <= 0.0 {
        out.resize(s.len(), None);
        return;
    }
    match kind {
        Normalization::Max | Normalization::Log | Normalization::Minmax => {
            let min = if kind == Normalization::Minmax { s.iter().copied().fold(f64::INFINITY, f64::min) } else { 0.0 };
            match Scale::of(kind, (min, max)) {
                Some(Scale::Floor) | None => out.resize(s.len(), None),
                Some(scale) => out.extend(s.iter().map(|&x| scale.at(x))),
            }
        }
        Normalization::Winsorized { percentile } => {
            let cap = crate::stats::percentile(s, percentile);
            if cap <= 0.0 {
                out.resize(s.len(), None);
            } else {
                out.extend(s.iter().map(|x| Some(x.min(cap) / cap)));
            }
        }
        Normalization::Rank => {
            // Average rank among positive scores, the best at 1; zero scores stay at the floor.
            // Positive scores in ascending order: the caller's, else sorted here. Among
            // positive floats the bits order as the values, and ties share their mean rank
            // whatever their order, so an unstable sort of the bits serves.
            let pos: Vec<(f64, usize)> = match sorted {
                Some(order) => order.iter().map(|&i| (s[i as usize], i as usize)).filter(|(x, _)| *x > 0.0).collect(),
                None => {
                    let mut pos: Vec<(f64, usize)> =
                        s.iter().copied().enumerate().filter(|(_, x)| *x > 0.0).map(|(i, x)| (x, i)).collect();
                    pos.sort_unstable_by_key(|p| p.0.to_bits());
                    pos
                }
            };
            let n = pos.len() as f64;
            out.resize(s.len(), None);
            let mut k = 0;
            while k < pos.len() {
                let mut e = k;
                while e + 1 < pos.len() && pos[e + 1].0 == pos[k].0 {
                    e += 1;
                }
                let avg_rank = (k + e) as f64 / 2.0 + 1.0;
                for p in &pos[k..=e] {
                    out[p.1] = Some(avg_rank / n);
                }
                k = e + 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::config::preset;

    const D: f64 = 1.5e-05;

    #[test]
    fn seed_example_maincomp() {
        let p = preset("ptn-dynamic").unwrap();
        let w =
            dust_weights(&p, &[Status::Maincomp, Status::Maincomp, Status::Maincomp], &[10_000.0, 5_000.0, 0.0], &[]);
        assert_eq!(w[0], 3.0 * D + (1.0 * ((3.0 * D + D) - 3.0 * D)));
        assert!((w[0] / D - 4.0).abs() < 1e-12 && (w[1] / D - 3.5).abs() < 1e-12 && (w[2] / D - 3.0).abs() < 1e-12);
        assert_eq!(w[2], 3.0 * D);
    }

    #[test]
    fn negative_scores_are_floored_and_unknown_gets_dust_quirk() {
        let p = preset("ptn-dynamic").unwrap();
        let b = [Status::Challenge, Status::Challenge, Status::Unknown, Status::Unknown];
        let w = dust_weights(&p, &b, &[-500.0, 100.0, 50.0, 0.0], &[]);
        assert_eq!(w[0], D, "negative score sits at the floor");
        assert_eq!(w[1], D + (1.0 * ((D + D) - D)));
        assert_eq!(w[2], 0.0 + (1.0 * ((0.0 + D) - 0.0)), "unknown: floor 0, ceiling DUST");
        assert_eq!(w[3], 0.0);
        let s = preset("static").unwrap();
        assert_eq!(dust_weights(&s, &b, &[-500.0, 100.0, 50.0, 0.0], &[]), vec![D, D, 0.0, 0.0]);
    }

    #[test]
    fn all_zero_bucket_gets_floor_and_other_status_default() {
        let p = preset("ptn-dynamic").unwrap();
        let b = [Status::Probation, Status::Probation, Status::parse("ENTITY")];
        assert_eq!(dust_weights(&p, &b, &[0.0, -3.0, 0.0], &[]), vec![2.0 * D, 2.0 * D, D]);
    }

    #[test]
    fn ceiling_width_per_bucket_and_rank_normalization() {
        let mut p = preset("ptn-dynamic").unwrap();
        p.ceiling_width_by_bucket.insert("MAINCOMP".into(), 3.0);
        let w = dust_weights(&p, &[Status::Maincomp, Status::Maincomp], &[10.0, 5.0], &[]);
        assert!((w[0] / D - 6.0).abs() < 1e-12 && (w[1] / D - 4.5).abs() < 1e-12);
        p.normalization = Normalization::Rank;
        let w = dust_weights(&p, &vec![Status::Maincomp; 4], &[10.0, 5.0, 5.0, 0.0], &[]);
        // positive ranks: 5,5 share rank 1.5 of 3 → 0.5; 10 → 1; zero → floor
        assert!((w[0] / D - 6.0).abs() < 1e-12 && (w[1] / D - 4.5).abs() < 1e-12 && w[3] == 3.0 * D);
    }

    #[test]
    fn penalize_pulls_below_zero_level_not_below_floor() {
        let mut p = preset("ptn-dynamic").unwrap();
        p.negative = Negative::Penalize;
        p.zero_level = 0.5;
        let w = dust_weights(&p, &vec![Status::Challenge; 4], &[100.0, 0.0, -50.0, -100.0], &[]);
        let r: Vec<f64> = w.iter().map(|x| x / D).collect();
        assert!(
            (r[0] - 2.0).abs() < 1e-12
                && (r[1] - 1.5).abs() < 1e-12
                && (r[2] - 1.25).abs() < 1e-12
                && (r[3] - 1.0).abs() < 1e-12,
            "{r:?}"
        );
    }

    #[test]
    fn winsorized_and_minmax_and_log() {
        let mut p = preset("ptn-dynamic").unwrap();
        p.normalization = Normalization::Winsorized { percentile: 50.0 };
        let w = dust_weights(&p, &vec![Status::Challenge; 3], &[100.0, 10.0, 0.0], &[]);
        // median 10 caps the whale: both at the ceiling
        assert_eq!(w[0], w[1]);
        p.normalization = Normalization::Minmax;
        let w = dust_weights(&p, &vec![Status::Challenge; 3], &[100.0, 60.0, 20.0], &[]);
        assert!((w[1] / D - 1.5).abs() < 1e-12 && w[2] == D + 0.0 * D);
        p.normalization = Normalization::Log;
        let w = dust_weights(&p, &vec![Status::Challenge; 2], &[(1f64).exp_m1() * 0.0 + 99.0, 9.0], &[]);
        assert!((w[1] / D - (1.0 + 10f64.ln() / 100f64.ln())).abs() < 1e-12);
    }
}

#[cfg(test)]
mod knob_tests {
    use super::*;
    use crate::policy::config::{CollateralRule, preset};

    const D: f64 = 1.5e-05;

    #[test]
    fn floors_per_bucket_and_default_floor() {
        let mut p = preset("ptn-dynamic").unwrap();
        p.floors.insert("CHALLENGE".into(), 0.5);
        p.default_floor = 4.0;
        let w = dust_weights(&p, &[Status::Challenge, Status::parse("ENTITY")], &[0.0, 0.0], &[]);
        assert_eq!(w, vec![0.5 * D, 4.0 * D]);
    }

    #[test]
    fn dust_scales_every_weight() {
        let mut p = preset("ptn-dynamic").unwrap();
        p.dust = 2.0 * D;
        let w = dust_weights(&p, &[Status::Maincomp, Status::Maincomp], &[10.0, 5.0], &[]);
        assert!((w[0] / (2.0 * D) - 4.0).abs() < 1e-12 && (w[1] / (2.0 * D) - 3.5).abs() < 1e-12);
    }

    #[test]
    fn collateral_rule_knobs() {
        let mut p = preset("ptn-collateral").unwrap();
        p.collateral =
            Some(CollateralRule { bucket: "PROBATION".into(), percentile: 0.5, cap: 1, min_collateral_usd: 1e6 });
        // The rule now applies to PROBATION: 4 miners, target min(⌊4 × 0.5⌋, 1) = 1, all tier 1.
        let b = vec![Status::Probation; 4];
        let w = dust_weights(&p, &b, &[4.0, 1.0, 3.0, 2.0], &[5e5; 4]);
        assert_eq!(w[1], 0.0);
        assert!(w.iter().filter(|x| **x == 0.0).count() == 1);
        let c = dust_weights(&p, &[Status::Challenge, Status::Challenge], &[1.0, 0.0], &[0.0, 0.0]);
        assert!(c.iter().all(|x| *x > 0.0), "CHALLENGE is no longer ruled");
    }
}

#[cfg(test)]
mod rank_tests {
    use super::*;
    use crate::policy::config::preset;
    use rand::{RngExt, SeedableRng};

    /// The rank position by its definition: among the positive scores, (less + (equal + 1) / 2)
    /// / count, in the expression the normalisation evaluates.
    fn by_definition(s: &[f64]) -> Vec<Option<f64>> {
        let pos: Vec<f64> = s.iter().copied().filter(|x| *x > 0.0).collect();
        let n = pos.len() as f64;
        s.iter()
            .map(|&x| {
                (x > 0.0).then(|| {
                    let less = pos.iter().filter(|&&y| y < x).count();
                    let equal = pos.iter().filter(|&&y| y == x).count();
                    ((2 * less + equal - 1) as f64 / 2.0 + 1.0) / n
                })
            })
            .collect()
    }

    #[test]
    fn rank_positions_match_their_definition_with_or_without_the_caller_s_order() {
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(11);
        let mut p = preset("ptn-dynamic").unwrap();
        p.normalization = Normalization::Rank;
        let statuses = [Status::Challenge, Status::Probation, Status::Maincomp];
        for case in 0..3000 {
            let n = rng.random_range(0..80);
            let pool: Vec<f64> = (0..rng.random_range(1..12)).map(|_| rng.random_range(-3.0..5.0)).collect();
            let mut scores: Vec<f64> = (0..n)
                .map(|_| match rng.random_range(0..10) {
                    0 => 0.0,
                    1 => -0.0,
                    2 => f64::INFINITY,
                    _ => pool[rng.random_range(0..pool.len())],
                })
                .collect();
            if case % 13 == 0 && n > 0 {
                scores[rng.random_range(0..n)] = f64::NAN;
            }
            let mut out = Vec::new();
            normalize(Normalization::Rank, &scores.iter().map(|s| s.max(0.0)).collect::<Vec<_>>(), None, &mut out);
            let want = by_definition(&scores);
            assert_eq!(out.len(), want.len());
            for (a, b) in out.iter().zip(&want) {
                assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits), "{scores:?}");
            }
            let buckets: Vec<Status> = (0..n).map(|_| statuses[rng.random_range(0..3)].clone()).collect();
            let coll = vec![0.0; n];
            let order = crate::stats::sorted_order(&scores);
            let groups = group_by_bucket(&buckets);
            let plain = dust_weights_grouped(&p, &groups, &scores, &coll, None);
            let ordered = dust_weights_grouped(&p, &groups, &scores, &coll, Some(&order));
            assert_eq!(
                plain.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                ordered.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                "{scores:?} {buckets:?}"
            );
        }
    }
}

#[cfg(test)]
mod added_tests {
    use super::*;
    use crate::policy::config::{CollateralRule, preset};
    use rand::{RngExt, SeedableRng};

    /// `bucket_dust` over a bucket's members in order.
    fn whole(policy: &DustPolicy, bucket: &Status, scores: &[f64], collateral: &[f64]) -> Vec<f64> {
        let mut w = vec![f64::NAN; scores.len()];
        let mut scratch = Scratch::default();
        bucket_dust(policy, bucket, scores.len(), |k| scores[k], |k| collateral[k], &mut scratch, |k, x| w[k] = x);
        w
    }

    #[test]
    fn added_members_get_the_whole_buckets_dust_bit_for_bit_or_are_refused() {
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(11);
        let (mut taken, mut flipped, mut refused) = (0, 0, 0);
        for case in 0..6000 {
            let mut p = preset(if case % 2 == 0 { "ptn-collateral" } else { "ptn-dynamic" }).unwrap();
            p.normalization = [
                Normalization::Max,
                Normalization::Log,
                Normalization::Minmax,
                Normalization::Rank,
                Normalization::Winsorized { percentile: 80.0 },
            ][rng.random_range(0..5)];
            if rng.random_range(0..10) == 0 {
                p.negative = Negative::Penalize;
            }
            if rng.random_range(0..20) == 0 {
                p.scaling = Scaling::Static;
            }
            if let Some(rule) = &mut p.collateral {
                *rule = CollateralRule {
                    bucket: "CHALLENGE".into(),
                    percentile: [0.1, 0.25, 0.5][rng.random_range(0..3)],
                    cap: rng.random_range(0..12),
                    min_collateral_usd: 150_000.0,
                };
            }
            let bucket = if rng.random_range(0..4) > 0 { Status::Challenge } else { Status::Maincomp };
            let (n0, n1) = (rng.random_range(1..40), rng.random_range(0..5));
            // Few distinct values: ties in score and tier, and added members at the extremes.
            let scores: Vec<f64> = (0..n0 + n1).map(|_| rng.random_range(-2..9) as f64 * 1.5).collect();
            // Mostly with collateral, so that the rule ranks beyond the zero-collateral members.
            let collateral: Vec<f64> = (0..n0 + n1)
                .map(|_| [0.0, f64::NAN, -1.0, 1000.0, 150_000.0, 200_000.0, 1000.0, 5e5][rng.random_range(0..8)])
                .collect();
            let all = whole(&p, &bucket, &scores, &collateral);
            let (own_scores, own_collateral) = (&scores[..n0], &collateral[..n0]);
            let mut got = whole(&p, &bucket, own_scores, own_collateral);
            got.resize(n0 + n1, f64::NAN);
            let (mut weakest, mut zero) = (Vec::new(), 0);
            if let Some(rule) = &p.collateral {
                let clamped: Vec<f64> = own_scores.iter().map(|s| s.max(0.0)).collect();
                zero = collateral::standing(rule, &clamped, own_collateral, &mut Default::default(), &mut weakest);
            }
            let base = Base {
                scores: own_scores,
                collateral: own_collateral,
                extremes: clamped_extremes(own_scores.iter().copied()),
                zero,
                weakest: &weakest,
            };
            let before = got.clone();
            let mut puts = 0;
            let ok =
                added_dust(&p, &bucket, &base, &scores[n0..], &collateral[n0..], &mut Scratch::default(), |i, w| {
                    got[i] = w;
                    puts += 1;
                });
            if ok {
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&got), bits(&all), "case {case}: {p:?}\n{scores:?}\n{collateral:?}");
                taken += 1;
                flipped += usize::from(puts > n1);
            } else {
                assert_eq!(puts, 0, "case {case}: a refusal puts nothing");
                assert_eq!(
                    got.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                    before.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
                );
                refused += 1;
            }
        }
        // Both answers are common, and the rule moves the bucket's own members in some cases.
        assert!(taken > 1500 && refused > 1500, "taken {taken}, refused {refused}");
        assert!(flipped > 30, "flipped {flipped}, taken {taken}, refused {refused}");
    }

    #[test]
    fn a_score_above_the_bucket_max_or_below_the_minmax_min_is_refused() {
        let p = preset("ptn-dynamic").unwrap();
        let own = [4.0, 2.0];
        let base = Base { scores: &own, collateral: &[0.0; 2], extremes: (2.0, 4.0), zero: 0, weakest: &[] };
        let mut w = [0.0; 3];
        let mut put = |i: usize, x: f64| w[i] = x;
        assert!(added_dust(&p, &Status::Maincomp, &base, &[4.0], &[0.0], &mut Scratch::default(), &mut put));
        assert!(!added_dust(&p, &Status::Maincomp, &base, &[4.5], &[0.0], &mut Scratch::default(), &mut put));
        let mut m = p.clone();
        m.normalization = Normalization::Minmax;
        assert!(!added_dust(&m, &Status::Maincomp, &base, &[1.0], &[0.0], &mut Scratch::default(), &mut put));
        assert!(added_dust(&m, &Status::Maincomp, &base, &[3.0], &[0.0], &mut Scratch::default(), &mut put));
        // Max: 3 × DUST floor + 3/4 of one DUST.
        assert_eq!(w[2], 3.0 * p.dust + (((3.0 - 2.0) / (4.0 - 2.0)) * (4.0 * p.dust - 3.0 * p.dust)));
    }
}
