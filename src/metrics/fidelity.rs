//! How far the emission model drifts from what the chain paid: for the baseline, the USD the
//! replay pays each miner over `(t, t + step]` against the `chunk_usd` its ledger records for
//! the same checkpoints. Reported, not hidden: a closed loop is only as good as this.

use std::collections::HashMap;

use serde::Serialize;

use crate::ledger::store::Store;
use crate::replay::emission::Emission;
use crate::replay::engine::Engine;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Fidelity {
    pub recorded_usd: f64,
    pub simulated_usd: f64,
    /// Mean over steps with a recorded payment of |simulated − recorded| / recorded (all miners).
    pub total_mape: Option<f64>,
    /// The same per (step, miner) with a recorded payment.
    pub miner_mape: Option<f64>,
    pub steps_compared: usize,
}

/// The baseline's (engine policy 0) payments against the record.
pub fn fidelity(engine: &Engine, store: &Store, em: &Emission) -> Fidelity {
    let index: HashMap<&str, usize> = store.miners.iter().enumerate().map(|(i, s)| (s.hotkey.as_str(), i)).collect();
    // Engine hotkey id → store miner, hashed once per hotkey rather than once per row.
    let by_id: Vec<Option<usize>> = engine.hotkeys.names.iter().map(|h| index.get(h.as_str()).copied()).collect();
    let rows = &engine.rows[0];
    let burn = engine.burn_id();
    let n = engine.steps.len();
    let (mut rec, mut sim) = (vec![0.0; n], vec![0.0; n]);
    let (mut miner_err, mut miner_n) = (0.0, 0usize);
    for i in 0..rows.step.len() {
        if Some(rows.hotkey[i]) == burn {
            continue;
        }
        let s = rows.step[i] as usize;
        let t = engine.steps[s];
        let Some(m) = by_id[rows.hotkey[i] as usize] else { continue };
        let series = &store.miners[m];
        let (a, b) = series.range(t + 1, t + engine.step_ms);
        let recorded: f64 = series.usd[a..b].iter().sum();
        let simulated = em.usd(s, rows.final_w[i]);
        rec[s] += recorded;
        sim[s] += simulated;
        if recorded > 0.0 {
            miner_err += (simulated - recorded).abs() / recorded;
            miner_n += 1;
        }
    }
    let compared: Vec<usize> = (0..n).filter(|&s| rec[s] > 0.0).collect();
    let total_mape = if compared.is_empty() {
        None
    } else {
        Some(compared.iter().map(|&s| (sim[s] - rec[s]).abs() / rec[s]).sum::<f64>() / compared.len() as f64)
    };
    Fidelity {
        recorded_usd: rec.iter().sum(),
        simulated_usd: sim.iter().sum(),
        total_mape,
        miner_mape: if miner_n > 0 { Some(miner_err / miner_n as f64) } else { None },
        steps_compared: compared.len(),
    }
}
