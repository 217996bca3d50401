//! The operator's trading: a heavy-tailed 12 h PnL stream with a given drift and volatility.

use rand_distr::{Distribution, StudentT};

use super::super::seed;

pub struct Stream {
    pub drift: f64,
    pub vol: f64,
    pub account: f64,
}

impl Stream {
    /// Net PnL (USD) of each of `n` checkpoints: account × (drift/60 + vol × t₄ / √2).
    pub fn draw(&self, n: usize, rng: &mut seed::Rng) -> Vec<f64> {
        let t = StudentT::new(4.0).expect("valid dof");
        let scale = (0.5f64).sqrt();
        (0..n).map(|_| self.account * (self.drift / 60.0 + self.vol * scale * t.sample(rng))).collect()
    }
}
