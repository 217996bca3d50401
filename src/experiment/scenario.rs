//! The TOML scenario schema. The quick form of `dustlab replay` builds the same struct from
//! flags, so a scenario file and a command line always mean the same thing.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::InputError;
use crate::experiment::sweep::SweepSpec;
use crate::policy::DustPolicy;
use crate::policy::config::from_toml_table;
use crate::population::adversary::AdversarySpec;
use crate::population::generate::PopulationParams;
use crate::replay::emission::{DEFAULT_POOL, Source};
use crate::replay::engine::Feedback;
use crate::time::{MS_PER_DAY, TimeValue};

/// A number, or `"ledgers"`: derive it from the ledgers' own fields.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum NumberOrLedgers {
    Number(f64),
    Word(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataFile {
    /// Ledger files (any format), or one directory of dated snapshots.
    pub ledgers: OneOrMany,
    /// Bucket history: CSV/Parquet `hotkey,timestamp_ms,bucket` (or `hotkey,bucket`).
    pub buckets: Option<String>,
    /// Collateral history: CSV/Parquet `hotkey,timestamp_ms,collateral_usd` (or `hotkey,collateral_usd`).
    pub collateral: Option<String>,
    /// Metagraph JSON, or a directory of dated metagraph snapshots (used as of each step).
    pub metagraph: Option<String>,
    /// Proceed without broken checkpoints (each one is listed).
    #[serde(default)]
    pub lenient: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockFile {
    pub start: Option<TimeValue>,
    pub end: Option<TimeValue>,
    pub step: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmissionFile {
    /// Alpha per day to miners (weight 1 = all of it), or "ledgers".
    pub pool_alpha_per_day: Option<NumberOrLedgers>,
    /// Alpha → USD price, or "ledgers" (avg_alpha_to_tao_rate × avg_tao_to_usd_rate).
    pub alpha_to_usd: Option<NumberOrLedgers>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RunsValue {
    Count(usize),
    Word(String),
}

/// `runs = "auto"` starts with this many runs and grows by half until precise or at the bound.
pub const AUTO_FIRST_RUNS: usize = 10;
pub const AUTO_MAX_RUNS: usize = 200;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    name: Option<String>,
    description: Option<String>,
    seed: Option<u64>,
    /// Monte Carlo runs (each draws its population and adversaries from (seed, run)), or
    /// "auto": add runs until every effect's standard error is within a tenth of it.
    runs: Option<RunsValue>,
    /// With `runs = "auto"`: the most runs it may take (default 200).
    max_runs: Option<usize>,
    data: Option<DataFile>,
    /// A synthetic population instead of (or as well as nothing of) ledger files.
    population: Option<PopulationParams>,
    #[serde(default)]
    adversary: Vec<AdversarySpec>,
    sweep: Option<SweepSpec>,
    attack: Option<crate::experiment::attack::AttackSpec>,
    #[serde(default)]
    clock: ClockFile,
    #[serde(default)]
    emission: EmissionFile,
    /// Payout model for every policy that does not name its own.
    payout: Option<String>,
    /// `simulated` (closed loop, default) or `historical` (the ledgers' payments).
    #[serde(default)]
    feedback: Feedback,
    #[serde(default)]
    policy: Vec<toml::Spanned<toml::Table>>,
}

/// A validated scenario: paths resolved, policies built, times parsed.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: Option<String>,
    pub seed: u64,
    /// The scenario file's text, copied beside the results (None for the quick form).
    pub source_text: Option<String>,
    pub source_path: Option<PathBuf>,
    pub ledgers: Vec<PathBuf>,
    pub buckets: Option<PathBuf>,
    pub collateral: Option<PathBuf>,
    /// Metagraph file or directory of dated snapshots.
    pub metagraph: Option<PathBuf>,
    /// The metagraph(s) read from it (loaded with the scenario: small, and every run uses them).
    pub metagraphs: Option<crate::ledger::metagraph::MetagraphSeries>,
    pub lenient: bool,
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub step_ms: i64,
    pub pool: Source,
    pub price: Source,
    /// Policies with their payout model name; the first is the baseline.
    pub policies: Vec<DustPolicy>,
    /// Runs (with `runs = "auto"`, the first batch; sweeps and attacks use this many).
    pub runs: usize,
    /// `runs = "auto"`: the most runs a replay may add to reach precision.
    pub runs_auto: Option<usize>,
    /// A synthetic population (generated anew for every run) instead of ledger files.
    pub population: Option<PopulationParams>,
    pub adversaries: Vec<AdversarySpec>,
    /// The `[sweep]` table, for `dustlab sweep`.
    pub sweep: Option<SweepSpec>,
    /// The `[attack]` table, for `dustlab attack`.
    pub attack: Option<crate::experiment::attack::AttackSpec>,
    /// Whether each policy's payout model reads its own payments (closed loop).
    pub feedback: Feedback,
}

pub fn parse_feedback(s: &str) -> Result<Feedback, InputError> {
    match s {
        "simulated" => Ok(Feedback::Simulated),
        "historical" => Ok(Feedback::Historical),
        other => Err(InputError::Usage(format!("feedback must be simulated or historical, got {other:?}"))),
    }
}

pub fn parse_step(s: &str) -> Result<i64, InputError> {
    match s {
        "1d" | "24h" => Ok(MS_PER_DAY),
        "12h" => Ok(MS_PER_DAY / 2),
        other => Err(InputError::Usage(format!("step must be 1d or 12h, got {other:?}"))),
    }
}

fn number_or_ledgers(
    v: &Option<NumberOrLedgers>,
    default: Source,
    what: &str,
    origin: &str,
) -> Result<Source, InputError> {
    match v {
        None => Ok(default),
        Some(NumberOrLedgers::Number(x)) if x.is_finite() && *x >= 0.0 => Ok(Source::Constant(*x)),
        Some(NumberOrLedgers::Word(w)) if w == "ledgers" => Ok(Source::Ledgers),
        Some(other) => {
            Err(InputError::file(origin, format!("{what} must be a non-negative number or \"ledgers\", got {other:?}")))
        }
    }
}

/// A scenario name becomes the folder `reports/<name>`: it must be one safe path component,
/// so a run never writes outside `reports/` nor into `reports/` itself.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "name {name:?}: a scenario name must be one path component of letters, digits, '-', '_' or '.', not starting with '.' (it names the folder reports/<name>)"
        ))
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1
}

impl Scenario {
    /// Reads and validates a scenario file; paths inside are relative to the file.
    pub fn load(path: &Path) -> Result<Scenario, InputError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| InputError::file(&shown, format!("cannot read: {e}")))?;
        let file: ScenarioFile = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| format!("line {}: ", line_of(&text, s.start))).unwrap_or_default();
            InputError::file(&shown, format!("{line}{}", e.message()))
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let rel = |p: &str| -> PathBuf {
            let p = Path::new(p);
            if p.is_absolute() { p.to_path_buf() } else { base.join(p) }
        };
        let ledgers: Vec<PathBuf> = match file.data.as_ref().map(|d| &d.ledgers) {
            None => Vec::new(),
            Some(OneOrMany::One(s)) => vec![rel(s)],
            Some(OneOrMany::Many(v)) => v.iter().map(|s| rel(s)).collect(),
        };
        let mut policies = Vec::new();
        for spanned in &file.policy {
            let line = line_of(&text, spanned.span().start);
            let mut table = spanned.get_ref().clone();
            if !table.contains_key("payout")
                && let Some(p) = &file.payout
            {
                table.insert("payout".into(), toml::Value::String(p.clone()));
            }
            let origin = format!("{shown}: [[policy]] at line {line}");
            policies.push(from_toml_table(table, &origin)?);
        }
        let name = file.name.clone().unwrap_or_else(|| {
            path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "scenario".into())
        });
        let scenario = Scenario {
            name,
            description: file.description.clone(),
            seed: file.seed.unwrap_or(0),
            source_text: Some(text.clone()),
            source_path: Some(path.to_path_buf()),
            ledgers,
            buckets: file.data.as_ref().and_then(|d| d.buckets.as_deref()).map(rel),
            collateral: file.data.as_ref().and_then(|d| d.collateral.as_deref()).map(rel),
            metagraph: file.data.as_ref().and_then(|d| d.metagraph.as_deref()).map(rel),
            metagraphs: None,
            lenient: file.data.as_ref().is_some_and(|d| d.lenient),
            start: file.clock.start.as_ref().map(TimeValue::resolve).transpose()?,
            end: file.clock.end.as_ref().map(TimeValue::resolve).transpose()?,
            step_ms: parse_step(file.clock.step.as_deref().unwrap_or("1d"))?,
            pool: number_or_ledgers(
                &file.emission.pool_alpha_per_day,
                Source::Constant(DEFAULT_POOL),
                "pool_alpha_per_day",
                &shown,
            )?,
            price: number_or_ledgers(&file.emission.alpha_to_usd, Source::Ledgers, "alpha_to_usd", &shown)?,
            policies,
            runs: match &file.runs {
                None => 1,
                Some(RunsValue::Count(n)) => *n,
                Some(RunsValue::Word(w)) if w == "auto" => AUTO_FIRST_RUNS,
                Some(RunsValue::Word(w)) => {
                    return Err(InputError::file(&shown, format!("runs must be a count or \"auto\", got {w:?}")));
                }
            },
            runs_auto: match (&file.runs, file.max_runs) {
                (Some(RunsValue::Word(_)), max) => Some(max.unwrap_or(AUTO_MAX_RUNS)),
                (_, Some(_)) => {
                    return Err(InputError::file(&shown, "max_runs needs runs = \"auto\""));
                }
                _ => None,
            },
            population: file.population.clone(),
            adversaries: file.adversary.clone(),
            sweep: file.sweep.clone(),
            attack: file.attack.clone(),
            feedback: file.feedback,
        };
        scenario.check(&shown)?;
        let mut scenario = scenario;
        scenario.load_metagraph()?;
        Ok(scenario)
    }

    /// The quick form: one ledger file and policies named by preset or TOML file.
    pub fn quick(ledgers: PathBuf, policies: &[String], payout: Option<&str>) -> Result<Scenario, InputError> {
        let specs: Vec<String> = if policies.is_empty() { vec!["ptn-dynamic".into()] } else { policies.to_vec() };
        let mut built = Vec::new();
        for s in &specs {
            let mut p = crate::policy::config::resolve(s)?;
            if let Some(m) = payout {
                p.payout = m.to_string();
            }
            built.push(p);
        }
        // The quick form names its folder after the ledger file, made a safe component.
        let stem = ledgers.file_name().map(|n| n.to_string_lossy().split('.').next().unwrap_or("").to_string());
        let safe: String = stem
            .unwrap_or_default()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
            .collect();
        let name = if safe.is_empty() { "replay".to_string() } else { safe };
        let s = Scenario {
            name,
            description: None,
            seed: 0,
            source_text: None,
            source_path: None,
            ledgers: vec![ledgers],
            buckets: None,
            collateral: None,
            metagraph: None,
            metagraphs: None,
            lenient: false,
            start: None,
            end: None,
            step_ms: MS_PER_DAY,
            pool: Source::Constant(DEFAULT_POOL),
            price: Source::Ledgers,
            policies: built,
            runs: 1,
            runs_auto: None,
            population: None,
            adversaries: Vec::new(),
            sweep: None,
            attack: None,
            feedback: Feedback::Simulated,
        };
        s.check("command line")?;
        Ok(s)
    }

    /// Reads the metagraph file or snapshot directory, when the scenario names one.
    pub fn load_metagraph(&mut self) -> Result<(), InputError> {
        self.metagraphs = self.metagraph.as_deref().map(crate::replay::sources::read_metagraphs).transpose()?;
        Ok(())
    }

    /// Every input file of the scenario (ledgers, buckets, collateral, metagraph).
    pub fn inputs(&self) -> impl Iterator<Item = &PathBuf> {
        self.ledgers.iter().chain(self.buckets.iter()).chain(self.collateral.iter()).chain(self.metagraph.iter())
    }

    fn check(&self, origin: &str) -> Result<(), InputError> {
        if self.policies.is_empty() {
            return Err(InputError::file(origin, "no [[policy]]: name at least one (the first is the baseline)"));
        }
        let mut seen = std::collections::HashSet::new();
        for p in &self.policies {
            if !seen.insert(p.name.as_str()) {
                return Err(InputError::file(
                    origin,
                    format!("two policies are named {:?}: names must be unique", p.name),
                ));
            }
            crate::policy::payout::model(&p.payout).map_err(|e| InputError::file(origin, e))?;
        }
        if let (Some(a), Some(b)) = (self.start, self.end)
            && a > b
        {
            return Err(InputError::file(origin, "clock start is after its end"));
        }
        if self.ledgers.is_empty() && self.population.is_none() {
            return Err(InputError::file(origin, "no data: give [data] ledgers or a [population] table"));
        }
        if !self.ledgers.is_empty() && self.population.is_some() {
            return Err(InputError::file(origin, "give either [data] ledgers or a [population] table, not both"));
        }
        if self.runs == 0 {
            return Err(InputError::file(origin, "runs must be at least 1"));
        }
        let mut labels = std::collections::HashSet::new();
        for a in &self.adversaries {
            a.check().map_err(|e| InputError::file(origin, e))?;
            if !labels.insert(a.label()) {
                return Err(InputError::file(origin, format!("two adversaries are named {:?}", a.label())));
            }
        }
        if let Some(p) = &self.population {
            p.check().map_err(|e| InputError::file(origin, e))?;
        }
        if self.runs > 100_000 {
            return Err(InputError::file(origin, format!("runs must be in [1, 100000], got {}", self.runs)));
        }
        if let Some(max) = self.runs_auto
            && !(2..=100_000).contains(&max)
        {
            return Err(InputError::file(origin, format!("max_runs must be in [2, 100000], got {max}")));
        }
        check_name(&self.name).map_err(|e| InputError::file(origin, e))?;
        for l in &self.ledgers {
            if !l.exists() {
                return Err(InputError::file(origin, format!("ledger source {} does not exist", l.display())));
            }
        }
        for p in [&self.buckets, &self.collateral, &self.metagraph].into_iter().flatten() {
            if !p.exists() {
                return Err(InputError::file(origin, format!("{} does not exist", p.display())));
            }
        }
        Ok(())
    }
}
