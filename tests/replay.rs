//! Replay acceptance: consistency with `dustlab weights`, no lookahead, snapshots, determinism.

mod common;
use common::*;

use std::collections::HashMap;
use std::path::Path;

use dustlab::ledger::io;
use dustlab::population::uniform::uniform;
use polars::prelude::*;

const DAY: i64 = 86_400_000;
/// 2025-11-20T00:00:00Z
const START: i64 = 1_763_596_800_000;

/// (at_ms, hotkey) → (dust, final) for one policy of a replay's steps.parquet.
fn steps(dir: &Path, policy: &str) -> HashMap<(i64, String), (f64, f64)> {
    let df = ParquetReader::new(std::fs::File::open(dir.join("steps.parquet")).unwrap()).finish().unwrap();
    let s = |c: &str| df.column(c).unwrap().as_materialized_series().clone();
    let (p, t, h, d, f) = (s("policy"), s("at_ms"), s("hotkey"), s("dust_weight"), s("final_weight"));
    let (p, t, h, d, f) = (p.str().unwrap(), t.i64().unwrap(), h.str().unwrap(), d.f64().unwrap(), f.f64().unwrap());
    (0..df.height())
        .filter(|&i| p.get(i) == Some(policy))
        .map(|i| ((t.get(i).unwrap(), h.get(i).unwrap().to_string()), (d.get(i).unwrap(), f.get(i).unwrap())))
        .collect()
}

fn replay(args: &[&str]) {
    let o = dustlab(args);
    assert!(o.status.success(), "replay failed: {}", stderr(&o));
}

#[test]
fn replay_equals_weights_at_every_checked_step_including_the_debt_path() {
    let dir = tempfile::tempdir().unwrap();
    // 12 miners spanning 2025-11-20 .. 2026-02-13 (170 checkpoints): pre-activation and debt path.
    let set = uniform(12, 170, START, 3);
    let ledgers = dir.path().join("l.json.gz");
    io::write(&set, &ledgers).unwrap();
    let out = dir.path().join("out");
    let (l, o) = (ledgers.to_str().unwrap(), out.to_str().unwrap());
    // Open loop: every policy reads the recorded payments, exactly as `weights` does.
    replay(&[
        "replay",
        "--ledgers",
        l,
        "--policy",
        "ptn-dynamic",
        "--policy",
        "ptn-collateral",
        "--feedback",
        "historical",
        "--out",
        o,
        "--quiet",
    ]);
    let rows = steps(&out, "ptn-dynamic");
    let mut checked = 0;
    for day in [0, 5, 11, 30, 41, 42, 43, 50, 60, 72, 73, 83] {
        let t = START + day * DAY;
        let v = weights_json(&dustlab(&["weights", "--ledgers", l, "--at", &t.to_string(), "--format", "json"]));
        for e in v["weights"].as_array().unwrap() {
            let h = e["hotkey"].as_str().unwrap().to_string();
            let (dust, fin) = rows[&(t, h.clone())];
            assert_eq!(fin, e["weight"].as_f64().unwrap(), "final weight of {h} at day {day}");
            if h != "burn_uid_229" {
                assert_eq!(dust, v["dust"][&h].as_f64().unwrap(), "dust of {h} at day {day}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 12 * 12, "{checked}");
    // The debt path was exercised: after 2026-01-01 some miner is paid more than its dust.
    let jan = START + 50 * DAY;
    assert!(rows.iter().any(|((t, h), (d, f))| *t == jan && h != "burn_uid_229" && f > d), "debt path not reached");
}

#[test]
fn changing_every_checkpoint_after_t_leaves_weights_at_t_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let set = uniform(16, 150, START, 5);
    let t = START + 55 * DAY; // 2026-01-14, on the debt path
    let mut changed = set.clone();
    for (i, l) in changed.ledgers.iter_mut().enumerate() {
        for c in l.checkpoints.iter_mut().filter(|c| c.timestamp_ms > t) {
            c.pnl_gain = Some(1e6 * (i as f64 + 1.0));
            c.pnl_loss = Some(-3.0);
            c.total_penalty = 0.5;
            c.chunk_emissions_usd = 1e5;
            c.status = dustlab::ledger::Status::Maincomp;
        }
    }
    let scenario = |ledgers: &str| {
        format!(
            r#"name = "lookahead"
[data]
ledgers = "{ledgers}"
[clock]
step = "12h"
[[policy]]
preset = "ptn-dynamic"
[[policy]]
preset = "ptn-collateral"
[[policy]]
name = "decay-ema"
half_life_days = 5
lookback_days = 45
[policy.smoothing]
kind = "ema"
alpha = 0.3
[[policy]]
name = "rank-earning"
window_statuses = "earning"
[policy.normalization]
kind = "rank"
"#
        )
    };
    let mut results = Vec::new();
    for (name, s) in [("a", &set), ("b", &changed)] {
        let f = dir.path().join(format!("{name}.parquet"));
        io::write(s, &f).unwrap();
        let sc = write(dir.path(), &format!("{name}.toml"), scenario(f.to_str().unwrap()).as_bytes());
        let out = dir.path().join(format!("out-{name}"));
        replay(&["replay", sc.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
        results.push(out);
    }
    for policy in ["ptn-dynamic", "ptn-collateral", "decay-ema", "rank-earning"] {
        let (a, b) = (steps(&results[0], policy), steps(&results[1], policy));
        let mut same = 0;
        for (k, va) in &a {
            if k.0 <= t {
                assert_eq!(Some(va), b.get(k), "{policy} at {} for {}", k.0, k.1);
                same += 1;
            }
        }
        assert!(same > 16 * 100, "{policy}: {same}");
        // And the change is visible after t, so the test can fail.
        assert!(a.iter().any(|(k, v)| k.0 > t && b.get(k) != Some(v)), "{policy}: nothing changed after t");
    }
}

#[test]
fn snapshots_serve_the_steps_they_were_current_for() {
    let dir = tempfile::tempdir().unwrap();
    let snaps = dir.path().join("snaps");
    std::fs::create_dir(&snaps).unwrap();
    let full = uniform(8, 120, START, 9);
    // Snapshot k holds the history up to its date; each later one revises miner 0's past.
    let taken = [START + 20 * DAY, START + 35 * DAY, START + 50 * DAY];
    let mut paths = Vec::new();
    for (k, &at) in taken.iter().enumerate() {
        let mut s = full.clone();
        for l in &mut s.ledgers {
            l.checkpoints.retain(|c| c.timestamp_ms <= at);
        }
        for c in &mut s.ledgers[0].checkpoints {
            c.pnl_gain = Some(c.pnl_gain.unwrap() + 500.0 * k as f64);
        }
        s.last_update_ms = Some(at);
        let p = snaps.join(format!("snap{k}.json.gz"));
        io::write(&s, &p).unwrap();
        paths.push(p);
    }
    let out = dir.path().join("out");
    replay(&[
        "replay",
        "--ledgers",
        snaps.to_str().unwrap(),
        "--end",
        &(START + 59 * DAY).to_string(),
        "--feedback",
        "historical",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let rows = steps(&out, "ptn-dynamic");
    let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let served = run["snapshot_per_step"].as_array().unwrap();
    assert_eq!(served.len(), 40, "steps from the first snapshot (day 20) to day 59");
    for day in 20..60 {
        let t = START + day * DAY;
        let k = taken.iter().rposition(|&x| x <= t).unwrap();
        let entry = served.iter().find(|e| e["at_ms"] == t).unwrap();
        assert!(entry["source"].as_str().unwrap().ends_with(&format!("snap{k}.json.gz")), "day {day}: {entry}");
        let v = weights_json(&dustlab(&[
            "weights",
            "--ledgers",
            paths[k].to_str().unwrap(),
            "--at",
            &t.to_string(),
            "--format",
            "json",
        ]));
        for e in v["weights"].as_array().unwrap() {
            let h = e["hotkey"].as_str().unwrap().to_string();
            assert_eq!(rows[&(t, h.clone())].1, e["weight"].as_f64().unwrap(), "day {day} {h} (snapshot {k})");
        }
    }
    // inspect DIR reports the revisions.
    let o = dustlab(&["inspect", snaps.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("revised"), "{}", stdout(&o));
}

#[test]
fn two_runs_write_byte_identical_tables() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml");
    let mut outs = Vec::new();
    for k in 0..2 {
        let out = dir.path().join(format!("run{k}"));
        replay(&["replay", scenario.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
        outs.push(out);
    }
    for f in ["steps.parquet", "steps.csv"] {
        let (a, b) = (std::fs::read(outs[0].join(f)).unwrap(), std::fs::read(outs[1].join(f)).unwrap());
        assert!(a.len() > 1000);
        assert_eq!(a, b, "{f} differs between runs");
    }
    assert!(outs[0].join("default.toml").exists(), "the scenario is copied beside the tables");
    let html = std::fs::read_to_string(outs[0].join("report.html")).unwrap();
    assert!(html.contains("SHA-256") && html.contains("sample_ledgers.json.gz"), "inputs are digested in the report");
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(outs[0].join("run.json")).unwrap()).unwrap();
    for stage in ["read", "replay", "write"] {
        assert!(run["seconds"][stage].as_f64().unwrap() >= 0.0);
    }
}

#[test]
fn scenario_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let bad_key = write(dir.path(), "k.toml", b"name = \"x\"\n[data]\nledgers = \"nope.json\"\nledgerz = 1\n");
    let o = dustlab(&["replay", bad_key.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("line 4") && stderr(&o).contains("ledgerz"), "{}", stderr(&o));
    let missing =
        write(dir.path(), "m.toml", b"[data]\nledgers = \"nope.json\"\n[[policy]]\npreset = \"ptn-dynamic\"\n");
    let o = dustlab(&["replay", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope.json") && stderr(&o).contains("does not exist"), "{}", stderr(&o));
    let sample = sample();
    let preset = write(
        dir.path(),
        "p.toml",
        format!("[data]\nledgers = \"{}\"\n[[policy]]\npreset = \"ptn-dynamc\"\n", sample.display()).as_bytes(),
    );
    let o = dustlab(&["replay", preset.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown policy preset \"ptn-dynamc\"") && stderr(&o).contains("line 3"),
        "{}",
        stderr(&o)
    );
    let knob = write(
        dir.path(),
        "q.toml",
        format!("[data]\nledgers = \"{}\"\n\n[[policy]]\nlookbak_days = 3\n", sample.display()).as_bytes(),
    );
    let o = dustlab(&["replay", knob.to_str().unwrap()]);
    assert!(stderr(&o).contains("lookbak_days") && stderr(&o).contains("line 4"), "{}", stderr(&o));
}
