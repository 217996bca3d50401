//! The worst-case search on a planted case: it must find a configuration at least as
//! profitable as the best point of a dense grid over the same parameter.

mod common;

use dustlab::experiment::attack::{self, AttackSpec, Evaluator, search, space};
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
    let steps = dustlab::replay::clock::steps(first, last, scenario.step_ms).unwrap();
    Evaluator::new(scenario, &scenario.policies[0], &base, steps, indicatif::ProgressBar::hidden()).unwrap()
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

/// Every number of an outcome, for comparing the two evaluation paths.
fn numbers(o: &dustlab::metrics::adversary::Outcome) -> Vec<(&'static str, Option<f64>)> {
    vec![
        ("reward_usd", Some(o.reward_usd)),
        ("twin_reward_usd", Some(o.twin_reward_usd)),
        ("reward_share", Some(o.reward_share)),
        ("excess_usd", Some(o.excess_usd)),
        ("excess_pct", o.excess_pct),
        ("roi", o.roi),
        ("twin_roi", o.twin_roi),
        ("rival_position", o.rival_position),
        ("rivals_reward_usd", Some(o.rivals_reward_usd)),
        ("rivals_loss_usd", o.rivals_loss_usd),
        ("rivals_loss_pct", o.rivals_loss_pct),
        ("gain_per_usd", o.gain_per_usd),
        ("twin_gain_per_usd", o.twin_gain_per_usd),
    ]
}

/// The incremental path (population digested once, a candidate's hotkeys replayed against it)
/// and the full replay agree to 1e-9 on random scenarios: policies, payouts, normalisations,
/// smoothing, emission sources, spans across the debt's activation, every strategy at random
/// parameters in random buckets.
#[test]
fn the_incremental_path_agrees_with_full_replays_on_random_scenarios() {
    use rand::RngExt;
    let mut rng = dustlab::population::seed::rng(2026, 11);
    let mut pick = |options: &[&'static str]| options[rng.random_range(0..options.len())];
    let mut cases = Vec::new();
    for case in 0..14 {
        let text = format!(
            "name = \"random\"\nseed = {case}\nruns = 2\n[population]\nminers = {}\ndays = {}\nstart = \"{}\"\n\
             [emission]\npool_alpha_per_day = {}\nalpha_to_usd = {}\n[[policy]]\npreset = \"{}\"\nlookback_days = {}\n{}\
             [policy.normalization]\n{}\n[policy.smoothing]\n{}\n",
            pick(&["18", "25", "34"]),
            pick(&["40", "63", "90"]),
            pick(&["2025-10-01", "2025-11-12", "2025-12-20"]),
            pick(&["2950", "\"ledgers\""]),
            pick(&["\"ledgers\"", "31.5"]),
            pick(&["ptn-dynamic", "static", "ptn-collateral"]),
            pick(&["7", "14", "30"]),
            pick(&[
                "",
                "payout = \"dust-only\"\n",
                "payout = \"monthly-2025-11-06\"\n",
                "payout = \"monthly-2025-10-31\"\n"
            ]),
            pick(&[
                "kind = \"max\"",
                "kind = \"rank\"",
                "kind = \"log\"",
                "kind = \"minmax\"",
                "kind = \"winsorized\"\npercentile = 90"
            ]),
            pick(&["kind = \"none\"", "kind = \"ema\"\nalpha = 0.4", "kind = \"max-step\"\nrelative = 0.2"]),
        );
        let strategy = pick(dustlab::population::adversary::STRATEGIES);
        let bucket = pick(&["CHALLENGE", "MAINCOMP", "PROBATION"]);
        cases.push((text, strategy, bucket));
    }
    let (mut compared, mut paid) = (0, 0);
    for (text, strategy, bucket) in cases {
        let scenario = load(&text);
        let base = load_base(&scenario, &mut Default::default()).unwrap();
        let (first, last) = montecarlo::span(&base).unwrap();
        let steps = dustlab::replay::clock::steps(first, last, scenario.step_ms).unwrap();
        let pops: Vec<_> = (0..scenario.runs).map(|r| montecarlo::population(&scenario, &base, r).unwrap()).collect();
        let policy = &scenario.policies[0];
        let hidden = indicatif::ProgressBar::hidden;
        let fast = Evaluator::on(&scenario, policy, &pops, false, steps.clone(), hidden(), false).unwrap();
        let full = Evaluator::on(&scenario, policy, &pops, false, steps, hidden(), true).unwrap();
        assert!(fast.is_incremental(), "{text}: {}", fast.path());
        assert!(!full.is_incremental());
        let spec = AdversarySpec { strategy: strategy.into(), bucket: bucket.into(), ..AdversarySpec::default() };
        let dims = space(strategy);
        for seed in [1u64, 2] {
            // Random parameters within the searched ranges.
            let mut r = dustlab::population::seed::rng(seed, 0);
            let x: Vec<f64> = dims
                .iter()
                .map(|d| d.low + (d.high - d.low) * r.random::<f64>())
                .zip(&dims)
                .map(|(v, d)| if d.integer { v.round() } else { v })
                .collect();
            let spec = attack::with(&spec, &dims, &attack::repair(strategy, &dims, x));
            for run in 0..scenario.runs {
                let a = fast.outcome(run, &spec).unwrap().unwrap();
                let b = full.outcome(run, &spec).unwrap().unwrap();
                for ((name, x), (_, y)) in numbers(&a).into_iter().zip(numbers(&b)) {
                    let ok = match (x, y) {
                        (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
                        (None, None) => true,
                        _ => false,
                    };
                    assert!(ok, "{strategy} in {bucket}, run {run}, {name}: incremental {x:?} vs full {y:?}\n{text}");
                }
                assert_eq!(a.caught, b.caught);
                compared += 1;
                paid += usize::from(b.reward_usd > 0.0 && b.twin_reward_usd > 0.0);
            }
        }
    }
    assert_eq!(compared, 14 * 2 * 2);
    assert!(paid * 4 >= compared * 3, "most comparisons pay both sides: {paid} of {compared}");
}

/// `dustlab attack` as a user runs it: the incremental path, said in attack.json, and the same
/// files byte for byte from two runs.
#[test]
fn the_attack_command_says_how_it_evaluated_and_writes_the_same_bytes_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(
        &path,
        format!("{DYNAMIC}[[adversary]]\nstrategy = \"copycat\"\n[attack]\nsamples = 2\nrefine = 1\n"),
    )
    .unwrap();
    let run = |out: &str| {
        let out = dir.path().join(out);
        let o = common::dustlab(&[
            "attack",
            path.to_str().unwrap(),
            "--policy",
            "ptn-dynamic",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ]);
        assert!(o.status.success(), "{}", common::stderr(&o));
        out
    };
    let (a, b) = (run("a"), run("b"));
    for f in ["attack.csv", "attack.json"] {
        assert_eq!(std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap(), "{f}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("attack.json")).unwrap()).unwrap();
    assert!(json["evaluation"].as_str().unwrap().starts_with("incremental"), "{}", json["evaluation"]);
    assert_eq!(json["worst_cases"][0]["strategy"], "copycat");
}
