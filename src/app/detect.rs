//! `dustlab detect`: the gaming watch over a ledger file, or the detectors scored over a
//! scenario's Monte Carlo populations.

use std::path::{Path, PathBuf};

use anyhow::Context;
use polars::prelude::{Column, DataFrame};

use crate::cli::DetectArgs;
use crate::detect::score::{PatternSummary, Score, Truth, score, summarize};
use crate::detect::{Finding, Knobs, PATTERNS, Panel, detect};
use crate::error::InputError;
use crate::experiment::folder::{self, RunFolder};
use crate::experiment::montecarlo::data_span;
use crate::experiment::run::{base_steps, load_base, write_table};
use crate::experiment::scenario::Scenario;
use crate::ledger::io;
use crate::replay::sources;
use crate::report::detect::{Page, write};
use crate::time::{format_ms, parse_time};

/// Reads detector knobs from a TOML file's `[detect]` table (unknown keys refused).
fn read_knobs(path: &Path) -> anyhow::Result<Knobs> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        #[serde(default)]
        detect: Knobs,
    }
    let text = std::fs::read_to_string(path).map_err(|e| InputError::file(path.display(), e))?;
    let f: File = toml::from_str(&text).map_err(|e| InputError::file(path.display(), e))?;
    f.detect.check().map_err(|e| InputError::file(path.display(), e))?;
    Ok(f.detect)
}

fn stem(p: &Path) -> String {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("ledgers");
    name.split('.')
        .next()
        .unwrap_or(name)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

pub fn run(args: DetectArgs) -> anyhow::Result<()> {
    let knobs = match &args.knobs {
        Some(p) => read_knobs(p)?,
        None => Knobs::default(),
    };
    if let Some(sc) = &args.scenario {
        return evaluate(&args, sc, &knobs);
    }
    let ledgers = args.ledgers.clone().ok_or_else(|| InputError::Usage("give a ledger file or --scenario".into()))?;
    let inputs: Vec<PathBuf> =
        [Some(ledgers.clone()), args.buckets.clone(), args.collateral.clone(), args.metagraph.clone()]
            .into_iter()
            .flatten()
            .collect();
    let target = folder::target(args.out.as_deref(), &format!("detect-{}", stem(&ledgers)))?;
    folder::refuse_inputs_inside(&target, &inputs)?;
    let mut set = io::read_validated(&ledgers, false)?.set;
    let truth = args.truth.as_deref().map(Truth::read).transpose()?;
    // A twin is the simulator's control for measuring excess reward: a real subnet has none,
    // so a scored scan leaves them out (and says so).
    let mut twins_left_out = 0;
    if let Some(t) = &truth {
        let twins = t.twins();
        let before = set.ledgers.len();
        set.ledgers.retain(|l| !twins.contains(l.hotkey.as_str()));
        twins_left_out = before - set.ledgers.len();
    }
    let collateral = args.collateral.as_deref().map(sources::read_collateral).transpose()?;
    let buckets = args.buckets.as_deref().map(sources::read_buckets).transpose()?;
    let metagraph = args.metagraph.as_deref().map(sources::read_metagraphs).transpose()?;
    let Some((first, newest)) = data_span(&set) else {
        return Err(InputError::file(ledgers.display(), "holds no checkpoint: nothing to scan").into());
    };
    let at = match &args.at {
        Some(t) => parse_time(t)?,
        None => newest,
    };
    if at < first {
        return Err(InputError::Usage(format!(
            "--at {} is before the first checkpoint of {} ({}): nothing to scan",
            format_ms(at),
            ledgers.display(),
            format_ms(first)
        ))
        .into());
    }
    let t = std::time::Instant::now();
    let panel = Panel::build(&set, collateral.as_ref(), buckets.as_ref(), at);
    let mut findings = detect(&panel, &knobs);
    let seconds = t.elapsed().as_secs_f64();
    if let Some(m) = &metagraph {
        for f in &mut findings {
            let n = f.hotkeys.iter().filter(|h| m.registered_at(at, h)).count();
            f.evidence.push_str(&format!("; {n} of {} registered at {}", f.hotkeys.len(), format_ms(at)));
        }
    }
    let miners: Vec<String> = panel.miners.iter().map(|m| m.hotkey.clone()).collect();
    let scores: Option<Vec<Score>> = truth.as_ref().map(|truth| score(&findings, truth, &miners));

    let mut folder = RunFolder::begin(&target)?;
    write_findings(&mut folder, &findings)?;
    let page = Page {
        title: format!("dustlab gaming watch: {}", ledgers.display()),
        panel: Some(&panel),
        findings: &findings,
        knobs: &knobs,
        scores: scores.as_deref(),
        evaluation: None,
    };
    for f in write(folder.dir(), &page)? {
        folder.record(&f);
    }
    let counts: serde_json::Map<String, serde_json::Value> =
        PATTERNS.iter().map(|p| (p.to_string(), findings.iter().filter(|f| f.pattern == *p).count().into())).collect();
    folder.record("detect.json");
    let json = serde_json::json!({
        "dustlab_version": env!("CARGO_PKG_VERSION"),
        "inputs": inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "at_ms": at,
        "miners": panel.miners.len(),
        "knobs": knobs,
        "findings_per_pattern": counts,
        "findings": findings,
        "scores": scores,
        "twins_left_out": twins_left_out,
        "seconds": {"detect": seconds},
        "files": folder.files(),
    });
    let path = folder.file("detect.json");
    std::fs::write(&path, serde_json::to_string_pretty(&json)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    let dir = folder.commit()?;
    if !args.quiet {
        eprintln!("{} miners as of {}:", panel.miners.len(), format_ms(at));
        for p in PATTERNS {
            eprintln!("  {:<24} {} finding(s)", p, counts[*p]);
        }
        if let Some(s) = &scores {
            eprintln!(
                "against {} ({twins_left_out} twin ledger(s) left out of the scan: a real subnet has none):",
                args.truth.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
            );
            print_scores(s);
        }
        eprintln!("wrote {}/detections.parquet, detections.csv, detect.json and detect.html", dir.display());
    }
    Ok(())
}

fn print_scores(scores: &[Score]) {
    let o = |x: Option<f64>| x.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into());
    eprintln!("  {:<24} {:>7} {:>7} {:>5} {:>9} {:>7}", "pattern", "planted", "flagged", "hits", "precision", "recall");
    for s in scores {
        eprintln!(
            "  {:<24} {:>7} {:>7} {:>5} {:>9} {:>7}",
            s.pattern,
            s.planted,
            s.flagged,
            s.hits,
            o(s.precision),
            o(s.recall)
        );
    }
}

/// `detections.parquet` and `.csv`: one row per finding.
fn write_findings(folder: &mut RunFolder, findings: &[Finding]) -> anyhow::Result<()> {
    let mut df = DataFrame::new(
        findings.len(),
        vec![
            Column::new("pattern".into(), findings.iter().map(|f| f.pattern).collect::<Vec<_>>()),
            Column::new("hotkeys".into(), findings.iter().map(|f| f.hotkeys.join(";")).collect::<Vec<_>>()),
            Column::new("score".into(), findings.iter().map(|f| f.score).collect::<Vec<_>>()),
            Column::new("leader".into(), findings.iter().map(|f| f.leader.clone()).collect::<Vec<Option<String>>>()),
            Column::new("evidence".into(), findings.iter().map(|f| f.evidence.as_str()).collect::<Vec<_>>()),
            Column::new("first_seen_ms".into(), findings.iter().map(|f| f.first_seen_ms).collect::<Vec<_>>()),
            Column::new("last_seen_ms".into(), findings.iter().map(|f| f.last_seen_ms).collect::<Vec<_>>()),
            Column::new(
                "first_seen_utc".into(),
                findings.iter().map(|f| format_ms(f.first_seen_ms)).collect::<Vec<_>>(),
            ),
            Column::new("last_seen_utc".into(), findings.iter().map(|f| format_ms(f.last_seen_ms)).collect::<Vec<_>>()),
        ],
    )?;
    write_table(&mut df, folder, "detections")
}

/// `--scenario`: the detectors scored over Monte Carlo populations with planted adversaries.
fn evaluate(args: &DetectArgs, path: &Path, knobs: &Knobs) -> anyhow::Result<()> {
    let scenario = Scenario::load(path)?;
    if scenario.adversaries.is_empty() {
        return Err(InputError::file(path.display(), "has no [[adversary]] blocks: nothing planted to find").into());
    }
    let runs = args.runs.unwrap_or(scenario.runs);
    if runs == 0 {
        return Err(InputError::Usage("--runs must be at least 1".into()).into());
    }
    let target = folder::target(args.out.as_deref(), &format!("{}-detect", scenario.name))?;
    folder::refuse_inputs_inside(&target, scenario.inputs())?;
    let mut notes = crate::notes::Notes::default();
    let base = load_base(&scenario, &mut notes)?;
    base_steps(&scenario, &base, None, None)?;
    let mut folder = RunFolder::begin(&target)?;
    let bar = crate::progress::bar(args.quiet, runs as u64, "runs", format!("detect {}", scenario.name));
    let t = std::time::Instant::now();
    let per_run = crate::experiment::detect::evaluate(&scenario, &base, knobs, runs, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let seconds = t.elapsed().as_secs_f64();
    let summary: Vec<PatternSummary> = summarize(&per_run);
    let mut csv = String::from("run,pattern,planted,flagged,hits,precision,recall,honest_fp_per_100\n");
    let o = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    for r in &per_run {
        for s in &r.scores {
            let fp = r.honest_fp_per_100.iter().find(|(p, _)| *p == s.pattern).map(|x| x.1).unwrap_or(0.0);
            csv.push_str(&format!(
                "{},{},{},{},{},{},{},{}\n",
                r.run,
                s.pattern,
                s.planted,
                s.flagged,
                s.hits,
                o(s.precision),
                o(s.recall),
                fp
            ));
        }
    }
    let p = folder.file("detect_eval.csv");
    std::fs::write(&p, csv).with_context(|| format!("cannot write {}", p.display()))?;
    let page = Page {
        title: format!("dustlab detectors scored on {}", scenario.name),
        panel: None,
        findings: &[],
        knobs,
        scores: None,
        evaluation: Some(&summary),
    };
    for f in write(folder.dir(), &page)? {
        folder.record(&f);
    }
    folder.record("detect_eval.json");
    let json = serde_json::json!({
        "dustlab_version": env!("CARGO_PKG_VERSION"),
        "scenario": scenario.name,
        "scenario_file": path.display().to_string(),
        "seed": scenario.seed,
        "runs": runs,
        "knobs": knobs,
        "method": "per run: the population with its adversaries, twins left out, every hotkey renamed to a random SS58 address, detection as of the newest checkpoint; false positives on the same population without adversaries",
        "summary": summary,
        "per_run": per_run,
        "data_notes": notes,
        "seconds": {"evaluate": seconds},
        "files": folder.files(),
    });
    let p = folder.file("detect_eval.json");
    std::fs::write(&p, serde_json::to_string_pretty(&json)?)
        .with_context(|| format!("cannot write {}", p.display()))?;
    let dir = folder.commit()?;
    if !args.quiet {
        let b = |x: &Option<crate::metrics::adversary::Band>| crate::metrics::adversary::Band::text(x, 1.0, 2);
        eprintln!("detectors over {runs} run(s) of {} ({seconds:.1} s):", scenario.name);
        eprintln!(
            "  {:<24} {:>22} {:>22} {:>24}",
            "pattern", "recall [5-95%]", "precision [5-95%]", "honest FP/100 [5-95%]"
        );
        for s in &summary {
            eprintln!(
                "  {:<24} {:>22} {:>22} {:>24}",
                s.pattern,
                b(&s.recall),
                b(&s.precision),
                b(&s.honest_fp_per_100)
            );
        }
        eprintln!("wrote {}/detect_eval.json, detect_eval.csv and detect.html", dir.display());
    }
    Ok(())
}
