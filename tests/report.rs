//! The report end to end on a tiny scenario: the HTML is well formed, embeds every chart as
//! SVG, references nothing external, and summary.json agrees with the tables.

mod common;
use common::*;

use polars::prelude::*;

const VOID: &[&str] = &["meta", "br", "img", "hr", "link", "input"];

/// A small well-formedness check: tags nest, close in order, and the document ends balanced.
fn check_html(html: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("every tag closes");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') || tag.starts_with('?') {
            continue;
        }
        let self_closing = tag.ends_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>()
            .to_lowercase();
        if tag.starts_with('/') {
            let open = stack.pop().unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(open, name, "</{name}> closes <{open}>");
        } else if !self_closing && !VOID.contains(&name.as_str()) {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

/// Replays the scenario `toml` into `dir/out`; returns the run folder and its report, checked
/// to be well formed.
fn replay_report(dir: &std::path::Path, toml: &[u8]) -> (std::path::PathBuf, String) {
    let scenario = write(dir, "scenario.toml", toml);
    let out = dir.join("out");
    let o = dustlab(&["replay", scenario.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    check_html(&html);
    (out, html)
}

#[test]
fn tiny_scenario_report_is_self_contained_and_agrees_with_the_tables() {
    let dir = tempfile::tempdir().unwrap();
    let (out, html) = replay_report(
        dir.path(),
        br#"name = "tiny"
seed = 3
runs = 2
[population]
miners = 20
days = 40
start = "2025-11-01"
[[policy]]
preset = "ptn-dynamic"
name = "production"
[[policy]]
preset = "ptn-dynamic"
name = "wide"
ceiling_width = 2.0
[[adversary]]
strategy = "sybil-split"
k = 3
"#,
    );
    let charts = [
        "dust_bands",
        "score_vs_dust",
        "dust_histogram",
        "reward_delta",
        "floor_ceiling",
        "adversary_excess",
        "cumulative_usd",
    ];
    for c in charts {
        assert!(html.contains(&format!("<figure id=\"{c}\">")), "{c} missing");
        assert!(
            out.join("charts").join(format!("{c}.svg")).exists()
                && out.join("charts").join(format!("{c}.png")).exists()
        );
        let md = std::fs::read_to_string(out.join("report.md")).unwrap();
        assert!(md.contains(&format!("(charts/{c}.png)")));
    }
    assert_eq!(html.matches("<svg").count(), charts.len(), "every chart inline as SVG");
    for external in ["<script", "<link", "src=", "href=", "url(", "@import"] {
        assert!(!html.contains(external), "the report references something external: {external}");
    }
    let http: Vec<&str> = html.match_indices("http").map(|(i, _)| &html[i.saturating_sub(7)..i + 30]).collect();
    assert!(http.iter().all(|h| h.contains("xmlns")), "only SVG namespaces may name a URL: {http:?}");
    assert!(html.contains("Executive summary") && html.contains("Reproducibility") && html.contains("dustlab version"));
    assert!(html.contains("strategy = &quot;sybil-split&quot;"), "the scenario verbatim");

    // summary.json against the tables.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let df = ParquetReader::new(std::fs::File::open(out.join("steps.parquet")).unwrap()).finish().unwrap();
    let s = |c: &str| df.column(c).unwrap().as_materialized_series().clone();
    let (p, h, usd, w) = (s("policy"), s("hotkey"), s("reward_usd"), s("final_weight"));
    let (p, h, usd, w) = (p.str().unwrap(), h.str().unwrap(), usd.f64().unwrap(), w.f64().unwrap());
    let steps = summary["steps"].as_f64().unwrap();
    for pol in summary["policies"].as_array().unwrap() {
        let name = pol["policy"].as_str().unwrap();
        let rows: Vec<usize> = (0..df.height()).filter(|&i| p.get(i) == Some(name)).collect();
        let miners: f64 =
            rows.iter().filter(|&&i| h.get(i) != Some("burn_uid_229")).map(|&i| usd.get(i).unwrap()).sum();
        let burn: f64 = rows.iter().filter(|&&i| h.get(i) == Some("burn_uid_229")).map(|&i| w.get(i).unwrap()).sum();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        assert!(close(pol["reward_usd_miners"].as_f64().unwrap(), miners), "{name}: reward");
        assert!(close(pol["burn_share"].as_f64().unwrap(), burn / steps), "{name}: burn share");
    }
    assert_eq!(summary["executive_summary"].as_array().unwrap().len(), 2);
    assert_eq!(summary["adversaries"].as_array().unwrap().len(), 2, "one adversary × two policies");

    // Rebuilt from the tables for another day and one policy.
    let o = dustlab(&["report", out.to_str().unwrap(), "--day", "2025-11-20", "--policies", "wide"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let again: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(again["policies"].as_array().unwrap().len(), 1);
    assert_eq!(again["day_ms"], 1_763_596_800_000i64);
    let bad = dustlab(&["report", out.to_str().unwrap(), "--policies", "nope"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("no policy \"nope\""));
}

#[test]
fn a_report_of_the_baseline_alone_leaves_out_the_reward_change_chart() {
    let dir = tempfile::tempdir().unwrap();
    let (out, html) = replay_report(
        dir.path(),
        br#"name = "alone"
seed = 3
[population]
miners = 12
days = 30
start = "2025-11-01"
[[policy]]
preset = "ptn-dynamic"
"#,
    );
    assert!(!html.contains("<figure id=\"reward_delta\">"), "nothing to compare the baseline with");
    assert!(!out.join("charts").join("reward_delta.svg").exists());
    for c in ["dust_bands", "score_vs_dust", "dust_histogram", "floor_ceiling"] {
        assert!(html.contains(&format!("<figure id=\"{c}\">")), "{c} missing");
    }
    assert!(!std::fs::read_to_string(out.join("report.md")).unwrap().contains("reward_delta"));
}

/// A table whose policies' rows are interleaved step by step (another tool's order, say) is
/// read by gathering each policy's rows: the report equals the one of the run's own order.
#[test]
fn a_report_of_interleaved_rows_equals_the_report_of_the_runs_own_order() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = replay_report(
        dir.path(),
        br#"name = "interleaved"
seed = 5
[population]
miners = 15
days = 45
start = "2025-11-01"
[[policy]]
preset = "ptn-dynamic"
[[policy]]
preset = "static"
"#,
    );
    let own = std::fs::read_to_string(out.join("summary.json")).unwrap();
    let path = out.join("steps.parquet");
    let df = ParquetReader::new(std::fs::File::open(&path).unwrap()).finish().unwrap();
    let at = df.column("at_ms").unwrap().i64().unwrap().clone();
    let mut order: Vec<u32> = (0..df.height() as u32).collect();
    // By step, then by place in the table: each step's rows of the first policy, then the
    // second's; a policy's rows are no longer one stretch.
    order.sort_by_key(|&i| at.get(i as usize).unwrap());
    let mut mixed = df.take(&IdxCa::new("i".into(), &order)).unwrap();
    assert_ne!(mixed.column("policy").unwrap(), df.column("policy").unwrap(), "the rows moved");
    assert_eq!(mixed.column("policy").unwrap().str().unwrap().get(0), Some("ptn-dynamic"), "the baseline first");
    ParquetWriter::new(std::fs::File::create(&path).unwrap()).finish(&mut mixed).unwrap();
    let o = dustlab(&["report", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rebuilt = std::fs::read_to_string(out.join("summary.json")).unwrap();
    let (own, rebuilt): (serde_json::Value, serde_json::Value) =
        (serde_json::from_str(&own).unwrap(), serde_json::from_str(&rebuilt).unwrap());
    assert_eq!(own["policies"], rebuilt["policies"]);
    assert_eq!(own, rebuilt);
}
