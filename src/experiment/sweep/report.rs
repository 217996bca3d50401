//! The sweep's report: heatmaps of metrics over two-knob slices, the Pareto front listed and
//! plotted, and the best variant's configuration. `sweep_report.html` is self-contained.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use super::spec::{Param, Variant};
use super::table::SweepRow;
use crate::report::charts::{Heatmap, Scatter, decimals_for_spread, render};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn fmt_param(p: &Param) -> String {
    match p {
        Param::Number(x) => format!("{x}"),
        Param::Text(s) => s.clone(),
    }
}

/// A knob's value as a reader compares it: four significant digits (a random sweep draws
/// continuous values; their seventeen digits only hid the knob's magnitude).
fn show_param(p: &Param) -> String {
    match p {
        Param::Number(x) => significant(*x, 4),
        Param::Text(s) => s.clone(),
    }
}

fn significant(x: f64, digits: i32) -> String {
    if x == 0.0 || !x.is_finite() || x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{x}");
    }
    let decimals = (digits - 1 - x.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// Where each numeric knob lies among feasible and among infeasible variants: the region of
/// the space a hard constraint rules out, at a glance.
fn knob_ranges(knobs: &[String], variants: &[Variant], infeasible: &[(String, String)]) -> Vec<[String; 3]> {
    let range = |k: usize, bad: bool| {
        let xs: Vec<f64> = variants
            .iter()
            .filter(|v| infeasible.iter().any(|(n, _)| *n == v.policy.name) == bad)
            .filter_map(|v| match v.params[k].1 {
                Param::Number(x) => Some(x),
                Param::Text(_) => None,
            })
            .collect();
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if xs.is_empty() { "—".to_string() } else { format!("{} – {}", significant(lo, 4), significant(hi, 4)) }
    };
    (0..knobs.len())
        .filter(|&k| variants.iter().all(|v| matches!(v.params[k].1, Param::Number(_))))
        .map(|k| [knobs[k].clone(), range(k, false), range(k, true)])
        .collect()
}

/// Text values beyond this many on an axis make no readable heatmap.
const MAX_CATEGORIES: usize = 40;
/// A numeric knob with more distinct values than this is cut into bins.
const MAX_NUMBERS: usize = 12;
/// Bins of equal count for a numeric knob drawn at random (a random sweep's knobs take a
/// different value in every variant: one column per value drew no heatmap at all).
const BINS: usize = 8;

/// A heatmap axis over one knob: its labels, and the label each variant falls under.
struct Axis {
    labels: Vec<String>,
    /// Per variant (in order), its label's index.
    index: Vec<Option<usize>>,
    binned: bool,
}

impl Axis {
    fn title(&self, knob: &str) -> String {
        if self.binned { format!("{knob} (bins of equal count)") } else { knob.to_string() }
    }
}

fn axis(variants: &[Variant], k: usize) -> Axis {
    let numbers: Option<Vec<f64>> = variants
        .iter()
        .map(|v| match v.params[k].1 {
            Param::Number(x) => Some(x),
            Param::Text(_) => None,
        })
        .collect();
    let exact = |labels: Vec<String>| {
        let index = variants.iter().map(|v| labels.iter().position(|a| *a == fmt_param(&v.params[k].1))).collect();
        Axis { labels, index, binned: false }
    };
    let Some(numbers) = numbers else {
        let mut labels: Vec<String> = variants.iter().map(|v| fmt_param(&v.params[k].1)).collect();
        labels.sort();
        labels.dedup();
        return exact(labels);
    };
    let mut sorted = numbers.clone();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    if sorted.len() <= MAX_NUMBERS {
        return exact(sorted.iter().map(|x| fmt_param(&Param::Number(*x))).collect());
    }
    // Upper edges at equal-count cut points of the distinct values; bin i holds (edge i−1, edge i].
    let mut edges: Vec<f64> = (1..=BINS).map(|i| sorted[(i * sorted.len()).div_ceil(BINS) - 1]).collect();
    edges.dedup();
    let bin = |x: f64| edges.partition_point(|e| *e < x).min(edges.len() - 1);
    let labels = (0..edges.len())
        .map(|i| {
            let lo = sorted.iter().copied().find(|&x| bin(x) == i).unwrap_or(edges[i]);
            format!("{}–{}", significant(lo, 3), significant(edges[i], 3))
        })
        .collect();
    Axis { labels, index: numbers.iter().map(|&x| Some(bin(x))).collect(), binned: true }
}

/// Mean of a metric per variant, over runs (NaN ignored).
fn per_variant(rows: &[SweepRow], metric: &str) -> BTreeMap<u32, f64> {
    let mut acc: BTreeMap<u32, (f64, usize)> = BTreeMap::new();
    for r in rows {
        if let Some(v) = r.metrics.get(metric).copied().filter(|v| v.is_finite()) {
            let e = acc.entry(r.variant_index).or_default();
            e.0 += v;
            e.1 += 1;
        }
    }
    acc.into_iter().map(|(k, (s, n))| (k, s / n as f64)).collect()
}

/// Which heatmaps to draw: metrics, and the two knobs of the slice.
pub struct HeatmapSpec<'a> {
    pub metrics: Option<&'a [String]>,
    pub slice: Option<&'a [String]>,
}

/// The feasible Pareto front and the infeasible variants with the reason.
#[derive(Clone, Copy)]
pub struct Front<'a> {
    pub pareto: &'a [String],
    pub infeasible: &'a [(String, String)],
    /// Each variant's verdict against the baseline.
    pub verdicts: &'a BTreeMap<String, String>,
}

pub fn write(
    dir: &Path,
    name: &str,
    rows: &[SweepRow],
    variants: &[Variant],
    front: &Front,
    best_toml: Option<&str>,
    heat: &HeatmapSpec,
) -> anyhow::Result<()> {
    let Front { pareto: front, infeasible, verdicts } = *front;
    let charts_dir = dir.join("charts");
    std::fs::create_dir_all(&charts_dir)?;
    let knobs: Vec<String> =
        variants.first().map(|v| v.params.iter().map(|p| p.0.clone()).collect()).unwrap_or_default();
    let has_adversaries = rows.iter().any(|r| r.metrics.get("exploitability_pct").is_some_and(|v| v.is_finite()));
    let metrics: Vec<String> = match heat.metrics {
        Some(m) => m.to_vec(),
        None => {
            let mut m = vec!["reward_score_spearman".to_string(), "churn".into(), "burn_share".into()];
            if has_adversaries {
                m.insert(1, "exploitability_pct".into());
            }
            m
        }
    };
    for m in &metrics {
        if !rows.iter().any(|r| r.metrics.contains_key(m)) {
            return Err(crate::error::InputError::Usage(format!(
                "[sweep] heatmaps: no metric {m:?} in the sweep table"
            ))
            .into());
        }
    }
    // The slice: two knobs, by name (default: the first two swept).
    let pick: Vec<usize> = match heat.slice {
        Some(s) => s
            .iter()
            .map(|k| {
                knobs.iter().position(|x| x == k).ok_or_else(|| {
                    crate::error::InputError::Usage(format!(
                        "[sweep] slice: {k:?} is not a swept knob ({})",
                        knobs.join(", ")
                    ))
                })
            })
            .collect::<Result<_, _>>()?,
        None => (0..knobs.len().min(2)).collect(),
    };
    let mut svgs: Vec<(String, String)> = Vec::new();
    let mut skipped_heatmaps: Option<String> = None;
    // Heatmaps: the first two knobs, every other knob and run averaged.
    if pick.len() == 2 {
        let (k0, k1) = (pick[0], pick[1]);
        let (xa, ya) = (axis(variants, k0), axis(variants, k1));
        let (xs, ys) = (xa.labels.clone(), ya.labels.clone());
        if xs.len() > MAX_CATEGORIES || ys.len() > MAX_CATEGORIES {
            skipped_heatmaps = Some(format!(
                "No heatmap: {} has {} values and {} has {} (at most {MAX_CATEGORIES} text values fit an axis).",
                knobs[k0],
                xs.len(),
                knobs[k1],
                ys.len()
            ));
        } else {
            for metric in &metrics {
                let means = per_variant(rows, metric);
                let metric: &str = metric;
                let mut cells = vec![vec![(0.0, 0usize); xs.len()]; ys.len()];
                for (i, v) in variants.iter().enumerate() {
                    if let (Some(xi), Some(yi), Some(m)) = (xa.index[i], ya.index[i], means.get(&(v.index as u32))) {
                        cells[yi][xi].0 += m;
                        cells[yi][xi].1 += 1;
                    }
                }
                let cells = cells
                    .into_iter()
                    .map(|r| r.into_iter().map(|(s, n)| if n > 0 { Some(s / n as f64) } else { None }).collect())
                    .collect();
                let title = format!("{metric} by {} × {}", knobs[k0], knobs[k1]);
                let chart_name = format!("heatmap_{metric}");
                let svg = render(
                    &Heatmap {
                        title: title.clone(),
                        x_label: xa.title(&knobs[k0]),
                        y_label: ya.title(&knobs[k1]),
                        x_values: xs.clone(),
                        y_values: ys.clone(),
                        cells,
                    },
                    &charts_dir,
                    &chart_name,
                    (900, 600),
                )?;
                svgs.push((title, svg));
            }
        }
    }
    // Pareto front: alignment against the second objective.
    let second = if has_adversaries { "exploitability_pct" } else { "churn" };
    let (a, b) = (per_variant(rows, "reward_score_spearman"), per_variant(rows, second));
    let point = |v: &Variant| Some((*a.get(&(v.index as u32))?, *b.get(&(v.index as u32))?));
    let is_infeasible = |v: &Variant| infeasible.iter().any(|(n, _)| *n == v.policy.name);
    let on: Vec<(f64, f64)> = variants.iter().filter(|v| front.contains(&v.policy.name)).filter_map(point).collect();
    let off: Vec<(f64, f64)> =
        variants.iter().filter(|v| !front.contains(&v.policy.name) && !is_infeasible(v)).filter_map(point).collect();
    let bad: Vec<(f64, f64)> = variants.iter().filter(|v| is_infeasible(v)).filter_map(point).collect();
    let title = format!("Pareto front: alignment against {second}");
    let svg = render(
        &Scatter {
            title: title.clone(),
            x_label: "Spearman(window score, final weight), mean over steps".into(),
            y_label: second.replace('_', " "),
            panels: vec![(
                String::new(),
                vec![("dominated".into(), off), ("Pareto front".into(), on), ("infeasible".into(), bad)],
            )],
        },
        &charts_dir,
        "pareto",
        (900, 600),
    )?;
    svgs.push((title, svg));

    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>dustlab sweep: {n}</title>\n<style>body{{font-family:Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto}}table{{border-collapse:collapse;font-size:.85em}}th,td{{border:1px solid #999;padding:.2em .5em}}svg{{max-width:100%;height:auto}}pre{{background:#f4f4f4;padding:.8em;white-space:pre-wrap;overflow-wrap:anywhere}}</style>\n</head>\n<body>\n<h1>dustlab sweep: {n}</h1>\n<p>{v} variants, {r} rows. The Pareto front maximises alignment and minimises exploitability, churn and burn share (means over runs).</p>\n",
        n = esc(name),
        v = variants.len(),
        r = rows.len()
    );
    let mut md = format!("# dustlab sweep: {name}\n\n{} variants, {} rows.\n\n", variants.len(), rows.len());
    // The answer first: how the variants fare against the baseline, and by which rules.
    let count = |w: &str| verdicts.values().filter(|v| v.as_str() == w).count();
    let counts = format!(
        "Verdicts against the baseline (means over runs): {} better, {} trade-off, {} worse, {} infeasible.",
        count("better"),
        count("trade-off"),
        count("worse"),
        count("infeasible")
    );
    let _ = writeln!(html, "<p><b>{}</b></p>\n<ul>", esc(&counts));
    let _ = writeln!(md, "**{counts}**\n");
    for r in crate::metrics::verdict::rules() {
        let _ = writeln!(html, "<li>{}</li>", esc(&r));
        let _ = writeln!(md, "- {r}");
    }
    let _ = writeln!(html, "</ul>");
    let _ = writeln!(md, "\n## Pareto front\n");
    let _ = writeln!(
        html,
        "<h2>Pareto front</h2>\n<p>Better first, then by alignment. Knob values to four significant digits (sweep.csv has them in full).</p>\n<table>\n<tr><th>variant</th><th>verdict</th>{}<th>alignment</th><th>{}</th></tr>",
        knobs.iter().map(|k| format!("<th>{}</th>", esc(k))).collect::<String>(),
        esc(second)
    );
    let _ = writeln!(
        md,
        "Better first, then by alignment. Knob values to four significant digits (sweep.csv has them in full).\n\n| variant | verdict | {} | alignment | {second} |\n|{}",
        knobs.join(" | "),
        " --- |".repeat(knobs.len() + 4)
    );
    let rank = |w: &str| ["better", "trade-off", "worse"].iter().position(|x| *x == w).unwrap_or(3);
    let mut listed: Vec<(&Variant, &str, (f64, f64))> = variants
        .iter()
        .filter(|v| front.contains(&v.policy.name))
        .map(|v| {
            let word = verdicts.get(&v.policy.name).map(String::as_str).unwrap_or("-");
            (v, word, point(v).unwrap_or((f64::NAN, f64::NAN)))
        })
        .collect();
    listed.sort_by(|a, b| rank(a.1).cmp(&rank(b.1)).then(b.2.0.total_cmp(&a.2.0)));
    let dx = decimals_for_spread(&listed.iter().map(|l| l.2.0).collect::<Vec<_>>(), 4);
    let dy = decimals_for_spread(&listed.iter().map(|l| l.2.1).collect::<Vec<_>>(), 4);
    for (v, word, (x, y)) in &listed {
        let params: Vec<String> = v.params.iter().map(|p| show_param(&p.1)).collect();
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td><b>{}</b></td>{}<td>{x:.dx$}</td><td>{y:.dy$}</td></tr>",
            v.policy.name,
            esc(&word.to_uppercase()),
            params.iter().map(|p| format!("<td>{}</td>", esc(p))).collect::<String>()
        );
        let _ = writeln!(
            md,
            "| {} | {} | {} | {x:.dx$} | {y:.dy$} |",
            v.policy.name,
            word.to_uppercase(),
            params.join(" | ")
        );
    }
    let _ = writeln!(html, "</table>");
    if front.is_empty() {
        let _ = writeln!(html, "<p><b>No feasible variant</b>: every variant breaks a hard constraint (below).</p>");
        let _ = writeln!(md, "\n**No feasible variant**: every variant breaks a hard constraint (below).");
    }
    if let Some(why) = &skipped_heatmaps {
        let _ = writeln!(html, "<p>{}</p>", esc(why));
        let _ = writeln!(md, "\n{why}");
    }
    for (i, (title, svg)) in svgs.iter().enumerate() {
        let svg = svg.trim_start_matches(|c| c != '<');
        let svg = if svg.starts_with("<?xml") { &svg[svg.find("?>").map(|i| i + 2).unwrap_or(0)..] } else { svg };
        let _ = writeln!(html, "<h2>{}</h2>\n{}", esc(title), svg.trim());
        let file = if i + 1 == svgs.len() { "pareto".to_string() } else { format!("heatmap_{}", metrics[i]) };
        let _ = writeln!(md, "\n## {title}\n\n![{title}](charts/{file}.png)\n");
    }
    write_infeasible(&mut html, &mut md, &knobs, variants, infeasible);
    if let Some(t) = best_toml {
        let _ = writeln!(html, "<h2>Best variant (best.toml)</h2>\n<pre>{}</pre>", esc(t));
        let _ = writeln!(md, "\n## Best variant (best.toml)\n\n```toml\n{}\n```", t.trim_end());
    }
    let _ = writeln!(html, "</body>\n</html>");
    std::fs::write(dir.join("sweep_report.html"), html)?;
    std::fs::write(dir.join("sweep_report.md"), md)?;
    Ok(())
}

/// The infeasible variants, after the evidence: which knob ranges they occupy, the reasons
/// with their counts, and every name (folded in the HTML: a random sweep can have hundreds).
fn write_infeasible(
    html: &mut String,
    md: &mut String,
    knobs: &[String],
    variants: &[Variant],
    infeasible: &[(String, String)],
) {
    let rule = "A variant that breaks the bucket hierarchy (a lower bucket's best dust above a higher bucket's worst) or pays a negative weight is never on the front nor best.toml.";
    let _ = writeln!(html, "<h2>Infeasible variants ({})</h2>\n<p>{}</p>", infeasible.len(), esc(rule));
    let _ = writeln!(md, "\n## Infeasible variants ({})\n\n{rule}\n", infeasible.len());
    if infeasible.is_empty() {
        return;
    }
    let ranges = knob_ranges(knobs, variants, infeasible);
    if !ranges.is_empty() {
        let _ = writeln!(html, "<table>\n<tr><th>knob</th><th>feasible variants</th><th>infeasible variants</th></tr>");
        let _ = writeln!(md, "| knob | feasible variants | infeasible variants |\n| --- | --- | --- |");
        for [k, ok, bad] in &ranges {
            let _ = writeln!(html, "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", esc(k), esc(ok), esc(bad));
            let _ = writeln!(md, "| {k} | {ok} | {bad} |");
        }
        let _ = writeln!(html, "</table>");
        let _ = writeln!(md);
    }
    // Reasons in order of first appearance, each with the variants that give it.
    let mut reasons: Vec<(&str, Vec<&str>)> = Vec::new();
    for (n, why) in infeasible {
        match reasons.iter_mut().find(|r| r.0 == why) {
            Some(r) => r.1.push(n),
            None => reasons.push((why, vec![n])),
        }
    }
    for (why, names) in &reasons {
        let _ = writeln!(
            html,
            "<details><summary>{} {}: {}</summary><p>{}</p></details>",
            names.len(),
            if names.len() == 1 { "variant" } else { "variants" },
            esc(why),
            esc(&names.join(", "))
        );
        let _ = writeln!(md, "- {} × {why}: {}", names.len(), names.join(", "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knob_values_show_four_significant_digits() {
        assert_eq!(significant(0.9652239996095505, 4), "0.9652");
        assert_eq!(significant(0.50709, 4), "0.5071");
        assert_eq!(significant(0.8139998, 4), "0.814");
        assert_eq!(significant(50.0, 4), "50");
        assert_eq!(significant(123.456, 4), "123.5");
        assert_eq!(significant(0.000123456, 4), "0.0001235");
        assert_eq!(significant(-2.5, 4), "-2.5");
    }

    #[test]
    fn knob_ranges_split_feasible_from_infeasible() {
        let v = |i: usize, w: f64| {
            let mut policy = crate::policy::preset("ptn-dynamic").unwrap();
            policy.name = format!("v{i}");
            Variant {
                index: i,
                policy,
                params: vec![("ceiling_width".into(), Param::Number(w)), ("k".into(), Param::Text("max".into()))],
            }
        };
        let variants = vec![v(0, 0.5), v(1, 0.75), v(2, 1.5), v(3, 3.25)];
        let bad = vec![("v2".to_string(), "x".to_string()), ("v3".to_string(), "x".to_string())];
        let knobs = vec!["ceiling_width".to_string(), "k".to_string()];
        let r = knob_ranges(&knobs, &variants, &bad);
        assert_eq!(r, vec![["ceiling_width".to_string(), "0.5 – 0.75".to_string(), "1.5 – 3.25".to_string()]]);
    }
    #[test]
    fn a_random_knob_is_cut_into_bins_of_equal_count() {
        let v = |i: usize, w: f64| {
            let mut policy = crate::policy::preset("ptn-dynamic").unwrap();
            policy.name = format!("v{i}");
            Variant { index: i, policy, params: vec![("ceiling_width".into(), Param::Number(w))] }
        };
        // 16 distinct values 0.5, 0.75, …, 4.25: eight bins of two.
        let variants: Vec<Variant> = (0..16).map(|i| v(i, 0.5 + 0.25 * i as f64)).collect();
        let a = axis(&variants, 0);
        assert!(a.binned);
        assert_eq!(a.labels.len(), 8);
        assert_eq!(a.labels[0], "0.5–0.75");
        assert_eq!(a.labels[7], "4–4.25");
        assert_eq!(a.index[0], Some(0));
        assert_eq!(a.index[1], Some(0));
        assert_eq!(a.index[2], Some(1));
        assert_eq!(a.index[15], Some(7));
        assert_eq!(a.title("ceiling_width"), "ceiling_width (bins of equal count)");
        // Few values stay one column each.
        let few: Vec<Variant> = (0..4).map(|i| v(i, [7.0, 30.0, 14.0, 7.0][i])).collect();
        let a = axis(&few, 0);
        assert!(!a.binned);
        assert_eq!(a.labels, ["7", "14", "30"]);
        assert_eq!(a.index, [Some(0), Some(2), Some(1), Some(0)]);
    }
}
