//! Command-line arguments, one struct per subcommand. Parsing only: validation into
//! options happens in the command modules before any work starts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "dustlab",
    version,
    about = "Backtest and stress-test dust (minimum-weight) policies of Bittensor subnet 8"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay ledgers day by day under several dust policies side by side (default: scenarios/default.toml).
    Replay(ReplayArgs),
    /// The weights the validator would set at one instant, under a dust policy and payout model.
    Weights(WeightsArgs),
    /// Convert ledgers between the validator's JSON (.json/.json.gz), Parquet and CSV.
    Convert(ConvertArgs),
    /// Validate a ledger file and summarise it (exit 2 when it has errors).
    Inspect(InspectArgs),
    /// Generate a synthetic population in the validator's file layout.
    Generate(GenerateArgs),
    /// Rebuild the report of a run directory from its tables (another day, some policies).
    Report(ReportArgs),
    /// Run every variant of a scenario's [sweep] table; one metrics row per (variant, run).
    Sweep(SweepArgs),
    /// Combine the outputs of `sweep --shard K/N` runs into the table one run writes.
    Merge(MergeArgs),
    /// Search each adversary's parameters for the worst case against one policy.
    Attack(AttackArgs),
    /// Scan ledgers for the patterns of the seven gaming strategies; or, with --scenario,
    /// score the detectors on simulated adversaries over Monte Carlo populations.
    Detect(DetectArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct WeightsArgs {
    /// Ledger file (validator .json/.json.gz, Parquet or CSV).
    #[arg(long)]
    pub ledgers: PathBuf,
    /// Evaluation instant: epoch milliseconds or RFC 3339.
    #[arg(long)]
    pub at: String,
    /// Policy preset (static, ptn-dynamic, ptn-collateral, ptn-2025-11-30, ptn-2025-12-05,
    /// ptn-weekly-843e57e0) or a policy TOML file.
    #[arg(long, default_value = "ptn-dynamic")]
    pub policy: String,
    /// Payout model (dust-only, monthly-2025-10-31, monthly-2025-11-06, monthly-2025-11-30,
    /// cumulative-2025-12-05, weekly-hwm-843e57e0); default: the policy's release.
    #[arg(long)]
    pub payout: Option<String>,
    /// CSV `hotkey,bucket`: each miner's current bucket (default: its checkpoints' status at TIME).
    #[arg(long)]
    pub buckets: Option<PathBuf>,
    /// CSV `hotkey,collateral_usd` (missing miners have 0).
    #[arg(long)]
    pub collateral: Option<PathBuf>,
    /// Burn to uid 220 (testnet) instead of 229.
    #[arg(long)]
    pub testnet: bool,
    /// Override the policy's base DUST.
    #[arg(long)]
    pub dust: Option<f64>,
    /// Metagraph JSON (hotkeys, emission, reserves, TAO price, emission_dtype): the burn
    /// hotkey at uid 229/220 and, from 30 November 2025, the emission projection.
    #[arg(long)]
    pub metagraph: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Proceed without broken checkpoints (each one is listed on stderr).
    #[arg(long)]
    pub lenient: bool,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Input ledger file (format detected from content).
    pub input: PathBuf,
    /// Output file (format from extension: .json, .json.gz, .parquet, .csv).
    pub output: PathBuf,
    /// Proceed without broken checkpoints (each one is listed on stderr).
    #[arg(long)]
    pub lenient: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Ledger file to check, or a directory of dated snapshots.
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Take the population parameters from this scenario's [population] table.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Miner slots (UIDs) in the population [default: 40].
    #[arg(long)]
    pub miners: Option<usize>,
    /// Days of history [default: 150].
    #[arg(long)]
    pub days: Option<u32>,
    /// First day (RFC 3339 or epoch ms), aligned down to 00:00 UTC [default: 2025-10-01].
    #[arg(long)]
    pub start: Option<String>,
    /// Seed [default: 8].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output file (.json.gz in the validator's layout, .json, .parquet or .csv).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Scenario file (TOML). Without it and without --ledgers: scenarios/default.toml.
    pub scenario: Option<PathBuf>,
    /// Quick form: a ledger file (or a directory of dated snapshots) instead of a scenario.
    #[arg(long, conflicts_with = "scenario")]
    pub ledgers: Option<PathBuf>,
    /// Quick form: a policy preset or TOML file; repeat to compare (the first is the baseline).
    #[arg(long = "policy", requires = "ledgers")]
    pub policies: Vec<String>,
    /// Quick form: metagraph JSON or a directory of dated metagraph snapshots.
    #[arg(long)]
    pub metagraph: Option<PathBuf>,
    /// Closed loop (`simulated`, the default: each policy's debt reads its own payments) or
    /// open loop (`historical`: the ledgers' recorded payments).
    #[arg(long)]
    pub feedback: Option<String>,
    /// Quick form: payout model for every policy (default: each policy's release).
    #[arg(long, requires = "ledgers")]
    pub payout: Option<String>,
    /// Quick form: bucket history CSV/Parquet (`hotkey,timestamp_ms,bucket` or `hotkey,bucket`).
    #[arg(long, requires = "ledgers")]
    pub buckets: Option<PathBuf>,
    /// Quick form: collateral history CSV/Parquet (`hotkey,timestamp_ms,collateral_usd` or `hotkey,collateral_usd`).
    #[arg(long, requires = "ledgers")]
    pub collateral: Option<PathBuf>,
    /// First step (epoch ms or RFC 3339); overrides the scenario.
    #[arg(long)]
    pub start: Option<String>,
    /// Last step, inclusive; overrides the scenario.
    #[arg(long)]
    pub end: Option<String>,
    /// Step: 1d (default) or 12h; overrides the scenario.
    #[arg(long)]
    pub step: Option<String>,
    /// Output directory (default: reports/<scenario name>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bar and no summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Proceed without broken checkpoints (each one is listed).
    #[arg(long)]
    pub lenient: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run directory (reports/<scenario>/ or a replay's --out).
    pub dir: PathBuf,
    /// Day of the scatter and histogram charts (epoch ms or RFC 3339; default: the last step).
    #[arg(long)]
    pub day: Option<String>,
    /// Only these policies, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub policies: Option<Vec<String>>,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file with a [sweep] table.
    pub scenario: PathBuf,
    /// Run only the K-th of N disjoint parts of the sweep (e.g. 2/8).
    #[arg(long)]
    pub shard: Option<String>,
    /// Output directory (default: reports/<scenario name>-sweep/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// First step; overrides the scenario.
    #[arg(long)]
    pub start: Option<String>,
    /// Last step, inclusive; overrides the scenario.
    #[arg(long)]
    pub end: Option<String>,
    /// No progress bar and no summary.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Output directory for the merged table.
    #[arg(long)]
    pub out: PathBuf,
    /// Shard output directories.
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DetectArgs {
    /// Ledger file (validator .json/.json.gz, Parquet or CSV).
    #[arg(required_unless_present = "scenario", conflicts_with = "scenario")]
    pub ledgers: Option<PathBuf>,
    /// Bucket history CSV/Parquet (hotkey, timestamp_ms, bucket); default: checkpoint statuses.
    #[arg(long)]
    pub buckets: Option<PathBuf>,
    /// Collateral CSV/Parquet (hotkey, collateral_usd[, timestamp_ms]).
    #[arg(long)]
    pub collateral: Option<PathBuf>,
    /// Metagraph JSON (file or a directory of dated snapshots): findings say which of their
    /// hotkeys are registered at --at.
    #[arg(long)]
    pub metagraph: Option<PathBuf>,
    /// Instant of detection: epoch ms or RFC 3339 [default: the newest checkpoint].
    #[arg(long)]
    pub at: Option<String>,
    /// Ground truth (hotkey,adversary,strategy,role, as `generate --scenario` writes it):
    /// precision and recall per pattern.
    #[arg(long, conflicts_with = "scenario")]
    pub truth: Option<PathBuf>,
    /// Score the detectors over this scenario's Monte Carlo populations with its adversaries
    /// (hotkeys renamed to random SS58 addresses, twins left out).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Runs for --scenario [default: the scenario's runs].
    #[arg(long, requires = "scenario")]
    pub runs: Option<usize>,
    /// Detector thresholds: a TOML file with a [detect] table (see the README).
    #[arg(long)]
    pub knobs: Option<PathBuf>,
    /// Output directory (default: reports/detect-<name>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct AttackArgs {
    /// Scenario file (population, runs, adversaries; an optional [attack] table).
    pub scenario: PathBuf,
    /// The policy to attack: a scenario policy's name, a preset, or a policy TOML file.
    #[arg(long)]
    pub policy: String,
    /// Output directory (default: reports/<scenario name>-attack/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,
}
