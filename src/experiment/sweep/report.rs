//! The sweep's report: heatmaps of metrics over two-knob slices, the Pareto front listed and
//! plotted, and the best variant's configuration. `sweep_report.html` is self-contained.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use super::spec::{Param, Variant};
use super::table::SweepRow;
use crate::report::charts::{Heatmap, Scatter, render};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn fmt_param(p: &Param) -> String {
    match p {
        Param::Number(x) => format!("{x}"),
        Param::Text(s) => s.clone(),
    }
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
    // Heatmaps: the first two knobs, every other knob and run averaged.
    if pick.len() == 2 {
        let (k0, k1) = (pick[0], pick[1]);
        let values = |k: usize| {
            let mut v: Vec<String> = variants.iter().map(|x| fmt_param(&x.params[k].1)).collect();
            let numeric = variants.iter().all(|x| matches!(x.params[k].1, Param::Number(_)));
            v.dedup();
            v.sort_by(|a, b| {
                if numeric {
                    a.parse::<f64>().unwrap_or(0.0).total_cmp(&b.parse::<f64>().unwrap_or(0.0))
                } else {
                    a.cmp(b)
                }
            });
            v.dedup();
            v
        };
        let (xs, ys) = (values(k0), values(k1));
        if xs.len() <= 40 && ys.len() <= 40 {
            for metric in &metrics {
                let means = per_variant(rows, metric);
                let metric: &str = metric;
                let mut cells = vec![vec![(0.0, 0usize); xs.len()]; ys.len()];
                for v in variants {
                    let (x, y) = (fmt_param(&v.params[k0].1), fmt_param(&v.params[k1].1));
                    if let (Some(xi), Some(yi), Some(m)) =
                        (xs.iter().position(|a| *a == x), ys.iter().position(|a| *a == y), means.get(&(v.index as u32)))
                    {
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
                        x_label: knobs[0].clone(),
                        y_label: knobs[1].clone(),
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
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>dustlab sweep: {n}</title>\n<style>body{{font-family:Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto}}table{{border-collapse:collapse;font-size:.85em}}th,td{{border:1px solid #999;padding:.2em .5em}}svg{{max-width:100%;height:auto}}pre{{background:#f4f4f4;padding:.8em}}</style>\n</head>\n<body>\n<h1>dustlab sweep: {n}</h1>\n<p>{v} variants, {r} rows. The Pareto front maximises alignment and minimises exploitability, churn and burn share (means over runs).</p>\n",
        n = esc(name),
        v = variants.len(),
        r = rows.len()
    );
    let mut md =
        format!("# dustlab sweep: {name}\n\n{} variants, {} rows.\n\n## Pareto front\n\n", variants.len(), rows.len());
    let _ = writeln!(
        html,
        "<h2>Pareto front</h2>\n<table>\n<tr><th>variant</th><th>verdict</th>{}<th>alignment</th><th>{}</th></tr>",
        knobs.iter().map(|k| format!("<th>{}</th>", esc(k))).collect::<String>(),
        esc(second)
    );
    let _ = writeln!(
        md,
        "| variant | verdict | {} | alignment | {second} |\n|{}",
        knobs.join(" | "),
        " --- |".repeat(knobs.len() + 4)
    );
    for v in variants.iter().filter(|v| front.contains(&v.policy.name)) {
        let params: Vec<String> = v.params.iter().map(|p| fmt_param(&p.1)).collect();
        let (x, y) = point(v).unwrap_or((f64::NAN, f64::NAN));
        let word = verdicts.get(&v.policy.name).map(String::as_str).unwrap_or("-");
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td><b>{}</b></td>{}<td>{x:.4}</td><td>{y:.4}</td></tr>",
            v.policy.name,
            esc(&word.to_uppercase()),
            params.iter().map(|p| format!("<td>{}</td>", esc(p))).collect::<String>()
        );
        let _ =
            writeln!(md, "| {} | {} | {} | {x:.4} | {y:.4} |", v.policy.name, word.to_uppercase(), params.join(" | "));
    }
    let _ = writeln!(html, "</table>");
    let count = |w: &str| verdicts.values().filter(|v| v.as_str() == w).count();
    let counts = format!(
        "Verdicts against the baseline (means over runs): {} better, {} trade-off, {} worse, {} infeasible.",
        count("better"),
        count("trade-off"),
        count("worse"),
        count("infeasible")
    );
    let _ = writeln!(html, "<p>{}</p>\n<ul>", esc(&counts));
    let _ = writeln!(md, "\n{counts}\n");
    for r in crate::metrics::verdict::rules() {
        let _ = writeln!(html, "<li>{}</li>", esc(&r));
        let _ = writeln!(md, "- {r}");
    }
    let _ = writeln!(html, "</ul>");
    if front.is_empty() {
        let _ = writeln!(html, "<p><b>No feasible variant</b>: every variant breaks a hard constraint (below).</p>");
        let _ = writeln!(md, "\n**No feasible variant**: every variant breaks a hard constraint (below).");
    }
    let _ = writeln!(
        html,
        "<h2>Infeasible variants ({})</h2>\n<p>A variant that breaks the bucket hierarchy (a lower bucket's best dust above a higher bucket's worst) or pays a negative weight is never on the front nor best.toml.</p>",
        infeasible.len()
    );
    let _ = writeln!(
        md,
        "\n## Infeasible variants ({})\n\nA variant that breaks the bucket hierarchy (a lower bucket's best dust above a higher bucket's worst) or pays a negative weight is never on the front nor best.toml.\n",
        infeasible.len()
    );
    if !infeasible.is_empty() {
        let _ = writeln!(html, "<table>\n<tr><th>variant</th><th>why</th></tr>");
        let _ = writeln!(md, "| variant | why |\n| --- | --- |");
        for (n, why) in infeasible {
            let _ = writeln!(html, "<tr><td>{}</td><td>{}</td></tr>", esc(n), esc(why));
            let _ = writeln!(md, "| {n} | {why} |");
        }
        let _ = writeln!(html, "</table>");
    }
    for (i, (title, svg)) in svgs.iter().enumerate() {
        let svg = svg.trim_start_matches(|c| c != '<');
        let svg = if svg.starts_with("<?xml") { &svg[svg.find("?>").map(|i| i + 2).unwrap_or(0)..] } else { svg };
        let _ = writeln!(html, "<h2>{}</h2>\n{}", esc(title), svg.trim());
        let file = if i + 1 == svgs.len() { "pareto".to_string() } else { format!("heatmap_{}", metrics[i]) };
        let _ = writeln!(md, "\n## {title}\n\n![{title}](charts/{file}.png)\n");
    }
    if let Some(t) = best_toml {
        let _ = writeln!(html, "<h2>Best variant (best.toml)</h2>\n<pre>{}</pre>", esc(t));
        let _ = writeln!(md, "\n## Best variant (best.toml)\n\n```toml\n{}\n```", t.trim_end());
    }
    let _ = writeln!(html, "</body>\n</html>");
    std::fs::write(dir.join("sweep_report.html"), html)?;
    std::fs::write(dir.join("sweep_report.md"), md)?;
    Ok(())
}
