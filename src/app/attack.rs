//! `dustlab attack SCENARIO --policy NAME`: the worst case per adversary strategy.

use std::path::PathBuf;

use rayon::prelude::*;

use crate::attack::{AttackSpec, Evaluator, WorstCase, search};
use crate::cli::AttackArgs;
use crate::error::InputError;
use crate::population::adversary::{AdversarySpec, STRATEGIES};
use crate::replay::montecarlo;
use crate::replay::run::load_base;
use crate::replay::scenario::Scenario;

pub fn run(args: AttackArgs) -> anyhow::Result<()> {
    let scenario = Scenario::load(&args.scenario)?;
    let policy = match scenario.policies.iter().find(|p| p.name == args.policy) {
        Some(p) => p.clone(),
        None => crate::policy::config::resolve(&args.policy)?,
    };
    let settings = scenario.attack.clone().unwrap_or_default();
    let adversaries: Vec<AdversarySpec> = if scenario.adversaries.is_empty() {
        STRATEGIES.iter().map(|s| AdversarySpec { strategy: s.to_string(), ..AdversarySpec::default() }).collect()
    } else {
        scenario.adversaries.clone()
    };
    let found = worst_cases(&scenario, &policy, &adversaries, &settings, args.quiet)?;
    let dir = args.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-attack", scenario.name)));
    std::fs::create_dir_all(&dir).map_err(|e| InputError::Usage(format!("cannot create {}: {e}", dir.display())))?;
    let mut csv = String::from("policy,adversary,strategy,excess_usd,evaluations,params\n");
    for w in &found {
        let params: Vec<String> = w.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        csv.push_str(&format!(
            "{},{},{},{},{},{}\n",
            policy.name,
            w.adversary,
            w.strategy,
            w.excess_usd,
            w.evaluations,
            params.join(" ")
        ));
    }
    std::fs::write(dir.join("attack.csv"), csv)?;
    let json = serde_json::json!({"policy": policy, "settings": settings, "worst_cases": found, "runs": scenario.runs});
    std::fs::write(dir.join("attack.json"), serde_json::to_string_pretty(&json)?)?;
    if !args.quiet {
        eprintln!("worst cases against {} over {} run(s):", policy.name, scenario.runs);
        for w in &found {
            let params: Vec<String> = w.params.iter().map(|(k, v)| format!("{k} = {v:.4}")).collect();
            eprintln!(
                "  {:<24} excess {:>12.2} USD over its twin  ({}; {} evaluations)",
                w.adversary,
                w.excess_usd,
                params.join(", "),
                w.evaluations
            );
        }
        eprintln!("wrote {}/attack.csv and attack.json", dir.display());
    }
    Ok(())
}

/// The worst case of each adversary against `policy`, adversaries searched in parallel.
pub fn worst_cases(
    scenario: &Scenario,
    policy: &crate::policy::DustPolicy,
    adversaries: &[AdversarySpec],
    settings: &AttackSpec,
    quiet: bool,
) -> anyhow::Result<Vec<WorstCase>> {
    let base = load_base(scenario, quiet)?;
    let (first, last) =
        montecarlo::span(&base).ok_or_else(|| InputError::Usage("the population holds no checkpoint".into()))?;
    let steps =
        crate::replay::clock::steps(scenario.start.unwrap_or(first), scenario.end.unwrap_or(last), scenario.step_ms)?;
    let populations =
        (0..scenario.runs).map(|r| montecarlo::population(scenario, &base, r)).collect::<anyhow::Result<Vec<_>>>()?;
    // Each search replays about (samples + 2 × refine × parameters) candidates on every run.
    let per = |a: &AdversarySpec| {
        (settings.samples + 1 + 2 * settings.refine * crate::attack::space(&a.strategy).len()) as u64
    };
    let total: u64 = adversaries.iter().map(per).sum::<u64>() * scenario.runs as u64;
    let progress = crate::progress::bar(quiet, total, "replays (estimated)", format!("attack {}", policy.name));
    let eval = Evaluator { scenario, policy, populations, steps, progress: progress.clone() };
    let found = adversaries.par_iter().map(|a| search(&eval, a, settings)).collect();
    progress.finish_and_clear();
    found
}
