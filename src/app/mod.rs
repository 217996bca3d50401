//! Command handlers: each turns parsed arguments into validated options, runs the library,
//! and prints. Human text goes to stderr, data to stdout or files.

mod attack;
mod convert;
mod detect;
mod generate;
mod inspect;
mod replay;
mod report;
mod sweep;
mod weights;

use crate::cli::{Cli, Command};
use crate::error::InputError;

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Replay(a) => replay::run(a),
        Command::Weights(a) => weights::run(a),
        Command::Convert(a) => convert::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Generate(a) => generate::run(a),
        Command::Report(a) => report::run(a),
        Command::Sweep(a) => sweep::run(a),
        Command::Merge(a) => sweep::merge(a),
        Command::Attack(a) => attack::run(a),
        Command::Detect(a) => detect::run(a),
    }
}

/// 2 for bad input (files, values, arguments), 1 for anything else.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if e.chain().any(|c| c.downcast_ref::<InputError>().is_some()) { 2 } else { 1 }
}

/// Loads and validates a ledger file, printing what lenient mode left out.
pub(crate) fn load(path: &std::path::Path, lenient: bool) -> Result<crate::ledger::io::Loaded, InputError> {
    let loaded = crate::ledger::io::read_validated(path, lenient)?;
    for line in &loaded.dropped {
        eprintln!("warning: {line}");
    }
    if !loaded.dropped.is_empty() {
        eprintln!("warning: --lenient left out {} item(s) listed above", loaded.dropped.len());
    }
    Ok(loaded)
}
