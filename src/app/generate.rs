//! `dustlab generate`: a synthetic population in the validator's layout, with its collateral
//! and its true bucket history beside it.

use std::path::Path;

use crate::cli::GenerateArgs;
use crate::error::InputError;
use crate::experiment::scenario::Scenario;
use crate::ledger::io::{self, Format};
use anyhow::Context;

use crate::population::calibration::calibrate;
use crate::population::generate::{PopulationParams, generate};
use crate::time::{MS_PER_DAY, parse_time};

/// `<stem>.<what>` beside the output file.
fn beside(out: &Path, what: &str) -> std::path::PathBuf {
    let name = out.file_name().and_then(|n| n.to_str()).unwrap_or("population");
    let stem = name.split('.').next().unwrap_or(name);
    out.with_file_name(format!("{stem}.{what}"))
}

pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    Format::from_extension(&args.out)?;
    let mut params = match &args.scenario {
        Some(path) => Scenario::load(path)?
            .population
            .ok_or_else(|| InputError::file(path.display(), "has no [population] table to generate from"))?,
        None => PopulationParams {
            miners: 40,
            days: 150,
            start_ms: parse_time("2025-10-01")?,
            seed: 8,
            ..PopulationParams::default()
        },
    };
    if let Some(m) = args.miners {
        params.miners = m;
    }
    if let Some(d) = args.days {
        params.days = d;
    }
    if let Some(s) = &args.start {
        params.start_ms = parse_time(s)?;
    }
    if let Some(s) = args.seed {
        params.seed = s;
    }
    params.start_ms -= params.start_ms.rem_euclid(MS_PER_DAY);
    if args.scenario.is_none() {
        // DOMAIN's 25 places per class are for ~230 miners; keep the same competition when smaller.
        params.maincomp_per_class = (25 * params.miners / 230).clamp(2, 25);
    }
    params.check().map_err(InputError::Usage)?;
    let pop = generate(&params);
    io::write(&pop.set, &args.out)?;
    let mut csv = String::from("hotkey,collateral_usd\n");
    for (hk, c) in &pop.collateral {
        csv.push_str(&format!("{hk},{c}\n"));
    }
    let coll_path = beside(&args.out, "collateral.csv");
    std::fs::write(&coll_path, csv)?;
    let mut csv = String::from("hotkey,timestamp_ms,bucket\n");
    for (hk, t, s) in &pop.buckets {
        csv.push_str(&format!("{hk},{t},{s}\n"));
    }
    let buckets_path = beside(&args.out, "buckets.csv");
    std::fs::write(&buckets_path, csv)?;
    let mut cal = calibrate(&params, &pop);
    cal.ledgers_sha256 = crate::report::sha256_of(&args.out);
    let cal_md = beside(&args.out, "calibration.md");
    std::fs::write(&cal_md, cal.markdown()).with_context(|| format!("cannot write {}", cal_md.display()))?;
    let cal_json = beside(&args.out, "calibration.json");
    std::fs::write(&cal_json, serde_json::to_string_pretty(&cal)? + "\n")
        .with_context(|| format!("cannot write {}", cal_json.display()))?;
    eprintln!(
        "wrote {} ledgers, {} checkpoints to {} (collateral: {}, true buckets: {}, calibration: {})",
        pop.set.ledgers.len(),
        pop.set.checkpoint_count(),
        args.out.display(),
        coll_path.display(),
        buckets_path.display(),
        cal_md.display()
    );
    let out_of_range: Vec<&str> =
        cal.rows.iter().filter(|r| r.in_range == Some(false)).map(|r| r.statistic.as_str()).collect();
    if !out_of_range.is_empty() {
        eprintln!("warning: outside its calibration target: {}", out_of_range.join("; "));
    }
    Ok(())
}
