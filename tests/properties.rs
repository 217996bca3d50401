//! Property tests: whatever a user or a file throws at a reader or a checker, it returns a
//! value or an error, never a panic. Case counts are bounded so `cargo test` stays quick.

use dustlab::experiment::scenario::Scenario;
use dustlab::ledger::io;
use dustlab::policy::preset;
use dustlab::population::generate::{PopulationParams, generate};
use dustlab::time::parse_time;
use proptest::prelude::*;

/// Bounded and seeded: every CI run explores the same cases (a failure reproduces), and a
/// new seed is one edit away.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed_d057),
        ..ProptestConfig::default()
    }
}

/// Bytes that start like each format the readers detect, then anything.
fn ledger_bytes() -> impl Strategy<Value = Vec<u8>> {
    let prefixes: Vec<Vec<u8>> = vec![
        Vec::new(),
        vec![0x1f, 0x8b, 0x08, 0x00],
        b"PAR1".to_vec(),
        b"{\"ledgers\": {\"5A\": {\"hotkey\": \"5A\", \"checkpoints\": [".to_vec(),
        b"hotkey,timestamp_ms,pnl_gain,pnl_loss,total_penalty,challenge_period_status,chunk_emissions_usd\n".to_vec(),
    ];
    (proptest::sample::select(prefixes), proptest::collection::vec(any::<u8>(), 0..600)).prop_map(|(mut p, tail)| {
        p.extend(tail);
        p
    })
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn ledger_readers_never_panic(bytes in ledger_bytes()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.bin");
        std::fs::write(&path, &bytes).unwrap();
        let _ = io::read_raw(&path);
        let _ = io::read_validated(&path, true);
        let _ = dustlab::replay::sources::read_buckets(&path);
        let _ = dustlab::replay::sources::read_collateral(&path);
    }

    #[test]
    fn the_time_parser_never_panics(text in any::<String>()) {
        let _ = parse_time(&text);
    }

    #[test]
    fn the_time_parser_never_panics_on_near_dates(y in 0u32..10_000, m in 0u32..14, d in 0u32..33, tail in any::<String>()) {
        let _ = parse_time(&format!("{y:04}-{m:02}-{d:02}{tail}"));
        let _ = parse_time(&format!("{y:04}-{m:02}-{d:02}T{tail}"));
    }

    #[test]
    fn the_scenario_loader_never_panics(text in any::<String>(), name in any::<String>(), runs in any::<i64>()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        std::fs::write(&path, &text).unwrap();
        let _ = Scenario::load(&path);
        let toml = format!("name = {name:?}\nruns = {runs}\n[population]\nminers = 3\ndays = 2\n[[policy]]\npreset = \"static\"\n");
        std::fs::write(&path, toml).unwrap();
        let _ = Scenario::load(&path);
    }
}

/// Any float, the awkward ones included.
fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        Just(-0.0),
        -10.0..10.0f64,
        any::<f64>(),
    ]
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn policy_checks_accept_only_sound_bounds(
        dust in float(), lookback in float(), width in float(), floor in float(), default_floor in float(),
        zero in float(), half_life in float(),
    ) {
        let mut p = preset("ptn-dynamic").unwrap();
        p.dust = dust;
        p.lookback_days = lookback;
        p.ceiling_width = width;
        p.floors.insert("CHALLENGE".into(), floor);
        p.default_floor = default_floor;
        p.zero_level = zero;
        p.half_life_days = Some(half_life);
        if p.check().is_ok() {
            for b in ["CHALLENGE", "PROBATION", "MAINCOMP", "PLAGIARISM", "unknown", "anything"] {
                let (f, c) = p.bounds(b);
                prop_assert!(f.is_finite() && c.is_finite() && f >= 0.0 && c >= f, "{b}: {f} {c}");
            }
            prop_assert!(p.lookback_ms() > 0);
        }
    }
}

proptest! {
    #![proptest_config(config(24))]

    #[test]
    fn population_checks_let_through_only_what_generates(
        t_dof in float(), forex in float(), max_days in float(), plag in float(), elim in float(),
        vol in float(), sd in float(), drift_sd in float(), walk in float(),
    ) {
        let p = PopulationParams {
            miners: 4,
            days: 12,
            t_dof,
            forex_share: forex,
            challenge_max_days: max_days,
            challenge_min_days: 0.0,
            plagiarism_daily: plag,
            plagiarism_eliminate: elim,
            vol_12h_median: vol,
            vol_log_sd: sd,
            monthly_drift_sd: drift_sd,
            alpha_walk_sd: walk,
            ..PopulationParams::default()
        };
        if p.check().is_ok() {
            let pop = generate(&p);
            for l in &pop.set.ledgers {
                for c in &l.checkpoints {
                    prop_assert!(c.net_pnl().is_finite(), "{}: non-finite PnL", l.hotkey);
                }
            }
        }
    }
}
