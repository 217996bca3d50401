//! `dustlab inspect FILE`: every validation problem, then a summary; exit 2 on errors.

use crate::cli::InspectArgs;
use crate::error::InputError;
use crate::ledger::{io, summary, validate};

pub fn run(args: InspectArgs) -> anyhow::Result<()> {
    let set = io::read_raw(&args.file)?;
    let report = validate::validate(&set);
    let shown = args.file.display();
    for p in &report.problems {
        eprintln!("{shown}: {p}");
    }
    println!("{shown}");
    print!("{}", summary::summarize(&set));
    let (errors, warnings) = (report.errors().count(), report.warnings().count());
    println!("\nvalidation    {errors} error(s), {warnings} warning(s)");
    if errors > 0 {
        return Err(InputError::Invalid(format!("{shown}: {errors} validation error(s), listed above")).into());
    }
    Ok(())
}
