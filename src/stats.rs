//! Rank correlation and inequality measures, written out so their tie rules are explicit.

/// Average ranks (1-based), ties sharing the mean of the ranks they span.
pub fn ranks(x: &[f64]) -> Vec<f64> {
    ranks_along(x, &sorted_order(x))
}

/// Indexes of `x` in increasing order (total order). Ties share their mean rank, so the order
/// among equals does not matter (an unstable sort of contiguous pairs is fine).
pub fn sorted_order(x: &[f64]) -> Vec<u32> {
    // `f64::total_cmp`'s own integer key, made once per value instead of twice per comparison
    // (a sweep sorts two steps' worth of scores and weights per variant and step).
    let key = |v: f64| {
        let b = v.to_bits() as i64;
        b ^ (((b >> 63) as u64) >> 1) as i64
    };
    let mut pairs: Vec<(i64, u32)> = x.iter().enumerate().map(|(i, v)| (key(*v), i as u32)).collect();
    pairs.sort_unstable_by_key(|p| p.0);
    pairs.into_iter().map(|p| p.1).collect()
}

/// Average ranks of `v` given an order that sorts it. Each run of equal values is found by
/// one comparison per member against the run's first value (the sweep ranks four vectors per
/// variant and step, and this loop was a fifth of its metrics).
fn ranks_along(v: &[f64], order: &[u32]) -> Vec<f64> {
    let mut r = vec![0.0; v.len()];
    let n = order.len();
    let mut i = 0;
    while i < n {
        let x = v[order[i] as usize];
        let mut j = i + 1;
        while j < n && v[order[j] as usize] == x {
            j += 1;
        }
        // Places i..j (0-based) hold ranks i + 1 ..= j: their mean.
        let avg = (i + j - 1) as f64 / 2.0 + 1.0;
        for &k in &order[i..j] {
            r[k as usize] = avg;
        }
        i = j;
    }
    r
}

/// Pearson correlation; `None` when either side is constant or there are fewer than 2 points.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len().min(y.len());
    if n < 2 {
        return None;
    }
    let mx = x[..n].iter().sum::<f64>() / n as f64;
    let my = y[..n].iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (dx, dy) = (x[i] - mx, y[i] - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx == 0.0 || syy == 0.0 { None } else { Some(sxy / (sxx * syy).sqrt()) }
}

/// Whether Pearson of `x` and `y` may reach `threshold`: false only when an estimate summed in
/// four lanes (several times faster than [`pearson`]'s one running sum) falls short by more
/// than any difference in rounding could explain. Pairwise scans (the gaming watch's sybil
/// and copycat detectors: every pair of miners) then compute the exact figure for the few
/// pairs that may pass, and find what the exact figure alone would find.
///
/// The two figures differ by rounding only: the sums are reassociated (a relative difference
/// of about n·ε ≈ 1e-13 in each), and the means with them, whose difference matters only
/// when a series barely varies around a large mean. Such a series, a non-finite value or a
/// constant side is left to the exact figure (true).
pub fn may_reach(x: &[f64], y: &[f64], threshold: f64) -> bool {
    let n = x.len().min(y.len());
    if n < 2 {
        return true;
    }
    let (x, y) = (&x[..n], &y[..n]);
    let (mut sx, mut sy) = ([0.0f64; 4], [0.0f64; 4]);
    for (a, b) in x.chunks_exact(4).zip(y.chunks_exact(4)) {
        for k in 0..4 {
            sx[k] += a[k];
            sy[k] += b[k];
        }
    }
    let tail = n - n % 4;
    let mx = ((sx[0] + sx[1]) + (sx[2] + sx[3]) + x[tail..].iter().sum::<f64>()) / n as f64;
    let my = ((sy[0] + sy[1]) + (sy[2] + sy[3]) + y[tail..].iter().sum::<f64>()) / n as f64;
    let (mut sxx, mut syy, mut sxy) = ([0.0f64; 4], [0.0f64; 4], [0.0f64; 4]);
    for (a, b) in x.chunks_exact(4).zip(y.chunks_exact(4)) {
        for k in 0..4 {
            let (dx, dy) = (a[k] - mx, b[k] - my);
            sxx[k] += dx * dx;
            syy[k] += dy * dy;
            sxy[k] += dx * dy;
        }
    }
    let total = |s: [f64; 4], tail: f64| (s[0] + s[1]) + (s[2] + s[3]) + tail;
    let rest = x[tail..].iter().zip(&y[tail..]).map(|(a, b)| (a - mx, b - my));
    let (tx, ty, txy) = rest.fold((0.0, 0.0, 0.0), |(p, q, r), (dx, dy)| (p + dx * dx, q + dy * dy, r + dx * dy));
    let (sxx, syy, sxy) = (total(sxx, tx), total(syy, ty), total(sxy, txy));
    let nf = n as f64;
    let settled = |s: f64, m: f64| s > 1e-8 * nf * m * m && s.is_finite();
    if !(settled(sxx, mx) && settled(syy, my) && sxy.is_finite()) {
        return true;
    }
    sxy / (sxx * syy).sqrt() >= threshold - 1e-6
}

/// Spearman rank correlation with average ranks for ties (Pearson on the ranks).
///
/// Where `y` never decreases along `x`'s order (dust is a monotone function of the score in
/// most policies), that order sorts `y` too and gives its ranks without a second sort.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() {
        return pearson(&ranks(x), &ranks(y));
    }
    spearman_along(x, y, &sorted_order(x))
}

/// [`spearman`] given an order that sorts `x` (equal values side by side): a caller holding
/// one saves the sort. The ranks, and so the figure, do not depend on which such order.
///
/// Average ranks are half-integers, so every sum Pearson takes of them (their means, squares
/// and cross products) is exact for any sample below 2^16 values, and exact sums do not depend
/// on the order they are taken in. The figure is therefore summed along `order`, one run of
/// ties at a time, with no rank vector scattered back to the values' places: the same bits as
/// Pearson on the two rank vectors, at a fraction of the work (a sweep takes five of these per
/// variant and step).
pub fn spearman_along(x: &[f64], y: &[f64], order: &[u32]) -> Option<f64> {
    debug_assert_eq!(x.len(), y.len());
    debug_assert!(x.iter().any(|v| v.is_nan()) || order.windows(2).all(|w| x[w[0] as usize] <= x[w[1] as usize]));
    let n = order.len();
    if x.len() != n || y.len() != n || n >= 1 << 16 {
        return pearson(&ranks_along(x, order), &ranks(y));
    }
    if n < 2 {
        return None;
    }
    // NaNs rank apart from each other in an order of the sort's choosing: no shortcut there.
    let monotone = !x.iter().chain(y).any(|v| v.is_nan())
        && order.windows(2).all(|w| y[w[0] as usize].total_cmp(&y[w[1] as usize]).is_le());
    // Where `y` does not follow `x`'s order, its ranks come from its own sort.
    let ry = if monotone { Vec::new() } else { ranks(y) };
    // Pearson's mean of either side: the ranks sum to n(n + 1)/2.
    let mean = (n * (n + 1) / 2) as f64 / n as f64;
    // The run of equal values that starts at place `p` of `order`: its end and mean rank.
    let run = |v: &[f64], p: usize| {
        let first = v[order[p] as usize];
        let mut j = p + 1;
        while j < n && v[order[j] as usize] == first {
            j += 1;
        }
        (j, (p + j - 1) as f64 / 2.0 + 1.0 - mean)
    };
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    let (mut x_end, mut dx, mut y_end, mut dy) = (0, 0.0, 0, 0.0);
    for p in 0..n {
        if p == x_end {
            (x_end, dx) = run(x, p);
        }
        if monotone {
            if p == y_end {
                (y_end, dy) = run(y, p);
            }
        } else {
            dy = ry[order[p] as usize] - mean;
        }
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    if sxx == 0.0 || syy == 0.0 { None } else { Some(sxy / (sxx * syy).sqrt()) }
}

/// Linear-interpolated percentile (0–100) of a sample; 0 for an empty one.
pub fn percentile(s: &[f64], pct: f64) -> f64 {
    let mut v = s.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return 0.0;
    }
    let pos = pct / 100.0 * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// Gini coefficient of non-negative amounts (0 = equal, → 1 = one takes all).
pub fn gini(x: &[f64]) -> f64 {
    let n = x.len();
    let total: f64 = x.iter().sum();
    if n == 0 || total <= 0.0 {
        return 0.0;
    }
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    let weighted: f64 = v.iter().enumerate().map(|(i, xi)| (i as f64 + 1.0) * xi).sum();
    (2.0 * weighted) / (n as f64 * total) - (n as f64 + 1.0) / n as f64
}

/// A figure at a precision that suits its size (shares to 3 places, counts whole).
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let a = x.abs();
    if a > 0.0 && a < 1e-4 {
        return format!("{x:.2e}");
    }
    if a >= 1000.0 || (a >= 10.0 && x.fract() == 0.0) {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 0.1 || a == 0.0 {
        format!("{x:.4}").trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{x:.5}").trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_takes_the_same_ranks_with_or_without_the_shortcut() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(3);
        let slow = |x: &[f64], y: &[f64]| pearson(&ranks(x), &ranks(y));
        for case in 0..3000 {
            let n = rng.random_range(0..if case % 7 == 0 { 600 } else { 40 });
            // Few distinct values (ties, signed zeros, a NaN now and then).
            let pick = |r: &mut rand::rngs::Xoshiro256PlusPlus| {
                [0.0, -0.0, 1.0, 2.0, 2.5, -3.0, f64::NAN][r.random_range(0..if case % 5 == 0 { 7 } else { 6 })]
            };
            let x: Vec<f64> = (0..n).map(|_| pick(&mut rng)).collect();
            // Half the cases monotone in x (the shortcut), half not.
            let y: Vec<f64> = if case % 2 == 0 {
                x.iter().map(|v| if v.is_nan() { *v } else { v.max(0.0) * 2.0 + 1.0 }).collect()
            } else {
                (0..n).map(|_| pick(&mut rng)).collect()
            };
            let (a, b) = (spearman(&x, &y), slow(&x, &y));
            assert!(
                a == b || (a.is_some_and(f64::is_nan) && b.is_some_and(f64::is_nan)),
                "{x:?} {y:?}: {a:?} vs {b:?}"
            );
        }
    }

    #[test]
    fn a_bucket_s_members_in_the_step_s_score_order_give_its_spearman_of_clipped_scores() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(8);
        let values = [f64::NEG_INFINITY, -7.0, -0.0, 0.0, 0.5, 3.0, 3.0, 1e300, f64::INFINITY];
        for _ in 0..2000 {
            let n = rng.random_range(0..60);
            let x: Vec<f64> = (0..n)
                .map(|_| {
                    if rng.random_range(0..3) == 0 {
                        rng.random_range(-5.0..5.0)
                    } else {
                        values[rng.random_range(0..9)]
                    }
                })
                .collect();
            // The order sorts the values as total_cmp does.
            let order = sorted_order(&x);
            let mut by_cmp = x.clone();
            by_cmp.sort_by(f64::total_cmp);
            let along: Vec<f64> = order.iter().map(|&i| x[i as usize]).collect();
            assert!(along.iter().zip(&by_cmp).all(|(a, b)| a.to_bits() == b.to_bits()), "{along:?} vs {by_cmp:?}");
            // Members of one bucket, in that order, rank their clipped scores.
            let bucket: Vec<bool> = (0..n).map(|_| rng.random_range(0..2) == 0).collect();
            let members: Vec<usize> = (0..n).filter(|&i| bucket[i]).collect();
            let clipped: Vec<f64> = members.iter().map(|&i| x[i].max(0.0)).collect();
            let dust: Vec<f64> = members.iter().map(|_| rng.random_range(0.0..2.0)).collect();
            let at: std::collections::HashMap<usize, u32> =
                members.iter().enumerate().map(|(k, &i)| (i, k as u32)).collect();
            let sub: Vec<u32> = order.iter().filter_map(|&i| at.get(&(i as usize)).copied()).collect();
            for y in [dust.clone(), clipped.iter().map(|v| v * 2.0).collect()] {
                let (a, b) = (spearman_along(&clipped, &y, &sub), spearman(&clipped, &y));
                assert!(a == b || (a.is_some_and(f64::is_nan) && b.is_some_and(f64::is_nan)), "{clipped:?} {y:?}");
            }
        }
    }

    #[test]
    fn may_reach_never_rules_out_a_correlation_that_reaches_the_threshold() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(5);
        let (mut checked, mut ruled_out) = (0, 0);
        for case in 0..4000 {
            let n = rng.random_range(0..300);
            // Correlated pairs near every threshold, offsets far above the spread, ties,
            // constants, huge and tiny scales, and now and then a non-finite value.
            let scale = [1e-300, 1e-9, 1.0, 1e6, 1e150][case % 5];
            let offset = scale * [0.0, 0.0, 1e3, 1e9, 1e13, 1e15][case % 6];
            let x: Vec<f64> = (0..n).map(|_| offset + scale * rng.random_range(-1.0..1.0)).collect();
            let mix = rng.random_range(0.0..1.0);
            let mut y: Vec<f64> =
                x.iter().map(|v| mix * v + (1.0 - mix) * (offset + scale * rng.random_range(-1.0..1.0))).collect();
            if case % 11 == 0 && n > 0 {
                y[0] = [f64::NAN, f64::INFINITY, 3.0][case % 3];
            }
            if case % 13 == 0 {
                y.iter_mut().for_each(|v| *v = 2.5);
            }
            let Some(r) = pearson(&x, &y) else { continue };
            for threshold in [r, r - 1e-12, r.next_down(), 0.5, 0.9] {
                checked += 1;
                let reaches = r >= threshold;
                assert!(!reaches || may_reach(&x, &y, threshold), "case {case}: r {r} threshold {threshold}");
                ruled_out += usize::from(!may_reach(&x, &y, threshold));
            }
        }
        // The filter does rule out most pairs below a high threshold.
        assert!(checked > 10_000 && ruled_out > checked / 10, "{ruled_out} of {checked}");
    }

    #[test]
    fn ranks_average_ties() {
        assert_eq!(ranks(&[10.0, 20.0, 20.0, 5.0]), vec![2.0, 3.5, 3.5, 1.0]);
    }

    #[test]
    fn spearman_hand_computed_with_ties() {
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]), Some(1.0));
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), Some(-1.0));
        // x ranks 1,2,3,4; y = [1,1,2,3] ranks 1.5,1.5,3,4: r = 4.5 / sqrt(5 × 4.5) = 0.948683…
        let r = spearman(&[1.0, 2.0, 3.0, 4.0], &[1.0, 1.0, 2.0, 3.0]).unwrap();
        assert!((r - 4.5 / (5.0f64 * 4.5).sqrt()).abs() < 1e-15);
        assert_eq!(spearman(&[1.0, 2.0], &[5.0, 5.0]), None, "constant side");
    }

    #[test]
    fn gini_hand_computed() {
        assert_eq!(gini(&[1.0, 1.0, 1.0, 1.0]), 0.0);
        assert!((gini(&[0.0, 0.0, 0.0, 1.0]) - 0.75).abs() < 1e-15);
        // [1,2,3,4]: 2·(1+4+9+16)/(4·10) − 5/4 = 0.25
        assert!((gini(&[4.0, 1.0, 3.0, 2.0]) - 0.25).abs() < 1e-15);
        assert_eq!(gini(&[]), 0.0);
    }
}
