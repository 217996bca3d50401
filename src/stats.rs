//! Rank correlation and inequality measures, written out so their tie rules are explicit.

/// Average ranks (1-based), ties sharing the mean of the ranks they span.
pub fn ranks(x: &[f64]) -> Vec<f64> {
    ranks_along(x, &sorted_order(x))
}

/// Indexes of `x` in increasing order (total order). Ties share their mean rank, so the order
/// among equals does not matter (an unstable sort of contiguous pairs is fine).
pub fn sorted_order(x: &[f64]) -> Vec<u32> {
    let mut pairs = keyed(x, 0..x.len() as u32);
    pairs.sort_unstable_by_key(|p| p.0);
    pairs.into_iter().map(|p| p.1).collect()
}

/// An order that sorts `x` (without NaNs) from an arrangement of all its indexes in a few
/// ascending runs: a stable sort finds the runs and merges them.
fn sorted_from(x: &[f64], runs: &[u32]) -> Vec<u32> {
    let mut pairs = keyed(x, runs.iter().copied());
    pairs.sort_by_key(|p| p.0);
    pairs.into_iter().map(|p| p.1).collect()
}

/// The indexes `at`, each with `f64::total_cmp`'s own integer key of its value (integers
/// compare as the floats do under it): made once per value instead of twice per comparison (a
/// sweep sorts two steps' worth of scores and weights per variant and step).
fn keyed(x: &[f64], at: impl Iterator<Item = u32>) -> Vec<(i64, u32)> {
    at.map(|i| {
        let b = x[i as usize].to_bits() as i64;
        (b ^ (((b >> 63) as u64) >> 1) as i64, i)
    })
    .collect()
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

/// A series with running sums of its values and of their squares: the sums over any slice
/// of it in O(1). A pairwise scan (the gaming watch's sybil and copycat detectors) correlates
/// every series with hundreds of others, and re-summing both sides of every pair was most of
/// the watch's time.
pub struct Summed<'a> {
    values: &'a [f64],
    /// `s1[k]`, `s2[k]`: Σ x and Σ x² over `values[..k]`, summed in order.
    s1: Vec<f64>,
    s2: Vec<f64>,
    /// What rounding may have moved the difference of two of `s1` (of `s2`) by, at most.
    e1: f64,
    e2: f64,
}

impl<'a> Summed<'a> {
    pub fn new(values: &'a [f64]) -> Self {
        let (mut s1, mut s2) = (Vec::with_capacity(values.len() + 1), Vec::with_capacity(values.len() + 1));
        let (mut a, mut b, mut abs) = (0.0, 0.0, 0.0);
        s1.push(a);
        s2.push(b);
        for &v in values {
            a += v;
            b += v * v;
            abs += v.abs();
            s1.push(a);
            s2.push(b);
        }
        // A running sum of N terms is within N·u·Σ|term| of the exact one (first order; each
        // square adds its own u): a difference of two, within twice that. Doubled again for
        // the higher-order terms and the rounding of these bounds themselves.
        let reach = 2.0 * (2.0 * values.len() as f64 + 4.0) * UNIT_ROUNDOFF;
        Summed { values, s1, s2, e1: reach * abs, e2: reach * b }
    }

    fn sums(&self, r: &std::ops::Range<usize>) -> (f64, f64) {
        (self.s1[r.end] - self.s1[r.start], self.s2[r.end] - self.s2[r.start])
    }
}

/// 2^-53: the relative rounding error of one f64 operation.
const UNIT_ROUNDOFF: f64 = f64::EPSILON / 2.0;

/// Whether Pearson of the slices `x[xr]` and `y[yr]` (of one length) may reach `threshold`:
/// false only when the correlation is certainly below it. The figure is bounded from the
/// running sums' slice sums and one pass of cross products (in lanes): every rounding of
/// those is bounded, so the exact figure lies within the bound. Pairwise scans then compute
/// [`pearson`] for the few pairs that may pass, and find what [`pearson`] alone would find.
///
/// Where the bound cannot settle it (a series that barely varies around a large mean, sums
/// near the ends of the f64 range, a non-finite value anywhere in either series) it is true.
/// The margin of 1e-6 covers [`pearson`]'s own rounding wherever the bound is settled.
pub fn may_reach(
    x: &Summed,
    xr: std::ops::Range<usize>,
    y: &Summed,
    yr: std::ops::Range<usize>,
    threshold: f64,
) -> bool {
    let n = xr.len();
    if n < 2 || yr.len() != n {
        return true;
    }
    let (a, b) = (&x.values[xr.clone()], &y.values[yr.clone()]);
    // Eight lanes: four two-wide adds in flight hide the adds' latency.
    let mut lanes = [0.0f64; 8];
    for (p, q) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for k in 0..8 {
            lanes[k] += p[k] * q[k];
        }
    }
    let tail = n - n % 8;
    let rest: f64 = a[tail..].iter().zip(&b[tail..]).map(|(p, q)| p * q).sum();
    let sxy = lanes.iter().sum::<f64>() + rest;
    let ((sx, sxx), (sy, syy)) = (x.sums(&xr), y.sums(&yr));
    let (nf, u) = (n as f64, UNIT_ROUNDOFF);
    // Underflow to subnormals loses relative precision: at most this much absolutely.
    let tiny = 8.0 * nf * f64::from_bits(1);
    // Bounds on the rounding of the centred sums: the slice sums' own (e1, e2), what they do
    // through Sx²/n, and the few roundings of these expressions (4u of their terms).
    let centred = |s: &Summed, s1: f64, s2: f64| {
        s.e2 + s.e1 * (2.0 * s1.abs() + s.e1) / nf + 4.0 * u * (s2.abs() + s1 * s1 / nf) + tiny
    };
    let (dx, dy) = (centred(x, sx, sxx), centred(y, sy, syy));
    let (cxx, cyy) = (sxx - sx * sx / nf, syy - sy * sy / nf);
    // Σ|xy| ≤ √(Σx² Σy²): the lanes' sum is within 2(n + 1)u of that.
    let cross = ((sxx.abs() + x.e2) * (syy.abs() + y.e2)).sqrt();
    let dxy = 2.0 * (nf + 1.0) * u * cross
        + (x.e1 * sy.abs() + (sx.abs() + x.e1) * y.e1) / nf
        + 4.0 * u * (sxy.abs() + (sx * sy).abs() / nf)
        + tiny;
    let cxy = sxy - sx * sy / nf;
    let (lo_x, lo_y) = (cxx - dx, cyy - dy);
    if !(lo_x > 0.0
        && lo_y > 0.0
        && cxy.is_finite()
        && dxy.is_finite()
        && (cxx + dx).is_finite()
        && (cyy + dy).is_finite())
    {
        return true;
    }
    // The largest the correlation can be given those bounds.
    let top = cxy + dxy;
    let most = if top >= 0.0 { top / (lo_x * lo_y).sqrt() } else { top / ((cxx + dx) * (cyy + dy)).sqrt() };
    most >= threshold - 1e-6
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
    spearman_along_hinted(x, y, order, None)
}

/// [`spearman_along`] given, for a `y` that may not follow `x`'s order, an arrangement of all
/// of `y`'s indexes in a few ascending runs (a step's final weights: each bucket's miners in
/// score order): `y` is then ranked by a sort that merges those runs, not a sort from scratch.
/// Any arrangement gives the same figure; a good one only saves time.
pub fn spearman_along_hinted(x: &[f64], y: &[f64], order: &[u32], y_runs: Option<&[u32]>) -> Option<f64> {
    debug_assert_eq!(x.len(), y.len());
    debug_assert!(x.iter().any(|v| v.is_nan()) || order.windows(2).all(|w| x[w[0] as usize] <= x[w[1] as usize]));
    let n = order.len();
    if x.len() != n || y.len() != n || n >= 1 << 16 {
        return pearson(&ranks_along(x, order), &ranks(y));
    }
    if n < 2 {
        return None;
    }
    // NaNs rank apart from each other in an order of the sort's choosing: no shortcut there,
    // and no other arrangement than the sort's own.
    let nan = has_nan(x) || has_nan(y);
    if !nan && follows(y, order) {
        return rank_sums(x, y, order, None::<fn(usize) -> f64>);
    }
    // Where `y` does not follow `x`'s order, its ranks come from its own sort.
    let ry = match y_runs {
        Some(runs) if !nan && runs.len() == n => ranks_along(y, &sorted_from(y, runs)),
        _ => ranks(y),
    };
    rank_sums(x, y, order, Some(|p: usize| ry[order[p] as usize]))
}

/// Spearman's rho of `x` and `y` over the indexes `sample` alone, given in an order that sorts
/// `x` there (a bucket's miners in the step's score order, indexes into the step's columns):
/// no copy of the bucket's values is made. Neither side may hold a NaN at `sample`, and the
/// sample must be below 2^16 values (the exactness of [`spearman_along`]'s sums).
pub fn spearman_within(x: &[f64], y: &[f64], sample: &[u32]) -> Option<f64> {
    let n = sample.len();
    assert!(n < 1 << 16, "a sample below 2^16 values");
    debug_assert!(sample.iter().all(|&i| !x[i as usize].is_nan() && !y[i as usize].is_nan()));
    if n < 2 {
        return None;
    }
    if follows(y, sample) {
        return rank_sums(x, y, sample, None::<fn(usize) -> f64>);
    }
    let at: Vec<f64> = sample.iter().map(|&i| y[i as usize]).collect();
    let ry = ranks(&at);
    rank_sums(x, y, sample, Some(|p: usize| ry[p]))
}

/// Whether any value is NaN, without an early exit (a pass the compiler vectorises).
pub fn has_nan(v: &[f64]) -> bool {
    v.iter().fold(false, |acc, x| acc | x.is_nan())
}

/// Whether `y` is non-decreasing along `order` (no NaN in it).
fn follows(y: &[f64], order: &[u32]) -> bool {
    order.windows(2).all(|w| y[w[0] as usize].total_cmp(&y[w[1] as usize]).is_le())
}

/// Pearson's figure on the average ranks of `x` and `y` at `order`'s indexes, summed along
/// `order` one run of ties at a time (see [`spearman_along`]). `ry(p)` is the rank of `y` at
/// place `p` of `order`; without it, `y` follows `order` and is ranked by its own runs.
fn rank_sums(x: &[f64], y: &[f64], order: &[u32], ry: Option<impl Fn(usize) -> f64>) -> Option<f64> {
    let n = order.len();
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
        match &ry {
            None => {
                if p == y_end {
                    (y_end, dy) = run(y, p);
                }
            }
            Some(ry) => dy = ry(p) - mean,
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
    fn a_sample_in_place_and_a_hinted_sort_give_the_figure_of_the_values_copied_out() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(21);
        let same =
            |a: Option<f64>, b: Option<f64>| a == b || (a.is_some_and(f64::is_nan) && b.is_some_and(f64::is_nan));
        let (mut hinted_sorts, mut shortcut) = (0, 0);
        for case in 0..3000 {
            let n = rng.random_range(0..if case % 9 == 0 { 400 } else { 50 });
            // Few distinct values (ties, signed zeros) or many; a NaN now and then in y.
            let pick = |r: &mut rand::rngs::Xoshiro256PlusPlus| {
                if case % 2 == 0 {
                    [0.0, -0.0, 1.0, 2.0, 2.5, -3.0][r.random_range(0..6)]
                } else {
                    r.random_range(-1.0..1.0)
                }
            };
            let x: Vec<f64> = (0..n).map(|_| pick(&mut rng)).collect();
            let mut y: Vec<f64> = match case % 3 {
                0 => x.iter().map(|v| v.max(0.0) * 3.0).collect(),
                1 => x.iter().map(|v| if rng.random_range(0..8) == 0 { pick(&mut rng) } else { *v }).collect(),
                _ => (0..n).map(|_| pick(&mut rng)).collect(),
            };
            let order = sorted_order(&x);
            // A sample: the members of one of three groups, in the order that sorts x.
            let group: Vec<usize> = (0..n).map(|_| rng.random_range(0..3)).collect();
            let sample: Vec<u32> = order.iter().copied().filter(|&i| group[i as usize] == 0).collect();
            let members: Vec<usize> = (0..n).filter(|&i| group[i] == 0).collect();
            let (xs, ys): (Vec<f64>, Vec<f64>) = members.iter().map(|&i| (x[i], y[i])).unzip();
            shortcut += usize::from(follows(&y, &sample));
            assert!(same(spearman_within(&x, &y, &sample), spearman(&xs, &ys)), "{xs:?} {ys:?}");
            // Hints: the groups' members in x's order (runs where y rises with x), or any order.
            let mut hint: Vec<u32> = Vec::new();
            for g in 0..3 {
                hint.extend(order.iter().copied().filter(|&i| group[i as usize] == g));
            }
            if case % 4 == 3 {
                hint.reverse();
            }
            if case % 17 == 0 && n > 0 {
                y[rng.random_range(0..n)] = f64::NAN;
            }
            hinted_sorts += usize::from(!follows(&y, &order));
            assert!(same(spearman_along_hinted(&x, &y, &order, Some(&hint)), spearman(&x, &y)), "{x:?} {y:?} {hint:?}");
        }
        assert!(shortcut > 500 && hinted_sorts > 500, "both paths taken: {shortcut} {hinted_sorts}");
    }

    #[test]
    fn may_reach_never_rules_out_a_correlation_that_reaches_the_threshold() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(5);
        let (mut checked, mut ruled_out, mut plain_below, mut plain_kept) = (0, 0, 0, 0);
        for case in 0..6000 {
            let n = rng.random_range(0..300);
            // Correlated pairs near every threshold, offsets far above the spread, ties,
            // constants, huge, tiny and subnormal scales, and now and then a non-finite value.
            let scale = [1e-300, 1e-9, 1.0, 1e6, 1e150, 1e-160][case % 6];
            let offset = scale * [0.0, 0.0, 1e3, 1e9, 1e13, 1e15, 0.0][case % 7];
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
            // The slices sit inside longer series whose other values the running sums carry:
            // ordinary ones, a spike far above the slice, or a non-finite value.
            let around = |rng: &mut rand::rngs::Xoshiro256PlusPlus, v: &[f64], kind: usize| {
                let before = rng.random_range(0..50);
                let mut s: Vec<f64> = (0..before).map(|_| scale * rng.random_range(-1.0..1.0)).collect();
                match kind {
                    1 if before > 0 => s[0] = 1e12 * scale,
                    2 if before > 0 => s[0] = f64::NAN,
                    _ => {}
                }
                s.extend_from_slice(v);
                s.extend((0..rng.random_range(0..50)).map(|_| scale * rng.random_range(-1.0..1.0)));
                (s, before..before + v.len())
            };
            let kind = [0, 0, 0, 1, 2][case % 5];
            let (sx, xr) = around(&mut rng, &x, kind);
            let (sy, yr) = around(&mut rng, &y, 0);
            let (ax, ay) = (Summed::new(&sx), Summed::new(&sy));
            let Some(r) = pearson(&x, &y) else { continue };
            for threshold in [r, r - 1e-12, r.next_down(), 0.5, 0.9] {
                checked += 1;
                let may = may_reach(&ax, xr.clone(), &ay, yr.clone(), threshold);
                assert!(r < threshold || may, "case {case}: r {r} threshold {threshold}");
                ruled_out += usize::from(!may);
                // Ordinary data: the bound is tight enough to rule out whatever falls short.
                if scale == 1.0 && offset == 0.0 && kind == 0 && r < threshold - 1e-5 && y.iter().all(|v| v.is_finite())
                {
                    plain_below += 1;
                    plain_kept += usize::from(may);
                }
            }
        }
        assert!(plain_below > 200 && plain_kept == 0, "{plain_kept} of {plain_below} kept");
        // Most cases here are built to be unsettled (offsets, spikes, non-finite values):
        // still, the settled ones below a threshold are ruled out.
        assert!(checked > 10_000 && ruled_out > checked / 25, "{ruled_out} of {checked}");
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
