//! Sweeps: rows equal separate replays of each variant; shards merge byte for byte.

mod common;
use common::*;

use std::path::Path;

const SCENARIO: &str = r#"name = "tiny-sweep"
seed = 5
runs = 2
[population]
miners = 24
days = 50
start = "2025-11-20"
[[policy]]
preset = "ptn-dynamic"
name = "production"
[[adversary]]
strategy = "sybil-split"
k = 2
[attack]
samples = 3
refine = 2
[sweep]
chunk = 2
heatmaps = ["gini", "exploitability_pct"]
worst_case = true
slice = ["lookback_days", "ceiling_width"]
[sweep.grid]
lookback_days = [7, 30]
ceiling_width = [1.0, 2.5]
"#;

fn sweep(dir: &Path, extra: &[&str]) -> std::path::PathBuf {
    let f = write(dir, "s.toml", SCENARIO.as_bytes());
    let out = dir.join(format!("out{}", extra.join("").replace('/', "-")));
    let mut args = vec!["sweep", f.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"];
    args.extend_from_slice(extra);
    let o = dustlab(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

fn rows(out: &Path) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let text = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            head.iter()
                .zip(l.split(','))
                .map(|(k, v)| {
                    (k.to_string(), v.parse::<f64>().map(serde_json::Value::from).unwrap_or(serde_json::Value::from(v)))
                })
                .collect()
        })
        .collect()
}

#[test]
fn sweep_rows_equal_separate_replays_of_each_variant() {
    let dir = tempfile::tempdir().unwrap();
    let out = sweep(dir.path(), &[]);
    let table = rows(&out);
    assert_eq!(table.len(), 4 * 2, "4 variants × 2 runs");
    for chart in ["heatmap_gini", "heatmap_exploitability_pct", "pareto"] {
        assert!(out.join("charts").join(format!("{chart}.svg")).exists(), "{chart}");
    }
    let html = std::fs::read_to_string(out.join("sweep_report.html")).unwrap();
    assert!(html.contains("gini by lookback_days × ceiling_width") && html.contains("Pareto front"));
    assert!(out.join("best.toml").exists());
    // Every variant gets a verdict against the baseline, by the report's rules.
    let sj: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sweep.json")).unwrap()).unwrap();
    let words = sj["verdicts"].as_object().unwrap();
    assert_eq!(words.len(), 4);
    assert!(words.values().all(|w| ["better", "worse", "trade-off", "infeasible"].contains(&w.as_str().unwrap())));
    assert!(html.contains("Verdicts against the baseline"));
    // Every variant's worst case was searched on the incremental path, and sweep.json says so.
    let paths = sj["worst_case_evaluation"].as_object().unwrap();
    assert_eq!(paths.len(), 1, "{paths:?}");
    let (path, count) = paths.iter().next().unwrap();
    assert!(path.starts_with("incremental"), "{path}");
    assert_eq!(count.as_u64(), Some(4));
    // The search starts from the configured adversary, so it finds at least its mean excess.
    for r in table.iter().filter(|r| r["run"] == 0.0) {
        let same: Vec<f64> = table
            .iter()
            .filter(|x| x["variant"] == r["variant"])
            .map(|x| x["excess_usd_sybil-split"].as_f64().unwrap())
            .collect();
        let mean = same.iter().sum::<f64>() / same.len() as f64;
        assert!(
            r["exploitability_search_usd"].as_f64().unwrap() >= mean - 1e-9 * mean.abs().max(1.0),
            "{}",
            r["variant"]
        );
    }
    let names: Vec<String> = {
        let mut v: Vec<String> = table.iter().map(|r| r["variant"].as_str().unwrap().to_string()).collect();
        v.dedup();
        v
    };
    assert_eq!(names.len(), 4);
    for name in &names {
        let row0 = table.iter().find(|r| r["variant"] == name.as_str()).unwrap();
        // The variant written out by hand from its knob columns, replayed after the baseline.
        let scenario = SCENARIO.split("[sweep]").next().unwrap().to_string()
            + &format!(
                "[[policy]]\npreset = \"ptn-dynamic\"\nname = \"{name}\"\nlookback_days = {}\nceiling_width = {}\n",
                row0["param_lookback_days"].as_f64().unwrap(),
                row0["param_ceiling_width"].as_f64().unwrap()
            );
        let sf = write(dir.path(), &format!("r-{name}.toml"), scenario.as_bytes());
        let rout = dir.path().join(format!("replay-{name}"));
        let o = dustlab(&["replay", sf.to_str().unwrap(), "--out", rout.to_str().unwrap(), "--quiet"]);
        assert!(o.status.success(), "{}", stderr(&o));
        // Run 0's report is what the replay's summary.json describes.
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(rout.join("summary.json")).unwrap()).unwrap();
        let m = summary["policies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["policy"] == name.as_str())
            .expect("the variant's metrics");
        let row = table.iter().find(|r| r["variant"] == name.as_str() && r["run"] == 0.0).unwrap();
        for key in [
            "reward_usd_miners",
            "burn_share",
            "dust_share",
            "churn",
            "gini",
            "share_at_floor",
            "share_at_ceiling",
            "reward_score_spearman",
        ] {
            assert_eq!(row[key].as_f64().unwrap(), m[key].as_f64().unwrap(), "{name}: {key}");
        }
        // Adversary outcomes of every run agree with the replay's outcomes table.
        let outcomes = std::fs::read_to_string(rout.join("outcomes.csv")).unwrap();
        for run in [0, 1] {
            let line = outcomes.lines().find(|l| l.starts_with(&format!("{run},{name},sybil-split,"))).unwrap();
            let excess_usd: f64 = line.split(',').nth(7).unwrap().parse().unwrap();
            let row = table.iter().find(|r| r["variant"] == name.as_str() && r["run"] == run as f64).unwrap();
            assert_eq!(row["excess_usd_sybil-split"].as_f64().unwrap(), excess_usd, "{name} run {run}");
        }
    }
}

#[test]
fn shards_merge_into_the_unsharded_table_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let whole = sweep(dir.path(), &[]);
    let parts: Vec<_> = ["1/3", "2/3", "3/3"].iter().map(|s| sweep(dir.path(), &["--shard", s])).collect();
    let merged = dir.path().join("merged");
    let mut args = vec!["merge", "--out", merged.to_str().unwrap()];
    args.extend(parts.iter().map(|p| p.to_str().unwrap()));
    let o = dustlab(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["sweep.parquet", "sweep.csv"] {
        assert_eq!(std::fs::read(whole.join(f)).unwrap(), std::fs::read(merged.join(f)).unwrap(), "{f}");
    }
    let bad = dustlab(&["sweep", "nope.toml", "--shard", "4/3"]);
    assert_eq!(bad.status.code(), Some(2));
}
