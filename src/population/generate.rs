//! A synthetic subnet in the validator's own layout: registrations and departures with slots
//! refilled by fresh hotkeys, the CHALLENGE → MAINCOMP/PROBATION lifecycle, drawdown
//! elimination, occasional PLAGIARISM, heavy-tailed 12 h returns scaled by account size,
//! penalties, collateral, and emissions paid by production's own policy.
//!
//! Every default is a named parameter; `DOMAIN.md` facts are cited, assumptions marked.

use rand::RngExt;
use rand_distr::{Distribution, LogNormal, Normal, StudentT};
use serde::{Deserialize, Serialize};

use super::seed;
use crate::ledger::store::{AsOf, Store};
use crate::ledger::{Checkpoint, Ledger, LedgerSet, Status};
use crate::policy::evaluate::evaluate;
use crate::policy::{payout, preset};
use crate::time::{CHECKPOINT_MS, MS_PER_DAY};

/// Parameters of the synthetic population (the `[population]` table of a scenario).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PopulationParams {
    /// Miner slots (UIDs with a ledger). DOMAIN: 220–240 on mainnet.
    pub miners: usize,
    pub days: u32,
    /// First checkpoint period starts here (ms, 00:00 UTC).
    pub start_ms: i64,
    pub seed: u64,
    /// Days a CHALLENGE miner must trade before promotion (DOMAIN: 61).
    pub challenge_min_days: f64,
    /// CHALLENGE miners not promoted by then are eliminated (DOMAIN: 90).
    pub challenge_max_days: f64,
    /// PROBATION length before elimination (DOMAIN: 60).
    pub probation_days: f64,
    /// MAINCOMP places per asset class (DOMAIN: top 25).
    pub maincomp_per_class: usize,
    /// Max drawdown that eliminates (DOMAIN: 10%).
    pub drawdown_limit: f64,
    /// Daily chance a miner is flagged for plagiarism (assumption).
    pub plagiarism_daily: f64,
    /// PLAGIARISM review length in days (DOMAIN: 14).
    pub plagiarism_review_days: f64,
    /// Chance a review ends in elimination (assumption).
    pub plagiarism_eliminate: f64,
    /// Share of forex miners (assumption).
    pub forex_share: f64,
    /// Mean and spread of monthly drift (assumption; top miners make 3–5%/month, DOMAIN).
    pub monthly_drift_mean: f64,
    pub monthly_drift_sd: f64,
    /// Median 12 h return volatility and its log-spread (assumption).
    pub vol_12h_median: f64,
    pub vol_log_sd: f64,
    /// Student-t degrees of freedom of 12 h returns (DOMAIN assumption: 4).
    pub t_dof: f64,
    /// Shares of miners with zero and with sub-minimum collateral (assumption).
    pub zero_collateral_share: f64,
    pub low_collateral_share: f64,
    /// Alpha per day to miners (DOMAIN: ~2 950 late 2025).
    pub pool_alpha_per_day: f64,
    /// Starting alpha→TAO and TAO→USD (DOMAIN: 0.076 and ~400) and daily random-walk sd.
    pub alpha_to_tao: f64,
    pub tao_to_usd: f64,
    pub alpha_walk_sd: f64,
    pub tao_walk_sd: f64,
    /// Shares of the initial slots already MAINCOMP and PROBATION at the start (assumption).
    pub initial_maincomp_share: f64,
    pub initial_probation_share: f64,
}

impl Default for PopulationParams {
    fn default() -> Self {
        PopulationParams {
            miners: 230,
            days: 180,
            start_ms: 1_759_276_800_000, // 2025-10-01
            seed: 8,
            challenge_min_days: 61.0,
            challenge_max_days: 90.0,
            probation_days: 60.0,
            maincomp_per_class: 25,
            drawdown_limit: 0.10,
            plagiarism_daily: 0.0005,
            plagiarism_review_days: 14.0,
            plagiarism_eliminate: 0.7,
            forex_share: 0.3,
            monthly_drift_mean: 0.0,
            monthly_drift_sd: 0.025,
            vol_12h_median: 0.004,
            vol_log_sd: 0.5,
            t_dof: 4.0,
            zero_collateral_share: 0.1,
            low_collateral_share: 0.15,
            pool_alpha_per_day: 2950.0,
            alpha_to_tao: 0.076,
            tao_to_usd: 400.0,
            alpha_walk_sd: 0.02,
            tao_walk_sd: 0.03,
            initial_maincomp_share: 0.2,
            initial_probation_share: 0.05,
        }
    }
}

struct Miner {
    hotkey: String,
    forex: bool,
    drift: f64,
    vol: f64,
    collateral_usd: f64,
    account: f64,
    risk_profile: f64,
    rap: f64,
    status: Status,
    /// Index of the checkpoint at which the current status began.
    since: usize,
    registered: usize,
    equity: f64,
    peak: f64,
    /// Status to return to if a plagiarism review clears.
    before_plagiarism: Status,
    checkpoints: Vec<Checkpoint>,
    /// Index into the output of the first status of each stint, for back-filling.
    status_changes: Vec<(usize, Status)>,
    alive: bool,
}

fn hotkey(rng: &mut seed::Rng) -> String {
    const B58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut s = String::with_capacity(48);
    s.push('5');
    for _ in 0..47 {
        s.push(B58[rng.random_range(0..B58.len())] as char);
    }
    s
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let p = 10f64.powi(decimals);
    (x * p).round() / p
}

fn new_miner(p: &PopulationParams, rng: &mut seed::Rng, k: usize, status: Status) -> Miner {
    let u: f64 = rng.random();
    let collateral_usd = if u < p.zero_collateral_share {
        0.0
    } else if u < p.zero_collateral_share + p.low_collateral_share {
        (rng.random_range(10.0..300.0f64)).round() * 500.0
    } else {
        (rng.random_range(300.0..1000.0f64)).round() * 500.0
    };
    // DOMAIN: account = min(collateral Theta, 1000) × 500 USD; no collateral counts as 5 000.
    let account = if collateral_usd > 0.0 { collateral_usd.min(500_000.0) } else { 5_000.0 };
    let drift = Normal::new(p.monthly_drift_mean, p.monthly_drift_sd).expect("valid normal").sample(rng) / 60.0;
    let vol = LogNormal::new(p.vol_12h_median.ln(), p.vol_log_sd).expect("valid lognormal").sample(rng);
    let risk_profile = if rng.random_bool(0.8) { 0.9918 } else { round_to(rng.random_range(0.69..0.9918), 4) };
    Miner {
        hotkey: hotkey(rng),
        forex: rng.random_bool(p.forex_share),
        drift,
        vol,
        collateral_usd,
        account,
        risk_profile,
        rap: round_to(rng.random_range(0.2..1.0), 4),
        status: status.clone(),
        since: k,
        registered: k,
        equity: 1.0,
        peak: 1.0,
        before_plagiarism: status.clone(),
        checkpoints: Vec::new(),
        status_changes: vec![(0, status)],
        alive: true,
    }
}

impl Miner {
    fn set_status(&mut self, s: Status, k: usize) {
        self.status = s.clone();
        self.since = k;
        self.status_changes.push((self.checkpoints.len(), s));
    }
    fn score(&self) -> f64 {
        (self.equity - 1.0) * self.risk_profile * self.rap
    }
}

/// A generated population: the ledgers and each miner's collateral (USD).
pub struct Population {
    pub set: LedgerSet,
    pub collateral: Vec<(String, f64)>,
}

pub fn generate(p: &PopulationParams) -> Population {
    let mut rng = seed::rng(p.seed, 0);
    let steps = p.days as usize * 2;
    let per_day = (MS_PER_DAY / CHECKPOINT_MS) as usize;
    let mut miners: Vec<Miner> = Vec::new();
    let mut slots: Vec<usize> = Vec::new();
    for _ in 0..p.miners {
        let u: f64 = rng.random();
        let status = if u < p.initial_maincomp_share {
            Status::Maincomp
        } else if u < p.initial_maincomp_share + p.initial_probation_share {
            Status::Probation
        } else {
            Status::Challenge
        };
        let mut m = new_miner(p, &mut rng, 0, status.clone());
        if status == Status::Challenge {
            // Stagger ages so promotions and eliminations spread out.
            let age = rng.random_range(0..(p.challenge_max_days as usize * per_day));
            m.since = 0usize.wrapping_sub(age);
            m.registered = m.since;
        }
        slots.push(miners.len());
        miners.push(m);
    }
    let t_dist = StudentT::new(p.t_dof).expect("valid dof");
    let t_scale = if p.t_dof > 2.0 { ((p.t_dof - 2.0) / p.t_dof).sqrt() } else { 1.0 };
    let policy = preset("ptn-dynamic").expect("preset exists");
    let model = payout::model(&policy.payout).expect("model exists");
    let (mut alpha_tao, mut tao_usd) = (p.alpha_to_tao, p.tao_to_usd);
    let mut weights: Vec<(usize, f64)> = Vec::new();
    let mut pending_refill: Vec<(usize, usize)> = Vec::new(); // (slot, step to refill)

    for k in 0..steps {
        let ts = p.start_ms + (k as i64 + 1) * CHECKPOINT_MS;
        // Refill slots whose miner left (DOMAIN: slots refilled by fresh hotkeys).
        let mut still = Vec::new();
        for (slot, at) in pending_refill.drain(..) {
            if at <= k {
                slots[slot] = miners.len();
                miners.push(new_miner(p, &mut rng, k, Status::Challenge));
            } else {
                still.push((slot, at));
            }
        }
        pending_refill = still;
        // Daily: prices walk, weights are recomputed with production's policy.
        if k % per_day == 0 {
            alpha_tao *= (Normal::new(0.0, p.alpha_walk_sd).expect("sd").sample(&mut rng) as f64).exp();
            tao_usd *= (Normal::new(0.0, p.tao_walk_sd).expect("sd").sample(&mut rng) as f64).exp();
            weights = production_weights(&miners, &slots, ts - CHECKPOINT_MS, &policy, model.as_ref());
        }
        let weekend = {
            let dow = ((ts - 1) / MS_PER_DAY + 4).rem_euclid(7); // 0 = Sunday
            dow == 0 || dow == 6
        };
        for (slot, &mi) in slots.iter().enumerate() {
            let m = &mut miners[mi];
            if !m.alive {
                continue;
            }
            let r = if m.forex && weekend { 0.0 } else { m.drift + m.vol * t_scale * t_dist.sample(&mut rng) };
            let net = round_to(r * m.account * m.equity, 2);
            m.equity *= 1.0 + net / m.account;
            m.peak = m.peak.max(m.equity);
            let dd = 1.0 - m.equity / m.peak;
            let eliminated_dd = dd >= p.drawdown_limit;
            let gross = net.abs() * rng.random_range(2.0..5.0) + rng.random_range(0.0..20.0);
            let gain = round_to((gross + net) / 2.0, 2);
            let loss = round_to(net - gain, 2);
            let mut cp = Checkpoint::new(ts);
            let w = weights.iter().find(|(i, _)| *i == mi).map(|x| x.1).unwrap_or(0.0);
            let alpha = w * p.pool_alpha_per_day / per_day as f64;
            cp.chunk_emissions_alpha = round_to(alpha, 6);
            cp.chunk_emissions_tao = round_to(alpha * alpha_tao, 9);
            cp.chunk_emissions_usd = round_to(alpha * alpha_tao * tao_usd, 4);
            cp.avg_alpha_to_tao_rate = round_to(alpha_tao, 6);
            cp.avg_tao_to_usd_rate = round_to(tao_usd, 2);
            cp.portfolio_return = round_to(m.equity, 8);
            cp.pnl_gain = Some(gain);
            cp.pnl_loss = Some(loss);
            cp.max_drawdown = round_to(1.0 - dd.max(0.0), 8);
            cp.max_portfolio_value = round_to(m.peak * m.account, 2);
            cp.accum_ms = CHECKPOINT_MS;
            cp.open_ms = if r == 0.0 { 0 } else { CHECKPOINT_MS };
            cp.n_updates = if r == 0.0 { 0 } else { rng.random_range(20..400) };
            cp.spread_fee_loss = round_to(-(gross * 0.001), 2);
            cp.carry_fee_loss = round_to(-(m.account * 0.1095 / 730.0) * if m.forex { 0.27 } else { 1.0 }, 2);
            cp.drawdown_penalty = if eliminated_dd { 0.0 } else { 1.0 };
            cp.risk_profile_penalty = m.risk_profile;
            cp.min_collateral_penalty = if m.account >= 150_000.0 { 1.0 } else { 0.01 };
            cp.risk_adjusted_performance_penalty = m.rap;
            cp.total_penalty = cp.drawdown_penalty
                * cp.risk_profile_penalty
                * cp.min_collateral_penalty
                * cp.risk_adjusted_performance_penalty;
            cp.status = m.status.clone();
            m.checkpoints.push(cp);
            if eliminated_dd {
                m.alive = false;
                pending_refill.push((slot, k + rng.random_range(1..6)));
            }
        }
        if k % per_day == per_day - 1 {
            lifecycle(p, &mut miners, &slots, k, &mut rng, &mut pending_refill);
        }
    }
    let mut collateral = Vec::new();
    let ledgers = miners
        .into_iter()
        .filter(|m| !m.checkpoints.is_empty())
        .map(|mut m| {
            backfill(&mut m);
            collateral.push((m.hotkey.clone(), m.collateral_usd));
            Ledger { key: m.hotkey.clone(), hotkey: m.hotkey, checkpoints: m.checkpoints }
        })
        .collect();
    let last = p.start_ms + steps as i64 * CHECKPOINT_MS;
    Population {
        set: LedgerSet { format_version: Some("1.0".into()), last_update_ms: Some(last), ledgers },
        collateral,
    }
}

/// Daily lifecycle: promotions by rank within the asset class, demotions, time limits,
/// plagiarism reviews. Departed slots are queued for a fresh hotkey.
fn lifecycle(
    p: &PopulationParams,
    miners: &mut [Miner],
    slots: &[usize],
    k: usize,
    rng: &mut seed::Rng,
    refill: &mut Vec<(usize, usize)>,
) {
    let per_day = 2.0;
    let days = |since: usize| (k.wrapping_sub(since) as f64 + 1.0) / per_day;
    for (slot, &mi) in slots.iter().enumerate() {
        if !miners[mi].alive {
            continue;
        }
        let status = miners[mi].status.clone();
        let mut leave = false;
        match status {
            Status::Challenge | Status::Probation => {
                let class = miners[mi].forex;
                let mains: Vec<usize> = slots
                    .iter()
                    .copied()
                    .filter(|&j| miners[j].alive && miners[j].status == Status::Maincomp && miners[j].forex == class)
                    .collect();
                let eligible = status == Status::Probation || days(miners[mi].registered) >= p.challenge_min_days;
                let weakest = mains.iter().copied().min_by(|&a, &b| miners[a].score().total_cmp(&miners[b].score()));
                let score = miners[mi].score();
                if eligible && score > 0.0 {
                    if mains.len() < p.maincomp_per_class {
                        miners[mi].set_status(Status::Maincomp, k + 1);
                    } else if let Some(w) = weakest.filter(|&w| score > miners[w].score()) {
                        miners[mi].set_status(Status::Maincomp, k + 1);
                        miners[w].set_status(Status::Probation, k + 1);
                    }
                }
                let limit = if status == Status::Challenge { p.challenge_max_days } else { p.probation_days };
                let since = if status == Status::Challenge { miners[mi].registered } else { miners[mi].since };
                if miners[mi].status == status && days(since) >= limit {
                    leave = true;
                }
            }
            Status::Plagiarism if days(miners[mi].since) >= p.plagiarism_review_days => {
                if rng.random_bool(p.plagiarism_eliminate) {
                    leave = true;
                } else {
                    let back = miners[mi].before_plagiarism.clone();
                    miners[mi].set_status(back, k + 1);
                }
            }
            _ => {}
        }
        if !leave && miners[mi].status != Status::Plagiarism && rng.random_bool(p.plagiarism_daily) {
            miners[mi].before_plagiarism = miners[mi].status.clone();
            miners[mi].set_status(Status::Plagiarism, k + 1);
        }
        if leave {
            miners[mi].alive = false;
            refill.push((slot, k + rng.random_range(1..6)));
        }
    }
}

/// DOMAIN: statuses on checkpoints are back-filled from the miner's current bucket: a
/// MAINCOMP miner's earlier checkpoints read CHALLENGE; PROBATION and PLAGIARISM miners'
/// earlier ones read `unknown`.
fn backfill(m: &mut Miner) {
    let Some((start, last)) = m.status_changes.last().cloned() else { return };
    let fill = match last {
        Status::Maincomp => Status::Challenge,
        Status::Probation | Status::Plagiarism => Status::Unknown,
        _ => return,
    };
    for cp in m.checkpoints.iter_mut().take(start) {
        if cp.status != last {
            cp.status = fill.clone();
        }
    }
}

/// Weights production's own policy gives the living miners at `t` (miner index, weight).
fn production_weights(
    miners: &[Miner],
    slots: &[usize],
    t: i64,
    policy: &crate::policy::DustPolicy,
    model: &dyn payout::PayoutModel,
) -> Vec<(usize, f64)> {
    let alive: Vec<usize> = slots.iter().copied().filter(|&i| miners[i].alive).collect();
    let set = LedgerSet {
        format_version: None,
        last_update_ms: None,
        ledgers: alive
            .iter()
            .map(|&i| Ledger {
                key: miners[i].hotkey.clone(),
                hotkey: miners[i].hotkey.clone(),
                checkpoints: miners[i].checkpoints.clone(),
            })
            .collect(),
    };
    let store = Store::from_set(&set);
    let view = AsOf::new(&store, t);
    let buckets: Vec<Status> = alive.iter().map(|&i| miners[i].status.clone()).collect();
    let collateral: Vec<f64> = alive.iter().map(|&i| miners[i].collateral_usd).collect();
    let eval = evaluate(policy, model, &view, &buckets, &collateral);
    alive.iter().enumerate().map(|(k, &i)| (i, eval.payout.weight_of(k))).collect()
}
