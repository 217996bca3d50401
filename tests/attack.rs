//! The worst-case search on a planted case: it must find a configuration at least as
//! profitable as the best point of a dense grid over the same parameter.

use dustlab::experiment::attack::{AttackSpec, Evaluator, search, space};
use dustlab::experiment::montecarlo;
use dustlab::experiment::run::load_base;
use dustlab::experiment::scenario::Scenario;
use dustlab::population::adversary::AdversarySpec;

const SCENARIO: &str = r#"name = "planted"
seed = 4
runs = 2
[population]
miners = 30
days = 45
start = "2025-10-01"
[[policy]]
preset = "static"
payout = "dust-only"
"#;

fn load(text: &str) -> Scenario {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, text).unwrap();
    Scenario::load(&path).unwrap()
}

/// An evaluator of the scenario's first policy on its runs' populations.
fn evaluator(scenario: &Scenario) -> Evaluator<'_> {
    let base = load_base(scenario, &mut Default::default()).unwrap();
    let (first, last) = montecarlo::span(&base).unwrap();
    Evaluator {
        scenario,
        policy: &scenario.policies[0],
        populations: (0..scenario.runs).map(|r| montecarlo::population(scenario, &base, r).unwrap()).collect(),
        steps: dustlab::replay::clock::steps(first, last, scenario.step_ms).unwrap(),
        progress: indicatif::ProgressBar::hidden(),
        without_cache: Default::default(),
    }
}

#[test]
fn search_beats_a_dense_grid_on_a_planted_case() {
    let scenario = load(SCENARIO);
    let eval = evaluator(&scenario);
    // Planted: under static dust, a sybil split's excess grows with k (k floors for one stream).
    let spec = AdversarySpec { strategy: "sybil-split".into(), k: 2, ..AdversarySpec::default() };
    let dim = &space("sybil-split")[0];
    let grid: Vec<f64> = (dim.low as usize..=dim.high as usize)
        .map(|k| eval.excess(&AdversarySpec { k, ..spec.clone() }).unwrap())
        .collect();
    let best_grid = grid.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert!(grid.windows(2).all(|w| w[1] > w[0]), "planted: monotone in k: {grid:?}");
    let found = search(&eval, &spec, &AttackSpec { samples: 4, refine: 6, seed: 9 }).unwrap();
    assert!(found.excess_usd >= best_grid, "search {} < grid {best_grid}", found.excess_usd);
    assert_eq!(found.params, vec![("k".to_string(), dim.high)]);
    // The planted worst case sits on the range's edge: said, and printed at its precision.
    assert_eq!(found.on_bound, vec!["k".to_string()]);
    assert_eq!(dustlab::experiment::attack::natural(dim, found.params[0].1), "12");
    assert!(found.excess_pct.is_some_and(|p| p > 0.0));
    // A timing burst never outlasts its period, whatever the search tries.
    let timing = AdversarySpec {
        strategy: "window-timing".into(),
        period_days: 3.0,
        burst_days: 9.0,
        ..AdversarySpec::default()
    };
    let t = search(&eval, &timing, &AttackSpec { samples: 6, refine: 3, seed: 2 }).unwrap();
    let get = |k: &str| t.params.iter().find(|p| p.0 == k).unwrap().1;
    assert!(get("burst_days") <= get("period_days"), "{:?}", t.params);
    // Deterministic: the same seed finds the same case.
    let again = search(&eval, &spec, &AttackSpec { samples: 4, refine: 6, seed: 9 }).unwrap();
    assert_eq!(again.excess_usd, found.excess_usd);
}

const DYNAMIC: &str = r#"name = "whale"
seed = 4
runs = 2
[population]
miners = 30
days = 45
start = "2025-10-01"
[[policy]]
preset = "ptn-dynamic"
payout = "dust-only"
"#;

#[test]
fn the_whale_is_measured_by_the_damage_it_does_and_the_search_finds_the_largest_factor() {
    let scenario = load(DYNAMIC);
    let eval = evaluator(&scenario);
    let spec = AdversarySpec { strategy: "whale-compression".into(), factor: 2.0, ..AdversarySpec::default() };
    // Planted: under max-normalisation a larger account compresses the rivals more.
    let damage: Vec<(f64, Option<f64>)> = [1.0, 5.0, 20.0, 100.0, 200.0]
        .iter()
        .map(|&f| eval.measure(&AdversarySpec { factor: f, ..spec.clone() }).unwrap())
        .collect();
    assert!(damage.windows(2).all(|w| w[1].0 > w[0].0), "damage grows with the factor: {damage:?}");
    assert!(damage[4].0 > 0.0 && damage[4].1.is_some_and(|p| p > 0.0 && p < 100.0), "{damage:?}");
    let found = search(&eval, &spec, &AttackSpec { samples: 4, refine: 6, seed: 3 }).unwrap();
    assert_eq!(found.objective, "rivals' reward lost");
    assert_eq!(found.params, vec![("factor".to_string(), 200.0)], "the largest allowed factor");
    assert_eq!(found.on_bound, vec!["factor".to_string()]);
    assert!((found.excess_usd - damage[4].0).abs() <= 1e-9 * damage[4].0.abs());
    // The run without the whale is cached from the first candidate (factor 1); a fresh
    // evaluator whose first candidate is factor 200 must agree exactly.
    let fresh = evaluator(&scenario);
    assert_eq!(fresh.measure(&AdversarySpec { factor: 200.0, ..spec.clone() }).unwrap(), damage[4]);
}
