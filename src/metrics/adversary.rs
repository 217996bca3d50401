//! Adversary outcomes: each adversary's reward against its honest twin's, per policy and
//! run, and their mean and 5–95 % band over Monte Carlo runs.

use std::collections::HashSet;

use polars::prelude::*;
use serde::Serialize;

use crate::ledger::Status;
use crate::population::adversary::{AdversarySpec, Injected};
use crate::replay::emission::Emission;
use crate::replay::engine::Engine;
use crate::replay::incremental::Sums;
use crate::stats::percentile;

/// One adversary's result under one policy in one run.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub run: u32,
    pub policy: String,
    pub adversary: String,
    pub strategy: String,
    pub reward_usd: f64,
    pub twin_reward_usd: f64,
    /// Adversary reward / all miners' reward.
    pub reward_share: f64,
    pub excess_usd: f64,
    /// Excess over the twin in % of the twin's reward (None when the twin earned nothing).
    pub excess_pct: Option<f64>,
    pub costs_usd: f64,
    pub twin_costs_usd: f64,
    pub collateral_usd: f64,
    /// (reward − costs) / (collateral + costs) over the replay (None when both are 0).
    pub roi: Option<f64>,
    pub twin_roi: Option<f64>,
    pub caught: bool,
    /// Mean position of the other miners of the adversary's bucket between floor (0) and
    /// ceiling (1) under this policy.
    pub rival_position: Option<f64>,
    /// Reward of the population's own miners of the adversary's bucket (no injected hotkey).
    pub rivals_reward_usd: f64,
    /// For strategies that damage rivals (the whale): what those rivals lost against the same
    /// run without the adversary, in USD and in % of what they earned without it.
    pub rivals_loss_usd: Option<f64>,
    pub rivals_loss_pct: Option<f64>,
    /// Reward per USD of trading account, the adversary's and its twin's (the whale against an
    /// honest miner of ordinary size); None where the strategy has no account to compare.
    pub gain_per_usd: Option<f64>,
    pub twin_gain_per_usd: Option<f64>,
}

/// Whether a strategy's effect is the damage to its rivals (the whale) rather than its own
/// excess over the twin.
pub fn damages_rivals(strategy: &str) -> bool {
    strategy == "whale-compression"
}

impl Outcome {
    /// The strategy's effect in USD and in %: the rivals' loss for the whale, the excess over
    /// the twin for the others (exploitability is the largest of these).
    pub fn effect(&self) -> (f64, Option<f64>) {
        if damages_rivals(&self.strategy) {
            (self.rivals_loss_usd.unwrap_or(0.0), self.rivals_loss_pct)
        } else {
            (self.excess_usd, self.excess_pct)
        }
    }
}

fn roi(reward: f64, costs: f64, capital: f64) -> Option<f64> {
    let base = capital + costs;
    if base > 0.0 { Some((reward - costs) / base) } else { None }
}

/// Per policy, the reward (USD) of the miners of `bucket` that are not in `excluded`.
pub fn rivals_usd(engine: &Engine, em: &Emission, bucket: &str, excluded: &HashSet<&str>) -> Vec<f64> {
    let burn = engine.burn_id();
    let skip: HashSet<u32> = excluded.iter().filter_map(|h| engine.hotkeys.get(h)).collect();
    let Some(b) = engine.bucket_names.get(bucket) else { return vec![0.0; engine.policies.len()] };
    engine
        .rows
        .iter()
        .map(|rows| {
            let mut sum = 0.0;
            for i in 0..rows.step.len() {
                let h = rows.hotkey[i];
                if rows.bucket[i] == b && Some(h) != burn && !skip.contains(&h) {
                    sum += em.usd(rows.step[i] as usize, rows.final_w[i]);
                }
            }
            sum
        })
        .collect()
}

/// Every injected hotkey (adversaries and twins of all blocks): never a rival.
pub fn injected_hotkeys(injected: &[Injected]) -> HashSet<&str> {
    injected.iter().flat_map(|i| i.adversary.iter().chain(&i.twin)).map(String::as_str).collect()
}

/// Each adversary's outcome under each policy. `without[g]`, when given, is per policy the
/// rivals' reward in the same run without adversary `g`'s hotkeys.
pub fn outcomes(
    engine: &Engine,
    em: &Emission,
    specs: &[AdversarySpec],
    injected: &[Injected],
    without: &[Option<Vec<f64>>],
    run: u32,
) -> Vec<Outcome> {
    // Without adversaries there is nothing to sum: a sweep calls this for every chunk, on one
    // core, and read every row of every variant for no outcome.
    if injected.is_empty() {
        return Vec::new();
    }
    let burn = engine.burn_id();
    // Each hotkey id's part in each block (`part[id × blocks + g]`: its adversary, its twin,
    // or neither): the row loop, over every row of every policy in a sweep's chunk and on one
    // core, reads a few bytes per row instead of hashing the id into each block's sets.
    const ADVERSARY: u8 = 1;
    const TWIN: u8 = 2;
    let blocks = injected.len();
    let mut part = vec![0u8; engine.hotkeys.names.len() * blocks];
    for (g, inj) in injected.iter().enumerate() {
        // An id both in a block's adversaries and its twins counts as an adversary, as before.
        for (role, hs) in [(TWIN, &inj.twin), (ADVERSARY, &inj.adversary)] {
            for id in hs.iter().filter_map(|h| engine.hotkeys.get(h)) {
                part[id as usize * blocks + g] = role;
            }
        }
    }
    // Per block: its bucket's id, and its floor and width, which depend on the policy.
    let buckets: Vec<(Option<u32>, Status)> =
        specs.iter().map(|spec| (engine.bucket_names.get(&spec.bucket), Status::parse(&spec.bucket))).collect();
    let mut out = Vec::new();
    for (pi, (policy, rows)) in engine.policies.iter().zip(&engine.rows).enumerate() {
        let mut total = 0.0;
        let mut adv = vec![0.0; blocks];
        let mut twin = vec![0.0; blocks];
        let mut rival = vec![(0.0, 0usize); blocks];
        // The rivals' reward: the bucket's rows no block injected (`rivals_usd`, summed here
        // in the same row order rather than in a pass per block).
        let mut rivals = vec![0.0; blocks];
        let scale: Vec<(f64, f64)> = buckets
            .iter()
            .map(|(_, status)| {
                (policy.floor_multiplier(status) * policy.dust, policy.ceiling_width_of(status) * policy.dust)
            })
            .collect();
        for i in 0..rows.step.len() {
            let h = rows.hotkey[i];
            if Some(h) == burn {
                continue;
            }
            let s = rows.step[i] as usize;
            let usd = em.usd(s, rows.final_w[i]);
            total += usd;
            let roles = part.get(h as usize * blocks..(h as usize + 1) * blocks).unwrap_or(&[]);
            let injected = roles.iter().any(|&r| r != 0);
            for (g, ((bucket, _), &(floor, width))) in buckets.iter().zip(&scale).enumerate() {
                let role = roles.get(g).copied().unwrap_or(0);
                if role == ADVERSARY {
                    adv[g] += usd;
                } else if role == TWIN {
                    twin[g] += usd;
                } else if Some(rows.bucket[i]) == *bucket {
                    if !injected {
                        rivals[g] += usd;
                    }
                    if width > 0.0 {
                        rival[g].0 += (rows.dust[i] - floor) / width;
                        rival[g].1 += 1;
                    }
                }
            }
        }
        for (g, inj) in injected.iter().enumerate() {
            let sums = Sums { adversary_usd: adv[g], twin_usd: twin[g], rivals_usd: rivals[g], rival: rival[g], total };
            let before = without.get(g).and_then(|w| w.as_ref()).map(|w| w[pi]);
            out.push(outcome_of(run, &policy.name, inj, &sums, before));
        }
    }
    out
}

/// An adversary's outcome from its block's sums (the results rows' or the incremental walk's)
/// and the rivals' reward without it (`before`, for strategies that damage rivals).
pub fn outcome_of(run: u32, policy: &str, inj: &Injected, sums: &Sums, before: Option<f64>) -> Outcome {
    let total = sums.total;
    let (adv, twin) = (sums.adversary_usd, sums.twin_usd);
    let excess = adv - twin;
    let rivals_now = sums.rivals_usd;
    let per_usd = |reward: f64, account: f64| (account > 0.0).then(|| reward / account);
    Outcome {
        run,
        policy: policy.to_string(),
        adversary: inj.label.clone(),
        strategy: inj.strategy.clone(),
        reward_usd: adv,
        twin_reward_usd: twin,
        reward_share: if total > 0.0 { adv / total } else { 0.0 },
        excess_usd: excess,
        excess_pct: if twin > 0.0 { Some(100.0 * excess / twin) } else { None },
        costs_usd: inj.adversary_costs_usd,
        twin_costs_usd: inj.twin_costs_usd,
        collateral_usd: inj.adversary_collateral_usd,
        roi: roi(adv, inj.adversary_costs_usd, inj.adversary_collateral_usd),
        twin_roi: roi(twin, inj.twin_costs_usd, inj.twin_collateral_usd),
        caught: inj.caught,
        rival_position: if sums.rival.1 > 0 { Some(sums.rival.0 / sums.rival.1 as f64) } else { None },
        rivals_reward_usd: rivals_now,
        rivals_loss_usd: before.map(|b| b - rivals_now),
        rivals_loss_pct: before.filter(|b| *b > 0.0).map(|b| 100.0 * (b - rivals_now) / b),
        gain_per_usd: per_usd(adv, inj.adversary_account_usd),
        twin_gain_per_usd: per_usd(twin, inj.twin_account_usd),
    }
}

/// The outcomes as a table (run order, then policy, then adversary).
pub fn outcomes_frame(outcomes: &[Outcome]) -> PolarsResult<DataFrame> {
    let n = outcomes.len();
    let f = |g: fn(&Outcome) -> f64| outcomes.iter().map(g).collect::<Vec<f64>>();
    let o = |g: fn(&Outcome) -> Option<f64>| outcomes.iter().map(g).collect::<Vec<Option<f64>>>();
    DataFrame::new(
        n,
        vec![
            Column::new("run".into(), outcomes.iter().map(|x| x.run).collect::<Vec<u32>>()),
            Column::new("policy".into(), outcomes.iter().map(|x| x.policy.as_str()).collect::<Vec<_>>()),
            Column::new("adversary".into(), outcomes.iter().map(|x| x.adversary.as_str()).collect::<Vec<_>>()),
            Column::new("strategy".into(), outcomes.iter().map(|x| x.strategy.as_str()).collect::<Vec<_>>()),
            Column::new("reward_usd".into(), f(|x| x.reward_usd)),
            Column::new("twin_reward_usd".into(), f(|x| x.twin_reward_usd)),
            Column::new("reward_share".into(), f(|x| x.reward_share)),
            Column::new("excess_usd".into(), f(|x| x.excess_usd)),
            Column::new("excess_pct".into(), o(|x| x.excess_pct)),
            Column::new("costs_usd".into(), f(|x| x.costs_usd)),
            Column::new("twin_costs_usd".into(), f(|x| x.twin_costs_usd)),
            Column::new("collateral_usd".into(), f(|x| x.collateral_usd)),
            Column::new("roi".into(), o(|x| x.roi)),
            Column::new("twin_roi".into(), o(|x| x.twin_roi)),
            Column::new("caught".into(), outcomes.iter().map(|x| x.caught).collect::<Vec<bool>>()),
            Column::new("rival_position".into(), o(|x| x.rival_position)),
            Column::new("rivals_reward_usd".into(), f(|x| x.rivals_reward_usd)),
            Column::new("rivals_loss_usd".into(), o(|x| x.rivals_loss_usd)),
            Column::new("rivals_loss_pct".into(), o(|x| x.rivals_loss_pct)),
            Column::new("gain_per_usd".into(), o(|x| x.gain_per_usd)),
            Column::new("twin_gain_per_usd".into(), o(|x| x.twin_gain_per_usd)),
        ],
    )
}

/// Mean and 5–95% band of a sample over Monte Carlo runs (None when empty), with the number
/// of runs and the standard error of the mean (NaN, written `null`, from a single run).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Band {
    pub mean: f64,
    pub p5: f64,
    pub p95: f64,
    pub n: usize,
    pub se: f64,
}

/// The standard error a band may have before it is too wide for the effect it qualifies.
pub const PRECISE_SHARE: f64 = 0.1;

impl Band {
    pub fn of(x: &[f64]) -> Option<Band> {
        if x.is_empty() {
            return None;
        }
        let n = x.len();
        let mean = x.iter().sum::<f64>() / n as f64;
        let se = if n > 1 {
            (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt() / (n as f64).sqrt()
        } else {
            f64::NAN
        };
        Some(Band { mean, p5: percentile(x, 5.0), p95: percentile(x, 95.0), n, se })
    }

    /// `mean [p5, p95]`, scaled, at `prec` decimal places; `-` for no band.
    pub fn text(b: &Option<Band>, scale: f64, prec: usize) -> String {
        match b {
            Some(b) => format!("{:.p$} [{:.p$}, {:.p$}]", b.mean * scale, b.p5 * scale, b.p95 * scale, p = prec),
            None => "-".into(),
        }
    }

    /// The standard error exceeds a tenth of the mean (or is unknown, from one run): the runs
    /// do not pin the effect down. An effect of exactly 0 with no spread is precise.
    pub fn imprecise(&self) -> bool {
        self.se.is_nan() || self.se > PRECISE_SHARE * self.mean.abs()
    }
}

/// Per (policy, adversary) over runs.
#[derive(Debug, Clone, Serialize)]
pub struct OutcomeSummary {
    pub policy: String,
    pub adversary: String,
    pub strategy: String,
    pub runs: usize,
    pub reward_share: Option<Band>,
    pub excess_usd: Option<Band>,
    pub excess_pct: Option<Band>,
    pub roi: Option<Band>,
    pub catch_rate: f64,
    pub rival_position: Option<Band>,
    pub rivals_loss_usd: Option<Band>,
    pub rivals_loss_pct: Option<Band>,
    /// The adversary's gain per USD of account minus its twin's.
    pub excess_per_usd: Option<Band>,
}

impl OutcomeSummary {
    /// What the effect is and its band over runs (see [`Outcome::effect`]).
    pub fn effect(&self) -> (&'static str, Option<Band>) {
        if damages_rivals(&self.strategy) {
            ("rivals' reward lost (USD)", self.rivals_loss_usd)
        } else {
            ("excess over the twin (USD)", self.excess_usd)
        }
    }
}

pub fn summarize(outcomes: &[Outcome]) -> Vec<OutcomeSummary> {
    let mut keys: Vec<(String, String, String)> = Vec::new();
    for o in outcomes {
        let k = (o.policy.clone(), o.adversary.clone(), o.strategy.clone());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .map(|(policy, adversary, strategy)| {
            let sel: Vec<&Outcome> =
                outcomes.iter().filter(|o| o.policy == policy && o.adversary == adversary).collect();
            let v = |g: fn(&Outcome) -> Option<f64>| sel.iter().filter_map(|o| g(o)).collect::<Vec<f64>>();
            OutcomeSummary {
                runs: sel.len(),
                reward_share: Band::of(&v(|o| Some(o.reward_share))),
                excess_usd: Band::of(&v(|o| Some(o.excess_usd))),
                excess_pct: Band::of(&v(|o| o.excess_pct)),
                roi: Band::of(&v(|o| o.roi)),
                catch_rate: sel.iter().filter(|o| o.caught).count() as f64 / sel.len().max(1) as f64,
                rival_position: Band::of(&v(|o| o.rival_position)),
                rivals_loss_usd: Band::of(&v(|o| o.rivals_loss_usd)),
                rivals_loss_pct: Band::of(&v(|o| o.rivals_loss_pct)),
                excess_per_usd: Band::of(&v(|o| Some(o.gain_per_usd? - o.twin_gain_per_usd?))),
                policy,
                adversary,
                strategy,
            }
        })
        .collect()
}

/// The console table of adversary outcomes.
pub fn render(summaries: &[OutcomeSummary]) -> String {
    use std::fmt::Write;
    let band = Band::text;
    let band_se = |b: &Option<Band>, scale: f64, prec: usize| match b {
        Some(b) if b.se.is_finite() => format!(
            "{:.p$} ± {:.p$} [{:.p$}, {:.p$}]",
            b.mean * scale,
            b.se * scale,
            b.p5 * scale,
            b.p95 * scale,
            p = prec
        ),
        other => band(other, scale, prec),
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<18} {:<22} {:>34} {:>30} {:>26} {:>6} {:>20}",
        "policy",
        "adversary",
        "excess % over twin ± SE [5-95%]",
        "reward share % [5-95%]",
        "ROI % [5-95%]",
        "caught",
        "rivals' position"
    );
    for s in summaries {
        let _ = writeln!(
            out,
            "{:<18} {:<22} {:>34} {:>30} {:>26} {:>6.2} {:>20}",
            s.policy,
            s.adversary,
            if damages_rivals(&s.strategy) {
                format!("rivals lose {}%", band_se(&s.rivals_loss_pct, 1.0, 1))
            } else {
                band_se(&s.excess_pct, 1.0, 1)
            },
            band(&s.reward_share, 100.0, 4),
            band(&s.roi, 100.0, 2),
            s.catch_rate,
            band(&s.rival_position, 1.0, 3)
        );
    }
    out
}
