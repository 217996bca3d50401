//! The emission model: weights set at `t` hold until the next step, so a step pays
//! weight × pool (alpha/day) × step length, at the step's alpha → USD price. This file holds
//! the one reward formula every table, metric and outcome uses.

use super::engine::Engine;
use crate::notes::Notes;
use crate::time::{MS_PER_DAY, format_ms};

/// Default pool (DOMAIN: ~2 950 alpha a day to miners, late 2025).
pub const DEFAULT_POOL: f64 = 2950.0;
/// Alpha → USD when neither the scenario nor the ledgers give one (DOMAIN: 0.076 × 400).
pub const DEFAULT_ALPHA_USD: f64 = 0.076 * 400.0;

/// How the pool or the price is set.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Constant(f64),
    /// Derived from the ledgers' own emission fields.
    Ledgers,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Constant(x) => write!(f, "{x}"),
            Source::Ledgers => write!(f, "ledgers"),
        }
    }
}

/// Per step pool and price, and the steps where a derived value fell back to its default.
#[derive(Debug, Clone)]
pub struct Emission {
    pub pools: Vec<f64>,
    pub prices: Vec<f64>,
    pub step_days: f64,
    pub pool_defaulted: Vec<usize>,
    pub price_defaulted: Vec<usize>,
}

/// The one formula of a step's alpha reward: weight × pool × step length in days.
#[inline]
fn alpha_of(final_w: f64, pool_per_day: f64, step_days: f64) -> f64 {
    final_w * pool_per_day * step_days
}

impl Emission {
    /// The pool and price of every step of `engine` (the pool derived against the baseline's
    /// miner weight share, policy 0).
    pub fn of(engine: &Engine, pool: &Source, price: &Source) -> Emission {
        let step_days = engine.step_ms as f64 / MS_PER_DAY as f64;
        let n = engine.steps.len();
        let mut baseline_share = vec![0.0; n];
        let base = &engine.rows[0];
        let burn = engine.burn_id();
        for i in 0..base.step.len() {
            if Some(base.hotkey[i]) != burn {
                baseline_share[base.step[i] as usize] += base.final_w[i];
            }
        }
        let (mut pool_defaulted, mut price_defaulted) = (Vec::new(), Vec::new());
        let pools = (0..n)
            .map(|s| match pool {
                Source::Constant(x) => *x,
                Source::Ledgers => {
                    let got = engine.facts[s].received_alpha;
                    if baseline_share[s] > 1e-12 && got > 0.0 {
                        got / baseline_share[s] / step_days
                    } else {
                        pool_defaulted.push(s);
                        DEFAULT_POOL
                    }
                }
            })
            .collect();
        let prices = (0..n)
            .map(|s| match price {
                Source::Constant(x) => *x,
                Source::Ledgers => engine.facts[s].alpha_usd.unwrap_or_else(|| {
                    price_defaulted.push(s);
                    DEFAULT_ALPHA_USD
                }),
            })
            .collect();
        Emission { pools, prices, step_days, pool_defaulted, price_defaulted }
    }

    /// Alpha paid at `step` to a final weight.
    pub fn alpha(&self, step: usize, final_w: f64) -> f64 {
        alpha_of(final_w, self.pools[step], self.step_days)
    }

    /// USD paid at `step` to a final weight.
    pub fn usd(&self, step: usize, final_w: f64) -> f64 {
        self.alpha(step, final_w) * self.prices[step]
    }

    /// [`Emission::alpha`] and [`Emission::usd`] of every weight of one step, appended to
    /// `alpha` and `usd`: the step's pool and price read once (a sweep asks for every row of
    /// every variant).
    pub fn rewards(&self, step: usize, final_w: &[f64], alpha: &mut Vec<f64>, usd: &mut Vec<f64>) {
        let (pool, price, days) = (self.pools[step], self.prices[step], self.step_days);
        alpha.extend(final_w.iter().map(|&w| alpha_of(w, pool, days)));
        usd.extend(alpha[alpha.len() - final_w.len()..].iter().map(|&a| a * price));
    }

    /// The fallbacks as data notes, each naming the steps it covers.
    pub fn notes(&self, steps: &[i64]) -> Notes {
        let mut notes = Notes::default();
        let at = |v: &[usize]| v.iter().map(|&s| format_ms(steps[s])).collect::<Vec<_>>();
        notes.add(
            "pool_default",
            self.pool_defaulted.len(),
            format!(
                "pool \"ledgers\": no alpha received in the step, pool set to the default {DEFAULT_POOL} alpha/day"
            ),
            at(&self.pool_defaulted),
        );
        notes.add(
            "price_default",
            self.price_defaulted.len(),
            format!(
                "price \"ledgers\": no miner carried alpha/TAO and TAO/USD rates, price set to the default {DEFAULT_ALPHA_USD} USD/alpha"
            ),
            at(&self.price_defaulted),
        );
        notes
    }
}
