//! `dustlab generate`: a synthetic population in the validator's layout, with its collateral,
//! its true bucket history and its calibration beside it; with a scenario's `[[adversary]]`
//! blocks, the adversaries too, and a truth file naming them.

use std::path::Path;

use anyhow::Context;

use crate::cli::GenerateArgs;
use crate::error::InputError;
use crate::experiment::montecarlo::{histories, inject_into, pay_injected};
use crate::experiment::scenario::Scenario;
use crate::ledger::Status;
use crate::ledger::io::{self, Format};
use crate::population::adversary::{AdversarySpec, Injected};
use crate::population::calibration::calibrate;
use crate::population::generate::{PopulationParams, generate};
use crate::replay::emission::Source;
use crate::time::{CHECKPOINT_MS, MS_PER_DAY, parse_time};

/// `<stem>.<what>` beside the output file.
fn beside(out: &Path, what: &str) -> std::path::PathBuf {
    let name = out.file_name().and_then(|n| n.to_str()).unwrap_or("population");
    let stem = name.split('.').next().unwrap_or(name);
    out.with_file_name(format!("{stem}.{what}"))
}

fn write(path: &Path, text: String) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    Format::from_extension(&args.out)?;
    let (mut params, adversaries): (PopulationParams, Vec<AdversarySpec>) = match &args.scenario {
        Some(path) => {
            let scenario = Scenario::load(path)?;
            let params = scenario
                .population
                .ok_or_else(|| InputError::file(path.display(), "has no [population] table to generate from"))?;
            (params, scenario.adversaries)
        }
        None => (
            PopulationParams {
                miners: 40,
                days: 150,
                start_ms: parse_time("2025-10-01")?,
                seed: 8,
                ..PopulationParams::default()
            },
            Vec::new(),
        ),
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
    let mut pop = generate(&params);
    // The calibration is of the honest population, before any adversary joins it.
    let mut cal = calibrate(&params, &pop);
    let injected = if adversaries.is_empty() { Vec::new() } else { add_adversaries(&params, &adversaries, &mut pop)? };
    io::write(&pop.set, &args.out)?;
    let mut csv = String::from("hotkey,collateral_usd\n");
    for (hk, c) in &pop.collateral {
        csv.push_str(&format!("{hk},{c}\n"));
    }
    let coll_path = beside(&args.out, "collateral.csv");
    write(&coll_path, csv)?;
    let mut csv = String::from("hotkey,timestamp_ms,bucket\n");
    for (hk, t, s) in &pop.buckets {
        csv.push_str(&format!("{hk},{t},{s}\n"));
    }
    let buckets_path = beside(&args.out, "buckets.csv");
    write(&buckets_path, csv)?;
    cal.ledgers_sha256 = crate::report::sha256_of(&args.out);
    let cal_md = beside(&args.out, "calibration.md");
    write(&cal_md, cal.markdown())?;
    write(&beside(&args.out, "calibration.json"), serde_json::to_string_pretty(&cal)? + "\n")?;
    let truth = (!injected.is_empty()).then(|| beside(&args.out, "truth.csv"));
    if let Some(path) = &truth {
        write(path, truth_csv(&injected))?;
    }
    eprintln!(
        "wrote {} ledgers, {} checkpoints to {} (collateral: {}, true buckets: {}, calibration: {}{})",
        pop.set.ledgers.len(),
        pop.set.checkpoint_count(),
        args.out.display(),
        coll_path.display(),
        buckets_path.display(),
        cal_md.display(),
        truth.map(|t| format!(", adversaries: {}", t.display())).unwrap_or_default()
    );
    let out_of_range: Vec<&str> =
        cal.rows.iter().filter(|r| r.in_range == Some(false)).map(|r| r.statistic.as_str()).collect();
    if !out_of_range.is_empty() {
        eprintln!("warning: outside its calibration target: {}", out_of_range.join("; "));
    }
    Ok(())
}

/// Injects the scenario's adversaries into a generated population (block `j` seeded by the
/// population's seed and `1 + j`), pays them as the generator pays everyone, and adds their
/// collateral and bucket rows. Returns who was injected.
fn add_adversaries(
    params: &PopulationParams,
    adversaries: &[AdversarySpec],
    pop: &mut crate::population::generate::Population,
) -> anyhow::Result<Vec<Injected>> {
    let (buckets, mut collateral) = histories(pop);
    let before = pop.set.ledgers.len();
    let first = params.start_ms + CHECKPOINT_MS;
    let last = params.start_ms + params.days as i64 * MS_PER_DAY;
    let injected = inject_into(params.seed, adversaries, &mut pop.set, &mut collateral, (first, last));
    let pool = Source::Constant(params.pool_alpha_per_day);
    pay_injected(&mut pop.set, &injected, Some(&buckets), &collateral, &pool, &Source::Ledgers)?;
    for who in &injected {
        for hk in who.adversary.iter().chain(&who.twin) {
            let Some(l) = pop.set.ledgers[before..].iter().find(|l| &l.hotkey == hk) else { continue };
            let (Some(a), Some(b)) = (l.checkpoints.first(), l.checkpoints.last()) else { continue };
            pop.buckets.push((hk.clone(), a.timestamp_ms - CHECKPOINT_MS, a.status.clone()));
            if b.timestamp_ms < last {
                pop.buckets.push((hk.clone(), b.timestamp_ms, Status::parse("ELIMINATED")));
            }
            pop.collateral.push((hk.clone(), collateral.at(hk, i64::MIN).copied().unwrap_or(0.0)));
        }
    }
    Ok(injected)
}

/// `hotkey,adversary,strategy,role`: the ground truth a detector is scored against.
fn truth_csv(injected: &[Injected]) -> String {
    let mut csv = String::from("hotkey,adversary,strategy,role\n");
    for who in injected {
        for (role, hks) in [("adversary", &who.adversary), ("twin", &who.twin)] {
            for hk in hks {
                csv.push_str(&format!("{hk},{},{},{role}\n", who.label, who.strategy));
            }
        }
    }
    csv
}
