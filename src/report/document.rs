//! The report's text: executive summary, HTML (self-contained) and Markdown.

use std::fmt::Write;

use super::{Chart, Summary};
use crate::metrics::adversary::OutcomeSummary;
use crate::metrics::policy::PolicyMetrics;
use crate::time::{format_date, format_ms};

fn rho(x: Option<f64>) -> String {
    x.map(|r| format!("{r:.2}")).unwrap_or_else(|| "n/a".into())
}

/// One plain sentence per policy, drawn from the metrics.
pub fn executive(metrics: &[PolicyMetrics], adversaries: &[OutcomeSummary], baseline: &str) -> Vec<String> {
    let Some(base) = metrics.iter().find(|m| m.policy == baseline).or(metrics.first()) else { return Vec::new() };
    let worst = |policy: &str| {
        adversaries
            .iter()
            .filter(|a| a.policy == policy)
            .filter_map(|a| a.excess_pct.map(|b| (a, b.mean)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(a, pct)| format!("; the {} earns {:.1}× its honest twin", a.adversary, 1.0 + pct / 100.0))
            .unwrap_or_default()
    };
    let mut out = vec![format!(
        "{} (baseline): {} miners over {} steps; correlation of reward with window PnL {}; {:.1}% of emission burned; dust is {:.2}% of emission; reward Gini {:.2}{}.",
        base.policy,
        base.miners,
        base.steps,
        rho(base.reward_score_spearman),
        100.0 * base.burn_share,
        100.0 * base.dust_share,
        base.gini,
        worst(&base.policy)
    )];
    for m in metrics.iter().filter(|m| m.policy != base.policy) {
        let change = if base.reward_usd_miners > 0.0 {
            100.0 * (m.reward_usd_miners / base.reward_usd_miners - 1.0)
        } else {
            0.0
        };
        out.push(format!(
            "{}: correlation of reward with window PnL {} from {} to {}; {} miner{} lose more than 10%; miners' total reward {:+.2}%; share at the ceiling {:.1}% → {:.1}%; {} step{} with hierarchy violations{}.",
            m.policy,
            if m.reward_score_spearman >= base.reward_score_spearman { "rises" } else { "falls" },
            rho(base.reward_score_spearman),
            rho(m.reward_score_spearman),
            m.losers_over_10pct,
            if m.losers_over_10pct == 1 { "" } else { "s" },
            change,
            100.0 * base.share_at_ceiling,
            100.0 * m.share_at_ceiling,
            m.steps_with_violations,
            if m.steps_with_violations == 1 { "" } else { "s" },
            worst(&m.policy)
        ));
    }
    out
}

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

fn usd(x: f64) -> String {
    format!("{x:.2}")
}

/// Tables shared by both documents, as (title, header, rows).
type Table = (String, Vec<String>, Vec<Vec<String>>);

fn tables(s: &Summary) -> Vec<Table> {
    let mut out = Vec::new();
    let buckets: Vec<String> = {
        let mut b: Vec<String> = s.policies.iter().flat_map(|m| m.reward_usd_by_bucket.keys().cloned()).collect();
        b.sort();
        b.dedup();
        b
    };
    // Per-bucket Spearman of score and dust is 1 by construction under a monotone
    // normalisation (max, the production rule): it stays in summary.json, not in the table.
    let mut head = vec!["policy".to_string()];
    head.extend(["reward vs PnL Spearman", "at floor", "at ceiling", "hierarchy violations (steps)"].map(String::from));
    let rows = s
        .policies
        .iter()
        .map(|m| {
            let mut r = vec![m.policy.clone()];
            r.extend([
                rho(m.reward_score_spearman),
                pct(m.share_at_floor),
                pct(m.share_at_ceiling),
                format!("{} ({})", m.hierarchy_violations, m.steps_with_violations),
            ]);
            r
        })
        .collect();
    out.push(("Alignment: does dust follow the window score?".into(), head, rows));

    if let Some(t) = over_runs_table(s) {
        out.push(t);
    }

    if !s.eras.is_empty() {
        let head = ["release in force", "policy", "steps", "paid as dust", "burned", "miners' reward (USD)"]
            .map(String::from)
            .to_vec();
        let rows = s
            .eras
            .iter()
            .map(|e| {
                vec![
                    e.release.clone(),
                    e.policy.clone(),
                    e.steps.to_string(),
                    pct(e.dust_share),
                    pct(e.burn_share),
                    format!("{:.2}", e.reward_usd_miners),
                ]
            })
            .collect();
        out.push(("Eras: where dust matters under each release".into(), head, rows));
    }

    let mut head = vec!["policy".to_string(), "miners' reward (USD)".to_string()];
    head.extend(buckets.iter().map(|b| format!("{b} (USD)")));
    head.extend(
        ["alpha to miners", "Gini", "burn share", "dust share", "churn / step", "miners losing > 10%"]
            .map(String::from),
    );
    let rows = s
        .policies
        .iter()
        .map(|m| {
            let mut r = vec![m.policy.clone(), usd(m.reward_usd_miners)];
            r.extend(buckets.iter().map(|b| usd(m.reward_usd_by_bucket.get(b).copied().unwrap_or(0.0))));
            r.extend([
                format!("{:.2}", m.reward_alpha_by_bucket.values().sum::<f64>()),
                format!("{:.3}", m.gini),
                pct(m.burn_share),
                pct(m.dust_share),
                format!("{:.5}", m.churn),
                m.losers_over_10pct.to_string(),
            ]);
            r
        })
        .collect();
    out.push(("Reward impact".into(), head, rows));

    let mut head = vec!["bucket".to_string()];
    head.extend(s.policies.iter().map(|m| format!("{} min / mean / max (× DUST)", m.policy)));
    let rows = buckets
        .iter()
        .filter(|b| *b != "burn")
        .map(|b| {
            let mut r = vec![b.clone()];
            for m in &s.policies {
                let unit = 1.5e-05;
                let cell = m.dust_by_bucket.get(b).map(|sr| {
                    let f = |v: &Vec<Option<f64>>, pick: fn(f64, f64) -> f64| v.iter().flatten().copied().reduce(pick);
                    let mean: Vec<f64> = sr.mean.iter().flatten().copied().collect();
                    let avg = if mean.is_empty() { f64::NAN } else { mean.iter().sum::<f64>() / mean.len() as f64 };
                    format!(
                        "{:.3} / {:.3} / {:.3}",
                        f(&sr.min, f64::min).unwrap_or(f64::NAN) / unit,
                        avg / unit,
                        f(&sr.max, f64::max).unwrap_or(f64::NAN) / unit
                    )
                });
                r.push(cell.unwrap_or_else(|| "-".into()));
            }
            r
        })
        .collect();
    out.push((
        "Dust weight per bucket over the replay (min of minima / mean of means / max of maxima, in units of 1.5e-05)"
            .into(),
        head,
        rows,
    ));

    for m in s.policies.iter().filter(|m| m.policy != s.baseline) {
        // Ranked by the % change of dust-paid reward (what the policy moves), USD beside it;
        // full hotkeys are in the CSV and summary.json.
        let head = ["", "hotkey", "dust-paid (USD)", "change (%)", "change (USD)", "total reward change (USD)"]
            .map(String::from)
            .to_vec();
        let total_delta =
            |h: &str| m.winners.iter().chain(&m.losers).find(|d| d.hotkey == h).map(|d| format!("{:+.2}", d.delta_usd));
        let fmt = |kind: &str, d: &crate::metrics::policy::DustDelta| {
            vec![
                kind.to_string(),
                crate::report::console::short_hotkey(&d.hotkey),
                usd(d.dust_paid_usd),
                d.delta_pct.map(|p| format!("{p:+.1}%")).unwrap_or_else(|| "n/a".into()),
                format!("{:+.2}", d.delta_usd),
                total_delta(&d.hotkey).unwrap_or_else(|| "-".into()),
            ]
        };
        let rows = m
            .dust_winners
            .iter()
            .take(5)
            .map(|d| fmt("winner", d))
            .chain(m.dust_losers.iter().take(5).map(|d| fmt("loser", d)))
            .collect();
        out.push((format!("Who gains, who loses (dust-paid reward): {} against {}", m.policy, s.baseline), head, rows));
    }
    if !s.adversaries.is_empty() {
        let band = |b: &Option<crate::metrics::adversary::Band>, scale: f64| {
            b.map(|b| {
                let se = if b.se.is_finite() { format!(" ± {:.2}", b.se * scale) } else { String::new() };
                format!("{:.2}{se} [{:.2}, {:.2}]", b.mean * scale, b.p5 * scale, b.p95 * scale)
            })
            .unwrap_or_else(|| "-".into())
        };
        let head = [
            "policy",
            "adversary",
            "runs",
            "reward share % [5–95%]",
            "excess over twin USD ± SE [5–95%]",
            "excess % [5–95%]",
            "ROI % [5–95%]",
            "catch rate",
            "rivals' position [5–95%]",
            "rivals' reward lost % ± SE [5–95%]",
        ]
        .map(String::from)
        .to_vec();
        let rows = s
            .adversaries
            .iter()
            .map(|a| {
                vec![
                    a.policy.clone(),
                    a.adversary.clone(),
                    a.runs.to_string(),
                    band(&a.reward_share, 100.0),
                    band(&a.excess_usd, 1.0),
                    band(&a.excess_pct, 1.0),
                    band(&a.roi, 100.0),
                    format!("{:.2}", a.catch_rate),
                    band(&a.rival_position, 1.0),
                    band(&a.rivals_loss_pct, 1.0),
                ]
            })
            .collect();
        out.push(("Adversaries (mean over runs, 5–95% band)".into(), head, rows));
    }
    if let Some(w) = &s.gaming_watch {
        out.push(gaming_watch_table(w));
    }
    if let Some(c) = &s.calibration {
        out.push(calibration_table(c));
    }
    out
}

/// The gaming watch: per pattern, how many findings and the strongest suspects.
fn gaming_watch_table(w: &serde_json::Value) -> Table {
    let title = format!(
        "Gaming watch: the detectors over these ledgers as of {} ({} miners{})",
        format_ms(w["at_ms"].as_i64().unwrap_or(0)),
        w["miners"].as_u64().unwrap_or(0),
        if w["collateral_known"] == true {
            ""
        } else {
            "; no collateral given: squatters are judged on flatness alone, churn goes unseen"
        },
    );
    let head = ["pattern", "findings", "strongest suspects", "evidence of the strongest"].map(String::from).to_vec();
    let rows = w["patterns"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    let strongest = p["strongest"].as_array().cloned().unwrap_or_default();
                    let suspects: Vec<String> = strongest
                        .iter()
                        .map(|f| {
                            f["hotkeys"]
                                .as_array()
                                .map(|h| {
                                    h.iter()
                                        .filter_map(|x| x.as_str())
                                        .map(super::console::short_hotkey)
                                        .collect::<Vec<_>>()
                                        .join(" + ")
                                })
                                .unwrap_or_default()
                        })
                        .collect();
                    vec![
                        p["pattern"].as_str().unwrap_or_default().to_string(),
                        p["findings"].as_u64().unwrap_or(0).to_string(),
                        if suspects.is_empty() { "-".into() } else { suspects.join("; ") },
                        strongest.first().and_then(|f| f["evidence"].as_str()).unwrap_or("-").to_string(),
                    ]
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let mut rows = rows;
    rows.push(vec![
        "full scan, with charts".into(),
        String::new(),
        String::new(),
        w["command"].as_str().unwrap_or("dustlab detect").to_string(),
    ]);
    (title, head, rows)
}

/// The synthetic population against the real subnet: every calibrated statistic with its
/// target, source and whether it is in range.
fn calibration_table(c: &super::CalibrationSection) -> Table {
    use crate::population::calibration::{number, target_text, verdict_text};
    let cal = &c.calibration;
    let out = cal.rows.iter().filter(|r| r.in_range == Some(false)).count();
    let title = format!(
        "Calibration of the synthetic population ({}; {} slots, {} days, seed {}): {}",
        c.source,
        cal.slots,
        cal.days,
        cal.seed,
        if out == 0 { "every target met".to_string() } else { format!("{out} statistic(s) OUT OF RANGE") }
    );
    let head = ["statistic", "target", "measured", "in range", "source"].map(String::from).to_vec();
    let rows = cal
        .rows
        .iter()
        .map(|r| {
            vec![
                r.statistic.clone(),
                target_text(r.lo, r.hi),
                number(r.measured),
                verdict_text(r.in_range).to_string(),
                r.source.clone(),
            ]
        })
        .collect();
    (title, head, rows)
}

/// The sentence above the precision warnings: how many runs, and whether they suffice.
fn precision_lead(s: &Summary, warnings: &[String]) -> String {
    let runs = s.reproducibility.runs.unwrap_or(1);
    let share = 100.0 * crate::metrics::adversary::PRECISE_SHARE;
    if warnings.is_empty() {
        format!("Over {runs} runs every effect's standard error is within {share:.0}% of the effect.")
    } else {
        format!(
            "Over {runs} runs these effects have a standard error above {share:.0}% of the effect: treat their size (and a sign near 0) as open; add runs, or set runs = \"auto\"."
        )
    }
}

/// The compromises a synthetic population's calibration had to make, as paragraphs.
fn calibration_compromises(s: &Summary) -> Vec<String> {
    s.calibration.as_ref().map(|c| c.calibration.compromises.clone()).unwrap_or_default()
}

pub(crate) const CSS: &str = "body{font-family:Helvetica,Arial,sans-serif;max-width:1150px;margin:2em auto;color:#111;line-height:1.4}\
h1{font-size:1.7em}h2{border-bottom:1px solid #999;padding-bottom:.2em;margin-top:2em}\
table{border-collapse:collapse;margin:1em 0;font-size:.85em}th,td{border:1px solid #999;padding:.25em .5em;text-align:right}\
th{background:#eee}td:first-child,th:first-child{text-align:left}figure{margin:1.5em 0;page-break-inside:avoid}\
figure svg{max-width:100%;height:auto}figcaption{font-size:.85em;color:#333}pre{background:#f4f4f4;padding:.8em;overflow-x:auto;font-size:.8em}\
.meta{color:#444}table.prose td:last-child{text-align:left}table.prose td:nth-child(2){white-space:nowrap}@media print{body{margin:0;max-width:none}h2,h3{page-break-after:avoid}figure svg{max-height:9in;width:auto}}";

/// Monte Carlo: every policy's metrics over all runs, mean [5–95%]; a candidate whose band is
/// wider than its difference from the baseline is flagged (the runs cannot tell them apart).
fn over_runs_table(s: &Summary) -> Option<Table> {
    let v = s.over_runs.as_ref()?.as_object()?;
    let keys = [
        ("reward_score_spearman", "alignment"),
        ("dust_share", "dust share"),
        ("burn_share", "burn share"),
        ("churn", "churn / step"),
        ("reward_usd_miners", "miners' reward (USD)"),
    ];
    let runs = s.reproducibility.runs.unwrap_or(1);
    let mut head = vec!["policy".to_string()];
    head.extend(keys.iter().map(|(_, l)| l.to_string()));
    head.push("difference from the baseline not resolved (5–95% band of the per-run difference spans 0)".into());
    let rows = s
        .policies
        .iter()
        .filter_map(|pm| v.get(&pm.policy).map(|m| (&pm.policy, m)))
        .map(|(policy, m)| {
            let mut r = vec![policy.clone()];
            let mut wide = Vec::new();
            for (k, label) in keys {
                let b = &m[k];
                let (mean, p5, p95) = (b["mean"].as_f64(), b["p5"].as_f64(), b["p95"].as_f64());
                let se = b["se"].as_f64().map(|e| format!(" ± {}", crate::stats::number(e))).unwrap_or_default();
                r.push(match (mean, p5, p95) {
                    (Some(x), Some(lo), Some(hi)) => format!("{}{se} [{}, {}]", fmt_num(x), fmt_num(lo), fmt_num(hi)),
                    _ => "-".into(),
                });
                // The per-run difference from the baseline: a band that straddles 0 is wider
                // than the effect it qualifies.
                let d = &b["difference"];
                if let (Some(lo), Some(hi)) = (d["p5"].as_f64(), d["p95"].as_f64())
                    && lo < 0.0
                    && hi > 0.0
                {
                    wide.push(label);
                }
            }
            r.push(if policy == &s.baseline {
                "(baseline)".into()
            } else if wide.is_empty() {
                "no".into()
            } else {
                wide.join(", ")
            });
            r
        })
        .collect();
    Some((format!("Policy metrics over all {runs} runs: mean ± standard error [5–95%]"), head, rows))
}

fn fmt_num(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    }
}

/// The verdict table: one row per candidate, the verdict first.
pub fn verdict_table(s: &Summary) -> Table {
    let mut buckets: Vec<String> = s.verdicts.iter().flat_map(|v| v.dust_paid_change_pct.keys().cloned()).collect();
    buckets.sort();
    buckets.dedup();
    let mut head = vec!["candidate".to_string(), "verdict".to_string(), "Δ alignment".to_string()];
    head.extend(buckets.iter().map(|b| format!("dust-paid {b}")));
    head.extend(
        ["miners losing > 10% of dust", "hierarchy", "exploitability (USD, 5–95%)", "Δ churn", "eras"]
            .map(String::from),
    );
    let rows = s
        .verdicts
        .iter()
        .map(|v| {
            let mut r = vec![
                v.policy.clone(),
                v.verdict.to_uppercase(),
                v.alignment_delta.map(|d| format!("{d:+.3}")).unwrap_or_else(|| "-".into()),
            ];
            r.extend(buckets.iter().map(|b| match v.dust_paid_change_pct.get(b).copied().flatten() {
                Some(p) => format!("{p:+.1}%"),
                None => "-".into(),
            }));
            r.push(v.dust_losers_over_10pct.to_string());
            r.push(if v.hierarchy_violation_steps > 0 {
                format!("BROKEN on {} steps", v.hierarchy_violation_steps)
            } else {
                "kept".into()
            });
            r.push(match (&v.exploitability, &v.exploit_by) {
                (Some(b), Some(by)) => format!("{:.2} [{:.2}, {:.2}] ({by})", b.mean, b.p5, b.p95),
                _ => "not tested".into(),
            });
            r.push(format!("{:+.5}", v.churn_delta));
            r.push(if v.eras.is_empty() { "-".into() } else { v.eras.join("; ") });
            r
        })
        .collect();
    (format!("Verdict: each candidate against {}", s.baseline), head, rows)
}

/// How the run was closed (feedback) and how far its emission model drifts from the record.
fn run_notes(s: &Summary) -> Vec<String> {
    let mut out = Vec::new();
    match s.feedback.as_deref() {
        Some("simulated") => out.push(
            "Feedback: closed loop (simulated): each policy's payout model reads what that policy paid from the replay's start."
                .to_string(),
        ),
        Some("historical") => out.push(
            "Feedback: open loop (historical): every policy's payout model reads the ledgers' recorded payments.".to_string(),
        ),
        _ => {}
    }
    if let Some(r) = &s.present_rule {
        out.push(format!("Who is scored at each step: {r}."));
    }
    if let Some(f) = &s.emission_fidelity {
        let pct = |k: &str| f[k].as_f64().map(|x| format!("{:.1} %", 100.0 * x)).unwrap_or_else(|| "-".into());
        out.push(format!(
            "Emission model fidelity (baseline): simulated {:.0} USD against {:.0} USD recorded; mean absolute error per step {}, per miner and step {} ({} steps compared).",
            f["simulated_usd"].as_f64().unwrap_or(0.0),
            f["recorded_usd"].as_f64().unwrap_or(0.0),
            pct("total_mape"),
            pct("miner_mape"),
            f["steps_compared"].as_u64().unwrap_or(0)
        ));
    }
    out
}

/// The self-contained HTML: no script, no external reference; charts are inline SVG.
pub fn html(s: &Summary, charts: &[Chart]) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>dustlab report: {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(&s.scenario)
    );
    let _ = writeln!(o, "<h1>dustlab report: {}</h1>", esc(&s.scenario));
    let _ = writeln!(
        o,
        "<p class=\"meta\">{} steps from {} to {}; baseline <b>{}</b>; chart day {}.</p>",
        s.steps,
        format_ms(s.first_step_ms),
        format_ms(s.last_step_ms),
        esc(&s.baseline),
        format_date(s.day_ms)
    );
    let (title, head, rows) = verdict_table(s);
    let _ = writeln!(
        o,
        "<h2>{}</h2>\n<table class=\"verdict\">\n<tr>{}</tr>",
        esc(&title),
        head.iter().map(|h| format!("<th>{}</th>", esc(h))).collect::<String>()
    );
    for r in &rows {
        let _ = writeln!(
            o,
            "<tr>{}</tr>",
            r.iter()
                .enumerate()
                .map(|(i, c)| if i == 1 {
                    format!("<td><b>{}</b></td>", esc(c))
                } else {
                    format!("<td>{}</td>", esc(c))
                })
                .collect::<String>()
        );
    }
    if rows.is_empty() {
        let _ = writeln!(o, "<tr><td colspan=\"{}\">no candidate: the run has one policy</td></tr>", head.len());
    }
    let _ = writeln!(o, "</table>\n<ul class=\"rules\">");
    for r in &s.verdict_rules {
        let _ = writeln!(o, "<li>{}</li>", esc(r));
    }
    if let Some(h) = &s.exploitability_hint {
        let _ = writeln!(o, "<li><b>{}</b></li>", esc(h));
    }
    let _ = writeln!(o, "</ul>");
    let _ = writeln!(o, "<h2>Executive summary</h2>\n<ul>");
    for line in &s.executive_summary {
        let _ = writeln!(o, "<li>{}</li>", esc(line));
    }
    let _ = writeln!(o, "</ul>");
    for (title, head, rows) in tables(s) {
        // A table whose last column is prose (sources) reads left-aligned.
        let class = if head.last().is_some_and(|h| h == "source" || h.starts_with("evidence")) {
            " class=\"prose\""
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "<h2>{}</h2>\n<table{class}>\n<tr>{}</tr>",
            esc(&title),
            head.iter().map(|h| format!("<th>{}</th>", esc(h))).collect::<String>()
        );
        for r in rows {
            let _ = writeln!(o, "<tr>{}</tr>", r.iter().map(|c| format!("<td>{}</td>", esc(c))).collect::<String>());
        }
        let _ = writeln!(o, "</table>");
    }
    if let Some(p) = &s.precision {
        let _ = writeln!(o, "<h3>Monte Carlo precision</h3>");
        let _ = writeln!(o, "<p>{}</p>", esc(&precision_lead(s, p)));
        if !p.is_empty() {
            let _ = writeln!(o, "<ul>");
            for line in p {
                let _ = writeln!(o, "<li>{}</li>", esc(line));
            }
            let _ = writeln!(o, "</ul>");
        }
    }
    let compromises = calibration_compromises(s);
    if !compromises.is_empty() {
        let _ = writeln!(o, "<h3>Calibration compromises</h3>");
        for c in compromises {
            let _ = writeln!(o, "<p>{}</p>", esc(&c));
        }
    }
    let _ = writeln!(o, "<h2>Charts</h2>");
    for c in charts {
        let svg = super::charts::inline_svg(&c.svg);
        let _ = writeln!(
            o,
            "<figure id=\"{}\">\n<h3>{}</h3>\n{}\n<figcaption>{}</figcaption>\n</figure>",
            c.name,
            esc(&c.title),
            svg.trim(),
            esc(&c.caption)
        );
    }
    let _ = writeln!(o, "<h2>Data notes</h2>");
    for line in run_notes(s) {
        let _ = writeln!(o, "<p>{}</p>", esc(&line));
    }
    if s.data_notes.is_empty() {
        let _ = writeln!(o, "<p>None: every value came from the inputs, nothing was left out or defaulted.</p>");
    } else {
        let _ = writeln!(o, "<ul>");
        for n in &s.data_notes.0 {
            let _ = writeln!(o, "<li>{}</li>", esc(&n.line()));
        }
        let _ = writeln!(o, "</ul>");
    }
    let r = &s.reproducibility;
    let _ = writeln!(o, "<h2>Reproducibility</h2>\n<table>");
    let _ = writeln!(o, "<tr><th>dustlab version</th><td>{}</td></tr>", esc(&r.dustlab_version));
    let _ = writeln!(o, "<tr><th>command line</th><td>{}</td></tr>", esc(&r.command_line));
    let _ =
        writeln!(o, "<tr><th>seed</th><td>{}</td></tr>", r.seed.map(|x| x.to_string()).unwrap_or_else(|| "-".into()));
    let _ =
        writeln!(o, "<tr><th>runs</th><td>{}</td></tr>", r.runs.map(|x| x.to_string()).unwrap_or_else(|| "1".into()));
    for i in &r.inputs {
        let _ = writeln!(
            o,
            "<tr><th>SHA-256 {}</th><td>{}</td></tr>",
            esc(&i.path),
            esc(i.sha256.as_deref().unwrap_or("(unreadable now)"))
        );
    }
    let _ = writeln!(o, "</table>");
    if let Some(t) = &r.scenario_text {
        let _ = writeln!(o, "<h3>Scenario file</h3>\n<pre>{}</pre>", esc(t));
    }
    let _ = writeln!(o, "</body>\n</html>");
    o
}

/// The same content as Markdown, charts as PNG files beside it.
pub fn markdown(s: &Summary, charts: &[Chart]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# dustlab report: {}\n", s.scenario);
    let _ = writeln!(
        o,
        "{} steps from {} to {}; baseline **{}**; chart day {}.\n",
        s.steps,
        format_ms(s.first_step_ms),
        format_ms(s.last_step_ms),
        s.baseline,
        format_date(s.day_ms)
    );
    let (title, head, rows) = verdict_table(s);
    let _ = writeln!(o, "## {title}\n");
    let _ = writeln!(o, "| {} |", head.join(" | "));
    let _ = writeln!(o, "|{}", " --- |".repeat(head.len()));
    for r in &rows {
        let _ = writeln!(o, "| {} |", r.join(" | "));
    }
    let _ = writeln!(o);
    for r in &s.verdict_rules {
        let _ = writeln!(o, "- {r}");
    }
    if let Some(h) = &s.exploitability_hint {
        let _ = writeln!(o, "- **{h}**");
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "## Executive summary\n");
    for line in &s.executive_summary {
        let _ = writeln!(o, "- {line}");
    }
    for (title, head, rows) in tables(s) {
        let _ = writeln!(o, "\n## {title}\n");
        let _ = writeln!(o, "| {} |", head.join(" | "));
        let _ = writeln!(o, "|{}", " --- |".repeat(head.len()));
        for r in rows {
            let _ = writeln!(o, "| {} |", r.join(" | "));
        }
    }
    if let Some(p) = &s.precision {
        let _ = writeln!(o, "\n### Monte Carlo precision\n\n{}\n", precision_lead(s, p));
        for line in p {
            let _ = writeln!(o, "- {line}");
        }
    }
    let compromises = calibration_compromises(s);
    if !compromises.is_empty() {
        let _ = writeln!(o, "\n### Calibration compromises\n");
        for c in compromises {
            let _ = writeln!(o, "{c}\n");
        }
    }
    let _ = writeln!(o, "\n## Charts\n");
    for c in charts {
        let _ = writeln!(o, "### {}\n\n![{}](charts/{}.png)\n\n{}\n", c.title, c.title, c.name, c.caption);
    }
    let _ = writeln!(o, "## Data notes\n");
    for line in run_notes(s) {
        let _ = writeln!(o, "{line}\n");
    }
    if s.data_notes.is_empty() {
        let _ = writeln!(o, "None: every value came from the inputs, nothing was left out or defaulted.\n");
    } else {
        for n in &s.data_notes.0 {
            let _ = writeln!(o, "- {}", n.line());
        }
        let _ = writeln!(o);
    }
    let r = &s.reproducibility;
    let _ = writeln!(o, "## Reproducibility\n");
    let _ = writeln!(o, "- dustlab version: {}", r.dustlab_version);
    let _ = writeln!(o, "- command line: `{}`", r.command_line);
    let _ = writeln!(o, "- seed: {}", r.seed.map(|x| x.to_string()).unwrap_or_else(|| "-".into()));
    let _ = writeln!(o, "- runs: {}", r.runs.map(|x| x.to_string()).unwrap_or_else(|| "1".into()));
    for i in &r.inputs {
        let _ = writeln!(o, "- SHA-256 `{}`: `{}`", i.path, i.sha256.as_deref().unwrap_or("(unreadable now)"));
    }
    if let Some(t) = &r.scenario_text {
        let _ = writeln!(o, "\n### Scenario file\n\n```toml\n{}\n```", t.trim_end());
    }
    o
}
