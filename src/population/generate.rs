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
use crate::ledger::store::{AsOf, Series, Store};
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
    /// First checkpoint period starts here (epoch ms or RFC 3339, 00:00 UTC).
    #[serde(rename = "start", deserialize_with = "de_time")]
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
    /// 30-day penalty-adjusted return per unit of its volatility a challenger needs before it
    /// can be promoted (assumption, tuned with the churn: see `calibration::CHURN_COMPROMISE`).
    pub promotion_hurdle: f64,
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
    /// Record emissions unrounded and leave statuses as they were when paid (no back-fill), so
    /// a closed-loop replay of the paying policy can reproduce the record exactly (validation).
    #[serde(default)]
    pub exact_record: bool,
}

fn de_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    use serde::de::Error;
    crate::time::TimeValue::deserialize(d)?.resolve().map_err(D::Error::custom)
}

impl PopulationParams {
    /// Checks every knob against the range the generator can honour, naming the key and the
    /// range: a value outside it would panic in a distribution or fill ledgers with NaN.
    pub fn check(&self) -> Result<(), String> {
        let range = |key: &str, x: f64, lo: f64, hi: f64, open_lo: bool| -> Result<(), String> {
            let ok = x.is_finite() && (if open_lo { x > lo } else { x >= lo }) && x <= hi;
            if ok {
                Ok(())
            } else {
                let l = if open_lo { "(" } else { "[" };
                Err(format!("[population] {key} must be a number in {l}{lo}, {hi}], got {x}"))
            }
        };
        let share = |key: &str, x: f64| range(key, x, 0.0, 1.0, false);
        if !(1..=100_000).contains(&self.miners) {
            return Err(format!("[population] miners must be in [1, 100000], got {}", self.miners));
        }
        if !(1..=3650).contains(&self.days) {
            return Err(format!("[population] days must be in [1, 3650], got {}", self.days));
        }
        range("challenge_max_days", self.challenge_max_days, 1.0, 3650.0, false)?;
        range("challenge_min_days", self.challenge_min_days, 0.0, self.challenge_max_days, false)?;
        range("probation_days", self.probation_days, 0.5, 3650.0, false)?;
        if self.maincomp_per_class == 0 {
            return Err("[population] maincomp_per_class must be at least 1, got 0".into());
        }
        range("promotion_hurdle", self.promotion_hurdle, -1.0, 10.0, false)?;
        range("drawdown_limit", self.drawdown_limit, 0.0, 1.0, true)?;
        share("plagiarism_daily", self.plagiarism_daily)?;
        range("plagiarism_review_days", self.plagiarism_review_days, 0.5, 3650.0, false)?;
        share("plagiarism_eliminate", self.plagiarism_eliminate)?;
        share("forex_share", self.forex_share)?;
        range("monthly_drift_mean", self.monthly_drift_mean, -1.0, 1.0, false)?;
        range("monthly_drift_sd", self.monthly_drift_sd, 0.0, 1.0, false)?;
        range("vol_12h_median", self.vol_12h_median, 0.0, 0.5, true)?;
        range("vol_log_sd", self.vol_log_sd, 0.0, 3.0, false)?;
        range("t_dof", self.t_dof, 0.0, 1e6, true)?;
        share("zero_collateral_share", self.zero_collateral_share)?;
        share("low_collateral_share", self.low_collateral_share)?;
        share("zero_collateral_share + low_collateral_share", self.zero_collateral_share + self.low_collateral_share)?;
        range("pool_alpha_per_day", self.pool_alpha_per_day, 0.0, 1e9, false)?;
        range("alpha_to_tao", self.alpha_to_tao, 0.0, 1e6, true)?;
        range("tao_to_usd", self.tao_to_usd, 0.0, 1e9, true)?;
        range("alpha_walk_sd", self.alpha_walk_sd, 0.0, 1.0, false)?;
        range("tao_walk_sd", self.tao_walk_sd, 0.0, 1.0, false)?;
        share("initial_maincomp_share", self.initial_maincomp_share)?;
        share("initial_probation_share", self.initial_probation_share)?;
        share(
            "initial_maincomp_share + initial_probation_share",
            self.initial_maincomp_share + self.initial_probation_share,
        )?;
        Ok(())
    }
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
            promotion_hurdle: 0.6,
            drawdown_limit: 0.10,
            plagiarism_daily: 0.0005,
            plagiarism_review_days: 14.0,
            plagiarism_eliminate: 0.7,
            forex_share: 0.3,
            monthly_drift_mean: 0.0,
            monthly_drift_sd: 0.02,
            vol_12h_median: 0.0025,
            vol_log_sd: 0.3,
            t_dof: 4.0,
            zero_collateral_share: 0.1,
            low_collateral_share: 0.15,
            pool_alpha_per_day: 2950.0,
            alpha_to_tao: 0.076,
            tao_to_usd: 400.0,
            alpha_walk_sd: 0.02,
            tao_walk_sd: 0.03,
            initial_maincomp_share: 0.2,
            initial_probation_share: 0.2,
            exact_record: false,
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
    /// Step at which the current status began.
    since: i64,
    /// Step of registration (may precede the first step for the initial population).
    registered: i64,
    equity: f64,
    peak: f64,
    /// Status to return to if a plagiarism review clears.
    before_plagiarism: Status,
    checkpoints: Vec<Checkpoint>,
    /// Each checkpoint's 12-hour return on the one before (the first on 1): the score reads
    /// the last 60 at every day of every run, and dividing them again was most of it.
    returns: Vec<f64>,
    /// (checkpoint index, status) at each status change, for back-filling.
    status_changes: Vec<(usize, Status)>,
    alive: bool,
}

/// A lifecycle event, for statistics and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Registered,
    Promoted,
    Demoted,
    Flagged,
    Cleared,
    /// Elimination, with its reason: drawdown, challenge, probation or plagiarism.
    Eliminated(&'static str),
}

#[derive(Debug, Clone)]
pub struct Event {
    pub at_ms: i64,
    pub hotkey: String,
    pub kind: EventKind,
}

/// A generated population: the ledgers, each miner's collateral (USD), its true bucket
/// history (before back-filling), and the lifecycle events.
pub struct Population {
    pub set: LedgerSet,
    pub collateral: Vec<(String, f64)>,
    pub buckets: Vec<(String, i64, Status)>,
    pub events: Vec<Event>,
    /// Hotkeys of the forex miners (the rest trade crypto): MAINCOMP places are per class.
    pub forex: std::collections::HashSet<String>,
}

/// A fresh SS58-shaped hotkey (`5` and 47 base-58 characters).
pub fn hotkey(rng: &mut seed::Rng) -> String {
    const B58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut s = String::with_capacity(48);
    s.push('5');
    for _ in 0..47 {
        s.push(B58[rng.random_range(0..B58.len())] as char);
    }
    s
}

pub(crate) fn round_to(x: f64, decimals: i32) -> f64 {
    let p = 10f64.powi(decimals);
    (x * p).round() / p
}

/// Collateral in USD: zero, below the minimum, or 300–1 000 Theta × 500 USD.
pub(crate) fn draw_collateral(p: &PopulationParams, rng: &mut seed::Rng) -> f64 {
    let u: f64 = rng.random();
    if u < p.zero_collateral_share {
        0.0
    } else if u < p.zero_collateral_share + p.low_collateral_share {
        rng.random_range(10.0..300.0f64).round() * 500.0
    } else {
        rng.random_range(300.0..1000.0f64).round() * 500.0
    }
}

/// DOMAIN: account = min(collateral Theta, 1000) × 500 USD; no collateral counts as 5 000.
pub fn account_of(collateral_usd: f64) -> f64 {
    if collateral_usd > 0.0 { collateral_usd.min(500_000.0) } else { 5_000.0 }
}

fn new_miner(p: &PopulationParams, rng: &mut seed::Rng, k: usize, status: Status) -> Miner {
    let collateral_usd = draw_collateral(p, rng);
    let drift = Normal::new(p.monthly_drift_mean, p.monthly_drift_sd).expect("valid normal").sample(rng) / 60.0;
    let vol = LogNormal::new(p.vol_12h_median.ln(), p.vol_log_sd).expect("valid lognormal").sample(rng);
    let risk_profile = if rng.random_bool(0.8) { 0.9918 } else { round_to(rng.random_range(0.69..0.9918), 4) };
    Miner {
        hotkey: hotkey(rng),
        forex: rng.random_bool(p.forex_share),
        drift,
        vol,
        collateral_usd,
        account: account_of(collateral_usd),
        risk_profile,
        rap: round_to(rng.random_range(0.2..1.0), 4),
        status: status.clone(),
        since: k as i64,
        registered: k as i64,
        equity: 1.0,
        peak: 1.0,
        before_plagiarism: status.clone(),
        checkpoints: Vec::new(),
        returns: Vec::new(),
        status_changes: vec![(0, status)],
        alive: true,
    }
}

impl Miner {
    /// Appends a checkpoint, with its return on the one before.
    fn record(&mut self, cp: Checkpoint) {
        let prev = self.checkpoints.last().map_or(1.0, |c| c.portfolio_return);
        self.returns.push(cp.portfolio_return / prev - 1.0);
        self.checkpoints.push(cp);
    }

    fn set_status(&mut self, s: Status, k: usize) {
        self.status = s.clone();
        self.since = k as i64;
        self.status_changes.push((self.checkpoints.len(), s));
    }
    /// Ranking score for promotion: the last 30 days' penalty-adjusted return per unit of its
    /// volatility (since the first checkpoint for a younger ledger; an incumbent's head start
    /// counts). Production ranks by risk-adjusted measures, so steady miners are promoted over
    /// lucky volatile ones — and, being steady, they stay, which is what holds MAINCOMP and
    /// PROBATION places long enough for DOMAIN's churn.
    fn score(&self) -> f64 {
        let n = self.checkpoints.len();
        let w = n.min(60);
        let base = if n > 60 { self.checkpoints[n - 61].portfolio_return } else { 1.0 };
        let (mut sum, mut sum2) = (0.0, 0.0);
        for &r in &self.returns[n - w..] {
            sum += r;
            sum2 += r * r;
        }
        let var = if w > 1 { ((sum2 - sum * sum / w as f64) / (w - 1) as f64).max(0.0) } else { 0.0 };
        let risk = (var.sqrt() * (w as f64).sqrt()).max(RISK_FLOOR);
        (self.equity / base - 1.0) / risk * self.risk_profile * self.rap
    }
}

/// Lowest window volatility a score divides by, so a miner that barely trades is not ranked
/// first for a tiny steady gain.
const RISK_FLOOR: f64 = 0.01;

/// The policy whose payments the generator records (production's release of 31 October
/// 2025); injected adversaries are paid by it too.
pub const PAYER: &str = "ptn-dynamic";

/// One 12-hour return: drift plus Student-t noise scaled to the miner's volatility.
pub(crate) fn draw_return(drift: f64, vol: f64, t: &StudentT<f64>, t_scale: f64, rng: &mut seed::Rng) -> f64 {
    drift + vol * t_scale * t.sample(rng)
}

/// From 2025-11-29T00:00Z the validator writes realized/unrealized PnL instead of gain/loss.
pub const REALIZED_LAYOUT_FROM_MS: i64 = 1_764_374_400_000;

/// Fills a checkpoint's performance, fee and penalty fields from a net PnL.
#[allow(clippy::too_many_arguments)]
pub(crate) fn performance_checkpoint(
    ts: i64,
    net: f64,
    equity: f64,
    peak: f64,
    account: f64,
    forex: bool,
    risk_profile: f64,
    rap: f64,
    rng: &mut seed::Rng,
) -> Checkpoint {
    let gross = net.abs() * rng.random_range(2.0..5.0) + rng.random_range(0.0..20.0);
    let gain = round_to((gross + net) / 2.0, 2);
    let mut cp = Checkpoint::new(ts);
    if ts >= REALIZED_LAYOUT_FROM_MS {
        // The validator's layout from 29 November 2025: realized and unrealized PnL. A share of
        // a losing period is still open (an unrealized loss), so the releases' open-loss term
        // has something to read; net (realized + unrealized) stays the period's PnL.
        let open = round_to(0.25 * net.min(0.0), 2);
        cp.unrealized_pnl = Some(open);
        cp.realized_pnl = Some(round_to(net - open, 2));
    } else {
        cp.pnl_gain = Some(gain);
        cp.pnl_loss = Some(round_to(net - gain, 2));
    }
    cp.portfolio_return = round_to(equity, 8);
    cp.max_drawdown = round_to(equity / peak, 8);
    cp.max_portfolio_value = round_to(peak * account, 2);
    cp.accum_ms = CHECKPOINT_MS;
    cp.open_ms = if net == 0.0 { 0 } else { CHECKPOINT_MS };
    cp.n_updates = if net == 0.0 { 0 } else { rng.random_range(20..400) };
    cp.spread_fee_loss = round_to(-(gross * 0.001), 2);
    cp.carry_fee_loss = round_to(-(account * 0.1095 / 730.0) * if forex { 0.27 } else { 1.0 }, 2);
    cp.drawdown_penalty = 1.0;
    cp.risk_profile_penalty = risk_profile;
    cp.min_collateral_penalty = if account >= 150_000.0 { 1.0 } else { 0.01 };
    cp.risk_adjusted_performance_penalty = rap;
    cp.total_penalty = risk_profile * cp.min_collateral_penalty * rap;
    cp
}

struct Sim<'p> {
    p: &'p PopulationParams,
    rng: seed::Rng,
    miners: Vec<Miner>,
    /// Every miner's history so far, for production's weights (grown in place, never copied).
    store: Store,
    slots: Vec<usize>,
    refill: Vec<(usize, usize)>,
    events: Vec<Event>,
    buckets: Vec<(String, i64, Status)>,
}

impl Sim<'_> {
    fn ts(&self, k: usize) -> i64 {
        self.p.start_ms + (k as i64 + 1) * CHECKPOINT_MS
    }

    fn event(&mut self, k: usize, mi: usize, kind: EventKind) {
        let hk = self.miners[mi].hotkey.clone();
        if let EventKind::Registered
        | EventKind::Promoted
        | EventKind::Demoted
        | EventKind::Flagged
        | EventKind::Cleared = kind
        {
            // One row per (hotkey, instant): a second change in the same step replaces the
            // first, so the history never gives one instant two buckets.
            let at = self.ts(k) - CHECKPOINT_MS;
            let status = self.miners[mi].status.clone();
            match self.buckets.iter_mut().rev().take_while(|b| b.1 == at).find(|b| b.0 == hk) {
                Some(b) => b.2 = status,
                None => self.buckets.push((hk.clone(), at, status)),
            }
        }
        if let EventKind::Eliminated(_) = kind {
            // Out from the end of its last period: the next evaluation no longer scores it.
            self.buckets.push((hk.clone(), self.ts(k), Status::parse("ELIMINATED")));
        }
        self.events.push(Event { at_ms: self.ts(k) - CHECKPOINT_MS, hotkey: hk, kind });
    }

    fn add_miner(&mut self, k: usize, status: Status) -> usize {
        let mut m = new_miner(self.p, &mut self.rng, k, status);
        // Room for every checkpoint it can still write: growing checkpoint by checkpoint
        // reallocates and copies (half of a population's generation time).
        let left = (self.p.days as usize * 2).saturating_sub(k);
        m.checkpoints.reserve_exact(left);
        m.returns.reserve_exact(left);
        let mut series = Series::new(&m.hotkey);
        series.reserve(left);
        self.store.miners.push(series);
        self.miners.push(m);
        let mi = self.miners.len() - 1;
        self.event(k, mi, EventKind::Registered);
        mi
    }

    fn set_status(&mut self, mi: usize, s: Status, k: usize, kind: EventKind) {
        self.miners[mi].set_status(s, k);
        self.event(k, mi, kind);
    }

    fn eliminate(&mut self, slot: usize, k: usize, reason: &'static str) {
        let mi = self.slots[slot];
        self.miners[mi].alive = false;
        self.event(k, mi, EventKind::Eliminated(reason));
        let delay = self.rng.random_range(1..6);
        self.refill.push((slot, k + delay));
    }

    /// Adds every miner's checkpoints not yet in the store to it. The store is read only for
    /// the day's weights, so a day's checkpoints go in together (one at a time, the store's
    /// bookkeeping per call was a fifth of the generator).
    fn catch_up_store(&mut self) {
        for (m, series) in self.miners.iter().zip(&mut self.store.miners) {
            series.extend(&m.checkpoints[series.ts.len()..]);
        }
    }

    /// Weights production's own policy gives the living miners at `t` (by miner index).
    fn production_weights(
        &self,
        t: i64,
        policy: &crate::policy::DustPolicy,
        model: &dyn payout::PayoutModel,
    ) -> Vec<f64> {
        let alive: Vec<usize> = self.slots.iter().copied().filter(|&i| self.miners[i].alive).collect();
        let view = AsOf::of_subset(&self.store, &alive, t);
        let buckets: Vec<Status> = alive.iter().map(|&i| self.miners[i].status.clone()).collect();
        let collateral: Vec<f64> = alive.iter().map(|&i| self.miners[i].collateral_usd).collect();
        // The generator pays through a November 2025 release, which never raises.
        let eval = evaluate(policy, model, &view, &buckets, &collateral, &payout::Context::default())
            .expect("the release of 31 October 2025 needs no metagraph");
        let mut w = vec![0.0; self.miners.len()];
        for (k, &i) in alive.iter().enumerate() {
            w[i] = eval.payout.weight_of(k);
        }
        w
    }
}

pub fn generate(p: &PopulationParams) -> Population {
    let steps = p.days as usize * 2;
    let per_day = (MS_PER_DAY / CHECKPOINT_MS) as usize;
    let mut sim = Sim {
        p,
        rng: seed::rng(p.seed, 0),
        miners: Vec::new(),
        store: Store::default(),
        slots: Vec::new(),
        refill: Vec::new(),
        events: Vec::new(),
        buckets: Vec::new(),
    };
    // The initial population: some already MAINCOMP (within the per-class cap) or PROBATION,
    // the rest CHALLENGE with staggered ages so promotions and eliminations spread out.
    let mut maincomp_per_class = [0usize; 2];
    for _ in 0..p.miners {
        let u: f64 = sim.rng.random();
        let wanted = if u < p.initial_maincomp_share {
            Status::Maincomp
        } else if u < p.initial_maincomp_share + p.initial_probation_share {
            Status::Probation
        } else {
            Status::Challenge
        };
        let mi = sim.add_miner(0, wanted.clone());
        let class = sim.miners[mi].forex as usize;
        if wanted == Status::Maincomp {
            if maincomp_per_class[class] < p.maincomp_per_class {
                maincomp_per_class[class] += 1;
                // An incumbent earned its place: give it the track record it had.
                let head_start = sim.rng.random_range(0.02..0.12);
                sim.miners[mi].equity = 1.0 + head_start;
                sim.miners[mi].peak = 1.0 + head_start;
            } else {
                sim.miners[mi].set_status(Status::Challenge, 0);
                if let Some(b) = sim.buckets.last_mut() {
                    b.2 = Status::Challenge;
                }
            }
        }
        if sim.miners[mi].status == Status::Challenge {
            let age = sim.rng.random_range(0..(p.challenge_max_days as i64 * per_day as i64));
            sim.miners[mi].registered = -age;
        }
        if sim.miners[mi].status == Status::Probation {
            // Demoted at some point of the last probation period, not all on the first day.
            let age = sim.rng.random_range(0..(p.probation_days as i64 * per_day as i64));
            sim.miners[mi].since = -age;
        }
        sim.slots.push(mi);
    }
    let t_dist = StudentT::new(p.t_dof).expect("valid dof");
    let t_scale = if p.t_dof > 2.0 { ((p.t_dof - 2.0) / p.t_dof).sqrt() } else { 1.0 };
    let policy = preset(PAYER).expect("preset exists");
    let model = payout::model(&policy.payout).expect("model exists");
    let (mut alpha_tao, mut tao_usd) = (p.alpha_to_tao, p.tao_to_usd);
    let mut weights: Vec<f64> = Vec::new();

    for k in 0..steps {
        let ts = sim.ts(k);
        // Slots whose miner left get a fresh hotkey (DOMAIN), after a short delay.
        let due: Vec<(usize, usize)> = sim.refill.iter().copied().filter(|r| r.1 <= k).collect();
        sim.refill.retain(|r| r.1 > k);
        for (slot, _) in due {
            let mi = sim.add_miner(k, Status::Challenge);
            sim.slots[slot] = mi;
        }
        if k % per_day == 0 {
            alpha_tao *= (Normal::new(0.0, p.alpha_walk_sd).expect("sd").sample(&mut sim.rng) as f64).exp();
            tao_usd *= (Normal::new(0.0, p.tao_walk_sd).expect("sd").sample(&mut sim.rng) as f64).exp();
            sim.catch_up_store();
            weights = sim.production_weights(ts - CHECKPOINT_MS, &policy, model.as_ref());
        }
        let weekend = {
            let dow = ((ts - 1) / MS_PER_DAY + 4).rem_euclid(7); // 0 = Sunday
            dow == 0 || dow == 6
        };
        for slot in 0..sim.slots.len() {
            let mi = sim.slots[slot];
            if !sim.miners[mi].alive {
                continue;
            }
            let (drift, vol, forex) = (sim.miners[mi].drift, sim.miners[mi].vol, sim.miners[mi].forex);
            let r = if forex && weekend { 0.0 } else { draw_return(drift, vol, &t_dist, t_scale, &mut sim.rng) };
            let m = &mut sim.miners[mi];
            let net = round_to(r * m.account * m.equity, 2);
            m.equity *= 1.0 + net / m.account;
            m.peak = m.peak.max(m.equity);
            let dd = 1.0 - m.equity / m.peak;
            let (equity, peak, account, rp, rap) = (m.equity, m.peak, m.account, m.risk_profile, m.rap);
            let mut cp = performance_checkpoint(ts, net, equity, peak, account, forex, rp, rap, &mut sim.rng);
            let alpha = weights.get(mi).copied().unwrap_or(0.0) * p.pool_alpha_per_day / per_day as f64;
            let round = |x: f64, d: i32| if p.exact_record { x } else { round_to(x, d) };
            cp.chunk_emissions_alpha = round(alpha, 6);
            cp.chunk_emissions_tao = round(alpha * alpha_tao, 9);
            cp.chunk_emissions_usd = round(alpha * alpha_tao * tao_usd, 4);
            cp.avg_alpha_to_tao_rate = round_to(alpha_tao, 6);
            cp.avg_tao_to_usd_rate = round_to(tao_usd, 2);
            let eliminated = dd >= p.drawdown_limit;
            if eliminated {
                cp.drawdown_penalty = 0.0;
                cp.total_penalty = 0.0;
            }
            cp.status = sim.miners[mi].status.clone();
            sim.miners[mi].record(cp);
            if eliminated {
                sim.eliminate(slot, k, "drawdown");
            }
        }
        if k % per_day == per_day - 1 {
            lifecycle(&mut sim, k);
        }
    }
    let mut collateral = Vec::new();
    let mut forex = std::collections::HashSet::new();
    let Sim { miners, events, buckets, .. } = sim;
    let ledgers = miners
        .into_iter()
        .filter(|m| !m.checkpoints.is_empty())
        .map(|mut m| {
            if !p.exact_record {
                backfill(&mut m);
            }
            collateral.push((m.hotkey.clone(), m.collateral_usd));
            if m.forex {
                forex.insert(m.hotkey.clone());
            }
            m.checkpoints.shrink_to_fit();
            Ledger { key: m.hotkey.clone(), hotkey: m.hotkey, checkpoints: m.checkpoints }
        })
        .collect();
    let last = p.start_ms + steps as i64 * CHECKPOINT_MS;
    Population {
        set: LedgerSet { format_version: Some("1.0".into()), last_update_ms: Some(last), ledgers },
        collateral,
        buckets,
        events,
        forex,
    }
}

/// Daily lifecycle: promotions by rank within the asset class (a challenger or probation
/// miner displaces the weakest MAINCOMP of its class when the class is full), time limits,
/// plagiarism reviews. Departed slots are queued for a fresh hotkey.
fn lifecycle(sim: &mut Sim, k: usize) {
    let p = sim.p;
    let days = |since: i64| (k as i64 - since + 1) as f64 / 2.0;
    // Scores do not change within the day's lifecycle; statuses do.
    let scores: Vec<f64> = sim.miners.iter().map(|m| if m.alive { m.score() } else { f64::NEG_INFINITY }).collect();
    // Per slot, the asset class (1 + forex) of a living MAINCOMP miner, else 0: every
    // challenger scans its class's MAINCOMP places, and scanning the miners themselves was a
    // third of the generator. Kept up to date as the day's changes happen.
    let main_class = |sim: &Sim, slot: usize| {
        let m = &sim.miners[sim.slots[slot]];
        if m.alive && m.status == Status::Maincomp { 1 + u8::from(m.forex) } else { 0 }
    };
    let mut mains_of: Vec<u8> = (0..sim.slots.len()).map(|slot| main_class(sim, slot)).collect();
    for slot in 0..sim.slots.len() {
        let mi = sim.slots[slot];
        if !sim.miners[mi].alive {
            continue;
        }
        // The slot of a MAINCOMP miner this one displaces.
        let mut displaced = None;
        let status = sim.miners[mi].status.clone();
        let mut leave = None;
        match status {
            Status::Challenge | Status::Probation => {
                let class = sim.miners[mi].forex;
                // The class's MAINCOMP miners: how many, and the weakest's slot (the first of
                // equals).
                let (mut mains, mut weakest) = (0, None::<usize>);
                let wanted = 1 + u8::from(class);
                for (j, _) in mains_of.iter().enumerate().filter(|(_, c)| **c == wanted) {
                    mains += 1;
                    if weakest.is_none_or(|w| scores[sim.slots[j]].total_cmp(&scores[sim.slots[w]]).is_lt()) {
                        weakest = Some(j);
                    }
                }
                let eligible = status == Status::Probation || days(sim.miners[mi].registered) >= p.challenge_min_days;
                let score = scores[mi];
                // A challenger must also clear the hurdle (which sets the pass rate); a probation
                // miner only has to rank back into its class's places, as production does.
                let hurdle = if status == Status::Probation { f64::NEG_INFINITY } else { p.promotion_hurdle };
                if eligible && score > hurdle {
                    if mains < p.maincomp_per_class {
                        sim.set_status(mi, Status::Maincomp, k + 1, EventKind::Promoted);
                    } else if let Some(w) = weakest.filter(|&w| score > scores[sim.slots[w]]) {
                        sim.set_status(mi, Status::Maincomp, k + 1, EventKind::Promoted);
                        sim.set_status(sim.slots[w], Status::Probation, k + 1, EventKind::Demoted);
                        displaced = Some(w);
                    }
                }
                let (limit, since, reason) = if status == Status::Challenge {
                    (p.challenge_max_days, sim.miners[mi].registered, "challenge")
                } else {
                    (p.probation_days, sim.miners[mi].since, "probation")
                };
                if sim.miners[mi].status == status && days(since) >= limit {
                    leave = Some(reason);
                }
            }
            Status::Plagiarism if days(sim.miners[mi].since) >= p.plagiarism_review_days => {
                if sim.rng.random_bool(p.plagiarism_eliminate) {
                    leave = Some("plagiarism");
                } else {
                    // Cleared: back to its bucket, or PROBATION if its MAINCOMP place was taken.
                    let mut back = sim.miners[mi].before_plagiarism.clone();
                    let class = sim.miners[mi].forex;
                    let full = mains_of.iter().filter(|&&c| c == 1 + u8::from(class)).count() >= p.maincomp_per_class;
                    if back == Status::Maincomp && full {
                        back = Status::Probation;
                    }
                    sim.set_status(mi, back, k + 1, EventKind::Cleared);
                }
            }
            _ => {}
        }
        if leave.is_none() && sim.miners[mi].status != Status::Plagiarism && sim.rng.random_bool(p.plagiarism_daily) {
            sim.miners[mi].before_plagiarism = sim.miners[mi].status.clone();
            sim.set_status(mi, Status::Plagiarism, k + 1, EventKind::Flagged);
        }
        if let Some(reason) = leave {
            sim.eliminate(slot, k, reason);
        }
        mains_of[slot] = main_class(sim, slot);
        if let Some(w) = displaced {
            mains_of[w] = main_class(sim, w);
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    /// The score as first written: the window's returns divided out of the checkpoints.
    fn score_from_checkpoints(m: &Miner) -> f64 {
        let n = m.checkpoints.len();
        let w = n.min(60);
        let base = if n > 60 { m.checkpoints[n - 61].portfolio_return } else { 1.0 };
        let (mut prev, mut sum, mut sum2) = (base, 0.0, 0.0);
        for c in &m.checkpoints[n - w..] {
            let r = c.portfolio_return / prev - 1.0;
            prev = c.portfolio_return;
            sum += r;
            sum2 += r * r;
        }
        let var = if w > 1 { ((sum2 - sum * sum / w as f64) / (w - 1) as f64).max(0.0) } else { 0.0 };
        let risk = (var.sqrt() * (w as f64).sqrt()).max(RISK_FLOOR);
        (m.equity / base - 1.0) / risk * m.risk_profile * m.rap
    }

    #[test]
    fn the_score_from_kept_returns_is_the_score_divided_out_of_the_checkpoints() {
        let p = PopulationParams::default();
        let mut rng = seed::rng(3, 0);
        let mut m = new_miner(&p, &mut rng, 0, Status::Challenge);
        for k in 0..150 {
            m.equity *= 1.0 + rng.random_range(-0.03..0.03);
            let cp =
                Checkpoint { portfolio_return: round_to(m.equity, 8), ..Checkpoint::new(k as i64 * CHECKPOINT_MS) };
            m.record(cp);
            // Bit for bit, before the window fills (60 checkpoints) and after it slides.
            assert_eq!(m.score().to_bits(), score_from_checkpoints(&m).to_bits(), "after {} checkpoints", k + 1);
        }
    }
}
