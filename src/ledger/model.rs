//! The validator's debt-ledger checkpoint, field for field.

use std::fmt;
use std::sync::Arc;

/// A miner's challenge-period status as written on the wire.
///
/// The five known statuses are variants; anything else a later validator writes is kept
/// verbatim in `Other`, so it survives a round trip and reaches the policy's default floor.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Challenge,
    Probation,
    Maincomp,
    Plagiarism,
    Unknown,
    Other(Arc<str>),
}

impl Status {
    pub fn parse(s: &str) -> Status {
        match s {
            "CHALLENGE" => Status::Challenge,
            "PROBATION" => Status::Probation,
            "MAINCOMP" => Status::Maincomp,
            "PLAGIARISM" => Status::Plagiarism,
            "unknown" => Status::Unknown,
            other => Status::Other(Arc::from(other)),
        }
    }
    pub fn as_str(&self) -> &str {
        match self {
            Status::Challenge => "CHALLENGE",
            Status::Probation => "PROBATION",
            Status::Maincomp => "MAINCOMP",
            Status::Plagiarism => "PLAGIARISM",
            Status::Unknown => "unknown",
            Status::Other(s) => s,
        }
    }
    /// MAINCOMP and PROBATION: the statuses whose PnL the monthly debt model pays.
    pub fn is_earning(&self) -> bool {
        matches!(self, Status::Maincomp | Status::Probation)
    }
    pub fn is_known(&self) -> bool {
        !matches!(self, Status::Other(_))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One 12-hour checkpoint. Optional fields are those some validator versions omit; keeping
/// their absence lets a file round-trip and lets `net_pnl` follow the writer's own rule.
///
/// Field order is layout (`repr(C)`): what the columnar store reads of every checkpoint comes
/// first, in about two cache lines of the struct's five, because building the store streams
/// a whole ledger set from memory and is bound by the lines it touches.
#[derive(Debug, Clone, PartialEq)]
#[repr(C)]
pub struct Checkpoint {
    pub timestamp_ms: i64,
    pub status: Status,
    // performance, as the store reads it
    pub pnl_gain: Option<f64>,
    pub pnl_loss: Option<f64>,
    pub realized_pnl: Option<f64>,
    pub unrealized_pnl: Option<f64>,
    /// The stored `cumulative` penalty; never re-multiplied from its parts.
    pub total_penalty: f64,
    // emissions, as the store reads them
    pub chunk_emissions_alpha: f64,
    pub chunk_emissions_usd: f64,
    pub avg_alpha_to_tao_rate: f64,
    pub avg_tao_to_usd_rate: f64,
    // the rest of the emissions
    pub chunk_emissions_tao: f64,
    pub tao_balance_snapshot: f64,
    pub alpha_balance_snapshot: f64,
    // the rest of the performance
    pub portfolio_return: f64,
    /// The `net_pnl` the file stored, kept only to validate it: production recomputes it.
    pub stored_net_pnl: Option<f64>,
    pub spread_fee_loss: f64,
    pub carry_fee_loss: f64,
    pub cumulative_fees_usd: Option<f64>,
    pub max_drawdown: f64,
    pub max_portfolio_value: f64,
    pub open_ms: i64,
    pub accum_ms: i64,
    pub n_updates: i64,
    // the penalty's parts
    pub drawdown_penalty: f64,
    pub risk_profile_penalty: f64,
    pub min_collateral_penalty: f64,
    pub risk_adjusted_performance_penalty: f64,
}

impl Checkpoint {
    /// A checkpoint with the validator's defaults for every field but the timestamp.
    pub fn new(timestamp_ms: i64) -> Self {
        Checkpoint {
            timestamp_ms,
            chunk_emissions_alpha: 0.0,
            chunk_emissions_tao: 0.0,
            chunk_emissions_usd: 0.0,
            avg_alpha_to_tao_rate: 0.0,
            avg_tao_to_usd_rate: 0.0,
            tao_balance_snapshot: 0.0,
            alpha_balance_snapshot: 0.0,
            portfolio_return: 1.0,
            pnl_gain: None,
            pnl_loss: None,
            realized_pnl: None,
            unrealized_pnl: None,
            stored_net_pnl: None,
            spread_fee_loss: 0.0,
            carry_fee_loss: 0.0,
            cumulative_fees_usd: None,
            max_drawdown: 1.0,
            max_portfolio_value: 0.0,
            open_ms: 0,
            accum_ms: 0,
            n_updates: 0,
            drawdown_penalty: 1.0,
            risk_profile_penalty: 1.0,
            min_collateral_penalty: 1.0,
            risk_adjusted_performance_penalty: 1.0,
            total_penalty: 1.0,
            status: Status::Unknown,
        }
    }

    /// Net PnL as the validator recomputes it on load: `pnl_gain + pnl_loss`. Files from the
    /// realized/unrealized era carry no gain/loss; their writer defined net as
    /// `realized + unrealized`, so that is used when neither gain nor loss is present.
    pub fn net_pnl(&self) -> f64 {
        if self.pnl_gain.is_some()
            || self.pnl_loss.is_some()
            || self.realized_pnl.is_none() && self.unrealized_pnl.is_none()
        {
            self.pnl_gain.unwrap_or(0.0) + self.pnl_loss.unwrap_or(0.0)
        } else {
            self.realized_pnl.unwrap_or(0.0) + self.unrealized_pnl.unwrap_or(0.0)
        }
    }

    /// The same checkpoint as a file written by dustlab stores it (with its `net_pnl`).
    pub fn with_stored_net(mut self) -> Self {
        self.stored_net_pnl = Some(self.net_pnl());
        self
    }

    pub fn total_fees(&self) -> f64 {
        self.spread_fee_loss + self.carry_fee_loss
    }

    /// Every floating-point field with its flat name, for validation and writers.
    pub fn float_fields(&self) -> [(&'static str, Option<f64>); 23] {
        [
            ("chunk_emissions_alpha", Some(self.chunk_emissions_alpha)),
            ("chunk_emissions_tao", Some(self.chunk_emissions_tao)),
            ("chunk_emissions_usd", Some(self.chunk_emissions_usd)),
            ("avg_alpha_to_tao_rate", Some(self.avg_alpha_to_tao_rate)),
            ("avg_tao_to_usd_rate", Some(self.avg_tao_to_usd_rate)),
            ("tao_balance_snapshot", Some(self.tao_balance_snapshot)),
            ("alpha_balance_snapshot", Some(self.alpha_balance_snapshot)),
            ("portfolio_return", Some(self.portfolio_return)),
            ("pnl_gain", self.pnl_gain),
            ("pnl_loss", self.pnl_loss),
            ("realized_pnl", self.realized_pnl),
            ("unrealized_pnl", self.unrealized_pnl),
            ("net_pnl", self.stored_net_pnl),
            ("spread_fee_loss", Some(self.spread_fee_loss)),
            ("carry_fee_loss", Some(self.carry_fee_loss)),
            ("cumulative_fees_usd", self.cumulative_fees_usd),
            ("max_drawdown", Some(self.max_drawdown)),
            ("max_portfolio_value", Some(self.max_portfolio_value)),
            ("drawdown_penalty", Some(self.drawdown_penalty)),
            ("risk_profile_penalty", Some(self.risk_profile_penalty)),
            ("min_collateral_penalty", Some(self.min_collateral_penalty)),
            ("risk_adjusted_performance_penalty", Some(self.risk_adjusted_performance_penalty)),
            ("total_penalty", Some(self.total_penalty)),
        ]
    }

    pub fn penalties(&self) -> [(&'static str, f64); 5] {
        [
            ("drawdown_penalty", self.drawdown_penalty),
            ("risk_profile_penalty", self.risk_profile_penalty),
            ("min_collateral_penalty", self.min_collateral_penalty),
            ("risk_adjusted_performance_penalty", self.risk_adjusted_performance_penalty),
            ("total_penalty", self.total_penalty),
        ]
    }
}

/// One miner's ledger. `key` is the map key it was stored under; `hotkey` the ledger's own
/// field (they should agree; validation says so when they do not).
#[derive(Debug, Clone, PartialEq)]
pub struct Ledger {
    pub key: String,
    pub hotkey: String,
    pub checkpoints: Vec<Checkpoint>,
}

/// Everything one ledger file holds. `ledgers` keeps file order: production's tie-breaking
/// (stable sorts, burn placement) depends on it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LedgerSet {
    pub format_version: Option<String>,
    pub last_update_ms: Option<i64>,
    pub ledgers: Vec<Ledger>,
}

impl LedgerSet {
    pub fn checkpoint_count(&self) -> usize {
        self.ledgers.iter().map(|l| l.checkpoints.len()).sum()
    }
}
