//! The gaming watch: the detectors against the attack suite's planted adversaries (names
//! replaced by random SS58 addresses), their false-positive rate on honest populations, and
//! the command's files and errors.

mod common;
use common::{dustlab, stderr, stdout};

use dustlab::detect::Knobs;
use dustlab::detect::score::summarize;
use dustlab::experiment::run::load_base;
use dustlab::experiment::scenario::Scenario;

#[test]
fn on_the_attack_suite_four_detectors_reach_recall_and_precision_of_0_8_and_none_cries_wolf() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/attack-suite.toml");
    let scenario = Scenario::load(&path).unwrap();
    let base = load_base(&scenario, &mut Default::default()).unwrap();
    let runs = dustlab::experiment::detect::evaluate(&scenario, &base, &Knobs::default(), 20, &|| {}).unwrap();
    let summary = summarize(&runs);
    for s in &summary {
        eprintln!(
            "{:<24} recall {:?} precision {:?} honest FP/100 {:?}",
            s.pattern,
            s.recall.map(|b| b.mean),
            s.precision.map(|b| b.mean),
            s.honest_fp_per_100.map(|b| b.mean)
        );
    }
    for p in ["sybil-split", "copycat", "challenge-squatter", "window-timing"] {
        let s = summary.iter().find(|s| s.pattern == p).unwrap();
        assert_eq!(s.runs, 20);
        assert!(s.recall.unwrap().mean >= 0.8, "{p} recall {:?}", s.recall);
        assert!(s.precision.unwrap().mean >= 0.8, "{p} precision {:?}", s.precision);
    }
    for s in &summary {
        let fp = s.honest_fp_per_100.unwrap().mean;
        assert!(fp < 1.0, "{}: {fp} false positives per 100 honest miners", s.pattern);
    }
    // Every run scored every pattern on a renamed population: no planted name survives.
    for r in &runs {
        assert_eq!(r.scores.len(), dustlab::detect::PATTERNS.len());
    }
}

#[test]
fn detect_writes_its_files_and_scores_against_a_truth_file() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("s.toml");
    std::fs::write(
        &sc,
        "name = \"d\"\n[population]\nminers = 40\ndays = 90\nstart = \"2025-10-01\"\nseed = 4\nmaincomp_per_class = 4\n\
         [[policy]]\npreset = \"ptn-dynamic\"\n\
         [[adversary]]\nstrategy = \"sybil-split\"\nk = 3\n\
         [[adversary]]\nstrategy = \"window-timing\"\nperiod_days = 15\n",
    )
    .unwrap();
    let pop = dir.path().join("pop.json.gz");
    assert!(
        dustlab(&["generate", "--scenario", sc.to_str().unwrap(), "--out", pop.to_str().unwrap()]).status.success()
    );
    let out = dir.path().join("det");
    let args = |out: &std::path::Path| {
        vec![
            "detect".to_string(),
            pop.display().to_string(),
            "--collateral".into(),
            dir.path().join("pop.collateral.csv").display().to_string(),
            "--truth".into(),
            dir.path().join("pop.truth.csv").display().to_string(),
            "--out".into(),
            out.display().to_string(),
        ]
    };
    let a = args(&out);
    let o = dustlab(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["detections.parquet", "detections.csv", "detect.json", "detect.html"] {
        assert!(out.join(f).exists(), "{f}");
    }
    let csv = std::fs::read_to_string(out.join("detections.csv")).unwrap();
    assert!(csv.starts_with("pattern,hotkeys,score,leader,evidence,first_seen_ms,last_seen_ms"), "{csv}");
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("detect.json")).unwrap()).unwrap();
    let score = |p: &str| j["scores"].as_array().unwrap().iter().find(|s| s["pattern"] == p).unwrap().clone();
    assert_eq!(score("sybil-split")["recall"], 1.0);
    assert_eq!(score("sybil-split")["precision"], 1.0);
    assert_eq!(score("window-timing")["recall"], 1.0);
    assert_eq!(j["twins_left_out"], 2);
    let html = std::fs::read_to_string(out.join("detect.html")).unwrap();
    for p in dustlab::detect::PATTERNS {
        assert!(html.contains(&format!("<h2 id=\"{p}\">")), "a section for {p}");
    }
    assert!(html.contains("<svg"), "the evidence is charted");
    // As of an earlier instant nothing after it is seen.
    let early = dir.path().join("early");
    let mut a = args(&early);
    a.extend(["--at".to_string(), "2025-11-15T00:00:00Z".to_string()]);
    let o = dustlab(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", stderr(&o));
    let e: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(early.join("detect.json")).unwrap()).unwrap();
    let at = e["at_ms"].as_i64().unwrap();
    assert_eq!(at, 1_763_164_800_000);
    for f in e["findings"].as_array().unwrap() {
        assert!(f["last_seen_ms"].as_i64().unwrap() <= at, "{f}");
    }
    // Same inputs, same findings, byte for byte.
    let again = dir.path().join("det2");
    let a = args(&again);
    assert!(dustlab(&a.iter().map(String::as_str).collect::<Vec<_>>()).status.success());
    assert_eq!(csv, std::fs::read_to_string(again.join("detections.csv")).unwrap());
}

#[test]
fn a_broken_truth_file_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let pop = dir.path().join("pop.json.gz");
    assert!(dustlab(&["generate", "--miners", "12", "--days", "30", "--out", pop.to_str().unwrap()]).status.success());
    let truth = dir.path().join("t.csv");
    std::fs::write(&truth, "hotkey,adversary,strategy,role\n5abc,x,sybil-split,villain\n").unwrap();
    let o = dustlab(&[
        "detect",
        pop.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let e = stderr(&o);
    assert!(e.contains("t.csv") && e.contains("line 2") && e.contains("villain"), "{e}");
    let knobs = dir.path().join("k.toml");
    std::fs::write(&knobs, "[detect]\nsybil_corelation = 0.8\n").unwrap();
    let o = dustlab(&[
        "detect",
        pop.to_str().unwrap(),
        "--knobs",
        knobs.to_str().unwrap(),
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("sybil_corelation"), "{}", stderr(&o));
}

#[test]
fn detect_scores_a_scenario_over_runs() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("s.toml");
    std::fs::write(
        &sc,
        "name = \"ev\"\nseed = 3\nruns = 3\n[population]\nminers = 30\ndays = 60\nmaincomp_per_class = 3\n\
         [[policy]]\npreset = \"ptn-dynamic\"\n[[adversary]]\nstrategy = \"copycat\"\n",
    )
    .unwrap();
    let out = dir.path().join("ev");
    let o = dustlab(&["detect", "--scenario", sc.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("detect_eval.json")).unwrap()).unwrap();
    assert_eq!(j["runs"], 3);
    assert_eq!(j["per_run"].as_array().unwrap().len(), 3);
    let copy = j["summary"].as_array().unwrap().iter().find(|s| s["pattern"] == "copycat").unwrap();
    assert_eq!(copy["planted_per_run"], 1.0);
    assert!(std::fs::read_to_string(out.join("detect.html")).unwrap().contains("How well each detector finds"));
    let csv = std::fs::read_to_string(out.join("detect_eval.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 3 * 7);
}

#[test]
fn a_replay_report_on_ledgers_has_a_gaming_watch() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = dustlab(&["replay", "--out", out.to_str().unwrap(), "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let at = md.find("## Gaming watch").expect("a gaming watch section");
    let section = &md[at..];
    for p in dustlab::detect::PATTERNS {
        assert!(section.contains(&format!("| {p} |")), "{p} row");
    }
    assert!(section.contains("dustlab detect "), "the full scan's command");
    let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["gaming_watch"]["patterns"].as_array().unwrap().len(), 7);
}
