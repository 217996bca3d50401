//! Sybil split: hotkeys whose penalty-adjusted PnL series move together far more than
//! independent strategies do (scale-free: one operator's stream split k ways is the same
//! series at 1/k the size). Pairs above the correlation are joined into groups.

use rayon::prelude::*;

use super::panel::{lagged_correlation_reaching, summed};
use super::{Finding, Knobs, Panel, mean_sd, seen};
use crate::time::MS_PER_DAY;

pub fn detect(panel: &Panel, knobs: &Knobs) -> Vec<Finding> {
    let m = &panel.miners;
    let eligible: Vec<usize> = (0..m.len()).filter(|&i| m[i].active() >= knobs.min_active).collect();
    // Pairs in tiles of TILE × TILE miners, so both tiles' series stay in cache while their
    // pairs are scanned (row by row, a large panel streamed from memory for every miner);
    // then in (i, j) order, the order the groups' mean correlations are summed in.
    const TILE: usize = 48;
    let eligible = &eligible;
    let sums = &summed(panel);
    let tiles: Vec<(usize, usize)> = (0..eligible.len())
        .step_by(TILE)
        .flat_map(|a| (a..eligible.len()).step_by(TILE).map(move |b| (a, b)))
        .collect();
    let mut edges: Vec<(usize, usize, f64)> = tiles
        .par_iter()
        .flat_map_iter(|&(a0, b0)| {
            let rows = a0..(a0 + TILE).min(eligible.len());
            rows.flat_map(move |a| {
                let cols = (a + 1).max(b0)..(b0 + TILE).min(eligible.len());
                cols.filter_map(move |b| {
                    let (i, j) = (eligible[a], eligible[b]);
                    let r = lagged_correlation_reaching(
                        (&m[i], &m[j]),
                        (&sums[i], &sums[j]),
                        0,
                        knobs.min_overlap,
                        knobs.sybil_correlation,
                    )?;
                    Some((i, j, r))
                })
            })
        })
        .collect();
    edges.sort_unstable_by_key(|&(i, j, _)| (i, j));
    // Union-find over the strongly correlated pairs.
    let mut parent: Vec<usize> = (0..m.len()).collect();
    fn root(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for &(i, j, _) in &edges {
        let (a, b) = (root(&mut parent, i), root(&mut parent, j));
        if a != b {
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for &(i, j, _) in &edges {
        for k in [i, j] {
            let r = root(&mut parent, k);
            let g = groups.entry(r).or_default();
            if !g.contains(&k) {
                g.push(k);
            }
        }
    }
    groups
        .into_values()
        .map(|mut g| {
            g.sort_by(|a, b| m[*a].hotkey.cmp(&m[*b].hotkey));
            let rs: Vec<f64> = edges.iter().filter(|(i, j, _)| g.contains(i) && g.contains(j)).map(|e| e.2).collect();
            let mean_r = rs.iter().sum::<f64>() / rs.len() as f64;
            let starts: Vec<i64> = g.iter().map(|&i| m[i].first_ms).collect();
            let spread = (starts.iter().max().unwrap() - starts.iter().min().unwrap()) as f64 / MS_PER_DAY as f64;
            let coll: Vec<f64> = g.iter().filter_map(|&i| m[i].collateral).collect();
            let (cm, csd, _) = mean_sd(coll.iter().copied());
            let coll_text = if coll.is_empty() {
                "collateral unknown".to_string()
            } else {
                format!("collateral {:.0} ± {:.0} USD", cm, csd)
            };
            let (first, last) = seen(panel, &g);
            Finding {
                pattern: "sybil-split",
                hotkeys: g.iter().map(|&i| m[i].hotkey.clone()).collect(),
                score: mean_r,
                leader: None,
                lag_periods: None,
                evidence: format!(
                    "{} hotkeys, mean PnL correlation {:.3} over {} pair(s); first seen within {:.1} days; {coll_text}",
                    g.len(),
                    mean_r,
                    rs.len(),
                    spread
                ),
                first_seen_ms: first,
                last_seen_ms: last,
            }
        })
        .collect()
}
