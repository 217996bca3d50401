//! The collateral-aware CHALLENGE rule of the November 2025 release.

use super::config::CollateralRule;

/// Which members of the bucket get weight 0. `scores` and `collateral` are in file order;
/// the sort is stable, so ties keep file order, exactly as production's `sorted` does.
pub fn zeroed(rule: &CollateralRule, scores: &[f64], collateral: &[f64]) -> Vec<bool> {
    let mut out = Vec::new();
    zeroed_into(rule, scores, collateral, &mut Buffers::default(), &mut out);
    out
}

/// What [`zeroed_into`] and [`joined`] work in, kept by a caller that ranks a bucket at every
/// step.
#[derive(Default)]
pub struct Buffers {
    tiers: Vec<u8>,
    others: Vec<usize>,
    added: Vec<(u8, f64)>,
    weakest: Vec<u32>,
}

/// A miner's tier: 0 without collateral (or a non-finite one), 1 under the minimum, 2 at or
/// above it. Without branches: the tiers follow the data, and a walk sorts buckets of mixed
/// tiers at every step, where mispredicted branches were most of the ranking.
#[inline]
fn tier(rule: &CollateralRule, c: f64) -> u8 {
    let has = c.is_finite() & (c > 0.0);
    u8::from(has) + u8::from(has & (c.partial_cmp(&rule.min_collateral_usd) != Some(std::cmp::Ordering::Less)))
}

/// How many of a bucket of `n` members, `zero` of them without collateral, the rule zeroes
/// besides those: up to the target `min(⌊n × percentile⌋, cap)`, as many as there are.
fn beyond_zero(rule: &CollateralRule, n: usize, zero: usize) -> usize {
    let target = ((n as f64 * rule.percentile) as usize).min(rule.cap);
    target.saturating_sub(zero).min(n - zero)
}

/// Production's order of the members with collateral: tier, then score (file order breaks
/// the ties, by the caller).
#[inline]
fn weaker(tier_a: u8, score_a: f64, tier_b: u8, score_b: f64) -> std::cmp::Ordering {
    tier_a.cmp(&tier_b).then(score_a.total_cmp(&score_b))
}

/// A bucket's standing under the rule, so that members added to it later are ranked against
/// it without ranking it again: its members without collateral (all zeroed) are counted, and
/// the others' weakest `cap` (more than the rule ever zeroes), weakest first, go to `weakest`
/// as indexes into the bucket (a collateral list shorter than the scores: none for the rest).
/// Returns the count.
pub fn standing(
    rule: &CollateralRule,
    scores: &[f64],
    collateral: &[f64],
    buffers: &mut Buffers,
    weakest: &mut Vec<u32>,
) -> usize {
    let Buffers { tiers, others, .. } = buffers;
    tiers.clear();
    tiers.extend((0..scores.len()).map(|i| tier(rule, collateral.get(i).copied().unwrap_or(0.0))));
    others.clear();
    others.extend((0..scores.len()).filter(|&i| tiers[i] != 0));
    let key = |&a: &usize, &b: &usize| weaker(tiers[a], scores[a], tiers[b], scores[b]).then(a.cmp(&b));
    let keep = rule.cap.min(others.len());
    if keep > 0 && keep < others.len() {
        others.select_nth_unstable_by(keep - 1, key);
    }
    others[..keep].sort_unstable_by(key);
    weakest.extend(others[..keep].iter().map(|&i| i as u32));
    scores.len() - others.len()
}

/// The rule over a bucket of `n` members (at least 2) whose [`standing`] is `zero` and
/// `weakest`, once members follow them in file order (score and collateral each): whether
/// each added member is zeroed, into `zeroed`, and the bucket's own members whose zeroing
/// changes, into `flips` as (index, zeroed now). Equal to [`zeroed_into`] over the whole,
/// without ranking the bucket again: the rule zeroes the members without collateral and then
/// the weakest others, never more than `cap`, and the bucket's others beyond its weakest
/// `cap` rank after them.
#[allow(clippy::too_many_arguments)]
pub fn joined(
    rule: &CollateralRule,
    n: usize,
    zero: usize,
    weakest: &[u32],
    score_of: impl Fn(usize) -> f64,
    collateral_of: impl Fn(usize) -> f64,
    added: impl ExactSizeIterator<Item = (f64, f64)>,
    buffers: &mut Buffers,
    zeroed: &mut Vec<bool>,
    flips: &mut Vec<(u32, bool)>,
) {
    debug_assert!(n >= 2, "a bucket of one is not ranked");
    let Buffers { others, added: new, .. } = buffers;
    new.clear();
    new.extend(added.map(|(s, c)| (tier(rule, c), s)));
    zeroed.clear();
    zeroed.extend(new.iter().map(|a| a.0 == 0));
    let zero_added = zeroed.iter().filter(|z| **z).count();
    // What the bucket alone zeroed beyond its members without collateral, and what the whole
    // zeroes (a stable count: the target grows with the bucket).
    let more_before = beyond_zero(rule, n, zero);
    let more = beyond_zero(rule, n + new.len(), zero + zero_added);
    others.clear();
    others.extend((0..new.len()).filter(|&k| new[k].0 != 0));
    others.sort_unstable_by(|&a, &b| weaker(new[a].0, new[a].1, new[b].0, new[b].1).then(a.cmp(&b)));
    // Merge the two weakest-first lists; a tie goes to the bucket's member (earlier in file).
    let (mut i, mut j) = (0, 0);
    for _ in 0..more {
        let own = match (weakest.get(i), others.get(j)) {
            (Some(&g), Some(&k)) => {
                let g = g as usize;
                weaker(tier(rule, collateral_of(g)), score_of(g), new[k].0, new[k].1).is_le()
            }
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        if own {
            i += 1;
        } else {
            zeroed[others[j]] = true;
            j += 1;
        }
    }
    flips.clear();
    flips.extend(weakest[i.min(more_before)..i.max(more_before)].iter().map(|&g| (g, i > more_before)));
}

/// [`zeroed`] into `out` (cleared first), in `buffers`: every zero-collateral miner, then, up
/// to the target, the first of the bucket's [`standing`] (production's stable order).
pub fn zeroed_into(
    rule: &CollateralRule,
    scores: &[f64],
    collateral: &[f64],
    buffers: &mut Buffers,
    out: &mut Vec<bool>,
) {
    let n = scores.len();
    out.clear();
    out.resize(n, false);
    if n < 2 {
        return;
    }
    let mut weakest = std::mem::take(&mut buffers.weakest);
    weakest.clear();
    let zero = standing(rule, scores, collateral, buffers, &mut weakest);
    for (z, &t) in out.iter_mut().zip(&buffers.tiers) {
        *z = t == 0;
    }
    for &i in &weakest[..beyond_zero(rule, n, zero)] {
        out[i as usize] = true;
    }
    buffers.weakest = weakest;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule as production writes it: a stable sort of the whole bucket.
    fn by_sorting(rule: &CollateralRule, scores: &[f64], collateral: &[f64]) -> Vec<bool> {
        let n = scores.len();
        let mut out = vec![false; n];
        if n < 2 {
            return out;
        }
        let tier =
            |c: f64| u8::from(c.is_finite() && c > 0.0) + u8::from(c.is_finite() && c >= rule.min_collateral_usd);
        let tiers: Vec<u8> = collateral.iter().map(|&c| tier(c)).collect();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| tiers[a].cmp(&tiers[b]).then(scores[a].total_cmp(&scores[b])));
        let target = ((n as f64 * rule.percentile) as usize).min(rule.cap);
        let mut count = 0;
        for &i in &order {
            if tiers[i] == 0 {
                out[i] = true;
                count += 1;
            }
        }
        for &i in &order {
            if count >= target {
                break;
            }
            if !out[i] {
                out[i] = true;
                count += 1;
            }
        }
        out
    }

    #[test]
    fn selection_matches_the_stable_sort_on_random_buckets_with_ties() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(7);
        for _ in 0..2000 {
            let n = rng.random_range(0..80);
            // Few distinct values, so ties in score and tier are common.
            let scores: Vec<f64> = (0..n).map(|_| rng.random_range(-3..4) as f64).collect();
            let collateral: Vec<f64> =
                (0..n).map(|_| [0.0, -1.0, 1000.0, 150_000.0, 200_000.0, f64::NAN][rng.random_range(0..6)]).collect();
            let r = CollateralRule {
                bucket: "CHALLENGE".into(),
                percentile: [0.1, 0.25, 0.5][rng.random_range(0..3)],
                cap: rng.random_range(0..15),
                min_collateral_usd: 150_000.0,
            };
            assert_eq!(
                zeroed(&r, &scores, &collateral),
                by_sorting(&r, &scores, &collateral),
                "{scores:?} {collateral:?}"
            );
        }
    }

    fn rule() -> CollateralRule {
        CollateralRule { bucket: "CHALLENGE".into(), percentile: 0.25, cap: 10, min_collateral_usd: 150_000.0 }
    }

    #[test]
    fn zero_collateral_always_zeroed_beyond_target() {
        // n = 4 → target 1, but all three zero-collateral miners are zeroed.
        let z = zeroed(&rule(), &[5.0, 1.0, 3.0, 0.0], &[0.0, 0.0, -7.0, 200_000.0]);
        assert_eq!(z, vec![true, true, true, false]);
    }

    #[test]
    fn target_fills_by_tier_then_score_ties_in_file_order() {
        // n = 8 → target 2: the low-collateral one, then the first of the tied zero scores.
        let z = zeroed(
            &rule(),
            &[0.0, 0.0, 9.0, 0.0, 4.0, 4.0, 1.0, 2.0],
            &[200e3, 200e3, 100e3, 200e3, 200e3, 200e3, 200e3, 200e3],
        );
        assert_eq!(z, vec![true, false, true, false, false, false, false, false]);
    }

    #[test]
    fn cap_and_small_buckets() {
        let n = 60;
        let scores: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let coll = vec![1e6; n];
        assert_eq!(zeroed(&rule(), &scores, &coll).iter().filter(|z| **z).count(), 10, "min(⌊60/4⌋, 10)");
        assert_eq!(zeroed(&rule(), &[1.0], &[0.0]), vec![false], "a single miner is untouched");
        assert_eq!(zeroed(&rule(), &[1.0, 2.0, 3.0], &[1e6; 3]), vec![false; 3], "⌊3/4⌋ = 0");
    }
}
