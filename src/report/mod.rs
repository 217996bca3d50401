//! The incentive-alignment report: `report.html` (self-contained, charts inline as SVG),
//! `report.md` with PNG charts beside it, `summary.json` with every metric, and
//! `charts/*.svg|png`. Built from a run directory's tables, so `dustlab report DIR` can
//! rebuild it (another day, a subset of policies) without rerunning the replay.

pub mod charts;
pub mod console;
pub mod data;
pub mod detect;
mod document;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use anyhow::Context;

use crate::error::InputError;
use crate::metrics::adversary::{self as outcome, OutcomeSummary};
use crate::metrics::policy::{ColumnRows, PolicyMetrics, StepCols, policy_metrics_ordered};
use crate::notes::Notes;
use crate::policy::{DustPolicy, preset};
use crate::time::{MS_PER_DAY, format_date, format_ms};
use charts::{Bars, Lines, Panel, Plot, Scatter, render};
use data::RunDir;

#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// The day of the score-vs-dust scatter and the histograms (default: the last step).
    pub day: Option<i64>,
    /// Only these policies (default: all).
    pub policies: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputDigest {
    pub path: String,
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reproducibility {
    pub dustlab_version: String,
    pub command_line: String,
    pub seed: Option<u64>,
    pub runs: Option<u64>,
    pub inputs: Vec<InputDigest>,
    pub scenario_text: Option<String>,
}

/// One policy's payout mix under one release: where dust matters in each era.
#[derive(Debug, Clone, Serialize)]
pub struct EraRow {
    pub release: String,
    pub policy: String,
    pub steps: usize,
    /// Mean over the era's steps of the weight paid as dust (payout = dust weight).
    pub dust_share: f64,
    /// Mean burn weight.
    pub burn_share: f64,
    pub reward_usd_miners: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub scenario: String,
    /// One verdict per candidate against the baseline: the report's first section.
    pub verdicts: Vec<crate::metrics::verdict::Verdict>,
    pub verdict_rules: Vec<String>,
    /// How to test exploitability when the run had no adversaries.
    pub exploitability_hint: Option<String>,
    pub baseline: String,
    pub first_step_ms: i64,
    pub last_step_ms: i64,
    pub steps: usize,
    pub day_ms: i64,
    pub executive_summary: Vec<String>,
    pub policies: Vec<PolicyMetrics>,
    pub adversaries: Vec<OutcomeSummary>,
    /// Every warning and fallback the run took (from `run.json`).
    pub data_notes: Notes,
    /// Closed loop or open loop (`run.json` "feedback").
    pub feedback: Option<String>,
    /// Who was scored at each step (`run.json` "present_rule").
    pub present_rule: Option<String>,
    /// The baseline's simulated payments against the recorded ones (`run.json`).
    pub emission_fidelity: Option<serde_json::Value>,
    /// Per release in force and policy: dust and burn shares (runs paid by `production`).
    pub eras: Vec<EraRow>,
    /// Monte Carlo: per policy and metric, mean and 5–95% band over every run (`run.json`).
    pub over_runs: Option<serde_json::Value>,
    /// A synthetic population's calibration against the real subnet (`run.json`).
    pub calibration: Option<CalibrationSection>,
    /// The detectors over the replayed ledgers (`run.json` "gaming_watch"), file replays only.
    pub gaming_watch: Option<serde_json::Value>,
    /// Monte Carlo: every effect whose standard error exceeds a tenth of it (empty when the
    /// runs pin every effect down); None for a single replay.
    pub precision: Option<Vec<String>>,
    pub reproducibility: Reproducibility,
}

/// Where a synthetic population's calibration came from (run 0, or the file beside the
/// ledgers), and the calibration itself.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct CalibrationSection {
    pub source: String,
    pub calibration: crate::population::calibration::Calibration,
}

pub struct Chart {
    pub name: &'static str,
    pub title: String,
    pub caption: String,
    pub svg: String,
}

/// A chart laid out but not yet drawn: the report's charts are drawn side by side once all
/// are laid out (drawing each twice, as SVG and PNG, was a third of a replay's report).
struct Pending<'a> {
    name: &'static str,
    title: String,
    caption: String,
    svg: Draw<'a>,
}

/// Draws a chart and returns its SVG.
type Draw<'a> = Box<dyn FnOnce() -> anyhow::Result<String> + Send + 'a>;

/// `plot` to be drawn into `dir` (see [`render`]) when the report's charts are drawn.
fn later<'a, P: Plot + Send + 'a>(plot: P, dir: &'a Path, name: &'static str, size: (u32, u32)) -> Draw<'a> {
    Box::new(move || render(&plot, dir, name, size))
}

/// One policy's entries of a table column: the stretch of the table that holds them in order
/// where there is one (borrowed), else the entries at `idx`, gathered.
struct Taken<'i> {
    idx: &'i [usize],
    stretch: Option<std::ops::Range<usize>>,
}

impl Taken<'_> {
    fn of<'c, T: Copy>(&self, col: &'c [T]) -> std::borrow::Cow<'c, [T]> {
        match &self.stretch {
            Some(r) => col[r.clone()].into(),
            None => self.idx.iter().map(|&i| col[i]).collect::<Vec<T>>().into(),
        }
    }
}

/// What was written: the files (relative to the run folder) and the summary they show.
pub struct Written {
    pub files: Vec<String>,
    pub summary: Summary,
}

/// SHA-256 of a file, or of every file in a directory (sorted), as hex.
pub fn sha256_of(path: &Path) -> Option<String> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    // Streamed: a run hashes its inputs while it reads them, and a whole file's buffer (13 MB
    // for a year's `.json.gz`) would add to that stage's peak memory.
    let feed = |h: &mut Sha256, f: &Path| std::io::copy(&mut std::fs::File::open(f).ok()?, h).ok();
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path).ok()?.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for f in files.iter().filter(|f| f.is_file()) {
            h.update(f.file_name()?.to_string_lossy().as_bytes());
            feed(&mut h, f)?;
        }
    } else {
        feed(&mut h, path)?;
    }
    Some(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn days(ms: i64) -> f64 {
    ms as f64 / MS_PER_DAY as f64
}

fn date_label(x: f64) -> String {
    format_date((x * MS_PER_DAY as f64).round() as i64)
}

/// Builds and writes the report of a run directory.
pub fn build(dir: &Path, opts: &ReportOptions) -> anyhow::Result<Written> {
    build_with(dir, opts, None)
}

/// [`build`] with the run's steps table given where the caller still holds it.
pub fn build_with(
    dir: &Path,
    opts: &ReportOptions,
    steps: Option<&polars::prelude::DataFrame>,
) -> anyhow::Result<Written> {
    let run = RunDir::load_with(dir, steps)?;
    let st = &run.steps;
    // Policies in order of first appearance: the labels' own numbering.
    let mut order: Vec<&str> = st.policy.names().iter().map(String::as_str).collect();
    let run_baseline =
        order.first().map(|s| s.to_string()).ok_or_else(|| InputError::Usage("the run has no rows".into()))?;
    if let Some(want) = &opts.policies {
        for w in want {
            if !order.contains(&w.as_str()) {
                return Err(InputError::Usage(format!(
                    "--policies: no policy {w:?} in this run (it has: {})",
                    order.join(", ")
                ))
                .into());
            }
        }
        // The first policy named is the baseline every delta and sentence is measured against.
        order = Vec::new();
        for w in want {
            if !order.contains(&w.as_str()) {
                order.push(w.as_str());
            }
        }
    }
    let baseline = order[0].to_string();
    let policy_id = |name: &str| st.policy.id(name).expect("every policy of the order has rows");
    let baseline_id = policy_id(&baseline);
    let rows_of = |pid: u32| (0..st.policy.len()).filter(move |&i| st.policy.ids[i] == pid);
    let mut step_ms: Vec<i64> = st.at_ms.clone();
    step_ms.sort_unstable();
    step_ms.dedup();
    let step_of = |t: i64| step_ms.binary_search(&t).expect("every row's step is listed");
    // Dense ids for hotkeys and buckets, shared by every policy's rows: the labels' own.
    let (miner_names, row_miner) = (st.hotkey.names(), &st.hotkey.ids);
    let (bucket_names, row_bucket) = (st.bucket.names(), &st.bucket.ids);
    // Each row's step, and a dense (step, miner) cell for per-miner lookups across policies.
    let row_step: Vec<usize> = st.at_ms.iter().map(|&t| step_of(t)).collect();
    let cell = |i: usize| row_step[i] * miner_names.len() + row_miner[i] as usize;
    // Deltas against the chosen baseline: the table's are against the run's first policy.
    let (baseline_usd, delta_usd) = if baseline == run_baseline {
        (st.baseline_usd.clone(), st.delta_usd.clone())
    } else {
        let mut base = vec![0.0; step_ms.len() * miner_names.len()];
        for i in rows_of(baseline_id) {
            base[cell(i)] = st.reward_usd[i];
        }
        let b: Vec<f64> = (0..st.policy.len()).map(|i| base[cell(i)]).collect();
        let d = b.iter().zip(&st.reward_usd).map(|(b, r)| r - b).collect();
        (b, d)
    };
    // The burn is the row whose bucket is `burn` (the engine writes it so), never a name pattern.
    let burn_bucket = st.bucket.id("burn");
    let burn: Option<u32> = burn_bucket.and_then(|b| row_bucket.iter().position(|&x| x == b)).map(|i| row_miner[i]);
    let day_ms = match opts.day {
        None => *step_ms.last().expect("non-empty"),
        Some(d) => *step_ms.iter().rev().find(|t| **t <= d).ok_or_else(|| {
            InputError::Usage(format!("--day {} is before the first step {}", format_ms(d), format_ms(step_ms[0])))
        })?,
    };
    let day = step_of(day_ms);
    let policy_of = |name: &str| -> DustPolicy {
        run.policies.iter().find(|p| p.name == name).cloned().unwrap_or_else(|| preset("ptn-dynamic").expect("preset"))
    };
    let names = crate::metrics::policy::Names { miners: miner_names, buckets: bucket_names, burn };
    // The baseline's dust-paid reward per (step, miner), dense (a hash of (time, hotkey) per
    // row was most of the report's own work), for every policy's comparison.
    let mut baseline_dust = vec![0.0; step_ms.len() * miner_names.len()];
    for i in rows_of(baseline_id) {
        baseline_dust[cell(i)] =
            crate::metrics::policy::dust_paid(st.reward_usd[i], st.dust[i], st.payout[i], st.debt[i]);
    }
    let baseline_dust_paid: Vec<f64> = (0..st.policy.len()).map(|i| baseline_dust[cell(i)]).collect();
    let mut metrics = Vec::new();
    // Per policy, the chosen day's (bucket, window score, dust in DUST units) of each miner.
    type DayPoints = Vec<(String, f64, f64)>;
    let mut at_day: Vec<(String, DayPoints)> = Vec::new();
    for name in &order {
        let p = policy_of(name);
        let b = |bucket: &str| p.bounds(bucket);
        // The policy's rows in step order: a run's own table holds them as one stretch, read
        // where it lies; another order is gathered.
        let mut idx: Vec<usize> = rows_of(policy_id(name)).collect();
        idx.sort_by_key(|&i| row_step[i]);
        let stretch = idx.first().map(|&lo| lo..lo + idx.len()).filter(|r| idx.iter().copied().eq(r.clone()));
        let taken = Taken { idx: &idx, stretch };
        let (step_of_row, miner, bucket) = (taken.of(&row_step), taken.of(row_miner), taken.of(row_bucket));
        let cols = [
            &st.window_score,
            &st.dust,
            &st.payout,
            &st.final_w,
            &st.debt,
            &st.reward_alpha,
            &st.reward_usd,
            &delta_usd,
            &baseline_usd,
            &baseline_dust_paid,
        ]
        .map(|c| taken.of(c));
        let all = StepCols::of([&miner, &bucket], cols.each_ref().map(|c| &c[..]));
        let (window_score, dust) = (all.window_score, all.dust);
        at_day.push((
            name.to_string(),
            (0..idx.len())
                .filter(|&k| step_of_row[k] == day && Some(miner[k]) != names.burn)
                .map(|k| (bucket_names[bucket[k] as usize].clone(), window_score[k], dust[k] / p.dust))
                .collect(),
        ));
        let mut rows = ColumnRows::new(&step_of_row, all);
        metrics.push(policy_metrics_ordered(name, step_ms.len(), &mut rows, &names, &b, &[]));
    }
    let adversaries = outcome::summarize(
        &run.outcomes.iter().filter(|o| order.contains(&o.policy.as_str())).cloned().collect::<Vec<_>>(),
    );

    // Per release in force: each policy's dust and burn shares and miners' reward.
    let release_of: std::collections::HashMap<i64, String> = run.run["era_per_step"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .filter_map(|e| Some((e["at_ms"].as_i64()?, e["release"].as_str()?.to_string())))
        .collect();
    let mut eras: Vec<EraRow> = Vec::new();
    if !release_of.is_empty() {
        let mut releases: Vec<String> = Vec::new();
        for t in &step_ms {
            if let Some(r) = release_of.get(t)
                && !releases.contains(r)
            {
                releases.push(r.clone());
            }
        }
        for release in &releases {
            let steps: Vec<i64> = step_ms.iter().copied().filter(|t| release_of.get(t) == Some(release)).collect();
            for name in &order {
                let (mut dust, mut burn_w, mut usd) = (0.0, 0.0, 0.0);
                for i in rows_of(policy_id(name)).filter(|&i| release_of.get(&st.at_ms[i]) == Some(release)) {
                    if Some(st.bucket.ids[i]) == burn_bucket {
                        burn_w += st.final_w[i];
                    } else {
                        usd += st.reward_usd[i];
                        if st.payout[i] == st.dust[i] {
                            dust += st.final_w[i];
                        }
                    }
                }
                let n = steps.len().max(1) as f64;
                eras.push(EraRow {
                    release: release.clone(),
                    policy: name.to_string(),
                    steps: steps.len(),
                    dust_share: dust / n,
                    burn_share: burn_w / n,
                    reward_usd_miners: usd,
                });
            }
        }
    }
    // Release boundaries inside the run's span (from run.json), marked on every time axis.
    let era_markers: Vec<(f64, String)> = {
        let mut out = Vec::new();
        let mut last: Option<&str> = None;
        for e in run.run["era_per_step"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
            let release = e["release"].as_str();
            if last.is_some()
                && release != last
                && let (Some(t), Some(r)) = (e["at_ms"].as_i64(), release)
            {
                out.push((days(t), r.to_string()));
            }
            last = release;
        }
        out
    };
    let charts_dir = dir.join("charts");
    std::fs::create_dir_all(&charts_dir)?;
    let mut charts = Vec::new();
    let x_days: Vec<f64> = step_ms.iter().map(|t| days(*t)).collect();
    let dust_unit = |name: &str| policy_of(name).dust;
    let h = |n: usize| (220 + 230 * n as u32).min(2400);

    // 1. Dust-weight bands per bucket over time, one panel per policy.
    let panels = metrics
        .iter()
        .map(|m| Panel {
            title: format!("{}: min, mean and max dust weight per bucket", m.policy),
            x_label: "date (UTC)".into(),
            y_label: "dust weight (× DUST)".into(),
            x_format: Some(date_label),
            markers: era_markers.clone(),
            bars: None,
            lines: m
                .dust_by_bucket
                .iter()
                .map(|(b, s)| {
                    let u = dust_unit(&m.policy);
                    let pts: Vec<(f64, f64)> =
                        x_days.iter().zip(&s.mean).filter_map(|(x, v)| v.map(|v| (*x, v / u))).collect();
                    let band = x_days
                        .iter()
                        .zip(s.min.iter().zip(&s.max))
                        .filter_map(|(x, (lo, hi))| Some((*x, (*lo)? / u, (*hi)? / u)))
                        .collect();
                    (b.clone(), pts, Some(band))
                })
                .collect(),
        })
        .collect();
    let title = "Dust weight by bucket over time".to_string();
    let svg = later(Lines { title: title.clone(), panels }, &charts_dir, "dust_bands", (1100, h(metrics.len())));
    charts.push(Pending {
        name: "dust_bands",
        title,
        caption: "Mean dust weight per bucket (line) and its min–max range (band), in units of the policy's DUST."
            .into(),
        svg,
    });

    // 2. Score against dust weight at the chosen day.
    let panels = at_day
        .iter()
        .map(|(name, pts)| {
            let mut groups: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
            for (b, s, d) in pts {
                groups.entry(b.clone()).or_default().push((*s, *d));
            }
            (name.clone(), groups.into_iter().collect())
        })
        .collect();
    let title = format!("Window score against dust weight on {}", format_date(day_ms));
    let svg = later(
        Scatter {
            title: title.clone(),
            x_label: "window score (USD, penalty-adjusted PnL)".into(),
            y_label: "dust weight (× DUST)".into(),
            panels,
        },
        &charts_dir,
        "score_vs_dust",
        (1100, 420 * (order.len().div_ceil(2)) as u32 + 60),
    );
    charts.push(Pending {
        name: "score_vs_dust",
        title,
        caption: "Each point is a miner; markers distinguish buckets.".into(),
        svg,
    });

    // 3. Histogram of dust weights within each bucket at that day.
    let panels = at_day
        .iter()
        .map(|(name, pts)| {
            let mut groups: BTreeMap<String, Vec<f64>> = BTreeMap::new();
            for (b, _, d) in pts {
                groups.entry(b.clone()).or_default().push(*d);
            }
            Panel {
                title: format!("{name}: miners per 0.1-DUST bin"),
                x_label: "dust weight (× DUST)".into(),
                y_label: "miners".into(),
                x_format: Some(|x| format!("{x:.1}")),
                markers: Vec::new(),
                bars: Some(0.1),
                lines: groups
                    .into_iter()
                    .map(|(b, ds)| {
                        let mut bins: BTreeMap<i64, usize> = BTreeMap::new();
                        for d in ds {
                            *bins.entry((d * 10.0).floor() as i64).or_default() += 1;
                        }
                        let (lo, hi) = (*bins.keys().next().unwrap_or(&0) - 1, *bins.keys().last().unwrap_or(&0) + 1);
                        let pts =
                            (lo..=hi).map(|k| ((k as f64 + 0.5) / 10.0, *bins.get(&k).unwrap_or(&0) as f64)).collect();
                        (b, pts, None)
                    })
                    .collect(),
            }
        })
        .collect();
    let title = format!("Distribution of dust weights within each bucket on {}", format_date(day_ms));
    let svg = later(Lines { title: title.clone(), panels }, &charts_dir, "dust_histogram", (1100, h(order.len())));
    charts.push(Pending {
        name: "dust_histogram",
        title,
        caption: "Miners per 0.1-DUST bin of dust weight, one bar colour per bucket.".into(),
        svg,
    });

    // 4. Sorted per-miner reward delta against the baseline; with the baseline alone there is
    // nothing to compare, and an empty frame would read as "no change".
    let lines = metrics
        .iter()
        .filter(|m| m.policy != baseline)
        .map(|m| {
            (m.policy.clone(), m.deltas_sorted.iter().enumerate().map(|(i, d)| (i as f64 + 1.0, *d)).collect(), None)
        })
        .collect::<Vec<_>>();
    if !lines.is_empty() {
        let title = format!("Per-miner reward change against {baseline}, sorted");
        let panel = Panel {
            title: String::new(),
            x_label: "miner (sorted by change)".into(),
            y_label: "reward change (USD over the replay)".into(),
            x_format: None,
            markers: Vec::new(),
            bars: None,
            lines,
        };
        let svg = later(Lines { title: title.clone(), panels: vec![panel] }, &charts_dir, "reward_delta", (1100, 480));
        charts.push(Pending {
            name: "reward_delta",
            title,
            caption: "Each line sorts every miner's total reward change under a policy against the baseline.".into(),
            svg,
        });
    }

    // 5. Share at floor and at ceiling over time: small multiples, one panel per policy.
    let panels = metrics
        .iter()
        .map(|m| Panel {
            title: format!("{}: share of miners at the floor and at the ceiling", m.policy),
            x_label: "date (UTC)".into(),
            y_label: "miners (%)".into(),
            x_format: Some(date_label),
            markers: era_markers.clone(),
            bars: None,
            lines: [("at the floor", &m.floor_share_series), ("at the ceiling", &m.ceiling_share_series)]
                .into_iter()
                .map(|(label, v)| {
                    (label.to_string(), x_days.iter().zip(v).map(|(x, y)| (*x, 100.0 * y)).collect(), None)
                })
                .collect(),
        })
        .collect();
    let title = "Share of miners at the floor and at the ceiling".to_string();
    let svg = later(Lines { title: title.clone(), panels }, &charts_dir, "floor_ceiling", (1100, h(metrics.len())));
    charts.push(Pending {
        name: "floor_ceiling",
        title,
        caption: "Percentage of present miners whose dust weight equals their bucket's floor or its ceiling, one panel per policy.".into(),
        svg,
    });

    // 6. Adversary excess reward by strategy × policy.
    if !adversaries.is_empty() {
        let mut labels: Vec<String> = Vec::new();
        for a in &adversaries {
            if !labels.contains(&a.adversary) {
                labels.push(a.adversary.clone());
            }
        }
        let series = order
            .iter()
            .map(|p| {
                let vals = labels
                    .iter()
                    .map(|l| {
                        match adversaries
                            .iter()
                            .find(|a| a.policy == *p && &a.adversary == l)
                            .and_then(|a| a.excess_pct)
                        {
                            Some(b) => (b.mean, Some((b.p5, b.p95))),
                            None => (0.0, None),
                        }
                    })
                    .collect();
                (p.to_string(), vals)
            })
            .collect();
        let title = "Adversary excess reward over its honest twin".to_string();
        let svg = later(
            Bars {
                title: title.clone(),
                y_label: "excess reward (% of the twin's), mean and 5–95% band".into(),
                categories: labels,
                series,
            },
            &charts_dir,
            "adversary_excess",
            (1100, 520),
        );
        charts.push(Pending {
            name: "adversary_excess",
            title,
            caption: "Bars: mean over runs; whiskers: 5th to 95th percentile.".into(),
            svg,
        });
    }

    // 7. Each candidate's cumulative reward difference from the baseline, one panel per bucket.
    if let Some(base) = metrics.iter().find(|m| m.policy == baseline) {
        let panels: Vec<Panel> = base
            .dust_by_bucket
            .iter()
            .map(|(b, bs)| Panel {
                title: format!("{b}: cumulative reward minus {baseline}'s"),
                x_label: "date (UTC)".into(),
                y_label: "USD".into(),
                x_format: Some(date_label),
                markers: era_markers.clone(),
                bars: None,
                // The baseline stays in as its zero line, so every policy keeps its style.
                lines: metrics
                    .iter()
                    .filter_map(|m| {
                        let cs = m.dust_by_bucket.get(b)?;
                        let pts = x_days
                            .iter()
                            .zip(cs.cumulative_usd.iter().zip(&bs.cumulative_usd))
                            .map(|(x, (c, b))| (*x, c - b))
                            .collect();
                        Some((m.policy.clone(), pts, None))
                    })
                    .collect(),
            })
            .collect();
        if metrics.len() > 1 {
            let title = format!("Cumulative reward difference from {baseline}, by bucket");
            let svg = later(
                Lines { title: title.clone(), panels },
                &charts_dir,
                "cumulative_usd",
                (1100, h(base.dust_by_bucket.len())),
            );
            charts.push(Pending {
                name: "cumulative_usd",
                title,
                caption: format!("USD each candidate has paid a bucket's miners since the first step, minus what {baseline} paid them."),
                svg,
            });
        }
    }

    let charts: Vec<Chart> = {
        use rayon::prelude::*;
        charts
            .into_par_iter()
            .map(|p| Ok(Chart { name: p.name, title: p.title, caption: p.caption, svg: (p.svg)()? }))
            .collect::<anyhow::Result<_>>()?
    };
    let inputs = run.run["inputs"]
        .as_object()
        .map(|o| {
            o.values()
                .flat_map(|v| match v {
                    serde_json::Value::Array(a) => {
                        a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect::<Vec<_>>()
                    }
                    serde_json::Value::String(s) => vec![s.clone()],
                    _ => vec![],
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let recorded = run.run["input_sha256"].as_object().cloned().unwrap_or_default();
    let reproducibility = Reproducibility {
        dustlab_version: run.run["dustlab_version"].as_str().unwrap_or(env!("CARGO_PKG_VERSION")).to_string(),
        command_line: run.run["command_line"].as_str().unwrap_or_default().to_string(),
        seed: run.run["seed"].as_u64(),
        runs: run.run["runs"].as_u64(),
        inputs: inputs
            .into_iter()
            .map(|p| InputDigest {
                sha256: recorded
                    .get(&p)
                    .and_then(|v| v.as_str().map(str::to_string))
                    .or_else(|| sha256_of(Path::new(&p))),
                path: p,
            })
            .collect(),
        scenario_text: run.scenario_text.clone(),
    };
    let releases: Vec<String> = {
        let mut r: Vec<String> = Vec::new();
        for e in &eras {
            if !r.contains(&e.release) {
                r.push(e.release.clone());
            }
        }
        r
    };
    // Over a Monte Carlo run's runs, alignment is judged by the mean per-run difference.
    let over = run.run["policy_metrics_over_runs"].clone();
    let alignment = |p: &str| -> Option<f64> { over[p]["reward_score_spearman"]["difference"]["mean"].as_f64() };
    let verdicts = crate::metrics::verdict::verdicts(&metrics, &baseline, &adversaries, &releases, &alignment);
    let exploitability_hint = adversaries.is_empty().then(|| {
        let file = run.run["scenario_file"].as_str().unwrap_or("SCENARIO.toml");
        format!(
            "exploitability not tested: this run has no adversaries. Add [[adversary]] blocks (see scenarios/attack-suite.toml) and replay, or search the worst case with `dustlab attack {file} --policy NAME`."
        )
    });
    let over_json = Some(&run.run["policy_metrics_over_runs"]).filter(|v| v.as_object().is_some_and(|o| !o.is_empty()));
    let precision = (over_json.is_some() || !adversaries.is_empty()).then(|| {
        let mut w = crate::metrics::precision::warnings(over_json, &baseline, &adversaries);
        if run.run["runs_auto"]["precise"] == serde_json::json!(false) {
            w.insert(0, crate::metrics::precision::auto_stopped(run.run["runs"].as_u64().unwrap_or(0) as usize));
        }
        w
    });
    let summary = Summary {
        verdicts,
        verdict_rules: crate::metrics::verdict::rules(),
        exploitability_hint,
        scenario: run.run["scenario"].as_str().unwrap_or("replay").to_string(),
        executive_summary: document::executive(&metrics, &adversaries, &baseline),
        baseline,
        first_step_ms: step_ms[0],
        last_step_ms: *step_ms.last().expect("non-empty"),
        steps: step_ms.len(),
        day_ms,
        policies: metrics,
        adversaries,
        data_notes: serde_json::from_value(run.run["data_notes"].clone()).unwrap_or_default(),
        feedback: run.run["feedback"].as_str().map(str::to_string),
        present_rule: run.run["present_rule"].as_str().map(str::to_string),
        emission_fidelity: Some(run.run["emission_fidelity"].clone()).filter(|v| !v.is_null()),
        eras,
        over_runs: Some(run.run["policy_metrics_over_runs"].clone())
            .filter(|v| v.as_object().is_some_and(|o| !o.is_empty())),
        calibration: serde_json::from_value(run.run["calibration"].clone()).ok(),
        gaming_watch: Some(run.run["gaming_watch"].clone()).filter(|v| v.is_object()),
        precision,
        reproducibility,
    };
    let mut files: Vec<String> =
        charts.iter().flat_map(|c| ["svg", "png"].map(|e| format!("charts/{}.{e}", c.name))).collect();
    let put = |name: &str, text: String| -> anyhow::Result<()> {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    };
    put("summary.json", serde_json::to_string_pretty(&summary)?)?;
    put("report.html", document::html(&summary, &charts))?;
    put("report.md", document::markdown(&summary, &charts))?;
    files.extend(["summary.json", "report.html", "report.md"].map(String::from));
    Ok(Written { files, summary })
}
