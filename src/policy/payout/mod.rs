//! Payout models: how dust weights and the validator's debt turn into the weights it sets.
//! Each model is a file; a new era (the December 2025 monthly model, the 2026 weekly one)
//! is one more file and one more line in [`model`], with no change to the engine.

mod burn;
pub mod cumulative;
mod dust_only;
mod monthly;
pub use monthly::{MonthPaid, Monthly};
pub mod monthly_r1;
pub mod num;
pub mod projection;
pub mod schedule;
pub mod weekly;

#[cfg(test)]
mod eras_tests;

pub use burn::{Target, burn_step, order};
pub use num::Num;

use crate::error::InputError;
use crate::ledger::metagraph::Metagraph;
use crate::ledger::store::AsOf;
use crate::policy::pnl::PnlMetric;

/// The weights one evaluation sets.
#[derive(Debug, Clone, Default)]
pub struct Payout {
    /// Final weight per miner (file order).
    pub final_w: Vec<f64>,
    /// The burn entry's weight, when production includes one.
    pub burn: Option<f64>,
    /// Per miner: the weight before the burn step, i.e. `max(remaining, dust)` on the debt
    /// path or the dust weight before activation.
    pub pre_burn: Vec<f64>,
    /// Per miner: remaining USD owed by the debt model (0 before activation).
    pub remaining_usd: Vec<f64>,
    /// Per miner: the debt term `max(debt, dust)` compared with dust (remaining USD in the
    /// November 2025 releases, the unitless debt weight from 30 November 2025, 0 on dust only).
    pub debt: Vec<f64>,
}

impl Payout {
    /// From pre-burn weights through the burn step.
    pub fn from_pre_burn(pre_burn: Vec<f64>, remaining_usd: Vec<f64>) -> Payout {
        let (final_w, burn) = burn_step(&pre_burn);
        Payout { final_w, burn, pre_burn, debt: remaining_usd.clone(), remaining_usd }
    }
    /// The entries in production's final order (sorted only when asked for).
    pub fn entries(&self) -> Vec<(Target, f64)> {
        order(&self.final_w, self.burn)
    }
    pub fn weight_of(&self, miner: usize) -> f64 {
        self.final_w.get(miner).copied().unwrap_or(0.0)
    }
    pub fn burn_weight(&self) -> f64 {
        self.burn.unwrap_or(0.0)
    }
}

/// What the debt side of a model owes at an instant. It depends on the ledgers only, not on
/// the dust policy, so a replay computes it once per step and shares it across policies.
#[derive(Debug, Clone)]
pub enum Debt {
    /// Weights are the dust weights alone (pre-activation, or a dust-only model).
    DustOnly,
    /// USD still owed to each miner (the November 2025 releases compare it with dust as is).
    Remaining(Vec<f64>),
    /// Unitless debt weights (from 30 November 2025: normalised targets, or targets over
    /// projected emissions), with the USD still owed behind them.
    Weights { weights: Vec<Num>, remaining: Vec<f64> },
    /// `production`: the debt of the release in force (index into the schedule).
    Era(usize, Box<Debt>),
}

/// What a model may read beside the ledgers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    pub metagraph: Option<&'a Metagraph>,
    /// In a closed loop: USD paid per checkpoint, per store miner, as the policy under
    /// replay paid it (the ledgers' record before the replay's start). None: the record.
    pub paid: Option<&'a [Vec<f64>]>,
}

static EMPTY_METAGRAPH: std::sync::LazyLock<Metagraph> = std::sync::LazyLock::new(Metagraph::default);

impl<'a> Context<'a> {
    /// The metagraph, or an empty one (every key missing) when none was given.
    pub fn metagraph_or_empty(&self) -> &'a Metagraph {
        match self.metagraph {
            Some(m) => m,
            None => &EMPTY_METAGRAPH,
        }
    }
}

impl Context<'_> {
    /// Σ USD paid to view miner `k` on the checkpoints `keep` selects in `[from, to]`
    /// (clipped to the view's instant), left to right: the record, or the closed loop's own.
    pub fn usd_sum(
        &self,
        view: &AsOf,
        k: usize,
        from_ms: i64,
        to_ms: i64,
        keep: impl Fn(&crate::ledger::Status) -> bool,
    ) -> f64 {
        match self.paid {
            None => crate::policy::pnl::usd_sum(&view.slice(k, from_ms, to_ms), keep),
            Some(paid) => {
                let (i, j, status) = view.index_range(k, from_ms, to_ms);
                let usd = &paid[view.store_index(k)];
                let mut sum = 0.0;
                for c in i..j {
                    if keep(&status[c]) {
                        sum += usd[c];
                    }
                }
                sum
            }
        }
    }
}

/// What a release does with a hotkey its bucket source does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownBucket {
    /// Production crashes; dustlab uses the status on the miner's checkpoints and warns.
    Crash,
    /// Treated as `unknown`, for dust and everything else (from 5 December 2025).
    AsUnknown,
}

pub trait PayoutModel: Send + Sync {
    fn name(&self) -> &'static str;
    /// The debt side at the view's instant; an error where the release raises (no weights).
    fn debt(&self, view: &AsOf, ctx: &Context) -> Result<Debt, InputError>;
    /// Final weights from each miner's dust weight (file order) and the debt; by default the
    /// realized-era settle (`max(debt, dust)` and the burn step, float32 where the debt is).
    fn settle(&self, dust: &[f64], debt: &Debt) -> Payout {
        settle_realized(dust, debt)
    }
    /// Weights at the view's instant.
    fn weights(&self, view: &AsOf, dust: &[f64], ctx: &Context) -> Result<Payout, InputError> {
        Ok(self.settle(dust, &self.debt(view, ctx)?))
    }
    fn unknown_bucket(&self) -> UnknownBucket {
        UnknownBucket::Crash
    }
    /// The monthly model of 31 October / 6 November 2025, whose debt per miner is what it
    /// earned last month less what it was paid this month: a closed loop can then keep running
    /// sums of its own payments instead of re-summing them at every step.
    fn monthly(&self) -> Option<&Monthly> {
        None
    }
    /// The PnL measure the model's debt reads.
    fn metric(&self) -> PnlMetric {
        PnlMetric::NetPnlXPenalty
    }
}

/// The realized-era settle: no miners → the burn alone at 1.0; otherwise `max(debt, dust)`
/// and the burn step, float32 where the debt weights are.
fn settle_realized(dust: &[f64], debt: &Debt) -> Payout {
    let n = dust.len();
    match debt {
        Debt::Weights { weights, remaining } => num::settle(dust, weights, remaining),
        Debt::Remaining(r) => num::settle(dust, &r.iter().map(|x| Num::F64(*x)).collect::<Vec<_>>(), r),
        Debt::DustOnly | Debt::Era(..) => Payout::from_pre_burn(dust.to_vec(), vec![0.0; n]),
    }
}

/// Names of the available payout models.
pub const MODELS: &[&str] = &[
    "dust-only",
    "monthly-2025-10-31",
    "monthly-2025-11-06",
    "monthly-2025-11-30",
    "cumulative-2025-12-05",
    "weekly-hwm-843e57e0",
    "production",
];

/// A payout model by name.
pub fn model(name: &str) -> Result<Box<dyn PayoutModel>, InputError> {
    match name {
        "dust-only" => Ok(Box::new(dust_only::DustOnly)),
        "monthly-2025-10-31" => Ok(Box::new(monthly::Monthly::release_2025_10_31())),
        "monthly-2025-11-06" => Ok(Box::new(monthly::Monthly::release_2025_11_06())),
        "monthly-2025-11-30" => Ok(Box::new(monthly_r1::MonthlyR1)),
        "cumulative-2025-12-05" => Ok(Box::new(cumulative::Cumulative)),
        "weekly-hwm-843e57e0" => Ok(Box::new(weekly::Weekly)),
        "production" => Ok(Box::new(schedule::Schedule::production())),
        other => Err(InputError::Usage(format!("unknown payout model {other:?} (known: {})", MODELS.join(", ")))),
    }
}

/// The burn hotkey placeholder production uses when no metagraph is given.
pub fn burn_hotkey(testnet: bool) -> &'static str {
    if testnet { "burn_uid_220" } else { "burn_uid_229" }
}
