//! Scoring the detectors over Monte Carlo populations: each run's population with the
//! scenario's adversaries (twins left out — a real subnet has none), every hotkey renamed to a
//! random SS58 address so no detector can read a name, detection as of the newest
//! checkpoint, then precision and recall per strategy; and the same population before the
//! adversaries join, for the false-positive rate on honest miners alone.

use std::collections::HashMap;

use rayon::prelude::*;

use super::montecarlo::{self, Base, run_seed};
use super::scenario::Scenario;
use crate::detect::score::{RunScores, Truth, score};
use crate::detect::{Knobs, Panel, detect};
use crate::population::{generate::hotkey, seed};

pub fn evaluate(
    scenario: &Scenario,
    base: &Base,
    knobs: &Knobs,
    runs: usize,
    tick: &(dyn Fn() + Sync),
) -> anyhow::Result<Vec<RunScores>> {
    (0..runs)
        .into_par_iter()
        .map(|run| {
            let pop = montecarlo::population(scenario, base, run)?;
            let at = pop.span.1;
            // Honest alone.
            let honest = Panel::build(&pop.set, Some(&pop.collateral), pop.buckets.as_ref(), at);
            // With nobody planted, everything flagged is a false positive: the same score.
            let miners: Vec<String> = honest.miners.iter().map(|m| m.hotkey.clone()).collect();
            let honest_fp_per_100 = score(&detect(&honest, knobs), &Truth::default(), &miners)
                .into_iter()
                .map(|s| (s.pattern, s.false_positives_per_100))
                .collect();
            // With the adversaries, twins out, every name replaced.
            let montecarlo::RunPopulation { mut set, buckets, mut collateral, span, .. } = pop;
            let injected = montecarlo::inject_into(
                run_seed(scenario.seed, run),
                &scenario.adversaries,
                &mut set,
                &mut collateral,
                span,
            );
            let twins: std::collections::HashSet<&str> =
                injected.iter().flat_map(|i| i.twin.iter().map(String::as_str)).collect();
            set.ledgers.retain(|l| !twins.contains(l.hotkey.as_str()));
            let mut rng = seed::rng(run_seed(scenario.seed, run), 0x5e7);
            let rename: HashMap<String, String> =
                set.ledgers.iter().map(|l| (l.hotkey.clone(), hotkey(&mut rng))).collect();
            for l in &mut set.ledgers {
                l.hotkey = rename[&l.hotkey].clone();
                l.key = l.hotkey.clone();
            }
            let collateral = collateral.renamed(&rename);
            let buckets = buckets.map(|b| b.renamed(&rename));
            let mut truth = Truth::default();
            for inj in &injected {
                for h in &inj.adversary {
                    if let Some(new) = rename.get(h) {
                        truth.by_hotkey.insert(new.clone(), (inj.strategy.clone(), "adversary".into()));
                    }
                }
            }
            let panel = Panel::build(&set, Some(&collateral), buckets.as_ref(), at);
            let findings = detect(&panel, knobs);
            let miners: Vec<String> = panel.miners.iter().map(|m| m.hotkey.clone()).collect();
            let scores = score(&findings, &truth, &miners);
            tick();
            Ok(RunScores { run, miners: miners.len(), scores, honest_fp_per_100 })
        })
        .collect()
}
