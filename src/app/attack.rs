//! `dustlab attack SCENARIO --policy NAME`: the worst case per adversary strategy.

use anyhow::Context;

use crate::cli::AttackArgs;
use crate::experiment::attack::worst_cases;
use crate::experiment::folder::{self, RunFolder};
use crate::experiment::scenario::Scenario;
use crate::notes::Notes;
use crate::population::adversary::{AdversarySpec, STRATEGIES};

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
    let target = match &args.out {
        Some(p) => p.clone(),
        None => folder::target(None, &format!("{}-attack", scenario.name))?,
    };
    folder::refuse_inputs_inside(&target, scenario.inputs())?;
    // The folder first: a bad --out fails in a second, not after the search.
    let mut folder = RunFolder::begin(&target)?;
    let mut notes = Notes::default();
    // The time is printed, not written: attack.json stays byte-identical from run to run.
    let started = std::time::Instant::now();
    let (found, evaluation) = worst_cases(&scenario, &policy, &adversaries, &settings, args.quiet, &mut notes)?;
    let mut csv =
        String::from("policy,adversary,strategy,objective,objective_usd,objective_pct,evaluations,params,on_bound\n");
    for w in &found {
        let params: Vec<String> = w.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            policy.name,
            w.adversary,
            w.strategy,
            w.objective,
            w.excess_usd,
            w.excess_pct.map(|p| p.to_string()).unwrap_or_default(),
            w.evaluations,
            params.join(" "),
            w.on_bound.join(" ")
        ));
    }
    let path = folder.file("attack.csv");
    std::fs::write(&path, csv).with_context(|| format!("cannot write {}", path.display()))?;
    let json = serde_json::json!({
        "policy": policy, "settings": settings, "worst_cases": found, "runs": scenario.runs,
        "evaluation": evaluation,
        "data_notes": notes, "files": ["attack.csv", "attack.json"],
    });
    let path = folder.file("attack.json");
    std::fs::write(&path, serde_json::to_string_pretty(&json)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    let dir = folder.commit()?;
    if !args.quiet {
        notes.print();
        eprintln!("worst cases against {} over {} run(s); evaluation {evaluation}:", policy.name, scenario.runs);
        for w in &found {
            let params: Vec<String> = w
                .params
                .iter()
                .zip(&w.bounds)
                .map(|((k, v), d)| {
                    let edge =
                        if w.on_bound.contains(k) { " (on the bound: the worst case may lie beyond)" } else { "" };
                    format!("{k} = {}{edge}", crate::experiment::attack::natural(d, *v))
                })
                .collect();
            let ranges: Vec<String> = w
                .bounds
                .iter()
                .map(|d| {
                    format!(
                        "{} in [{}, {}]",
                        d.key,
                        crate::experiment::attack::natural(d, d.low),
                        crate::experiment::attack::natural(d, d.high)
                    )
                })
                .collect();
            let damages = crate::metrics::adversary::damages_rivals(&w.strategy);
            let against = if damages { "of its rivals' reward" } else { "over its twin" };
            eprintln!(
                "  {:<24} {} {:>12.2} USD ({}) {against}  ({}; searched {}; {} evaluations)",
                w.adversary,
                if damages { "damage" } else { "excess" },
                w.excess_usd,
                w.excess_pct.map(|p| format!("{p:+.1}%")).unwrap_or_else(|| "-".into()),
                params.join(", "),
                ranges.join(", "),
                w.evaluations
            );
        }
        eprintln!("wrote {}/attack.csv and attack.json ({:.1} s)", dir.display(), started.elapsed().as_secs_f64());
    }
    Ok(())
}
