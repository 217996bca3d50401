//! The report leads with a verdict per candidate, from stated rules; the same rows reach
//! summary.json and the console.

mod common;
use common::*;
use std::path::Path;

fn default_scenario() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml")
}

#[test]
fn the_default_report_opens_with_the_verdict_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = dustlab(&["replay", default_scenario().to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let verdicts = summary["verdicts"].as_array().unwrap();
    assert_eq!(verdicts.len(), 4, "one per candidate, none for the baseline");
    let of = |p: &str| verdicts.iter().find(|v| v["policy"] == p).unwrap();
    // A wider ceiling lets CHALLENGE's best overtake PROBATION's worst: a hard failure.
    assert_eq!(of("ceiling-3x")["verdict"], "infeasible");
    assert!(of("ceiling-3x")["hierarchy_violation_steps"].as_u64().unwrap() > 0);
    for v in verdicts {
        assert!(["better", "worse", "trade-off", "infeasible"].contains(&v["verdict"].as_str().unwrap()));
        assert!(v["exploitability"].is_null(), "no adversaries: not tested");
    }
    let hint = summary["exploitability_hint"].as_str().unwrap();
    assert!(hint.contains("not tested") && hint.contains("dustlab attack"), "{hint}");
    // The report's first section is the verdict, with its rules.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let first_h2 = html.find("<h2>").unwrap();
    assert!(html[first_h2..].starts_with("<h2>Verdict"), "{}", &html[first_h2..first_h2 + 60]);
    assert!(html.contains("INFEASIBLE") && html.contains("infeasible: breaks the bucket hierarchy"));
    // The console says the same first.
    let err = stderr(&o);
    let line = err.lines().find(|l| l.starts_with("ceiling-3x")).unwrap();
    assert!(line.contains("INFEASIBLE"), "{line}");
}

#[test]
fn with_adversaries_exploitability_has_a_band() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "name = \"v\"\nruns = 3\n[data]\nledgers = {:?}\n[clock]\nstart = \"2025-12-01\"\nend = \"2025-12-20\"\n[[adversary]]\nstrategy = \"sybil-split\"\nk = 3\n[[policy]]\npreset = \"ptn-dynamic\"\nname = \"production\"\n[[policy]]\npreset = \"ptn-dynamic\"\nname = \"short\"\nlookback_days = 7\n",
        sample().display().to_string()
    );
    let s = write(dir.path(), "v.toml", text.as_bytes());
    let out = dir.path().join("out");
    let o = dustlab(&["replay", s.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let v = &summary["verdicts"][0];
    assert_eq!(v["policy"], "short");
    let b = &v["exploitability"];
    assert!(
        b["p5"].as_f64().unwrap() <= b["mean"].as_f64().unwrap()
            && b["mean"].as_f64().unwrap() <= b["p95"].as_f64().unwrap()
    );
    assert_eq!(v["exploit_by"], "sybil-split");
    assert!(summary["exploitability_hint"].is_null());
    // Policy metrics over every run, not run 0: mean, band, and the paired difference.
    let over = &summary["over_runs"]["short"]["reward_score_spearman"];
    let (lo, mean, hi) = (over["p5"].as_f64().unwrap(), over["mean"].as_f64().unwrap(), over["p95"].as_f64().unwrap());
    assert!(lo <= mean && mean <= hi);
    let d = over["difference"]["mean"].as_f64().unwrap();
    assert_eq!(v["alignment_delta"].as_f64().unwrap(), d, "the verdict reads the mean per-run difference");
    let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert!(run["policy_metrics_over_runs"]["production"]["churn"]["mean"].is_number());
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("Policy metrics over all 3 runs"));
}
