//! Monte Carlo precision: every band carries its runs and standard error, the report warns
//! when a standard error exceeds a tenth of its effect, and `runs = "auto"` adds runs until it
//! does not (bounded).

mod common;
use common::{dustlab, stderr};

fn scenario(dir: &std::path::Path, runs: &str, candidate: &str) -> std::path::PathBuf {
    let sc = dir.join("s.toml");
    std::fs::write(
        &sc,
        format!(
            "name = \"mc\"\nseed = 2\n{runs}\n[population]\nminers = 20\ndays = 40\nmaincomp_per_class = 2\n\
             [[policy]]\npreset = \"ptn-dynamic\"\npayout = \"dust-only\"\n[[policy]]\n{candidate}\npayout = \"dust-only\"\n"
        ),
    )
    .unwrap();
    sc
}

fn run(sc: &std::path::Path, out: &std::path::Path) -> serde_json::Value {
    let o = dustlab(&["replay", sc.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap()
}

#[test]
fn auto_runs_stop_at_the_bound_when_an_effect_stays_imprecise_and_say_so() {
    let dir = tempfile::tempdir().unwrap();
    // A candidate whose alignment differs by run-to-run noise: 10 runs, then 15, then the bound.
    let sc = scenario(
        dir.path(),
        "runs = \"auto\"\nmax_runs = 16",
        "preset = \"ptn-dynamic\"\nname = \"lb29\"\nlookback_days = 29",
    );
    let j = run(&sc, &dir.path().join("a"));
    // 10 runs, then half again (15), then the bound: a one-day lookback change moves alignment
    // by about a thousandth, with run-to-run noise of the same size.
    assert_eq!(j["runs"], 16);
    assert_eq!(j["runs_auto"]["max_runs"], 16);
    assert_eq!(j["runs_auto"]["precise"], false);
    let band = &j["policy_metrics_over_runs"]["lb29"]["reward_score_spearman"]["difference"];
    assert_eq!(band["n"], 16);
    let (mean, se) = (band["mean"].as_f64().unwrap(), band["se"].as_f64().unwrap());
    assert!(se > 0.1 * mean.abs(), "the rule, recomputed from the band the run wrote: se {se}, mean {mean}");
    let warnings: Vec<&str> = j["precision"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert!(warnings[0].contains("stopped at its bound of 16 runs"), "{warnings:?}");
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("lb29: alignment difference from ptn-dynamic") && w.contains("over 16 runs"))
    );
    let html = std::fs::read_to_string(dir.path().join("a/report.html")).unwrap();
    assert!(html.contains("Monte Carlo precision") && html.contains("stopped at its bound of 16 runs"));
}

#[test]
fn an_effect_of_exactly_zero_is_precise_after_the_first_batch() {
    let dir = tempfile::tempdir().unwrap();
    // The candidate is the baseline under another name: every difference is 0 in every run.
    let sc = scenario(dir.path(), "runs = \"auto\"", "preset = \"ptn-dynamic\"\nname = \"same\"");
    let j = run(&sc, &dir.path().join("b"));
    assert_eq!(j["runs"], 10, "the first batch is enough");
    assert_eq!(j["runs_auto"]["precise"], true);
    assert_eq!(j["precision"].as_array().unwrap().len(), 0);
    let md = std::fs::read_to_string(dir.path().join("b/report.md")).unwrap();
    assert!(md.contains("Over 10 runs every effect's standard error is within 10% of the effect."), "{md}");
    assert!(md.contains("mean ± standard error"));
}

#[test]
fn runs_must_be_a_count_or_auto() {
    let dir = tempfile::tempdir().unwrap();
    let sc = scenario(dir.path(), "runs = \"many\"", "preset = \"static\"");
    let o = dustlab(&["replay", sc.to_str().unwrap(), "--out", dir.path().join("c").to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("runs must be a count or \"auto\", got \"many\""), "{}", stderr(&o));
    let sc = scenario(dir.path(), "runs = 3\nmax_runs = 9", "preset = \"static\"");
    let o = dustlab(&["replay", sc.to_str().unwrap(), "--out", dir.path().join("d").to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("max_runs needs runs = \"auto\""), "{}", stderr(&o));
}
