use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    dustlab::tune_memory();
    let cli = dustlab::cli::Cli::parse();
    match dustlab::app::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::from(dustlab::app::exit_code(&e))
        }
    }
}
