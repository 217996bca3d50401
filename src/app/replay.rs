//! `dustlab replay`: a scenario file, or the quick form from flags.

use std::path::PathBuf;

use crate::cli::ReplayArgs;
use crate::error::InputError;
use crate::experiment::run::{RunOptions, run as run_scenario};
use crate::experiment::scenario::{Scenario, parse_feedback, parse_step};
use crate::metrics::adversary;
use crate::report::console;
use crate::time::parse_time;

/// The scenario `dustlab replay` runs with no argument.
pub const DEFAULT_SCENARIO: &str = "scenarios/default.toml";

pub fn run(args: ReplayArgs) -> anyhow::Result<()> {
    // Options first: a bad flag fails before any file is read.
    let start = args.start.as_deref().map(parse_time).transpose()?;
    let end = args.end.as_deref().map(parse_time).transpose()?;
    let mut scenario = match (&args.scenario, &args.ledgers) {
        (_, Some(ledgers)) => {
            let mut s = Scenario::quick(ledgers.clone(), &args.policies, args.payout.as_deref())?;
            s.buckets = args.buckets.clone();
            s.collateral = args.collateral.clone();
            s.metagraph = args.metagraph.clone();
            s.load_metagraph()?;
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
    if let Some(f) = &args.feedback {
        scenario.feedback = parse_feedback(f)?;
    }
    if let Some(step) = &args.step {
        scenario.step_ms = parse_step(step)?;
    }
    let opts = RunOptions {
        out: args.out.clone(),
        quiet: args.quiet,
        start,
        end,
        command_line: std::env::args().collect::<Vec<_>>().join(" "),
    };
    let out = run_scenario(&scenario, &opts)?;
    if !args.quiet {
        out.notes.print();
        eprintln!("{}", console::render(&out.summary));
        let runs = out.outcome_summaries.first().map(|o| o.runs).unwrap_or(scenario.runs);
        if !out.outcome_summaries.is_empty() {
            eprintln!("adversaries over {runs} run(s):\n{}", adversary::render(&out.outcome_summaries));
        }
        if let Some(p) = out.summary.precision.as_ref().filter(|p| !p.is_empty()) {
            eprintln!("Monte Carlo precision (standard error above a tenth of the effect):");
            for line in p {
                eprintln!("  {line}");
            }
        }
        eprintln!("wrote {} rows to {}/steps.parquet and steps.csv", out.rows, out.dir.display());
    }
    Ok(())
}
