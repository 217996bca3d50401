//! `detect.html`: the gaming watch as a page — what each detector looks at, its threshold, its
//! findings, and a chart of the evidence (the correlated series, the lagged copy, the burst
//! timing); with a truth file or a scenario, the detectors' precision and recall first.

use std::fmt::Write;
use std::path::Path;

use super::charts::{Line, Lines, Panel as ChartPanel, inline_svg, render};
use super::document::{CSS, esc};
use crate::detect::score::{PatternSummary, Score};
use crate::detect::{Finding, Knobs, PATTERNS, Panel};
use crate::metrics::adversary::Band;
use crate::time::{MS_PER_DAY, format_date, format_ms};

/// What a page shows.
pub struct Page<'a> {
    pub title: String,
    /// The ledgers as scanned (None for a Monte Carlo evaluation: its populations are gone).
    pub panel: Option<&'a Panel>,
    pub findings: &'a [Finding],
    pub knobs: &'a Knobs,
    /// Precision and recall against a truth file.
    pub scores: Option<&'a [Score]>,
    /// Precision and recall over Monte Carlo runs.
    pub evaluation: Option<&'a [PatternSummary]>,
}

/// What each detector reads, for the reader.
pub fn looks_at(pattern: &str, k: &Knobs) -> String {
    match pattern {
        "sybil-split" => format!(
            "hotkeys whose penalty-adjusted 12 h PnL series correlate at ≥ {} over ≥ {} shared periods (scale-free: one stream split k ways is one series), grouped; evidence: registration spread and collateral",
            k.sybil_correlation, k.min_overlap
        ),
        "copycat" => format!(
            "a miner whose PnL follows one of the {} top earners with a lag of 0.5–{} days: lagged correlation ≥ {} and ≥ {} above the unlagged one",
            k.copycat_leaders, k.copycat_max_lag_days, k.copycat_correlation, k.copycat_margin
        ),
        "window-timing" => format!(
            "PnL concentrated in short bursts: ≥ {:.0}% of |PnL| in the top tenth of periods, at least 3 bursts spaced regularly (gap CV ≤ {})",
            100.0 * k.timing_concentration,
            k.timing_max_gap_cv
        ),
        "volatility-lottery" => format!(
            "a robust (median-absolute-deviation) 12 h return volatility ≥ {}× its bucket's median with a mean indistinguishable from 0 (|t| ≤ {})",
            k.lottery_vol_ratio, k.lottery_max_t
        ),
        "challenge-squatter" => format!(
            "a CHALLENGE miner below the 150 000 USD minimum collateral, flat (no PnL) in ≥ {:.0}% of its periods",
            100.0 * k.squatter_flat_share
        ),
        "re-registration-churn" => format!(
            "a hotkey that left after a losing month, followed within {} days by a fresh hotkey with the same collateral and volatility within {}×",
            k.churn_gap_days, k.churn_vol_ratio
        ),
        "whale-compression" => format!(
            "a 30-day score ≥ {}× the next in its bucket on at least 30% of its days (its rivals pushed to the floor under max-normalisation)",
            k.whale_ratio
        ),
        _ => String::new(),
    }
}

fn band(b: &Option<Band>) -> String {
    Band::text(b, 1.0, 2)
}

fn opt(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into())
}

/// Cumulative PnL of `hotkeys` (each shifted back by its lag in periods), summed from the
/// start of `range` (days since the grid's start) and scaled to its largest |value|: the
/// shape, not the size.
fn shapes(panel: &Panel, hotkeys: &[&str], shift: &[usize], range: Option<(f64, f64)>) -> Vec<Line> {
    hotkeys
        .iter()
        .zip(shift.iter().chain(std::iter::repeat(&0)))
        .filter_map(|(h, &lag)| {
            let s = panel.miners.iter().find(|m| m.hotkey == *h)?;
            let mut acc = 0.0;
            let pts: Vec<(f64, f64)> = s
                .pnl
                .iter()
                .enumerate()
                .map(|(k, v)| (((s.start + k) as f64 - lag as f64) / 2.0, *v))
                .filter(|(x, _)| range.is_none_or(|(a, b)| *x >= a && *x <= b))
                .map(|(x, v)| {
                    acc += v;
                    (x, acc)
                })
                .collect();
            let scale = pts.iter().map(|p| p.1.abs()).fold(0.0, f64::max).max(1e-12);
            let short = &h[..h.len().min(8)];
            let label = if lag > 0 {
                format!("{short}… shifted back {:.1} d", lag as f64 / 2.0)
            } else {
                format!("{short}…")
            };
            Some((label, pts.into_iter().map(|(x, y)| (x, y / scale)).collect(), None))
        })
        .collect()
}

/// The chart of a pattern's strongest finding, when it has one worth drawing.
fn chart(panel: &Panel, f: &Finding, dir: &Path) -> anyhow::Result<Option<String>> {
    let day0 = panel.t0;
    let x_label = format!("days since {}", format_date(day0 - day0.rem_euclid(MS_PER_DAY)));
    let (title, lines, bars) = match f.pattern {
        "sybil-split" => {
            let hk: Vec<&str> = f.hotkeys.iter().map(String::as_str).take(6).collect();
            (
                "Cumulative PnL of the group, each scaled to its own size".to_string(),
                shapes(panel, &hk, &[], None),
                None,
            )
        }
        "copycat" => {
            let leader = f.leader.as_deref().unwrap_or_default();
            let lag = f.lag_periods.unwrap_or(0);
            // Over the follower's own span only, both summed from its start.
            let span = panel
                .miners
                .iter()
                .find(|m| m.hotkey == f.hotkeys[0])
                .map(|m| ((m.start as f64 - lag as f64) / 2.0, (m.end() as f64 - 1.0 - lag as f64) / 2.0));
            (
                "The follower shifted back by its lag, over its leader, while it traded (cumulative PnL, scaled)"
                    .to_string(),
                shapes(panel, &[f.hotkeys[0].as_str(), leader], &[lag, 0], span),
                None,
            )
        }
        "window-timing" | "volatility-lottery" | "challenge-squatter" => {
            let Some(s) = panel.miners.iter().find(|m| m.hotkey == f.hotkeys[0]) else { return Ok(None) };
            // What was traded, before penalties scale it (a low-collateral squatter's 0.01).
            let pts: Vec<(f64, f64)> =
                s.net.iter().enumerate().map(|(k, v)| ((s.start + k) as f64 / 2.0, *v)).collect();
            (
                "Net PnL per 12 h period, before penalties: when it is booked".to_string(),
                vec![(format!("{}…", &s.hotkey[..8.min(s.hotkey.len())]), pts, None)],
                Some(0.5),
            )
        }
        "whale-compression" => {
            let Some(w) = panel.miners.iter().find(|m| m.hotkey == f.hotkeys[0]) else { return Ok(None) };
            // The 30-day score of the whale and of the best of its rivals in the bucket, daily.
            let window = |s: &crate::detect::panel::Series, k: usize| -> Option<f64> {
                (s.start < k && s.end() >= k).then(|| {
                    let end = k - s.start;
                    s.pnl[end.saturating_sub(60)..end].iter().sum()
                })
            };
            let (mut mine, mut best) = (Vec::new(), Vec::new());
            for k in (60..=panel.len).step_by(2) {
                let Some(x) = window(w, k) else { continue };
                let rival = panel
                    .miners
                    .iter()
                    .filter(|m| m.status == w.status && m.hotkey != w.hotkey)
                    .filter_map(|m| window(m, k))
                    .fold(f64::NEG_INFINITY, f64::max);
                mine.push((k as f64 / 2.0, x));
                if rival.is_finite() {
                    best.push((k as f64 / 2.0, rival));
                }
            }
            (
                format!("30-day score of the suspect and of the best of its {} rivals (USD)", w.status),
                vec![("suspect".to_string(), mine, None), ("best rival".to_string(), best, None)],
                None,
            )
        }
        "re-registration-churn" => {
            let hk: Vec<&str> = f.hotkeys.iter().map(String::as_str).take(6).collect();
            ("Cumulative PnL of each hotkey of the chain (scaled)".to_string(), shapes(panel, &hk, &[], None), None)
        }
        _ => return Ok(None),
    };
    if lines.is_empty() {
        return Ok(None);
    }
    let plot = Lines {
        title: title.clone(),
        panels: vec![ChartPanel {
            title: String::new(),
            x_label,
            y_label: if bars.is_some() || f.pattern == "whale-compression" {
                "USD".into()
            } else {
                "share of its largest |value|".into()
            },
            lines,
            x_format: None,
            markers: Vec::new(),
            bars,
        }],
    };
    Ok(Some(render(&plot, dir, f.pattern, (1000, 380))?))
}

/// An HTML table: the header, then the rows (every cell escaped), then an optional last
/// row spanning the table.
fn table(o: &mut String, class: &str, head: &[&str], rows: &[Vec<String>], footer: Option<String>) {
    let cells = |tag: &str, r: &[String]| r.iter().map(|c| format!("<{tag}>{}</{tag}>", esc(c))).collect::<String>();
    let head: Vec<String> = head.iter().map(|h| h.to_string()).collect();
    let _ = writeln!(o, "<table{class}>\n<tr>{}</tr>", cells("th", &head));
    for r in rows {
        let _ = writeln!(o, "<tr>{}</tr>", cells("td", r));
    }
    if let Some(f) = footer {
        let _ = writeln!(o, "<tr><td colspan=\"{}\">{}</td></tr>", head.len(), esc(&f));
    }
    let _ = writeln!(o, "</table>");
}

/// Writes `detect.html` (and its charts under `charts/`) into `dir`; returns the files written.
pub fn write(dir: &Path, page: &Page) -> anyhow::Result<Vec<String>> {
    let charts_dir = dir.join("charts");
    std::fs::create_dir_all(&charts_dir)?;
    let mut files = Vec::new();
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        esc(&page.title),
        esc(&page.title)
    );
    if let Some(p) = page.panel {
        let _ = writeln!(
            o,
            "<p class=\"meta\">{} miners as of {}; {} finding(s). Nothing about a hotkey's name is read: only PnL series, buckets, collateral and timing.</p>",
            p.miners.len(),
            format_ms(p.at),
            page.findings.len()
        );
    }
    if let Some(eval) = page.evaluation {
        let runs = eval.first().map(|e| e.runs).unwrap_or(0);
        let _ = writeln!(
            o,
            "<h2>How well each detector finds the simulated adversaries ({runs} runs)</h2>\n<p>Each run: the scenario's population with its adversaries (twins left out), every hotkey renamed to a random SS58 address, detection as of the newest checkpoint. Precision and recall count adversary hotkeys; the false-positive rate is on the same population without adversaries.</p>"
        );
        let rows: Vec<Vec<String>> = eval
            .iter()
            .map(|e| {
                vec![
                    e.pattern.clone(),
                    format!("{:.1}", e.planted_per_run),
                    band(&e.recall),
                    band(&e.precision),
                    e.runs_without_flags.to_string(),
                    band(&e.honest_fp_per_100),
                ]
            })
            .collect();
        let head = [
            "pattern",
            "planted per run",
            "recall [5–95%]",
            "precision [5–95%]",
            "runs flagging nothing",
            "false positives per 100 honest miners [5–95%]",
        ];
        table(&mut o, "", &head, &rows, None);
    }
    if let Some(scores) = page.scores {
        let _ = writeln!(o, "<h2>Against the truth file</h2>");
        let rows: Vec<Vec<String>> = scores
            .iter()
            .map(|s| {
                vec![
                    s.pattern.clone(),
                    s.planted.to_string(),
                    s.flagged.to_string(),
                    s.hits.to_string(),
                    opt(s.precision),
                    opt(s.recall),
                    format!("{:.2}", s.false_positives_per_100),
                ]
            })
            .collect();
        let head = ["pattern", "planted", "flagged", "hits", "precision", "recall", "honest flagged per 100"];
        table(&mut o, "", &head, &rows, None);
    }
    for p in PATTERNS {
        let mine: Vec<&Finding> = page.findings.iter().filter(|f| f.pattern == *p).collect();
        let _ = writeln!(o, "<h2 id=\"{p}\">{p}: {} finding(s)</h2>", mine.len());
        let _ = writeln!(o, "<p><b>Looks at:</b> {}.</p>", esc(&looks_at(p, page.knobs)));
        if page.panel.is_none() {
            continue;
        }
        if mine.is_empty() {
            let _ = writeln!(o, "<p>Nothing above the threshold.</p>");
            continue;
        }
        let rows: Vec<Vec<String>> = mine
            .iter()
            .take(25)
            .map(|f| {
                vec![
                    f.hotkeys.join("; "),
                    format!("{:.3}", f.score),
                    format_date(f.first_seen_ms),
                    format_date(f.last_seen_ms),
                    f.evidence.clone(),
                ]
            })
            .collect();
        let more = (mine.len() > 25).then(|| format!("… and {} more in detections.csv", mine.len() - 25));
        let head = ["hotkeys", "score", "first seen", "last seen", "evidence"];
        table(&mut o, " class=\"prose\"", &head, &rows, more);
        if let Some(panel) = page.panel
            && let Some(svg) = chart(panel, mine[0], &charts_dir)?
        {
            let _ = writeln!(
                o,
                "<figure>\n{}\n<figcaption>The strongest finding.</figcaption>\n</figure>",
                inline_svg(&svg)
            );
            files.push(format!("charts/{p}.svg"));
            files.push(format!("charts/{p}.png"));
        }
    }
    let _ = writeln!(o, "<h2>Knobs</h2>\n<pre>{}</pre>\n</body>\n</html>", esc(&toml::to_string(page.knobs)?));
    std::fs::write(dir.join("detect.html"), o)?;
    files.push("detect.html".into());
    Ok(files)
}
