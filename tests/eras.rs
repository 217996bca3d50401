//! `dustlab weights` under the releases from 30 November 2025, through the real binary on a
//! validator-layout file (realized/unrealized under `performance`, `chunk_usd` under
//! `emissions`), with a metagraph. Expected values are computed beside each assertion.

mod common;
use common::*;
use std::path::{Path, PathBuf};

const DUST: f64 = 1.5e-05;

fn ms(s: &str) -> i64 {
    dustlab::time::parse_time(s).unwrap()
}

/// A structured checkpoint of the realized era.
fn rcp(ts: i64, realized: f64, unrealized: f64, penalty: f64, status: &str, usd: f64) -> String {
    format!(
        r#"{{"timestamp_ms": {ts}, "emissions": {{"chunk_usd": {usd:?}}}, "performance": {{"realized_pnl": {realized:?}, "unrealized_pnl": {unrealized:?}}}, "penalties": {{"cumulative": {penalty:?}, "challenge_period_status": "{status}"}}}}"#
    )
}

fn hotkeys() -> (String, String, String) {
    (hk("A"), hk("B"), hk("C"))
}

/// A: MAINCOMP, realized 1000 on 10 November; B: PROBATION, realized 500 with an open loss of
/// −40 at penalty 0.5 on its last November checkpoint (30 November 12:00); C: CHALLENGE,
/// realized 200 on 20 November. Contiguous 12 h checkpoints from 1 November to 2 December 12:00.
fn ledgers(dir: &Path) -> PathBuf {
    let (a, b, c) = hotkeys();
    let start = ms("2025-11-01T00:00:00Z");
    let series = |status: &str, at: i64, realized: f64, unrealized: f64, penalty: f64| -> Vec<String> {
        (0..64)
            .map(|k| {
                let ts = start + k * 43_200_000;
                if ts == at {
                    rcp(ts, realized, unrealized, penalty, status, 0.0)
                } else {
                    rcp(ts, 0.0, 0.0, 1.0, status, 0.0)
                }
            })
            .collect()
    };
    let text = ledger_file(&[
        (a, series("MAINCOMP", ms("2025-11-10T00:00:00Z"), 1000.0, 0.0, 1.0)),
        (b, series("PROBATION", ms("2025-11-30T12:00:00Z"), 500.0, -40.0, 0.5)),
        (c, series("CHALLENGE", ms("2025-11-20T00:00:00Z"), 200.0, 0.0, 1.0)),
    ]);
    write(dir, "ledgers.json", text.as_bytes())
}

fn metagraph(dir: &Path, extra: &str) -> PathBuf {
    let mut hotkeys: Vec<String> = (0..230).map(|u| format!("\"uid{u}\"")).collect();
    hotkeys[229] = "\"5BURNBURNBURNBURNBURNBURNBURNBURNBURNBURNBURNBURN\"".into();
    let text = format!(
        r#"{{"hotkeys": [{}], "emission": [0.3, 1.7], "tao_reserve_rao": 2e15, "alpha_reserve_rao": 1e17{extra}}}"#,
        hotkeys.join(", ")
    );
    write(dir, "metagraph.json", text.as_bytes())
}

fn weights(ledgers: &Path, at: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["weights", "--ledgers", ledgers.to_str().unwrap(), "--at", at, "--format", "json"];
    args.extend_from_slice(extra);
    dustlab(&args)
}

fn weight_of(v: &serde_json::Value, hotkey: &str) -> f64 {
    v["weights"].as_array().unwrap().iter().find(|w| w["hotkey"] == hotkey).unwrap()["weight"].as_f64().unwrap()
}

#[test]
fn r2_weights_are_targets_over_the_projection_with_the_burn_from_the_metagraph() {
    let dir = tempfile::tempdir().unwrap();
    let (l, m) = (ledgers(dir.path()), metagraph(dir.path(), r#", "tao_to_usd_rate": 391.76"#));
    let o = weights(&l, "2025-12-02T00:00:00Z", &["--policy", "ptn-2025-12-05", "--metagraph", m.to_str().unwrap()]);
    let v = weights_json(&o);
    assert_eq!(v["payout"], "cumulative-2025-12-05");
    let (a, b, c) = hotkeys();
    // Dust: one miner per bucket, each at its bucket's best: floor + 1 × ((floor + DUST) − floor).
    // (B's 30-day score is 500 × 0.5 = 250: its last checkpoint in the window, at t, has no
    // open loss; C is alone in CHALLENGE, so no collateral rule.)
    let top = |f: f64| f * DUST + (1.0 * ((f * DUST + DUST) - f * DUST));
    assert_eq!(v["dust"][&a].as_f64().unwrap(), top(3.0));
    assert_eq!(v["dust"][&b].as_f64().unwrap(), top(2.0));
    assert_eq!(v["dust"][&c].as_f64().unwrap(), top(1.0));
    // Debt (horizon 4 on the 2nd): needed A 1000, B 500 × 0.5 + (−40 × 0.5) = 230, C 0 (CHALLENGE).
    let tao: f64 = ((0.0 + 0.3 + 1.7) / 360.0) * 28800.0;
    let rate = 2e15 / 1e17;
    let daily = (((tao / rate) * rate) * 391.76) / 4.0;
    let (da, db) = ((1000.0 / 4.0) / daily, (230.0 / 4.0) / daily);
    let (wa, wb, wc) = (da.max(top(3.0)), db.max(top(2.0)), top(1.0));
    assert_eq!(weight_of(&v, &a), wa);
    assert_eq!(weight_of(&v, &b), wb);
    assert_eq!(weight_of(&v, &c), wc);
    let burn = "5BURNBURNBURNBURNBURNBURNBURNBURNBURNBURNBURNBURN";
    assert_eq!(weight_of(&v, burn), 1.0 - ((wa + wb) + wc));
}

#[test]
fn r2_float32_matches_the_float32_arithmetic() {
    let dir = tempfile::tempdir().unwrap();
    let l = ledgers(dir.path());
    let m64 = metagraph(dir.path(), r#", "tao_to_usd_rate": 391.76"#);
    let v64 = weights_json(&weights(
        &l,
        "2025-12-02T00:00:00Z",
        &["--policy", "ptn-2025-12-05", "--metagraph", m64.to_str().unwrap()],
    ));
    let m32 = write(
        dir.path(),
        "m32.json",
        std::fs::read_to_string(&m64)
            .unwrap()
            .replace(r#""tao_to_usd_rate": 391.76"#, r#""tao_to_usd_rate": 391.76, "emission_dtype": "float32""#)
            .as_bytes(),
    );
    let v32 = weights_json(&weights(
        &l,
        "2025-12-02T00:00:00Z",
        &["--policy", "ptn-2025-12-05", "--metagraph", m32.to_str().unwrap()],
    ));
    let (a, _, _) = hotkeys();
    let e = 0.3f32 + 1.7f32;
    let rate = 2e15 / 1e17;
    let daily = ((((e / 360.0f32) * 28800.0f32) / rate as f32) * rate as f32 * 391.76f32) / 4.0f32;
    let wa = (1000.0f64 / 4.0) as f32 / daily;
    assert_eq!(weight_of(&v32, &a), wa as f64);
    let rel = (weight_of(&v32, &a) - weight_of(&v64, &a)).abs() / weight_of(&v64, &a);
    assert!(rel > 0.0 && rel < 1.25e-6, "float32 differs from double by {rel}");
}

#[test]
fn a_missing_price_is_production_s_failure_named() {
    let dir = tempfile::tempdir().unwrap();
    let (l, m) = (ledgers(dir.path()), metagraph(dir.path(), ""));
    let o = weights(&l, "2025-12-02T00:00:00Z", &["--policy", "ptn-2025-12-05", "--metagraph", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "no weights");
    let err = stderr(&o);
    assert!(err.contains("metagraph.json") && err.contains("tao_to_usd_rate") && err.contains("missing"), "{err}");
    // Before activation the debt path is not reached: no price needed.
    assert!(
        weights(&l, "2025-11-25T00:00:00Z", &["--policy", "ptn-2025-12-05", "--metagraph", m.to_str().unwrap()])
            .status
            .success()
    );
    // R1 only logs the projection, but raises the same way while the horizon is > 0, not after the 25th.
    let r1 = weights(&l, "2025-12-02T00:00:00Z", &["--policy", "ptn-2025-11-30", "--metagraph", m.to_str().unwrap()]);
    assert_eq!(r1.status.code(), Some(2), "{}", stderr(&r1));
    assert!(
        weights(&l, "2025-12-27T00:00:00Z", &["--policy", "ptn-2025-11-30", "--metagraph", m.to_str().unwrap()])
            .status
            .success()
    );
}

#[test]
fn r1_normalises_and_the_dust_only_miner_gets_dust_over_s() {
    let dir = tempfile::tempdir().unwrap();
    let l = ledgers(dir.path());
    let v = weights_json(&weights(&l, "2025-12-02T00:00:00Z", &["--policy", "ptn-2025-11-30"]));
    let (a, b, c) = hotkeys();
    let top = |f: f64| f * DUST + (1.0 * ((f * DUST + DUST) - f * DUST));
    let (ta, tb) = (1000.0 / 4.0, 230.0 / 4.0);
    let total = ((0.0 + ta) + tb) + 0.0;
    let (wa, wb, wc) = (ta / total, tb / total, top(1.0));
    let s = (wa + wb) + wc;
    assert!(s > 1.0);
    assert_eq!(weight_of(&v, &a), wa / s);
    assert_eq!(weight_of(&v, &b), wb / s);
    assert_eq!(weight_of(&v, &c), wc / s);
    assert!(
        v["weights"].as_array().unwrap().iter().all(|w| !w["hotkey"].as_str().unwrap().starts_with("burn_uid")),
        "no burn entry"
    );
}

#[test]
fn r2_treats_a_hotkey_the_bucket_source_does_not_know_as_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let (l, m) = (ledgers(dir.path()), metagraph(dir.path(), r#", "tao_to_usd_rate": 391.76"#));
    let (a, b, c) = hotkeys();
    let buckets = write(dir.path(), "b.csv", format!("hotkey,bucket\n{a},MAINCOMP\n{b},PROBATION\n").as_bytes());
    let o = weights(
        &l,
        "2025-12-02T00:00:00Z",
        &["--policy", "ptn-2025-12-05", "--metagraph", m.to_str().unwrap(), "--buckets", buckets.to_str().unwrap()],
    );
    let v = weights_json(&o);
    // unknown: floor 0, ceiling DUST (production's quirk): C alone at its best → 0 + 1 × ((0 + DUST) − 0).
    assert_eq!(v["dust"][&c].as_f64().unwrap(), DUST);
    assert!(!stderr(&o).contains("crash"), "{}", stderr(&o));
}

#[test]
fn an_old_layout_file_under_a_realized_release_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "old.json",
        ledger_file(&[(hk("A"), vec![cp(T_NOV, 10.0, 0.0, 1.0, "MAINCOMP")])]).as_bytes(),
    );
    let o = weights_at_nov(&f, &["--policy", "ptn-2025-11-30"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("no realized_pnl/unrealized_pnl"), "{}", stderr(&o));
    let v = weights_json(&o);
    assert_eq!(v["dust"][&hk("A")].as_f64().unwrap(), 3.0 * DUST, "PnL read as 0: the floor");
}

#[test]
fn the_eras_scenario_pays_each_step_by_the_release_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/eras.toml");
    let out = dir.path().join("out");
    let o = dustlab(&["replay", scenario.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let eras = run["era_per_step"].as_array().unwrap();
    let release = |d: &str| eras.iter().find(|e| e["at_ms"] == ms(d)).unwrap()["release"].as_str().unwrap().to_string();
    assert_eq!(release("2025-11-05T00:00:00Z"), "31 October 2025");
    assert_eq!(release("2025-11-06T00:00:00Z"), "6 November 2025");
    assert_eq!(release("2025-12-01T00:00:00Z"), "30 November 2025 (R1)");
    assert_eq!(release("2026-01-15T00:00:00Z"), "5 December 2025 (R2)");
    assert_eq!(run["feedback"], "simulated");
    assert!(run["emission_fidelity"]["recorded_usd"].as_f64().unwrap() > 0.0);
    // Under R2 with the sample's metagraph the projection dwarfs the targets: most is burned.
    let csv = std::fs::read_to_string(out.join("steps.csv")).unwrap();
    let jan15 = ms("2026-01-15T00:00:00Z").to_string();
    let burn: f64 = csv
        .lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f[1] == "production" && f[2] == jan15 && f[4] == "burn")
        .map(|f| f[9].parse().unwrap())
        .unwrap();
    assert!(burn > 0.5, "R2 burns the surplus: {burn}");
    // Before the schedule's first release, production is refused.
    let o = dustlab(&[
        "replay",
        scenario.to_str().unwrap(),
        "--start",
        "2025-10-20",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("before the first release"), "{}", stderr(&o));
}

#[test]
fn with_metagraph_hotkeys_and_a_bucket_history_only_registered_bucket_holders_are_scored() {
    let dir = tempfile::tempdir().unwrap();
    let l = ledgers(dir.path());
    let (a, b, c) = hotkeys();
    let elim = ms("2025-11-25T00:00:00Z");
    let buckets = write(
        dir.path(),
        "b.csv",
        format!(
            "hotkey,timestamp_ms,bucket\n{a},0,MAINCOMP\n{b},0,PROBATION\n{b},{elim},ELIMINATED\n{c},0,CHALLENGE\n"
        )
        .as_bytes(),
    );
    // C holds a bucket but is not registered (a zombie); B is eliminated on the 25th.
    let m = write(dir.path(), "m.json", format!(r#"{{"hotkeys": ["{a}", "{b}"]}}"#).as_bytes());
    let out = dir.path().join("out");
    let o = dustlab(&[
        "replay",
        "--ledgers",
        l.to_str().unwrap(),
        "--buckets",
        buckets.to_str().unwrap(),
        "--metagraph",
        m.to_str().unwrap(),
        "--start",
        "2025-11-20",
        "--end",
        "2025-11-28",
        "--policy",
        "ptn-collateral",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(out.join("steps.csv")).unwrap();
    let at = |d: &str| -> Vec<String> {
        let t = ms(d).to_string();
        csv.lines()
            .map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>())
            .filter(|f| f[2] == t && f[4] != "burn")
            .map(|f| f[3].clone())
            .collect()
    };
    assert_eq!(at("2025-11-24T00:00:00Z"), vec![a.clone(), b.clone()]);
    assert_eq!(at("2025-11-25T00:00:00Z"), vec![a.clone()]);
    let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert!(run["present_rule"].as_str().unwrap().starts_with("registered"), "{}", run["present_rule"]);
}

#[test]
fn preset_production_follows_each_releases_dust() {
    let dir = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample_ledgers.json.gz");
    let m = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample_metagraph.json");
    let out = dir.path().join("out");
    let o = dustlab(&[
        "replay",
        "--ledgers",
        sample.to_str().unwrap(),
        "--metagraph",
        m.to_str().unwrap(),
        "--start",
        "2025-11-10",
        "--end",
        "2026-01-20",
        "--payout",
        "production",
        "--policy",
        "production",
        "--policy",
        "ptn-collateral",
        "--policy",
        "ptn-2025-12-05",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(out.join("steps.csv")).unwrap();
    let dust = |policy: &str, day: &str| -> Vec<String> {
        let t = ms(day).to_string();
        csv.lines()
            .map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>())
            .filter(|f| f[1] == policy && f[2] == t)
            .map(|f| f[6].clone())
            .collect()
    };
    // In November (6 Nov release) production's dust is ptn-collateral's; in January (R2) it is
    // ptn-2025-12-05's, whose realized metric differs.
    assert_eq!(dust("production", "2025-11-20T00:00:00Z"), dust("ptn-collateral", "2025-11-20T00:00:00Z"));
    assert_eq!(dust("production", "2026-01-15T00:00:00Z"), dust("ptn-2025-12-05", "2026-01-15T00:00:00Z"));
    assert_ne!(dust("ptn-collateral", "2026-01-15T00:00:00Z"), dust("ptn-2025-12-05", "2026-01-15T00:00:00Z"));
    // Its knobs are the releases': overriding one is refused.
    let p = write(dir.path(), "p.toml", b"preset = \"production\"\nlookback_days = 7\n");
    let o = weights_at_nov(&sample, &["--policy", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("lookback_days"), "{}", stderr(&o));
}

#[test]
fn inspect_reads_a_metagraph_and_names_a_bad_key() {
    let m = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample_metagraph.json");
    let o = dustlab(&["inspect", m.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("256 uid(s)") && stdout(&o).contains("sum 147.5"), "{}", stdout(&o));
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "m.json", br#"{"emission": [1, "x"], "tao_to_usd_rate": NaN}"#);
    let o = dustlab(&["inspect", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("m.json") && stderr(&o).contains("emission"), "{}", stderr(&o));
}
