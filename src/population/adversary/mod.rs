//! Adversarial miners: each strategy injects its hotkeys and an honest twin (same expected
//! PnL, honest behaviour) into a population, so its excess reward is measurable.
//!
//! Every strategy is one file; the spec below carries the union of their parameters and
//! refuses unknown keys, so a typo in a scenario fails loudly.

mod churn;
mod copycat;
mod lottery;
mod squatter;
mod stream;
mod sybil;
mod timing;
mod whale;

use serde::{Deserialize, Serialize};

use super::seed;
use crate::error::InputError;
use crate::ledger::{Checkpoint, Ledger, LedgerSet, Status};
use crate::time::CHECKPOINT_MS;

pub use stream::Stream;
pub use timing::bursts;

/// Strategy names, as written in `[[adversary]] strategy = "…"`.
pub const STRATEGIES: &[&str] = &[
    "sybil-split",
    "whale-compression",
    "volatility-lottery",
    "window-timing",
    "challenge-squatter",
    "copycat",
    "re-registration-churn",
];

/// One `[[adversary]]` block. Common fields first; strategy parameters after (each
/// strategy reads its own, documented in the README).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdversarySpec {
    pub strategy: String,
    /// Label in the outcome tables (default: the strategy).
    pub name: Option<String>,
    /// The bucket its hotkeys (and the twin) sit in.
    pub bucket: String,
    /// Account size in USD (PnL scale).
    pub account_usd: f64,
    /// Expected return per month and 12 h volatility of the operator's trading.
    pub monthly_drift: f64,
    pub vol_12h: f64,
    /// Collateral per hotkey (USD).
    pub collateral_usd: f64,
    /// Registration fee per hotkey, in TAO (DOMAIN: under 1 TAO; assumption 0.5).
    pub registration_tao: f64,
    pub tao_usd: f64,
    /// Share of collateral slashed when a hotkey is eliminated (DOMAIN: 10% on a failed challenge).
    pub slash_share: f64,
    // sybil-split
    pub k: usize,
    // whale-compression
    pub factor: f64,
    // volatility-lottery
    pub vol_multiplier: f64,
    // window-timing
    pub period_days: f64,
    pub burst_days: f64,
    // copycat
    pub lag_days: f64,
    pub scale: f64,
    pub detection_daily: f64,
    // re-registration-churn
    pub loss_threshold: f64,
    // challenge-squatter: share of its checkpoints with any trading at all
    pub activity: f64,
}

impl Default for AdversarySpec {
    fn default() -> Self {
        AdversarySpec {
            strategy: String::new(),
            name: None,
            bucket: "CHALLENGE".into(),
            account_usd: 200_000.0,
            monthly_drift: 0.03,
            vol_12h: 0.004,
            collateral_usd: 150_000.0,
            registration_tao: 0.5,
            tao_usd: 400.0,
            slash_share: 0.1,
            k: 4,
            factor: 50.0,
            vol_multiplier: 5.0,
            period_days: 30.0,
            burst_days: 2.0,
            lag_days: 1.0,
            scale: 1.0,
            detection_daily: 0.01,
            loss_threshold: 0.02,
            activity: 0.1,
        }
    }
}

impl AdversarySpec {
    pub fn label(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.strategy.clone())
    }

    pub fn check(&self) -> Result<(), InputError> {
        let bad = |m: String| Err(InputError::Usage(format!("[[adversary]] {}: {m}", self.label())));
        if !STRATEGIES.contains(&self.strategy.as_str()) {
            return bad(format!("unknown strategy {:?} (known: {})", self.strategy, STRATEGIES.join(", ")));
        }
        if self.k == 0 {
            return bad("k must be at least 1".into());
        }
        for (name, v) in [
            ("account_usd", self.account_usd),
            ("vol_12h", self.vol_12h),
            ("collateral_usd", self.collateral_usd),
            ("factor", self.factor),
            ("vol_multiplier", self.vol_multiplier),
            ("period_days", self.period_days),
            ("burst_days", self.burst_days),
            ("lag_days", self.lag_days),
            ("scale", self.scale),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(format!("{name} must be a non-negative number, got {v}"));
            }
        }
        if !(0.0..=1.0).contains(&self.detection_daily)
            || !(0.0..=1.0).contains(&self.slash_share)
            || !(0.0..=1.0).contains(&self.activity)
        {
            return bad("detection_daily, slash_share and activity must be within [0, 1]".into());
        }
        Ok(())
    }
}

/// Who was injected, and what it cost.
#[derive(Debug, Clone, Default)]
pub struct Injected {
    pub label: String,
    pub strategy: String,
    pub adversary: Vec<String>,
    pub twin: Vec<String>,
    /// Registration fees plus slashed collateral, USD.
    pub adversary_costs_usd: f64,
    pub twin_costs_usd: f64,
    /// Collateral the operator locks (USD).
    pub adversary_collateral_usd: f64,
    pub twin_collateral_usd: f64,
    /// Eliminated or flagged for PLAGIARISM.
    pub caught: bool,
    /// Trading capital of the adversary and of its twin (USD), where the strategy's outcome is
    /// a gain per USD of account (the whale); 0 otherwise.
    pub adversary_account_usd: f64,
    pub twin_account_usd: f64,
}

/// The span adversaries trade over, and the population they can observe (the copycat's leader).
pub struct Context<'a> {
    pub start_ms: i64,
    /// Number of 12 h checkpoints.
    pub steps: usize,
    pub population: &'a LedgerSet,
}

/// All adversaries observe of a population: the copycat's leader. An attack keeps only this
/// of each Monte Carlo run's population, not the whole of it.
pub fn observed(ctx: &Context) -> LedgerSet {
    LedgerSet { ledgers: copycat::leader(ctx).cloned().into_iter().collect(), ..LedgerSet::default() }
}

/// A ledger under construction for an injected hotkey.
pub(crate) struct Builder {
    pub hotkey: String,
    pub checkpoints: Vec<Checkpoint>,
}

impl Builder {
    pub fn new(hotkey: String) -> Self {
        Builder { hotkey, checkpoints: Vec::new() }
    }
    /// Appends a checkpoint with this net PnL; penalties clean (risk profile 0.9918).
    pub fn push(&mut self, ts: i64, net: f64, account: f64, status: &Status) {
        let mut c = Checkpoint::new(ts);
        let net = super::generate::round_to(net, 2);
        c.pnl_gain = Some(if net > 0.0 { net } else { 0.0 });
        c.pnl_loss = Some(if net < 0.0 { net } else { 0.0 });
        c.risk_profile_penalty = 0.9918;
        c.min_collateral_penalty = if account >= 150_000.0 { 1.0 } else { 0.01 };
        c.total_penalty = c.risk_profile_penalty * c.min_collateral_penalty;
        c.accum_ms = CHECKPOINT_MS;
        c.open_ms = CHECKPOINT_MS;
        c.status = status.clone();
        self.checkpoints.push(c);
    }
    pub fn into_ledger(self) -> Ledger {
        Ledger { key: self.hotkey.clone(), hotkey: self.hotkey, checkpoints: self.checkpoints }
    }
}

/// A fresh hotkey for an injected miner, recognisable in tables.
pub(crate) fn adversary_hotkey(label: &str, role: &str, n: usize, rng: &mut seed::Rng) -> String {
    use rand::RngExt;
    let tag: String = format!("{label}-{role}{n}").chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    let mut s = format!("5{tag}-");
    while s.len() < 48 {
        s.push(b"ABCDEFGHJKLMNPQRSTUVWXYZ"[rng.random_range(0..24)] as char);
    }
    s.truncate(48);
    s
}

/// Builds one adversary and its twin: who they are, and their ledgers with collateral (USD).
/// The caller adds the ledgers to the population once every adversary is built, so each
/// observes the population as it was.
pub fn inject(spec: &AdversarySpec, ctx: &Context, rng: &mut seed::Rng) -> (Injected, Vec<(Ledger, f64)>) {
    let mut out = match spec.strategy.as_str() {
        "sybil-split" => sybil::inject(spec, ctx, rng),
        "whale-compression" => whale::inject(spec, ctx, rng),
        "volatility-lottery" => lottery::inject(spec, ctx, rng),
        "window-timing" => timing::inject(spec, ctx, rng),
        "challenge-squatter" => squatter::inject(spec, ctx, rng),
        "copycat" => copycat::inject(spec, ctx, rng),
        "re-registration-churn" => churn::inject(spec, ctx, rng),
        other => unreachable!("strategy {other} passed check()"),
    };
    out.0.label = spec.label();
    out.0.strategy = spec.strategy.clone();
    out
}

/// Registration fees of `n` hotkeys, USD.
pub(crate) fn fees(spec: &AdversarySpec, n: usize) -> f64 {
    n as f64 * spec.registration_tao * spec.tao_usd
}

/// The honest twin: one hotkey in the same bucket trading the given stream.
pub(crate) fn twin(spec: &AdversarySpec, ctx: &Context, nets: &[f64], rng: &mut seed::Rng) -> (String, Ledger) {
    let bucket = Status::parse(&spec.bucket);
    let mut b = Builder::new(adversary_hotkey(&spec.label(), "twin", 0, rng));
    for (j, net) in nets.iter().enumerate() {
        b.push(ctx.start_ms + (j as i64 + 1) * CHECKPOINT_MS, *net, spec.account_usd, &bucket);
    }
    (b.hotkey.clone(), b.into_ledger())
}

/// One adversary hotkey trading `nets` beside its twin trading `twin_nets`, both in the block's
/// bucket, one registration and the block's collateral each.
pub(crate) fn single_with_twin(
    spec: &AdversarySpec,
    ctx: &Context,
    role: &str,
    nets: &[f64],
    twin_nets: &[f64],
    rng: &mut seed::Rng,
) -> (Injected, Vec<(Ledger, f64)>) {
    let bucket = Status::parse(&spec.bucket);
    let mut b = Builder::new(adversary_hotkey(&spec.label(), role, 0, rng));
    for (j, net) in nets.iter().enumerate() {
        b.push(ctx.start_ms + (j as i64 + 1) * CHECKPOINT_MS, *net, spec.account_usd, &bucket);
    }
    let (t, tl) = twin(spec, ctx, twin_nets, rng);
    let injected = Injected {
        adversary: vec![b.hotkey.clone()],
        twin: vec![t],
        adversary_costs_usd: fees(spec, 1),
        twin_costs_usd: fees(spec, 1),
        adversary_collateral_usd: spec.collateral_usd,
        twin_collateral_usd: spec.collateral_usd,
        ..Injected::default()
    };
    (injected, vec![(b.into_ledger(), spec.collateral_usd), (tl, spec.collateral_usd)])
}
