//! `dustlab convert IN OUT`: between the validator's JSON, Parquet and CSV.

use crate::cli::ConvertArgs;
use crate::ledger::io::{self, Format};

pub fn run(args: ConvertArgs) -> anyhow::Result<()> {
    Format::from_extension(&args.output)?;
    let loaded = super::load(&args.input, args.lenient)?;
    io::write(&loaded.set, &args.output)?;
    eprintln!(
        "wrote {} ledgers, {} checkpoints to {}",
        loaded.set.ledgers.len(),
        loaded.set.checkpoint_count(),
        args.output.display()
    );
    Ok(())
}
