//! SCORING.md's worked examples, through `dustlab weights` as a user runs it.

mod common;
use common::*;

fn run(ledgers: &[(String, Vec<String>)], extra: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "l.json", ledger_file(ledgers).as_bytes());
    weights_json(&weights_at_nov(&f, extra))
}

fn dust_of(v: &serde_json::Value, h: &str) -> f64 {
    v["dust"][h].as_f64().unwrap()
}

#[test]
fn maincomp_10000_5000_0_gives_4_3p5_3_dust() {
    let (a, b, c) = (hk("A"), hk("B"), hk("C"));
    let v = run(
        &[
            (a.clone(), vec![cp(T_NOV, 10_000.0, 0.0, 1.0, "MAINCOMP")]),
            (b.clone(), vec![cp(T_NOV, 6_000.0, -1_000.0, 1.0, "MAINCOMP")]),
            (c.clone(), vec![cp(T_NOV, 0.0, 0.0, 1.0, "MAINCOMP")]),
        ],
        &[],
    );
    let floor = 3.0 * DUST;
    let width = (floor + DUST) - floor;
    assert_eq!(dust_of(&v, &a), floor + 1.0 * width);
    assert_eq!(dust_of(&v, &b), floor + 0.5 * width);
    assert_eq!(dust_of(&v, &c), floor);
    assert!((dust_of(&v, &a) / DUST - 4.0).abs() < 1e-12);
    assert!((dust_of(&v, &b) / DUST - 3.5).abs() < 1e-12);
    // Exact output shape and order: burn first (largest), then A, B, C.
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["at_ms", "dust", "payout", "policy", "weights"]); // serde_json sorts; order checked on text below
    assert_eq!(v["at_ms"], T_NOV);
    assert_eq!(v["policy"], "ptn-dynamic");
    assert_eq!(v["payout"], "monthly-2025-10-31");
    let w = v["weights"].as_array().unwrap();
    let names: Vec<&str> = w.iter().map(|e| e["hotkey"].as_str().unwrap()).collect();
    assert_eq!(names, ["burn_uid_229", a.as_str(), b.as_str(), c.as_str()]);
    let total = dust_of(&v, &a) + dust_of(&v, &b) + dust_of(&v, &c);
    assert_eq!(w[0]["weight"].as_f64().unwrap(), 1.0 - total);
}

#[test]
fn json_text_has_the_documented_key_order() {
    let dir = tempfile::tempdir().unwrap();
    let f =
        write(dir.path(), "l.json", ledger_file(&[(hk("A"), vec![cp(T_NOV, 1.0, 0.0, 1.0, "CHALLENGE")])]).as_bytes());
    let out = stdout(&dustlab(&[
        "weights",
        "--ledgers",
        f.to_str().unwrap(),
        "--at",
        "2025-11-15T00:00:00Z",
        "--format",
        "json",
        "--testnet",
        "--policy",
        "ptn-collateral",
    ]));
    let pos = |k: &str| out.find(k).unwrap_or_else(|| panic!("{k} missing in {out}"));
    assert!(pos("\"at_ms\"") < pos("\"policy\"") && pos("\"policy\"") < pos("\"payout\""));
    assert!(pos("\"payout\"") < pos("\"weights\"") && pos("\"weights\"") < pos("\"dust\""));
    // One miner under the 6 November release goes through the normal path: burn_uid_220 present.
    assert!(out.contains("burn_uid_220"), "{out}");
}

#[test]
fn cross_bucket_hierarchy_holds() {
    let mk = |n: &str, gain: f64, s: &str| (hk(n), vec![cp(T_NOV, gain, 0.0, 1.0, s)]);
    let v = run(
        &[
            mk("M1", 0.0, "MAINCOMP"),
            mk("M2", 500.0, "MAINCOMP"),
            mk("P1", 0.0, "PROBATION"),
            mk("P2", 50_000.0, "PROBATION"),
            mk("C1", 0.0, "CHALLENGE"),
            mk("C2", 90_000.0, "CHALLENGE"),
        ],
        &[],
    );
    let d = |n: &str| dust_of(&v, &hk(n)) / DUST;
    let close = |x: f64, y: f64| (x - y).abs() < 1e-12;
    assert!(close(d("M1"), 3.0) && close(d("P2"), 3.0), "worst MAINCOMP 3.0 = best PROBATION 3.0");
    assert!(close(d("P1"), 2.0) && close(d("C2"), 2.0), "worst PROBATION 2.0 = best CHALLENGE 2.0");
    assert!(d("M1") >= d("P2") && d("P2") >= d("P1") && d("P1") >= d("C2"));
    assert!(close(d("C1"), 1.0) && close(d("M2"), 4.0));
}

#[test]
fn all_zero_bucket_sits_at_the_floor() {
    let mk = |n: &str, gain: f64, loss: f64| (hk(n), vec![cp(T_NOV, gain, loss, 1.0, "PROBATION")]);
    let v = run(&[mk("A", 0.0, 0.0), mk("B", 10.0, -30.0), mk("C", 0.0, 0.0)], &[]);
    for n in ["A", "B", "C"] {
        assert_eq!(dust_of(&v, &hk(n)), 2.0 * DUST);
    }
    // Static dust gives the same floors; `unknown` gets nothing there but DUST×score/max here.
    let u = run(&[mk("A", 0.0, 0.0), (hk("U"), vec![cp(T_NOV, 10.0, 0.0, 1.0, "unknown")])], &["--policy", "static"]);
    assert_eq!(dust_of(&u, &hk("U")), 0.0);
    let u = run(&[mk("A", 0.0, 0.0), (hk("U"), vec![cp(T_NOV, 10.0, 0.0, 1.0, "unknown")])], &[]);
    assert_eq!(dust_of(&u, &hk("U")), DUST);
}

#[test]
fn buckets_file_overrides_and_missing_rows_fall_back_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (hk("A"), hk("B"));
    let f = write(
        dir.path(),
        "l.json",
        ledger_file(&[
            (a.clone(), vec![cp(T_NOV, 10.0, 0.0, 1.0, "CHALLENGE")]),
            (b.clone(), vec![cp(T_NOV, 10.0, 0.0, 1.0, "CHALLENGE")]),
        ])
        .as_bytes(),
    );
    let buckets = write(dir.path(), "b.csv", format!("hotkey,bucket\n{a},MAINCOMP\n").as_bytes());
    let o = weights_at_nov(&f, &["--buckets", buckets.to_str().unwrap()]);
    let v = weights_json(&o);
    assert_eq!(dust_of(&v, &a), 4.0 * DUST);
    assert_eq!(dust_of(&v, &b), 2.0 * DUST);
    assert!(stderr(&o).contains(&format!("no row for hotkey {b}")), "{}", stderr(&o));
}

#[test]
fn table_format_shows_totals() {
    let o = dustlab(&["weights", "--ledgers", sample().to_str().unwrap(), "--at", "2026-01-15T00:00:00Z"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("final_weight") && out.contains("total ("), "{out}");
    assert!(out.contains("MAINCOMP") && out.contains("CHALLENGE"));
}
