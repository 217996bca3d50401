//! `dustlab generate`: a synthetic population in the validator's layout.

use crate::cli::GenerateArgs;
use crate::ledger::io::{self, Format};
use crate::population::generate::{PopulationParams, generate};
use crate::time::{MS_PER_DAY, parse_time};

pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    Format::from_extension(&args.out)?;
    let start = parse_time(&args.start)?;
    let params = PopulationParams {
        miners: args.miners,
        days: args.days,
        start_ms: start - start.rem_euclid(MS_PER_DAY),
        seed: args.seed,
        // DOMAIN's 25 places per class are for ~230 miners; keep the same competition when smaller.
        maincomp_per_class: (25 * args.miners / 230).clamp(2, 25),
        ..PopulationParams::default()
    };
    let pop = generate(&params);
    io::write(&pop.set, &args.out)?;
    let coll_path = args.out.with_file_name(format!(
        "{}.collateral.csv",
        args.out.file_name().and_then(|n| n.to_str()).map(|n| n.split('.').next().unwrap_or(n)).unwrap_or("population")
    ));
    let mut csv = String::from("hotkey,collateral_usd\n");
    for (hk, c) in &pop.collateral {
        csv.push_str(&format!("{hk},{c}\n"));
    }
    std::fs::write(&coll_path, csv)?;
    eprintln!(
        "wrote {} ledgers, {} checkpoints to {} (collateral: {})",
        pop.set.ledgers.len(),
        pop.set.checkpoint_count(),
        args.out.display(),
        coll_path.display()
    );
    Ok(())
}
