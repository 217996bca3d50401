//! `dustlab replay`: a scenario file, or the quick form from flags.

use std::path::PathBuf;

use crate::cli::ReplayArgs;
use crate::error::InputError;
use crate::replay::run::{RunOptions, run as run_scenario};
use crate::replay::scenario::{Scenario, parse_step};
use crate::replay::{montecarlo, results};
use crate::time::parse_time;

/// The scenario `dustlab replay` runs with no argument.
pub const DEFAULT_SCENARIO: &str = "scenarios/default.toml";

pub fn run(args: ReplayArgs) -> anyhow::Result<()> {
    let mut scenario = match (&args.scenario, &args.ledgers) {
        (_, Some(ledgers)) => {
            let mut s = Scenario::quick(ledgers.clone(), &args.policies, args.payout.as_deref())?;
            s.buckets = args.buckets.clone();
            s.collateral = args.collateral.clone();
            s
        }
        (Some(path), None) => Scenario::load(path)?,
        (None, None) => {
            let path = PathBuf::from(DEFAULT_SCENARIO);
            if !path.exists() {
                return Err(InputError::Usage(format!(
                    "no scenario given and {DEFAULT_SCENARIO} not found here: run from the repository root, or pass a scenario file or --ledgers"
                ))
                .into());
            }
            Scenario::load(&path)?
        }
    };
    if args.lenient {
        scenario.lenient = true;
    }
    if let Some(step) = &args.step {
        scenario.step_ms = parse_step(step)?;
    }
    let opts = RunOptions {
        out: args.out.clone(),
        quiet: args.quiet,
        start: args.start.as_deref().map(parse_time).transpose()?,
        end: args.end.as_deref().map(parse_time).transpose()?,
        command_line: std::env::args().collect::<Vec<_>>().join(" "),
    };
    let out = run_scenario(&scenario, &opts)?;
    if !args.quiet {
        eprintln!("{}", results::render(&out.summaries));
        if !out.outcome_summaries.is_empty() {
            eprintln!("adversaries over {} run(s):\n{}", scenario.runs, montecarlo::render(&out.outcome_summaries));
        }
        eprintln!("wrote {} rows to {}/steps.parquet and steps.csv", out.frame.height(), out.dir.display());
    }
    Ok(())
}
